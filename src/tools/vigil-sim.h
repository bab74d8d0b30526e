/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* vigil-sim: simulated banking-app users over the real HTTP and WebSocket
 * API. A library so that `vigil --demo` can run it in-process on a thread
 * of its own; everything runs on the thread-default main context. */

typedef enum
{
  VIGIL_SIM_ENROLLMENT,     /* the genuine sessions before the measurement window */
  VIGIL_SIM_GENUINE,
  VIGIL_SIM_TAKEOVER,       /* right credentials, someone else's behaviour and device from the start */
  VIGIL_SIM_TAKEOVER_MID,   /* the owner starts; someone else takes over mid-session */
  VIGIL_SIM_BOT,            /* right credentials, inhumanly regular timing */
  VIGIL_SIM_STUFFING,       /* many failed logins from one address */
  VIGIL_SIM_MPIN_BRUTE,     /* right password, guessed MPINs */
  VIGIL_SIM_DEVICE_CHANGE,  /* the owner's behaviour; the device changes mid-session */
  VIGIL_SIM_LIFECYCLE,      /* the owner, with the app backgrounded and foregrounded */
  VIGIL_SIM_N_SCENARIOS,
} VigilSimScenario;

const char *vigil_sim_scenario_to_string   (VigilSimScenario scenario);
gboolean    vigil_sim_scenario_is_attack   (VigilSimScenario scenario);

typedef struct _VigilSimReport VigilSimReport;

typedef void (*VigilSimProgressFunc) (const VigilSimReport *report,
                                      gpointer              user_data);

typedef struct
{
  const char          *url;               /* http://host:port */
  guint                users;
  double               rate;              /* events/s over all users; 0: their own pace */
  double               duration_s;        /* the measurement window; 0: until cancelled */
  double               mix[VIGIL_SIM_N_SCENARIOS];   /* relative weights; ENROLLMENT unused */
  guint32              seed;
  gboolean             acks_only;         /* genuine sessions back to back, no detection */
  guint                enroll_sessions;   /* genuine sessions per user before the window */
  double               enroll_speed;      /* >= 1: enrollment sessions run this much faster (see below) */
  guint                session_events;    /* mean events of a session */
  guint                mpin_length;
  double               drain_s;           /* after the window, to close what is open */
  VigilSimProgressFunc progress_func;     /* called about once a second */
  gpointer             progress_data;
} VigilSimOptions;

/* enroll_speed: an enrollment session's pauses are divided by it while
 * its events keep the timestamps of the natural pace (a clock of the
 * session's own, which runs ahead of the wall clock), so the models learn
 * the user's real rhythm in a fraction of the time. The window's sessions
 * always run at the natural pace, stamped with the wall clock. */
void             vigil_sim_options_init     (VigilSimOptions  *options);
/* "genuine=70,takeover=10,bot=5": the named scenarios only, by weight. */
gboolean         vigil_sim_options_set_mix  (VigilSimOptions  *options,
                                             const char       *text,
                                             GError          **error);

/* Runs the simulation on the thread-default main context until the
 * window is over and the sessions are closed, or @cancellable fires (then
 * it stops at once). NULL with @error only when it cannot start at all
 * (no server, no event-flow map); failures of single users are counted
 * in the report. */
VigilSimReport  *vigil_sim_run              (const VigilSimOptions  *options,
                                             GCancellable           *cancellable,
                                             GError                **error);

G_END_DECLS
