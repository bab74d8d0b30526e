/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "vigil-cusum.h"

/* ln 0 is -inf; any score this small is floored anyway. */
#define SMALLEST_SCORE 1e-9

double
vigil_cusum_llr (double score)
{
  double p = isnan (score) ? 1.0 : CLAMP (score, SMALLEST_SCORE, 1.0);

  return MAX (log (VIGIL_CUSUM_SHAPE) + (VIGIL_CUSUM_SHAPE - 1) * log (p), VIGIL_CUSUM_FLOOR);
}

gboolean
vigil_cusum_add (VigilCusum *cusum,
                 double      score)
{
  g_return_val_if_fail (cusum != NULL, FALSE);

  cusum->statistic = MAX (0.0, cusum->statistic + vigil_cusum_llr (score));
  cusum->run = cusum->statistic > 0 ? cusum->run + 1 : 0;
  return vigil_cusum_alarm (cusum);
}

gboolean
vigil_cusum_alarm (const VigilCusum *cusum)
{
  g_return_val_if_fail (cusum != NULL, FALSE);

  return cusum->statistic >= VIGIL_CUSUM_ALARM;
}
