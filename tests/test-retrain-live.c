/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live modalities keep learning: once a user's touch model exists,
 * the taps of her sessions that end undisputed join the retraining pool
 * as they were scored, and the model retrains on a worker thread from
 * its whole enrollment plus a capped share of them, so that touch
 * behaviour drifting over months is learnt; a stepped-up or blocked
 * session's taps stay out, and a fraud label takes a session's out. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "vigil-actions.h"
#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-profiles-live.h"
#include "vigil-rng.h"
#include "vigil-test-behavior.h"
#include "vigil-test-util.h"
#include "vigil-time.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
/* vigil-risk-behavior.c keeps this many scored vectors per session and
 * modality for the pool. */
#define POOL_PER_SESSION 10

static const VigilTestTouch owner = { 0.55, 0.30, 110 };
/* Where her touch has drifted to after some months: firmer, wider and
 * slower taps, each between one and two spreads away. */
static const VigilTestTouch drifted = { 0.60, 0.325, 128 };

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
settle (Fixture *fixture)
{
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_test_drain_main_context ();
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

/* The session's touch vectors in the pool. */
static gint64
pool_of (Fixture    *fixture,
         const char *session_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM profile_pool WHERE session_id = '%s'"
                                          " AND modality = 'touch'", session_id);

  return query_int (fixture, sql);
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

static void
append (Fixture      *fixture,
        VigilSession *session,
        GPtrArray    *events)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  vigil_sessions_append_async (vigil_engine_get_sessions (fixture->engine), vigil_session_get_id (session),
                               fixture->user_id, events, NULL, on_done, &wait);
  result = wait_result (&wait);
  vigil_sessions_append_finish (vigil_engine_get_sessions (fixture->engine), result, &error);
  g_assert_no_error (error);
  settle (fixture);
}

/* @n taps of @touch in batches as an app streams them, then @n_rules
 * events of @rule_type. */
static void
feed_taps (Fixture              *fixture,
           VigilSession         *session,
           const VigilTestTouch *touch,
           guint                 n,
           const char           *rule_type,
           guint                 n_rules)
{
  for (guint i = 0; i < n; i += 20)
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);

      for (guint j = i; j < MIN (i + 20, n); j++)
        {
          g_autofree char *tap = vigil_test_behavior_tap (&fixture->rng, touch);

          g_ptr_array_add (events, make_event (fixture, "touch", tap));
        }
      append (fixture, session, events);
    }
  if (n_rules > 0)
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);

      for (guint i = 0; i < n_rules; i++)
        g_ptr_array_add (events, make_event (fixture, rule_type, NULL));
      append (fixture, session, events);
    }
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
  /* The end reaches the pool through the bus. */
  settle (fixture);
}

/* Waits for the harvest of the session's end (and any retraining it
 * started); answers the session's vectors in the pool. */
static gint64
harvested (Fixture    *fixture,
           const char *session_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  gint64 in_pool;

  vigil_profiles_harvest_async (fixture->profiles, fixture->user_id, session_id, FALSE, NULL, on_done, &wait);
  result = wait_result (&wait);
  in_pool = vigil_profiles_harvest_finish (fixture->profiles, result, &error);
  g_assert_no_error (error);
  settle (fixture);
  return in_pool;
}

/* A whole session of @n taps of @touch; answers its id once harvested. */
static char *
tap_session (Fixture              *fixture,
             const VigilTestTouch *touch,
             guint                 n,
             const char           *rule_type,
             guint                 n_rules)
{
  g_autoptr(VigilSession) session = start_session (fixture);
  char *id = g_strdup (vigil_session_get_id (session));

  feed_taps (fixture, session, touch, n, rule_type, n_rules);
  end_session (fixture, session);
  harvested (fixture, id);
  return id;
}

typedef struct
{
  Fixture  *fixture;
  gboolean  trained;
} Watch;

static void
on_status_changed (VigilProfiles *profiles,
                   const char    *user_id,
                   gpointer       user_data)
{
  Watch *watch = user_data;

  watch->trained = vigil_profiles_has_model (profiles, user_id, VIGIL_MODALITY_TOUCH);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  VigilRegistration registration = { .profile_id = "alice_01", .password = "SecurePassword123" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(VigilSession) session = NULL;
  VigilEngineOptions options;
  Wait wait = { 0 };
  Watch watch = { fixture, FALSE };
  gulong handler;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (START_US);
  vigil_rng_init (&fixture->rng, 5);
  vigil_engine_options_init (&options);
  options.clock = fixture->clock;
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options.hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);
  fixture->profiles = vigil_engine_get_profiles (fixture->engine);

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  fixture->user_id = g_strdup (user->id);

  /* Her first session enrolls her touch; the model trains behind it. */
  handler = g_signal_connect (fixture->profiles, "status-changed", G_CALLBACK (on_status_changed), &watch);
  session = start_session (fixture);
  feed_taps (fixture, session, &owner, VIGIL_PROFILE_MIN_TAPS, NULL, 0);
  g_assert_true (vigil_test_wait_for (&watch.trained, 30000));
  g_signal_handler_disconnect (fixture->profiles, handler);
  end_session (fixture, session);
  g_assert_cmpint (harvested (fixture, vigil_session_get_id (session)), ==, 0);
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

/* Taps of @touch as the live segmenter makes them into vectors. */
static GPtrArray *
make_probe (VigilRng             *rng,
            const VigilTestTouch *touch,
            guint                 n)
{
  g_autoptr(VigilActionSegmenter) segmenter = vigil_action_segmenter_new ();
  g_autoptr(GArray) actions = g_array_new (FALSE, FALSE, sizeof (VigilAction));
  GPtrArray *probe = g_ptr_array_new_with_free_func (g_free);
  gsize d = vigil_modality_get_dimension (VIGIL_MODALITY_TOUCH);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = vigil_test_behavior_tap (rng, touch);
      g_autoptr(JsonNode) node = json_from_string (text, NULL);
      g_autoptr(GError) error = NULL;

      g_assert_true (vigil_action_segmenter_add (segmenter, "touch", json_node_get_object (node), 1000.0 * i,
                                                 actions, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (actions->len, ==, n);
  for (guint i = 0; i < actions->len; i++)
    {
      VigilAction *action = &g_array_index (actions, VigilAction, i);

      g_assert_cmpint (vigil_action_kind_modality (action->kind), ==, VIGIL_MODALITY_TOUCH);
      g_ptr_array_add (probe, g_memdup2 (action->values, d * sizeof (double)));
    }
  return probe;
}

/* The mean calibrated score of @probe under the current touch model. */
static double
mean_score (Fixture   *fixture,
            GPtrArray *probe)
{
  gsize d = vigil_modality_get_dimension (VIGIL_MODALITY_TOUCH);
  double total = 0;

  for (guint i = 0; i < probe->len; i++)
    {
      g_autoptr(GError) error = NULL;
      double score = -1;

      g_assert_true (vigil_profiles_score_vector (fixture->profiles, fixture->user_id, VIGIL_MODALITY_TOUCH,
                                                  g_ptr_array_index (probe, i), d, &score, &error));
      g_assert_no_error (error);
      total += score;
    }
  return total / probe->len;
}

/* Her touch drifts over months of sessions that end undisputed; the
 * model retrains on its whole enrollment and a capped, newest share of
 * her pooled taps, and then scores the drifted taps lower than the
 * first model did. */
static void
test_learns_drift (Fixture       *fixture,
                   gconstpointer  data)
{
  guint m = VIGIL_MODALITY_TOUCH;
  g_autofree VigilProfileStatus *before = get_status (fixture);
  g_autofree VigilProfileStatus *after = NULL;
  g_autoptr(GPtrArray) probe = make_probe (&fixture->rng, &drifted, 200);
  g_autofree char *beyond = NULL;
  gint64 foundation = query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE modality = 'touch'");
  double old_score = mean_score (fixture, probe), new_score;
  guint sessions = 40, admitted = 0;

  g_assert_cmpuint (before->model_version[m], ==, 1);
  g_assert_cmpuint (before->model_vectors[m], ==, foundation);
  g_assert_cmpuint (before->pool[m], ==, 0);

  for (guint s = 1; s <= sessions; s++)
    {
      double f = (double) s / sessions;
      VigilTestTouch touch = {
        owner.pressure + f * (drifted.pressure - owner.pressure),
        owner.size + f * (drifted.size - owner.size),
        owner.duration_ms + f * (drifted.duration_ms - owner.duration_ms),
      };
      g_autofree char *id = NULL;

      /* A session a day, her habits moving a little each time. */
      vigil_clock_advance (fixture->clock, G_TIME_SPAN_DAY);
      id = tap_session (fixture, &touch, 30, NULL, 0);
      g_assert_cmpint (pool_of (fixture, id), <=, POOL_PER_SESSION);
      admitted += pool_of (fixture, id) > 0;
    }

  after = get_status (fixture);
  new_score = mean_score (fixture, probe);
  g_test_message ("touch: %u of %u sessions pooled; foundation %u, pool %u; model version %u on %u + %u from"
                  " the pool; drifted taps' mean score %.3f under the first model, %.3f under the last", admitted,
                  sessions, after->samples[m], after->pool[m], after->model_version[m], after->model_vectors[m],
                  after->model_pool[m], old_score, new_score);
  g_assert_cmpuint (after->model_version[m], >, 1);
  g_assert_cmpfloat (new_score, <, old_score);

  /* The foundation stays, whole, and the pool never outweighs it. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_vectors WHERE modality = 'touch'"), ==,
                   foundation);
  g_assert_cmpuint (after->samples[m], ==, foundation);
  g_assert_cmpuint (after->model_vectors[m], ==, foundation);
  g_assert_cmpuint (after->model_pool[m], >, 0);
  g_assert_cmpuint (after->pool[m], >, after->model_pool[m]);
  g_assert_cmpfloat (after->model_pool[m], <=, VIGIL_POOL_MAX_SHARE * (after->model_vectors[m] + after->model_pool[m]));
  /* Every retraining on the way, too. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE action = 'profile.trained'"
                                       " AND json_extract (details, '$.modality') = 'touch'"
                                       " AND json_extract (details, '$.pool_vectors') > 0"), ==,
                   after->model_version[m] - 1);
  beyond = g_strdup_printf ("SELECT count(*) FROM audit_log WHERE action = 'profile.trained'"
                            " AND json_extract (details, '$.modality') = 'touch'"
                            " AND (json_extract (details, '$.vectors') != %" G_GINT64_FORMAT
                            "      OR json_extract (details, '$.pool_vectors') > %g *"
                            "         (json_extract (details, '$.vectors') + json_extract (details, '$.pool_vectors')))",
                            foundation, VIGIL_POOL_MAX_SHARE);
  g_assert_cmpint (query_int (fixture, beyond), ==, 0);
  /* Only taps of clearly normal windows entered. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_pool WHERE score > 0.6"), ==, 0);
}

/* A session that was stepped up or blocked feeds nothing, though its
 * taps are hers and the same session without either would. */
static void
test_disputed_stay_out (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *clean = tap_session (fixture, &owner, 30, NULL, 0);
  g_autoptr(VigilSession) blocked = start_session (fixture);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autofree char *stepped_up = NULL;
  g_autofree char *flagged = NULL;

  g_assert_cmpint (pool_of (fixture, clean), >, 0);
  g_assert_cmpint (pool_of (fixture, clean), <=, POOL_PER_SESSION);

  /* Three failed MPINs: a step-up. */
  stepped_up = tap_session (fixture, &owner, 30, "mpin_failed", 3);
  flagged = g_strdup_printf ("SELECT count(*) FROM decisions WHERE session_id = '%s' AND decision = 'step_up'",
                             stepped_up);
  g_assert_cmpint (query_int (fixture, flagged), >, 0);
  g_assert_cmpint (pool_of (fixture, stepped_up), ==, 0);
  g_assert_cmpint (harvested (fixture, stepped_up), ==, 0);

  /* Another device and two failed MPINs: blocked (tests/vigil-test-block.c). */
  feed_taps (fixture, blocked, &owner, 30, NULL, 0);
  g_ptr_array_add (events, make_event (fixture, "security_check", "{\"device_id\": \"device-666\"}"));
  g_ptr_array_add (events, make_event (fixture, "mpin_failed", NULL));
  g_ptr_array_add (events, make_event (fixture, "mpin_failed", NULL));
  append (fixture, blocked, events);
  g_assert_cmpint (vigil_session_get_state (blocked), ==, VIGIL_SESSION_BLOCKED);
  g_assert_cmpint (harvested (fixture, vigil_session_get_id (blocked)), ==, 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM profile_pool"), ==, pool_of (fixture, clean));
}

/* An analyst's fraud label takes the session's taps out of the pool, and
 * keeps them out; other sessions' stay. */
static void
test_fraud_label_removes (Fixture       *fixture,
                          gconstpointer  data)
{
  VigilRisk *risk = vigil_engine_get_risk (fixture->engine);
  g_autoptr(VigilSession) session = start_session (fixture);
  g_autofree char *other = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *decision_id = NULL;
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) labelled = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(GError) error = NULL;
  const char *id = vigil_session_get_id (session);
  Wait wait = { 0 };
  Wait label = { 0 };
  gint64 other_rows;

  feed_taps (fixture, session, &owner, 30, NULL, 0);
  /* The ML surface's answer, stored so that feedback can name it. */
  vigil_risk_analyze_async (risk, fixture->user_id, id, none, NULL, on_done, &wait);
  result = wait_result (&wait);
  decision = vigil_risk_analyze_finish (risk, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (decision->decision, ==, VIGIL_DECISION_ALLOW);
  end_session (fixture, session);
  g_assert_cmpint (harvested (fixture, id), >, 0);
  g_assert_cmpint (pool_of (fixture, id), >, 0);
  other = tap_session (fixture, &owner, 30, NULL, 0);
  other_rows = pool_of (fixture, other);
  g_assert_cmpint (other_rows, >, 0);

  sql = g_strdup_printf ("SELECT id FROM decisions WHERE session_id = '%s' AND decision = 'allow' LIMIT 1", id);
  g_assert_true (vigil_db_query_text (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)), sql,
                                      &decision_id, &error));
  g_assert_no_error (error);
  g_assert_nonnull (decision_id);
  vigil_risk_feedback_async (risk, "analyst", NULL, NULL, decision_id, FALSE, "analyst_review", NULL, on_done,
                             &label);
  labelled = wait_result (&label);
  g_assert_cmpint (vigil_risk_feedback_finish (risk, labelled, &error), >, 0);
  g_assert_no_error (error);
  settle (fixture);

  g_assert_cmpint (pool_of (fixture, id), ==, 0);
  g_assert_cmpint (harvested (fixture, id), ==, 0);
  g_assert_cmpint (pool_of (fixture, other), ==, other_rows);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/retrain-live/learns-drift", test_learns_drift);
  ADD ("/retrain-live/disputed-stay-out", test_disputed_stay_out);
  ADD ("/retrain-live/fraud-label-removes", test_fraud_label_removes);
#undef ADD

  return g_test_run ();
}
