/* SPDX-License-Identifier: GPL-3.0-or-later */
/* canara's login steps for one load connection: register, login and
 * verify-mpin over HTTP, then the socket. */
#define G_LOG_DOMAIN "vigil-load"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-load-private.h"


typedef enum
{
  STEP_REGISTER,
  STEP_LOGIN,
  STEP_VERIFY_MPIN,
} Step;

typedef struct
{
  Conn        *conn;
  Step         step;
  SoupMessage *msg;
} Request;

static void conn_post (Conn       *conn,
                       Step        step,
                       const char *path,
                       const char *bearer,
                       JsonNode   *body);

static const char *
step_name (Step step)
{
  switch (step)
    {
    case STEP_REGISTER:
      return "register";
    case STEP_LOGIN:
      return "login";
    case STEP_VERIFY_MPIN:
      return "verify-mpin";
    default:
      g_return_val_if_reached (NULL);
    }
}

static JsonNode *
object_node (JsonBuilder *builder)
{
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
conn_login (Conn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *device = g_strdup_printf ("load-device-%u", conn->index);
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, conn->phone);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, conn->run->options->password);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device);
  body = object_node (builder);
  conn_post (conn, STEP_LOGIN, "/api/v1/auth/login", NULL, body);
}

static void
conn_verify_mpin (Conn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *device = g_strdup_printf ("load-device-%u", conn->index);
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "mpin");
  json_builder_add_string_value (builder, conn->run->options->mpin);
  json_builder_set_member_name (builder, "context");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device);
  json_builder_set_member_name (builder, "app_version");
  json_builder_add_string_value (builder, "vigil-load");
  json_builder_end_object (builder);
  body = object_node (builder);
  conn_post (conn, STEP_VERIFY_MPIN, "/api/v1/auth/verify-mpin", conn->access_token, body);
}

static void
on_posted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Request *request = user_data;
  Conn *conn = request->conn;
  Run *run = conn->run;
  g_autoptr(SoupMessage) msg = request->msg;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  Step step = request->step;
  JsonObject *object = NULL;
  guint status;

  g_free (request);
  run->n_pending--;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      _vigil_load_conn_fail (conn, "%s: %s", step_name (step), error->message);
      _vigil_load_run_check_finished (run);
      return;
    }
  if (_vigil_load_conn_is_finished (conn) || run->closing)
    {
      _vigil_load_run_check_finished (run);
      return;
    }

  status = soup_message_get_status (msg);
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL) &&
      json_parser_get_root (parser) != NULL && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));

  if (status == 429 /* Too Many Requests */)
    {
      run->result->rate_limited++;
      _vigil_load_conn_fail (conn, "%s: rate-limited (429); start the server with higher rate-limit-burst and "
                             "rate-limit-per-minute settings", step_name (step));
      return;
    }

  switch (step)
    {
    case STEP_REGISTER:
      /* A rerun with the same seed finds its accounts already there. */
      if (SOUP_STATUS_IS_SUCCESSFUL (status) || status == SOUP_STATUS_BAD_REQUEST)
        conn_login (conn);
      else
        _vigil_load_conn_fail (conn, "register: HTTP %u", status);
      return;

    case STEP_LOGIN:
      if (status != SOUP_STATUS_OK || object == NULL || _vigil_load_string_member (object, "access_token") == NULL)
        {
          _vigil_load_conn_fail (conn, "login: HTTP %u%s", status,
                                 status == SOUP_STATUS_UNAUTHORIZED ? " (was the phone registered by another run with "
                                                                      "another password?)" : "");
          return;
        }
      conn->access_token = g_strdup (_vigil_load_string_member (object, "access_token"));
      conn_verify_mpin (conn);
      return;

    case STEP_VERIFY_MPIN:
      if (status != SOUP_STATUS_OK || object == NULL ||
          _vigil_load_string_member (object, "session_id") == NULL ||
          _vigil_load_string_member (object, "session_token") == NULL)
        {
          _vigil_load_conn_fail (conn, "verify-mpin: HTTP %u", status);
          return;
        }
      conn->session_id = g_strdup (_vigil_load_string_member (object, "session_id"));
      conn->session_token = g_strdup (_vigil_load_string_member (object, "session_token"));
      _vigil_load_conn_connect_socket (conn);
      return;

    default:
      g_assert_not_reached ();
    }
}

static void
conn_post (Conn       *conn,
           Step        step,
           const char *path,
           const char *bearer,
           JsonNode   *body)
{
  Run *run = conn->run;
  g_autofree char *url = g_strconcat (run->base_url, path, NULL);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GBytes) bytes = NULL;
  Request *request;
  gsize length;
  char *text;

  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &length);
  bytes = g_bytes_new_take (text, length);

  request = g_new0 (Request, 1);
  request->conn = conn;
  request->step = step;
  request->msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (request->msg, "application/json", bytes);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (request->msg), "Authorization", value);
    }

  run->n_pending++;
  soup_session_send_and_read_async (run->http_session, request->msg, G_PRIORITY_DEFAULT, run->cancellable,
                                    on_posted, request);
}

void
_vigil_load_conn_register (Conn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, conn->phone);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, conn->run->options->password);
  json_builder_set_member_name (builder, "mpin");
  json_builder_add_string_value (builder, conn->run->options->mpin);
  body = object_node (builder);
  conn_post (conn, STEP_REGISTER, "/api/v1/auth/register", NULL, body);
}
