/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live behavioral evidence of one session: its streamed events cut
 * into actions (touch, swipe, pointer) and windows (keystroke,
 * navigation), enrolled into the user's profile while a modality has no
 * model and scored against it once it has; the newest scored vectors
 * then go to the retraining pool when the session ends undisputed, so
 * the model keeps learning. A modality's say in the risk is the window
 * score of its recent scores (vigil-actions.h); with too few of them it
 * abstains. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-actions.h"
#include "vigil-cusum.h"
#include "vigil-error.h"
#include "vigil-event-fields.h"
#include "vigil-keystrokes.h"
#include "vigil-profile-pool.h"
#include "vigil-profiles-live.h"
#include "vigil-risk-private.h"

#define N_LIVE (VIGIL_N_MODALITIES - VIGIL_N_MAXIDOM_MODALITIES)
#define LIVE_INDEX(m) ((m) - VIGIL_N_MAXIDOM_MODALITIES)
/* Recent scores a modality keeps, and how many it needs to speak. */
#define ACTION_RING        20
#define ACTION_MIN         5
#define WINDOW_RING        3
#define WINDOW_MIN         1
/* A modality whose model is missing is looked up again after this many
 * of its vectors (a store read), so a model trained meanwhile is found. */
#define RECHECK_VECTORS    16
/* Once a modality has a model, its newest scored vectors are kept and,
 * when the session ends undisputed, offered to the retraining pool
 * (vigil-profile-pool.h) with the modality's window score, which then
 * decides their admission like a maxidom window's score decides its own.
 * One tap judged alone is a poor unit: keeping only the taps the model
 * finds most typical would retrain it tighter around the old habits
 * instead of following new ones (tests/test-retrain-live). The window
 * score is what the risk judges a live modality by, on the same
 * calibrated scale, and it covers every kept vector: actions keep
 * POOL_ACTIONS, fewer than the ACTION_RING the window is made of, and
 * windows keep WINDOW_RING. Ten actions, so that one session never fills
 * a retraining's share of the pool alone (a touch model on its minimum
 * 60 taps takes 25 pool vectors), a retraining (20 new pool vectors)
 * needs at least two sessions, and a long session holds a few hundred
 * bytes per modality, not its whole history. Navigation keeps none: its
 * vectors are surprise against a history that stops learning with the
 * model, so pooling them would only loosen the model, not teach it the
 * user's new ways. */
#define POOL_ACTIONS       10

struct _RiskBehavior
{
  VigilActionSegmenter  *segmenter;
  VigilKeystrokeWindow  *keys;
  VigilNavigationWindow *navigation;
  GPtrArray             *pending;       /* VigilFeatureVector to enroll */
  gboolean               navigation_learned;

  gboolean               has_model[N_LIVE];
  guint                  since_check[N_LIVE];
  double                 scores[N_LIVE][ACTION_RING];
  guint                  n_scores[N_LIVE];
  guint                  next_score[N_LIVE];
  double                 window_score[N_LIVE];
  double                 weight[N_LIVE];      /* before the common cap */
  /* Persistent deviation: every score of a modality also feeds its
   * sequential test (vigil-cusum.h). Its alarm, evidence that someone
   * else has been using the account for a while, is worth a step-up on
   * its own: the modality's weight rises to the common cap, which still
   * never blocks. */
  VigilCusum             evidence[N_LIVE];

  /* The last action of each kind, and how many in a row were identical
   * to it (VIGIL_RISK_REPLAY_MIN_ACTIONS). */
  double                 last_action[N_LIVE][VIGIL_ACTION_MAX_FEATURES];
  guint                  same_actions[N_LIVE];

  VigilFeatureVector    *kept[N_LIVE][POOL_ACTIONS];
  guint                  next_kept[N_LIVE];

  guint                  rejected;      /* events with a malformed field */
  gboolean               can_learn;     /* a live session of a local account */
};

static const char * const codes[N_LIVE] = {
  "behavior.touch", "behavior.swipe", "behavior.pointer", "behavior.keystroke", "behavior.navigation",
};

static const char * const differs_text[N_LIVE] = {
  "Touch pattern differs from the user's",
  "Swipe and scroll pattern differs from the user's",
  "Mouse movement differs from the user's",
  "Typing rhythm differs from the user's",
  "Navigation differs from the user's",
};

/* Followed by "over the last N actions" (or windows). */
static const char * const persists_text[N_LIVE] = {
  "Touch pattern has differed from the user's",
  "Swipe and scroll pattern has differed from the user's",
  "Mouse movement has differed from the user's",
  "Typing rhythm has differed from the user's",
  "Navigation has differed from the user's",
};

static const char * const matches_text[N_LIVE] = {
  "Touch pattern matches the user's",
  "Swipe and scroll pattern matches the user's",
  "Mouse movement matches the user's",
  "Typing rhythm matches the user's",
  "Navigation matches the user's",
};

static RiskBehavior *
behavior_new (VigilProfiles *profiles,
              gboolean       can_learn)
{
  RiskBehavior *behavior = g_new0 (RiskBehavior, 1);

  behavior->can_learn = can_learn;
  behavior->segmenter = vigil_action_segmenter_new ();
  behavior->keys = vigil_keystroke_window_new ();
  behavior->navigation = vigil_navigation_window_new (vigil_profiles_get_event_flow_map (profiles));
  behavior->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  for (guint i = 0; i < N_LIVE; i++)
    behavior->since_check[i] = RECHECK_VECTORS;
  return behavior;
}

void
_vigil_risk_behavior_free (RiskBehavior *behavior)
{
  if (behavior == NULL)
    return;
  vigil_action_segmenter_free (behavior->segmenter);
  vigil_keystroke_window_free (behavior->keys);
  vigil_navigation_window_free (behavior->navigation);
  g_ptr_array_unref (behavior->pending);
  for (guint i = 0; i < N_LIVE; i++)
    for (guint k = 0; k < POOL_ACTIONS; k++)
      g_clear_pointer (&behavior->kept[i][k], vigil_feature_vector_free);
  g_free (behavior);
}

guint
_vigil_risk_behavior_get_rejected (RiskBehavior *behavior)
{
  return behavior ? behavior->rejected : 0;
}

static gboolean
model_exists (RiskBehavior  *behavior,
              VigilProfiles *profiles,
              const char    *user_id,
              VigilModality  modality)
{
  guint i = LIVE_INDEX (modality);

  if (!behavior->has_model[i] && ++behavior->since_check[i] >= RECHECK_VECTORS)
    {
      behavior->since_check[i] = 0;
      behavior->has_model[i] = vigil_profiles_has_model (profiles, user_id, modality);
    }
  return behavior->has_model[i];
}

static gboolean
is_action_modality (VigilModality modality)
{
  return modality == VIGIL_MODALITY_TOUCH || modality == VIGIL_MODALITY_SWIPE ||
         modality == VIGIL_MODALITY_POINTER;
}

/* Sets every live modality's contribution from its raw weight, scaled so
 * that together they stay within VIGIL_LIVE_TOTAL_WEIGHT. */
static void
set_contributions (RiskState    *state,
                   RiskBehavior *behavior)
{
  double total = 0, scale;

  for (guint i = 0; i < N_LIVE; i++)
    total += MAX (behavior->weight[i], 0);
  scale = total > VIGIL_LIVE_TOTAL_WEIGHT ? VIGIL_LIVE_TOTAL_WEIGHT / total : 1;
  for (guint i = 0; i < N_LIVE; i++)
    {
      const char *code = codes[i];

      if (behavior->weight[i] > 0 && vigil_cusum_alarm (&behavior->evidence[i]))
        {
          g_autofree char *text =
            g_strdup_printf ("%s over the last %u %s", persists_text[i], behavior->evidence[i].run,
                             is_action_modality (VIGIL_N_MAXIDOM_MODALITIES + i) ? "actions" : "windows");

          _vigil_risk_state_set_contribution (state, code, text, behavior->weight[i] * scale,
                                              MAX (behavior->window_score[i], VIGIL_LIVE_ANOMALY_FLOOR));
        }
      else if (behavior->weight[i] > 0)
        _vigil_risk_state_set_contribution (state, code, differs_text[i], behavior->weight[i] * scale,
                                            behavior->window_score[i]);
      else if (behavior->weight[i] < 0)
        _vigil_risk_state_set_contribution (state, code, matches_text[i], behavior->weight[i],
                                            1 - behavior->window_score[i]);
      else
        g_hash_table_remove (state->contributions, code);
    }
}

static void
update_contribution (RiskState    *state,
                     RiskBehavior *behavior,
                     VigilModality modality)
{
  guint i = LIVE_INDEX (modality);
  guint n = behavior->n_scores[i];
  double score;

  if (n < (is_action_modality (modality) ? ACTION_MIN : WINDOW_MIN))
    return;   /* too little to say anything: abstain */

  score = vigil_actions_window_score (behavior->scores[i], n);
  behavior->window_score[i] = score;
  state->model_scored = TRUE;
  state->model_score = 0;
  for (guint j = 0; j < N_LIVE; j++)
    state->model_score = MAX (state->model_score, behavior->window_score[j]);

  /* One modality alone reaches VIGIL_LIVE_MODALITY_WEIGHT at most
   * (monitor); two foreign ones step up; all of them together stay under
   * the block threshold, which needs evidence of another kind too (see
   * vigil-risk.h). */
  if (score > VIGIL_LIVE_ANOMALY_FLOOR)
    behavior->weight[i] = VIGIL_LIVE_MODALITY_WEIGHT *
                          CLAMP ((score - VIGIL_LIVE_ANOMALY_FLOOR) / (1 - VIGIL_LIVE_ANOMALY_FLOOR), 0.2, 1.0);
  else if (score < 0.5)
    behavior->weight[i] = -0.02;
  else
    behavior->weight[i] = 0;
  if (vigil_cusum_alarm (&behavior->evidence[i]))
    behavior->weight[i] = VIGIL_LIVE_TOTAL_WEIGHT;
  set_contributions (state, behavior);
}

/* A hand never repeats a gesture exactly: duration, pressure, size and
 * path all vary a little each time. A run of actions of one kind with
 * every feature identical is a script replaying one recorded gesture.
 * Only vectors with at least three measured (non-zero) features count,
 * so a client that reports little (every missing value is 0) or a
 * device with a constant pressure does not look like a replay. */
static void
check_replay (RiskState                *state,
              RiskBehavior             *behavior,
              const VigilFeatureVector *vector)
{
  gsize n = MIN (vector->n_features, VIGIL_ACTION_MAX_FEATURES);
  guint i, measured = 0;
  gboolean same;

  if (!is_action_modality (vector->modality))
    return;
  i = LIVE_INDEX (vector->modality);
  same = behavior->same_actions[i] > 0;
  for (gsize f = 0; f < n; f++)
    {
      if (vector->values[f] != 0)
        measured++;
      if (vector->values[f] != behavior->last_action[i][f])
        same = FALSE;
    }
  if (measured < VIGIL_RISK_REPLAY_MIN_FEATURES)
    {
      behavior->same_actions[i] = 0;
      return;
    }
  if (!same)
    {
      memcpy (behavior->last_action[i], vector->values, n * sizeof (double));
      behavior->same_actions[i] = 1;
      return;
    }
  behavior->same_actions[i]++;
  if (behavior->same_actions[i] >= VIGIL_RISK_REPLAY_MIN_ACTIONS)
    {
      g_autofree char *text = g_strdup_printf ("%u identical %s actions in a row", behavior->same_actions[i],
                                               vigil_modality_to_string (vector->modality));

      _vigil_risk_state_set_contribution (state, "bot_replay", text, VIGIL_RISK_REPLAY_WEIGHT,
                                          VIGIL_RISK_REPLAY_CONFIDENCE);
    }
}

static void
add_score (RiskState    *state,
           RiskBehavior *behavior,
           VigilModality modality,
           double        score)
{
  guint i = LIVE_INDEX (modality);
  guint ring = is_action_modality (modality) ? ACTION_RING : WINDOW_RING;

  vigil_cusum_add (&behavior->evidence[i], score);
  behavior->scores[i][behavior->next_score[i]] = score;
  behavior->next_score[i] = (behavior->next_score[i] + 1) % ring;
  behavior->n_scores[i] = MIN (behavior->n_scores[i] + 1, ring);
  update_contribution (state, behavior, modality);
}

void
_vigil_risk_behavior_add_score (RiskState     *state,
                                VigilProfiles *profiles,
                                VigilModality  modality,
                                double         score)
{
  g_return_if_fail (modality >= VIGIL_N_MAXIDOM_MODALITIES && modality < VIGIL_N_MODALITIES);

  if (state->behavior == NULL)
    state->behavior = behavior_new (profiles, state->live);
  add_score (state, state->behavior, modality, score);
}

/* Takes @vector for the retraining pool in place of the oldest kept. */
static void
keep_vector (RiskBehavior       *behavior,
             VigilFeatureVector *vector)
{
  guint i = LIVE_INDEX (vector->modality);
  guint k = behavior->next_kept[i];

  if (!behavior->can_learn || vector->modality == VIGIL_MODALITY_NAVIGATION)
    {
      vigil_feature_vector_free (vector);
      return;
    }
  g_clear_pointer (&behavior->kept[i][k], vigil_feature_vector_free);
  behavior->kept[i][k] = vector;
  behavior->next_kept[i] = (k + 1) % (is_action_modality (vector->modality) ? POOL_ACTIONS : WINDOW_RING);
}

GPtrArray *
_vigil_risk_behavior_take_scored (RiskState *state)
{
  RiskBehavior *behavior = state->behavior;
  GPtrArray *scored = g_ptr_array_new_with_free_func ((GDestroyNotify) _vigil_pool_candidate_free);

  if (behavior == NULL)
    return scored;
  for (guint i = 0; i < N_LIVE; i++)
    {
      VigilModality modality = VIGIL_N_MAXIDOM_MODALITIES + i;
      /* A modality that abstained has no verdict to admit by. */
      gboolean judged = behavior->n_scores[i] >= (is_action_modality (modality) ? ACTION_MIN : WINDOW_MIN);

      for (guint k = 0; k < POOL_ACTIONS; k++)
        {
          VigilFeatureVector *vector = behavior->kept[i][k];

          if (vector != NULL && judged)
            g_ptr_array_add (scored, _vigil_pool_candidate_new (modality, behavior->window_score[i], vector->values,
                                                                vector->n_features));
          g_clear_pointer (&behavior->kept[i][k], vigil_feature_vector_free);
        }
    }
  return scored;
}

/* Scores @vector when its modality has a model, else queues it for
 * enrollment (unless the session is too risky to learn from). */
static void
take_vector (RiskState          *state,
             RiskBehavior       *behavior,
             VigilProfiles      *profiles,
             VigilFeatureVector *vector)
{
  VigilModality modality = vector->modality;
  g_autoptr(GError) error = NULL;
  double score;

  check_replay (state, behavior, vector);
  if (!model_exists (behavior, profiles, state->user_id, modality))
    {
      if (behavior->can_learn)
        g_ptr_array_add (behavior->pending, vector);
      else
        vigil_feature_vector_free (vector);
      return;
    }
  if (!vigil_profiles_score_vector (profiles, state->user_id, modality, vector->values, vector->n_features, &score,
                                    &error))
    {
      /* A model of another layout (stored by an older Vigil) cannot judge
       * this vector: the modality abstains until it is retrained. Logged
       * quietly, as it would repeat for every action. */
      if (error != NULL)
        g_debug ("Scoring a %s vector of %s failed: %s", vigil_modality_to_string (modality), state->user_id,
                 error->message);
      vigil_feature_vector_free (vector);
      return;
    }
  add_score (state, behavior, modality, score);
  keep_vector (behavior, vector);
}

static VigilFeatureVector *
vector_of_action (const VigilAction *action)
{
  VigilFeatureVector *vector = g_new0 (VigilFeatureVector, 1);

  vector->modality = vigil_action_kind_modality (action->kind);
  vector->n_features = vigil_modality_get_dimension (vector->modality);
  vector->values = g_memdup2 (action->values, vector->n_features * sizeof (double));
  vector->samples = MAX (action->points, 1);
  return vector;
}

/* Each reading (actions, keys, navigation) goes on when another one
 * finds a malformed field; the first error is reported. */
static void
add_inputs (RiskState        *state,
            RiskBehavior     *behavior,
            VigilProfiles    *profiles,
            const char       *type,
            JsonObject       *data,
            double            time_ms,
            GError          **error)
{
  g_autoptr(GArray) actions = g_array_new (FALSE, FALSE, sizeof (VigilAction));
  g_autoptr(GPtrArray) vectors = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  g_autoptr(GError) action_error = NULL;
  g_autoptr(GError) key_error = NULL;
  g_autoptr(GError) navigation_error = NULL;
  VigilNavigationModel *history;
  gboolean learn;

  if (vigil_action_segmenter_add (behavior->segmenter, type, data, time_ms, actions, &action_error))
    for (guint i = 0; i < actions->len; i++)
      g_ptr_array_add (vectors, vector_of_action (&g_array_index (actions, VigilAction, i)));
  vigil_keystroke_window_add (behavior->keys, type, data, time_ms, vectors, &key_error);

  /* Sessions of the ML surface (another backend's users) only ever score. */
  learn = !model_exists (behavior, profiles, state->user_id, VIGIL_MODALITY_NAVIGATION);
  history = learn && !behavior->can_learn ? NULL
                                          : vigil_profiles_get_navigation (profiles, state->user_id, &navigation_error);
  if (history != NULL)
    {
      guint before = vectors->len;

      /* The history is saved with each window, not each step: writing it
       * is a serialisation of all of it, on the main loop. */
      if (vigil_navigation_window_add (behavior->navigation, history, learn, type, data, time_ms, vectors,
                                       &navigation_error) && learn && vectors->len > before)
        behavior->navigation_learned = TRUE;
    }

  for (guint i = 0; i < vectors->len; i++)
    take_vector (state, behavior, profiles, g_steal_pointer (&vectors->pdata[i]));

  if (action_error != NULL)
    g_propagate_error (error, g_steal_pointer (&action_error));
  else if (key_error != NULL)
    g_propagate_error (error, g_steal_pointer (&key_error));
  else if (navigation_error != NULL)
    g_propagate_error (error, g_steal_pointer (&navigation_error));
}

void
_vigil_risk_behavior_add_event (RiskState        *state,
                                const VigilEvent *event,
                                JsonObject       *data,
                                VigilProfiles    *profiles)
{
  g_autoptr(GError) error = NULL;

  if (profiles == NULL || state->user_id == NULL)
    return;   /* no account: nothing to learn from or compare with */
  if (state->behavior == NULL)
    state->behavior = behavior_new (profiles, state->live);

  add_inputs (state, state->behavior, profiles, vigil_event_fields_type (event, data), data,
              vigil_event_fields_time_ms (event), &error);
  if (error != NULL)
    {
      /* The event is stored already; only its behavioral reading fails. */
      state->behavior->rejected++;
      g_debug ("Session %s: event %s not read as behavior: %s", state->session_id, event->event_type,
               error->message);
    }
}

static void
on_enrolled (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!vigil_profiles_enroll_live_finish (VIGIL_PROFILES (source), result, &error) &&
      !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    g_warning ("Live enrollment failed: %s", error->message);
}

void
_vigil_risk_behavior_flush (RiskState     *state,
                            VigilProfiles *profiles,
                            gboolean       suspicious)
{
  RiskBehavior *behavior = state->behavior;
  g_autoptr(GPtrArray) vectors = NULL;

  if (behavior == NULL || (behavior->pending->len == 0 && !behavior->navigation_learned))
    return;
  /* A session that looks like someone else teaches the profile nothing. */
  if (suspicious)
    {
      g_ptr_array_set_size (behavior->pending, 0);
      behavior->navigation_learned = FALSE;
      return;
    }
  vectors = g_steal_pointer (&behavior->pending);
  behavior->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  vigil_profiles_enroll_live_async (profiles, state->user_id, vectors, behavior->navigation_learned, NULL,
                                    on_enrolled, NULL);
  behavior->navigation_learned = FALSE;
}
