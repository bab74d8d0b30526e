/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Counts over a sliding window of fixed buckets, for "events a second"
 * figures: adding and reading are O(buckets) at worst, with no
 * allocation. Times are monotonic microseconds. */
#define VIGIL_RATE_WINDOW_BUCKETS 20

typedef struct
{
  gint64  bucket_us;
  gint64  current;                          /* index of the newest bucket */
  guint64 counts[VIGIL_RATE_WINDOW_BUCKETS];
} VigilRateWindow;

void   vigil_rate_window_init (VigilRateWindow *self,
                               gint64           span_us);
void   vigil_rate_window_add  (VigilRateWindow *self,
                               gint64           now_us,
                               guint64          count);
/* Per second, over the whole span. */
double vigil_rate_window_rate (VigilRateWindow *self,
                               gint64           now_us);

G_END_DECLS
