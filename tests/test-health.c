/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-error.h"
#include "vigil-server.h"
#include "vigil-test-util.h"

typedef struct
{
  char        *dir;
  VigilEngine *engine;
  VigilServer *server;
  SoupSession *session;
} Fixture;

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Reply;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->engine = vigil_engine_new (fixture->dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  fixture->server = vigil_server_new (fixture->engine);
  g_assert_true (vigil_server_listen (fixture->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  fixture->session = soup_session_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->session);
  vigil_server_stop (fixture->server);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->server));
  vigil_engine_shutdown (fixture->engine);
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->done = TRUE;
}

static SoupMessage *
request (Fixture     *fixture,
         const char  *method,
         const char  *path,
         JsonNode   **out_json)
{
  g_autofree char *url = g_strconcat (vigil_server_get_url (fixture->server), path + 1, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  SoupMessage *msg = soup_message_new (method, url);
  Reply reply = { 0 };

  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reply);
  g_assert_true (vigil_test_wait_for (&reply.done, 10000));
  g_assert_no_error (reply.error);

  if (out_json != NULL)
    {
      g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL),
                       ==, "application/json");
      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (reply.body, NULL),
                                                 g_bytes_get_size (reply.body), &error));
      g_assert_no_error (error);
      *out_json = json_node_copy (json_parser_get_root (parser));
    }
  g_bytes_unref (reply.body);
  return msg;
}

static void
test_health_reports_service (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object, *database;

  msg = request (fixture, "GET", "/health", &root);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);

  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "healthy");
  g_assert_cmpstr (json_object_get_string_member (object, "service"), ==, "Vigil");
  g_assert_cmpstr (json_object_get_string_member (object, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpint (json_object_get_int_member (object, "uptime_s"), >=, 0);
  g_assert_cmpint (json_object_get_int_member (object, "active_connections"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "monitor_connections"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "active_sessions"), ==, 0);

  database = json_object_get_object_member (object, "database");
  g_assert_nonnull (database);
  g_assert_cmpstr (json_object_get_string_member (database, "status"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (database, "journal_mode"), ==, "wal");
  g_assert_cmpint (json_object_get_int_member (database, "schema_version"), ==,
                   vigil_store_get_latest_schema_version ());

  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Server"),
                   ==, "Vigil/" PACKAGE_VERSION);
}

static void
test_health_counts_connections (Fixture       *fixture,
                                gconstpointer  data)
{
  VigilMetrics *metrics = vigil_engine_get_metrics (fixture->engine);
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonNode) root = NULL;
  guint64 before = vigil_metrics_get_requests_total (metrics);

  vigil_metrics_connection_opened (metrics, VIGIL_CONNECTION_STREAM);
  vigil_metrics_connection_opened (metrics, VIGIL_CONNECTION_STREAM);
  vigil_metrics_connection_opened (metrics, VIGIL_CONNECTION_MONITOR);
  vigil_metrics_set_active_sessions (metrics, 3);

  msg = request (fixture, "GET", "/health", &root);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "active_connections"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "monitor_connections"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "active_sessions"), ==, 3);
  g_assert_cmpuint (vigil_metrics_get_requests_total (metrics), ==, before + 1);
}

static void
test_unknown_path_is_json_404 (Fixture       *fixture,
                               gconstpointer  data)
{
  const char *paths[] = { "/nope", "/api/v9/whatever?token=secret", "/healthz" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(SoupMessage) msg = NULL;
      g_autoptr(JsonNode) root = NULL;

      msg = request (fixture, "GET", paths[i], &root);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 404);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "error"), ==, "not_found");
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "detail"), ==, "Not Found");
    }
}

static void
test_health_rejects_other_methods (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonNode) root = NULL;

  msg = request (fixture, "DELETE", "/health", &root);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 405);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Allow"),
                   ==, "GET, HEAD");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "error"), ==,
                   "method_not_allowed");
}

static void
test_health_reports_closed_database (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  /* The engine shut down under a live server: the probe says so. */
  vigil_store_close (vigil_engine_get_store (fixture->engine));
  g_test_expect_message ("vigil-api", G_LOG_LEVEL_WARNING, "Health check: the database does not answer*");
  msg = request (fixture, "GET", "/health", &root);
  g_test_assert_expected_messages ();
  object = json_node_get_object (root);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 503);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "unhealthy");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "database"), "status"),
                   ==, "unavailable");
}

static void
test_listen_rejects_bad_addresses (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_autoptr(VigilServer) server = vigil_server_new (engine);
  g_autoptr(VigilServer) rival = vigil_server_new (engine);
  g_autofree char *taken = NULL;
  g_autoptr(GUri) uri = NULL;

  g_assert_false (vigil_server_listen (server, "example.org:8000", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (vigil_server_listen (server, "127.0.0.1:notaport", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_null (vigil_server_get_url (server));

  g_assert_true (vigil_server_listen (server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (vigil_server_get_url (server), "http://127.0.0.1:"));
  g_assert_cmpstr (vigil_metrics_get_listen_url (vigil_engine_get_metrics (engine)), ==,
                   vigil_server_get_url (server));

  /* A port already taken fails with a message naming it. */
  uri = g_uri_parse (vigil_server_get_url (server), G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  taken = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
  g_assert_false (vigil_server_listen (rival, taken, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, taken));

  vigil_server_stop (server);
  vigil_test_drain_main_context ();
  g_assert_null (vigil_metrics_get_listen_url (vigil_engine_get_metrics (engine)));
  vigil_engine_shutdown (engine);
  vigil_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/health/service", test_health_reports_service);
  ADD ("/api/health/connections", test_health_counts_connections);
  ADD ("/api/health/closed-database", test_health_reports_closed_database);
  ADD ("/api/not-found", test_unknown_path_is_json_404);
  ADD ("/api/method-not-allowed", test_health_rejects_other_methods);
#undef ADD
  g_test_add_func ("/api/listen/bad-address", test_listen_rejects_bad_addresses);

  return g_test_run ();
}
