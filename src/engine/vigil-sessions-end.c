/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilSessions, continued: ending sessions (state, token, audit, then the
 * JSON log on a worker thread), lifecycle events, sockets, decisions, idle
 * expiry, reading logs, and start-up recovery and shut-down. */
#define G_LOG_DOMAIN "vigil-sessions"

#include "config.h"

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-session-log.h"
#include "vigil-session-private.h"
#include "vigil-session-table.h"
#include "vigil-sessions-private.h"
#include "vigil-token-table.h"

#define SWEEP_INTERVAL_SECONDS 30

/* Ending sessions */

typedef struct
{
  char              *id;
  char              *reason;
  char              *final_decision;
  VigilSessionState  final_state;
  gint64             ended_at_us;
  char              *actor;
  char              *log_path;
} EndData;

static void
end_data_free (EndData *data)
{
  g_free (data->id);
  g_free (data->reason);
  g_free (data->final_decision);
  g_free (data->actor);
  g_free (data->log_path);
  g_free (data);
}

static gboolean
write_end (VigilDb   *db,
           gpointer   user_data,
           GError   **error)
{
  EndData *data = user_data;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autoptr(GError) local_error = NULL;

  json_object_set_string_member (details, "reason", data->reason);
  if (data->final_decision != NULL)
    json_object_set_string_member (details, "final_decision", data->final_decision);

  if (!vigil_session_table_finish (db, data->id, data->final_state, data->reason, data->final_decision,
                                   data->ended_at_us, &local_error) && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* A blocked session's token dies with it. An ended one's stays valid
   * for reads (status, logs), as the seeds' clients expect; writes to an
   * ended session are refused by its state. */
  return (data->final_state != VIGIL_SESSION_BLOCKED ||
          vigil_token_table_revoke (db, NULL, NULL, data->id, NULL, NULL, data->ended_at_us,
                                    "session blocked", error) >= 0) &&
         vigil_audit_append_in_transaction (db, data->ended_at_us, data->actor,
                                            data->final_state == VIGIL_SESSION_BLOCKED ? "session.blocked"
                                                                                       : "session.ended",
                                            data->id, NULL, details, error);
}

static gboolean
write_log_path (VigilDb   *db,
                gpointer   user_data,
                GError   **error)
{
  EndData *data = user_data;

  return vigil_session_table_set_log_path (db, data->id, data->log_path, error);
}

static void
finish_waiters (VigilSessions *self,
                EndData       *data,
                const GError  *error)
{
  g_autoptr(GPtrArray) waiters = NULL;
  g_autofree char *key = NULL;

  if (!g_hash_table_steal_extended (self->ending, data->id, (gpointer *) &key, (gpointer *) &waiters))
    return;

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_pointer (task, g_strdup (data->log_path), g_free);
    }
}

static void
on_log_path_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilSessions *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  vigil_store_write_finish (self->store, result, &error);
  finish_waiters (self, g_task_get_task_data (task), error);
}

static void
write_log_in_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  VigilSessions *self = source_object;
  EndData *data = task_data;
  g_autoptr(VigilDb) db = NULL;
  g_autoptr(GError) error = NULL;
  char *path;

  db = vigil_store_open_reader (self->store, &error);
  path = db ? vigil_session_log_write (db, self->logs_dir, data->id, data->ended_at_us, TRUE, &error) : NULL;
  if (path == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, path, g_free);

  g_mutex_lock (&self->log_jobs_lock);
  if (--self->log_jobs == 0)
    g_cond_broadcast (&self->log_jobs_done);
  g_mutex_unlock (&self->log_jobs_lock);
}

static void
on_log_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilSessions *self = g_task_get_source_object (task);
  EndData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->log_path = g_task_propagate_pointer (G_TASK (result), &error);

  /* Shut-down wrote it meanwhile and answered the waiters. */
  if (!g_hash_table_contains (self->ending, data->id))
    return;

  if (data->log_path == NULL)
    {
      g_warning ("The log of session %s could not be written: %s", data->id, error->message);
      finish_waiters (self, data, error);
      return;
    }

  vigil_store_write_async (self->store, write_log_path, data, NULL, NULL,
                           on_log_path_written, g_object_ref (task));
}

static void
start_log_job (VigilSessions *self,
               GTask         *task)
{
  g_autoptr(GTask) job = g_task_new (self, NULL, on_log_written, g_object_ref (task));

  g_task_set_task_data (job, g_task_get_task_data (task), NULL);
  g_mutex_lock (&self->log_jobs_lock);
  self->log_jobs++;
  g_mutex_unlock (&self->log_jobs_lock);
  g_task_run_in_thread (job, write_log_in_thread);
}

static void
on_end_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilSessions *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      finish_waiters (self, g_task_get_task_data (task), error);
      return;
    }

  /* Committed: every event acknowledged before the end is in the store,
   * so the log has them all. */
  start_log_job (self, task);
}

/* Ends @session_id; @waiter (nullable) learns the log path. */
static void
end_session (VigilSessions     *self,
             const char        *session_id,
             VigilSessionState  final_state,
             const char        *reason,
             const char        *final_decision,
             const char        *actor,
             GTask             *waiter)
{
  VigilSession *session = vigil_sessions_lookup (self, session_id);
  g_autoptr(GTask) task = NULL;
  GPtrArray *waiters;
  EndData *data;

  waiters = g_hash_table_lookup (self->ending, session_id);
  if (waiters != NULL)
    {
      if (waiter != NULL)
        g_ptr_array_add (waiters, g_object_ref (waiter));
      return;
    }

  g_return_if_fail (session != NULL);

  data = g_new0 (EndData, 1);
  data->id = g_strdup (session_id);
  data->reason = g_strdup (reason);
  data->final_decision = g_strdup (final_decision);
  data->final_state = final_state;
  data->ended_at_us = vigil_clock_now_us (self->clock);
  data->actor = g_strdup (actor ? actor : vigil_session_get_user_id (session) ? vigil_session_get_user_id (session)
                                                                              : "system");

  waiters = g_ptr_array_new_with_free_func (g_object_unref);
  if (waiter != NULL)
    g_ptr_array_add (waiters, g_object_ref (waiter));
  g_hash_table_insert (self->ending, g_strdup (session_id), waiters);

  if (self->end_hook != NULL)
    self->end_hook (session, reason, self->end_hook_data);

  /* Closed at once for new work; sockets hear "ended" now. */
  g_object_ref (session);
  g_hash_table_remove (self->open, session_id);
  _vigil_sessions_update_active_count (self);
  _vigil_session_finish (session, final_state, reason, data->ended_at_us);
  vigil_event_bus_post_session (self->bus, session);
  g_object_unref (session);

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) end_data_free);
  vigil_store_write_async (self->store, write_end, data, NULL, NULL, on_end_written, g_object_ref (task));
}

static void
on_ended_quietly (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = vigil_sessions_end_finish (VIGIL_SESSIONS (source), result, &error);

  if (path == NULL && !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    g_warning ("Ending a session failed: %s", error->message);
}

static void
end_quietly (VigilSessions     *self,
             const char        *session_id,
             VigilSessionState  final_state,
             const char        *reason)
{
  g_autoptr(GTask) waiter = g_task_new (self, NULL, on_ended_quietly, NULL);

  g_task_set_source_tag (waiter, vigil_sessions_end_async);
  end_session (self, session_id, final_state, reason, NULL, NULL, waiter);
}

void
vigil_sessions_end_async (VigilSessions       *self,
                          const char          *session_id,
                          const char          *reason,
                          const char          *final_decision,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(VigilSessionInfo) stored = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (VIGIL_IS_SESSIONS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_sessions_end_async);

  if (session_id != NULL &&
      (vigil_sessions_lookup (self, session_id) != NULL || g_hash_table_contains (self->ending, session_id)))
    {
      end_session (self, session_id, VIGIL_SESSION_ENDED, reason ? reason : "ended", final_decision, NULL, task);
      return;
    }

  /* Already over: answer where its log is. */
  stored = session_id ? vigil_session_table_find (vigil_store_get_reader (self->store), session_id, &error) : NULL;
  if (stored == NULL)
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Session not found");
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    g_task_return_pointer (task, g_strdup (stored->log_path), g_free);
}

char *
vigil_sessions_end_finish (VigilSessions  *self,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_vigil_sessions_end_matching (VigilSessions *self,
                              const char    *user_id,
                              const char    *device_id,
                              const char    *reason)
{
  g_autoptr(GPtrArray) sessions = vigil_sessions_list_open (self);

  for (guint i = 0; i < sessions->len; i++)
    {
      VigilSession *session = g_ptr_array_index (sessions, i);

      if (g_strcmp0 (vigil_session_get_user_id (session), user_id) == 0 &&
          (device_id == NULL || g_strcmp0 (vigil_session_get_device_id (session), device_id) == 0))
        end_quietly (self, vigil_session_get_id (session), VIGIL_SESSION_ENDED, reason);
    }
}

/* Lifecycle, sockets and decisions */

static VigilSession *
require_open (VigilSessions  *self,
              const char     *session_id,
              GError        **error)
{
  VigilSession *session = vigil_sessions_lookup (self, session_id);
  g_autoptr(VigilSessionInfo) stored = NULL;

  if (session != NULL)
    return session;

  stored = session_id ? vigil_session_table_find (vigil_store_get_reader (self->store), session_id, NULL) : NULL;
  if (stored == NULL)
    g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Session not found");
  else
    g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "Session has ended");
  return NULL;
}

gboolean
vigil_sessions_lifecycle (VigilSessions        *self,
                          const char           *session_id,
                          VigilLifecycleEvent   event,
                          gboolean             *out_terminated,
                          GError              **error)
{
  VigilSession *session;
  const char *reason = NULL;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), FALSE);

  session = require_open (self, session_id, error);
  if (session == NULL)
    return FALSE;

  _vigil_session_touch (session, vigil_clock_now_us (self->clock));
  switch (event)
    {
    case VIGIL_LIFECYCLE_APP_BACKGROUND:
      _vigil_session_set_backgrounded (session, TRUE);
      break;
    case VIGIL_LIFECYCLE_APP_FOREGROUND:
      _vigil_session_set_backgrounded (session, FALSE);
      break;
    case VIGIL_LIFECYCLE_APP_CLOSE:
      reason = "app_close";
      break;
    case VIGIL_LIFECYCLE_USER_LOGOUT:
      reason = "user_logout";
      break;
    case VIGIL_LIFECYCLE_FORCE_CLOSE:
      reason = "force_close";
      break;
    default:
      g_assert_not_reached ();
    }

  if (reason != NULL)
    end_quietly (self, session_id, VIGIL_SESSION_ENDED, reason);
  else
    vigil_event_bus_post_session (self->bus, session);

  if (out_terminated != NULL)
    *out_terminated = reason != NULL;
  return TRUE;
}

void
vigil_sessions_socket_attached (VigilSessions *self,
                                VigilSession  *session)
{
  g_return_if_fail (VIGIL_IS_SESSIONS (self));

  _vigil_session_add_socket (session, 1);
  _vigil_session_touch (session, vigil_clock_now_us (self->clock));
}

void
vigil_sessions_socket_detached (VigilSessions *self,
                                VigilSession  *session)
{
  g_return_if_fail (VIGIL_IS_SESSIONS (self));

  if (_vigil_session_add_socket (session, -1) > 0)
    return;

  /* A backgrounded app may drop its socket and come back. */
  if (vigil_sessions_lookup (self, vigil_session_get_id (session)) == session &&
      !vigil_session_get_backgrounded (session))
    end_quietly (self, vigil_session_get_id (session), VIGIL_SESSION_ENDED, VIGIL_END_REASON_DISCONNECT);
}

gboolean
vigil_sessions_block (VigilSessions  *self,
                      const char     *session_id,
                      const char     *reason,
                      GError        **error)
{
  VigilSession *session;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), FALSE);

  session = require_open (self, session_id, error);
  if (session == NULL)
    return FALSE;

  /* Sockets push session_blocked before the session is closed. */
  _vigil_session_emit_blocked (session, reason ? reason : "Suspicious behaviour");
  end_quietly (self, session_id, VIGIL_SESSION_BLOCKED, VIGIL_END_REASON_BLOCKED);
  return TRUE;
}

typedef struct
{
  char              *id;
  VigilSessionState  state;
} StateData;

static gboolean
write_state (VigilDb   *db,
             gpointer   user_data,
             GError   **error)
{
  StateData *data = user_data;

  return vigil_session_table_set_state (db, data->id, data->state, error);
}

static void
state_data_free (StateData *data)
{
  g_free (data->id);
  g_free (data);
}

gboolean
vigil_sessions_require_mpin (VigilSessions  *self,
                             const char     *session_id,
                             GError        **error)
{
  VigilSession *session;
  StateData *data;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), FALSE);

  session = require_open (self, session_id, error);
  if (session == NULL)
    return FALSE;

  _vigil_session_set_state (session, VIGIL_SESSION_MONITOR);
  _vigil_session_emit_mpin_required (session);
  vigil_event_bus_post_session (self->bus, session);

  data = g_new0 (StateData, 1);
  data->id = g_strdup (session_id);
  data->state = VIGIL_SESSION_MONITOR;
  vigil_store_write_async (self->store, write_state, data, (GDestroyNotify) state_data_free, NULL,
                           _vigil_sessions_on_background_write, g_object_ref (self->store));
  return TRUE;
}

guint
vigil_sessions_expire_idle (VigilSessions *self)
{
  g_autoptr(GPtrArray) sessions = NULL;
  gint64 limit_us, now_us;
  guint ended = 0;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), 0);

  now_us = vigil_clock_now_us (self->clock);
  limit_us = (gint64) self->limits.idle_seconds * G_USEC_PER_SEC;
  sessions = vigil_sessions_list_open (self);
  for (guint i = 0; i < sessions->len; i++)
    {
      VigilSession *session = g_ptr_array_index (sessions, i);

      if (now_us - vigil_session_get_last_activity (session) >= limit_us)
        {
          end_quietly (self, vigil_session_get_id (session), VIGIL_SESSION_ENDED, VIGIL_END_REASON_IDLE);
          ended++;
        }
    }
  return ended;
}

static gboolean
on_sweep (gpointer user_data)
{
  vigil_sessions_expire_idle (user_data);
  return G_SOURCE_CONTINUE;
}

/* Reading logs */

typedef struct
{
  char   *session_id;
  gint64  now_us;       /* "uploaded_at" of a log built while open */
} LogRequest;

static void
log_request_free (LogRequest *request)
{
  g_free (request->session_id);
  g_free (request);
}

static void
read_log_in_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  VigilSessions *self = source_object;
  LogRequest *request = task_data;
  const char *session_id = request->session_id;
  g_autoptr(VigilDb) db = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *log;

  db = vigil_store_open_reader (self->store, &error);
  info = db ? vigil_session_table_find (db, session_id, &error) : NULL;
  if (info == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (info->log_path != NULL && json_parser_load_from_mapped_file (parser, info->log_path, &error))
    {
      g_object_set_data_full (G_OBJECT (task), "vigil-log-path", g_strdup (info->log_path), g_free);
      g_task_return_pointer (task, json_node_copy (json_parser_get_root (parser)), (GDestroyNotify) json_node_unref);
      return;
    }
  if (info->log_path != NULL)
    g_warning ("The log file of session %s cannot be read (%s); rebuilding it from the store",
               session_id, error->message);

  log = vigil_session_log_build (db, session_id, request->now_us, &error);
  if (log == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, log, (GDestroyNotify) json_node_unref);
}

void
vigil_sessions_read_log_async (VigilSessions       *self,
                               const char          *session_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LogRequest *request;

  g_return_if_fail (VIGIL_IS_SESSIONS (self));
  g_return_if_fail (session_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_sessions_read_log_async);
  request = g_new0 (LogRequest, 1);
  request->session_id = g_strdup (session_id);
  request->now_us = vigil_clock_now_us (self->clock);
  g_task_set_task_data (task, request, (GDestroyNotify) log_request_free);
  g_task_run_in_thread (task, read_log_in_thread);
}

JsonNode *
vigil_sessions_read_log_finish (VigilSessions  *self,
                                GAsyncResult   *result,
                                char          **out_path,
                                GError        **error)
{
  JsonNode *log;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  log = g_task_propagate_pointer (G_TASK (result), error);
  if (out_path != NULL)
    *out_path = log ? g_strdup (g_object_get_data (G_OBJECT (result), "vigil-log-path")) : NULL;
  return log;
}

/* Start-up and shut-down */

/* A previous run stopped without ending these (a crash, a kill): end them
 * now, synchronously, before anything is served. */
static gboolean
close_open_rows (VigilSessions  *self,
                 const char     *reason,
                 GError        **error)
{
  VigilDb *db = vigil_store_get_reader (self->store);
  g_autoptr(GPtrArray) open = vigil_session_table_list_open (db, error);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  gint64 now_us = vigil_clock_now_us (self->clock);

  if (open == NULL)
    return FALSE;
  if (open->len == 0)
    return TRUE;

  /* All of them in one transaction, then their logs with one flush to
   * disk, then the paths in one more: a thousand sessions take moments,
   * not a thousand fsyncs. */
  if (!vigil_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < open->len; i++)
    {
      VigilSessionInfo *info = g_ptr_array_index (open, i);
      EndData data = {
        .id = info->id,
        .reason = (char *) reason,
        .final_state = VIGIL_SESSION_ENDED,
        .ended_at_us = now_us,
        .actor = (char *) "system",
      };

      if (!write_end (db, &data, error))
        {
          if (!vigil_db_exec (db, "ROLLBACK", NULL))
            g_warning ("Rolling back the end of open sessions failed");
          return FALSE;
        }
    }
  if (!vigil_db_exec (db, "COMMIT", error))
    return FALSE;

  for (guint i = 0; i < open->len; i++)
    {
      VigilSessionInfo *info = g_ptr_array_index (open, i);
      char *path = vigil_session_log_write (db, self->logs_dir, info->id, now_us, FALSE, error);

      if (path == NULL)
        return FALSE;
      g_ptr_array_add (paths, path);
    }
  vigil_session_log_sync (self->logs_dir);

  if (!vigil_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < open->len; i++)
    {
      VigilSessionInfo *info = g_ptr_array_index (open, i);

      if (!vigil_session_table_set_log_path (db, info->id, g_ptr_array_index (paths, i), error))
        {
          if (!vigil_db_exec (db, "ROLLBACK", NULL))
            g_warning ("Rolling back the log paths of ended sessions failed");
          return FALSE;
        }
    }
  if (!vigil_db_exec (db, "COMMIT", error))
    return FALSE;

  g_info ("Ended %u sessions: %s", open->len, reason);
  return TRUE;
}

VigilSessions *
_vigil_sessions_new (VigilStore                *store,
                     VigilClock                *clock,
                     VigilMetrics              *metrics,
                     VigilEventBus             *bus,
                     const char                *data_dir,
                     const VigilSessionLimits  *limits,
                     GError                   **error)
{
  g_autoptr(VigilSessions) self = g_object_new (VIGIL_TYPE_SESSIONS, NULL);

  self->store = g_object_ref (store);
  self->clock = vigil_clock_ref (clock);
  self->metrics = g_object_ref (metrics);
  self->bus = g_object_ref (bus);
  self->limits = *limits;
  self->logs_dir = g_build_filename (data_dir, "behavior-logs", "logs", NULL);

  vigil_session_log_remove_partials (self->logs_dir);
  if (!close_open_rows (self, VIGIL_END_REASON_SERVER_RESTART, error))
    return NULL;

  _vigil_sessions_update_active_count (self);
  self->sweep_id = g_timeout_add_seconds (SWEEP_INTERVAL_SECONDS, on_sweep, self);
  return g_steal_pointer (&self);
}

/* Ends whose state committed but whose log is not written yet. */
static void
write_pending_logs (VigilSessions *self)
{
  VigilDb *db = vigil_store_get_reader (self->store);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->ending);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *waiters = value;
      g_autoptr(GError) error = NULL;
      g_autofree char *path = vigil_session_log_write (db, self->logs_dir, key, vigil_clock_now_us (self->clock),
                                                       TRUE, &error);

      if (path != NULL && !vigil_session_table_set_log_path (db, key, path, &error))
        g_clear_pointer (&path, g_free);
      if (path == NULL)
        g_warning ("The log of session %s could not be written at shut-down: %s",
                   (const char *) key, error->message);

      for (guint i = 0; i < waiters->len; i++)
        {
          if (path != NULL)
            g_task_return_pointer (g_ptr_array_index (waiters, i), g_strdup (path), g_free);
          else
            g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
        }
      g_hash_table_iter_remove (&iter);
    }
}

void
_vigil_sessions_shutdown (VigilSessions *self)
{
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->shut_down || self->store == NULL || vigil_store_is_closed (self->store))
    return;
  self->shut_down = TRUE;

  /* A clean stop: what was acknowledged is committed, every open session
   * ends now with its log written, and nothing is left for recovery. */
  vigil_store_flush (self->store);
  g_mutex_lock (&self->log_jobs_lock);
  while (self->log_jobs > 0)
    g_cond_wait (&self->log_jobs_done, &self->log_jobs_lock);
  g_mutex_unlock (&self->log_jobs_lock);

  g_hash_table_iter_init (&iter, self->open);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    _vigil_session_finish (value, VIGIL_SESSION_ENDED, VIGIL_END_REASON_SHUTDOWN, vigil_clock_now_us (self->clock));
  g_hash_table_remove_all (self->open);
  _vigil_sessions_update_active_count (self);

  if (!close_open_rows (self, VIGIL_END_REASON_SHUTDOWN, &error))
    g_warning ("Ending the open sessions at shut-down failed: %s", error->message);
  write_pending_logs (self);
}
