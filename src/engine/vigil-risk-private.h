/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

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
#define VIGIL_RISK_TRAVEL_KM       100.0
#define VIGIL_RISK_TRAVEL_SECONDS  300

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
};

/* vigil-risk-thresholds.c: re-decides @decision with the configured
 * thresholds. */
void               _vigil_risk_apply_thresholds (VigilRisk         *self,
                                                 VigilRiskDecision *decision);

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

/* The risk, decision, confidence and reasons now (not stored). */
VigilRiskDecision *_vigil_risk_state_evaluate (RiskState    *state,
                                               gint64        now_us);

G_END_DECLS
