/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Behavioral profiles end to end: enrollment windows in maxidom's payload
 * until the model trains, then genuine windows against another person's. */
#include "config.h"

#include <math.h>
#include <sodium.h>

#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-rng.h"
#include "vigil-test-behavior.h"
#include "vigil-test-util.h"

typedef struct
{
  char          *dir;
  VigilClock    *clock;
  VigilEngine   *engine;
  VigilProfiles *profiles;
  char          *user_id;
  VigilRng       rng;
} Fixture;

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

static JsonObject *
make_window (Fixture               *fixture,
             const VigilTestPerson *person)
{
  g_autofree char *text = vigil_test_behavior_window (&fixture->rng, person);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
open_engine (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  VigilEngineOptions options;

  vigil_engine_options_init (&options);
  options.clock = fixture->clock;
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options.hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);
  fixture->profiles = vigil_engine_get_profiles (fixture->engine);
}

static void
close_engine (Fixture *fixture)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  VigilRegistration registration = { .profile_id = "alice_01", .password = "SecurePassword123" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  Wait wait = { 0 };

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC);
  vigil_rng_init (&fixture->rng, 7);
  open_engine (fixture);

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  result = wait.result;
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  fixture->user_id = g_strdup (user->id);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  close_engine (fixture);
  vigil_clock_unref (fixture->clock);
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->user_id);
}

static VigilProfileProgress *
enroll (Fixture      *fixture,
        const VigilTestPerson *person)
{
  g_autoptr(JsonObject) window = make_window (fixture, person);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  VigilProfileProgress *progress;
  Wait wait = { 0 };

  vigil_profiles_enroll_async (fixture->profiles, fixture->user_id, window, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  result = wait.result;
  progress = vigil_profiles_enroll_finish (fixture->profiles, result, &error);
  g_assert_no_error (error);
  return progress;
}

static void
enroll_until_ready (Fixture *fixture)
{
  for (guint i = 0; i < 40; i++)
    {
      g_autofree VigilProfileProgress *progress = enroll (fixture, &vigil_test_alice);

      if (progress->ready)
        {
          g_assert_true (progress->trained[VIGIL_MODALITY_TYPING]);
          g_assert_true (progress->trained[VIGIL_MODALITY_MOUSE]);
          g_assert_cmpuint (progress->vectors[VIGIL_MODALITY_TYPING], ==, VIGIL_PROFILE_MIN_VECTORS);
          return;
        }
    }
  g_assert_not_reached ();
}

static void
test_not_found_before_training (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(JsonObject) window = make_window (fixture, &vigil_test_alice);
  g_autoptr(GError) error = NULL;
  g_autofree VigilProfileProgress *progress = enroll (fixture, &vigil_test_alice);

  g_assert_false (progress->ready);
  g_assert_cmpuint (progress->vectors[VIGIL_MODALITY_TYPING], ==, 1);
  g_assert_cmpuint (progress->keys, >, 40);
  g_assert_null (vigil_profiles_score (fixture->profiles, fixture->user_id, window, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
}

static void
test_genuine_and_impostor (Fixture       *fixture,
                           gconstpointer  data)
{
  double genuine = 0, impostor = 0;
  guint flagged_genuine = 0, flagged_impostor = 0;

  enroll_until_ready (fixture);

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(JsonObject) own = make_window (fixture, &vigil_test_alice);
      g_autoptr(JsonObject) other = make_window (fixture, &vigil_test_mallory);
      g_autoptr(GError) error = NULL;
      g_autofree VigilProfileScore *a = vigil_profiles_score (fixture->profiles, fixture->user_id, own, &error);
      g_autofree VigilProfileScore *b = vigil_profiles_score (fixture->profiles, fixture->user_id, other, &error);

      g_assert_no_error (error);
      g_assert_true (a->scored[VIGIL_MODALITY_TYPING] && a->scored[VIGIL_MODALITY_MOUSE]);
      genuine += MAX (a->score[0], a->score[1]);
      impostor += MAX (b->score[0], b->score[1]);
      flagged_genuine += a->is_anomaly;
      flagged_impostor += b->is_anomaly;
    }

  g_test_message ("mean score genuine %.3f impostor %.3f; flagged %u/20 genuine, %u/20 impostor",
                  genuine / 20, impostor / 20, flagged_genuine, flagged_impostor);
  g_assert_cmpfloat (impostor / 20, >, genuine / 20 + 0.2);
  g_assert_cmpuint (flagged_impostor, >=, 18);
  g_assert_cmpuint (flagged_genuine, <=, 10);
}

static void
test_model_survives_restart_and_reset (Fixture       *fixture,
                                       gconstpointer  data)
{
  g_autoptr(JsonObject) window = make_window (fixture, &vigil_test_alice);
  g_autoptr(GError) error = NULL;
  g_autofree VigilProfileScore *before = NULL;
  g_autofree VigilProfileScore *after = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  enroll_until_ready (fixture);
  before = vigil_profiles_score (fixture->profiles, fixture->user_id, window, &error);
  g_assert_no_error (error);

  close_engine (fixture);
  open_engine (fixture);
  after = vigil_profiles_score (fixture->profiles, fixture->user_id, window, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (after->score[0], ==, before->score[0]);
  g_assert_cmpfloat (after->score[1], ==, before->score[1]);

  vigil_profiles_reset_async (fixture->profiles, fixture->user_id, "admin", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  result = wait.result;
  g_assert_true (vigil_profiles_reset_finish (fixture->profiles, result, &error));
  g_assert_null (vigil_profiles_score (fixture->profiles, fixture->user_id, window, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/profiles/not-found", test_not_found_before_training);
  ADD ("/profiles/genuine-and-impostor", test_genuine_and_impostor);
  ADD ("/profiles/restart-and-reset", test_model_survives_restart_and_reset);
#undef ADD

  return g_test_run ();
}
