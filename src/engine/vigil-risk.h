/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vigil-event.h"

G_BEGIN_DECLS

/* Live risk scoring of sessions, and the allow / monitor / step_up / block
 * decisions that follow from it.
 *
 * A session's risk in [0, 1] is the clamped sum of
 *  - the canara backend's event rules (mpin_failed +0.25, ...; a
 *    transaction over 50,000 +0.15; more than 10 page switches a minute
 *    +0.1; typing under 10 or over 100 wpm +0.05), accumulated and clamped
 *    after every event as the seed did;
 *  - device drift (device id / model / OS differing from the session's
 *    context: +0.6; an IP address change: +0.2), impossible travel (more
 *    than 100 km in less than 300 s: +0.6) and bot-like timing (the
 *    coefficient of variation of the last inter-event gaps under 0.1 over
 *    at least 20 events: +0.5), and a replayed gesture (8 touch, swipe or
 *    mouse actions in a row with every one of at least 3 measured
 *    features identical: +0.3, confidence 0.9), so a metronome that
 *    replays one gesture is stepped up; a device the account never
 *    used, more than 500 km from every earlier trusted session of the
 *    account (not blocked, risk under 0.7): +0.3, confidence 0.9
 *    (vigil-risk-novelty.c);
 *  - the user's behavioral model, when one exists, on events that carry
 *    maxidom's payload (keyEvents / mousePaths / clicks);
 *  - the live modalities (vigil-profiles-live.h): the session's touch,
 *    swipe / scroll and mouse actions, keystroke windows and navigation
 *    windows, each scored against the user's model of that modality once
 *    there is one, and enrolled into it until then (not from a session
 *    that is stepped up or blocked, nor from the ML surface's sessions).
 *    A modality speaks once it has 5 action scores (or 1 window score);
 *    its say is the window score of its last 20 actions (3 windows):
 *    above 0.95 it adds up to +0.45 ("touch pattern differs from the
 *    user's", ...), under 0.5 it takes 0.02 off. All of them together add
 *    at most +0.85: a takeover that changes several modalities is stepped
 *    up, but behaviour alone never blocks;
 *  - history: a quarter of the user's previous session risk, halved
 *    every 24 hours.
 *
 * Every reason has a confidence (client-reported rule events 0.8, device
 * drift 0.95, travel 0.9, bot timing 0.85, the model its calibrated
 * score); a decision's confidence is the weight-averaged confidence of its
 * positive reasons, rounded to 0.001 (1 − risk when there are none).
 *
 * Thresholds: risk >= 0.9 asks for a block, >= 0.7 (moved per user by
 * analyst feedback, within 0.6 to 0.8) a step-up (MPIN asked
 * again: vigil_sessions_require_mpin), >= 0.4 monitor, else allow. A block
 * executes only when its confidence is strictly above 0.8. At exactly 0.8
 * (and below) it does NOT block: it becomes a step_up, which is executed
 * and stored with the reason "block_confidence_low". The seed's engine
 * emitted blocks at exactly 0.8 that its backend then silently dropped
 * (the session went on as allowed); Vigil never drops a high risk
 * silently. One consequence, on purpose: client-reported rule events
 * alone (confidence 0.8) can step a session up but never block it.
 *
 * Live sessions are scored from the event bus's "events-received" (per
 * tick, in commit order, so per session in sequence order); evaluation is
 * incremental per event, no training here. A live decision is stored when
 * it differs from the session's previous one: one transaction with a
 * decisions row, a security_events row, sessions.risk_score and an audit
 * entry (actor "system", action "risk.decision"). step_up and block are
 * executed on live sessions only. Main context only.
 *
 * "decision-made" (VigilRiskDecision) is emitted for every stored
 * decision, after a step-up or block was executed. */
#define VIGIL_TYPE_RISK (vigil_risk_get_type ())
G_DECLARE_FINAL_TYPE (VigilRisk, vigil_risk, VIGIL, RISK, GObject)

#define VIGIL_RISK_MONITOR_THRESHOLD     0.4
#define VIGIL_RISK_SUSPICIOUS_THRESHOLD  0.7
#define VIGIL_RISK_HIGH_THRESHOLD        0.9
/* A block executes only when its confidence is strictly above this. */
#define VIGIL_RISK_BLOCK_CONFIDENCE      0.8
/* Sessions a user needs (ended, authenticated) before the ML surface
 * calls its phase "active" rather than "learning". */
#define VIGIL_RISK_LEARNING_SESSIONS     6

typedef enum
{
  VIGIL_DECISION_ALLOW,
  VIGIL_DECISION_MONITOR,
  VIGIL_DECISION_STEP_UP,
  VIGIL_DECISION_BLOCK,
} VigilDecision;

const char *vigil_decision_to_string (VigilDecision decision);

typedef struct
{
  char   *code;         /* "rule.mpin_failed", "device_drift", ... */
  char   *text;         /* for people */
  double  weight;       /* its share of the risk (negative lowers it) */
  double  confidence;
} VigilRiskReason;

typedef struct
{
  char          *id;            /* the decisions row; NULL when not stored */
  char          *session_id;
  char          *user_id;       /* nullable */
  gint64         at_us;
  double         risk;
  VigilDecision  decision;      /* what was decided (and executed, on live sessions) */
  VigilDecision  requested;     /* what the risk alone asked for */
  double         confidence;
  GPtrArray     *reasons;       /* VigilRiskReason, strongest first, at most 5 */
  gboolean       model_scored;
  double         model_score;
  guint          events_analyzed;
  const char    *source;        /* static; "remote" when a remote ML engine decided, else local */
} VigilRiskDecision;

#define VIGIL_TYPE_RISK_DECISION (vigil_risk_decision_get_type ())
GType              vigil_risk_decision_get_type (void) G_GNUC_CONST;
void               vigil_risk_decision_free     (VigilRiskDecision *decision);
VigilRiskDecision *vigil_risk_decision_copy     (const VigilRiskDecision *decision);
/* The final decision for @risk and @confidence, with the rule about
 * exactly 0.8 above; @out_requested (nullable) gets the risk's own ask. */
VigilDecision      vigil_risk_decide            (double             risk,
                                                 double             confidence,
                                                 VigilDecision     *out_requested);

/* The same with a user's step-up threshold moved by @adjustment (analyst
 * feedback; clamped to ±VIGIL_THRESHOLD_MAX_ADJUSTMENT). */
VigilDecision      vigil_risk_decide_adjusted   (double             risk,
                                                 double             confidence,
                                                 double             adjustment,
                                                 VigilDecision     *out_requested);

/* The risk of a session the engine tracks, or -1 when it tracks none. */
double             vigil_risk_get_session_risk  (VigilRisk         *self,
                                                 const char        *session_id);
/* The session's latest evaluation (stored or not), or NULL. */
VigilRiskDecision *vigil_risk_get_last_decision (VigilRisk         *self,
                                                 const char        *session_id);

/* The ML engine surface. An ML session is a tracked risk state: started
 * explicitly here, or implicitly by a live session's first events. */
typedef struct
{
  char   *session_id;
  char   *user_id;     /* nullable */
  gint64  started_at_us;
  double  risk;
  guint   events;
  gboolean live;       /* a live VigilSession of this engine */
} VigilRiskSessionInfo;

void               vigil_risk_session_info_free (VigilRiskSessionInfo *info);

/* Starts tracking @session_id for @user_id (idempotent for the same user;
 * VIGIL_ERROR_CONFLICT for another). @device_info (nullable) is the
 * reference for device drift. */
gboolean           vigil_risk_start_session     (VigilRisk         *self,
                                                 const char        *user_id,
                                                 const char        *session_id,
                                                 JsonObject        *device_info,
                                                 GError           **error);
/* Stops tracking it; VIGIL_ERROR_NOT_FOUND when not tracked. The live
 * session itself, if any, is not ended. */
gboolean           vigil_risk_end_session       (VigilRisk         *self,
                                                 const char        *session_id,
                                                 const char        *reason,
                                                 GError           **error);
/* How many ended authenticated sessions @user_id has. */
gint64             vigil_risk_count_past_sessions (VigilRisk       *self,
                                                   const char      *user_id,
                                                   GError         **error);
/* Analyses @events (VigilEvent) for the tracked session @session_id of
 * @user_id (starting it when untracked; VIGIL_ERROR_FORBIDDEN when it is
 * another user's). The decision is always stored; the callback runs once
 * it committed. Executed when the session is live. */
void               vigil_risk_analyze_async     (VigilRisk         *self,
                                                 const char        *user_id,
                                                 const char        *session_id,
                                                 GPtrArray         *events,
                                                 GCancellable      *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer           user_data);
VigilRiskDecision *vigil_risk_analyze_finish    (VigilRisk         *self,
                                                 GAsyncResult      *result,
                                                 GError           **error);
/* Analyst feedback on a stored decision (VIGIL_ERROR_NOT_FOUND when
 * @decision_id is unknown), audited as @actor's "risk.feedback"; a verdict
 * on an allow, a step-up or a block is stored with the label it implies
 * and used in the same transaction: a fraud label takes the decision's
 * session out of the retraining pool, a confirmed false step-up or block
 * raises the user's step-up threshold one step and a missed fraud lowers
 * it (vigil-profiles.h); a genuine label then offers the session to the
 * pool. Answers the feedback row's id. */
void               vigil_risk_feedback_async    (VigilRisk         *self,
                                                 const char        *actor,
                                                 const char        *user_id,
                                                 const char        *session_id,
                                                 const char        *decision_id,
                                                 gboolean           was_correct,
                                                 const char        *source,
                                                 GCancellable      *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer           user_data);
gint64             vigil_risk_feedback_finish   (VigilRisk         *self,
                                                 GAsyncResult      *result,
                                                 GError           **error);
/* Tracked sessions, oldest first: VigilRiskSessionInfo. */
GPtrArray         *vigil_risk_list_sessions     (VigilRisk         *self);

typedef struct
{
  gint64 decisions[VIGIL_DECISION_BLOCK + 1];   /* stored, by kind */
  gint64 feedback;
  gint64 feedback_correct;
  gint64 feedback_allow;                        /* labels: the user was genuine */
  gint64 feedback_block;                        /* labels: fraud */
  gint64 pool_vectors;                          /* in the retraining pools */
  gint64 security_events;
  guint64 events_analyzed;                      /* since start-up */
} VigilRiskStats;

gboolean           vigil_risk_get_stats         (VigilRisk         *self,
                                                 VigilRiskStats    *stats,
                                                 GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilRiskDecision, vigil_risk_decision_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilRiskSessionInfo, vigil_risk_session_info_free)

G_END_DECLS
