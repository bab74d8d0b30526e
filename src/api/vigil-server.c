/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP and WebSocket server: a SoupServer in the main loop whose
 * surfaces (one file each) translate requests into engine calls. */
#define G_LOG_DOMAIN "vigil-server"

#include "config.h"

#include <gio/gnetworking.h>

#include "vigil-api-json.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"
#include "vigil-profiles-live.h"
#include "vigil-server-private.h"

/* GLib's default (10) made 50 clients connecting at once wait about a
 * second for SYN retransmits; the kernel caps it at somaxconn. */
#define LISTEN_BACKLOG 1024

struct _VigilServer
{
  GObject            parent_instance;

  VigilEngine       *engine;
  SoupServer        *soup_server;
  char              *url;

  VigilStreamPolicy  stream_policy;
  gboolean           websocket_compression;
  char              *event_flow_map_path;
  GBytes            *event_flow_map;       /* NULL: the built-in one */
  GHashTable        *sockets;              /* SoupWebsocketConnection, open */
  gint64             stream_message_id;
};

G_DEFINE_FINAL_TYPE (VigilServer, vigil_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STREAM_POLICY,
  PROP_WEBSOCKET_COMPRESSION,
  PROP_EVENT_FLOW_MAP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GQuark request_started_quark;

static void
on_request_started (SoupServer        *soup_server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  VigilServer *self = user_data;
  gint64 *started = g_new (gint64, 1);

  *started = g_get_monotonic_time ();
  g_object_set_qdata_full (G_OBJECT (msg), request_started_quark, started, g_free);
  vigil_metrics_record_request (vigil_engine_get_metrics (self->engine));
}

static void
on_request_finished (SoupServer        *soup_server,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  gint64 *started = g_object_get_qdata (G_OBJECT (msg), request_started_quark);
  double elapsed_ms = started ? (g_get_monotonic_time () - *started) / 1000.0 : 0;
  g_autofree char *status = g_strdup_printf ("%u", soup_server_message_get_status (msg));
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  /* The path only: queries can carry tokens (WebSocket ?token=). */
  const char *path = uri ? g_uri_get_path (uri) : "?";

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                    "HTTP_METHOD", method,
                    "HTTP_PATH", path,
                    "HTTP_STATUS", status,
                    "MESSAGE", "%s %s %s %.1f ms", method, path, status, elapsed_ms);
}

static void
on_socket_closed (SoupWebsocketConnection *conn,
                  gpointer                 user_data)
{
  VigilServer *self = user_data;

  g_signal_handlers_disconnect_by_func (conn, on_socket_closed, self);
  g_hash_table_remove (self->sockets, conn);
}

void
_vigil_server_add_socket (VigilServer             *self,
                          SoupWebsocketConnection *conn)
{
  g_return_if_fail (VIGIL_IS_SERVER (self));

  if (g_hash_table_add (self->sockets, g_object_ref (conn)))
    g_signal_connect (conn, "closed", G_CALLBACK (on_socket_closed), self);
}

/* Each socket's own "closed" handler releases what it holds. */
static void
close_sockets (VigilServer *self)
{
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer conn;

  g_hash_table_iter_init (&iter, self->sockets);
  while (g_hash_table_iter_next (&iter, &conn, NULL))
    {
      g_signal_handlers_disconnect_by_func (conn, on_socket_closed, self);
      g_ptr_array_add (sockets, g_object_ref (conn));
    }
  g_hash_table_remove_all (self->sockets);

  for (guint i = 0; i < sockets->len; i++)
    {
      conn = g_ptr_array_index (sockets, i);
      if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "Server stopping");
    }
}

gint64
_vigil_server_next_stream_message_id (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), 0);

  return ++self->stream_message_id;
}

static void
vigil_server_dispose (GObject *object)
{
  VigilServer *self = VIGIL_SERVER (object);

  if (self->sockets != NULL)
    close_sockets (self);
  if (self->soup_server != NULL)
    {
      soup_server_disconnect (self->soup_server);
      g_signal_handlers_disconnect_by_data (self->soup_server, self);
      g_clear_object (&self->soup_server);
    }
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (vigil_server_parent_class)->dispose (object);
}

static void
vigil_server_finalize (GObject *object)
{
  VigilServer *self = VIGIL_SERVER (object);

  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->event_flow_map_path, g_free);
  g_clear_pointer (&self->event_flow_map, g_bytes_unref);
  g_clear_pointer (&self->sockets, g_hash_table_unref);

  G_OBJECT_CLASS (vigil_server_parent_class)->finalize (object);
}

static void
vigil_server_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  VigilServer *self = VIGIL_SERVER (object);

  switch (prop_id)
    {
    case PROP_STREAM_POLICY:
      g_value_set_string (value, vigil_stream_policy_to_string (self->stream_policy));
      break;
    case PROP_WEBSOCKET_COMPRESSION:
      g_value_set_boolean (value, self->websocket_compression);
      break;
    case PROP_EVENT_FLOW_MAP_PATH:
      g_value_set_string (value, self->event_flow_map_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_server_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  VigilServer *self = VIGIL_SERVER (object);

  switch (prop_id)
    {
    case PROP_STREAM_POLICY:
      {
        VigilStreamPolicy policy;

        if (vigil_stream_policy_from_string (g_value_get_string (value), &policy))
          vigil_server_set_stream_policy (self, policy);
        else
          g_warning ("Unknown stream policy “%s” (expected open, token or off)",
                     g_value_get_string (value));
      }
      break;
    case PROP_WEBSOCKET_COMPRESSION:
      vigil_server_set_websocket_compression (self, g_value_get_boolean (value));
      break;
    case PROP_EVENT_FLOW_MAP_PATH:
      {
        const char *path = g_value_get_string (value);
        g_autoptr(GError) error = NULL;

        /* A setting may name a missing file: keep serving a map. */
        if (!vigil_server_set_event_flow_map_path (self, path != NULL && *path != '\0' ? path : NULL, &error))
          g_warning ("Keeping the event-flow map served so far: %s", error->message);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_server_class_init (VigilServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_server_dispose;
  object_class->finalize = vigil_server_finalize;
  object_class->get_property = vigil_server_get_property;
  object_class->set_property = vigil_server_set_property;

  properties[PROP_STREAM_POLICY] =
    g_param_spec_string ("stream-policy", NULL, NULL, "open",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_WEBSOCKET_COMPRESSION] =
    g_param_spec_boolean ("websocket-compression", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EVENT_FLOW_MAP_PATH] =
    g_param_spec_string ("event-flow-map-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  request_started_quark = g_quark_from_static_string ("vigil-request-started");
}

static void
vigil_server_init (VigilServer *self)
{
  /* No libsoup version in the header: it only helps an attacker. */
  self->soup_server = g_object_new (SOUP_TYPE_SERVER,
                                    "server-header", "Vigil/" PACKAGE_VERSION,
                                    NULL);
  g_signal_connect (self->soup_server, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup_server, "request-finished", G_CALLBACK (on_request_finished), self);
  /* libsoup offers permessage-deflate unless told otherwise. */
  soup_server_remove_websocket_extension (self->soup_server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);

  self->stream_policy = VIGIL_STREAM_POLICY_OPEN;
  self->sockets = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
}

/* The engine judges navigation on the map this server serves. */
static void
share_event_flow_map (VigilServer *self)
{
  g_autoptr(GBytes) bytes = _vigil_server_dup_event_flow_map (self);
  g_autoptr(VigilNavigationMap) map = NULL;
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &size) : NULL;

  if (data != NULL && (map = vigil_navigation_map_new_from_data (data, (gssize) size, &error)) == NULL)
    g_warning ("Navigation is judged without the event-flow map: %s", error->message);
  vigil_profiles_set_event_flow_map (vigil_engine_get_profiles (self->engine), map);
}

VigilServer *
vigil_server_new (VigilEngine *engine)
{
  VigilServer *self;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  self = g_object_new (VIGIL_TYPE_SERVER, NULL);
  self->engine = g_object_ref (engine);

  vigil_api_health_install (self, self->soup_server);
  vigil_api_auth_install (self, self->soup_server);
  vigil_api_accounts_install (self, self->soup_server);
  vigil_api_risk_install (self, self->soup_server);
  vigil_api_profiles_install (self, self->soup_server);
  vigil_api_profile_models_install (self, self->soup_server);
  vigil_api_log_install (self, self->soup_server);
  vigil_api_ml_install (self, self->soup_server);
  vigil_api_ws_behavior_install (self, self->soup_server);
  vigil_api_ws_stream_install (self, self->soup_server);
  vigil_api_ws_monitor_install (self, self->soup_server);
  /* GET /, /event-flow-map, and the 404 of every other path. */
  vigil_api_root_install (self, self->soup_server);
  share_event_flow_map (self);

  return self;
}

static GSocketAddress *
parse_listen_address (const char  *address,
                      GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = NULL;
  g_autoptr(GInetAddress) inet_address = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *hostname;
  guint16 port;

  connectable = g_network_address_parse (address, 8000, &local_error);
  if (connectable == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "“%s” is not a listen address (expected ADDRESS:PORT, e.g. 127.0.0.1:8000): %s",
                   address, local_error->message);
      return NULL;
    }

  hostname = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));

  /* Resolving a name would block the main loop; loopback is the one name
   * worth knowing. */
  if (g_ascii_strcasecmp (hostname, "localhost") == 0)
    inet_address = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet_address = g_inet_address_new_from_string (hostname);

  if (inet_address == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "“%s” is not an IP address; give the address to listen on, e.g. 127.0.0.1 or ::1",
                   hostname);
      return NULL;
    }

  return g_inet_socket_address_new (inet_address, port);
}

/* As soup_server_listen () does, but with our backlog. */
static GSocket *
listening_socket_new (GSocketAddress  *address,
                      GError         **error)
{
  GSocketFamily family = g_socket_address_get_family (address);
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;

  if (family == G_SOCKET_FAMILY_IPV6)
    {
      g_autoptr(GError) option_error = NULL;

      if (!g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, &option_error))
        g_warning ("Cannot make the IPv6 socket IPv6-only: %s", option_error->message);
    }

  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) ||
      !g_socket_listen (socket, error))
    return NULL;

  return g_steal_pointer (&socket);
}

/* From the listening socket itself: soup_server_get_uris () in libsoup 3.2
 * leaks the address it reads, once per call. */
static char *
build_url (SoupServer  *soup_server,
           GError     **error)
{
  GSList *listeners = soup_server_get_listeners (soup_server);
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *host = NULL;
  GInetSocketAddress *inet;

  g_return_val_if_fail (listeners != NULL, NULL);

  local = g_socket_get_local_address (listeners->data, error);
  g_slist_free (listeners);
  if (local == NULL)
    return NULL;

  inet = G_INET_SOCKET_ADDRESS (local);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  if (g_inet_address_get_family (g_inet_socket_address_get_address (inet)) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u/", host, g_inet_socket_address_get_port (inet));
  return g_strdup_printf ("http://%s:%u/", host, g_inet_socket_address_get_port (inet));
}

gboolean
vigil_server_listen (VigilServer  *self,
                     const char   *address,
                     GError      **error)
{
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VIGIL_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  socket_address = parse_listen_address (address, error);
  if (socket_address == NULL)
    return FALSE;

  vigil_server_stop (self);

  socket = listening_socket_new (socket_address, &local_error);
  if (socket == NULL ||
      !soup_server_listen_socket (self->soup_server, socket, 0, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Cannot listen on %s: %s", address, local_error->message);
      return FALSE;
    }

  self->url = build_url (self->soup_server, error);
  if (self->url == NULL)
    {
      vigil_server_stop (self);
      return FALSE;
    }

  vigil_metrics_set_listen_url (vigil_engine_get_metrics (self->engine), self->url);
  g_message ("Listening on %s", self->url);
  return TRUE;
}

const char *
vigil_server_get_url (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), NULL);

  return self->url;
}

VigilEngine *
vigil_server_get_engine (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), NULL);

  return self->engine;
}

void
vigil_server_stop (VigilServer *self)
{
  g_return_if_fail (VIGIL_IS_SERVER (self));

  soup_server_disconnect (self->soup_server);
  close_sockets (self);
  if (self->url != NULL)
    {
      g_message ("Stopped listening on %s", self->url);
      g_clear_pointer (&self->url, g_free);
    }
  vigil_metrics_set_listen_url (vigil_engine_get_metrics (self->engine), NULL);
}

const char *
vigil_stream_policy_to_string (VigilStreamPolicy policy)
{
  switch (policy)
    {
    case VIGIL_STREAM_POLICY_OPEN:
      return "open";
    case VIGIL_STREAM_POLICY_TOKEN:
      return "token";
    case VIGIL_STREAM_POLICY_OFF:
      return "off";
    default:
      g_return_val_if_reached ("off");
    }
}

gboolean
vigil_stream_policy_from_string (const char        *text,
                                 VigilStreamPolicy *out_policy)
{
  static const VigilStreamPolicy policies[] = {
    VIGIL_STREAM_POLICY_OPEN, VIGIL_STREAM_POLICY_TOKEN, VIGIL_STREAM_POLICY_OFF,
  };

  g_return_val_if_fail (out_policy != NULL, FALSE);

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (policies); i++)
    if (g_str_equal (text, vigil_stream_policy_to_string (policies[i])))
      {
        *out_policy = policies[i];
        return TRUE;
      }
  return FALSE;
}

VigilStreamPolicy
vigil_server_get_stream_policy (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), VIGIL_STREAM_POLICY_OFF);

  return self->stream_policy;
}

void
vigil_server_set_stream_policy (VigilServer       *self,
                                VigilStreamPolicy  policy)
{
  g_return_if_fail (VIGIL_IS_SERVER (self));
  g_return_if_fail (policy <= VIGIL_STREAM_POLICY_OFF);

  if (self->stream_policy == policy)
    return;

  /* Sockets already open keep streaming; new ones follow the policy. */
  self->stream_policy = policy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAM_POLICY]);
}

gboolean
vigil_server_get_websocket_compression (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), FALSE);

  return self->websocket_compression;
}

void
vigil_server_set_websocket_compression (VigilServer *self,
                                        gboolean     enabled)
{
  g_return_if_fail (VIGIL_IS_SERVER (self));

  enabled = !!enabled;
  if (self->websocket_compression == enabled)
    return;

  self->websocket_compression = enabled;
  if (enabled)
    soup_server_add_websocket_extension (self->soup_server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  else
    soup_server_remove_websocket_extension (self->soup_server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WEBSOCKET_COMPRESSION]);
}

gboolean
vigil_server_set_event_flow_map_path (VigilServer  *self,
                                      const char   *path,
                                      GError      **error)
{
  g_autoptr(GBytes) map = NULL;

  g_return_val_if_fail (VIGIL_IS_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (path != NULL && (map = _vigil_api_load_event_flow_map (path, error)) == NULL)
    return FALSE;

  g_clear_pointer (&self->event_flow_map, g_bytes_unref);
  self->event_flow_map = g_steal_pointer (&map);
  if (g_strcmp0 (self->event_flow_map_path, path) != 0)
    {
      g_free (self->event_flow_map_path);
      self->event_flow_map_path = g_strdup (path);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENT_FLOW_MAP_PATH]);
    }
  share_event_flow_map (self);
  return TRUE;
}

const char *
vigil_server_get_event_flow_map_path (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), NULL);

  return self->event_flow_map_path;
}

GBytes *
_vigil_server_dup_event_flow_map (VigilServer *self)
{
  g_return_val_if_fail (VIGIL_IS_SERVER (self), NULL);

  if (self->event_flow_map != NULL)
    return g_bytes_ref (self->event_flow_map);
  return _vigil_api_default_event_flow_map ();
}
