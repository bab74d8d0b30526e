/* SPDX-License-Identifier: GPL-3.0-or-later */
/* canara's WS /api/v1/ws/behavior/{session_id}?token=: the app of an
 * authenticated session streams its events, each acknowledged once
 * committed, and hears the engine's decisions (MPIN step-up, block) at
 * once. The token is the session token of verify-mpin / mpin-login, or
 * an access token of the session's account. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include <string.h>

#include "vigil-api-json.h"
#include "vigil-api-routes.h"
#include "vigil-api-ws-common.h"
#include "vigil-error.h"
#include "vigil-server-private.h"

#define PREFIX "/api/v1/ws/behavior"

/* Replies leave in the order their messages came, whichever is ready
 * first: a refusal found at once waits for the acknowledgements before it. */
typedef struct
{
  gboolean  ready;
  gint64    seq;      /* an acknowledgement when > 0 */
  char     *error;    /* else the refusal */
} Reply;

typedef struct
{
  SoupWebsocketConnection *conn;
  VigilEngine             *engine;
  /* Held from the start: a close handled after the engine shut down
   * (the server stopping closes its sockets, the peer answers later)
   * must not reach a VigilSessions the engine already released. */
  VigilSessions           *sessions;
  VigilSession            *session;
  char                    *user_id;
  GQueue                   replies;
  guint                    appending;     /* appends not yet answered */
  gboolean                 closed;
  gboolean                 detached;
  /* A close the server decided (block, end) waits for the answers to
   * events already committed, so a client never misses the ack of an
   * event that was stored. */
  gushort                  close_code;    /* 0: none pending */
  char                    *close_reason;
} Socket;

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_free (reply->error);
  g_free (reply);
}

static void
socket_clear (gpointer data)
{
  Socket *socket = data;

  g_queue_clear_full (&socket->replies, reply_free);
  g_clear_pointer (&socket->close_reason, g_free);
  g_clear_object (&socket->session);
  g_clear_object (&socket->conn);
  g_clear_object (&socket->sessions);
  g_clear_object (&socket->engine);
  g_free (socket->user_id);
}

static Socket *
socket_ref (Socket *socket)
{
  return g_rc_box_acquire (socket);
}

static void
socket_unref (Socket *socket)
{
  g_rc_box_release_full (socket, socket_clear);
}

static VigilSessions *
socket_sessions (Socket *socket)
{
  return socket->sessions;
}

static void
send_error (SoupWebsocketConnection *conn,
            const char              *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "error");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
  vigil_api_ws_send (conn, builder);
}

static void
send_ack (Socket *socket,
          gint64  seq)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "data_received");
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "processed");
  json_builder_set_member_name (builder, "timestamp");
  json_builder_add_double_value (builder, vigil_api_ws_now (socket->engine));
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, seq);
  json_builder_end_object (builder);
  vigil_api_ws_send (socket->conn, builder);
}

static void
flush_replies (Socket *socket)
{
  Reply *reply;

  while ((reply = g_queue_peek_head (&socket->replies)) != NULL && reply->ready)
    {
      g_queue_pop_head (&socket->replies);
      if (reply->seq > 0)
        send_ack (socket, reply->seq);
      else
        send_error (socket->conn, reply->error);
      reply_free (reply);
    }
}

static void
refuse_message (Socket     *socket,
                Reply      *reply,
                const char *message)
{
  reply->error = g_strdup (message);
  reply->ready = TRUE;
  flush_replies (socket);
}

/* The last socket of a session going away ends it (unless the app said
 * app_background): only once what it sent is stored. */
static void
detach (Socket *socket)
{
  if (socket->detached)
    return;
  socket->detached = TRUE;
  vigil_sessions_socket_detached (socket_sessions (socket), socket->session);
}

typedef struct
{
  Socket *socket;
  Reply  *reply;    /* owned by the socket's queue */
} Append;

static void
append_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Append *append = user_data;
  Socket *socket = append->socket;
  g_autoptr(GError) error = NULL;
  gint64 seq;

  seq = vigil_sessions_append_finish (VIGIL_SESSIONS (source), result, &error);
  if (seq > 0)
    append->reply->seq = seq;
  else
    append->reply->error = g_strdup (error != NULL ? vigil_api_ws_error_text (error) : "Event not stored");
  append->reply->ready = TRUE;
  flush_replies (socket);

  socket->appending--;
  if (socket->close_code != 0 && socket->appending == 0 && !socket->closed)
    vigil_api_ws_close (socket->conn, socket->close_code, socket->close_reason);
  if (socket->closed && socket->appending == 0)
    detach (socket);

  socket_unref (socket);
  g_free (append);
}

static void
on_message (SoupWebsocketConnection *conn,
            SoupWebsocketDataType    type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Socket *socket = user_data;
  VigilSessions *sessions = socket_sessions (socket);
  gsize max_bytes = vigil_sessions_get_max_message_bytes (sessions);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  Reply *reply = g_new0 (Reply, 1);
  VigilApiWsParse parsed;
  VigilEvent *event;
  Append *append;

  g_queue_push_tail (&socket->replies, reply);

  root = vigil_api_ws_parse (message, max_bytes, &parsed);
  if (parsed == VIGIL_API_WS_PARSE_TOO_LARGE)
    {
      g_autofree char *text = g_strdup_printf ("Message larger than %" G_GSIZE_FORMAT " bytes", max_bytes);

      refuse_message (socket, reply, text);
      return;
    }
  if (root == NULL)
    {
      refuse_message (socket, reply, "Invalid JSON format");
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      refuse_message (socket, reply, "Each message must be a JSON object {event_type, data, timestamp}");
      return;
    }

  event = vigil_event_new_from_json (json_node_get_object (root), g_bytes_get_size (message), &error);
  if (event == NULL)
    {
      refuse_message (socket, reply, vigil_api_ws_error_text (error));
      return;
    }

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_ptr_array_add (events, event);

  append = g_new0 (Append, 1);
  append->socket = socket_ref (socket);
  append->reply = reply;
  socket->appending++;
  vigil_sessions_append_async (sessions, vigil_session_get_id (socket->session), socket->user_id,
                               events, NULL, append_done, append);
}

static void
close_when_answered (Socket     *socket,
                     gushort     code,
                     const char *reason)
{
  if (socket->appending == 0)
    {
      vigil_api_ws_close (socket->conn, code, reason);
      return;
    }
  socket->close_code = code;
  g_free (socket->close_reason);
  socket->close_reason = g_strdup (reason);
}

static void
on_mpin_required (VigilSession *session,
                  gpointer      user_data)
{
  Socket *socket = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "mpin_required");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, "MPIN verification required to continue");
  json_builder_end_object (builder);
  vigil_api_ws_send (socket->conn, builder);
}

static void
on_blocked (VigilSession *session,
            const char   *reason,
            gpointer      user_data)
{
  Socket *socket = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "session_blocked");
  vigil_api_builder_add_nullable_string (builder, "reason", reason);
  json_builder_end_object (builder);
  vigil_api_ws_send (socket->conn, builder);
  close_when_answered (socket, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "Session blocked");
}

static void
on_ended (VigilSession *session,
          const char   *reason,
          gpointer      user_data)
{
  Socket *socket = user_data;

  close_when_answered (socket, SOUP_WEBSOCKET_CLOSE_NORMAL, reason != NULL ? reason : "Session ended");
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Socket *socket = user_data;

  g_debug ("Behavior socket of session %s closed (%u)",
           vigil_session_get_id (socket->session), soup_websocket_connection_get_close_code (conn));

  socket->closed = TRUE;
  g_signal_handlers_disconnect_by_data (socket->session, socket);
  g_signal_handlers_disconnect_by_data (conn, socket);
  vigil_metrics_connection_closed (vigil_engine_get_metrics (socket->engine), VIGIL_CONNECTION_STREAM);
  if (socket->appending == 0)
    detach (socket);

  socket_unref (socket);
}

/* Why the client may not stream into @session_id, or NULL. */
static const char *
check_access (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *session_id,
              gushort           *out_code,
              VigilTokenClaims **out_claims,
              VigilSession     **out_session)
{
  VigilEngine *engine = vigil_server_get_engine (server);
  g_autofree char *token = vigil_api_ws_get_query (msg, "token");
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(GError) error = NULL;
  VigilSession *session;

  *out_code = SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION;
  if (token == NULL)
    return "Missing token";

  claims = vigil_auth_authenticate (vigil_engine_get_auth (engine), token, -1, &error);
  if (claims == NULL && !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
    {
      g_warning ("Cannot verify a behavior socket's token: %s", error->message);
      *out_code = SOUP_WEBSOCKET_CLOSE_SERVER_ERROR;
      return "Internal server error";
    }
  if (claims == NULL || (claims->kind != VIGIL_TOKEN_SESSION && claims->kind != VIGIL_TOKEN_ACCESS))
    return "Invalid or expired token";
  /* A session token speaks for its own session only. */
  if (claims->kind == VIGIL_TOKEN_SESSION && g_strcmp0 (claims->session_id, session_id) != 0)
    return "Token not valid for this session";

  /* Another account's session and no session at all look alike. */
  session = vigil_sessions_lookup (vigil_engine_get_sessions (engine), session_id);
  if (session == NULL ||
      vigil_session_get_kind (session) != VIGIL_SESSION_KIND_AUTHENTICATED ||
      g_strcmp0 (vigil_session_get_user_id (session), claims->subject) != 0)
    return "Session not found";
  if (vigil_session_get_state (session) == VIGIL_SESSION_BLOCKED)
    return "Session blocked";
  if (vigil_session_get_state (session) == VIGIL_SESSION_ENDED)
    return "Session ended";

  *out_claims = g_steal_pointer (&claims);
  *out_session = g_object_ref (session);
  return NULL;
}

/* PREFIX/{session_id}: one non-empty segment (already percent-decoded:
 * libsoup decodes the path). */
static const char *
path_session_id (const char *path)
{
  const char *rest;

  if (!g_str_has_prefix (path, PREFIX "/"))
    return NULL;
  rest = path + strlen (PREFIX "/");
  if (*rest == '\0' || strchr (rest, '/') != NULL)
    return NULL;
  return rest;
}

static void
behavior_websocket_cb (SoupServer              *soup_server,
                       SoupServerMessage       *msg,
                       const char              *path,
                       SoupWebsocketConnection *conn,
                       gpointer                 user_data)
{
  VigilServer *server = user_data;
  VigilEngine *engine = vigil_server_get_engine (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const char *session_id = path_session_id (path);
  const char *refusal;
  gushort code;
  Socket *socket;

  g_assert (session_id != NULL);   /* the HTTP handler answered 404 */

  refusal = check_access (server, msg, session_id, &code, &claims, &session);
  if (refusal != NULL)
    {
      g_debug ("Behavior socket for session %s refused: %s", session_id, refusal);
      vigil_api_ws_refuse (conn, code, refusal);
      return;
    }

  socket = g_rc_box_new0 (Socket);
  socket->conn = g_object_ref (conn);
  socket->engine = g_object_ref (engine);
  socket->sessions = g_object_ref (vigil_engine_get_sessions (engine));
  socket->session = g_steal_pointer (&session);
  socket->user_id = g_strdup (claims->subject);
  g_queue_init (&socket->replies);

  vigil_api_ws_set_limit (conn, vigil_sessions_get_max_message_bytes (vigil_engine_get_sessions (engine)));
  g_signal_connect (conn, "message", G_CALLBACK (on_message), socket);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), socket);
  g_signal_connect (socket->session, "mpin-required", G_CALLBACK (on_mpin_required), socket);
  g_signal_connect (socket->session, "blocked", G_CALLBACK (on_blocked), socket);
  g_signal_connect (socket->session, "ended", G_CALLBACK (on_ended), socket);

  _vigil_server_add_socket (server, conn);
  vigil_metrics_connection_opened (vigil_engine_get_metrics (engine), VIGIL_CONNECTION_STREAM);
  vigil_sessions_socket_attached (vigil_engine_get_sessions (engine), socket->session);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "connection_established");
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, "Behavioral data streaming started");
  json_builder_end_object (builder);
  vigil_api_ws_send (conn, builder);
}

/* Runs before the handshake: a path without a session is not a socket. */
static void
behavior_http_cb (SoupServer        *soup_server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  if (path_session_id (path) == NULL)
    {
      vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
      return;
    }
  vigil_api_ws_check_upgrade (msg);
}

void
vigil_api_ws_behavior_install (VigilServer *server,
                               SoupServer  *soup_server)
{
  soup_server_add_handler (soup_server, PREFIX, behavior_http_cb, server, NULL);
  soup_server_add_websocket_handler (soup_server, PREFIX, NULL, NULL, behavior_websocket_cb, server, NULL);
}
