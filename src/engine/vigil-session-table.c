/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQL for the sessions and events tables. */
#define G_LOG_DOMAIN "vigil-sessions"

#include "config.h"

#include "vigil-error.h"
#include "vigil-session-table.h"

#define SESSION_COLUMNS \
  "id, user_id, device_id, state, started_at, ended_at, end_reason, kind, claimed_user," \
  " event_count, last_event_at, final_decision, log_path, risk_score"

static void
bind_nullable (sqlite3_stmt *stmt,
               int           index,
               const char   *value)
{
  if (value != NULL)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

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
                           "INSERT INTO sessions (id, user_id, device_id, context, state, started_at, kind)"
                           " VALUES (?1, ?2, ?3, ?4, 'active', ?5, 'authenticated')",
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
  bind_nullable (stmt, 3, device_id);
  bind_nullable (stmt, 4, context_text);
  sqlite3_bind_int64 (stmt, 5, started_at_us);
  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_session_table_insert_stream (VigilDb     *db,
                                   const char  *session_id,
                                   const char  *claimed_user,
                                   gint64       started_at_us,
                                   GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "INSERT INTO sessions (id, claimed_user, state, started_at, kind)"
                           " VALUES (?1, ?2, 'active', ?3, 'stream')",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  bind_nullable (stmt, 2, claimed_user);
  sqlite3_bind_int64 (stmt, 3, started_at_us);
  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_session_table_finish (VigilDb            *db,
                            const char         *session_id,
                            VigilSessionState   final_state,
                            const char         *reason,
                            const char         *final_decision,
                            gint64              ended_at_us,
                            GError            **error)
{
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "UPDATE sessions SET state = ?2, ended_at = ?3, end_reason = ?4,"
                           "  final_decision = coalesce (?5, final_decision)"
                           " WHERE id = ?1 AND ended_at IS NULL",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_session_state_to_string (final_state), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, ended_at_us);
  bind_nullable (stmt, 4, reason);
  bind_nullable (stmt, 5, final_decision);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;
  return sqlite3_changes (vigil_db_get_handle (db)) == 1;
}

gboolean
vigil_session_table_set_state (VigilDb            *db,
                               const char         *session_id,
                               VigilSessionState   state,
                               GError            **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "UPDATE sessions SET state = ?2 WHERE id = ?1 AND ended_at IS NULL",
                                         error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_session_state_to_string (state), -1, SQLITE_STATIC);
  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_session_table_set_log_path (VigilDb     *db,
                                  const char  *session_id,
                                  const char  *log_path,
                                  GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "UPDATE sessions SET log_path = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, log_path, -1, SQLITE_TRANSIENT);
  return vigil_db_step_done (db, stmt, error);
}

static VigilSessionInfo *
info_from_row (sqlite3_stmt *stmt)
{
  VigilSessionInfo *info = g_new0 (VigilSessionInfo, 1);

  info->id = column_text (stmt, 0);
  info->user_id = column_text (stmt, 1);
  info->device_id = column_text (stmt, 2);
  info->state = column_text (stmt, 3);
  info->started_at_us = sqlite3_column_int64 (stmt, 4);
  info->ended_at_us = sqlite3_column_int64 (stmt, 5);
  info->end_reason = column_text (stmt, 6);
  info->kind = column_text (stmt, 7);
  info->claimed_user = column_text (stmt, 8);
  info->event_count = sqlite3_column_int64 (stmt, 9);
  info->last_event_at_us = sqlite3_column_int64 (stmt, 10);
  info->final_decision = column_text (stmt, 11);
  info->log_path = column_text (stmt, 12);
  info->risk_score = sqlite3_column_double (stmt, 13);
  return info;
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

  info = info_from_row (stmt);
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

GPtrArray *
vigil_session_table_list_open (VigilDb  *db,
                               GError  **error)
{
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_session_info_free);
  sqlite3_stmt *stmt = vigil_db_prepare (db,
                                         "SELECT " SESSION_COLUMNS " FROM sessions WHERE ended_at IS NULL"
                                         " ORDER BY started_at",
                                         error);
  int rc;

  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (sessions, info_from_row (stmt));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Listing open sessions failed");
      return NULL;
    }
  return g_steal_pointer (&sessions);
}

gboolean
vigil_event_table_insert (VigilDb     *db,
                          const char  *session_id,
                          GPtrArray   *events,
                          GError     **error)
{
  sqlite3_stmt *stmt;
  gint64 last_at = 0;

  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);

      stmt = vigil_db_prepare (db,
                               "INSERT INTO events (session_id, seq, received_at, timestamp, event_type, data)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, event->seq);
      sqlite3_bind_int64 (stmt, 3, event->received_at_us);
      bind_nullable (stmt, 4, event->timestamp);
      sqlite3_bind_text (stmt, 5, event->event_type, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, event->data, -1, SQLITE_STATIC);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
      last_at = MAX (last_at, event->received_at_us);
    }

  stmt = vigil_db_prepare (db,
                           "UPDATE sessions SET event_count = event_count + ?2, last_event_at = ?3 WHERE id = ?1",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, events->len);
  sqlite3_bind_int64 (stmt, 3, last_at);
  return vigil_db_step_done (db, stmt, error);
}

GPtrArray *
vigil_event_table_list (VigilDb     *db,
                        const char  *session_id,
                        GError     **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  sqlite3_stmt *stmt = vigil_db_prepare (db,
                                         "SELECT seq, received_at, timestamp, event_type, data FROM events"
                                         " WHERE session_id = ?1 ORDER BY seq",
                                         error);
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilEvent *event = g_atomic_rc_box_new0 (VigilEvent);

      event->session_id = g_strdup (session_id);
      event->seq = sqlite3_column_int64 (stmt, 0);
      event->received_at_us = sqlite3_column_int64 (stmt, 1);
      event->timestamp = column_text (stmt, 2);
      event->event_type = column_text (stmt, 3);
      event->data = column_text (stmt, 4);
      event->size = strlen (event->data);
      g_ptr_array_add (events, event);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading events failed");
      return NULL;
    }
  return g_steal_pointer (&events);
}
