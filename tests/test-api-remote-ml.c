/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Remote mode over real HTTP: Vigil A asks Vigil B (both in this process)
 * about A's live sessions, records the ML events in A's session history,
 * and, once B is stopped, decides locally, reports the outage in /health
 * and /statistics and audits it. Remotes that answer garbage, hang past
 * the timeout, or decide differently from the local analysis, and the
 * validation of the URL. */
#include "config.h"

#include <string.h>

#include "vigil-error.h"
#include "vigil-remote-analyzer.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define PASSWORD "Correct-Horse-Battery-9"

#define WAIT_UNTIL(condition)                                                  \
  G_STMT_START {                                                               \
    gint64 wait_deadline_ = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;     \
    while (!(condition))                                                       \
      {                                                                        \
        g_assert_cmpint (g_get_monotonic_time (), <, wait_deadline_);          \
        g_main_context_iteration (NULL, FALSE);                                \
        g_usleep (1000);                                                       \
      }                                                                        \
  } G_STMT_END

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

/* A server with the guide's endpoints that answers what the test says. */
typedef struct
{
  SoupServer *server;
  char       *url;
  const char *start_reply;
  const char *analyze_reply;
  gboolean    hang;            /* /analyze-mobile never answers */
  guint       starts;
  guint       analyses;
  GPtrArray  *hanging;
} FakeRemote;

typedef struct
{
  VigilTestApi         a;
  VigilTestApi         b;
  gboolean             b_running;
  FakeRemote           fake;
  VigilRemoteAnalyzer *analyzer;
} Fixture;

static void
fake_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  FakeRemote *fake = user_data;
  const char *reply = "{\"status\":\"success\"}";

  if (g_str_equal (path, "/session/start"))
    {
      fake->starts++;
      reply = fake->start_reply ? fake->start_reply : reply;
    }
  else if (g_str_equal (path, "/analyze-mobile"))
    {
      fake->analyses++;
      if (fake->hang)
        {
          soup_server_message_pause (msg);
          g_ptr_array_add (fake->hanging, g_object_ref (msg));
          return;
        }
      reply = fake->analyze_reply;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
}

/* On a socket of our own: libsoup 3.2's soup_server_get_uris () leaks. */
static void
fake_start (FakeRemote *fake)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  fake->server = soup_server_new (NULL, NULL);
  fake->hanging = g_ptr_array_new_with_free_func (g_object_unref);
  soup_server_add_handler (fake->server, NULL, fake_handler, fake, NULL);
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any_port, TRUE, &error) && g_socket_listen (socket, &error));
  g_assert_no_error (error);
  g_assert_true (soup_server_listen_socket (fake->server, socket, 0, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  fake->url = g_strdup_printf ("http://127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

static void
fake_stop (FakeRemote *fake)
{
  if (fake->server == NULL)
    return;
  for (guint i = 0; i < fake->hanging->len; i++)
    {
      SoupServerMessage *msg = g_ptr_array_index (fake->hanging, i);

      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      soup_server_message_unpause (msg);
    }
  soup_server_disconnect (fake->server);
  vigil_test_drain_main_context ();
  g_clear_pointer (&fake->hanging, g_ptr_array_unref);
  g_clear_object (&fake->server);
  g_clear_pointer (&fake->url, g_free);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  vigil_test_api_set_up (&fixture->a, NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  vigil_test_api_tear_down (&fixture->a);
  g_clear_object (&fixture->analyzer);
  if (fixture->b_running)
    vigil_test_api_tear_down (&fixture->b);
  fake_stop (&fixture->fake);
  vigil_test_drain_main_context ();
}

static VigilUser *
register_account (VigilTestApi *api,
                  const char   *email,
                  VigilRole     role)
{
  VigilAuth *auth = vigil_engine_get_auth (api->engine);
  VigilRegistration registration = { .email = email, .password = PASSWORD, .role = role };
  g_autoptr(GError) error = NULL;
  VigilUser *user;
  Wait wait = { 0 };

  vigil_auth_register_async (auth, &registration, "127.0.0.1", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  user = vigil_auth_register_finish (auth, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  return user;
}

/* A asks @url (with credentials, if any). */
static void
use_remote (Fixture    *fixture,
            const char *url)
{
  g_autoptr(GError) error = NULL;

  fixture->analyzer = vigil_remote_analyzer_new (url, &error);
  g_assert_no_error (error);
  vigil_engine_set_remote_analyzer (fixture->a.engine, VIGIL_ANALYZER (fixture->analyzer));
}

/* B, with an analyst account A logs in with; the URL A asks it at. */
static char *
start_b_only (Fixture *fixture)
{
  g_autoptr(VigilUser) analyst = NULL;
  g_autoptr(GUri) base = NULL;

  vigil_test_api_set_up (&fixture->b, NULL);
  fixture->b_running = TRUE;
  analyst = register_account (&fixture->b, "analyst@example.com", VIGIL_ROLE_ANALYST);
  base = g_uri_parse (vigil_server_get_url (fixture->b.server), G_URI_FLAGS_NONE, NULL);
  return g_strdup_printf ("http://analyst%%40example.com:%s@127.0.0.1:%d", PASSWORD, g_uri_get_port (base));
}

static void
start_b (Fixture *fixture)
{
  g_autofree char *url = start_b_only (fixture);

  use_remote (fixture, url);
}

static VigilSession *
start_session (VigilTestApi *api,
               const char   *user_id)
{
  VigilSessions *sessions = vigil_engine_get_sessions (api->engine);
  g_autoptr(GError) error = NULL;
  VigilSession *session;
  Wait wait = { 0 };

  vigil_sessions_start_async (sessions, user_id, "device-1", NULL, "127.0.0.1", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  session = vigil_sessions_start_finish (sessions, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  return session;
}

static char *
end_session (VigilTestApi *api,
             const char   *session_id)
{
  VigilSessions *sessions = vigil_engine_get_sessions (api->engine);
  g_autoptr(GError) error = NULL;
  char *path;
  Wait wait = { 0 };

  vigil_sessions_end_async (sessions, session_id, "logout", NULL, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  path = vigil_sessions_end_finish (sessions, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  return path;
}

/* Appends events of the given types (NULL-terminated) and waits for the
 * commit, as a client's acknowledgement would. */
static void
append (VigilTestApi *api,
        VigilSession *session,
        const char   *first_type,
        ...)
{
  VigilSessions *sessions = vigil_engine_get_sessions (api->engine);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };
  va_list args;

  va_start (args, first_type);
  for (const char *type = first_type; type != NULL; type = va_arg (args, const char *))
    {
      g_autoptr(JsonObject) object = json_object_new ();

      json_object_set_string_member (object, "event_type", type);
      json_object_set_object_member (object, "data", json_object_new ());
      g_ptr_array_add (events, vigil_event_new_from_json (object, 64, &error));
      g_assert_no_error (error);
    }
  va_end (args);

  vigil_sessions_append_async (sessions, vigil_session_get_id (session), vigil_session_get_user_id (session), events,
                               NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  g_assert_cmpint (vigil_sessions_append_finish (sessions, wait.result, &error), >, 0);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
}

/* @n events of @event_type in one batch. */
static void
append_many (VigilTestApi *api,
             VigilSession *session,
             const char   *event_type,
             guint         n)
{
  VigilSessions *sessions = vigil_engine_get_sessions (api->engine);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      JsonObject *data = json_object_new ();

      json_object_set_string_member (object, "event_type", event_type);
      json_object_set_int_member (data, "x", i);
      json_object_set_string_member (data, "padding", "0123456789012345678901234567890123456789");
      json_object_set_object_member (object, "data", data);
      g_ptr_array_add (events, vigil_event_new_from_json (object, 128, &error));
      g_assert_no_error (error);
    }
  vigil_sessions_append_async (sessions, vigil_session_get_id (session), vigil_session_get_user_id (session), events,
                               NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  g_assert_cmpint (vigil_sessions_append_finish (sessions, wait.result, &error), >, 0);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
}

/* One event given as its JSON. */
static void
append_json (VigilTestApi *api,
             VigilSession *session,
             const char   *json)
{
  VigilSessions *sessions = vigil_engine_get_sessions (api->engine);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  g_assert_nonnull (node);
  g_ptr_array_add (events, vigil_event_new_from_json (json_node_get_object (node), strlen (json), &error));
  g_assert_no_error (error);
  vigil_sessions_append_async (sessions, vigil_session_get_id (session), vigil_session_get_user_id (session), events,
                               NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  g_assert_cmpint (vigil_sessions_append_finish (sessions, wait.result, &error), >, 0);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
}

static gint64 query_int (VigilTestApi *api,
                         const char   *format,
                         ...) G_GNUC_PRINTF (2, 3);

static gint64
query_int (VigilTestApi *api,
           const char   *format,
           ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  gint64 value = -1;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (api->engine)), sql, &value,
                                     &error));
  g_assert_no_error (error);
  return value;
}

static gint64
count_events (VigilTestApi *api,
              VigilSession *session,
              const char   *event_type)
{
  return query_int (api, "SELECT count(*) FROM events WHERE session_id = '%s' AND event_type = '%s'",
                    vigil_session_get_id (session), event_type);
}

/* The data of the session's latest @event_type, as text. */
static char *
event_data (VigilTestApi *api,
            VigilSession *session,
            const char   *event_type)
{
  VigilDb *db = vigil_store_get_reader (vigil_engine_get_store (api->engine));
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  char *data;

  stmt = vigil_db_prepare (db, "SELECT data FROM events WHERE session_id = ? AND event_type = ?"
                               " ORDER BY seq DESC LIMIT 1", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, vigil_session_get_id (session), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, event_type, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  data = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return data;
}

/* How many of @session's events @risk (B's) has analysed. */
static guint
events_analyzed (VigilRisk    *risk,
                 VigilSession *session)
{
  g_autoptr(VigilRiskDecision) last = vigil_risk_get_last_decision (risk, vigil_session_get_id (session));

  return last != NULL ? last->events_analyzed : 0;
}

static JsonObject *
health_ml_engine (VigilTestApi   *api,
                  VigilTestReply **out_reply)
{
  VigilTestReply *reply = vigil_test_api_get (api, "/health", NULL);

  vigil_test_assert_status (reply, 200);
  *out_reply = reply;
  return json_object_get_object_member (vigil_test_reply_object (reply), "ml_engine");
}

static void
test_local_mode (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilTestReply) reply = NULL;
  JsonObject *ml_engine = health_ml_engine (&fixture->a, &reply);

  g_assert_cmpstr (json_object_get_string_member (ml_engine, "mode"), ==, "local");
  g_assert_false (json_object_has_member (ml_engine, "url"));
}

static void
test_remote_then_outage (Fixture       *fixture,
                         gconstpointer  data)
{
  VigilRisk *b_risk;
  g_autoptr(VigilUser) user = register_account (&fixture->a, "user@example.com", VIGIL_ROLE_USER);
  g_autoptr(VigilUser) admin = register_account (&fixture->a, "admin@example.com", VIGIL_ROLE_ADMIN);
  g_autoptr(VigilSession) first = NULL;
  g_autoptr(VigilSession) second = NULL;
  g_autoptr(VigilSession) third = NULL;
  g_autofree char *not_asked = NULL;
  g_autoptr(VigilRiskDecision) on_b = NULL;
  g_autoptr(VigilTestReply) health = NULL;
  g_autoptr(VigilTestReply) login = NULL;
  g_autoptr(VigilTestReply) stats = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *log = NULL;
  g_autofree char *result = NULL;
  g_autofree char *failed = NULL;
  JsonObject *ml_engine;

  start_b (fixture);
  b_risk = vigil_engine_get_risk (fixture->b.engine);

  /* A session's start, analysis and end go to B. */
  first = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, first, "ml_session_started") == 1);
  g_assert_cmpfloat (vigil_risk_get_session_risk (b_risk, vigil_session_get_id (first)), >=, 0);

  append (&fixture->a, first, "button_click", "page_view", NULL);
  WAIT_UNTIL (count_events (&fixture->a, first, "ml_analysis_result") == 1);
  on_b = vigil_risk_get_last_decision (b_risk, vigil_session_get_id (first));
  g_assert_nonnull (on_b);
  g_assert_cmpuint (on_b->events_analyzed, ==, 2);
  g_assert_cmpstr (on_b->user_id, ==, user->id);
  result = event_data (&fixture->a, first, "ml_analysis_result");
  g_assert_nonnull (strstr (result, "\"decision\":\"allow\""));
  g_assert_nonnull (strstr (result, "\"remote_decision_id\":\""));
  /* The credentials never show. */
  g_assert_null (strstr (result, PASSWORD));

  /* A large batch goes in requests B accepts (at most 64 KiB each). */
  append_many (&fixture->a, first, "scroll", 900);
  WAIT_UNTIL (count_events (&fixture->a, first, "ml_analysis_result") >= 3);
  WAIT_UNTIL (events_analyzed (b_risk, first) == 902);
  g_assert_cmpint (count_events (&fixture->a, first, "ml_analysis_failed"), ==, 0);

  log_path = end_session (&fixture->a, vigil_session_get_id (first));
  WAIT_UNTIL (vigil_risk_get_session_risk (b_risk, vigil_session_get_id (first)) < 0);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "\"ml_session_started\""));
  g_assert_nonnull (strstr (log, "\"ml_analysis_result\""));
  g_assert_nonnull (strstr (log, "\"ml_session_ended\""));

  /* B stops while the next session runs. */
  second = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, second, "ml_session_started") == 1);
  vigil_server_stop (fixture->b.server);
  vigil_test_drain_main_context ();

  /* Local analysis decides: three failed MPINs (0.75) step the session up. */
  append (&fixture->a, second, "mpin_failed", "mpin_failed", "mpin_failed", NULL);
  WAIT_UNTIL (count_events (&fixture->a, second, "ml_analysis_failed") == 1);
  WAIT_UNTIL (vigil_session_get_state (second) == VIGIL_SESSION_MONITOR);
  vigil_test_api_wait_idle (&fixture->a);
  failed = event_data (&fixture->a, second, "ml_analysis_failed");
  g_assert_nonnull (strstr (failed, "\"error\":\"Cannot reach the ML engine"));
  g_assert_nonnull (strstr (failed, "\"fallback\":\"local\""));
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM decisions WHERE session_id = '%s'"
                                           " AND decision = 'step_up' AND source = 'local'",
                              vigil_session_get_id (second)), ==, 1);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM audit_log WHERE action = 'ml_engine.unavailable'"),
                   ==, 1);

  ml_engine = health_ml_engine (&fixture->a, &health);
  g_assert_cmpstr (json_object_get_string_member (ml_engine, "mode"), ==, "remote");
  g_assert_false (json_object_get_boolean_member (ml_engine, "available"));
  g_assert_cmpstr (json_object_get_string_member (ml_engine, "deciding"), ==, "local");
  g_assert_nonnull (json_object_get_string_member (ml_engine, "unavailable_since"));
  g_assert_cmpint (json_object_get_int_member (ml_engine, "failures"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (ml_engine, "local_fallbacks"), ==, 1);
  g_assert_nonnull (strstr (json_object_get_string_member (ml_engine, "last_error"), "Cannot reach"));
  g_assert_null (strstr (json_object_get_string_member (ml_engine, "url"), "analyst"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (ml_engine, "url"), "http://127.0.0.1:"));

  /* While it is out, new events are decided at once, without asking it. */
  append (&fixture->a, second, "multiple_login_attempts", NULL);
  WAIT_UNTIL (vigil_risk_get_session_risk (vigil_engine_get_risk (fixture->a.engine),
                                           vigil_session_get_id (second)) >= 1.0);
  g_assert_cmpint (count_events (&fixture->a, second, "ml_analysis_failed"), ==, 1);

  /* A session starting during the outage is not sent; its history says so. */
  third = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, third, "ml_session_failed") == 1);
  not_asked = event_data (&fixture->a, third, "ml_session_failed");
  g_assert_nonnull (strstr (not_asked, "Not asked: the ML engine is unavailable since "));

  {
    g_autofree char *body = g_strdup_printf ("{\"email\":\"admin@example.com\",\"password\":\"%s\"}", PASSWORD);
    JsonObject *statistics;

    login = vigil_test_api_post (&fixture->a, "/api/login", NULL, body);
    vigil_test_assert_status (login, 200);
    stats = vigil_test_api_get (&fixture->a, "/statistics", vigil_test_reply_string (login, "access_token"));
    vigil_test_assert_status (stats, 200);
    statistics = json_object_get_object_member (vigil_test_reply_object (stats), "statistics");
    ml_engine = json_object_get_object_member (statistics, "ml_engine");
    g_assert_false (json_object_get_boolean_member (ml_engine, "available"));
    g_assert_cmpint (json_object_get_int_member (ml_engine, "outages"), ==, 1);
  }
}

/* B refuses an expired token: that request fails (no retry), and the
 * next one logs in again and is answered. */
static void
test_token_renewed (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(VigilUser) user = register_account (&fixture->a, "user@example.com", VIGIL_ROLE_USER);
  g_autoptr(VigilSession) session = NULL;
  g_autofree char *failed = NULL;

  start_b (fixture);
  vigil_risk_set_remote_probe_interval (vigil_engine_get_risk (fixture->a.engine), 0);
  session = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_session_started") == 1);

  vigil_clock_advance (fixture->b.clock, (gint64) (fixture->b.options.access_token_seconds + 1) * G_USEC_PER_SEC);
  append (&fixture->a, session, "button_click", NULL);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_analysis_failed") == 1);
  failed = event_data (&fixture->a, session, "ml_analysis_failed");
  g_assert_nonnull (strstr (failed, "HTTP 401"));

  append (&fixture->a, session, "button_click", NULL);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_analysis_result") == 1);
  g_assert_cmpint (count_events (&fixture->a, session, "ml_analysis_failed"), ==, 1);
}

/* A remote answering garbage is unavailable, however "200 OK" it says. */
static void
test_garbage_remote (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(VigilUser) user = register_account (&fixture->a, "user@example.com", VIGIL_ROLE_USER);
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(VigilTestReply) health = NULL;
  g_autofree char *failed = NULL;
  JsonObject *ml_engine;

  fixture->fake.start_reply = "<html>not json</html>";
  fake_start (&fixture->fake);
  use_remote (fixture, fixture->fake.url);

  session = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_session_failed") == 1);
  failed = event_data (&fixture->a, session, "ml_session_failed");
  g_assert_nonnull (strstr (failed, "Malformed reply to /session/start"));

  append (&fixture->a, session, "mpin_failed", "mpin_failed", "mpin_failed", NULL);
  WAIT_UNTIL (vigil_session_get_state (session) == VIGIL_SESSION_MONITOR);
  vigil_test_api_wait_idle (&fixture->a);
  g_assert_cmpuint (fixture->fake.starts, ==, 1);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM audit_log WHERE action = 'ml_engine.unavailable'"),
                   ==, 1);
  ml_engine = health_ml_engine (&fixture->a, &health);
  g_assert_false (json_object_get_boolean_member (ml_engine, "available"));
  g_assert_nonnull (strstr (json_object_get_string_member (ml_engine, "last_error"), "Malformed reply"));

  /* Once it answers properly, the next probe ends the outage. */
  fixture->fake.start_reply = NULL;
  fixture->fake.analyze_reply = "{\"decision\":\"allow\",\"confidence\":0.9}";
  vigil_risk_set_remote_probe_interval (vigil_engine_get_risk (fixture->a.engine), 0);
  append (&fixture->a, session, "button_click", NULL);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_analysis_result") == 1);
  vigil_test_api_wait_idle (&fixture->a);
  g_assert_cmpuint (fixture->fake.starts, ==, 2);
  g_assert_cmpint (count_events (&fixture->a, session, "ml_session_started"), ==, 1);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM audit_log WHERE action = 'ml_engine.available'"
                                           " AND details LIKE '%%\"failures\":1%%'"), ==, 1);
  g_clear_pointer (&health, vigil_test_reply_free);
  ml_engine = health_ml_engine (&fixture->a, &health);
  g_assert_true (json_object_get_boolean_member (ml_engine, "available"));
  g_assert_null (json_object_get_string_member (ml_engine, "unavailable_since"));
  g_assert_cmpint (json_object_get_int_member (ml_engine, "outages"), ==, 1);
}

/* While the remote answers, its verdict decides, with the local rule for
 * blocks: a remote block at exactly 0.8 steps up. */
static void
test_remote_decides (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(VigilUser) user = register_account (&fixture->a, "user@example.com", VIGIL_ROLE_USER);
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(VigilSession) blocked = NULL;
  VigilRisk *risk = vigil_engine_get_risk (fixture->a.engine);

  fixture->fake.analyze_reply = "{\"decision\":\"block\",\"confidence\":0.8,\"risk_score\":0.95,"
                                "\"reasons\":[\"Device changed\"]}";
  fake_start (&fixture->fake);
  use_remote (fixture, fixture->fake.url);

  /* Local analysis alone would allow a click. */
  session = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_session_started") == 1);
  append (&fixture->a, session, "button_click", NULL);
  WAIT_UNTIL (vigil_session_get_state (session) == VIGIL_SESSION_MONITOR);
  vigil_test_api_wait_idle (&fixture->a);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM decisions WHERE session_id = '%s'"
                                           " AND decision = 'step_up' AND source = 'remote'"
                                           " AND reasons LIKE '%%block_confidence_low%%'",
                              vigil_session_get_id (session)), ==, 1);
  g_assert_cmpfloat_with_epsilon (vigil_risk_get_session_risk (risk, vigil_session_get_id (session)), 0.95, 1e-9);

  fixture->fake.analyze_reply = "{\"decision\":\"block\",\"confidence\":0.95,\"risk_score\":0.97}";
  blocked = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, blocked, "ml_session_started") == 1);
  append (&fixture->a, blocked, "button_click", NULL);
  WAIT_UNTIL (vigil_session_get_state (blocked) == VIGIL_SESSION_BLOCKED);
  vigil_test_api_wait_idle (&fixture->a);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM decisions WHERE session_id = '%s'"
                                           " AND decision = 'block' AND source = 'remote'",
                              vigil_session_get_id (blocked)), ==, 1);
  /* Its history says why, and that the ML session ended with it. */
  g_assert_cmpint (count_events (&fixture->a, blocked, "ml_analysis_result"), ==, 1);
  g_assert_cmpint (count_events (&fixture->a, blocked, "ml_session_ended"), ==, 1);
}

/* A remote that does not answer within the timeout is unavailable; the
 * client's acknowledgement never waits for it. */
static void
test_timeout (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(VigilUser) user = register_account (&fixture->a, "user@example.com", VIGIL_ROLE_USER);
  g_autoptr(VigilSession) session = NULL;
  g_autofree char *failed = NULL;
  gint64 before;

  fixture->fake.hang = TRUE;
  fake_start (&fixture->fake);
  use_remote (fixture, fixture->fake.url);
  g_assert_cmpuint (vigil_remote_analyzer_get_timeout (fixture->analyzer), ==, 30);
  vigil_remote_analyzer_set_timeout (fixture->analyzer, 1);

  session = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_session_started") == 1);
  before = g_get_monotonic_time ();
  append (&fixture->a, session, "mpin_failed", "mpin_failed", NULL);
  /* Acknowledged (committed) long before the remote's timeout. */
  g_assert_cmpint (g_get_monotonic_time () - before, <, G_USEC_PER_SEC);
  /* Another device mid-session: local analysis blocks once the remote
   * has timed out (two failed MPINs 0.5, device drift 0.6, confidence 0.88). */
  append_json (&fixture->a, session, "{\"event_type\":\"screen_view\",\"data\":{\"device_id\":\"device-2\"}}");
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_analysis_failed") == 1);
  WAIT_UNTIL (vigil_session_get_state (session) == VIGIL_SESSION_BLOCKED);
  vigil_test_api_wait_idle (&fixture->a);
  failed = event_data (&fixture->a, session, "ml_analysis_failed");
  g_assert_nonnull (strstr (failed, "Cannot reach the ML engine"));
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM decisions WHERE session_id = '%s'"
                                           " AND decision = 'block' AND source = 'local'",
                              vigil_session_get_id (session)), ==, 1);
  /* One request was in flight; the rest waited for it, and none followed. */
  g_assert_cmpuint (fixture->fake.analyses, ==, 1);
  g_assert_cmpint (count_events (&fixture->a, session, "ml_session_ended"), ==, 1);
}

/* The URL changed while A runs (as Preferences does): a request in
 * flight to the old remote is abandoned and its late answer ignored, the
 * next events go to the new one, a refused URL keeps the one in use, and
 * an empty one returns to local analysis only. */
static void
test_url_swapped (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(VigilUser) user = register_account (&fixture->a, "user@example.com", VIGIL_ROLE_USER);
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(VigilRemoteStatus) status = NULL;
  g_autoptr(VigilTestReply) health = NULL;
  g_autoptr(VigilTestReply) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *b_url = NULL;
  VigilRisk *risk = vigil_engine_get_risk (fixture->a.engine);
  VigilRisk *b_risk;
  gint64 results;
  JsonObject *ml_engine;

  fixture->fake.hang = TRUE;
  fake_start (&fixture->fake);
  g_assert_true (vigil_remote_analyzer_apply (fixture->a.engine, fixture->fake.url, &error));
  g_assert_no_error (error);
  session = start_session (&fixture->a, user->id);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_session_started") == 1);
  append (&fixture->a, session, "button_click", NULL);
  WAIT_UNTIL (fixture->fake.analyses == 1);

  b_url = start_b_only (fixture);
  b_risk = vigil_engine_get_risk (fixture->b.engine);
  g_assert_true (vigil_remote_analyzer_apply (fixture->a.engine, b_url, &error));
  g_assert_no_error (error);
  /* The old remote answers late (503): nothing of A's notices. */
  fake_stop (&fixture->fake);
  append (&fixture->a, session, "page_view", NULL);
  WAIT_UNTIL (events_analyzed (b_risk, session) == 1);
  WAIT_UNTIL (count_events (&fixture->a, session, "ml_analysis_result") == 1);
  g_assert_cmpuint (fixture->fake.analyses, ==, 1);
  g_assert_cmpint (count_events (&fixture->a, session, "ml_analysis_failed"), ==, 0);
  status = vigil_risk_get_remote_status (risk);
  g_assert_true (status->available);
  g_assert_cmpuint (status->outages, ==, 0);
  g_assert_cmpuint (status->failures, ==, 0);

  /* Refused, and B stays. */
  g_assert_false (vigil_remote_analyzer_apply (fixture->a.engine, "http://127.0.0.1:1/?x=1", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  ml_engine = health_ml_engine (&fixture->a, &health);
  g_assert_cmpstr (json_object_get_string_member (ml_engine, "mode"), ==, "remote");
  g_assert_true (g_str_has_suffix (b_url, json_object_get_string_member (ml_engine, "url") + strlen ("http://")));

  /* Local only: nothing more goes to B, and local analysis decides. */
  g_assert_true (vigil_remote_analyzer_apply (fixture->a.engine, "", &error));
  g_assert_no_error (error);
  ml_engine = health_ml_engine (&fixture->a, &local);
  g_assert_cmpstr (json_object_get_string_member (ml_engine, "mode"), ==, "local");
  results = count_events (&fixture->a, session, "ml_analysis_result");
  append (&fixture->a, session, "mpin_failed", "mpin_failed", "mpin_failed", NULL);
  WAIT_UNTIL (vigil_session_get_state (session) == VIGIL_SESSION_MONITOR);
  vigil_test_api_wait_idle (&fixture->a);
  vigil_test_api_wait_idle (&fixture->b);
  g_assert_cmpint (count_events (&fixture->a, session, "ml_analysis_result"), ==, results);
  g_assert_cmpuint (events_analyzed (b_risk, session), ==, 1);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM decisions WHERE session_id = '%s'"
                                           " AND decision = 'step_up' AND source = 'local'",
                              vigil_session_get_id (session)), ==, 1);
  g_assert_cmpint (query_int (&fixture->a, "SELECT count(*) FROM audit_log WHERE action = 'ml_engine.changed'"),
                   ==, 3);
}

static void
test_url_validation (void)
{
  static const char *bad[] = {
    "not a url",
    "ftp://127.0.0.1:8001",
    "http://",
    "http://127.0.0.1:8001/?x=1",
    "http://127.0.0.1:8001/#top",
    "http://someone@127.0.0.1:8001",
    "http://127.0.0.1:99999",
  };
  g_autoptr(VigilRemoteAnalyzer) login = NULL;
  g_autoptr(VigilRemoteAnalyzer) token = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(VigilRemoteAnalyzer) analyzer = vigil_remote_analyzer_new (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (analyzer);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, "ML engine URL"));
      g_clear_error (&error);
    }

  login = vigil_remote_analyzer_new ("HTTPS://analyst%40example.com:secret@ml.example.com:8001/ml/", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vigil_analyzer_get_description (VIGIL_ANALYZER (login)), ==, "https://ml.example.com:8001/ml");
  token = vigil_remote_analyzer_new ("http://:abc.def.ghi@[::1]:8001", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vigil_analyzer_get_description (VIGIL_ANALYZER (token)), ==, "http://[::1]:8001");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/api/remote-ml/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("local-mode", test_local_mode);
  ADD ("remote-then-outage", test_remote_then_outage);
  ADD ("token-renewed", test_token_renewed);
  ADD ("garbage-remote", test_garbage_remote);
  ADD ("remote-decides", test_remote_decides);
  ADD ("timeout", test_timeout);
  ADD ("url-swapped", test_url_swapped);
#undef ADD
  g_test_add_func ("/api/remote-ml/url-validation", test_url_validation);

  return g_test_run ();
}
