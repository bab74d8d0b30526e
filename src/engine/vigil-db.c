/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A SQLite connection with a cache of prepared statements keyed by their
 * SQL text, so hot queries are compiled once per connection. */
#define G_LOG_DOMAIN "vigil-db"

#include "config.h"

#include "vigil-db.h"
#include "vigil-error.h"

struct _VigilDb
{
  sqlite3    *handle;
  GHashTable *statements;   /* SQL text → sqlite3_stmt */
  GHashTable *changes;      /* table names written since last taken; NULL: not tracked */
};

static void
finalize_statement (gpointer data)
{
  sqlite3_finalize (data);
}

void
vigil_db_set_error (VigilDb     *db,
                    GError     **error,
                    const char  *what)
{
  int code = db->handle ? sqlite3_extended_errcode (db->handle) : SQLITE_ERROR;

  /* A uniqueness violation is the client's conflict, not a broken store;
   * the message names the column ("UNIQUE constraint failed: users.phone"). */
  g_set_error (error, VIGIL_ERROR,
               code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY
                 ? VIGIL_ERROR_CONFLICT : VIGIL_ERROR_DATABASE,
               "%s: %s", what,
               db->handle ? sqlite3_errmsg (db->handle) : "no connection");
}

VigilDb *
vigil_db_open (const char  *path,
               GError     **error)
{
  g_autoptr(VigilDb) db = g_new0 (VigilDb, 1);
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  db->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_statement);

  /* NOMUTEX: each connection is used by one thread at a time. */
  rc = sqlite3_open_v2 (path, &db->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE,
                   "Cannot open the database %s: %s", path,
                   db->handle ? sqlite3_errmsg (db->handle) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_extended_result_codes (db->handle, 1);
  if (sqlite3_busy_timeout (db->handle, 5000) != SQLITE_OK)
    {
      vigil_db_set_error (db, error, "Cannot set the busy timeout");
      return NULL;
    }

  return g_steal_pointer (&db);
}

void
vigil_db_free (VigilDb *db)
{
  if (db == NULL)
    return;

  /* Statements first: sqlite3_close refuses while any is alive. */
  g_clear_pointer (&db->statements, g_hash_table_unref);
  if (db->handle != NULL && sqlite3_close (db->handle) != SQLITE_OK)
    g_warning ("Closing the database failed: %s", sqlite3_errmsg (db->handle));
  g_clear_pointer (&db->changes, g_hash_table_unref);
  g_free (db);
}

sqlite3 *
vigil_db_get_handle (VigilDb *db)
{
  g_return_val_if_fail (db != NULL, NULL);

  return db->handle;
}

sqlite3_stmt *
vigil_db_prepare (VigilDb     *db,
                  const char  *sql,
                  GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  stmt = g_hash_table_lookup (db->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v3 (db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      vigil_db_set_error (db, error, "Cannot prepare a statement");
      return NULL;
    }

  g_hash_table_insert (db->statements, g_strdup (sql), stmt);
  return stmt;
}

gboolean
vigil_db_exec (VigilDb     *db,
               const char  *sql,
               GError     **error)
{
  char *message = NULL;

  g_return_val_if_fail (db != NULL, FALSE);

  if (sqlite3_exec (db->handle, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE,
                   "%s", message ? message : sqlite3_errmsg (db->handle));
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

gboolean
vigil_db_step_done (VigilDb       *db,
                    sqlite3_stmt  *stmt,
                    GError       **error)
{
  int rc;

  do
    rc = sqlite3_step (stmt);
  while (rc == SQLITE_ROW);

  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "A statement failed");
      sqlite3_reset (stmt);
      return FALSE;
    }

  sqlite3_reset (stmt);
  return TRUE;
}

static sqlite3_stmt *
query_first_row (VigilDb     *db,
                 const char  *sql,
                 GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return stmt;

  if (rc == SQLITE_DONE)
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "The query returned no row");
  else
    vigil_db_set_error (db, error, "A query failed");
  sqlite3_reset (stmt);
  return NULL;
}

gboolean
vigil_db_query_int (VigilDb     *db,
                    const char  *sql,
                    gint64      *out_value,
                    GError     **error)
{
  sqlite3_stmt *stmt = query_first_row (db, sql, error);

  if (stmt == NULL)
    return FALSE;

  *out_value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
vigil_db_query_text (VigilDb     *db,
                     const char  *sql,
                     char       **out_value,
                     GError     **error)
{
  sqlite3_stmt *stmt = query_first_row (db, sql, error);

  if (stmt == NULL)
    return FALSE;

  *out_value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return TRUE;
}

static void
on_update (void          *user_data,
           int            operation,
           const char    *database,
           const char    *table,
           sqlite3_int64  rowid)
{
  VigilDb *db = user_data;

  /* Runs for every row written: allocate only for a table not seen yet. */
  if (!g_hash_table_contains (db->changes, table))
    g_hash_table_add (db->changes, g_strdup (table));
}

static void
on_rollback (void *user_data)
{
  VigilDb *db = user_data;

  g_hash_table_remove_all (db->changes);
}

void
vigil_db_track_changes (VigilDb *db)
{
  g_return_if_fail (db != NULL);
  g_return_if_fail (db->changes == NULL);

  db->changes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_update_hook (db->handle, on_update, db);
  sqlite3_rollback_hook (db->handle, on_rollback, db);
}

void
vigil_db_take_changes (VigilDb    *db,
                       GHashTable *into)
{
  GHashTableIter iter;
  gpointer table;

  g_return_if_fail (db != NULL && db->changes != NULL);

  if (into != NULL)
    {
      g_hash_table_iter_init (&iter, db->changes);
      while (g_hash_table_iter_next (&iter, &table, NULL))
        if (!g_hash_table_contains (into, table))
          g_hash_table_add (into, g_strdup (table));
    }
  g_hash_table_remove_all (db->changes);
}

guint
vigil_db_get_cached_statements (VigilDb *db)
{
  g_return_val_if_fail (db != NULL, 0);

  return g_hash_table_size (db->statements);
}
