/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-detector.h"

G_BEGIN_DECLS

/* Several detectors over the same features, each member's raw score
 * calibrated to [0, 1] against the user's own enrollment scores (0: as
 * ordinary as the most ordinary enrollment vector, 1: beyond anything seen
 * in enrollment), and combined. Enrollment scores are taken out of sample
 * (k-fold), since a model scores its own training rows too kindly.
 *
 * Calibration. The n enrollment vectors go to 5 folds at random (from
 * params->seed); each fold is scored by a member trained on the other 4,
 * and the final member is trained on all n (an isolation forest's
 * subsample capped at the folds' size, so that it is built alike). The
 * sorted out-of-sample scores s_1 <= ... <= s_n are the knots of a
 * monotone map: 0 up to s_1, (i - 1) / n at s_i with linear interpolation
 * between knots, and past s_n an exponential tail
 * 1 - (1 / n) exp (-(s - s_n) / spread), where spread is the mean excess
 * of the top tenth of the knots; so farther stays more anomalous instead
 * of every vector past enrollment scoring 1. A score that is not a number
 * calibrates to 1.
 *
 * What a calibrated score means: the share of the user's own vectors that
 * look at least as ordinary. Fresh vectors from the enrolled user are
 * therefore roughly uniform on [0, 1], mean about 0.5, about 5% of them
 * above 0.95 per member (tests/test-ensemble.c). Roughly: the table comes
 * from n vectors, and the final member, trained on all of them rather
 * than 4/5, fits the user a little tighter than the fold members did, so
 * in practice a little fewer (2-6% in the tests, on 200 vectors) exceed
 * 0.95. A vector far from everything in enrollment calibrates close to 1.
 *
 * Combination: the weighted mean of the members' calibrated scores,
 * LOGISTIC weighing 2 and the one-class kinds 1. All members are on the
 * same percentile scale, and they see the same features, so they are far
 * from independent: a mean needs no model of how they depend on one
 * another (multiplying p-values would), and one member fooled moves the
 * result by its share only. The combined score is not uniform itself: it
 * concentrates around 0.5 for the user (for 200 synthetic enrollment
 * vectors, 13-23% of the user's fresh vectors above 0.7, 1-4% above 0.9)
 * and near 1 for someone else, so thresholds on it are not percentiles.
 *
 * Blob: "VGEN", format version, d, the members (weight, tail spread,
 * knots, and the member's own framed detector blob), then a 64-bit
 * FNV-1a checksum of everything before it. */

typedef struct _VigilEnsemble VigilEnsemble;

/* Trains one member of each kind in @kinds (LOGISTIC only when @negatives
 * has rows) and calibrates them. */
VigilEnsemble *vigil_ensemble_train        (const VigilDetectorKind   *kinds,
                                            guint                      n_kinds,
                                            const double              *genuine,
                                            gsize                      n,
                                            const double              *negatives,
                                            gsize                      m,
                                            gsize                      d,
                                            const VigilDetectorParams *params,
                                            GError                   **error);
guint          vigil_ensemble_get_n_members (const VigilEnsemble      *ensemble);
gsize          vigil_ensemble_get_dimension (const VigilEnsemble      *ensemble);
/* The combined calibrated score in [0, 1]; @out_members (nullable, one
 * slot per member) receives each member's calibrated score. */
double         vigil_ensemble_score         (const VigilEnsemble      *ensemble,
                                             const double             *x,
                                             double                   *out_members);
const VigilDetector *vigil_ensemble_get_member (const VigilEnsemble   *ensemble,
                                                guint                  index);
GBytes        *vigil_ensemble_serialize     (const VigilEnsemble      *ensemble);
VigilEnsemble *vigil_ensemble_deserialize   (GBytes                   *bytes,
                                             GError                  **error);
void           vigil_ensemble_free          (VigilEnsemble            *ensemble);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilEnsemble, vigil_ensemble_free)

G_END_DECLS
