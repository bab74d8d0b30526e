/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-rate-window"

#include "config.h"

#include "vigil-rate-window.h"

#include <string.h>

void
vigil_rate_window_init (VigilRateWindow *self,
                        gint64           span_us)
{
  memset (self, 0, sizeof *self);
  self->bucket_us = MAX (span_us / VIGIL_RATE_WINDOW_BUCKETS, 1);
}

/* Moves the window forward to @now_us, emptying the buckets it passes. */
static void
advance (VigilRateWindow *self,
         gint64           now_us)
{
  gint64 index = now_us / self->bucket_us;
  gint64 steps = index - self->current;

  if (steps <= 0)
    return;

  if (steps >= VIGIL_RATE_WINDOW_BUCKETS)
    memset (self->counts, 0, sizeof self->counts);
  else
    for (gint64 i = self->current + 1; i <= index; i++)
      self->counts[i % VIGIL_RATE_WINDOW_BUCKETS] = 0;
  self->current = index;
}

void
vigil_rate_window_add (VigilRateWindow *self,
                       gint64           now_us,
                       guint64          count)
{
  advance (self, now_us);
  self->counts[self->current % VIGIL_RATE_WINDOW_BUCKETS] += count;
}

double
vigil_rate_window_rate (VigilRateWindow *self,
                        gint64           now_us)
{
  guint64 total = 0;

  advance (self, now_us);
  for (guint i = 0; i < VIGIL_RATE_WINDOW_BUCKETS; i++)
    total += self->counts[i];

  return (double) total * G_USEC_PER_SEC / ((double) self->bucket_us * VIGIL_RATE_WINDOW_BUCKETS);
}
