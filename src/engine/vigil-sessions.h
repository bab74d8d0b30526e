/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-auth.h"
#include "vigil-event.h"
#include "vigil-session.h"

G_BEGIN_DECLS

/* Every behavioral session: the open ones live (VigilSession), all of them
 * in the store. Events are sequenced on arrival, committed through the
 * store's writer, and acknowledged only once committed. Ending a session
 * writes the seed's JSON log to DATA_DIR/behavior-logs/logs/{user}/{id}.json
 * atomically. Main context only. */
#define VIGIL_TYPE_SESSIONS (vigil_sessions_get_type ())
G_DECLARE_FINAL_TYPE (VigilSessions, vigil_sessions, VIGIL, SESSIONS, GObject)

typedef enum
{
  VIGIL_LIFECYCLE_APP_CLOSE,
  VIGIL_LIFECYCLE_APP_BACKGROUND,
  VIGIL_LIFECYCLE_APP_FOREGROUND,
  VIGIL_LIFECYCLE_USER_LOGOUT,
  VIGIL_LIFECYCLE_FORCE_CLOSE,
} VigilLifecycleEvent;

gboolean      vigil_lifecycle_event_from_string (const char          *text,
                                                 VigilLifecycleEvent *out_event);

/* End reasons the engine itself gives. */
#define VIGIL_END_REASON_SERVER_RESTART "server_restart"
#define VIGIL_END_REASON_SHUTDOWN       "server_shutdown"
#define VIGIL_END_REASON_IDLE           "idle_timeout"
#define VIGIL_END_REASON_DISCONNECT     "websocket_disconnect"
#define VIGIL_END_REASON_BLOCKED        "blocked"
#define VIGIL_END_REASON_LOGOUT         "logout"

/* Limits, from VigilEngineOptions. */
gsize         vigil_sessions_get_max_message_bytes (VigilSessions *self);
guint         vigil_sessions_get_max_batch_events  (VigilSessions *self);
guint         vigil_sessions_get_idle_seconds      (VigilSessions *self);
/* Changes the idle timeout at once: the next sweep (or
 * vigil_sessions_expire_idle ()) ends the sessions idle longer than
 * @idle_seconds, also those already idle that long. Audited as
 * "settings.session_idle" when it changes; VIGIL_ERROR_INVALID_INPUT for
 * zero. Main context only. */
gboolean      vigil_sessions_set_idle_seconds      (VigilSessions  *self,
                                                    guint           idle_seconds,
                                                    GError        **error);

/* An open session, or NULL (transfer none). */
VigilSession *vigil_sessions_lookup          (VigilSessions        *self,
                                              const char           *session_id);
/* Any session, open or ended. VIGIL_ERROR_NOT_FOUND otherwise. */
VigilSessionInfo *vigil_sessions_get_info    (VigilSessions        *self,
                                              const char           *session_id,
                                              GError              **error);
/* Open sessions, oldest first; elements are VigilSession, referenced. */
GPtrArray    *vigil_sessions_list_open       (VigilSessions        *self);

/* Starts an authenticated session for @user_id (canara's
 * /log/start-session); VigilAuth starts the ones of MPIN logins itself. */
void          vigil_sessions_start_async     (VigilSessions        *self,
                                              const char           *user_id,
                                              const char           *device_id,
                                              JsonObject           *context,
                                              const char           *client_address,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
VigilSession *vigil_sessions_start_finish    (VigilSessions        *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* cbsa's open stream: the stream session @session_id (a new id when NULL),
 * created on first sight with the unverified @claimed_user. Fails with
 * VIGIL_ERROR_FORBIDDEN when @session_id is an authenticated session, and
 * VIGIL_ERROR_CLOSED when it has ended. */
VigilSession *vigil_sessions_ensure_stream   (VigilSessions        *self,
                                              const char           *session_id,
                                              const char           *claimed_user,
                                              GError              **error);

/* Sequences @events (unsequenced VigilEvent, at most the batch limit, each
 * within the size limit) into the open session @session_id and commits
 * them; the callback runs after the commit. @caller_user_id is the
 * authenticated account, or NULL for the unauthenticated stream, which may
 * only append to stream sessions. Errors: NOT_FOUND (unknown), CLOSED
 * (ended), FORBIDDEN (another account's, an authenticated session from the
 * open stream, or blocked), INVALID_INPUT (limits). Nothing of a refused
 * batch is stored. */
void          vigil_sessions_append_async    (VigilSessions        *self,
                                              const char           *session_id,
                                              const char           *caller_user_id,
                                              GPtrArray            *events,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* The sequence number of the batch's last event. */
gint64        vigil_sessions_append_finish   (VigilSessions        *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* Ends an open session (idempotent for ended ones: answers their log
 * path). The callback runs once the state is committed and the JSON log
 * is on disk; the result is the log's path. */
void          vigil_sessions_end_async       (VigilSessions        *self,
                                              const char           *session_id,
                                              const char           *reason,
                                              const char           *final_decision,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
char         *vigil_sessions_end_finish      (VigilSessions        *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* An app lifecycle event. app_background / app_foreground only mark the
 * session; app_close, user_logout and force_close end it (asynchronously;
 * @out_terminated says so). */
gboolean      vigil_sessions_lifecycle       (VigilSessions        *self,
                                              const char           *session_id,
                                              VigilLifecycleEvent   event,
                                              gboolean             *out_terminated,
                                              GError              **error);

/* A socket streams for @session: when the last one goes, the session ends
 * unless the app said app_background first. */
void          vigil_sessions_socket_attached (VigilSessions        *self,
                                              VigilSession         *session);
void          vigil_sessions_socket_detached (VigilSessions        *self,
                                              VigilSession         *session);

/* Decisions pushed to the session's sockets at once. */
gboolean      vigil_sessions_block           (VigilSessions        *self,
                                              const char           *session_id,
                                              const char           *reason,
                                              GError              **error);
gboolean      vigil_sessions_require_mpin    (VigilSessions        *self,
                                              const char           *session_id,
                                              GError              **error);

/* Ends every session idle longer than the idle timeout (by the engine's
 * clock); runs by itself every 30 s. Returns how many it ended. */
guint         vigil_sessions_expire_idle     (VigilSessions        *self);

/* The seed's log of a session: {user_id, session_id, uploaded_at,
 * total_events, logs: [...]}, read from its file once ended, built from the
 * store while open (then @out_path is NULL). Off the main context. */
void          vigil_sessions_read_log_async  (VigilSessions        *self,
                                              const char           *session_id,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
JsonNode     *vigil_sessions_read_log_finish (VigilSessions        *self,
                                              GAsyncResult         *result,
                                              char                **out_path,
                                              GError              **error);

G_END_DECLS
