/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The equal error rate of a detector whose scores are larger for more
 * anomalous vectors. The threshold sweeps over every observed score (a
 * vector alarms when its score is at least the threshold); the EER is
 * where the miss rate (impostors accepted) equals the false-alarm rate
 * (genuine vectors rejected), interpolated linearly between the two
 * neighbouring operating points. 0 when the scores separate perfectly,
 * 0.5 for a coin, 1 when every impostor scores below every genuine. */
double vigil_eval_eer (const double *genuine,
                       gsize         n_genuine,
                       const double *impostor,
                       gsize         n_impostor);

G_END_DECLS
