/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP and WebSocket server: a SoupServer in the main loop whose
 * surfaces (one file each) translate requests into engine calls. */
#define G_LOG_DOMAIN "vigil-server"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"
#include "vigil-server.h"

struct _VigilServer
{
  GObject      parent_instance;

  VigilEngine *engine;
  SoupServer  *soup_server;
  char        *url;
};

G_DEFINE_FINAL_TYPE (VigilServer, vigil_server, G_TYPE_OBJECT)

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
not_found_cb (SoupServer        *soup_server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
}

static void
vigil_server_dispose (GObject *object)
{
  VigilServer *self = VIGIL_SERVER (object);

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

  G_OBJECT_CLASS (vigil_server_parent_class)->finalize (object);
}

static void
vigil_server_class_init (VigilServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_server_dispose;
  object_class->finalize = vigil_server_finalize;

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
  vigil_api_profiles_install (self, self->soup_server);
  soup_server_add_handler (self->soup_server, NULL, not_found_cb, self, NULL);

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
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VIGIL_IS_SERVER (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  socket_address = parse_listen_address (address, error);
  if (socket_address == NULL)
    return FALSE;

  vigil_server_stop (self);

  if (!soup_server_listen (self->soup_server, socket_address, 0, &local_error))
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
  if (self->url != NULL)
    {
      g_message ("Stopped listening on %s", self->url);
      g_clear_pointer (&self->url, g_free);
    }
  vigil_metrics_set_listen_url (vigil_engine_get_metrics (self->engine), NULL);
}
