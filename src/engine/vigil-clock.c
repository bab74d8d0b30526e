/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The system clock, or a manual one for tests. */
#define G_LOG_DOMAIN "vigil-clock"

#include "config.h"

#include "vigil-clock.h"

struct _VigilClock
{
  gboolean manual;
  GMutex   lock;     /* guards now_us: GLib has no 64-bit atomics */
  gint64   now_us;
};

static void
clock_clear (gpointer data)
{
  VigilClock *clock = data;

  g_mutex_clear (&clock->lock);
}

VigilClock *
vigil_clock_new_system (void)
{
  VigilClock *clock = g_atomic_rc_box_new0 (VigilClock);

  g_mutex_init (&clock->lock);
  return clock;
}

VigilClock *
vigil_clock_new_manual (gint64 start_us)
{
  VigilClock *clock = vigil_clock_new_system ();

  clock->manual = TRUE;
  clock->now_us = start_us;
  return clock;
}

VigilClock *
vigil_clock_ref (VigilClock *clock)
{
  return g_atomic_rc_box_acquire (clock);
}

void
vigil_clock_unref (VigilClock *clock)
{
  g_atomic_rc_box_release_full (clock, clock_clear);
}

gint64
vigil_clock_now_us (VigilClock *clock)
{
  gint64 now;

  g_return_val_if_fail (clock != NULL, 0);

  if (!clock->manual)
    return g_get_real_time ();

  g_mutex_lock (&clock->lock);
  now = clock->now_us;
  g_mutex_unlock (&clock->lock);
  return now;
}

gint64
vigil_clock_now_s (VigilClock *clock)
{
  return vigil_clock_now_us (clock) / G_USEC_PER_SEC;
}

void
vigil_clock_advance (VigilClock *clock,
                     gint64      delta_us)
{
  g_return_if_fail (clock != NULL);
  g_return_if_fail (clock->manual);

  g_mutex_lock (&clock->lock);
  clock->now_us += delta_us;
  g_mutex_unlock (&clock->lock);
}
