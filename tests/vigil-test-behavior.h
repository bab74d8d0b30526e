/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "vigil-rng.h"

G_BEGIN_DECLS

/* A person's typing and mouse habits, for synthetic behaviour. */
typedef struct
{
  double dwell_ms;       /* mean key hold time */
  double flight_ms;      /* mean release-to-press time */
  double jitter;         /* relative spread */
  double speed;          /* mouse speed, px/ms */
  double curve;          /* mouse sideways drift per step */
} VigilTestPerson;

extern const VigilTestPerson vigil_test_alice;
extern const VigilTestPerson vigil_test_mallory;

/* One window of maxidom's payload as JSON text: a sentence typed once and
 * three mouse strokes, drawn from @person's habits. */
char *vigil_test_behavior_window (VigilRng              *rng,
                                  const VigilTestPerson *person);

/* A person's touch habits: how hard, how wide and how long one taps. */
typedef struct
{
  double pressure;
  double size;
  double duration_ms;
} VigilTestTouch;

/* One tap as the apps stream it (the data of a "touch" event) as JSON
 * text: {coordinates, pressure, size, duration}, drawn from @touch. */
char *vigil_test_behavior_tap    (VigilRng              *rng,
                                  const VigilTestTouch  *touch);

G_END_DECLS
