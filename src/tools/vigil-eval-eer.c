/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The equal error rate, the headline figure of keystroke-dynamics
 * evaluations since Killourhy and Maxion (2009). */
#define G_LOG_DOMAIN "vigil-eval"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "vigil-eval-eer.h"

typedef struct
{
  double   score;
  gboolean impostor;
} Labelled;

static int
compare_scores (const void *a,
                const void *b)
{
  double x = ((const Labelled *) a)->score;
  double y = ((const Labelled *) b)->score;

  return (x > y) - (x < y);
}

double
vigil_eval_eer (const double *genuine,
                gsize         n_genuine,
                const double *impostor,
                gsize         n_impostor)
{
  g_autofree Labelled *all = NULL;
  gsize n = n_genuine + n_impostor;
  gsize genuine_below = 0, impostor_below = 0;
  double previous_far = 1, previous_miss = 0;

  g_return_val_if_fail (n_genuine > 0 && n_impostor > 0, NAN);
  g_return_val_if_fail (genuine != NULL && impostor != NULL, NAN);

  all = g_new (Labelled, n);
  for (gsize i = 0; i < n_genuine; i++)
    all[i] = (Labelled) { genuine[i], FALSE };
  for (gsize i = 0; i < n_impostor; i++)
    all[n_genuine + i] = (Labelled) { impostor[i], TRUE };
  qsort (all, n, sizeof *all, compare_scores);

  /* Operating points in order of rising threshold: the false-alarm rate
   * falls from 1 and the miss rate rises from 0, so their difference
   * crosses zero once. The threshold just above the largest score, where
   * everything is accepted, closes the sweep. */
  for (gsize i = 0; i <= n; i++)
    {
      double far, miss, before, after, alpha;

      if (i < n && i > 0 && all[i].score == all[i - 1].score)
        continue;
      /* Everything before @i scores below the threshold all[i].score. */
      for (gsize j = genuine_below + impostor_below; j < i; j++)
        {
          if (all[j].impostor)
            impostor_below++;
          else
            genuine_below++;
        }
      far = 1.0 - (double) genuine_below / (double) n_genuine;
      miss = (double) impostor_below / (double) n_impostor;
      if (far > miss)
        {
          previous_far = far;
          previous_miss = miss;
          continue;
        }
      if (far == miss)
        return far;

      before = previous_far - previous_miss;
      after = far - miss;
      alpha = before / (before - after);
      return previous_far + alpha * (far - previous_far);
    }

  g_assert_not_reached ();
}
