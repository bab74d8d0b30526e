/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Filtered reads of the audit log and their export to CSV and JSON, on
 * worker threads with their own connections. */
#define G_LOG_DOMAIN "vigil-audit-query"

#include "config.h"

#include "vigil-audit-query.h"

#include "vigil-error.h"
#include "vigil-time.h"

#define ENTRY_COLUMNS "id, at, actor, action, target, client_address, details, prev_hash, hash"

/* Filters */

VigilAuditFilter *
vigil_audit_filter_copy (const VigilAuditFilter *filter)
{
  VigilAuditFilter *copy = g_new0 (VigilAuditFilter, 1);

  if (filter == NULL)
    return copy;
  copy->actor = g_strdup (filter->actor);
  copy->action = g_strdup (filter->action);
  copy->target = g_strdup (filter->target);
  copy->text = g_strdup (filter->text);
  copy->since_us = filter->since_us;
  copy->until_us = filter->until_us;
  return copy;
}

void
vigil_audit_filter_free (VigilAuditFilter *filter)
{
  if (filter == NULL)
    return;
  g_free (filter->actor);
  g_free (filter->action);
  g_free (filter->target);
  g_free (filter->text);
  g_free (filter);
}

static gboolean
is_set (const char *criterion)
{
  return criterion != NULL && criterion[0] != '\0';
}

static gboolean
contains (const char *field,
          const char *needle)
{
  g_autofree char *field_folded = NULL;
  g_autofree char *needle_folded = NULL;

  if (!is_set (needle))
    return TRUE;
  if (field == NULL)
    return FALSE;
  field_folded = g_utf8_casefold (field, -1);
  needle_folded = g_utf8_casefold (needle, -1);
  return strstr (field_folded, needle_folded) != NULL;
}

gboolean
vigil_audit_filter_matches (const VigilAuditFilter *filter,
                            const VigilAuditEntry  *entry)
{
  g_return_val_if_fail (entry != NULL, FALSE);

  if (filter == NULL)
    return TRUE;
  if ((filter->since_us != 0 && entry->at_us < filter->since_us) ||
      (filter->until_us != 0 && entry->at_us >= filter->until_us))
    return FALSE;
  if (!contains (entry->actor, filter->actor) ||
      !contains (entry->action, filter->action) ||
      !contains (entry->target, filter->target))
    return FALSE;
  return !is_set (filter->text) ||
         contains (entry->actor, filter->text) ||
         contains (entry->action, filter->text) ||
         contains (entry->target, filter->text) ||
         contains (entry->client_address, filter->text) ||
         contains (entry->details, filter->text);
}

/* Rows */

struct _VigilAuditRow
{
  GObject          parent_instance;
  VigilAuditEntry *entry;
};

G_DEFINE_FINAL_TYPE (VigilAuditRow, vigil_audit_row, G_TYPE_OBJECT)

static void
vigil_audit_row_finalize (GObject *object)
{
  g_clear_pointer (&VIGIL_AUDIT_ROW (object)->entry, vigil_audit_entry_free);
  G_OBJECT_CLASS (vigil_audit_row_parent_class)->finalize (object);
}

static void
vigil_audit_row_class_init (VigilAuditRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_audit_row_finalize;
}

static void
vigil_audit_row_init (VigilAuditRow *self)
{
}

VigilAuditRow *
vigil_audit_row_new (VigilAuditEntry *entry)
{
  VigilAuditRow *self;

  g_return_val_if_fail (entry != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_AUDIT_ROW, NULL);
  self->entry = entry;
  return self;
}

const VigilAuditEntry *
vigil_audit_row_get_entry (VigilAuditRow *self)
{
  g_return_val_if_fail (VIGIL_IS_AUDIT_ROW (self), NULL);
  return self->entry;
}

static VigilAuditEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  VigilAuditEntry *entry = g_new0 (VigilAuditEntry, 1);

  entry->id = sqlite3_column_int64 (stmt, 0);
  entry->at_us = sqlite3_column_int64 (stmt, 1);
  entry->actor = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  entry->action = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  entry->target = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  entry->client_address = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  entry->details = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  entry->prev_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 7));
  entry->hash = g_strdup ((const char *) sqlite3_column_text (stmt, 8));
  return entry;
}

/* The filtered scan */

typedef gboolean (*RowFunc) (VigilAuditEntry  *entry,   /* taken */
                             gpointer          user_data,
                             GError          **error);

static char *
like_pattern (const char *text)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

static char *
build_sql (const VigilAuditFilter *filter,
           gboolean                newest_first,
           gboolean                limited)
{
  GString *sql = g_string_new ("SELECT " ENTRY_COLUMNS " FROM audit_log WHERE 1");

  /* Parameters are numbered so that every variant binds the same way. */
  if (is_set (filter->actor))
    g_string_append (sql, " AND actor LIKE ?1 ESCAPE '\\'");
  if (is_set (filter->action))
    g_string_append (sql, " AND action LIKE ?2 ESCAPE '\\'");
  if (is_set (filter->target))
    g_string_append (sql, " AND target LIKE ?3 ESCAPE '\\'");
  if (is_set (filter->text))
    g_string_append (sql, " AND (actor LIKE ?4 ESCAPE '\\' OR action LIKE ?4 ESCAPE '\\'"
                          " OR target LIKE ?4 ESCAPE '\\' OR client_address LIKE ?4 ESCAPE '\\'"
                          " OR details LIKE ?4 ESCAPE '\\')");
  if (filter->since_us != 0)
    g_string_append (sql, " AND at >= ?5");
  if (filter->until_us != 0)
    g_string_append (sql, " AND at < ?6");
  g_string_append (sql, newest_first ? " ORDER BY id DESC" : " ORDER BY id");
  if (limited)
    g_string_append (sql, " LIMIT ?7");
  return g_string_free (sql, FALSE);
}

static void
bind_like (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (is_set (text))
    sqlite3_bind_text (stmt, index, like_pattern (text), -1, g_free);
}

static gboolean
scan (VigilDb                *db,
      const VigilAuditFilter *filter,
      gboolean                newest_first,
      guint                   limit,
      GCancellable           *cancellable,
      RowFunc                 func,
      gpointer                user_data,
      GError                **error)
{
  g_autofree char *sql = build_sql (filter, newest_first, limit > 0);
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  gboolean ok = TRUE;
  guint rows = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;

  bind_like (stmt, 1, filter->actor);
  bind_like (stmt, 2, filter->action);
  bind_like (stmt, 3, filter->target);
  bind_like (stmt, 4, filter->text);
  if (filter->since_us != 0)
    sqlite3_bind_int64 (stmt, 5, filter->since_us);
  if (filter->until_us != 0)
    sqlite3_bind_int64 (stmt, 6, filter->until_us);
  if (limit > 0)
    sqlite3_bind_int64 (stmt, 7, limit);

  while (ok && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ok = func (entry_from_row (stmt), user_data, error);
      if (ok && ++rows % 1024 == 0)
        ok = !g_cancellable_set_error_if_cancelled (cancellable, error);
    }
  if (ok && rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the audit log failed");
      ok = FALSE;
    }
  sqlite3_reset (stmt);
  return ok;
}

static gboolean
collect_row (VigilAuditEntry  *entry,
             gpointer          user_data,
             GError          **error)
{
  g_ptr_array_add (user_data, vigil_audit_row_new (entry));
  return TRUE;
}

/* Queries */

typedef struct
{
  VigilDb                *db;
  VigilAuditFilter       *filter;
  guint                   limit;
  GFile                  *file;
  VigilAuditExportFormat  format;
} QueryData;

static void
query_data_free (QueryData *data)
{
  g_clear_pointer (&data->db, vigil_db_free);
  vigil_audit_filter_free (data->filter);
  g_clear_object (&data->file);
  g_free (data);
}

static void
query_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  QueryData *data = task_data;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  if (!scan (data->db, data->filter, TRUE, data->limit, cancellable, collect_row, rows, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&rows), (GDestroyNotify) g_ptr_array_unref);
}

/* No source object and no store reference in the task: the worker may
 * drop the task's last reference, and must not finalize the store there.
 * The connection is opened here, on the caller's thread. */
static GTask *
query_task_new (VigilStore          *store,
                QueryData           *data,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) query_data_free);
  data->db = vigil_store_open_reader (store, &error);
  if (data->db == NULL)
    {
      g_task_return_error (task, error);
      g_clear_object (&task);
    }
  return task;
}

void
vigil_audit_query_async (VigilStore             *store,
                         const VigilAuditFilter *filter,
                         guint                   limit,
                         GCancellable           *cancellable,
                         GAsyncReadyCallback     callback,
                         gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  QueryData *data;

  g_return_if_fail (VIGIL_IS_STORE (store));

  data = g_new0 (QueryData, 1);
  data->filter = vigil_audit_filter_copy (filter);
  data->limit = limit;
  task = query_task_new (store, data, vigil_audit_query_async, cancellable, callback, user_data);
  if (task != NULL)
    g_task_run_in_thread (task, query_thread);
}

GPtrArray *
vigil_audit_query_finish (VigilStore    *store,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GPtrArray *
vigil_audit_list_after (VigilStore  *store,
                        gint64       after_id,
                        guint        limit,
                        GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  VigilDb *db;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);

  if (vigil_store_is_closed (store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return NULL;
    }
  db = vigil_store_get_reader (store);
  stmt = vigil_db_prepare (db, "SELECT " ENTRY_COLUMNS " FROM audit_log WHERE id > ?1"
                               " ORDER BY id LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, vigil_audit_row_new (entry_from_row (stmt)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the audit log failed");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

gint64
vigil_audit_get_last_id (VigilStore  *store,
                         GError     **error)
{
  gint64 id = 0;

  g_return_val_if_fail (VIGIL_IS_STORE (store), -1);

  if (vigil_store_is_closed (store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return -1;
    }
  if (!vigil_db_query_int (vigil_store_get_reader (store),
                           "SELECT COALESCE (MAX (id), 0) FROM audit_log", &id, error))
    return -1;
  return id;
}

/* Export */

typedef struct
{
  GOutputStream          *out;
  VigilAuditExportFormat  format;
  gint64                  rows;
  GCancellable           *cancellable;
  GString                *line;
} ExportState;

static void
csv_field (GString    *line,
           const char *value,
           gboolean    last)
{
  if (value != NULL && strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (line, '"');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (line, '"');
          g_string_append_c (line, *p);
        }
      g_string_append_c (line, '"');
    }
  else if (value != NULL)
    g_string_append (line, value);
  g_string_append (line, last ? "\r\n" : ",");
}

static void
format_csv (GString               *line,
            const VigilAuditEntry *entry,
            const char            *at)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, entry->id);

  csv_field (line, id, FALSE);
  csv_field (line, at, FALSE);
  csv_field (line, entry->actor, FALSE);
  csv_field (line, entry->action, FALSE);
  csv_field (line, entry->target, FALSE);
  csv_field (line, entry->client_address, FALSE);
  csv_field (line, entry->details, FALSE);
  csv_field (line, entry->prev_hash, FALSE);
  csv_field (line, entry->hash, TRUE);
}

static void
format_json (GString               *line,
             const VigilAuditEntry *entry,
             const char            *at,
             gboolean               first)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *names[] = { "actor", "action", "target", "client_address", "prev_hash", "hash" };
  const char *values[] = { entry->actor, entry->action, entry->target, entry->client_address,
                           entry->prev_hash, entry->hash };
  g_autoptr(JsonNode) details = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, entry->id);
  json_builder_set_member_name (builder, "at");
  json_builder_add_string_value (builder, at);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      json_builder_set_member_name (builder, names[i]);
      if (values[i] != NULL)
        json_builder_add_string_value (builder, values[i]);
      else
        json_builder_add_null_value (builder);
    }
  json_builder_set_member_name (builder, "details");
  /* Details are stored as JSON text; keep them structured when they parse. */
  if (entry->details != NULL && (details = json_from_string (entry->details, NULL)) != NULL)
    json_builder_add_value (builder, g_steal_pointer (&details));
  else if (entry->details != NULL)
    json_builder_add_string_value (builder, entry->details);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  g_string_append (line, first ? "\n  " : ",\n  ");
  g_string_append (line, text);
}

static gboolean
export_row (VigilAuditEntry  *entry,
            gpointer          user_data,
            GError          **error)
{
  g_autoptr(VigilAuditEntry) owned = entry;
  ExportState *state = user_data;
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (entry->at_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) precise = NULL;
  g_autofree char *at = NULL;

  if (time == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "Entry %" G_GINT64_FORMAT " has an invalid time", entry->id);
      return FALSE;
    }
  precise = g_date_time_add (time, entry->at_us % G_USEC_PER_SEC);
  at = g_date_time_format (precise, "%Y-%m-%dT%H:%M:%S.%fZ");

  g_string_truncate (state->line, 0);
  if (state->format == VIGIL_AUDIT_EXPORT_CSV)
    format_csv (state->line, entry, at);
  else
    format_json (state->line, entry, at, state->rows == 0);
  state->rows++;
  return g_output_stream_write_all (state->out, state->line->str, state->line->len, NULL,
                                    state->cancellable, error);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  QueryData *data = task_data;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  ExportState state = { 0 };
  const char *head = data->format == VIGIL_AUDIT_EXPORT_CSV
                     ? "id,at,actor,action,target,client_address,details,prev_hash,hash\r\n" : "[";
  const char *tail = data->format == VIGIL_AUDIT_EXPORT_CSV ? "" : "\n]\n";

  out = g_file_replace (data->file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                        cancellable, &error);
  if (out == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  state.out = G_OUTPUT_STREAM (out);
  state.format = data->format;
  state.cancellable = cancellable;
  state.line = line;
  /* g_file_replace writes to a temporary file that only replaces the
   * target on a successful close: a failed export leaves no half file. */
  if (!g_output_stream_write_all (state.out, head, strlen (head), NULL, cancellable, &error) ||
      !scan (data->db, data->filter, FALSE, 0, cancellable, export_row, &state, &error) ||
      !g_output_stream_write_all (state.out, tail, strlen (tail), NULL, cancellable, &error) ||
      !g_output_stream_close (state.out, cancellable, &error))
    {
      g_autoptr(GCancellable) abort = g_cancellable_new ();

      g_cancellable_cancel (abort);
      (void) g_output_stream_close (state.out, abort, NULL);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_int (task, state.rows);
}

void
vigil_audit_export_async (VigilStore             *store,
                          const VigilAuditFilter *filter,
                          GFile                  *file,
                          VigilAuditExportFormat  format,
                          GCancellable           *cancellable,
                          GAsyncReadyCallback     callback,
                          gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;
  QueryData *data;

  g_return_if_fail (VIGIL_IS_STORE (store));
  g_return_if_fail (G_IS_FILE (file));

  data = g_new0 (QueryData, 1);
  data->filter = vigil_audit_filter_copy (filter);
  data->file = g_object_ref (file);
  data->format = format;
  task = query_task_new (store, data, vigil_audit_export_async, cancellable, callback, user_data);
  if (task != NULL)
    g_task_run_in_thread (task, export_thread);
}

gint64
vigil_audit_export_finish (VigilStore    *store,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (VIGIL_IS_STORE (store), -1);
  g_return_val_if_fail (g_task_is_valid (result, NULL), -1);
  return g_task_propagate_int (G_TASK (result), error);
}
