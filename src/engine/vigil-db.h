/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* One SQLite connection and its prepared-statement cache. A VigilDb belongs
 * to one thread at a time: the store keeps one for reads on the main
 * context and one for its writer thread. */
typedef struct _VigilDb VigilDb;

VigilDb      *vigil_db_open                 (const char   *path,
                                             GError      **error);
void          vigil_db_free                 (VigilDb      *db);

sqlite3      *vigil_db_get_handle           (VigilDb      *db);

/* Returns a cached statement, reset and with its bindings cleared. The
 * statement stays owned by the cache. */
sqlite3_stmt *vigil_db_prepare              (VigilDb      *db,
                                             const char   *sql,
                                             GError      **error);
gboolean      vigil_db_exec                 (VigilDb      *db,
                                             const char   *sql,
                                             GError      **error);

/* Steps a statement that returns no rows (or whose rows are not needed). */
gboolean      vigil_db_step_done            (VigilDb      *db,
                                             sqlite3_stmt *stmt,
                                             GError      **error);
gboolean      vigil_db_query_int            (VigilDb      *db,
                                             const char   *sql,
                                             gint64       *out_value,
                                             GError      **error);
gboolean      vigil_db_query_text           (VigilDb      *db,
                                             const char   *sql,
                                             char        **out_value,
                                             GError      **error);

/* Fills @error from the connection's last error, prefixed with @what. */
void          vigil_db_set_error            (VigilDb      *db,
                                             GError      **error,
                                             const char   *what);

guint         vigil_db_get_cached_statements (VigilDb     *db);

/* Starts recording which tables this connection writes (sqlite3's update
 * hook: rows inserted, updated or deleted in rowid tables; WITHOUT ROWID
 * tables, rows removed by REPLACE conflicts and a DELETE with no WHERE
 * clause go unseen). A full rollback forgets what was recorded; ROLLBACK
 * TO a savepoint does not. */
void          vigil_db_track_changes        (VigilDb      *db);
/* Adds the tables written since the last call to @into (a set of owned
 * strings; NULL discards them) and starts recording afresh. */
void          vigil_db_take_changes         (VigilDb      *db,
                                             GHashTable   *into);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilDb, vigil_db_free)

G_END_DECLS
