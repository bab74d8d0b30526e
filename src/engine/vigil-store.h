/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-db.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_STORE (vigil_store_get_type ())
G_DECLARE_FINAL_TYPE (VigilStore, vigil_store, VIGIL, STORE, GObject)

/* Signal "tables-changed" (VigilStore *store, const char * const *tables):
 * emitted on the thread-default main context of vigil_store_open ()'s
 * caller after a group of writes committed, with the sorted names of the
 * tables they changed (as vigil_db_track_changes () sees them: not
 * WITHOUT ROWID tables). A write whose function failed, and so was
 * rolled back, adds nothing; a group that failed to commit is not
 * announced. At most one emission per commit: groups that commit before
 * the main context dispatches the first share its emission. Nothing is
 * emitted once vigil_store_close () ran. */

/* NORMAL survives a process crash; FULL also survives a power loss. */
typedef enum
{
  VIGIL_STORE_SYNC_NORMAL,
  VIGIL_STORE_SYNC_FULL,
} VigilStoreSync;

/* Runs on the writer thread inside the group's transaction. Returning FALSE
 * rolls back this write alone; the others in the group still commit. */
typedef gboolean (*VigilStoreWriteFunc) (VigilDb   *db,
                                         gpointer   data,
                                         GError   **error);

typedef struct
{
  guint64 writes;      /* writes committed or failed */
  guint64 commits;     /* transactions committed */
  guint64 failed;      /* writes rolled back */
  guint   largest_group;
} VigilStoreStats;

VigilStore *vigil_store_open               (const char           *path,
                                            VigilStoreSync        sync,
                                            GError              **error);

const char *vigil_store_get_path           (VigilStore           *self);
gboolean    vigil_store_is_closed          (VigilStore           *self);
int         vigil_store_get_schema_version (VigilStore           *self);
int         vigil_store_get_latest_schema_version (void);
const char *vigil_store_get_journal_mode   (VigilStore           *self);

/* The connection for reads on the main context. WAL lets it read while
 * the writer commits. */
VigilDb    *vigil_store_get_reader         (VigilStore           *self);

/* A new read connection for a worker thread (long scans that must not run
 * on the main context). The caller frees it on that thread. */
VigilDb    *vigil_store_open_reader        (VigilStore           *self,
                                            GError              **error);

/* Queues @func for the writer thread. @callback runs on the thread-default
 * main context of the caller once the write's transaction has committed
 * (or failed). */
void        vigil_store_write_async        (VigilStore           *self,
                                            VigilStoreWriteFunc   func,
                                            gpointer              data,
                                            GDestroyNotify        data_destroy,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean    vigil_store_write_finish       (VigilStore           *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Reads a page of the database on the reader connection: proves the file
 * is open and readable, cheaply. */
gboolean    vigil_store_ping               (VigilStore           *self,
                                            GError              **error);

/* Blocks until every write queued so far has committed (or failed).
 * Results still reach their callbacks on the main context later. For
 * shut-down paths only: it waits on the writer. */
void        vigil_store_flush              (VigilStore           *self);

guint       vigil_store_get_pending_writes (VigilStore           *self);
void        vigil_store_get_stats          (VigilStore           *self,
                                            VigilStoreStats      *stats);

/* Commits everything queued, stops the writer thread and closes both
 * connections. Writes queued afterwards fail with VIGIL_ERROR_CLOSED. */
void        vigil_store_close              (VigilStore           *self);

G_END_DECLS
