/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Wall-clock time for everything that expires or locks (tokens, MPIN
 * lockouts, rate limits), injectable so tests can move it. Thread-safe. */
typedef struct _VigilClock VigilClock;

VigilClock *vigil_clock_new_system (void);
/* A clock that only moves when told to. */
VigilClock *vigil_clock_new_manual (gint64      start_us);

VigilClock *vigil_clock_ref        (VigilClock *clock);
void        vigil_clock_unref      (VigilClock *clock);

/* Microseconds since the Unix epoch. */
gint64      vigil_clock_now_us     (VigilClock *clock);
gint64      vigil_clock_now_s      (VigilClock *clock);

/* Manual clocks only. */
void        vigil_clock_advance    (VigilClock *clock,
                                    gint64      delta_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilClock, vigil_clock_unref)

G_END_DECLS
