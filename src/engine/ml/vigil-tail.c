/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tail means of scores and their null distribution. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-rng.h"
#include "vigil-tail.h"

static int
compare_descending (const void *a,
                    const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x < y) - (x > y);
}

static gsize
tail_count (gsize  n,
            double share)
{
  double k = ceil (share * (double) n - 1e-9);

  return CLAMP ((gsize) MAX (k, 1.0), 1, n);
}

/* Reorders @scores. */
static double
tail_mean_in_place (double *scores,
                    gsize   n,
                    double  share)
{
  gsize k = tail_count (n, share);
  double sum = 0;

  qsort (scores, n, sizeof (double), compare_descending);
  for (gsize i = 0; i < k; i++)
    sum += scores[i];
  return sum / (double) k;
}

double
vigil_tail_mean (const double *scores,
                 gsize         n,
                 double        share)
{
  g_autofree double *copy = NULL;

  g_return_val_if_fail (n > 0, NAN);

  copy = g_memdup2 (scores, n * sizeof (double));
  return tail_mean_in_place (copy, n, share);
}

typedef struct
{
  gsize   n;
  double  share;
  double *quantiles;   /* VIGIL_TAIL_SAMPLES sorted tail means */
} Table;

G_LOCK_DEFINE_STATIC (tables);
static GPtrArray *tables;

static int
compare_ascending (const void *a,
                   const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static const Table *
table_for (gsize  n,
           double share)
{
  g_autofree double *draws = NULL;
  Table *table = NULL;
  VigilRng rng;

  G_LOCK (tables);
  if (tables == NULL)
    tables = g_ptr_array_new ();
  for (guint i = 0; i < tables->len && table == NULL; i++)
    {
      Table *candidate = g_ptr_array_index (tables, i);

      if (candidate->n == n && candidate->share == share)
        table = candidate;
    }
  if (table != NULL)
    {
      G_UNLOCK (tables);
      return table;
    }

  /* Tables live as long as the process: a few dozen window sizes at most. */
  table = g_new0 (Table, 1);
  table->n = n;
  table->share = share;
  table->quantiles = g_new (double, VIGIL_TAIL_SAMPLES);
  draws = g_new (double, n);
  vigil_rng_init (&rng, 0x7a11 + n);
  for (guint s = 0; s < VIGIL_TAIL_SAMPLES; s++)
    {
      for (gsize i = 0; i < n; i++)
        draws[i] = vigil_rng_double (&rng);
      table->quantiles[s] = tail_mean_in_place (draws, n, share);
    }
  qsort (table->quantiles, VIGIL_TAIL_SAMPLES, sizeof (double), compare_ascending);
  g_ptr_array_add (tables, table);
  G_UNLOCK (tables);
  return table;
}

double
vigil_tail_uniform_cdf (double t,
                        gsize  n,
                        double share)
{
  const Table *table;
  gsize lo = 0, hi = VIGIL_TAIL_SAMPLES;

  g_return_val_if_fail (n > 0, NAN);

  if (isnan (t))
    return 1;
  /* One score is its own tail: uniform, exactly. */
  if (n == 1)
    return CLAMP (t, 0, 1);
  table = table_for (MIN (n, VIGIL_TAIL_MAX_N), share);

  while (lo < hi)
    {
      gsize mid = (lo + hi) / 2;

      if (table->quantiles[mid] <= t)
        lo = mid + 1;
      else
        hi = mid;
    }
  /* lo draws are <= t; interpolate within the step for a continuous map. */
  if (lo == 0)
    return 0;
  if (lo == VIGIL_TAIL_SAMPLES)
    return 1;
  {
    double a = table->quantiles[lo - 1], b = table->quantiles[lo];
    double within = b > a ? (t - a) / (b - a) : 0.5;

    return CLAMP ((lo - 0.5 + within) / VIGIL_TAIL_SAMPLES, 0, 1);
  }
}
