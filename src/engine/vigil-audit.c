/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit log: entries appended on the store's writer thread, each
 * hashed over its canonical content and its predecessor's hash, and a
 * verifier that walks the chain on a worker thread. */
#define G_LOG_DOMAIN "vigil-audit"

#include "config.h"

#include "vigil-audit.h"
#include "vigil-error.h"

#define FORMAT_VERSION "vigil-audit-v1"
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Looks at the cancellable this often while verifying, not on every row. */
#define VERIFY_CANCEL_CHECK_ROWS 1024

#define ENTRY_COLUMNS "id, at, actor, action, target, client_address, details, prev_hash, hash"

/* The text fields in canonical order; in ENTRY_COLUMNS they start at
 * column 2 in the same order. */
enum
{
  FIELD_ACTOR,
  FIELD_ACTION,
  FIELD_TARGET,
  FIELD_CLIENT_ADDRESS,
  FIELD_DETAILS,
  FIELD_PREV_HASH,
  N_FIELDS
};
#define FIRST_TEXT_COLUMN 2
#define HASH_COLUMN 8

typedef struct
{
  gint64  at_us;
  char   *actor;
  char   *action;
  char   *target;
  char   *client_address;
  char   *details;
} AppendData;

typedef struct
{
  VigilDb *db;
} VerifyData;

void
vigil_audit_entry_free (VigilAuditEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->actor);
  g_free (entry->action);
  g_free (entry->target);
  g_free (entry->client_address);
  g_free (entry->details);
  g_free (entry->prev_hash);
  g_free (entry->hash);
  g_free (entry);
}

void
vigil_audit_verification_free (VigilAuditVerification *verification)
{
  if (verification == NULL)
    return;

  g_free (verification->reason);
  g_free (verification);
}

static void
feed_tagged_u64 (GChecksum *checksum,
                 guchar     tag,
                 guint64    value)
{
  guchar bytes[9];

  /* Big-endian, so the encoding does not depend on the host. */
  bytes[0] = tag;
  for (guint i = 0; i < 8; i++)
    bytes[1 + i] = (guchar) (value >> (56 - 8 * i));
  g_checksum_update (checksum, bytes, sizeof bytes);
}

static void
feed_text (GChecksum  *checksum,
           const char *text,
           gsize       length)
{
  static const guchar null_tag = 'N';

  if (text == NULL)
    {
      g_checksum_update (checksum, &null_tag, 1);
      return;
    }

  feed_tagged_u64 (checksum, 'S', length);
  g_checksum_update (checksum, (const guchar *) text, (gssize) length);
}

/* The canonical content is a sequence of self-delimiting fields in a fixed
 * order, so that no two different entries encode alike:
 *   text     'S', its length in bytes as a big-endian u64, the bytes
 *   NULL     'N'
 *   integer  'I', the value as a big-endian two's-complement 64-bit integer
 * The fields: S"vigil-audit-v1", I id, I at_us, then actor, action,
 * target, client_address, details and prev_hash as text or NULL. The hash
 * is the lowercase hex SHA-256 of that. */
static char *
compute_hash (gint64             id,
              gint64             at_us,
              const char * const texts[N_FIELDS],
              const gsize        lengths[N_FIELDS])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  feed_text (checksum, FORMAT_VERSION, strlen (FORMAT_VERSION));
  feed_tagged_u64 (checksum, 'I', (guint64) id);
  feed_tagged_u64 (checksum, 'I', (guint64) at_us);
  for (guint i = 0; i < N_FIELDS; i++)
    feed_text (checksum, texts[i], lengths[i]);

  return g_strdup (g_checksum_get_string (checksum));
}

static gboolean
check_text (const char  *name,
            const char  *value,
            gboolean     required,
            GError     **error)
{
  if (required && (value == NULL || *value == '\0'))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "An audit entry needs a non-empty %s", name);
      return FALSE;
    }

  /* Entries are served as JSON, which must be valid UTF-8. */
  if (value != NULL && !g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The audit entry's %s is not valid UTF-8", name);
      return FALSE;
    }

  return TRUE;
}

static char *
serialise_details (JsonObject *details)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, details);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static gboolean
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    return sqlite3_bind_null (stmt, index) == SQLITE_OK;
  return sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT) == SQLITE_OK;
}

static gboolean
read_chain_end (VigilDb  *db,
                gint64   *out_last_id,
                char    **out_last_hash,
                GError  **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = vigil_db_prepare (db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      *out_last_id = 0;
      *out_last_hash = g_strdup (ZERO_HASH);
    }
  else if (rc == SQLITE_ROW)
    {
      *out_last_id = sqlite3_column_int64 (stmt, 0);
      *out_last_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  else
    {
      vigil_db_set_error (db, error, "Cannot read the end of the audit log");
      sqlite3_reset (stmt);
      return FALSE;
    }

  sqlite3_reset (stmt);

  /* Only a damaged table gets here: hash is NOT NULL, ids are positive. */
  if (*out_last_hash == NULL || *out_last_id < 0 || *out_last_id == G_MAXINT64)
    {
      g_clear_pointer (out_last_hash, g_free);
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE,
                   "The last audit entry (%" G_GINT64_FORMAT ") cannot be extended",
                   *out_last_id);
      return FALSE;
    }

  return TRUE;
}

static gboolean
append_entry (VigilDb     *db,
              gint64       at_us,
              const char  *actor,
              const char  *action,
              const char  *target,
              const char  *client_address,
              const char  *details,
              GError     **error)
{
  g_autofree char *prev_hash = NULL;
  g_autofree char *hash = NULL;
  const char *texts[N_FIELDS];
  gsize lengths[N_FIELDS];
  sqlite3_stmt *stmt;
  gint64 last_id;
  gint64 id;

  if (!check_text ("actor", actor, TRUE, error) ||
      !check_text ("action", action, TRUE, error) ||
      !check_text ("target", target, FALSE, error) ||
      !check_text ("client address", client_address, FALSE, error) ||
      !check_text ("details", details, FALSE, error))
    return FALSE;

  if (!read_chain_end (db, &last_id, &prev_hash, error))
    return FALSE;
  /* Chosen here rather than by SQLite, so that the hash covers it. */
  id = last_id + 1;

  texts[FIELD_ACTOR] = actor;
  texts[FIELD_ACTION] = action;
  texts[FIELD_TARGET] = target;
  texts[FIELD_CLIENT_ADDRESS] = client_address;
  texts[FIELD_DETAILS] = details;
  texts[FIELD_PREV_HASH] = prev_hash;
  for (guint i = 0; i < N_FIELDS; i++)
    lengths[i] = texts[i] != NULL ? strlen (texts[i]) : 0;
  hash = compute_hash (id, at_us, texts, lengths);

  stmt = vigil_db_prepare (db,
                           "INSERT INTO audit_log (" ENTRY_COLUMNS ")"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           error);
  if (stmt == NULL)
    return FALSE;

  if (sqlite3_bind_int64 (stmt, 1, id) != SQLITE_OK ||
      sqlite3_bind_int64 (stmt, 2, at_us) != SQLITE_OK ||
      !bind_text (stmt, 3, actor) ||
      !bind_text (stmt, 4, action) ||
      !bind_text (stmt, 5, target) ||
      !bind_text (stmt, 6, client_address) ||
      !bind_text (stmt, 7, details) ||
      !bind_text (stmt, 8, prev_hash) ||
      !bind_text (stmt, 9, hash))
    {
      vigil_db_set_error (db, error, "Cannot bind an audit entry");
      return FALSE;
    }

  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_audit_append_in_transaction (VigilDb     *db,
                                   gint64       at_us,
                                   const char  *actor,
                                   const char  *action,
                                   const char  *target,
                                   const char  *client_address,
                                   JsonObject  *details,
                                   GError     **error)
{
  g_autofree char *details_text = NULL;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  /* Outside a transaction another connection could append between our
   * read of the chain's end and our insert, forking the chain. */
  g_return_val_if_fail (!sqlite3_get_autocommit (vigil_db_get_handle (db)), FALSE);

  if (details != NULL)
    details_text = serialise_details (details);

  return append_entry (db, at_us, actor, action, target, client_address, details_text, error);
}

static void
append_data_free (gpointer user_data)
{
  AppendData *data = user_data;

  g_free (data->actor);
  g_free (data->action);
  g_free (data->target);
  g_free (data->client_address);
  g_free (data->details);
  g_free (data);
}

static gboolean
append_write (VigilDb   *db,
              gpointer   user_data,
              GError   **error)
{
  AppendData *data = user_data;

  return append_entry (db, data->at_us, data->actor, data->action, data->target,
                       data->client_address, data->details, error);
}

static void
on_append_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!vigil_store_write_finish (g_task_get_source_object (task), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
vigil_audit_append_async (VigilStore          *store,
                          gint64               at_us,
                          const char          *actor,
                          const char          *action,
                          const char          *target,
                          const char          *client_address,
                          JsonObject          *details,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  AppendData *data;

  g_return_if_fail (VIGIL_IS_STORE (store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* Holding the store is safe here, unlike in the store's own tasks: this
   * task is only ever released on the caller's main context. */
  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_audit_append_async);
  /* Like the store: once committed, the entry is reported as written. */
  g_task_set_check_cancellable (task, FALSE);

  /* The caller may free its strings and details as soon as we return, and
   * JSON objects are not for sharing across threads. */
  data = g_new0 (AppendData, 1);
  data->at_us = at_us;
  data->actor = g_strdup (actor);
  data->action = g_strdup (action);
  data->target = g_strdup (target);
  data->client_address = g_strdup (client_address);
  data->details = details != NULL ? serialise_details (details) : NULL;

  vigil_store_write_async (store, append_write, data, append_data_free, cancellable,
                           on_append_written, g_steal_pointer (&task));
}

gboolean
vigil_audit_append_finish (VigilStore    *store,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (VIGIL_IS_STORE (store), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_audit_append_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
verify_data_free (gpointer user_data)
{
  VerifyData *data = user_data;

  g_clear_pointer (&data->db, vigil_db_free);
  g_free (data);
}

static void
mark_broken (VigilAuditVerification *verification,
             gint64                  broken_id,
             char                   *reason)
{
  verification->first_broken_id = broken_id;
  verification->reason = reason;
}

/* Checks one row against its predecessor. Returns FALSE, with the break
 * recorded in @verification, when the chain does not hold at this row. */
static gboolean
verify_row (sqlite3_stmt            *stmt,
            gint64                   previous_id,
            char                   **previous_hash,
            VigilAuditVerification  *verification)
{
  gint64 id = sqlite3_column_int64 (stmt, 0);
  gint64 expected_id = previous_id + 1;
  const char *texts[N_FIELDS];
  gsize lengths[N_FIELDS];
  const char *stored_hash;
  g_autofree char *hash = NULL;

  if (id > expected_id)
    {
      mark_broken (verification, expected_id,
                   g_strdup_printf ("entry %" G_GINT64_FORMAT " is missing", expected_id));
      return FALSE;
    }
  if (id < expected_id)
    {
      /* Only a first row with an id below 1 sorts before its place. */
      mark_broken (verification, expected_id,
                   g_strdup_printf ("entry %" G_GINT64_FORMAT " precedes the start of the chain", id));
      return FALSE;
    }

  for (guint i = 0; i < N_FIELDS; i++)
    {
      /* Text first, then its length, as SQLite's documentation asks. */
      texts[i] = (const char *) sqlite3_column_text (stmt, FIRST_TEXT_COLUMN + i);
      lengths[i] = (gsize) sqlite3_column_bytes (stmt, FIRST_TEXT_COLUMN + i);
    }
  hash = compute_hash (id, sqlite3_column_int64 (stmt, 1), texts, lengths);
  stored_hash = (const char *) sqlite3_column_text (stmt, HASH_COLUMN);

  /* A time stored as anything but an integer reads back as some integer,
   * which could match the hash although the row changed. */
  if (sqlite3_column_type (stmt, 1) != SQLITE_INTEGER ||
      stored_hash == NULL || strcmp (stored_hash, hash) != 0)
    {
      mark_broken (verification, id,
                   g_strdup_printf ("entry %" G_GINT64_FORMAT " was altered", id));
      return FALSE;
    }

  if (texts[FIELD_PREV_HASH] == NULL || strcmp (texts[FIELD_PREV_HASH], *previous_hash) != 0)
    {
      if (previous_id == 0)
        mark_broken (verification, id,
                     g_strdup_printf ("entry %" G_GINT64_FORMAT " does not start the chain", id));
      else
        mark_broken (verification, id,
                     g_strdup_printf ("entry %" G_GINT64_FORMAT " does not follow entry %" G_GINT64_FORMAT,
                                      id, previous_id));
      return FALSE;
    }

  g_free (*previous_hash);
  *previous_hash = g_steal_pointer (&hash);
  verification->verified_up_to = id;
  return TRUE;
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyData *data = task_data;
  /* Freed on this thread when the walk ends, not whenever the task goes. */
  g_autoptr(VigilDb) db = g_steal_pointer (&data->db);
  g_autoptr(VigilAuditVerification) verification = g_new0 (VigilAuditVerification, 1);
  g_autofree char *previous_hash = g_strdup (ZERO_HASH);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  /* One statement is one read transaction: the walk sees a single snapshot
   * while the writer keeps appending. */
  stmt = vigil_db_prepare (db, "SELECT " ENTRY_COLUMNS " FROM audit_log ORDER BY id", &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      verification->entries++;

      if (verification->entries % VERIFY_CANCEL_CHECK_ROWS == 0 &&
          g_cancellable_set_error_if_cancelled (cancellable, &error))
        {
          sqlite3_reset (stmt);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      /* Everything after a break is unanchored, so the walk stops there. */
      if (!verify_row (stmt, verification->verified_up_to, &previous_hash, verification))
        break;
    }

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, &error, "Cannot read the audit log");
      sqlite3_reset (stmt);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  sqlite3_reset (stmt);
  g_task_return_pointer (task, g_steal_pointer (&verification),
                         (GDestroyNotify) vigil_audit_verification_free);
}

void
vigil_audit_verify_async (VigilStore          *store,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  VerifyData *data;
  GError *error = NULL;
  VigilDb *db;

  g_return_if_fail (VIGIL_IS_STORE (store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* No source object: the worker thread may drop the task's last reference
   * after the callback ran, and must not finalize the store there. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_audit_verify_async);

  db = vigil_store_open_reader (store, &error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (VerifyData, 1);
  data->db = db;
  g_task_set_task_data (task, data, verify_data_free);
  g_task_run_in_thread (task, verify_thread);
}

VigilAuditVerification *
vigil_audit_verify_finish (VigilStore    *store,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_audit_verify_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
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

GPtrArray *
vigil_audit_list_recent (VigilStore  *store,
                         guint        limit,
                         GError     **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  VigilDb *db;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  db = vigil_store_get_reader (store);
  g_return_val_if_fail (db != NULL, NULL);

  stmt = vigil_db_prepare (db, "SELECT " ENTRY_COLUMNS " FROM audit_log ORDER BY id DESC LIMIT ?1", error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_bind_int64 (stmt, 1, limit) != SQLITE_OK)
    {
      vigil_db_set_error (db, error, "Cannot bind the audit log's limit");
      return NULL;
    }

  entries = g_ptr_array_new_full (MIN (limit, 1024), (GDestroyNotify) vigil_audit_entry_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, entry_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Cannot read the audit log");
      sqlite3_reset (stmt);
      return NULL;
    }

  /* A statement left open would pin the reader's snapshot. */
  sqlite3_reset (stmt);
  return g_steal_pointer (&entries);
}
