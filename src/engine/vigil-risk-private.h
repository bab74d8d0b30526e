/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-analyzer.h"
#include "vigil-clock.h"
#include "vigil-event-bus.h"
#include "vigil-profiles.h"
#include "vigil-risk.h"
#include "vigil-risk-thresholds.h"
#include "vigil-sessions.h"
#include "vigil-store.h"

G_BEGIN_DECLS

/* Shared by vigil-risk.c (the object, storage, the ML surface) and
 * vigil-risk-rules.c (incremental per-event evaluation, no I/O). */

#define VIGIL_RISK_BOT_MIN_EVENTS  20
#define VIGIL_RISK_BOT_MAX_CV      0.1
/* Identical actions of one kind in a row (each with at least this many
 * measured features) that are a replayed gesture, and their say. */
#define VIGIL_RISK_REPLAY_MIN_ACTIONS   8
#define VIGIL_RISK_REPLAY_MIN_FEATURES  3
#define VIGIL_RISK_REPLAY_WEIGHT        0.3
#define VIGIL_RISK_REPLAY_CONFIDENCE    0.9
/* A new device more than this far from every earlier session of the
 * account (VIGIL_RISK_NOVELTY_SESSIONS of them at most, the trusted ones:
 * not blocked, risk under the step-up threshold), and its say. */
#define VIGIL_RISK_NOVELTY_KM           500.0
#define VIGIL_RISK_NOVELTY_SESSIONS     50
#define VIGIL_RISK_NOVELTY_WEIGHT       0.3
#define VIGIL_RISK_NOVELTY_CONFIDENCE   0.9
#define VIGIL_RISK_TRAVEL_KM       100.0
#define VIGIL_RISK_TRAVEL_SECONDS  300
/* A live modality's window score above this counts against the session,
 * with up to this weight (vigil-risk-behavior.c). */
#define VIGIL_LIVE_ANOMALY_FLOOR    0.95
#define VIGIL_LIVE_MODALITY_WEIGHT  0.45
/* All live modalities together: a step-up, never a block on their own. */
#define VIGIL_LIVE_TOTAL_WEIGHT     0.85

typedef struct _RiskBehavior RiskBehavior;

/* Shared by vigil-risk.c and vigil-risk-ml.c. */
struct _VigilRisk
{
  GObject        parent_instance;

  VigilStore    *store;
  VigilClock    *clock;
  VigilSessions *sessions;
  VigilProfiles *profiles;
  VigilEventBus *bus;
  gulong         events_id;
  gulong         session_id;

  GHashTable    *states;          /* session id → RiskState */
  VigilRiskThresholds thresholds;
  guint64        events_analyzed;

  /* Remote mode (vigil-risk-remote.c); analyzer NULL: local only. */
  VigilAnalyzer *analyzer;
  GCancellable  *remote_cancellable;
  GHashTable    *remotes;         /* session id → RemoteSession */
  GHashTable    *own_events;      /* VigilEvent we recorded, until the bus brings them back */
  gboolean       remote_available;
  gint64         unavailable_since_us;
  gint64         last_failure_mono_us;
  gint64         probe_interval_us;
  gboolean       probe_in_flight;
  guint64        remote_requests;
  guint64        remote_failures;
  guint64        remote_outages;
  guint64        outage_failures;
  guint64        remote_decisions;
  guint64        local_fallbacks;
  char          *remote_last_error;
  gint64         remote_last_error_us;
};

/* vigil-risk-thresholds.c: re-decides @decision with the configured
 * thresholds. */
void               _vigil_risk_apply_thresholds (VigilRisk         *self,
                                                 VigilRiskDecision *decision,
                                                 double             step_up_adjustment);

/* VIGIL_ERROR_CLOSED once the engine has shut down. */
gboolean           _vigil_risk_check_open    (VigilRisk     *self,
                                              GError       **error);

typedef struct
{
  char   *code;
  char   *text;
  double  weight;
  double  confidence;
} RiskContribution;

typedef struct
{
  char              *session_id;
  char              *user_id;          /* nullable */
  gint64             started_at_us;
  gboolean           live;             /* a VigilSession of this engine */
  gboolean           in_store;         /* a sessions row exists (decisions.session_id FK) */

  /* The reference for device drift. */
  char              *device_id;
  char              *device_model;
  char              *os_version;
  char              *ip_address;

  double             rules;            /* canara's running score, clamped per event */
  GHashTable        *contributions;    /* code → RiskContribution */

  gboolean           has_location;
  double             latitude;
  double             longitude;
  gint64             location_us;

  gint64             last_event_us;    /* client time of the previous timed event */
  double             gaps[VIGIL_RISK_BOT_MIN_EVENTS - 1];
  guint              n_gaps;
  guint              gap_pos;

  gint64             switches[11];     /* times of the last page switches */
  guint              n_switches;

  guint              events;
  gboolean           model_scored;
  double             model_score;
  double             step_up_adjustment;   /* the user's, from analyst feedback */

  RiskBehavior      *behavior;         /* live modalities; NULL without a user */

  VigilRiskDecision *last;             /* latest evaluation */
  gboolean           has_stored;
  VigilDecision      stored;           /* the latest stored decision */
} RiskState;

RiskState         *_vigil_risk_state_new     (const char    *session_id,
                                              const char    *user_id,
                                              JsonObject    *context,
                                              gint64         now_us);
void               _vigil_risk_state_free    (RiskState     *state);
/* Adds one event's evidence; @profiles (nullable) scores maxidom payloads
 * against @state's user's model. */
void               _vigil_risk_state_add_event (RiskState      *state,
                                                const VigilEvent *event,
                                                VigilProfiles  *profiles);
void               _vigil_risk_state_set_contribution (RiskState  *state,
                                                       const char *code,
                                                       const char *text,
                                                       double      weight,
                                                       double      confidence);
VigilRisk         *_vigil_risk_new           (VigilStore    *store,
                                              VigilClock    *clock,
                                              VigilSessions *sessions,
                                              VigilProfiles *profiles,
                                              VigilEventBus *bus);
/* Stops listening and drops every state; the engine calls it before the
 * store closes. */
void               _vigil_risk_shutdown      (VigilRisk     *self);
VigilRiskReason   *_vigil_risk_reason_new    (const char    *code,
                                              const char    *text,
                                              double         weight,
                                              double         confidence);
void               _vigil_risk_reason_free   (gpointer       reason);

/* vigil-risk-rules.c: great-circle distance; a location in @data
 * (latitude / longitude, lat / lon, or inside location / location_data). */
double             _vigil_risk_haversine_km       (double            lat1,
                                                   double            lon1,
                                                   double            lat2,
                                                   double            lon2);
gboolean           _vigil_risk_find_location      (JsonObject       *data,
                                                   double           *out_lat,
                                                   double           *out_lon);

/* vigil-risk-novelty.c: a live session from a device the account never
 * used, far from everywhere the account was seen (a store read). */
void               _vigil_risk_add_novelty        (RiskState        *state,
                                                   VigilDb          *db,
                                                   JsonObject       *context);

/* vigil-risk-behavior.c: the live modalities of a session's events. */
void               _vigil_risk_behavior_free      (RiskBehavior     *behavior);
void               _vigil_risk_behavior_add_event (RiskState        *state,
                                                   const VigilEvent *event,
                                                   JsonObject       *data,
                                                   VigilProfiles    *profiles);
/* Enrolls what the session's events made since the last flush, unless
 * @suspicious (then it is dropped). */
void               _vigil_risk_behavior_flush     (RiskState        *state,
                                                   VigilProfiles    *profiles,
                                                   gboolean          suspicious);
/* The newest vectors each live modality scored in the session, as
 * VigilPoolCandidate with the modality's window score, for the
 * retraining pool; taken out. A modality that abstained offers none. */
GPtrArray         *_vigil_risk_behavior_take_scored (RiskState      *state);
/* Events whose behavioral fields had the wrong type. */
guint              _vigil_risk_behavior_get_rejected (RiskBehavior  *behavior);
/* One live modality's calibrated score (0 typical of the user, 1 unlike
 * anything the user does), as if a vector had been scored: for tests of
 * how the modalities are combined without training a model. */
void               _vigil_risk_behavior_add_score (RiskState     *state,
                                                   VigilProfiles *profiles,
                                                   VigilModality  modality,
                                                   double         score);
/* Makes @decision (owned) the session's latest: its risk shown on the
 * live session; stored (with @always, or when the outcome changed, with
 * the store's callback @callback) and executed when it changed. Answers
 * @decision, now owned by @state. */
VigilRiskDecision *_vigil_risk_commit        (VigilRisk          *self,
                                              RiskState          *state,
                                              VigilRiskDecision  *decision,
                                              gboolean            always,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
/* Evaluates @state locally and commits it. */
VigilRiskDecision *_vigil_risk_decide_locally (VigilRisk         *self,
                                               RiskState         *state);
/* The latest local evaluation becomes @state's, shown but neither stored
 * nor executed (a remote ML engine is asked). */
void               _vigil_risk_evaluate_only (VigilRisk          *self,
                                              RiskState          *state);

/* Remote mode (vigil-risk-remote.c). */
void               _vigil_risk_remote_init   (VigilRisk          *self);
void               _vigil_risk_remote_shutdown (VigilRisk        *self);
/* TRUE when @event is one we recorded ourselves (then forgotten). */
gboolean           _vigil_risk_remote_is_own_event (VigilRisk      *self,
                                                    VigilEvent     *event);
/* A live session's new events: queued for the remote. */
void               _vigil_risk_remote_queue  (VigilRisk          *self,
                                              RiskState          *state,
                                              VigilEvent         *event);
/* After a tick's events: TRUE when the remote decides (the local
 * evaluation is only shown), FALSE when local analysis decides now. */
gboolean           _vigil_risk_remote_defer  (VigilRisk          *self,
                                              RiskState          *state);
/* A live session seen for the first time. */
void               _vigil_risk_remote_session_started (VigilRisk    *self,
                                                       VigilSession *session);

/* The risk, decision, confidence and reasons now (not stored). */
VigilRiskDecision *_vigil_risk_state_evaluate (RiskState    *state,
                                               gint64        now_us);

G_END_DECLS
