/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One anomaly detector over fixed-size feature vectors. Plain C: no I/O,
 * no GObject. Data sets are row-major arrays of n rows of d doubles. A raw
 * score is larger for more anomalous vectors; its scale depends on the
 * kind, which is why the ensemble calibrates it (vigil-ensemble.h). */

typedef enum
{
  VIGIL_DETECTOR_IFOREST,         /* Liu, Ting and Zhou 2008 */
  VIGIL_DETECTOR_MANHATTAN,       /* scaled Manhattan (Araújo et al. 2005) */
  VIGIL_DETECTOR_MAHALANOBIS_NN,  /* nearest neighbour, Mahalanobis distance */
  VIGIL_DETECTOR_LOGISTIC,        /* discriminative: needs other users' vectors */
} VigilDetectorKind;

typedef struct
{
  guint64 seed;          /* for the kinds that sample */
  guint   trees;         /* isolation forest: t, default 100 */
  guint   subsample;     /* isolation forest: psi, default 256 */
  double  l2;            /* logistic regression: regularisation, default 1e-2 */
} VigilDetectorParams;

typedef struct _VigilDetector VigilDetector;

#define VIGIL_DETECTOR_FORMAT_VERSION 1

void               vigil_detector_params_init   (VigilDetectorParams      *params);
const char        *vigil_detector_kind_to_string (VigilDetectorKind        kind);
gboolean           vigil_detector_kind_from_string (const char            *text,
                                                    VigilDetectorKind     *out_kind);

/* Trains on @n genuine rows of @d features; @negatives (@m rows, nullable)
 * are other users' vectors, required by VIGIL_DETECTOR_LOGISTIC and
 * ignored by the one-class kinds. Fails (VIGIL_ML_ERROR) on too little or
 * degenerate data. */
VigilDetector     *vigil_detector_train         (VigilDetectorKind          kind,
                                                 const double              *genuine,
                                                 gsize                      n,
                                                 const double              *negatives,
                                                 gsize                      m,
                                                 gsize                      d,
                                                 const VigilDetectorParams *params,
                                                 GError                   **error);
VigilDetectorKind  vigil_detector_get_kind      (const VigilDetector       *detector);
gsize              vigil_detector_get_dimension (const VigilDetector       *detector);
/* Larger is more anomalous. @x has the detector's dimension. */
double             vigil_detector_score         (const VigilDetector       *detector,
                                                 const double              *x);
/* A versioned, self-describing binary blob (little-endian), and back. */
GBytes            *vigil_detector_serialize     (const VigilDetector       *detector);
VigilDetector     *vigil_detector_deserialize   (GBytes                    *bytes,
                                                 GError                   **error);
void               vigil_detector_free          (VigilDetector             *detector);

#define VIGIL_ML_ERROR (vigil_ml_error_quark ())
typedef enum
{
  VIGIL_ML_ERROR_TOO_LITTLE_DATA,
  VIGIL_ML_ERROR_DEGENERATE,
  VIGIL_ML_ERROR_CORRUPT,
  VIGIL_ML_ERROR_UNSUPPORTED,
} VigilMlError;
GQuark vigil_ml_error_quark (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilDetector, vigil_detector_free)

G_END_DECLS
