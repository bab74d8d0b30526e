/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Streaming mean and variance (Welford), numerically stable over millions
 * of samples; used for live figures and as the base of feature scaling. */
typedef struct
{
  guint64 count;
  double  mean;
  double  m2;
  double  min;
  double  max;
} VigilRunningStats;

void    vigil_running_stats_init     (VigilRunningStats       *stats);
void    vigil_running_stats_add      (VigilRunningStats       *stats,
                                      double                   value);
double  vigil_running_stats_variance (const VigilRunningStats *stats);
double  vigil_running_stats_stddev   (const VigilRunningStats *stats);

/* Linear-interpolated quantile (type 7, as R and NumPy default) of @values;
 * @values is sorted in place. @q in [0, 1]. NaN when @n is 0. */
double  vigil_stats_quantile         (double                  *values,
                                      gsize                    n,
                                      double                   q);
double  vigil_stats_median           (double                  *values,
                                      gsize                    n);
/* Median absolute deviation, unscaled. Reorders @values. */
double  vigil_stats_mad              (double                  *values,
                                      gsize                    n);

G_END_DECLS
