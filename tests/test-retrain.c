/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Retraining and analyst feedback below the HTTP layer: live sessions of
 * an enrolled user end, their clearly normal vectors join the pool, the
 * model retrains from its whole foundation plus a capped share of the
 * pool, and every guard against slow poisoning holds: only vectors far
 * below the threshold enter, stepped-up sessions stay out unless an
 * analyst confirms them, a fraud label takes a session's vectors out,
 * pool vectors expire oldest-first, retraining moves no threshold, and
 * analyst labels move the user's step-up threshold by bounded, audited,
 * persisted steps that live decisions follow. */
#include "config.h"

#include <sodium.h>

#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-rng.h"
#include "vigil-test-behavior.h"
#include "vigil-test-util.h"
#include "vigil-time.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

typedef struct
{
  char          *dir;
  VigilClock    *clock;
  VigilEngine   *engine;
  VigilProfiles *profiles;
  char          *user_id;
  VigilRng       rng;
  gint64         offset_ms;    /* client time of the last event fed */
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

static GAsyncResult *
wait_result (Wait *wait)
{
  g_assert_true (vigil_test_wait_for (&wait->done, 30000));
  return wait->result;
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

static char *
window_text (Fixture               *fixture,
             const VigilTestPerson *person)
{
  return vigil_test_behavior_window (&fixture->rng, person);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
enroll_until_ready (Fixture *fixture)
{
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *text = window_text (fixture, &vigil_test_alice);
      g_autoptr(JsonObject) window = parse_object (text);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree VigilProfileProgress *progress = NULL;
      Wait wait = { 0 };

      vigil_profiles_enroll_async (fixture->profiles, fixture->user_id, window, NULL, on_done, &wait);
      result = wait_result (&wait);
      progress = vigil_profiles_enroll_finish (fixture->profiles, result, &error);
      g_assert_no_error (error);
      if (progress->ready)
        return;
    }
  g_assert_not_reached ();
}

static void
set_config (Fixture *fixture,
            double   admit_below,
            guint    retrain_after,
            guint    max_vectors)
{
  VigilPoolConfig config;

  vigil_pool_config_init (&config);
  config.admit_below = admit_below;
  config.retrain_after = retrain_after;
  config.max_vectors = max_vectors;
  vigil_profiles_set_pool_config (fixture->profiles, &config);
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
  fixture->clock = vigil_clock_new_manual (START_US);
  vigil_rng_init (&fixture->rng, 11);
  open_engine (fixture);

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  fixture->user_id = g_strdup (user->id);
  enroll_until_ready (fixture);
  /* No retraining unless a test asks for it. */
  set_config (fixture, VIGIL_POOL_ADMIT_BELOW, 1000, VIGIL_POOL_MAX_VECTORS);
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

/* SELECT count(*) FROM profile_pool WHERE session_id = @session_id */
static gint64
pool_of (Fixture    *fixture,
         const char *session_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM profile_pool WHERE session_id = '%s'", session_id);

  return query_int (fixture, sql);
}

/* Pool rows of @session_id (NULL: any) and modality @m whose id @condition. */
static gint64
pool_count (Fixture     *fixture,
            const char  *session_id,
            guint        m,
            const char  *condition)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM profile_pool WHERE modality = '%s'"
                                          " AND (%d OR session_id = '%s') AND id %s",
                                          vigil_modality_to_string (m), session_id == NULL,
                                          session_id ? session_id : "", condition);

  return query_int (fixture, sql);
}

static char *
query_text (Fixture    *fixture,
            const char *sql)
{
  g_autoptr(GError) error = NULL;
  char *value = NULL;

  g_assert_true (vigil_db_query_text (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)), sql,
                                      &value, &error));
  g_assert_no_error (error);
  return value;
}

static VigilSession *
start_session (Fixture *fixture)
{
  g_autoptr(JsonObject) context = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  VigilSession *session;

  json_object_set_string_member (context, "device_id", "device-1");
  vigil_sessions_start_async (vigil_engine_get_sessions (fixture->engine), fixture->user_id, "device-1", context,
                              "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  session = vigil_sessions_start_finish (vigil_engine_get_sessions (fixture->engine), result, &error);
  g_assert_no_error (error);
  return session;
}

/* An event of @type at a human, irregular pace, carrying @data (JSON). */
static VigilEvent *
make_event (Fixture    *fixture,
            const char *type,
            const char *data)
{
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  VigilEvent *event;

  fixture->offset_ms += 700 + (gint64) (vigil_rng_double (&fixture->rng) * 1500);
  when = vigil_time_format_iso8601 (START_US + fixture->offset_ms * 1000);
  text = g_strdup_printf ("{\"event_type\":\"%s\",\"timestamp\":\"%s\",\"data\":%s}", type, when,
                          data ? data : "{}");
  node = json_from_string (text, NULL);
  g_assert_nonnull (node);
  event = vigil_event_new_from_json (json_node_get_object (node), strlen (text), &error);
  g_assert_no_error (error);
  return event;
}

/* Appends @windows (JSON texts) and then @n_rules events of @rule_type,
 * lets the bus deliver them and every decision commit. */
static void
feed (Fixture      *fixture,
      VigilSession *session,
      GPtrArray    *windows,
      const char   *rule_type,
      guint         n_rules)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  for (guint i = 0; windows != NULL && i < windows->len; i++)
    g_ptr_array_add (events, make_event (fixture, "behavior_sample", g_ptr_array_index (windows, i)));
  for (guint i = 0; i < n_rules; i++)
    g_ptr_array_add (events, make_event (fixture, rule_type, NULL));

  vigil_sessions_append_async (vigil_engine_get_sessions (fixture->engine), vigil_session_get_id (session),
                               fixture->user_id, events, NULL, on_done, &wait);
  result = wait_result (&wait);
  vigil_sessions_append_finish (vigil_engine_get_sessions (fixture->engine), result, &error);
  g_assert_no_error (error);
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_test_drain_main_context ();
}

static void
end_session (Fixture      *fixture,
             VigilSession *session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *path = NULL;
  Wait wait = { 0 };

  vigil_sessions_end_async (vigil_engine_get_sessions (fixture->engine), vigil_session_get_id (session),
                            "user_logout", NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  path = vigil_sessions_end_finish (vigil_engine_get_sessions (fixture->engine), result, &error);
  g_assert_no_error (error);
}

static gint64
harvest (Fixture    *fixture,
         const char *session_id,
         gboolean    confirmed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  gint64 in_pool;

  vigil_profiles_harvest_async (fixture->profiles, fixture->user_id, session_id, confirmed, NULL, on_done, &wait);
  result = wait_result (&wait);
  in_pool = vigil_profiles_harvest_finish (fixture->profiles, result, &error);
  g_assert_no_error (error);
  /* The automatic harvest of the session's end, too. */
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_test_drain_main_context ();
  return in_pool;
}

static GPtrArray *
make_windows (Fixture               *fixture,
              const VigilTestPerson *person,
              guint                  n)
{
  GPtrArray *windows = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (windows, window_text (fixture, person));
  return windows;
}

/* The ML surface's answer on the live @session, stored so that feedback
 * can name it (a live session stores only changes of decision). */
static void
analyze (Fixture      *fixture,
         VigilSession *session)
{
  VigilRisk *risk = vigil_engine_get_risk (fixture->engine);
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;
  Wait wait = { 0 };

  vigil_risk_analyze_async (risk, fixture->user_id, vigil_session_get_id (session), none, NULL, on_done, &wait);
  result = wait_result (&wait);
  decision = vigil_risk_analyze_finish (risk, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_ALLOW);
}

/* A whole genuine session: @n windows, analysed, ended; answers its id. */
static char *
genuine_session (Fixture *fixture,
                 guint    n)
{
  g_autoptr(GPtrArray) windows = make_windows (fixture, &vigil_test_alice, n);
  g_autoptr(VigilSession) session = start_session (fixture);

  feed (fixture, session, windows, NULL, 0);
  analyze (fixture, session);
  end_session (fixture, session);
  return g_strdup (vigil_session_get_id (session));
}

static VigilProfileStatus *
get_status (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  VigilProfileStatus *status = vigil_profiles_get_status (fixture->profiles, fixture->user_id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (status);
  return status;
}

static void
feedback (Fixture    *fixture,
          const char *decision_id,
          gboolean    was_correct)
{
  VigilRisk *risk = vigil_engine_get_risk (fixture->engine);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  vigil_risk_feedback_async (risk, "analyst", NULL, NULL, decision_id, was_correct, "analyst_review", NULL, on_done,
                             &wait);
  result = wait_result (&wait);
  g_assert_cmpint (vigil_risk_feedback_finish (risk, result, &error), >, 0);
  g_assert_no_error (error);
  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_test_drain_main_context ();
}

static char *
decision_of (Fixture    *fixture,
             const char *session_id,
             const char *decision)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id FROM decisions WHERE session_id = '%s' AND decision = '%s'"
                                          " ORDER BY at LIMIT 1", session_id, decision);
  char *id = query_text (fixture, sql);

  g_assert_nonnull (id);
  return id;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Only vectors clearly below the threshold enter: the admission bound is
 * put between this session's own scores, so some enter and some do not,
 * exactly those at or below it. */
static void
test_admits_only_clearly_normal (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GPtrArray) windows = make_windows (fixture, &vigil_test_alice, 8);
  g_autoptr(GArray) scores = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(VigilSession) session = NULL;
  g_autofree char *above = NULL;
  g_autofree char *flagged = NULL;
  guint expected = 0;
  double bound;

  for (guint i = 0; i < windows->len; i++)
    {
      g_autoptr(JsonObject) window = parse_object (g_ptr_array_index (windows, i));
      g_autoptr(GError) error = NULL;
      g_autofree VigilProfileScore *score = vigil_profiles_score (fixture->profiles, fixture->user_id, window,
                                                                  &error);

      g_assert_no_error (error);
      for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
        if (score->scored[m])
          g_array_append_val (scores, score->score[m]);
    }
  g_array_sort (scores, compare_doubles);
  bound = g_array_index (scores, double, scores->len / 2);
  for (guint i = 0; i < scores->len; i++)
    expected += g_array_index (scores, double, i) <= bound;
  g_assert_cmpuint (expected, >, 0);
  g_assert_cmpuint (expected, <, scores->len);
  set_config (fixture, bound, 1000, VIGIL_POOL_MAX_VECTORS);

  session = start_session (fixture);
  feed (fixture, session, windows, NULL, 0);
  flagged = g_strdup_printf ("SELECT count(*) FROM decisions WHERE session_id = '%s'"
                             " AND decision IN ('step_up', 'block')", vigil_session_get_id (session));
  g_assert_cmpint (query_int (fixture, flagged), ==, 0);
  /* Not before the session ended. */
  g_assert_cmpint (harvest (fixture, vigil_session_get_id (session), FALSE), ==, 0);
  end_session (fixture, session);

  g_assert_cmpint (harvest (fixture, vigil_session_get_id (session), FALSE), ==, expected);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_pool"), ==, expected);
  above = g_strdup_printf ("SELECT count(*) FROM profile_pool WHERE score > %.17g", bound);
  g_assert_cmpint (query_int (fixture, above), ==, 0);
  /* Harvesting again adds nothing. */
  g_assert_cmpint (harvest (fixture, vigil_session_get_id (session), FALSE), ==, expected);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_pool"), ==, expected);
}

/* A session that was stepped up stays out of the pool until an analyst
 * confirms it genuine; each confirmed false step-up raises the user's
 * step-up threshold by one step, up to the bound, audited; live decisions
 * follow the moved threshold, and it survives a restart. */
static void
test_stepped_up_session_and_raised_threshold (Fixture       *fixture,
                                              gconstpointer  data)
{
  g_autoptr(GPtrArray) windows = make_windows (fixture, &vigil_test_alice, 4);
  g_autoptr(VigilSession) session = start_session (fixture);
  g_autoptr(VigilSession) later = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autofree VigilProfileStatus *status = NULL;
  g_autofree VigilProfileStatus *reopened = NULL;
  g_autofree char *step_up = NULL;
  const char *id;

  /* Three failed MPINs: 0.75, a step-up. */
  feed (fixture, session, windows, "mpin_failed", 3);
  id = vigil_session_get_id (session);
  step_up = decision_of (fixture, id, "step_up");
  end_session (fixture, session);
  g_assert_cmpint (harvest (fixture, id, FALSE), ==, 0);

  feedback (fixture, step_up, FALSE);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM feedback WHERE label = 'allow'"), ==, 1);
  status = get_status (fixture);
  g_assert_cmpfloat_with_epsilon (status->threshold_adjustment, VIGIL_THRESHOLD_STEP, 1e-9);
  g_assert_cmpuint (status->raised, ==, 1);
  /* Confirmed genuine: its clearly normal vectors may now enter. */
  g_assert_cmpint (harvest (fixture, id, TRUE), >, 0);

  for (guint i = 0; i < 7; i++)
    feedback (fixture, step_up, FALSE);
  g_clear_pointer (&status, g_free);
  status = get_status (fixture);
  g_assert_cmpfloat (status->threshold_adjustment, ==, VIGIL_THRESHOLD_MAX_ADJUSTMENT);
  g_assert_cmpuint (status->raised, ==, 8);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.threshold_adjusted'"),
                   ==, 8);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.threshold_adjusted'"
                                       " AND json_extract (details, '$.at_bound')"), ==, 3);

  /* The same three failed MPINs now only monitor: the step-up threshold
   * is 0.8 for this user. (Ten days on, the first session's share of
   * the history has decayed away.) */
  vigil_clock_advance (fixture->clock, 10 * G_TIME_SPAN_DAY);
  later = start_session (fixture);
  feed (fixture, later, NULL, "mpin_failed", 3);
  decision = vigil_risk_get_last_decision (vigil_engine_get_risk (fixture->engine), vigil_session_get_id (later));
  g_assert_nonnull (decision);
  g_assert_cmpfloat_with_epsilon (decision->risk, 0.75, 1e-9);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_MONITOR);

  close_engine (fixture);
  open_engine (fixture);
  reopened = get_status (fixture);
  g_assert_cmpfloat (reopened->threshold_adjustment, ==, VIGIL_THRESHOLD_MAX_ADJUSTMENT);
}

/* A fraud label on a session takes its vectors out of the pool and keeps
 * them out; a missed fraud lowers the step-up threshold, down to the
 * bound. */
static void
test_fraud_label_removes_vectors (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *clean = genuine_session (fixture, 6);
  g_autofree char *other = genuine_session (fixture, 6);
  g_autofree char *allow = NULL;
  g_autofree VigilProfileStatus *status = NULL;
  gint64 other_rows;

  g_assert_cmpint (harvest (fixture, clean, FALSE), >, 0);
  other_rows = harvest (fixture, other, FALSE);
  g_assert_cmpint (other_rows, >, 0);

  allow = decision_of (fixture, clean, "allow");
  feedback (fixture, allow, FALSE);
  g_assert_cmpint (pool_of (fixture, clean),
                   ==, 0);
  g_assert_cmpint (harvest (fixture, clean, FALSE), ==, 0);
  g_assert_cmpint (harvest (fixture, clean, TRUE), ==, 0);
  g_assert_cmpint (pool_of (fixture, other),
                   ==, other_rows);

  status = get_status (fixture);
  g_assert_cmpfloat_with_epsilon (status->threshold_adjustment, -VIGIL_THRESHOLD_STEP, 1e-9);
  g_assert_cmpuint (status->lowered, ==, 1);
  for (guint i = 0; i < 9; i++)
    feedback (fixture, allow, FALSE);
  g_clear_pointer (&status, g_free);
  status = get_status (fixture);
  g_assert_cmpfloat (status->threshold_adjustment, ==, -VIGIL_THRESHOLD_MAX_ADJUSTMENT);
  /* A label that confirms the decision moves nothing. */
  feedback (fixture, allow, TRUE);
  g_clear_pointer (&status, g_free);
  status = get_status (fixture);
  g_assert_cmpfloat (status->threshold_adjustment, ==, -VIGIL_THRESHOLD_MAX_ADJUSTMENT);
  g_assert_cmpuint (status->lowered, ==, 10);
  g_assert_cmpuint (status->raised, ==, 0);
}

/* Retraining starts once the pool grew enough, keeps the whole
 * enrollment foundation, takes at most its share of pool vectors (the
 * newest), and moves no threshold. */
static void
test_retraining_keeps_foundation_and_caps_share (Fixture       *fixture,
                                                 gconstpointer  data)
{
  g_autofree VigilProfileStatus *before = get_status (fixture);
  g_autofree VigilProfileStatus *after = NULL;
  g_autofree char *first = NULL;
  g_autofree char *text = window_text (fixture, &vigil_test_alice);
  g_autoptr(JsonObject) window = parse_object (text);
  g_autoptr(GError) error = NULL;
  g_autofree VigilProfileScore *score = NULL;
  guint m = VIGIL_MODALITY_TYPING;

  g_assert_cmpuint (before->model_version[m], ==, 1);
  g_assert_cmpuint (before->model_pool[m], ==, 0);
  set_config (fixture, VIGIL_POOL_ADMIT_BELOW, 6, VIGIL_POOL_MAX_VECTORS);

  first = genuine_session (fixture, 8);
  harvest (fixture, first, FALSE);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *id = genuine_session (fixture, 8);
      g_autofree VigilProfileStatus *now = NULL;

      harvest (fixture, id, FALSE);
      now = get_status (fixture);
      if (now->model_version[m] > 1 && now->pool[m] > now->model_pool[m])
        break;
    }

  after = get_status (fixture);
  g_test_message ("foundation %u, pool %u, model: version %u on %u + %u from the pool", after->samples[m],
                  after->pool[m], after->model_version[m], after->model_vectors[m], after->model_pool[m]);
  g_assert_cmpuint (after->model_version[m], >, 1);
  g_assert_cmpuint (after->samples[m], ==, before->samples[m]);
  g_assert_cmpuint (after->model_vectors[m], ==, before->samples[m]);
  g_assert_cmpuint (after->model_pool[m], >, 0);
  g_assert_cmpuint (after->pool[m], >, after->model_pool[m]);
  g_assert_cmpfloat (after->model_pool[m], <=, VIGIL_POOL_MAX_SHARE * (after->model_vectors[m] + after->model_pool[m]));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE source = 'enrollment'"
                                       " AND modality IN ('typing', 'mouse')"), ==,
                   before->samples[VIGIL_MODALITY_TYPING] + before->samples[VIGIL_MODALITY_MOUSE]);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'profile.trained'"
                                       " AND json_extract (details, '$.pool_vectors') > 0"), >, 0);

  /* No threshold moved. */
  g_assert_cmpfloat (after->threshold_adjustment, ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM risk_thresholds"), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'risk.threshold_adjusted'"),
                   ==, 0);
  score = vigil_profiles_score (fixture->profiles, fixture->user_id, window, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (score->threshold[m], ==, VIGIL_PROFILE_THRESHOLD);
}

/* Pool vectors expire oldest-first: by count at once, and by age once the
 * clock passed it; the enrollment foundation never expires. */
static void
test_expiry_oldest_first (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *first = genuine_session (fixture, 6);
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  gint64 enrollment = query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE modality IN ('typing', 'mouse')");

  gint64 first_rows[VIGIL_N_MODALITIES];
  guint trimmed = 0;

  set_config (fixture, VIGIL_POOL_ADMIT_BELOW, 1000, 4);
  g_assert_cmpint (harvest (fixture, first, FALSE), >, 0);
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    first_rows[m] = pool_count (fixture, first, m, ">= 0");
  second = genuine_session (fixture, 8);
  g_assert_cmpint (harvest (fixture, second, FALSE), >, 0);

  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    {
      gint64 kept = pool_count (fixture, first, m, ">= 0");
      g_autofree char *condition = NULL;

      g_assert_cmpint (pool_count (fixture, NULL, m, ">= 0"), <=, 4);
      if (kept == first_rows[m])
        continue;
      /* Trimmed to the limit, and from the oldest end: what is left of the
       * first session are its newest rows, and the second is all there. */
      trimmed++;
      g_assert_cmpint (pool_count (fixture, NULL, m, ">= 0"), ==, 4);
      condition = g_strdup_printf ("< (SELECT max (id) FROM profile_pool WHERE session_id = '%s')", first);
      g_assert_cmpint (kept, ==, MAX (0, 4 - pool_count (fixture, second, m, ">= 0")));
      g_assert_cmpint (pool_count (fixture, second, m, condition), ==, 0);
    }
  g_assert_cmpuint (trimmed, >, 0);

  /* Past the age limit everything older goes. */
  vigil_clock_advance (fixture->clock, (gint64) (VIGIL_POOL_MAX_AGE_DAYS + 1) * G_TIME_SPAN_DAY);
  third = genuine_session (fixture, 6);
  g_assert_cmpint (harvest (fixture, third, FALSE), >, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_pool"), ==, pool_of (fixture, third));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE modality IN ('typing', 'mouse')"), ==, enrollment);
}

typedef struct
{
  Fixture  *fixture;
  guint     signals;
  gboolean  pooled;
} Watch;

static void
on_status_changed (VigilProfiles *profiles,
                   const char    *user_id,
                   gpointer       user_data)
{
  Watch *watch = user_data;
  g_autofree VigilProfileStatus *status = NULL;

  g_assert_cmpstr (user_id, ==, watch->fixture->user_id);
  watch->signals++;
  status = get_status (watch->fixture);
  watch->pooled = status->pool[VIGIL_MODALITY_TYPING] + status->pool[VIGIL_MODALITY_MOUSE] > 0;
}

/* The console's view of a user's model, and the engine harvesting an
 * ended session by itself, announced by "status-changed". */
static void
test_status_and_automatic_harvest (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree VigilProfileStatus *status = get_status (fixture);
  g_autofree VigilProfileStatus *after = NULL;
  g_autofree VigilProfileStatus *unknown = NULL;
  g_autoptr(GPtrArray) windows = make_windows (fixture, &vigil_test_alice, 8);
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch = { fixture, 0, FALSE };
  gulong handler;

  for (guint m = 0; m < VIGIL_N_MAXIDOM_MODALITIES; m++)
    {
      g_assert_cmpuint (status->samples[m], ==, VIGIL_PROFILE_MIN_VECTORS);
      g_assert_true (status->trained[m]);
      g_assert_cmpuint (status->model_version[m], ==, 1);
      g_assert_cmpuint (status->model_vectors[m], ==, VIGIL_PROFILE_MIN_VECTORS);
      g_assert_cmpint (status->trained_at_us[m], ==, START_US);
      g_assert_cmpuint (status->pool[m], ==, 0);
    }
  g_assert_cmpfloat (status->threshold_adjustment, ==, 0);
  unknown = vigil_profiles_get_status (fixture->profiles, "no-such-user", &error);
  g_assert_null (unknown);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);

  handler = g_signal_connect (fixture->profiles, "status-changed", G_CALLBACK (on_status_changed), &watch);
  session = start_session (fixture);
  feed (fixture, session, windows, NULL, 0);
  end_session (fixture, session);
  g_assert_true (vigil_test_wait_for (&watch.pooled, 30000));
  g_signal_handler_disconnect (fixture->profiles, handler);

  after = get_status (fixture);
  g_assert_cmpint (after->pool[VIGIL_MODALITY_TYPING] + after->pool[VIGIL_MODALITY_MOUSE], ==,
                   pool_of (fixture, vigil_session_get_id (session)));
  g_assert_cmpuint (after->samples[VIGIL_MODALITY_TYPING], ==, VIGIL_PROFILE_MIN_VECTORS);
  g_assert_cmpuint (watch.signals, >, 0);
}

/* The moved threshold decides, within its bounds: only the step-up
 * boundary moves, never past monitor or block. */
static void
test_decide_adjusted (void)
{
  VigilDecision requested;

  g_assert_cmpint (vigil_risk_decide_adjusted (0.75, 0.9, 0, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.75, 0.9, 0.1, &requested), ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (requested, ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.8, 0.9, 0.1, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.65, 0.9, -0.1, &requested), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (requested, ==, VIGIL_DECISION_STEP_UP);
  /* Clamped to the bound: 0.6 at the lowest, 0.8 at the highest. */
  g_assert_cmpint (vigil_risk_decide_adjusted (0.59, 0.9, -0.5, NULL), ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.6, 0.9, -0.5, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.85, 0.9, 0.5, NULL), ==, VIGIL_DECISION_STEP_UP);
  /* Block and monitor stay where they are. */
  g_assert_cmpint (vigil_risk_decide_adjusted (0.95, 0.9, 0.1, NULL), ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.95, 0.8, 0.1, NULL), ==, VIGIL_DECISION_STEP_UP);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.45, 0.9, -0.1, NULL), ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpint (vigil_risk_decide_adjusted (0.3, 0.9, -0.1, NULL), ==, VIGIL_DECISION_ALLOW);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/retrain/admits-only-clearly-normal", test_admits_only_clearly_normal);
  ADD ("/retrain/stepped-up-session-and-raised-threshold", test_stepped_up_session_and_raised_threshold);
  ADD ("/retrain/fraud-label-removes-vectors", test_fraud_label_removes_vectors);
  ADD ("/retrain/keeps-foundation-caps-share", test_retraining_keeps_foundation_and_caps_share);
  ADD ("/retrain/expiry-oldest-first", test_expiry_oldest_first);
  ADD ("/retrain/status-and-automatic-harvest", test_status_and_automatic_harvest);
#undef ADD
  g_test_add_func ("/retrain/decide-adjusted", test_decide_adjusted);

  return g_test_run ();
}
