/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-sim.h"

G_BEGIN_DECLS

/* What one scenario's sessions did and what the server answered. A
 * session "detected" is an attack session stepped up or blocked after the
 * attack began (for credential stuffing: rate-limited; for MPIN guessing:
 * locked). */
typedef struct
{
  guint    sessions;          /* started (attempted) */
  guint    failed;            /* could not run: an error, not a server decision */
  guint    ended;             /* behavioral sessions the server ended (close, logout, block) */
  guint    stepped_up;        /* sessions with at least one mpin_required */
  guint    blocked;           /* sessions with session_blocked */
  guint    attacked;          /* attack sessions whose attack began and played out */
  guint    detected;
  guint    detected_60s;      /* detected within 60 s of the attack's start */
  guint64  events_sent;
  guint64  events_acked;
  guint    logins_failed;     /* 401 */
  guint    rate_limited;      /* 429 */
  guint    mpin_failed;       /* 401 Invalid MPIN */
  guint    mpin_locked;       /* 423 */
  GArray  *detect_s;          /* double: seconds from the attack's start to its detection */
} VigilSimScenarioStats;

/* One session, for a look at single decisions (the JSON summary lists
 * them, enrollment included). */
typedef struct
{
  VigilSimScenario scenario;
  char            *session_id;   /* NULL: it never got one */
  guint            user;         /* the simulated user's index */
  guint            events_sent;
  guint            attack_at;    /* the events sent when the attack began */
  gboolean         attacked;     /* counted in the scenario's detection rate */
  gboolean         stepped_up;
  gboolean         blocked;
  gboolean         detected;
  double           detect_s;     /* from the attack's start; when detected */
  double           streamed_s;   /* from its first event sent to its last, wall clock */
  double           stamped_s;    /* the same span as its events' timestamps tell */
  double           paused_s;     /* the pauses it asked for between its events */
} VigilSimSessionRecord;

struct _VigilSimReport
{
  VigilSimScenarioStats  scenarios[VIGIL_SIM_N_SCENARIOS];
  guint                  users;
  guint32                seed;
  gboolean               acks_only;
  double                 elapsed_s;
  double                 window_s;       /* of it, the measurement window */
  gboolean               measuring;      /* the enrollment phase is over */
  guint                  open_sessions;
  GArray                *latencies_ms;   /* double */
  GPtrArray             *ended_ids;      /* session ids the server ended, in order */
  GArray                *sessions;       /* VigilSimSessionRecord, in the order they finished */
  char                  *first_error;
};

VigilSimReport *vigil_sim_report_new          (void);
void            vigil_sim_report_free         (VigilSimReport       *report);

guint64         vigil_sim_report_events_sent  (const VigilSimReport *report);
guint64         vigil_sim_report_events_acked (const VigilSimReport *report);
guint           vigil_sim_report_sessions_ended (const VigilSimReport *report);
/* Percentile @p in [0, 100] of the acknowledgement latencies; 0 when none. */
double          vigil_sim_report_latency_ms   (const VigilSimReport *report,
                                               double                p);
void            vigil_sim_report_error        (VigilSimReport       *report,
                                               const char           *message);

/* One line for a terminal, without a newline. */
char           *vigil_sim_report_progress_line (const VigilSimReport *report);
/* The summary as text, and as JSON. */
char           *vigil_sim_report_format       (const VigilSimReport *report);
JsonNode       *vigil_sim_report_to_json      (const VigilSimReport *report);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilSimReport, vigil_sim_report_free)

G_END_DECLS
