/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilSessions: every behavioral session, live while open and in the
 * store always. Events are sequenced here on the main context, committed
 * by the store's writer in arrival order, and only then acknowledged,
 * recorded in the live buffer and announced on the event bus. */
#define G_LOG_DOMAIN "vigil-sessions"

#include "config.h"

#include <glib/gstdio.h>

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-session-log.h"
#include "vigil-session-private.h"
#include "vigil-session-table.h"
#include "vigil-sessions-private.h"
#include "vigil-token-table.h"

#define MAX_SESSION_ID_LENGTH 128


G_DEFINE_FINAL_TYPE (VigilSessions, vigil_sessions, G_TYPE_OBJECT)

static void
vigil_sessions_dispose (GObject *object)
{
  VigilSessions *self = VIGIL_SESSIONS (object);

  _vigil_sessions_shutdown (self);
  g_clear_pointer (&self->open, g_hash_table_unref);
  g_clear_pointer (&self->ending, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->metrics);
  g_clear_object (&self->bus);
  g_clear_pointer (&self->clock, vigil_clock_unref);

  G_OBJECT_CLASS (vigil_sessions_parent_class)->dispose (object);
}

static void
vigil_sessions_finalize (GObject *object)
{
  VigilSessions *self = VIGIL_SESSIONS (object);

  g_free (self->logs_dir);
  g_mutex_clear (&self->log_jobs_lock);
  g_cond_clear (&self->log_jobs_done);

  G_OBJECT_CLASS (vigil_sessions_parent_class)->finalize (object);
}

static void
vigil_sessions_class_init (VigilSessionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_sessions_dispose;
  object_class->finalize = vigil_sessions_finalize;
}

static void
vigil_sessions_init (VigilSessions *self)
{
  self->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->ending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  g_mutex_init (&self->log_jobs_lock);
  g_cond_init (&self->log_jobs_done);
}

gboolean
vigil_lifecycle_event_from_string (const char          *text,
                                   VigilLifecycleEvent *out_event)
{
  static const struct { const char *name; VigilLifecycleEvent event; } names[] = {
    { "app_close", VIGIL_LIFECYCLE_APP_CLOSE },
    { "app_background", VIGIL_LIFECYCLE_APP_BACKGROUND },
    { "app_foreground", VIGIL_LIFECYCLE_APP_FOREGROUND },
    { "user_logout", VIGIL_LIFECYCLE_USER_LOGOUT },
    { "force_close", VIGIL_LIFECYCLE_FORCE_CLOSE },
  };

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (text, names[i].name))
      {
        *out_event = names[i].event;
        return TRUE;
      }
  return FALSE;
}

void
_vigil_sessions_update_active_count (VigilSessions *self)
{
  vigil_metrics_set_active_sessions (self->metrics, g_hash_table_size (self->open));
}

static VigilSession *
track (VigilSessions *self,
       VigilSession  *session)
{
  g_hash_table_replace (self->open, g_strdup (vigil_session_get_id (session)), session);
  _vigil_sessions_update_active_count (self);
  vigil_event_bus_post_session (self->bus, session);
  return session;
}

gsize
vigil_sessions_get_max_message_bytes (VigilSessions *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), 0);
  return self->limits.max_message_bytes;
}

guint
vigil_sessions_get_max_batch_events (VigilSessions *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), 0);
  return self->limits.max_batch_events;
}

guint
vigil_sessions_get_idle_seconds (VigilSessions *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), 0);
  return self->limits.idle_seconds;
}

gboolean
vigil_sessions_set_idle_seconds (VigilSessions  *self,
                                 guint           idle_seconds,
                                 GError        **error)
{
  g_autoptr(JsonObject) details = NULL;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The engine options' rule and message. */
  if (idle_seconds == 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "Attempt limits, token lifetimes and rate limits must be positive");
      return FALSE;
    }
  if (idle_seconds == self->limits.idle_seconds)
    return TRUE;

  details = json_object_new ();
  json_object_set_int_member (details, "old_idle_seconds", self->limits.idle_seconds);
  json_object_set_int_member (details, "idle_seconds", idle_seconds);
  vigil_audit_append_async (self->store, vigil_clock_now_us (self->clock), "system", "settings.session_idle",
                            NULL, NULL, details, NULL, NULL, NULL);
  /* Only the idle sweep reads it, on this context: the next sweep ends
   * the sessions already idle longer. */
  self->limits.idle_seconds = idle_seconds;
  g_message ("Sessions idle for %u s are ended", idle_seconds);
  return TRUE;
}

VigilSession *
vigil_sessions_lookup (VigilSessions *self,
                       const char    *session_id)
{
  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), NULL);

  return session_id ? g_hash_table_lookup (self->open, session_id) : NULL;
}

VigilSessionInfo *
vigil_sessions_get_info (VigilSessions  *self,
                         const char     *session_id,
                         GError        **error)
{
  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), NULL);

  return vigil_session_table_find (vigil_store_get_reader (self->store), session_id, error);
}

static int
compare_started (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = vigil_session_get_started_at (*(VigilSession **) a);
  gint64 y = vigil_session_get_started_at (*(VigilSession **) b);

  return (x > y) - (x < y);
}

GPtrArray *
vigil_sessions_list_open (VigilSessions *self)
{
  GPtrArray *sessions = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), NULL);

  g_hash_table_iter_init (&iter, self->open);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sessions, g_object_ref (value));
  g_ptr_array_sort (sessions, compare_started);
  return sessions;
}

/* Writes that nobody waits for: failures are reported, not lost. */
void
_vigil_sessions_on_background_write (GObject      *source,
                                     GAsyncResult *result,
                                     gpointer      user_data)
{
  VigilStore *store = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (store, result, &error) &&
      !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    g_warning ("A session update could not be written: %s", error->message);
  g_object_unref (store);
}

/* Starting sessions */

typedef struct
{
  char       *id;
  char       *user_id;
  char       *device_id;
  char       *claimed_user;
  char       *client_address;
  JsonObject *context;
  gint64      started_at_us;
  gboolean    stream;
} StartData;

static void
start_data_free (StartData *data)
{
  g_free (data->id);
  g_free (data->user_id);
  g_free (data->device_id);
  g_free (data->claimed_user);
  g_free (data->client_address);
  g_clear_pointer (&data->context, json_object_unref);
  g_free (data);
}

static gboolean
write_start (VigilDb   *db,
             gpointer   user_data,
             GError   **error)
{
  StartData *data = user_data;
  g_autoptr(JsonObject) details = json_object_new ();

  if (data->stream)
    {
      if (data->claimed_user != NULL)
        json_object_set_string_member (details, "claimed_user", data->claimed_user);
      return vigil_session_table_insert_stream (db, data->id, data->claimed_user, data->started_at_us, error) &&
             vigil_audit_append_in_transaction (db, data->started_at_us, "anonymous", "session.stream_started",
                                                data->id, data->client_address, details, error);
    }

  if (data->device_id != NULL)
    json_object_set_string_member (details, "device_id", data->device_id);
  return vigil_session_table_insert (db, data->id, data->user_id, data->device_id, data->context,
                                     data->started_at_us, error) &&
         vigil_audit_append_in_transaction (db, data->started_at_us, data->user_id, "session.started",
                                            data->id, data->client_address, details, error);
}

static void
on_start_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilSessions *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  VigilSession *session;

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  session = track (self, _vigil_session_new (data->id, VIGIL_SESSION_KIND_AUTHENTICATED, data->user_id, NULL,
                                             data->device_id, data->context, data->started_at_us,
                                             self->limits.buffer_events));
  g_task_return_pointer (task, g_object_ref (session), g_object_unref);
}

void
vigil_sessions_start_async (VigilSessions       *self,
                            const char          *user_id,
                            const char          *device_id,
                            JsonObject          *context,
                            const char          *client_address,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  StartData *data;

  g_return_if_fail (VIGIL_IS_SESSIONS (self));
  g_return_if_fail (user_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_sessions_start_async);

  data = g_new0 (StartData, 1);
  data->id = g_uuid_string_random ();
  data->user_id = g_strdup (user_id);
  data->device_id = g_strdup (device_id);
  data->client_address = g_strdup (client_address);
  data->context = context ? json_object_ref (context) : NULL;
  data->started_at_us = vigil_clock_now_us (self->clock);
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);

  vigil_store_write_async (self->store, write_start, data, NULL, NULL, on_start_written, g_object_ref (task));
}

VigilSession *
vigil_sessions_start_finish (VigilSessions  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

VigilSession *
_vigil_sessions_adopt (VigilSessions *self,
                       const char    *session_id,
                       const char    *user_id,
                       const char    *device_id,
                       JsonObject    *context,
                       gint64         started_at_us)
{
  return track (self, _vigil_session_new (session_id, VIGIL_SESSION_KIND_AUTHENTICATED, user_id, NULL,
                                          device_id, context, started_at_us, self->limits.buffer_events));
}

static gboolean
session_id_is_valid (const char *session_id)
{
  gsize length = strlen (session_id);

  if (length == 0 || length > MAX_SESSION_ID_LENGTH || !g_ascii_isalnum (session_id[0]))
    return FALSE;
  for (const char *c = session_id; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.' && *c != ':')
      return FALSE;
  return TRUE;
}

VigilSession *
vigil_sessions_ensure_stream (VigilSessions  *self,
                              const char     *session_id,
                              const char     *claimed_user,
                              GError        **error)
{
  g_autofree char *new_id = NULL;
  g_autofree char *uuid = NULL;
  g_autoptr(VigilSessionInfo) stored = NULL;
  g_autoptr(GError) local_error = NULL;
  VigilSession *session;
  StartData *data;

  g_return_val_if_fail (VIGIL_IS_SESSIONS (self), NULL);

  if (session_id == NULL)
    {
      uuid = g_uuid_string_random ();
      session_id = new_id = g_strconcat ("stream-", uuid, NULL);
    }
  else if (!session_id_is_valid (session_id))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "A session_id is 1 to %d letters, digits, '-', '_', '.' or ':'", MAX_SESSION_ID_LENGTH);
      return NULL;
    }

  session = vigil_sessions_lookup (self, session_id);
  if (session == NULL)
    {
      stored = vigil_session_table_find (vigil_store_get_reader (self->store), session_id, &local_error);
      if (stored == NULL && !g_error_matches (local_error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  /* The open stream never writes into an account's session. */
  if ((session != NULL && vigil_session_get_kind (session) != VIGIL_SESSION_KIND_STREAM) ||
      (stored != NULL && g_strcmp0 (stored->kind, "stream") != 0))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN,
                           "This session belongs to an authenticated client");
      return NULL;
    }
  if (session != NULL)
    return session;
  if (stored != NULL)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "This session has ended");
      return NULL;
    }

  data = g_new0 (StartData, 1);
  data->id = g_strdup (session_id);
  data->claimed_user = g_strdup (claimed_user);
  data->started_at_us = vigil_clock_now_us (self->clock);
  data->stream = TRUE;
  session = track (self, _vigil_session_new (data->id, VIGIL_SESSION_KIND_STREAM, NULL, claimed_user,
                                             NULL, NULL, data->started_at_us, self->limits.buffer_events));
  /* Queued before any of its events, so the row exists when they commit. */
  vigil_store_write_async (self->store, write_start, data, (GDestroyNotify) start_data_free, NULL,
                           _vigil_sessions_on_background_write, g_object_ref (self->store));
  return session;
}

/* Appending events */

typedef struct
{
  VigilSession *session;
  GPtrArray    *events;
} AppendData;

static void
append_data_free (AppendData *data)
{
  g_clear_object (&data->session);
  g_clear_pointer (&data->events, g_ptr_array_unref);
  g_free (data);
}

static gboolean
write_events (VigilDb   *db,
              gpointer   user_data,
              GError   **error)
{
  AppendData *data = user_data;

  return vigil_event_table_insert (db, vigil_session_get_id (data->session), data->events, error);
}

static void
on_events_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilSessions *self = g_task_get_source_object (task);
  AppendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  VigilEvent *last;

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  _vigil_session_record_events (data->session, data->events, vigil_clock_now_us (self->clock));
  vigil_event_bus_post_events (self->bus, data->events);
  vigil_event_bus_post_session (self->bus, data->session);

  last = g_ptr_array_index (data->events, data->events->len - 1);
  g_task_return_int (task, last->seq);
}

static gboolean
check_append (VigilSessions  *self,
              const char     *session_id,
              const char     *caller_user_id,
              GPtrArray      *events,
              VigilSession  **out_session,
              GError        **error)
{
  VigilSession *session = vigil_sessions_lookup (self, session_id);

  if (session == NULL)
    {
      g_autoptr(VigilSessionInfo) stored = NULL;
      g_autoptr(GError) local_error = NULL;

      stored = session_id ? vigil_session_table_find (vigil_store_get_reader (self->store), session_id,
                                                      &local_error)
                          : NULL;
      if (stored == NULL)
        g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Session not found");
      else if (g_strcmp0 (stored->state, "blocked") == 0)
        g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN, "Session blocked");
      else
        g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "Session has ended");
      return FALSE;
    }

  if (caller_user_id == NULL ? vigil_session_get_kind (session) != VIGIL_SESSION_KIND_STREAM
                             : g_strcmp0 (vigil_session_get_user_id (session), caller_user_id) != 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN, "This session belongs to someone else");
      return FALSE;
    }
  if (vigil_session_get_state (session) == VIGIL_SESSION_BLOCKED)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN, "Session blocked");
      return FALSE;
    }

  if (events == NULL || events->len == 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "No events given");
      return FALSE;
    }
  if (events->len > self->limits.max_batch_events)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_TOO_LARGE,
                   "Too many events in one batch (%u; at most %u)", events->len, self->limits.max_batch_events);
      return FALSE;
    }
  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);

      if (event->size > self->limits.max_message_bytes || strlen (event->data) > self->limits.max_message_bytes)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_TOO_LARGE,
                       "An event is larger than %" G_GSIZE_FORMAT " bytes", self->limits.max_message_bytes);
          return FALSE;
        }
      if (event->seq != 0)
        {
          g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "An event was already stored");
          return FALSE;
        }
    }

  *out_session = session;
  return TRUE;
}

void
vigil_sessions_append_async (VigilSessions       *self,
                             const char          *session_id,
                             const char          *caller_user_id,
                             GPtrArray           *events,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  VigilSession *session = NULL;
  AppendData *data;
  gint64 now_us;

  g_return_if_fail (VIGIL_IS_SESSIONS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_sessions_append_async);

  if (!check_append (self, session_id, caller_user_id, events, &session, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Sequenced now, in arrival order; the writer commits in the same order. */
  now_us = vigil_clock_now_us (self->clock);
  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);

      g_free (event->session_id);
      event->session_id = g_strdup (session_id);
      event->seq = _vigil_session_next_seq (session);
      event->received_at_us = now_us;
    }
  _vigil_session_touch (session, now_us);

  data = g_new0 (AppendData, 1);
  data->session = g_object_ref (session);
  data->events = g_ptr_array_ref (events);
  g_task_set_task_data (task, data, (GDestroyNotify) append_data_free);

  vigil_store_write_async (self->store, write_events, data, NULL, NULL, on_events_written, g_object_ref (task));
}

static void
on_recorded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilSessions *self = g_task_get_source_object (task);
  AppendData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      if (!g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
        g_warning ("Events of session %s could not be stored: %s", vigil_session_get_id (data->session),
                   error->message);
      return;
    }
  _vigil_session_record_events (data->session, data->events, vigil_clock_now_us (self->clock));
  vigil_event_bus_post_events (self->bus, data->events);
}

void
_vigil_sessions_record (VigilSessions *self,
                        VigilSession  *session,
                        GPtrArray     *events)
{
  g_autoptr(GTask) task = NULL;
  AppendData *data;
  gint64 now_us;

  g_return_if_fail (VIGIL_IS_SESSIONS (self));
  g_return_if_fail (events != NULL && events->len > 0);

  if (self->shut_down)
    return;
  now_us = vigil_clock_now_us (self->clock);
  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);

      g_free (event->session_id);
      event->session_id = g_strdup (vigil_session_get_id (session));
      event->seq = _vigil_session_next_seq (session);
      event->received_at_us = now_us;
    }

  task = g_task_new (self, NULL, NULL, NULL);
  data = g_new0 (AppendData, 1);
  data->session = g_object_ref (session);
  data->events = g_ptr_array_ref (events);
  g_task_set_task_data (task, data, (GDestroyNotify) append_data_free);
  vigil_store_write_async (self->store, write_events, data, NULL, NULL, on_recorded, g_object_ref (task));
}

void
_vigil_sessions_set_end_hook (VigilSessions        *self,
                              VigilSessionsEndHook  hook,
                              gpointer              user_data)
{
  self->end_hook = hook;
  self->end_hook_data = user_data;
}

gint64
vigil_sessions_append_finish (VigilSessions  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}
