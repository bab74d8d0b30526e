/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cbsa's WS /ws/behaviour: any JSON object is an event, acknowledged with
 * a message_id shared by every client once it is committed. Messages
 * naming a session_id go to that stream session, the others to one stream
 * session per connection, which ends with it. An authenticated session is
 * never reachable from here. Who may connect is the server's stream
 * policy. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include <string.h>

#include "vigil-api-json.h"
#include "vigil-api-routes.h"
#include "vigil-api-ws-common.h"
#include "vigil-error.h"
#include "vigil-server-private.h"

#define PATH "/ws/behaviour"
/* The engine's limit on event_type. */
#define MAX_EVENT_TYPE_LENGTH 128

typedef struct
{
  gboolean   ready;
  gboolean   stored;
  char      *error;    /* when not stored */
  JsonArray *errors;   /* nullable: validation errors, with "Invalid data format" */
} Reply;

typedef struct
{
  SoupWebsocketConnection *conn;
  VigilServer             *server;     /* weak: only for the message_id counter */
  VigilEngine             *engine;
  /* Held from the start: a close handled after the engine shut down
   * (the server stopping closes its sockets, the peer answers later)
   * must not reach a VigilSessions the engine already released. */
  VigilSessions           *sessions;
  char                    *token_user; /* the verified holder, under the token policy */
  VigilSession            *own;        /* this connection's session, once used */
  GQueue                   replies;
  guint                    appending;
  gboolean                 closed;
} Socket;

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_free (reply->error);
  g_clear_pointer (&reply->errors, json_array_unref);
  g_free (reply);
}

static void
socket_clear (gpointer data)
{
  Socket *socket = data;

  g_queue_clear_full (&socket->replies, reply_free);
  g_clear_weak_pointer (&socket->server);
  g_clear_object (&socket->own);
  g_clear_object (&socket->conn);
  g_clear_object (&socket->sessions);
  g_clear_object (&socket->engine);
  g_free (socket->token_user);
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
send_reply (Socket *socket,
            Reply  *reply)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  if (reply->stored)
    {
      json_builder_add_string_value (builder, "received");
      json_builder_set_member_name (builder, "server_timestamp");
      json_builder_add_double_value (builder, vigil_api_ws_now (socket->engine));
      /* Numbered as sent, so that each client sees its own increase. */
      json_builder_set_member_name (builder, "message_id");
      json_builder_add_int_value (builder, socket->server != NULL
                                           ? _vigil_server_next_stream_message_id (socket->server) : 0);
    }
  else
    {
      json_builder_add_string_value (builder, "error");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, reply->error);
      if (reply->errors != NULL)
        {
          JsonNode *errors = json_node_new (JSON_NODE_ARRAY);

          json_node_set_array (errors, reply->errors);
          json_builder_set_member_name (builder, "errors");
          json_builder_add_value (builder, errors);
        }
    }
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
      send_reply (socket, reply);
      reply_free (reply);
    }
}

static void
refuse_message (Socket     *socket,
                Reply      *reply,
                const char *message,
                JsonArray  *errors)
{
  reply->error = g_strdup (message);
  reply->errors = errors;
  reply->ready = TRUE;
  flush_replies (socket);
}

/* The own session ends with the connection, once what it sent is stored. */
static void
detach (Socket *socket)
{
  if (socket->own != NULL)
    vigil_sessions_socket_detached (socket_sessions (socket), socket->own);
  g_clear_object (&socket->own);
}

typedef struct
{
  Socket *socket;
  Reply  *reply;
} Append;

static void
append_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Append *append = user_data;
  Socket *socket = append->socket;
  g_autoptr(GError) error = NULL;

  if (vigil_sessions_append_finish (VIGIL_SESSIONS (source), result, &error) > 0)
    append->reply->stored = TRUE;
  else
    append->reply->error = g_strdup (error != NULL ? vigil_api_ws_error_text (error) : "Event not stored");
  append->reply->ready = TRUE;
  flush_replies (socket);

  socket->appending--;
  if (socket->closed && socket->appending == 0)
    detach (socket);

  socket_unref (socket);
  g_free (append);
}

/* cbsa's model: the known fields are optional but typed (pydantic). */
static void
check_member (JsonObject *object,
              const char *name,
              GType       value_type,
              JsonArray  *errors)
{
  JsonNode *node = json_object_get_member (object, name);
  gboolean valid;
  JsonObject *error;
  JsonArray *loc;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return;

  if (value_type == JSON_TYPE_OBJECT)
    valid = JSON_NODE_HOLDS_OBJECT (node);
  else if (value_type == G_TYPE_DOUBLE)
    valid = JSON_NODE_HOLDS_VALUE (node) &&
            (json_node_get_value_type (node) == G_TYPE_DOUBLE ||
             json_node_get_value_type (node) == G_TYPE_INT64);
  else
    valid = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == value_type;
  if (valid)
    return;

  error = json_object_new ();
  loc = json_array_new ();
  json_array_add_string_element (loc, name);
  json_object_set_array_member (error, "loc", loc);
  json_object_set_string_member (error, "msg",
                                 value_type == JSON_TYPE_OBJECT ? "Input should be a valid dictionary"
                                 : value_type == G_TYPE_DOUBLE ? "Input should be a valid number"
                                 : "Input should be a valid string");
  json_object_set_string_member (error, "type",
                                 value_type == JSON_TYPE_OBJECT ? "dict_type"
                                 : value_type == G_TYPE_DOUBLE ? "float_type" : "string_type");
  json_array_add_object_element (errors, error);
}

static JsonArray *
not_an_object_errors (void)
{
  JsonArray *errors = json_array_new ();
  JsonObject *error = json_object_new ();

  json_object_set_array_member (error, "loc", json_array_new ());
  json_object_set_string_member (error, "msg", "Input should be a valid dictionary");
  json_object_set_string_member (error, "type", "dict_type");
  json_array_add_object_element (errors, error);
  return errors;
}

/* A string member, NULL for any other type (json-glib's getters warn). */
static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static const char *
usable_string (JsonObject *object,
               const char *name)
{
  const char *value = string_member (object, name);

  return value != NULL && *value != '\0' && strlen (value) <= MAX_EVENT_TYPE_LENGTH ? value : NULL;
}

/* event_type, else eventType, else payload.eventType, else "message". */
static const char *
message_event_type (JsonObject *object)
{
  JsonNode *payload = json_object_get_member (object, "payload");
  const char *type;

  if ((type = usable_string (object, "event_type")) != NULL ||
      (type = usable_string (object, "eventType")) != NULL)
    return type;
  if (payload != NULL && JSON_NODE_HOLDS_OBJECT (payload) &&
      (type = usable_string (json_node_get_object (payload), "eventType")) != NULL)
    return type;
  return "message";
}

/* The session a message goes to (transfer full), or NULL and a refusal. */
static VigilSession *
message_session (Socket      *socket,
                 JsonObject  *object,
                 GError     **error)
{
  VigilSessions *sessions = socket_sessions (socket);
  const char *session_id = string_member (object, "session_id");
  const char *claimed = string_member (object, "user_id");
  g_autoptr(GError) local_error = NULL;
  VigilSession *session;

  if (claimed == NULL)
    claimed = socket->token_user;

  if (session_id != NULL)
    {
      session = vigil_sessions_ensure_stream (sessions, session_id, claimed, error);
      return session != NULL ? g_object_ref (session) : NULL;
    }

  if (socket->own != NULL)
    {
      session = vigil_sessions_ensure_stream (sessions, vigil_session_get_id (socket->own), claimed, &local_error);
      if (session != NULL)
        return g_object_ref (session);
      if (!g_error_matches (local_error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* Ended meanwhile (idle, or by an analyst): carry on in a new one. */
      detach (socket);
    }

  session = vigil_sessions_ensure_stream (sessions, NULL, claimed, error);
  if (session == NULL)
    return NULL;
  socket->own = g_object_ref (session);
  vigil_sessions_socket_attached (sessions, session);
  return g_object_ref (session);
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
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonArray) errors = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  Reply *reply = g_new0 (Reply, 1);
  VigilApiWsParse parsed;
  JsonObject *object;
  Append *append;

  g_queue_push_tail (&socket->replies, reply);

  root = vigil_api_ws_parse (message, max_bytes, &parsed);
  if (parsed == VIGIL_API_WS_PARSE_TOO_LARGE)
    {
      g_autofree char *text = g_strdup_printf ("Message larger than %" G_GSIZE_FORMAT " bytes", max_bytes);

      refuse_message (socket, reply, text, NULL);
      return;
    }
  if (root == NULL)
    {
      refuse_message (socket, reply, "Malformed JSON", NULL);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      refuse_message (socket, reply, "Invalid data format", not_an_object_errors ());
      return;
    }

  object = json_node_get_object (root);
  errors = json_array_new ();
  check_member (object, "user_id", G_TYPE_STRING, errors);
  check_member (object, "session_id", G_TYPE_STRING, errors);
  check_member (object, "timestamp", G_TYPE_DOUBLE, errors);
  check_member (object, "features", JSON_TYPE_OBJECT, errors);
  if (json_array_get_length (errors) > 0)
    {
      refuse_message (socket, reply, "Invalid data format", g_steal_pointer (&errors));
      return;
    }

  session = message_session (socket, object, &error);
  if (session == NULL)
    {
      refuse_message (socket, reply, vigil_api_ws_error_text (error), NULL);
      return;
    }

  events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_ptr_array_add (events, vigil_event_new_raw (message_event_type (object), root, g_bytes_get_size (message)));

  append = g_new0 (Append, 1);
  append->socket = socket_ref (socket);
  append->reply = reply;
  socket->appending++;
  vigil_sessions_append_async (sessions, vigil_session_get_id (session), NULL, events, NULL, append_done, append);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Socket *socket = user_data;

  socket->closed = TRUE;
  g_signal_handlers_disconnect_by_data (conn, socket);
  vigil_metrics_connection_closed (vigil_engine_get_metrics (socket->engine), VIGIL_CONNECTION_STREAM);
  if (socket->appending == 0)
    detach (socket);

  socket_unref (socket);
}

static void
stream_websocket_cb (SoupServer              *soup_server,
                     SoupServerMessage       *msg,
                     const char              *path,
                     SoupWebsocketConnection *conn,
                     gpointer                 user_data)
{
  VigilServer *server = user_data;
  VigilEngine *engine = vigil_server_get_engine (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  Socket *socket;

  switch (vigil_server_get_stream_policy (server))
    {
    case VIGIL_STREAM_POLICY_OPEN:
      break;
    case VIGIL_STREAM_POLICY_TOKEN:
      {
        g_autofree char *token = vigil_api_ws_get_query (msg, "token");

        if (token != NULL)
          claims = vigil_auth_authenticate (vigil_engine_get_auth (engine), token, VIGIL_TOKEN_ACCESS, NULL);
        if (claims == NULL)
          {
            vigil_api_ws_refuse (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                 token == NULL ? "Missing token" : "Invalid or expired token");
            return;
          }
      }
      break;
    case VIGIL_STREAM_POLICY_OFF:
    default:
      /* Turned off between the request and the upgrade. */
      vigil_api_ws_refuse (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "Streaming is turned off");
      return;
    }

  socket = g_rc_box_new0 (Socket);
  socket->conn = g_object_ref (conn);
  g_set_weak_pointer (&socket->server, server);
  socket->engine = g_object_ref (engine);
  socket->sessions = g_object_ref (vigil_engine_get_sessions (engine));
  socket->token_user = claims != NULL ? g_strdup (claims->subject) : NULL;
  g_queue_init (&socket->replies);

  vigil_api_ws_set_limit (conn, vigil_sessions_get_max_message_bytes (vigil_engine_get_sessions (engine)));
  g_signal_connect (conn, "message", G_CALLBACK (on_message), socket);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), socket);

  _vigil_server_add_socket (server, conn);
  vigil_metrics_connection_opened (vigil_engine_get_metrics (engine), VIGIL_CONNECTION_STREAM);
}

/* Runs before the handshake: the policy "off" hides the route. */
static void
stream_http_cb (SoupServer        *soup_server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  VigilServer *server = user_data;

  if ((!g_str_equal (path, PATH) && !g_str_equal (path, PATH "/")) ||
      vigil_server_get_stream_policy (server) == VIGIL_STREAM_POLICY_OFF)
    {
      vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
      return;
    }
  vigil_api_ws_check_upgrade (msg);
}

void
vigil_api_ws_stream_install (VigilServer *server,
                             SoupServer  *soup_server)
{
  soup_server_add_handler (soup_server, PATH, stream_http_cb, server, NULL);
  soup_server_add_websocket_handler (soup_server, PATH, NULL, NULL, stream_websocket_cb, server, NULL);
}
