/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sequential evidence that a stream of calibrated scores stopped coming
 * from the person they were calibrated for: Page's CUSUM (1954) on the
 * log-likelihood ratio of each score. Under the user, calibrated scores
 * are uniform on [0, 1] (vigil-ensemble.h); under someone else they pile
 * up near 1, modelled as Beta (VIGIL_CUSUM_SHAPE, 1), density a p^(a-1).
 * A score therefore adds ln a + (a - 1) ln p: +2.1 at 1, +1.3 at 0.9,
 * 0 at 0.74, -2.8 at 0.5, with a mean of -4.9 under the user. It is
 * floored at VIGIL_CUSUM_FLOOR, so that one ordinary-looking action (a
 * stranger makes some) does not wipe out a run of foreign ones.
 *
 * The statistic is S = max (0, S + llr), and it alarms at
 * S >= VIGIL_CUSUM_ALARM. Under the user, one excursion of S from 0
 * reaches h with a chance of about e^-h (Wald's bound; the floor raises it
 * a little): 3.4e-4 at h = 8. Excursions start at about a quarter of the
 * scores, so uniform scores alarm about once per 9,000
 * (tests/test-cusum.c); an ensemble's scores of the user are less
 * extreme than uniform (vigil-ensemble.h), so the user's own actions
 * alarm less often still. Someone else's scores near 1 alarm after four.
 *
 * Why sequential rather than windows: a window test spends its evidence
 * per window and forgets it at the border, so eleven foreign actions in a
 * row can straddle windows and never make three anomalous ones; the CUSUM
 * keeps adding until the evidence suffices, and resets on its own when
 * the user's ordinary actions return. */

#define VIGIL_CUSUM_SHAPE  8.0
#define VIGIL_CUSUM_FLOOR  (-4.0)
#define VIGIL_CUSUM_ALARM  8.0

typedef struct
{
  double statistic;   /* S >= 0 */
  guint  run;         /* scores since S was last 0 */
} VigilCusum;

/* The evidence one calibrated score in [0, 1] adds (a score outside is
 * clamped). */
double   vigil_cusum_llr   (double      score);
/* Adds @score; TRUE when the statistic is at or above the alarm now. */
gboolean vigil_cusum_add   (VigilCusum *cusum,
                            double      score);
gboolean vigil_cusum_alarm (const VigilCusum *cusum);

G_END_DECLS
