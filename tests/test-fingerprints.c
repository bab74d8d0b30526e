/* SPDX-License-Identifier: GPL-3.0-or-later */
/* walmart's fingerprints in the engine: the running statistics against a
 * two-pass computation, anomalous fields, confidence, persistence across
 * a restart, and a risk assessment that is the same every time. */
#include "config.h"

#include <math.h>
#include <sodium.h>

#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-rng.h"
#include "vigil-test-util.h"

typedef struct
{
  char              *dir;
  VigilClock        *clock;
  VigilEngine       *engine;
  VigilFingerprints *fingerprints;
  char              *user_id;
  VigilRng           rng;
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
  fixture->fingerprints = vigil_engine_get_fingerprints (fixture->engine);
}

static void
close_engine (Fixture *fixture)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
}

static char *
register_user (Fixture    *fixture,
               const char *email)
{
  VigilRegistration registration = { .email = email, .password = "Correct-Horse-Battery-9" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  Wait wait = { 0 };

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  result = wait.result;
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  return g_strdup (user->id);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC);
  vigil_rng_init (&fixture->rng, 11);
  open_engine (fixture);
  fixture->user_id = register_user (fixture, "ann@example.com");
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

static VigilFingerprintSample *
sample_from_text (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  VigilFingerprintSample *sample;

  g_assert_nonnull (node);
  sample = vigil_fingerprint_sample_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  return sample;
}

/* Ann: about 100 keys a minute, 500 px of mouse, 10 clicks, two minutes. */
static VigilFingerprintSample *
ann_sample (Fixture *fixture)
{
  g_autofree char *json = NULL;

  json = g_strdup_printf ("{\"typing_speed\": %.3f, \"mouse_distance\": %.3f, \"click_count\": %.0f,"
                          " \"session_duration\": %.3f, \"scroll_depth\": %.3f}",
                          100 + 5 * vigil_rng_gaussian (&fixture->rng),
                          500 + 40 * vigil_rng_gaussian (&fixture->rng),
                          10 + round (2 * vigil_rng_gaussian (&fixture->rng)),
                          120 + 10 * vigil_rng_gaussian (&fixture->rng),
                          60 + 8 * vigil_rng_gaussian (&fixture->rng));
  return sample_from_text (json);
}

static double
update (Fixture                      *fixture,
        const char                   *user_id,
        const VigilFingerprintSample *sample)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };
  double confidence = -1;

  vigil_fingerprints_update_async (fixture->fingerprints, user_id, sample, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  result = wait.result;
  g_assert_true (vigil_fingerprints_update_finish (fixture->fingerprints, result, &confidence, &error));
  g_assert_no_error (error);
  return confidence;
}

static VigilRiskAssessment *
assess (Fixture                      *fixture,
        const VigilFingerprintSample *sample)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  VigilRiskAssessment *assessment;
  Wait wait = { 0 };

  vigil_fingerprints_assess_async (fixture->fingerprints, fixture->user_id, sample, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 60000));
  result = wait.result;
  assessment = vigil_fingerprints_assess_finish (fixture->fingerprints, result, &error);
  g_assert_no_error (error);
  return assessment;
}

static void
test_welford (Fixture       *fixture,
              gconstpointer  data)
{
  double values[60];
  double sum = 0, squares = 0, mean, variance, previous = 0;
  VigilDb *db;
  sqlite3_stmt *stmt;

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *json = NULL;
      g_autoptr(VigilFingerprintSample) sample = NULL;
      double confidence;

      /* Large offset, small spread: where a naive sum of squares loses. */
      values[i] = 1e6 + 3 * vigil_rng_gaussian (&fixture->rng);
      json = g_strdup_printf ("{\"typing_speed\": %.17g}", values[i]);
      sample = sample_from_text (json);
      confidence = update (fixture, fixture->user_id, sample);
      g_assert_cmpfloat (confidence, >, previous);
      g_assert_cmpfloat (confidence, <, 1.0);
      previous = confidence;
    }

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    sum += values[i];
  mean = sum / G_N_ELEMENTS (values);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    squares += (values[i] - mean) * (values[i] - mean);
  variance = squares / (G_N_ELEMENTS (values) - 1);

  db = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
  stmt = vigil_db_prepare (db, "SELECT count, mean, m2 FROM fingerprints WHERE user_id = ?1 AND field = 'typing_speed'",
                           NULL);
  g_assert_nonnull (stmt);
  sqlite3_bind_text (stmt, 1, fixture->user_id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, G_N_ELEMENTS (values));
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (stmt, 1), mean, 1e-9 * mean);
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (stmt, 2) / (G_N_ELEMENTS (values) - 1), variance,
                                  1e-6 * variance);
  sqlite3_reset (stmt);
}

static void
test_anomalous_fields (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(VigilFingerprintAnalysis) none = NULL;
  g_autoptr(VigilFingerprintAnalysis) normal = NULL;
  g_autoptr(VigilFingerprintAnalysis) odd = NULL;
  g_autoptr(VigilFingerprintSample) usual = NULL;
  g_autoptr(VigilFingerprintSample) foreign = NULL;
  g_autoptr(GError) error = NULL;
  const VigilFingerprintField *field;

  usual = sample_from_text ("{\"typing_speed\": 101, \"mouse_distance\": 510, \"click_count\": 10,"
                            " \"session_duration\": 118}");
  /* Before any history, nothing is judged, and nothing is called normal
   * with confidence. */
  none = vigil_fingerprints_analyze (fixture->fingerprints, fixture->user_id, usual, &error);
  g_assert_no_error (error);
  g_assert_false (none->is_anomaly);
  g_assert_cmpuint (none->compared_fields, ==, 0);
  g_assert_cmpfloat (none->confidence, ==, 0);

  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(VigilFingerprintSample) sample = ann_sample (fixture);

      update (fixture, fixture->user_id, sample);
    }

  normal = vigil_fingerprints_analyze (fixture->fingerprints, fixture->user_id, usual, &error);
  g_assert_no_error (error);
  g_assert_false (normal->is_anomaly);
  g_assert_cmpuint (normal->compared_fields, ==, 4);
  g_assert_cmpuint (normal->anomalous_fields->len, ==, 0);
  g_assert_cmpfloat (normal->anomaly_score, <, 0.5);
  g_assert_cmpfloat_with_epsilon (normal->confidence, 30.0 / 35.0, 1e-9);

  /* A bot: four times as fast, no mouse at all. */
  foreign = sample_from_text ("{\"typing_speed\": 400, \"mouse_distance\": 0, \"click_count\": 11,"
                              " \"session_duration\": 121}");
  odd = vigil_fingerprints_analyze (fixture->fingerprints, fixture->user_id, foreign, &error);
  g_assert_no_error (error);
  g_assert_true (odd->is_anomaly);
  g_assert_cmpfloat (odd->anomaly_score, >, 0.9);
  g_assert_cmpuint (odd->anomalous_fields->len, ==, 2);
  field = g_ptr_array_index (odd->anomalous_fields, 0);
  g_assert_cmpstr (field->field, ==, "typing_speed");
  g_assert_cmpfloat (field->z, >, VIGIL_FINGERPRINT_Z_THRESHOLD);
  field = g_ptr_array_index (odd->anomalous_fields, 1);
  g_assert_cmpstr (field->field, ==, "mouse_distance");
  g_assert_cmpfloat (field->z, <, -VIGIL_FINGERPRINT_Z_THRESHOLD);
}

static void
test_invalid_samples (Fixture       *fixture,
                      gconstpointer  data)
{
  static const char * const refused[] = {
    "{}",
    "{\"typing_speed\": \"fast\"}",
    "{\"typing_speed\": -1}",
    "{\"flag\": true}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (refused[i], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilFingerprintSample) sample = NULL;

      sample = vigil_fingerprint_sample_from_json (json_node_get_object (node), &error);
      g_assert_null (sample);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
    }
}

static void
test_persistence_and_assessment (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(VigilFingerprintSample) probe = NULL;
  g_autoptr(VigilFingerprintSample) bot = NULL;
  g_autoptr(VigilRiskAssessment) early = NULL;
  g_autoptr(VigilRiskAssessment) first = NULL;
  g_autoptr(VigilRiskAssessment) second = NULL;
  g_autoptr(VigilRiskAssessment) after_restart = NULL;
  g_autoptr(VigilRiskAssessment) foreign = NULL;
  g_autoptr(VigilFingerprintAnalysis) before = NULL;
  g_autoptr(VigilFingerprintAnalysis) after = NULL;
  g_autoptr(GError) error = NULL;

  probe = sample_from_text ("{\"typing_speed\": 100, \"mouse_distance\": 500, \"click_count\": 10,"
                            " \"session_duration\": 120, \"scroll_depth\": 80,"
                            " \"ip_location_score\": 0.9, \"device_type_score\": 1.0}");

  /* No history anywhere: the model abstains and says so. */
  early = assess (fixture, probe);
  g_assert_false (early->has_ml);
  g_assert_false (early->has_fingerprint);
  g_assert_true (early->has_intent);
  g_assert_cmpstr (early->ml_risk_label, ==, "insufficient_data");
  g_assert_nonnull (early->ml_detail);
  g_assert_cmpfloat_with_epsilon (early->risk_score, early->intent_score, 1e-9);

  for (guint i = 0; i < 12; i++)
    {
      g_autoptr(VigilFingerprintSample) sample = ann_sample (fixture);

      update (fixture, fixture->user_id, sample);
    }

  first = assess (fixture, probe);
  second = assess (fixture, probe);
  g_assert_true (first->has_ml);
  g_assert_cmpstr (first->ml_basis, ==, "user");
  g_assert_cmpuint (first->ml_vectors, ==, 12);
  g_assert_true (first->has_fingerprint);
  g_assert_cmpfloat (first->risk_score, ==, second->risk_score);
  g_assert_cmpfloat (first->ml_score, ==, second->ml_score);
  g_assert_cmpfloat (first->fingerprint_diff, ==, second->fingerprint_diff);
  g_assert_cmpfloat (first->intent_score, ==, second->intent_score);
  g_assert_cmpfloat (first->risk_score, >=, 0);
  g_assert_cmpfloat (first->risk_score, <=, 100);

  bot = sample_from_text ("{\"typing_speed\": 900, \"mouse_distance\": 0, \"click_count\": 90,"
                          " \"session_duration\": 4, \"scroll_depth\": 0,"
                          " \"ip_location_score\": 0.1, \"device_type_score\": 0.2}");
  foreign = assess (fixture, bot);
  g_assert_cmpstr (foreign->risk_label, ==, "high");
  g_assert_cmpfloat (foreign->risk_score, >, first->risk_score);
  g_assert_cmpfloat (foreign->ml_score, >, first->ml_score);
  g_assert_cmpstr (foreign->ml_risk_label, ==, "high");

  before = vigil_fingerprints_analyze (fixture->fingerprints, fixture->user_id, probe, &error);
  g_assert_no_error (error);

  close_engine (fixture);
  open_engine (fixture);

  after = vigil_fingerprints_analyze (fixture->fingerprints, fixture->user_id, probe, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->updates, ==, 12);
  g_assert_cmpuint (after->compared_fields, ==, before->compared_fields);
  g_assert_cmpfloat (after->anomaly_score, ==, before->anomaly_score);
  /* The model is trained again from the stored vectors: the same one. */
  after_restart = assess (fixture, probe);
  g_assert_true (after_restart->has_ml);
  g_assert_cmpfloat (after_restart->ml_score, ==, first->ml_score);
  g_assert_cmpfloat (after_restart->risk_score, ==, first->risk_score);
}

static void
test_population_model (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *bob = register_user (fixture, "bob@example.com");
  g_autoptr(VigilFingerprintSample) probe = NULL;
  g_autoptr(VigilRiskAssessment) assessment = NULL;

  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(VigilFingerprintSample) sample = ann_sample (fixture);

      update (fixture, bob, sample);
    }
  probe = sample_from_text ("{\"typing_speed\": 100, \"mouse_distance\": 500, \"click_count\": 10,"
                            " \"session_duration\": 120}");
  assessment = assess (fixture, probe);
  g_assert_true (assessment->has_ml);
  g_assert_cmpstr (assessment->ml_basis, ==, "population");
  g_assert_cmpuint (assessment->ml_vectors, ==, 10);
  /* Ann herself has no history: no fingerprint and no context. */
  g_assert_false (assessment->has_fingerprint);
  g_assert_false (assessment->has_intent);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/fingerprints/welford", test_welford);
  ADD ("/fingerprints/anomalous-fields", test_anomalous_fields);
  ADD ("/fingerprints/invalid", test_invalid_samples);
  ADD ("/fingerprints/persistence-and-assessment", test_persistence_and_assessment);
  ADD ("/fingerprints/population", test_population_model);
#undef ADD

  return g_test_run ();
}
