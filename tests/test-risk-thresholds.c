/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tunable risk thresholds: checked, applied to the next decision of a live
 * session, announced by "decision-made"; and the settings the engine
 * follows. */
#include "config.h"

#include <sodium.h>

#include "vigil-db.h"
#include "vigil-engine.h"
#include "vigil-engine-settings.h"
#include "vigil-error.h"
#include "vigil-test-block.h"
#include "vigil-test-util.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

typedef struct
{
  char        *dir;
  VigilClock  *clock;
  VigilEngine *engine;
  char        *user_id;
} Fixture;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  VigilRegistration registration = { .phone = "9876543210", .password = "SecurePassword123" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  VigilEngineOptions options;
  VigilAuth *auth;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (START_US);
  vigil_engine_options_init (&options);
  options.clock = fixture->clock;
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options.hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);

  auth = vigil_engine_get_auth (fixture->engine);
  vigil_auth_register_async (auth, &registration, NULL, NULL, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  user = vigil_auth_register_finish (auth, result, &error);
  g_assert_no_error (error);
  fixture->user_id = g_strdup (user->id);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  vigil_clock_unref (fixture->clock);
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->user_id);
}

static void
on_decision (VigilRisk               *risk,
             const VigilRiskDecision *decision,
             GPtrArray               *seen)
{
  g_ptr_array_add (seen, vigil_risk_decision_copy (decision));
}

static void
test_check (void)
{
  VigilRiskThresholds thresholds;
  VigilRiskThresholds falling = { .monitor = 0.5, .suspicious = 0.4, .high = 0.9, .block_confidence = 0.8 };
  VigilRiskThresholds certain = { .monitor = 0.4, .suspicious = 0.7, .high = 0.9, .block_confidence = 1.0 };
  g_autoptr(GError) error = NULL;

  vigil_risk_thresholds_init_default (&thresholds);
  g_assert_true (vigil_risk_thresholds_check (&thresholds, &error));
  g_assert_cmpint (vigil_risk_thresholds_decide (&thresholds, 0.9, 0.801, NULL), ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpint (vigil_risk_thresholds_decide (&thresholds, 0.9, 0.8, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_thresholds_decide (&thresholds, 0.69, 1.0, NULL), ==, VIGIL_DECISION_MONITOR);

  g_assert_false (vigil_risk_thresholds_check (&falling, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (vigil_risk_thresholds_check (&certain, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
}

static void
test_engine_option_refused (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = NULL;
  VigilEngineOptions options;

  vigil_engine_options_init (&options);
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.risk_thresholds.high = 0.5;   /* below the step-up threshold */
  engine = vigil_engine_new_with_options (dir, &options, &error);
  g_assert_null (engine);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  vigil_test_rm_rf (dir);
}

static void
test_default_blocks (Fixture       *fixture,
                     gconstpointer  data)
{
  VigilRisk *risk = vigil_engine_get_risk (fixture->engine);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_risk_decision_free);
  g_autoptr(VigilSession) session = NULL;
  const VigilRiskDecision *last;

  g_signal_connect (risk, "decision-made", G_CALLBACK (on_decision), seen);
  session = vigil_test_block_session (fixture->engine, fixture->user_id);
  g_signal_handlers_disconnect_by_data (risk, seen);

  g_assert_cmpuint (seen->len, >=, 1);
  last = g_ptr_array_index (seen, seen->len - 1);
  g_assert_cmpint (last->decision, ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpstr (last->session_id, ==, vigil_session_get_id (session));
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_BLOCKED);
}

static gint64
audited_threshold_changes (Fixture *fixture)
{
  VigilStore *store = vigil_engine_get_store (fixture->engine);
  g_autoptr(GError) error = NULL;
  gint64 count = -1;

  vigil_store_flush (store);
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (store),
                                     "SELECT count(*) FROM audit_log WHERE action = 'settings.risk_thresholds'"
                                     " AND json_extract (details, '$.old_block_confidence') = 0.8"
                                     " AND json_extract (details, '$.block_confidence') = 0.9",
                                     &count, &error));
  g_assert_no_error (error);
  return count;
}

static void
test_tuned_steps_up (Fixture       *fixture,
                     gconstpointer  data)
{
  VigilRisk *risk = vigil_engine_get_risk (fixture->engine);
  VigilRiskThresholds thresholds;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(VigilRiskDecision) last = NULL;
  VigilRiskReason *first;

  /* The same evidence (confidence 0.882) no longer suffices for a block. */
  vigil_risk_get_thresholds (risk, &thresholds);
  thresholds.block_confidence = 0.9;
  g_assert_true (vigil_risk_set_thresholds (risk, &thresholds, &error));
  g_assert_no_error (error);

  session = vigil_test_block_session (fixture->engine, fixture->user_id);
  last = vigil_risk_get_last_decision (risk, vigil_session_get_id (session));
  g_assert_nonnull (last);
  g_assert_cmpint (last->requested, ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpint (last->decision, ==, VIGIL_DECISION_STEP_UP);
  first = g_ptr_array_index (last->reasons, 0);
  g_assert_cmpstr (first->code, ==, "block_confidence_low");
  g_assert_nonnull (strstr (first->text, "0.90"));
  g_assert_cmpint (vigil_session_get_state (session), !=, VIGIL_SESSION_BLOCKED);

  /* A falling combination is refused and changes nothing. */
  thresholds.suspicious = 0.95;
  g_assert_false (vigil_risk_set_thresholds (risk, &thresholds, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  vigil_risk_get_thresholds (risk, &thresholds);
  g_assert_cmpfloat (thresholds.suspicious, ==, VIGIL_RISK_SUSPICIOUS_THRESHOLD);

  /* The change is policy: audited once with before and after, and
   * setting the same values again writes nothing. */
  g_assert_true (vigil_risk_set_thresholds (risk, &thresholds, &error));
  g_assert_cmpint (audited_threshold_changes (fixture), ==, 1);
}

static void
test_settings_followed (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.vigil.Console");
  VigilRisk *risk = vigil_engine_get_risk (fixture->engine);
  VigilRiskThresholds thresholds;

  g_settings_set_double (settings, "risk-suspicious-threshold", 0.6);
  vigil_engine_settings_bind (fixture->engine, settings);
  vigil_risk_get_thresholds (risk, &thresholds);
  g_assert_cmpfloat (thresholds.suspicious, ==, 0.6);

  g_settings_set_double (settings, "risk-high-threshold", 0.8);
  vigil_risk_get_thresholds (risk, &thresholds);
  g_assert_cmpfloat (thresholds.high, ==, 0.8);

  g_settings_reset (settings, "risk-suspicious-threshold");
  g_settings_reset (settings, "risk-high-threshold");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/risk-thresholds/check", test_check);
  g_test_add_func ("/risk-thresholds/engine-option-refused", test_engine_option_refused);
  g_test_add ("/risk-thresholds/default-blocks", Fixture, NULL, fixture_set_up, test_default_blocks, fixture_tear_down);
  g_test_add ("/risk-thresholds/tuned-steps-up", Fixture, NULL, fixture_set_up, test_tuned_steps_up, fixture_tear_down);
  g_test_add ("/risk-thresholds/settings-followed", Fixture, NULL, fixture_set_up, test_settings_followed, fixture_tear_down);

  return g_test_run ();
}
