/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The tail mean: the mean of the largest k = max (1, ceil (share * n)) of
 * n scores, and its distribution when the scores are independent and
 * uniform on [0, 1], as calibrated scores of the genuine user are
 * (vigil-ensemble.h). The distribution has no closed form for 1 < k < n;
 * it is estimated once per (n, share) from VIGIL_TAIL_SAMPLES draws of a
 * fixed seed, so it is the same on every run, and cached (thread-safe). */

#define VIGIL_TAIL_SAMPLES 8192
/* Larger windows are not tabulated: their tail mean is judged as this many. */
#define VIGIL_TAIL_MAX_N   256

double vigil_tail_mean        (const double *scores,
                               gsize         n,
                               double        share);
/* P (tail mean of n uniform scores <= @t), in [0, 1]. */
double vigil_tail_uniform_cdf (double        t,
                               gsize         n,
                               double        share);

G_END_DECLS
