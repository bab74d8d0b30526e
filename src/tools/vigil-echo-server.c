/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ceiling of vigil-bench-stream: a bare libsoup WebSocket server on
 * Vigil's paths that parses each message with json-glib and answers with
 * the same tiny JSON acknowledgement Vigil sends, storing nothing. Its
 * login endpoints hand out placeholder tokens so that canara-mode load
 * runs unchanged. Prints its URL on the first line of standard output. */
#define G_LOG_DOMAIN "vigil-echo-server"

#include "config.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>

#define LISTEN_BACKLOG 1024

typedef struct
{
  SoupWebsocketConnection *conn;
  JsonParser              *parser;
  gboolean                 canara;
  gint64                   seq;
} Socket;

static gint64 message_counter;
static guint session_counter;

static void
send_builder (SoupWebsocketConnection *conn,
              JsonBuilder             *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  soup_websocket_connection_send_text (conn, text);
}

static void
on_message (SoupWebsocketConnection *conn,
            SoupWebsocketDataType    type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Socket *socket = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  double now = g_get_real_time () / (double) G_USEC_PER_SEC;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  gboolean is_object;

  is_object = json_parser_load_from_data (socket->parser, data, (gssize) size, NULL) &&
              json_parser_get_root (socket->parser) != NULL &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (socket->parser));

  json_builder_begin_object (builder);
  if (!is_object)
    {
      json_builder_set_member_name (builder, socket->canara ? "type" : "status");
      json_builder_add_string_value (builder, "error");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, socket->canara ? "Invalid JSON format" : "Malformed JSON");
    }
  else if (socket->canara)
    {
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "data_received");
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "processed");
      json_builder_set_member_name (builder, "timestamp");
      json_builder_add_double_value (builder, now);
      json_builder_set_member_name (builder, "seq");
      json_builder_add_int_value (builder, ++socket->seq);
    }
  else
    {
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "received");
      json_builder_set_member_name (builder, "server_timestamp");
      json_builder_add_double_value (builder, now);
      json_builder_set_member_name (builder, "message_id");
      json_builder_add_int_value (builder, ++message_counter);
    }
  json_builder_end_object (builder);
  send_builder (conn, builder);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Socket *socket = user_data;

  g_signal_handlers_disconnect_by_data (conn, socket);
  g_object_unref (socket->parser);
  g_object_unref (socket->conn);
  g_free (socket);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  Socket *socket = g_new0 (Socket, 1);

  socket->conn = g_object_ref (conn);
  socket->parser = json_parser_new_immutable ();
  socket->canara = GPOINTER_TO_INT (user_data);
  g_signal_connect (conn, "message", G_CALLBACK (on_message), socket);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), socket);

  if (socket->canara)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "connection_established");
      json_builder_end_object (builder);
      send_builder (conn, builder);
    }
}

static void
reply_json (SoupServerMessage *msg,
            const char        *text)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
http_cb (SoupServer        *server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  if (g_str_equal (path, "/health"))
    reply_json (msg, "{\"status\":\"healthy\",\"service\":\"vigil-echo-server\"}");
  else if (g_str_equal (path, "/api/v1/auth/register"))
    reply_json (msg, "{\"message\":\"registered\",\"user_id\":\"echo-user\"}");
  else if (g_str_equal (path, "/api/v1/auth/login"))
    reply_json (msg, "{\"access_token\":\"echo-access\",\"token_type\":\"bearer\",\"expires_in\":900}");
  else if (g_str_equal (path, "/api/v1/auth/verify-mpin"))
    {
      g_autofree char *text = g_strdup_printf ("{\"status\":\"verified\",\"session_id\":\"echo-%u\","
                                               "\"session_token\":\"echo-session\"}", ++session_counter);
      reply_json (msg, text);
    }
  else if (g_str_has_prefix (path, "/ws/behaviour") || g_str_has_prefix (path, "/api/v1/ws/behavior/"))
    /* Reached only by requests that are not WebSocket upgrades. */
    soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static GSocket *
listening_socket_new (const char  *address,
                      GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;

  connectable = g_network_address_parse (address, 0, error);
  if (connectable == NULL)
    return NULL;
  enumerator = g_socket_connectable_enumerate (connectable);
  socket_address = g_socket_address_enumerator_next (enumerator, NULL, error);
  if (socket_address == NULL)
    return NULL;

  socket = g_socket_new (g_socket_address_get_family (socket_address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *listen = NULL;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Where to listen (default 127.0.0.1:0, a free port)", "ADDR:PORT" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— a bare WebSocket acknowledgement server");
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *host = NULL;
  guint sigint_id, sigterm_id;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vigil-echo-server: %s\n", error->message);
      return 2;
    }

  server = soup_server_new ("server-header", "vigil-echo-server", NULL);
  /* As Vigil by default: no permessage-deflate. */
  soup_server_remove_websocket_extension (server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  soup_server_add_handler (server, NULL, http_cb, NULL, NULL);
  soup_server_add_websocket_handler (server, "/ws/behaviour", NULL, NULL, websocket_cb, GINT_TO_POINTER (FALSE), NULL);
  soup_server_add_websocket_handler (server, "/api/v1/ws/behavior", NULL, NULL, websocket_cb, GINT_TO_POINTER (TRUE),
                                     NULL);

  socket = listening_socket_new (listen != NULL ? listen : "127.0.0.1:0", &error);
  if (socket == NULL || !soup_server_listen_socket (server, socket, 0, &error))
    {
      g_printerr ("vigil-echo-server: %s\n", error->message);
      return 1;
    }
  local = g_socket_get_local_address (socket, &error);
  if (local == NULL)
    {
      g_printerr ("vigil-echo-server: %s\n", error->message);
      return 1;
    }
  host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  if (g_socket_address_get_family (local) == G_SOCKET_FAMILY_IPV6)
    g_print ("http://[%s]:%u\n", host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  else
    g_print ("http://%s:%u\n", host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  fflush (stdout);

  sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  soup_server_disconnect (server);
  return 0;
}
