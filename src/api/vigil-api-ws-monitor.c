/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cbsa's WS /ws/monitor: every committed event, as the seed's monitor
 * page reads it, for analysts and admins only (cbsa leaked every payload
 * to anyone). The access token comes in ?token= or, from browsers, as
 * "Sec-WebSocket-Protocol: vigil.monitor, bearer.TOKEN"; the server
 * answers the "vigil.monitor" protocol. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include <string.h>

#include "vigil-api-json.h"
#include "vigil-api-routes.h"
#include "vigil-api-ws-common.h"
#include "vigil-server-private.h"

#define PATH "/ws/monitor"
#define SIGNATURE_LENGTH 16

static const char * const protocols[] = { "vigil.monitor", NULL };

/* The server's monitors, subscribed to the event bus while it lives. */
typedef struct
{
  VigilServer   *server;       /* weak */
  VigilEngine   *engine;
  VigilEventBus *bus;
  gulong         events_id;
  GPtrArray     *monitors;     /* Monitor */
} Hub;

typedef struct
{
  SoupWebsocketConnection *conn;
  Hub                     *hub;
  gint64                   expires_at_s;   /* the token's */
} Monitor;

static void
hub_clear (gpointer data)
{
  Hub *hub = data;

  g_clear_signal_handler (&hub->events_id, hub->bus);
  g_clear_object (&hub->bus);
  g_clear_pointer (&hub->monitors, g_ptr_array_unref);
  g_clear_object (&hub->engine);
  g_clear_weak_pointer (&hub->server);
}

static Hub *
hub_ref (Hub *hub)
{
  return g_rc_box_acquire (hub);
}

static void
hub_unref (gpointer hub)
{
  g_rc_box_release_full (hub, hub_clear);
}

/* payload: data.payload, else data.event_data, else data itself. */
static JsonNode *
event_payload (JsonNode *data)
{
  JsonObject *object;
  JsonNode *member;

  if (data == NULL || !JSON_NODE_HOLDS_OBJECT (data))
    return data;

  object = json_node_get_object (data);
  if ((member = json_object_get_member (object, "payload")) != NULL && !JSON_NODE_HOLDS_NULL (member))
    return member;
  if ((member = json_object_get_member (object, "event_data")) != NULL && !JSON_NODE_HOLDS_NULL (member))
    return member;
  return data;
}

static void
add_node (JsonBuilder *builder,
          const char  *name,
          JsonNode    *node)
{
  json_builder_set_member_name (builder, name);
  if (node != NULL)
    json_builder_add_value (builder, json_node_copy (node));
  else
    json_builder_add_null_value (builder);
}

/* {receivedAt, eventType, payload, deviceInfo, signature, raw}, and the
 * session and sequence number that cbsa did not have. */
static char *
event_to_monitor_text (const VigilEvent *event)
{
  g_autoptr(JsonNode) data = json_from_string (event->data, NULL);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *digest = NULL;
  JsonNode *payload = event_payload (data);
  JsonNode *device_info = NULL;

  if (payload != NULL && JSON_NODE_HOLDS_OBJECT (payload))
    device_info = json_object_get_member (json_node_get_object (payload), "deviceInfo");

  /* Stable for the same event, short enough to show. */
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, event->data, -1);
  digest[SIGNATURE_LENGTH] = '\0';

  json_builder_begin_object (builder);
  vigil_api_builder_add_time (builder, "receivedAt", event->received_at_us);
  json_builder_set_member_name (builder, "eventType");
  json_builder_add_string_value (builder, event->event_type);
  add_node (builder, "payload", payload);
  add_node (builder, "deviceInfo", device_info);
  json_builder_set_member_name (builder, "signature");
  json_builder_add_string_value (builder, digest);
  json_builder_set_member_name (builder, "raw");
  json_builder_add_string_value (builder, event->data);
  vigil_api_builder_add_nullable_string (builder, "sessionId", event->session_id);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, event->seq);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static void
on_events_received (VigilEventBus *bus,
                    GPtrArray     *events,
                    gpointer       user_data)
{
  Hub *hub = user_data;
  gint64 now_s;

  if (hub->monitors->len == 0)
    return;

  /* A token that expires while watching ends the watch. */
  now_s = vigil_clock_now_s (vigil_engine_get_clock (hub->engine));
  for (guint i = 0; i < hub->monitors->len; i++)
    {
      Monitor *monitor = g_ptr_array_index (hub->monitors, i);

      if (now_s >= monitor->expires_at_s)
        vigil_api_ws_close (monitor->conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "Token expired");
    }

  for (guint i = 0; i < events->len; i++)
    {
      g_autofree char *text = event_to_monitor_text (g_ptr_array_index (events, i));

      for (guint j = 0; j < hub->monitors->len; j++)
        vigil_api_ws_send_text (((Monitor *) g_ptr_array_index (hub->monitors, j))->conn, text);
    }
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  Monitor *monitor = user_data;
  Hub *hub = monitor->hub;

  g_signal_handlers_disconnect_by_data (conn, monitor);
  vigil_metrics_connection_closed (vigil_engine_get_metrics (hub->engine), VIGIL_CONNECTION_MONITOR);
  g_ptr_array_remove_fast (hub->monitors, monitor);
  g_object_unref (monitor->conn);
  g_free (monitor);
  hub_unref (hub);
}

static void
monitor_websocket_cb (SoupServer              *soup_server,
                      SoupServerMessage       *msg,
                      const char              *path,
                      SoupWebsocketConnection *conn,
                      gpointer                 user_data)
{
  Hub *hub = user_data;
  g_autofree char *token = vigil_api_ws_get_query (msg, "token");
  g_autoptr(VigilTokenClaims) claims = NULL;
  Monitor *monitor;

  if (token == NULL)
    token = vigil_api_ws_get_protocol_token (msg);
  if (token != NULL)
    claims = vigil_auth_authenticate (vigil_engine_get_auth (hub->engine), token, VIGIL_TOKEN_ACCESS, NULL);
  if (claims == NULL || (claims->role != VIGIL_ROLE_ANALYST && claims->role != VIGIL_ROLE_ADMIN))
    {
      vigil_api_ws_refuse (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                           token == NULL ? "Missing token: an analyst or admin access token is required"
                           : "An analyst or admin access token is required");
      return;
    }

  monitor = g_new0 (Monitor, 1);
  monitor->conn = g_object_ref (conn);
  monitor->hub = hub_ref (hub);
  monitor->expires_at_s = claims->expires_at_s;
  g_ptr_array_add (hub->monitors, monitor);

  /* Monitors only listen. */
  soup_websocket_connection_set_max_incoming_payload_size (conn, 4096);
  g_signal_connect (conn, "closed", G_CALLBACK (on_closed), monitor);

  if (hub->server != NULL)
    _vigil_server_add_socket (hub->server, conn);
  vigil_metrics_connection_opened (vigil_engine_get_metrics (hub->engine), VIGIL_CONNECTION_MONITOR);
}

static void
monitor_http_cb (SoupServer        *soup_server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  if (!g_str_equal (path, PATH) && !g_str_equal (path, PATH "/"))
    {
      vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
      return;
    }
  vigil_api_ws_check_upgrade (msg);
}

void
vigil_api_ws_monitor_install (VigilServer *server,
                              SoupServer  *soup_server)
{
  Hub *hub = g_rc_box_new0 (Hub);

  g_set_weak_pointer (&hub->server, server);
  hub->engine = g_object_ref (vigil_server_get_engine (server));
  hub->bus = g_object_ref (vigil_engine_get_event_bus (hub->engine));
  hub->monitors = g_ptr_array_new ();
  hub->events_id = g_signal_connect (hub->bus, "events-received", G_CALLBACK (on_events_received), hub);

  soup_server_add_handler (soup_server, PATH, monitor_http_cb, NULL, NULL);
  soup_server_add_websocket_handler (soup_server, PATH, NULL, (char **) protocols,
                                     monitor_websocket_cb, hub, hub_unref);
}
