/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the WebSocket surfaces share: bounded JSON parsing, sends and
 * closes that are safe on a closing connection, and tokens from the
 * upgrade request. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-ws-common.h"

#include <string.h>

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-error.h"

/* RFC 6455: a close frame's reason fits in 123 bytes. */
#define MAX_CLOSE_REASON 123

/* Brackets outside strings, counted without parsing: json-glib parses
 * recursively. */
static gboolean
json_depth_within (const char *data,
                   gsize       length,
                   guint       max_depth)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return TRUE;
}

JsonNode *
vigil_api_ws_parse (GBytes          *message,
                    gsize            max_bytes,
                    VigilApiWsParse *out_result)
{
  g_autoptr(JsonParser) parser = NULL;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  JsonNode *root;

  g_return_val_if_fail (out_result != NULL, NULL);

  if (length > max_bytes)
    {
      *out_result = VIGIL_API_WS_PARSE_TOO_LARGE;
      return NULL;
    }

  *out_result = VIGIL_API_WS_PARSE_NOT_JSON;
  if (data == NULL || length == 0 ||
      !g_utf8_validate_len (data, length, NULL) ||
      !json_depth_within (data, length, VIGIL_API_MAX_JSON_DEPTH))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, length, NULL))
    return NULL;
  root = json_parser_steal_root (parser);
  if (root == NULL)
    return NULL;

  *out_result = VIGIL_API_WS_PARSE_OK;
  return root;
}

static void
release_on_closed (SoupWebsocketConnection *conn,
                   gpointer                 user_data)
{
  g_signal_handlers_disconnect_by_func (conn, release_on_closed, user_data);
  g_object_unref (conn);
}

void
vigil_api_ws_refuse (SoupWebsocketConnection *conn,
                     gushort                  code,
                     const char              *reason)
{
  g_return_if_fail (SOUP_IS_WEBSOCKET_CONNECTION (conn));

  /* Dropping the last reference would cut the connection before the
   * close frame left. */
  g_signal_connect (g_object_ref (conn), "closed", G_CALLBACK (release_on_closed), NULL);
  vigil_api_ws_close (conn, code, reason);
}

void
vigil_api_ws_set_limit (SoupWebsocketConnection *conn,
                        gsize                    max_message_bytes)
{
  guint64 limit = MAX ((guint64) max_message_bytes * 2,
                       soup_websocket_connection_get_max_incoming_payload_size (conn));

  soup_websocket_connection_set_max_incoming_payload_size (conn, limit);
}

void
vigil_api_ws_send_text (SoupWebsocketConnection *conn,
                        const char              *text)
{
  if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (conn, text);
}

void
vigil_api_ws_send (SoupWebsocketConnection *conn,
                   JsonBuilder             *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  vigil_api_ws_send_text (conn, text);
}

void
vigil_api_ws_close (SoupWebsocketConnection *conn,
                    gushort                  code,
                    const char              *reason)
{
  g_autofree char *truncated = NULL;

  if (soup_websocket_connection_get_state (conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return;

  if (reason != NULL && strlen (reason) > MAX_CLOSE_REASON)
    {
      const char *end = reason + MAX_CLOSE_REASON;

      /* Cut at a character boundary: the reason must stay UTF-8. */
      while (end > reason && (*end & 0xc0) == 0x80)
        end--;
      reason = truncated = g_strndup (reason, end - reason);
    }
  soup_websocket_connection_close (conn, code, reason);
}

/* RFC 7231; libsoup 3.2 has no name for it. */
#define HTTP_UPGRADE_REQUIRED 426

gboolean
vigil_api_ws_check_upgrade (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (!vigil_api_require_method (msg, SOUP_METHOD_GET, NULL))
    return FALSE;
  if (soup_message_headers_header_contains (headers, "Upgrade", "websocket"))
    return TRUE;

  vigil_api_reply_error (msg, HTTP_UPGRADE_REQUIRED, "upgrade_required", "This is a WebSocket endpoint");
  soup_server_message_set_status (msg, HTTP_UPGRADE_REQUIRED, "Upgrade Required");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Upgrade", "websocket");
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "Upgrade");
  return FALSE;
}

char *
vigil_api_ws_get_query (SoupServerMessage *msg,
                        const char        *name)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) params = NULL;
  const char *value;

  if (query == NULL)
    return NULL;

  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  value = params != NULL ? g_hash_table_lookup (params, name) : NULL;
  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

char *
vigil_api_ws_get_protocol_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                                      "Sec-WebSocket-Protocol");
  g_auto(GStrv) protocols = NULL;

  if (header == NULL)
    return NULL;

  protocols = g_strsplit_set (header, ", \t", -1);
  for (guint i = 0; protocols[i] != NULL; i++)
    if (g_str_has_prefix (protocols[i], "bearer.") && protocols[i][strlen ("bearer.")] != '\0')
      return g_strdup (protocols[i] + strlen ("bearer."));

  return NULL;
}

double
vigil_api_ws_now (VigilEngine *engine)
{
  return vigil_clock_now_us (vigil_engine_get_clock (engine)) / (double) G_USEC_PER_SEC;
}

const char *
vigil_api_ws_error_text (const GError *error)
{
  if (error->domain == VIGIL_ERROR)
    {
      switch ((VigilError) error->code)
        {
        case VIGIL_ERROR_INVALID_INPUT:
        case VIGIL_ERROR_NOT_FOUND:
        case VIGIL_ERROR_CONFLICT:
        case VIGIL_ERROR_UNAUTHORIZED:
        case VIGIL_ERROR_FORBIDDEN:
        case VIGIL_ERROR_RATE_LIMITED:
        case VIGIL_ERROR_LOCKED:
        case VIGIL_ERROR_TOO_LARGE:
        case VIGIL_ERROR_BUSY:
        case VIGIL_ERROR_CLOSED:
        case VIGIL_ERROR_UNAVAILABLE:
          return error->message;
        case VIGIL_ERROR_FAILED:
        case VIGIL_ERROR_DATABASE:
        case VIGIL_ERROR_SCHEMA_TOO_NEW:
        default:
          break;
        }
    }

  g_warning ("WebSocket message refused: %s", error->message);
  return "Internal server error";
}
