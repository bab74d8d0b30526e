/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Descriptive statistics shared by the engine's figures and its models. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "vigil-stats.h"

void
vigil_running_stats_init (VigilRunningStats *stats)
{
  stats->count = 0;
  stats->mean = 0;
  stats->m2 = 0;
  stats->min = INFINITY;
  stats->max = -INFINITY;
}

void
vigil_running_stats_add (VigilRunningStats *stats,
                         double             value)
{
  double delta = value - stats->mean;

  stats->count++;
  stats->mean += delta / (double) stats->count;
  stats->m2 += delta * (value - stats->mean);
  stats->min = MIN (stats->min, value);
  stats->max = MAX (stats->max, value);
}

double
vigil_running_stats_variance (const VigilRunningStats *stats)
{
  /* Sample variance: the models see samples, not whole populations. */
  if (stats->count < 2)
    return 0;
  return stats->m2 / (double) (stats->count - 1);
}

double
vigil_running_stats_stddev (const VigilRunningStats *stats)
{
  return sqrt (vigil_running_stats_variance (stats));
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

double
vigil_stats_quantile (double *values,
                      gsize   n,
                      double  q)
{
  double position;
  gsize below;
  double fraction;

  if (n == 0)
    return NAN;

  q = CLAMP (q, 0.0, 1.0);
  qsort (values, n, sizeof (double), compare_doubles);

  position = q * (double) (n - 1);
  below = (gsize) floor (position);
  fraction = position - (double) below;
  if (below + 1 >= n)
    return values[n - 1];
  return values[below] + fraction * (values[below + 1] - values[below]);
}

double
vigil_stats_median (double *values,
                    gsize   n)
{
  return vigil_stats_quantile (values, n, 0.5);
}

double
vigil_stats_mad (double *values,
                 gsize   n)
{
  double median;

  if (n == 0)
    return NAN;

  median = vigil_stats_median (values, n);
  for (gsize i = 0; i < n; i++)
    values[i] = fabs (values[i] - median);
  return vigil_stats_median (values, n);
}
