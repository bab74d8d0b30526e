/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The maxidom credential routes over real HTTP, at the root and under
 * /api/: enrollment, password verification and their errors. */
#include "config.h"

#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define PASSWORD "Correct-Horse-Battery-9"

typedef VigilTestApi Fixture;

static const char * const prefixes[] = { "", "/api" };

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

static VigilTestReply *
post (Fixture    *fixture,
      const char *prefix,
      const char *route,
      const char *profile_id,
      const char *body)
{
  g_autofree char *path = g_strdup_printf ("%s/%s/%s", prefix, route, profile_id);

  return vigil_test_api_post (fixture, path, NULL, body);
}

static void
test_enroll (Fixture       *fixture,
             gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autofree char *profile_id = g_strdup_printf ("desk_%u-a", i);
      g_autoptr(VigilTestReply) enrolled = NULL;
      g_autoptr(VigilTestReply) again = NULL;
      g_autoptr(VigilTestReply) other_prefix = NULL;

      enrolled = post (fixture, prefixes[i], "enroll", profile_id, "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (enrolled, 200);
      g_assert_cmpstr (vigil_test_reply_string (enrolled, "status"), ==, "enrollment successful");
      g_assert_cmpstr (vigil_test_reply_string (enrolled, "profile_id"), ==, profile_id);

      again = post (fixture, prefixes[i], "enroll", profile_id, "{\"password\":\"Another-Horse-Battery\"}");
      vigil_test_assert_status (again, 409);
      g_assert_nonnull (vigil_test_reply_string (again, "detail"));

      /* Both paths reach the same profiles. */
      other_prefix = post (fixture, prefixes[1 - i], "enroll", profile_id, "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (other_prefix, 409);
    }
}

static void
test_enroll_invalid (Fixture       *fixture,
                     gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autoptr(VigilTestReply) missing = NULL;
      g_autoptr(VigilTestReply) bad_id = NULL;
      g_autoptr(VigilTestReply) escaped_id = NULL;
      g_autoptr(VigilTestReply) weak = NULL;
      g_autoptr(VigilTestReply) no_id = NULL;
      g_autoptr(VigilTestReply) two_segments = NULL;
      g_autoptr(VigilTestReply) wrong_method = NULL;
      g_autofree char *path = NULL;
      JsonObject *first;

      missing = post (fixture, prefixes[i], "enroll", "desk-1", "{}");
      vigil_test_assert_status (missing, 422);
      first = json_array_get_object_element (json_object_get_array_member (vigil_test_reply_object (missing), "detail"), 0);
      g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (first, "loc"), 1), ==, "password");
      g_assert_cmpstr (json_object_get_string_member (first, "type"), ==, "value_error.missing");

      bad_id = post (fixture, prefixes[i], "enroll", "desk.1", "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (bad_id, 400);
      g_assert_nonnull (vigil_test_reply_string (bad_id, "detail"));

      /* Decoded before it is checked: "../x" is no profile id. */
      escaped_id = post (fixture, prefixes[i], "enroll", "..%2Fx", "{\"password\":\"" PASSWORD "\"}");
      g_assert_true (escaped_id->status == 400 || escaped_id->status == 404);

      weak = post (fixture, prefixes[i], "enroll", "desk-weak", "{\"password\":\"qwerty123\"}");
      vigil_test_assert_status (weak, 400);

      path = g_strdup_printf ("%s/enroll/", prefixes[i]);
      no_id = vigil_test_api_post (fixture, path, NULL, "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (no_id, 404);
      two_segments = post (fixture, prefixes[i], "enroll", "a/b", "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (two_segments, 404);

      g_free (path);
      path = g_strdup_printf ("%s/enroll/desk-1", prefixes[i]);
      wrong_method = vigil_test_api_get (fixture, path, NULL);
      vigil_test_assert_status (wrong_method, 405);
    }
}

static void
test_verify_password (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(VigilTestReply) enrolled = NULL;

  enrolled = post (fixture, "", "enroll", "desk-7", "{\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (enrolled, 200);

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      g_autoptr(VigilTestReply) right = NULL;
      g_autoptr(VigilTestReply) wrong = NULL;
      g_autoptr(VigilTestReply) unknown = NULL;
      g_autoptr(VigilTestReply) missing = NULL;
      g_autoptr(VigilTestReply) ill_typed = NULL;

      right = post (fixture, prefixes[i], "verify_password", "desk-7", "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (right, 200);
      g_assert_true (json_object_get_boolean_member (vigil_test_reply_object (right), "verified"));

      wrong = post (fixture, prefixes[i], "verify_password", "desk-7", "{\"password\":\"Wrong-Horse-Battery\"}");
      vigil_test_assert_status (wrong, 200);
      g_assert_false (json_object_get_boolean_member (vigil_test_reply_object (wrong), "verified"));

      unknown = post (fixture, prefixes[i], "verify_password", "desk-8", "{\"password\":\"" PASSWORD "\"}");
      vigil_test_assert_status (unknown, 404);
      g_assert_cmpstr (vigil_test_reply_string (unknown, "detail"), ==, "Profile not found.");

      missing = post (fixture, prefixes[i], "verify_password", "desk-7", "{\"pass\":\"" PASSWORD "\"}");
      vigil_test_assert_status (missing, 422);

      ill_typed = post (fixture, prefixes[i], "verify_password", "desk-7", "{\"password\":[1]}");
      vigil_test_assert_status (ill_typed, 422);
    }
}

static void
test_rate_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilTestReply) enrolled = NULL;
  g_autoptr(VigilTestReply) limited = NULL;
  guint i;

  enrolled = post (fixture, "", "enroll", "desk-9", "{\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (enrolled, 200);

  /* Guessing a profile's password is a credential check like any other. */
  for (i = 0; i < 20; i++)
    {
      g_autoptr(VigilTestReply) reply = post (fixture, "/api", "verify_password", "desk-9",
                                              "{\"password\":\"Wrong-Horse-Battery\"}");

      if (reply->status == 429)
        {
          limited = g_steal_pointer (&reply);
          break;
        }
      vigil_test_assert_status (reply, 200);
    }

  g_assert_nonnull (limited);
  g_assert_cmpuint (g_ascii_strtoull (vigil_test_reply_header (limited, "Retry-After"), NULL, 10), >=, 1);
  g_assert_cmpstr (vigil_test_reply_string (limited, "error"), ==, "rate_limited");
}

int
main (int   argc,
      char *argv[])
{
  static VigilEngineOptions strict;

  g_test_init (&argc, &argv, NULL);

  vigil_test_api_options_init (&strict);
  strict.rate_limit_burst = 3;
  strict.rate_limit_per_minute = 1;

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/profiles/enroll", test_enroll);
  ADD ("/api/profiles/enroll/invalid", test_enroll_invalid);
  ADD ("/api/profiles/verify-password", test_verify_password);
#undef ADD
  g_test_add ("/api/profiles/rate-limit", Fixture, &strict, fixture_set_up, test_rate_limit, fixture_tear_down);

  return g_test_run ();
}
