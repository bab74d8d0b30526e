/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /health: liveness and the figures the seeds' clients and operators
 * read (status and service above all). */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-routes.h"

/* Probed before anything is written, so that "status" can lead the reply
 * and tell the truth about the database. */
static JsonNode *
database_status (VigilStore *store,
                 gboolean   *healthy)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;

  json_builder_begin_object (builder);
  if (store == NULL || !vigil_store_ping (store, &error))
    {
      *healthy = FALSE;
      g_warning ("Health check: the database does not answer: %s",
                 error ? error->message : "closed");
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "unavailable");
    }
  else
    {
      *healthy = TRUE;
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "ok");
      json_builder_set_member_name (builder, "engine");
      json_builder_add_string_value (builder, "sqlite");
      json_builder_set_member_name (builder, "journal_mode");
      json_builder_add_string_value (builder, vigil_store_get_journal_mode (store));
      json_builder_set_member_name (builder, "schema_version");
      json_builder_add_int_value (builder, vigil_store_get_schema_version (store));
      json_builder_set_member_name (builder, "pending_writes");
      json_builder_add_int_value (builder, vigil_store_get_pending_writes (store));
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

void
vigil_api_builder_add_ml_engine (JsonBuilder *builder,
                                 VigilEngine *engine)
{
  g_autoptr(VigilRemoteStatus) status = vigil_risk_get_remote_status (vigil_engine_get_risk (engine));

  json_builder_set_member_name (builder, "ml_engine");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, status->url != NULL ? "remote" : "local");
  if (status->url != NULL)
    {
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, status->url);
      json_builder_set_member_name (builder, "available");
      json_builder_add_boolean_value (builder, status->available);
      /* Who decides now: local analysis while the remote is out. */
      json_builder_set_member_name (builder, "deciding");
      json_builder_add_string_value (builder, status->available ? "remote" : "local");
      vigil_api_builder_add_time (builder, "unavailable_since", status->unavailable_since_us);
      json_builder_set_member_name (builder, "requests");
      json_builder_add_int_value (builder, (gint64) status->requests);
      json_builder_set_member_name (builder, "failures");
      json_builder_add_int_value (builder, (gint64) status->failures);
      json_builder_set_member_name (builder, "outages");
      json_builder_add_int_value (builder, (gint64) status->outages);
      vigil_api_builder_add_nullable_string (builder, "last_error", status->last_error);
      vigil_api_builder_add_time (builder, "last_error_at", status->last_error_at_us);
      json_builder_set_member_name (builder, "remote_decisions");
      json_builder_add_int_value (builder, (gint64) status->remote_decisions);
      json_builder_set_member_name (builder, "local_fallbacks");
      json_builder_add_int_value (builder, (gint64) status->local_fallbacks);
      json_builder_set_member_name (builder, "sessions");
      json_builder_add_int_value (builder, status->sessions);
    }
  json_builder_end_object (builder);
}

static void
health_cb (SoupServer        *soup_server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  VigilServer *server = user_data;
  VigilEngine *engine = vigil_server_get_engine (server);
  VigilMetrics *metrics = vigil_engine_get_metrics (engine);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) database = NULL;
  gboolean healthy;

  if (!g_str_equal (path, "/health") && !g_str_equal (path, "/health/"))
    {
      vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
      return;
    }
  if (!vigil_api_require_method (msg, SOUP_METHOD_GET, NULL))
    return;

  database = database_status (vigil_engine_get_store (engine), &healthy);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, healthy ? "healthy" : "unhealthy");
  json_builder_set_member_name (builder, "service");
  json_builder_add_string_value (builder, "Vigil");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "uptime_s");
  json_builder_add_int_value (builder, vigil_metrics_get_uptime_seconds (metrics));
  json_builder_set_member_name (builder, "active_connections");
  json_builder_add_int_value (builder, vigil_metrics_get_active_connections (metrics));
  json_builder_set_member_name (builder, "monitor_connections");
  json_builder_add_int_value (builder, vigil_metrics_get_monitor_connections (metrics));
  json_builder_set_member_name (builder, "active_sessions");
  json_builder_add_int_value (builder, vigil_metrics_get_active_sessions (metrics));
  json_builder_set_member_name (builder, "database");
  json_builder_add_value (builder, g_steal_pointer (&database));
  /* Where the token-signing key lives: "keyring" or "file". */
  json_builder_set_member_name (builder, "secrets");
  json_builder_add_string_value (builder, vigil_auth_get_secret_backend (vigil_engine_get_auth (engine)));
  vigil_api_builder_add_ml_engine (builder, engine);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, healthy ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, builder);
}

void
vigil_api_health_install (VigilServer *server,
                          SoupServer  *soup_server)
{
  soup_server_add_handler (soup_server, "/health", health_cb, server, NULL);
}
