/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /: the walmart seed's health answer for JSON clients, cbsa's live
 * monitor page for browsers; GET /event-flow-map: the map that page
 * draws; and the 404 of every path no surface claims. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-resources.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"
#include "vigil-server-private.h"

#define RESOURCE_PATH "/io/vigil/Console/api/"
/* A map is a few tens of KiB; anything far larger is a mistake. */
#define MAX_MAP_BYTES (8 * 1024 * 1024)

static GBytes *
resource_bytes (const char *name)
{
  g_autofree char *path = g_strconcat (RESOURCE_PATH, name, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  bytes = g_resource_lookup_data (vigil_api_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  /* Compiled in: missing means a broken build. */
  g_assert_no_error (error);
  return bytes;
}

GBytes *
_vigil_api_default_event_flow_map (void)
{
  return resource_bytes ("event-flow-map.json");
}

GBytes *
_vigil_api_load_event_flow_map (const char  *path,
                                GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  JsonNode *root, *map;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "Cannot read the event-flow map: %s", local_error->message);
      return NULL;
    }
  if (length > MAX_MAP_BYTES)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The event-flow map “%s” is larger than %d bytes", path, MAX_MAP_BYTES);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The event-flow map “%s” is not JSON: %s", path, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  map = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
        ? json_object_get_member (json_node_get_object (root), "eventFlowMap") : NULL;
  if (map == NULL || !JSON_NODE_HOLDS_OBJECT (map))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The event-flow map “%s” has no \"eventFlowMap\" object", path);
      return NULL;
    }

  /* Served as written. */
  return g_bytes_new_take (g_steal_pointer (&contents), length);
}

static gboolean
accepts_html (SoupServerMessage *msg)
{
  const char *accept = soup_message_headers_get_list (soup_server_message_get_request_headers (msg), "Accept");
  gboolean html = FALSE;
  GSList *types;

  if (accept == NULL)
    return FALSE;

  /* Without "text/html;q=0" and the like. */
  types = soup_header_parse_quality_list (accept, NULL);
  for (GSList *l = types; l != NULL && !html; l = l->next)
    html = g_ascii_strcasecmp (l->data, "text/html") == 0;
  soup_header_free_list (types);
  return html;
}

static void
reply_monitor_page (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) page = resource_bytes ("monitor.html");

  /* The page holds an analyst's token: nothing but itself runs in it, and
   * no other site may frame it. */
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/html; charset=utf-8", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), page);
}

static void
root_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  g_autoptr(JsonBuilder) builder = NULL;

  /* Registered at "/", this handler is libsoup's fallback for every path. */
  if (!g_str_equal (path, "/"))
    {
      vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
      return;
    }
  if (!vigil_api_require_method (msg, SOUP_METHOD_GET, NULL))
    return;

  soup_message_headers_append (soup_server_message_get_response_headers (msg), "Vary", "Accept");
  if (accepts_html (msg))
    {
      reply_monitor_page (msg);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "healthy");
  json_builder_set_member_name (builder, "service");
  json_builder_add_string_value (builder, "Vigil");
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
event_flow_map_cb (SoupServer        *soup_server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  VigilServer *server = user_data;
  g_autoptr(GBytes) map = NULL;

  if (!g_str_equal (path, "/event-flow-map") && !g_str_equal (path, "/event-flow-map/"))
    {
      vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
      return;
    }
  if (!vigil_api_require_method (msg, SOUP_METHOD_GET, NULL))
    return;

  map = _vigil_server_dup_event_flow_map (server);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg), "application/json", NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), map);
}

void
vigil_api_root_install (VigilServer *server,
                        SoupServer  *soup_server)
{
  soup_server_add_handler (soup_server, "/", root_cb, server, NULL);
  soup_server_add_handler (soup_server, "/event-flow-map", event_flow_map_cb, server, NULL);
}
