/* SPDX-License-Identifier: GPL-3.0-or-later */
/* walmart's behavioral routes over real HTTP: fingerprint update and
 * analysis, risk assessment with the seed's own example bodies,
 * analytics, Flask's {"message": ...} errors, and no randomness: the same
 * request twice gives the same reply. */
#include "config.h"

#include <string.h>

#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define EMAIL          "ann@example.com"
#define PASSWORD       "Correct-Horse-Battery-9"
#define ADMIN_EMAIL    "boss@example.com"
#define ADMIN_PASSWORD "Admin-Horse-Battery-7"

/* The seed document's examples, as written. */
#define SEED_UPDATE \
  "{\"typing_speed\": 100, \"mouse_distance\": 500, \"click_count\": 10, \"session_duration\": 120}"
#define SEED_ASSESS \
  "{\"typing_speed\": 100, \"mouse_distance\": 500, \"click_count\": 10, \"session_duration\": 120," \
  " \"scroll_depth\": 80, \"ip_location_score\": 0.9, \"device_type_score\": 1.0}"

typedef VigilTestApi Fixture;

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

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
create_admin (Fixture *fixture)
{
  VigilAuth *auth = vigil_engine_get_auth (fixture->engine);
  g_autoptr(VigilUser) admin = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  vigil_auth_create_admin_async (auth, ADMIN_EMAIL, ADMIN_PASSWORD, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  admin = vigil_auth_create_admin_finish (auth, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
}

static char *
signup_and_login (Fixture    *fixture,
                  const char *email,
                  const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
  g_autoptr(VigilTestReply) signup = NULL;
  g_autoptr(VigilTestReply) login = NULL;

  if (g_strcmp0 (email, ADMIN_EMAIL) != 0)
    {
      signup = vigil_test_api_post (fixture, "/api/signup", NULL, body);
      vigil_test_assert_status (signup, 201);
    }
  login = vigil_test_api_post (fixture, "/api/login", NULL, body);
  vigil_test_assert_status (login, 200);
  return g_strdup (vigil_test_reply_string (login, "access_token"));
}

static void
assert_message (VigilTestReply *reply)
{
  g_assert_nonnull (vigil_test_reply_string (reply, "message"));
}

static double
member_double (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_double_member (object, name);
}

static void
update (Fixture    *fixture,
        const char *token,
        guint       i)
{
  /* Varied but fixed: a user whose sessions differ a little. */
  static const double offsets[] = { -3, 2, 0, 4, -1, 1, -4, 3, -2, 0, 2, -3 };
  double o = offsets[i % G_N_ELEMENTS (offsets)];
  g_autofree char *body = g_strdup_printf ("{\"typing_speed\": %g, \"mouse_distance\": %g, \"click_count\": %g,"
                                           " \"session_duration\": %g, \"scroll_depth\": %g}",
                                           100 + o, 500 + 9 * o, 10.0 + (i % 3), 120 - 2 * o, 75 + o);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/fingerprint/update", token, body);

  vigil_test_assert_status (reply, 200);
}

static void
test_update (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *token = signup_and_login (fixture, EMAIL, PASSWORD);
  double previous = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/fingerprint/update", token, SEED_UPDATE);
      JsonObject *object;

      vigil_test_assert_status (reply, 200);
      object = vigil_test_reply_object (reply);
      g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "success");
      g_assert_nonnull (json_object_get_string_member (object, "message"));
      g_assert_cmpfloat (member_double (object, "confidence_score"), >, previous);
      previous = member_double (object, "confidence_score");
    }
}

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  static const char * const paths[] = { "/api/fingerprint/update", "/api/fingerprint/analyze", "/api/risk/assess" };
  g_autofree char *token = signup_and_login (fixture, EMAIL, PASSWORD);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(VigilTestReply) anonymous = vigil_test_api_post (fixture, paths[i], NULL, SEED_UPDATE);
      g_autoptr(VigilTestReply) forged = vigil_test_api_post (fixture, paths[i], "not.a.token", SEED_UPDATE);
      g_autoptr(VigilTestReply) empty = vigil_test_api_post (fixture, paths[i], token, "{}");
      g_autoptr(VigilTestReply) wrong = vigil_test_api_post (fixture, paths[i], token, "{\"typing_speed\": \"fast\"}");
      g_autoptr(VigilTestReply) negative = vigil_test_api_post (fixture, paths[i], token, "{\"typing_speed\": -5}");
      g_autoptr(VigilTestReply) broken = vigil_test_api_post (fixture, paths[i], token, "{\"typing_speed\": ");
      g_autoptr(VigilTestReply) array = vigil_test_api_post (fixture, paths[i], token, "[1, 2]");

      vigil_test_assert_status (anonymous, 401);
      assert_message (anonymous);
      vigil_test_assert_status (forged, 401);
      assert_message (forged);
      vigil_test_assert_status (empty, 400);
      assert_message (empty);
      vigil_test_assert_status (wrong, 400);
      g_assert_cmpstr (vigil_test_reply_string (wrong, "message"), ==, "typing_speed must be a number");
      vigil_test_assert_status (negative, 400);
      assert_message (negative);
      vigil_test_assert_status (broken, 400);
      vigil_test_assert_status (array, 400);
    }

  {
    g_autoptr(VigilTestReply) out_of_range = NULL;

    out_of_range = vigil_test_api_post (fixture, "/api/risk/assess", token,
                                        "{\"typing_speed\": 100, \"ip_location_score\": 7}");
    vigil_test_assert_status (out_of_range, 400);
    g_assert_cmpstr (vigil_test_reply_string (out_of_range, "message"), ==,
                     "ip_location_score must be between 0 and 1");
  }

  for (guint i = 0; i < 2; i++)
    {
      const char *path = i == 0 ? "/api/analytics/session" : "/api/analytics/dashboard";
      g_autoptr(VigilTestReply) anonymous = vigil_test_api_get (fixture, path, NULL);

      vigil_test_assert_status (anonymous, 401);
      assert_message (anonymous);
    }
}

static void
test_analyze (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *token = signup_and_login (fixture, EMAIL, PASSWORD);
  g_autoptr(VigilTestReply) before = NULL;
  g_autoptr(VigilTestReply) usual = NULL;
  g_autoptr(VigilTestReply) odd = NULL;
  JsonObject *object;
  JsonArray *fields;

  before = vigil_test_api_post (fixture, "/api/fingerprint/analyze", token, SEED_UPDATE);
  vigil_test_assert_status (before, 200);
  object = vigil_test_reply_object (before);
  g_assert_false (json_object_get_boolean_member (object, "is_anomaly"));
  g_assert_cmpfloat (member_double (object, "confidence"), ==, 0);
  g_assert_nonnull (json_object_get_string_member (object, "detail"));

  for (guint i = 0; i < 10; i++)
    update (fixture, token, i);

  usual = vigil_test_api_post (fixture, "/api/fingerprint/analyze", token, SEED_UPDATE);
  vigil_test_assert_status (usual, 200);
  object = vigil_test_reply_object (usual);
  g_assert_false (json_object_get_boolean_member (object, "is_anomaly"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "anomalous_fields")), ==, 0);
  g_assert_cmpfloat (member_double (object, "confidence"), >, 0.6);

  odd = vigil_test_api_post (fixture, "/api/fingerprint/analyze", token,
                             "{\"typing_speed\": 450, \"mouse_distance\": 480, \"click_count\": 10,"
                             " \"session_duration\": 121}");
  vigil_test_assert_status (odd, 200);
  object = vigil_test_reply_object (odd);
  g_assert_true (json_object_get_boolean_member (object, "is_anomaly"));
  g_assert_cmpfloat (member_double (object, "anomaly_score"), >, 0.5);
  g_assert_cmpfloat (member_double (object, "anomaly_score"), <=, 1.0);
  fields = json_object_get_array_member (object, "anomalous_fields");
  g_assert_cmpuint (json_array_get_length (fields), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (fields, 0), "field"), ==,
                   "typing_speed");
  g_assert_cmpfloat (member_double (json_array_get_object_element (fields, 0), "z_score"), >, 3.0);
}

static void
test_assess (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *token = signup_and_login (fixture, EMAIL, PASSWORD);
  g_autoptr(VigilTestReply) fresh = NULL;
  g_autoptr(VigilTestReply) first = NULL;
  g_autoptr(VigilTestReply) second = NULL;
  g_autoptr(VigilTestReply) bot = NULL;
  g_autofree char *first_text = NULL;
  g_autofree char *second_text = NULL;
  JsonObject *object, *components;
  const char *label;

  /* The seed's example, for a user with no history: the context speaks,
   * the model and the fingerprint say they cannot. */
  fresh = vigil_test_api_post (fixture, "/api/risk/assess", token, SEED_ASSESS);
  vigil_test_assert_status (fresh, 200);
  object = vigil_test_reply_object (fresh);
  components = json_object_get_object_member (object, "component_scores");
  g_assert_true (json_object_get_null_member (components, "ml_score"));
  g_assert_cmpstr (json_object_get_string_member (components, "ml_risk_label"), ==, "insufficient_data");
  g_assert_true (json_object_get_null_member (components, "fingerprint_diff"));
  g_assert_cmpfloat (member_double (components, "intent_score"), >, 0);
  g_assert_cmpfloat (member_double (object, "risk_score"), ==, member_double (components, "intent_score"));
  g_assert_cmpstr (json_object_get_string_member (object, "risk_label"), ==, "low");
  g_assert_nonnull (json_object_get_string_member (object, "ml_detail"));

  for (guint i = 0; i < 12; i++)
    update (fixture, token, i);

  first = vigil_test_api_post (fixture, "/api/risk/assess", token, SEED_ASSESS);
  second = vigil_test_api_post (fixture, "/api/risk/assess", token, SEED_ASSESS);
  vigil_test_assert_status (first, 200);
  vigil_test_assert_status (second, 200);
  first_text = vigil_test_reply_text (first);
  second_text = vigil_test_reply_text (second);
  g_assert_cmpstr (first_text, ==, second_text);

  object = vigil_test_reply_object (first);
  components = json_object_get_object_member (object, "component_scores");
  g_assert_cmpfloat (member_double (components, "ml_score"), >=, 0);
  g_assert_cmpfloat (member_double (components, "ml_score"), <=, 100);
  g_assert_cmpfloat (member_double (components, "fingerprint_diff"), <, 50);
  g_assert_cmpstr (json_object_get_string_member (object, "ml_basis"), ==, "user");
  g_assert_cmpfloat (member_double (object, "risk_score"), <=, 40);
  label = json_object_get_string_member (object, "risk_label");
  g_assert_cmpstr (label, ==, "low");

  bot = vigil_test_api_post (fixture, "/api/risk/assess", token,
                             "{\"typing_speed\": 900, \"mouse_distance\": 0, \"click_count\": 90,"
                             " \"session_duration\": 3, \"scroll_depth\": 0,"
                             " \"ip_location_score\": 0.1, \"device_type_score\": 0.0}");
  vigil_test_assert_status (bot, 200);
  object = vigil_test_reply_object (bot);
  components = json_object_get_object_member (object, "component_scores");
  g_assert_cmpstr (json_object_get_string_member (object, "risk_label"), ==, "high");
  g_assert_cmpfloat (member_double (object, "risk_score"), >, 70);
  g_assert_cmpstr (json_object_get_string_member (components, "ml_risk_label"), ==, "high");
  g_assert_cmpfloat (member_double (components, "fingerprint_diff"), >, 90);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "anomalous_fields")), >=, 3);
}

static void
test_analytics (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *token = NULL;
  g_autofree char *admin_token = NULL;
  g_autoptr(VigilTestReply) session = NULL;
  g_autoptr(VigilTestReply) forbidden = NULL;
  g_autoptr(VigilTestReply) dashboard = NULL;
  g_autoptr(VigilTestReply) again = NULL;
  g_autoptr(VigilTestReply) failed = NULL;
  g_autofree char *dashboard_text = NULL;
  g_autofree char *again_text = NULL;
  JsonObject *object;

  create_admin (fixture);
  token = signup_and_login (fixture, EMAIL, PASSWORD);
  admin_token = signup_and_login (fixture, ADMIN_EMAIL, ADMIN_PASSWORD);
  failed = vigil_test_api_post (fixture, "/api/login", NULL,
                                "{\"email\":\"" EMAIL "\",\"password\":\"Wrong-Horse-Battery-1\"}");
  vigil_test_assert_status (failed, 401);
  update (fixture, token, 0);
  update (fixture, token, 1);
  vigil_test_api_wait_idle (fixture);

  session = vigil_test_api_get (fixture, "/api/analytics/session", token);
  vigil_test_assert_status (session, 200);
  object = vigil_test_reply_object (session);
  g_assert_cmpint (json_object_get_int_member (object, "session_count"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "total_events"), ==, 0);
  g_assert_true (json_object_get_null_member (object, "average_risk"));
  g_assert_cmpint (json_object_get_int_member (object, "fingerprint_updates"), ==, 2);

  forbidden = vigil_test_api_get (fixture, "/api/analytics/dashboard", token);
  vigil_test_assert_status (forbidden, 403);
  g_assert_cmpstr (vigil_test_reply_string (forbidden, "message"), ==, "Admin privileges required!");

  dashboard = vigil_test_api_get (fixture, "/api/analytics/dashboard", admin_token);
  vigil_test_assert_status (dashboard, 200);
  object = vigil_test_reply_object (dashboard);
  g_assert_cmpint (json_object_get_int_member (object, "active_sessions"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "high_risk_count"), ==, 0);
  /* Ann's and the admin's logins, and Ann's failed one. */
  g_assert_cmpint (json_object_get_int_member (object, "login_attempts"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (object, "blocked_attempts"), ==, 0);

  again = vigil_test_api_get (fixture, "/api/analytics/dashboard", admin_token);
  dashboard_text = vigil_test_reply_text (dashboard);
  again_text = vigil_test_reply_text (again);
  g_assert_cmpstr (dashboard_text, ==, again_text);

  /* A day later, yesterday's logins are no longer counted: only the
   * admin's new one. */
  vigil_clock_advance (fixture->clock, 25 * G_TIME_SPAN_HOUR);
  {
    g_autofree char *later_token = signup_and_login (fixture, ADMIN_EMAIL, ADMIN_PASSWORD);
    g_autoptr(VigilTestReply) later = NULL;

    vigil_test_api_wait_idle (fixture);
    later = vigil_test_api_get (fixture, "/api/analytics/dashboard", later_token);
    vigil_test_assert_status (later, 200);
    g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (later), "login_attempts"), ==, 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/risk/update", test_update);
  ADD ("/api/risk/errors", test_errors);
  ADD ("/api/risk/analyze", test_analyze);
  ADD ("/api/risk/assess", test_assess);
  ADD ("/api/risk/analytics", test_analytics);
#undef ADD

  return g_test_run ();
}
