/* SPDX-License-Identifier: GPL-3.0-or-later */
/* maxidom's model routes over HTTP: /train, /score and /reset_profile. */
#include "config.h"

#include "vigil-rng.h"
#include "vigil-test-api.h"
#include "vigil-test-behavior.h"
#include "vigil-test-util.h"

#define PASSWORD "SecurePassword123"

typedef VigilTestApi Fixture;

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
enroll_profile (Fixture    *fixture,
                const char *profile_id)
{
  g_autofree char *path = g_strdup_printf ("/enroll/%s", profile_id);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, path, NULL, "{\"password\":\"" PASSWORD "\"}");

  vigil_test_assert_status (reply, 200);
}

static VigilTestReply *
post_window (Fixture               *fixture,
             const char            *route,
             const char            *profile_id,
             VigilRng              *rng,
             const VigilTestPerson *person)
{
  g_autofree char *path = g_strdup_printf ("%s/%s", route, profile_id);
  g_autofree char *window = vigil_test_behavior_window (rng, person);

  return vigil_test_api_post (fixture, path, NULL, window);
}

static void
train_until_ready (Fixture    *fixture,
                   const char *profile_id,
                   VigilRng   *rng)
{
  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(VigilTestReply) reply = post_window (fixture, i % 2 ? "/api/train" : "/train", profile_id, rng,
                                                     &vigil_test_alice);
      JsonObject *progress;

      vigil_test_assert_status (reply, 200);
      progress = json_object_get_object_member (vigil_test_reply_object (reply), "progress");
      g_assert_nonnull (progress);
      g_assert_true (json_object_has_member (progress, "keyboard_samples"));
      if (g_strcmp0 (vigil_test_reply_string (reply, "status"), "profile_ready") == 0)
        {
          g_assert_true (json_object_get_boolean_member (progress, "typing_model"));
          return;
        }
      g_assert_cmpstr (vigil_test_reply_string (reply, "status"), ==, "profiling_in_progress");
    }
  g_assert_not_reached ();
}

static void
test_train_and_score (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(VigilTestReply) early = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;
  g_autoptr(VigilTestReply) bad = NULL;
  VigilRng rng;
  guint flagged_genuine = 0, flagged_impostor = 0;

  vigil_rng_init (&rng, 11);
  enroll_profile (fixture, "desk-7");

  early = post_window (fixture, "/score", "desk-7", &rng, &vigil_test_alice);
  vigil_test_assert_status (early, 404);
  g_assert_cmpstr (vigil_test_reply_string (early, "detail"), ==, "Model not found.");
  unknown = post_window (fixture, "/train", "nobody", &rng, &vigil_test_alice);
  vigil_test_assert_status (unknown, 404);
  g_assert_cmpstr (vigil_test_reply_string (unknown, "detail"), ==, "Profile not found.");
  bad = vigil_test_api_post (fixture, "/train/desk-7", NULL, "{\"keyEvents\": 3}");
  vigil_test_assert_status (bad, 400);

  train_until_ready (fixture, "desk-7", &rng);

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(VigilTestReply) own = post_window (fixture, "/score", "desk-7", &rng, &vigil_test_alice);
      g_autoptr(VigilTestReply) other = post_window (fixture, "/api/score", "desk-7", &rng, &vigil_test_mallory);
      JsonObject *object;

      vigil_test_assert_status (own, 200);
      vigil_test_assert_status (other, 200);
      object = vigil_test_reply_object (own);
      g_assert_true (json_object_has_member (object, "typing_threshold"));
      g_assert_true (json_object_has_member (object, "mouse_threshold"));
      g_assert_true (json_object_has_member (object, "typing_score"));
      g_assert_true (json_object_has_member (object, "mouse_score"));
      g_assert_cmpfloat (json_object_get_double_member (object, "score"), >=, 0);
      g_assert_cmpfloat (json_object_get_double_member (object, "score"), <=, 1);
      flagged_genuine += json_object_get_boolean_member (object, "is_anomaly");
      flagged_impostor += json_object_get_boolean_member (vigil_test_reply_object (other), "is_anomaly");
    }

  g_assert_cmpuint (flagged_impostor, >=, 9);
  g_assert_cmpuint (flagged_genuine, <=, 5);
}

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

/* The seed's clients have no login route for profiles; the engine has. */
static char *
login_token (Fixture        *fixture,
             VigilLoginKind  kind,
             const char     *identifier,
             const char     *password)
{
  VigilAuth *auth = vigil_engine_get_auth (fixture->engine);
  g_autoptr(VigilAuthResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  vigil_auth_login_async (auth, kind, identifier, password, NULL, FALSE, "127.0.0.1", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  result = vigil_auth_login_finish (auth, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  return g_strdup (result->access_token);
}

static void
test_reset_is_for_the_owner_or_an_admin (Fixture       *fixture,
                                         gconstpointer  data)
{
  g_autoptr(VigilTestReply) anonymous = NULL;
  g_autoptr(VigilTestReply) stranger = NULL;
  g_autoptr(VigilTestReply) owner = NULL;
  g_autoptr(VigilTestReply) after = NULL;
  g_autoptr(VigilTestReply) signup = NULL;
  g_autofree char *stranger_token = NULL;
  g_autofree char *owner_token = NULL;
  VigilRng rng;

  vigil_rng_init (&rng, 12);
  enroll_profile (fixture, "desk-8");
  train_until_ready (fixture, "desk-8", &rng);

  anonymous = vigil_test_api_request (fixture, "DELETE", "/api/reset_profile/desk-8", NULL, NULL);
  vigil_test_assert_status (anonymous, 403);

  signup = vigil_test_api_post (fixture, "/api/signup", NULL, "{\"email\":\"eve@example.com\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (signup, 201);
  stranger_token = login_token (fixture, VIGIL_LOGIN_EMAIL, "eve@example.com", PASSWORD);
  stranger = vigil_test_api_request (fixture, "DELETE", "/api/reset_profile/desk-8", stranger_token, NULL);
  vigil_test_assert_status (stranger, 403);

  owner_token = login_token (fixture, VIGIL_LOGIN_PROFILE, "desk-8", PASSWORD);
  owner = vigil_test_api_request (fixture, "DELETE", "/api/reset_profile/desk-8", owner_token, NULL);
  vigil_test_assert_status (owner, 204);

  after = post_window (fixture, "/score", "desk-8", &rng, &vigil_test_alice);
  vigil_test_assert_status (after, 404);
}

int
main (int   argc,
      char *argv[])
{
  VigilEngineOptions options;

  g_test_init (&argc, &argv, NULL);
  vigil_test_api_options_init (&options);

#define ADD(path, func) g_test_add (path, Fixture, &options, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/profile-models/train-and-score", test_train_and_score);
  ADD ("/api/profile-models/reset", test_reset_is_for_the_owner_or_an_admin);
#undef ADD

  return g_test_run ();
}
