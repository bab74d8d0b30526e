/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A simulated person's (or script's) stable behaviour and device, drawn
 * from the run's seed and the user's index: the same seed gives the same
 * people. Times in milliseconds unless named otherwise. */
typedef struct
{
  char    *device_id;
  char    *device_model;
  char    *os_version;
  char    *app_version;
  char    *network_type;
  char    *city;
  double   latitude;
  double   longitude;
  guint    screen_w;
  guint    screen_h;
} VigilSimDevice;

typedef struct
{
  char           *name;           /* "user-7", "attacker-2", "bot-1" */
  gboolean        bot;
  guint32         habit_seed;     /* navigation preferences and favourite words */
  /* typing */
  double          hold_ms, hold_sd;
  double          flight_ms, flight_sd;
  double          letter_bias[26];        /* per-letter hold factor */
  double          digraph_bias[26];       /* per-first-letter flight factor */
  /* touch */
  double          pressure, pressure_sd;
  double          size, size_sd;
  double          tap_ms, tap_sd;
  double          tap_dx, tap_dy, tap_spread;   /* px off a button's centre */
  /* gestures */
  double          swipe_px_s, swipe_sd;
  double          swipe_curve;                  /* px of sideways bow */
  double          scroll_px, scroll_px_s;
  double          swipe_share;                  /* of the touches, followed by a swipe */
  /* pace */
  double          gap_s;                        /* mean pause between events */
  double          gap_cv;                       /* its variation (a script's is ~0) */
  double          dwell_factor[8];              /* per screen kind */
  guint           hour_from, hour_to;           /* usual hours, local */
  VigilSimDevice  device;
} VigilSimSignature;

VigilSimSignature *vigil_sim_signature_new_user     (guint32                  seed,
                                                     guint                    index);
/* Someone else's hands on the account: another person, a device of their
 * own far away. */
VigilSimSignature *vigil_sim_signature_new_attacker (guint32                  seed,
                                                     guint                    index);
VigilSimSignature *vigil_sim_signature_new_bot      (guint32                  seed,
                                                     guint                    index);
void               vigil_sim_signature_free         (VigilSimSignature       *signature);
/* A new device for the same person (device-change scenario). */
void               vigil_sim_device_clear           (VigilSimDevice          *device);
void               vigil_sim_device_init_random     (VigilSimDevice          *device,
                                                     GRand                   *rng);
/* Every drawn value, one per line: equal text, equal signature. */
char              *vigil_sim_signature_describe     (const VigilSimSignature *signature);

/* Gaussian and log-normal draws (mean, relative spread). */
double             vigil_sim_rand_normal            (GRand                   *rng,
                                                     double                   mean,
                                                     double                   sd);
double             vigil_sim_rand_lognormal         (GRand                   *rng,
                                                     double                   mean,
                                                     double                   cv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilSimSignature, vigil_sim_signature_free)

G_END_DECLS
