/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ML engine surface over real HTTP: /session/start (learning and
 * active phases), /session/end, /analyze-mobile (shapes, a live session's
 * step-up, validation), /feedback and /statistics, and the analyst-or-admin
 * access every route wants. */
#include "config.h"

#include <string.h>

#include "vigil-error.h"
#include "vigil-risk-thresholds.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define PASSWORD "Correct-Horse-Battery-9"

typedef VigilTestApi Fixture;

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

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  vigil_test_api_set_up (fixture, data);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  vigil_test_api_tear_down (fixture);
}

/* A new account with @role; answers its access token, its id in @out_id. */
static char *
account_token (Fixture     *fixture,
               const char  *email,
               VigilRole    role,
               char       **out_id)
{
  VigilAuth *auth = vigil_engine_get_auth (fixture->engine);
  VigilRegistration registration = { .email = email, .password = PASSWORD, .role = role };
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  Wait wait = { 0 };

  vigil_auth_register_async (auth, &registration, "127.0.0.1", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  user = vigil_auth_register_finish (auth, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  if (out_id != NULL)
    *out_id = g_strdup (user->id);

  body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);
  reply = vigil_test_api_post (fixture, "/api/login", NULL, body);
  vigil_test_assert_status (reply, 200);
  return g_strdup (vigil_test_reply_string (reply, "access_token"));
}

static VigilSession *
start_live_session (Fixture    *fixture,
                    const char *user_id)
{
  VigilSessions *sessions = vigil_engine_get_sessions (fixture->engine);
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };
  VigilSession *session;

  vigil_sessions_start_async (sessions, user_id, "device-1", NULL, "127.0.0.1", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  session = vigil_sessions_start_finish (sessions, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  return session;
}

static void
end_live_session (Fixture    *fixture,
                  const char *session_id)
{
  VigilSessions *sessions = vigil_engine_get_sessions (fixture->engine);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Wait wait = { 0 };

  vigil_sessions_end_async (sessions, session_id, "logout", NULL, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  path = vigil_sessions_end_finish (sessions, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
}

static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  gint64 value = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)), sql, &value,
                                     &error));
  g_assert_no_error (error);
  return value;
}

static void
test_access (Fixture       *fixture,
             gconstpointer  data)
{
  static const struct { const char *method; const char *path; } routes[] = {
    { "POST", "/session/start" },
    { "POST", "/session/end" },
    { "POST", "/analyze-mobile" },
    { "POST", "/feedback" },
    { "GET", "/statistics" },
  };
  g_autofree char *user = account_token (fixture, "user@example.com", VIGIL_ROLE_USER, NULL);
  g_autofree char *admin = account_token (fixture, "admin@example.com", VIGIL_ROLE_ADMIN, NULL);
  g_autoptr(VigilTestReply) stats = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const char *body = g_str_equal (routes[i].method, "POST") ? "{}" : NULL;
      g_autoptr(VigilTestReply) anonymous = vigil_test_api_request (fixture, routes[i].method, routes[i].path, NULL, body);
      g_autoptr(VigilTestReply) forged = vigil_test_api_request (fixture, routes[i].method, routes[i].path,
                                                                 "not.a.token", body);
      g_autoptr(VigilTestReply) plain = vigil_test_api_request (fixture, routes[i].method, routes[i].path, user, body);

      vigil_test_assert_status (anonymous, 403);
      g_assert_nonnull (vigil_test_reply_string (anonymous, "detail"));
      vigil_test_assert_status (forged, 401);
      vigil_test_assert_status (plain, 403);
      g_assert_cmpstr (vigil_test_reply_string (plain, "detail"), ==, "Analyst or admin role required");
    }

  stats = vigil_test_api_get (fixture, "/statistics", admin);
  vigil_test_assert_status (stats, 200);
}

static void
test_session_start_end (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *analyst = account_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST, NULL);
  g_autofree char *veteran_id = NULL;
  g_autofree char *veteran = account_token (fixture, "veteran@example.com", VIGIL_ROLE_USER, &veteran_id);
  g_autoptr(VigilTestReply) started = NULL;
  g_autoptr(VigilTestReply) again = NULL;
  g_autoptr(VigilTestReply) conflict = NULL;
  g_autoptr(VigilTestReply) invalid = NULL;
  g_autoptr(VigilTestReply) bad_info = NULL;
  g_autoptr(VigilTestReply) ended = NULL;
  g_autoptr(VigilTestReply) ended_again = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;
  g_autoptr(VigilTestReply) active = NULL;
  g_autofree char *body = NULL;
  JsonObject *object;

  started = vigil_test_api_post (fixture, "/session/start", analyst,
                                 "{\"user_id\":\"u-1\",\"session_id\":\"s-1\",\"device_info\":\"Android 12\"}");
  vigil_test_assert_status (started, 200);
  object = vigil_test_reply_object (started);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "success");
  g_assert_cmpstr (json_object_get_string_member (object, "session_id"), ==, "s-1");
  g_assert_cmpstr (json_object_get_string_member (object, "phase"), ==, "learning");
  g_assert_nonnull (json_object_get_string_member (object, "message"));

  /* Idempotent for the same user; another user's is a conflict. */
  again = vigil_test_api_post (fixture, "/session/start", analyst, "{\"user_id\":\"u-1\",\"session_id\":\"s-1\"}");
  vigil_test_assert_status (again, 200);
  conflict = vigil_test_api_post (fixture, "/session/start", analyst, "{\"user_id\":\"u-2\",\"session_id\":\"s-1\"}");
  vigil_test_assert_status (conflict, 409);
  invalid = vigil_test_api_post (fixture, "/session/start", analyst, "{\"user_id\":\"u-1\"}");
  vigil_test_assert_status (invalid, 422);
  bad_info = vigil_test_api_post (fixture, "/session/start", analyst,
                                  "{\"user_id\":\"u-1\",\"session_id\":\"s-2\",\"device_info\":7}");
  vigil_test_assert_status (bad_info, 422);

  ended = vigil_test_api_post (fixture, "/session/end", analyst, "{\"session_id\":\"s-1\"}");
  vigil_test_assert_status (ended, 200);
  g_assert_cmpstr (vigil_test_reply_string (ended, "reason"), ==, "completed");
  ended_again = vigil_test_api_post (fixture, "/session/end", analyst, "{\"session_id\":\"s-1\",\"reason\":\"x\"}");
  vigil_test_assert_status (ended_again, 404);
  g_assert_cmpstr (vigil_test_reply_string (ended_again, "detail"), ==, "Session not found or not active");
  unknown = vigil_test_api_post (fixture, "/session/end", analyst, "{\"session_id\":\"nope\"}");
  vigil_test_assert_status (unknown, 404);

  /* Six ended sessions make a user "active". */
  for (guint i = 0; i < VIGIL_RISK_LEARNING_SESSIONS; i++)
    {
      g_autoptr(VigilSession) session = start_live_session (fixture, veteran_id);

      end_live_session (fixture, vigil_session_get_id (session));
    }
  body = g_strdup_printf ("{\"user_id\":\"%s\",\"session_id\":\"s-9\"}", veteran_id);
  active = vigil_test_api_post (fixture, "/session/start", analyst, body);
  vigil_test_assert_status (active, 200);
  g_assert_cmpstr (vigil_test_reply_string (active, "phase"), ==, "active");
}

static void
test_analyze (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *analyst = account_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST, NULL);
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) not_list = NULL;
  g_autoptr(VigilTestReply) bad_event = NULL;
  g_autoptr(VigilTestReply) stolen = NULL;
  JsonObject *object, *analysis;
  JsonArray *reasons;

  reply = vigil_test_api_post (fixture, "/analyze-mobile", analyst,
                               "{\"user_id\":\"u-1\",\"session_id\":\"s-1\",\"logs\":["
                               "{\"timestamp\":\"2026-01-01T00:00:01Z\",\"event_type\":\"mpin_failed\",\"data\":{}},"
                               "{\"timestamp\":\"2026-01-01T00:00:03Z\",\"event_type\":\"multiple_login_attempts\",\"data\":{}},"
                               "{\"timestamp\":\"2026-01-01T00:00:04Z\",\"event_type\":\"transaction_attempt\",\"data\":{\"amount\":60000}}]}");
  vigil_test_assert_status (reply, 200);
  object = vigil_test_reply_object (reply);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "success");
  g_assert_cmpstr (json_object_get_string_member (object, "decision"), ==, "step_up");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "risk_score"), 0.7, 1e-9);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "confidence"), 0.8, 1e-9);
  g_assert_nonnull (json_object_get_string_member (object, "decision_id"));
  reasons = json_object_get_array_member (object, "reasons");
  g_assert_cmpuint (json_array_get_length (reasons), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (object, "reason_codes"), 0), ==,
                   "rule.multiple_login_attempts");
  analysis = json_object_get_object_member (object, "analysis");
  g_assert_cmpint (json_object_get_int_member (analysis, "events_analyzed"), ==, 3);
  g_assert_false (json_object_get_boolean_member (analysis, "model_scored"));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE decision = 'step_up'"), ==, 1);

  missing = vigil_test_api_post (fixture, "/analyze-mobile", analyst, "{\"user_id\":\"u-1\",\"session_id\":\"s-1\"}");
  vigil_test_assert_status (missing, 422);
  not_list = vigil_test_api_post (fixture, "/analyze-mobile", analyst,
                                  "{\"user_id\":\"u-1\",\"session_id\":\"s-1\",\"logs\":{}}");
  vigil_test_assert_status (not_list, 422);
  bad_event = vigil_test_api_post (fixture, "/analyze-mobile", analyst,
                                   "{\"user_id\":\"u-1\",\"session_id\":\"s-1\",\"logs\":[{\"data\":{}}]}");
  vigil_test_assert_status (bad_event, 422);
  stolen = vigil_test_api_post (fixture, "/analyze-mobile", analyst,
                                "{\"user_id\":\"u-2\",\"session_id\":\"s-1\",\"logs\":[]}");
  vigil_test_assert_status (stolen, 403);
}

/* On a live session of this engine the decision is executed. */
static void
test_analyze_live (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *analyst = account_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *user = account_token (fixture, "user@example.com", VIGIL_ROLE_USER, &user_id);
  g_autoptr(VigilSession) session = start_live_session (fixture, user_id);
  g_autoptr(VigilTestReply) reply = NULL;
  g_autofree char *body = NULL;

  body = g_strdup_printf ("{\"user_id\":\"%s\",\"session_id\":\"%s\",\"logs\":["
                          "{\"event_type\":\"mpin_failed\"},{\"event_type\":\"mpin_failed\"},"
                          "{\"event_type\":\"multiple_login_attempts\"}]}",
                          user_id, vigil_session_get_id (session));
  reply = vigil_test_api_post (fixture, "/analyze-mobile", analyst, body);
  vigil_test_assert_status (reply, 200);
  g_assert_cmpstr (vigil_test_reply_string (reply, "decision"), ==, "step_up");
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_MONITOR);
  g_assert_cmpfloat_with_epsilon (vigil_session_get_risk_score (session), 0.8, 1e-9);
  vigil_test_api_wait_idle (fixture);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM decisions WHERE session_id IS NOT NULL"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.decision'"), ==, 1);
}

static void
test_feedback_and_statistics (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *analyst = account_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST, NULL);
  g_autoptr(VigilTestReply) analyzed = NULL;
  g_autoptr(VigilTestReply) feedback = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) wrong_type = NULL;
  g_autoptr(VigilTestReply) started = NULL;
  g_autoptr(VigilTestReply) stats = NULL;
  g_autofree char *body = NULL;
  JsonObject *statistics;
  JsonArray *list;

  started = vigil_test_api_post (fixture, "/session/start", analyst, "{\"user_id\":\"u-2\",\"session_id\":\"s-2\"}");
  vigil_test_assert_status (started, 200);
  analyzed = vigil_test_api_post (fixture, "/analyze-mobile", analyst,
                                  "{\"user_id\":\"u-1\",\"session_id\":\"s-1\",\"logs\":"
                                  "[{\"event_type\":\"button_click\",\"data\":{\"x\":1}}]}");
  vigil_test_assert_status (analyzed, 200);
  g_assert_cmpstr (vigil_test_reply_string (analyzed, "decision"), ==, "allow");

  body = g_strdup_printf ("{\"user_id\":\"u-1\",\"session_id\":\"s-1\",\"decision_id\":\"%s\","
                          "\"was_correct\":false,\"feedback_source\":\"analyst_review\"}",
                          vigil_test_reply_string (analyzed, "decision_id"));
  feedback = vigil_test_api_post (fixture, "/feedback", analyst, body);
  vigil_test_assert_status (feedback, 200);
  g_assert_cmpstr (vigil_test_reply_string (feedback, "status"), ==, "success");
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (feedback), "feedback_id"), >, 0);
  /* A wrong allow is a label "block". */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM feedback WHERE was_correct = 0 AND label = 'block'"
                                       " AND source = 'analyst_review' AND session_id = 's-1'"), ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.feedback'"), ==, 1);

  unknown = vigil_test_api_post (fixture, "/feedback", analyst, "{\"decision_id\":\"nope\",\"was_correct\":true}");
  vigil_test_assert_status (unknown, 404);
  missing = vigil_test_api_post (fixture, "/feedback", analyst, "{\"decision_id\":\"nope\"}");
  vigil_test_assert_status (missing, 422);
  wrong_type = vigil_test_api_post (fixture, "/feedback", analyst, "{\"decision_id\":\"x\",\"was_correct\":\"yes\"}");
  vigil_test_assert_status (wrong_type, 422);

  stats = vigil_test_api_get (fixture, "/statistics", analyst);
  vigil_test_assert_status (stats, 200);
  g_assert_cmpstr (vigil_test_reply_string (stats, "status"), ==, "success");
  statistics = json_object_get_object_member (vigil_test_reply_object (stats), "statistics");
  g_assert_cmpint (json_object_get_int_member (statistics, "active_sessions"), ==, 2);
  list = json_object_get_array_member (statistics, "active_sessions_list");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (statistics, "decisions"), "allow"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (statistics, "feedback"), "total"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (statistics, "events_analyzed"), ==, 1);
}

/* 0.25 + 0.2 + 0.15 + 0.1: a risk of exactly 0.7, a step-up at the house
 * threshold. */
static VigilTestReply *
analyze_borderline (Fixture    *fixture,
                    const char *token,
                    const char *user_id,
                    const char *session_id)
{
  g_autofree char *body = g_strdup_printf ("{\"user_id\":\"%s\",\"session_id\":\"%s\",\"logs\":["
                                           "{\"event_type\":\"mpin_failed\",\"data\":{}},"
                                           "{\"event_type\":\"large_transaction\",\"data\":{}},"
                                           "{\"event_type\":\"new_beneficiary\",\"data\":{}},"
                                           "{\"event_type\":\"rapid_clicks\",\"data\":{}}]}",
                                           user_id, session_id);
  VigilTestReply *reply = vigil_test_api_post (fixture, "/analyze-mobile", token, body);

  vigil_test_assert_status (reply, 200);
  return reply;
}

/* A confirmed false step-up through POST /feedback: the label is stored,
 * the user's step-up threshold rises one step (audited, shown by
 * /statistics), and the same evidence no longer steps that user up. */
static void
test_feedback_moves_threshold (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *analyst = account_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *user_token = account_token (fixture, "user@example.com", VIGIL_ROLE_USER, &user_id);
  g_autoptr(VigilTestReply) first = analyze_borderline (fixture, analyst, user_id, "s-1");
  g_autoptr(VigilTestReply) feedback = NULL;
  g_autoptr(VigilTestReply) stats = NULL;
  g_autoptr(VigilTestReply) second = NULL;
  g_autoptr(VigilTestReply) other = NULL;
  g_autofree char *body = NULL;
  JsonObject *use;
  JsonArray *adjustments;
  JsonObject *adjustment;

  g_assert_cmpstr (vigil_test_reply_string (first, "decision"), ==, "step_up");
  body = g_strdup_printf ("{\"user_id\":\"%s\",\"session_id\":\"s-1\",\"decision_id\":\"%s\","
                          "\"was_correct\":false,\"feedback_source\":\"analyst_review\"}",
                          user_id, vigil_test_reply_string (first, "decision_id"));
  feedback = vigil_test_api_post (fixture, "/feedback", analyst, body);
  vigil_test_assert_status (feedback, 200);
  /* A wrong step-up: the user was genuine. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM feedback WHERE was_correct = 0 AND label = 'allow'"),
                   ==, 1);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.threshold_adjusted'"),
                   ==, 1);

  stats = vigil_test_api_get (fixture, "/statistics", analyst);
  vigil_test_assert_status (stats, 200);
  use = json_object_get_object_member (json_object_get_object_member (vigil_test_reply_object (stats), "statistics"),
                                       "feedback");
  g_assert_cmpint (json_object_get_int_member (use, "total"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (use, "labels"), "allow"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (use, "labels"), "block"), ==, 0);
  adjustments = json_object_get_array_member (use, "threshold_adjustments");
  g_assert_cmpuint (json_array_get_length (adjustments), ==, 1);
  adjustment = json_array_get_object_element (adjustments, 0);
  g_assert_cmpstr (json_object_get_string_member (adjustment, "user_id"), ==, user_id);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (adjustment, "adjustment"), 0.02, 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (adjustment, "step_up_threshold"), ==, 0.72);
  g_assert_cmpint (json_object_get_int_member (adjustment, "raised"), ==, 1);

  /* Used: the same evidence only monitors this user now, while another
   * user is still stepped up at 0.7. */
  second = analyze_borderline (fixture, analyst, user_id, "s-2");
  g_assert_cmpstr (vigil_test_reply_string (second, "decision"), ==, "monitor");
  other = analyze_borderline (fixture, analyst, "someone-else", "s-3");
  g_assert_cmpstr (vigil_test_reply_string (other, "decision"), ==, "step_up");
}

static double
reported_threshold (VigilTestReply *reply,
                    const char     *name)
{
  JsonObject *analysis = json_object_get_object_member (vigil_test_reply_object (reply), "analysis");

  return json_object_get_double_member (json_object_get_object_member (analysis, "thresholds"), name);
}

/* The thresholds an administrator configured (Preferences) are the ones
 * the surface reports and levels by, with a user's feedback step on top. */
static void
test_reports_configured_thresholds (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *analyst = account_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST, NULL);
  g_autofree char *user_id = NULL;
  g_autofree char *user_token = account_token (fixture, "user@example.com", VIGIL_ROLE_USER, &user_id);
  VigilRiskThresholds thresholds = { .monitor = 0.3, .suspicious = 0.6, .high = 0.95, .block_confidence = 0.85 };
  g_autoptr(VigilTestReply) first = NULL;
  g_autoptr(VigilTestReply) feedback = NULL;
  g_autoptr(VigilTestReply) stats = NULL;
  g_autoptr(VigilTestReply) adjusted = NULL;
  g_autoptr(VigilTestReply) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  JsonObject *adjustment;

  g_assert_true (vigil_risk_set_thresholds (vigil_engine_get_risk (fixture->engine), &thresholds, &error));
  g_assert_no_error (error);
  first = analyze_borderline (fixture, analyst, user_id, "s-1");
  g_assert_cmpstr (vigil_test_reply_string (first, "decision"), ==, "step_up");
  g_assert_cmpfloat_with_epsilon (reported_threshold (first, "monitor"), 0.3, 1e-9);
  g_assert_cmpfloat_with_epsilon (reported_threshold (first, "suspicious"), 0.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (reported_threshold (first, "high"), 0.95, 1e-9);
  g_assert_cmpfloat_with_epsilon (reported_threshold (first, "block_confidence"), 0.85, 1e-9);
  g_assert_cmpstr (vigil_test_reply_string (first, "risk_level"), ==, "suspicious");

  /* A wrong step-up raises this user's threshold by one step. */
  body = g_strdup_printf ("{\"user_id\":\"%s\",\"session_id\":\"s-1\",\"decision_id\":\"%s\","
                          "\"was_correct\":false,\"feedback_source\":\"analyst_review\"}",
                          user_id, vigil_test_reply_string (first, "decision_id"));
  feedback = vigil_test_api_post (fixture, "/feedback", analyst, body);
  vigil_test_assert_status (feedback, 200);
  stats = vigil_test_api_get (fixture, "/statistics", analyst);
  vigil_test_assert_status (stats, 200);
  adjustment = json_array_get_object_element (
    json_object_get_array_member (
      json_object_get_object_member (json_object_get_object_member (vigil_test_reply_object (stats), "statistics"),
                                     "feedback"),
      "threshold_adjustments"),
    0);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (adjustment, "step_up_threshold"), 0.62, 1e-9);
  adjusted = analyze_borderline (fixture, analyst, user_id, "s-2");
  g_assert_cmpfloat_with_epsilon (reported_threshold (adjusted, "suspicious"), 0.62, 1e-9);
  other = analyze_borderline (fixture, analyst, "someone-else", "s-3");
  g_assert_cmpfloat_with_epsilon (reported_threshold (other, "suspicious"), 0.6, 1e-9);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/api/ml/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("access", test_access);
  ADD ("session-start-end", test_session_start_end);
  ADD ("analyze", test_analyze);
  ADD ("analyze-live", test_analyze_live);
  ADD ("feedback-and-statistics", test_feedback_and_statistics);
  ADD ("feedback-moves-threshold", test_feedback_moves_threshold);
  ADD ("reports-configured-thresholds", test_reports_configured_thresholds);
#undef ADD

  return g_test_run ();
}
