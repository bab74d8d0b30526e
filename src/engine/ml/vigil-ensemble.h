/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-detector.h"

G_BEGIN_DECLS

/* Several detectors over the same features, each member's raw score
 * calibrated to [0, 1] against the user's own enrollment scores (0: as
 * ordinary as the most ordinary enrollment vector, 1: beyond anything seen
 * in enrollment), and combined. Enrollment scores are taken out of sample
 * (k-fold), since a model scores its own training rows too kindly. */

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
