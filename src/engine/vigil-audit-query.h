/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-audit.h"

G_BEGIN_DECLS

/* Searching and exporting the audit log, for the console's Audit page.
 * Every text criterion matches case-insensitively anywhere in its field
 * (SQL LIKE with the user's text escaped); @text searches actor, action,
 * target, client address and details at once. NULL or empty criteria and
 * zero times match everything; @until_us is exclusive. */
typedef struct
{
  char   *actor;
  char   *action;
  char   *target;
  char   *text;
  gint64  since_us;
  gint64  until_us;
} VigilAuditFilter;

VigilAuditFilter *vigil_audit_filter_copy    (const VigilAuditFilter *filter);
void              vigil_audit_filter_free    (VigilAuditFilter       *filter);
gboolean          vigil_audit_filter_matches (const VigilAuditFilter *filter,
                                              const VigilAuditEntry  *entry);

/* An entry as a list item. */
#define VIGIL_TYPE_AUDIT_ROW (vigil_audit_row_get_type ())
G_DECLARE_FINAL_TYPE (VigilAuditRow, vigil_audit_row, VIGIL, AUDIT_ROW, GObject)

VigilAuditRow         *vigil_audit_row_new       (VigilAuditEntry *entry);   /* takes @entry */
const VigilAuditEntry *vigil_audit_row_get_entry (VigilAuditRow   *self);

/* The newest @limit matching entries, newest first, as VigilAuditRow;
 * read on a worker thread with its own connection. */
void       vigil_audit_query_async   (VigilStore              *store,
                                      const VigilAuditFilter  *filter,
                                      guint                    limit,
                                      GCancellable            *cancellable,
                                      GAsyncReadyCallback      callback,
                                      gpointer                 user_data);
GPtrArray *vigil_audit_query_finish  (VigilStore              *store,
                                      GAsyncResult            *result,
                                      GError                 **error);

/* Entries after @after_id, oldest first, at most @limit, as
 * VigilAuditRow: an indexed read on the main context's reader, for
 * following the log live. */
GPtrArray *vigil_audit_list_after    (VigilStore              *store,
                                      gint64                   after_id,
                                      guint                    limit,
                                      GError                 **error);

/* The id of the newest entry, 0 when the log is empty (main context). */
gint64     vigil_audit_get_last_id   (VigilStore              *store,
                                      GError                 **error);

typedef enum
{
  VIGIL_AUDIT_EXPORT_CSV,
  VIGIL_AUDIT_EXPORT_JSON,
} VigilAuditExportFormat;

/* Writes every matching entry, oldest first, to @file (replaced
 * atomically) on a worker thread; answers how many were written. CSV has
 * a header row and RFC 4180 quoting; JSON is an array of objects. Times
 * are ISO 8601 UTC. */
void       vigil_audit_export_async  (VigilStore              *store,
                                      const VigilAuditFilter  *filter,
                                      GFile                   *file,
                                      VigilAuditExportFormat   format,
                                      GCancellable            *cancellable,
                                      GAsyncReadyCallback      callback,
                                      gpointer                 user_data);
gint64     vigil_audit_export_finish (VigilStore              *store,
                                      GAsyncResult            *result,
                                      GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAuditFilter, vigil_audit_filter_free)

G_END_DECLS
