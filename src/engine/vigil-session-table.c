/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQL for the sessions table. */
#define G_LOG_DOMAIN "vigil-sessions"

#include "config.h"

#include "vigil-error.h"
#include "vigil-session-table.h"

#define SESSION_COLUMNS "id, user_id, device_id, state, started_at, ended_at, end_reason"

gboolean
vigil_session_table_insert (VigilDb     *db,
                            const char  *session_id,
                            const char  *user_id,
                            const char  *device_id,
                            JsonObject  *context,
                            gint64       started_at_us,
                            GError     **error)
{
  g_autofree char *context_text = NULL;
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "INSERT INTO sessions (id, user_id, device_id, context, state, started_at)"
                           " VALUES (?1, ?2, ?3, ?4, 'active', ?5)",
                           error);
  if (stmt == NULL)
    return FALSE;

  if (context != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), context);

      context_text = json_to_string (node, FALSE);
    }

  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_TRANSIENT);
  if (device_id != NULL)
    sqlite3_bind_text (stmt, 3, device_id, -1, SQLITE_TRANSIENT);
  if (context_text != NULL)
    sqlite3_bind_text (stmt, 4, context_text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, started_at_us);
  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_session_table_end (VigilDb     *db,
                         const char  *session_id,
                         const char  *reason,
                         gint64       ended_at_us,
                         GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "UPDATE sessions SET state = 'ended', ended_at = ?2, end_reason = ?3"
                           " WHERE id = ?1 AND state != 'ended'",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, ended_at_us);
  sqlite3_bind_text (stmt, 3, reason, -1, SQLITE_TRANSIENT);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;
  return sqlite3_changes (vigil_db_get_handle (db)) == 1;
}

static VigilSessionInfo *
find_one (VigilDb     *db,
          const char  *sql,
          const char  *key,
          GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  VigilSessionInfo *info;
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "No such session");
      else
        vigil_db_set_error (db, error, "Reading a session failed");
      sqlite3_reset (stmt);
      return NULL;
    }

  info = g_new0 (VigilSessionInfo, 1);
  info->id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  info->user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  info->device_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  info->state = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  info->started_at_us = sqlite3_column_int64 (stmt, 4);
  info->ended_at_us = sqlite3_column_int64 (stmt, 5);
  info->end_reason = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  sqlite3_reset (stmt);
  return info;
}

VigilSessionInfo *
vigil_session_table_find (VigilDb     *db,
                          const char  *session_id,
                          GError     **error)
{
  return find_one (db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1", session_id, error);
}

VigilSessionInfo *
vigil_session_table_find_latest (VigilDb     *db,
                                 const char  *user_id,
                                 GError     **error)
{
  return find_one (db,
                   "SELECT " SESSION_COLUMNS " FROM sessions WHERE user_id = ?1"
                   " ORDER BY started_at DESC, rowid DESC LIMIT 1",
                   user_id, error);
}

gboolean
vigil_session_table_count_open (VigilDb  *db,
                                guint    *out_count,
                                GError  **error)
{
  gint64 count = 0;

  if (!vigil_db_query_int (db, "SELECT count(*) FROM sessions WHERE state != 'ended'", &count, error))
    return FALSE;
  *out_count = (guint) count;
  return TRUE;
}
