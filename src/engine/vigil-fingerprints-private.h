/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ml/vigil-ensemble.h"
#include "vigil-fingerprints.h"

G_BEGIN_DECLS

/* Shared by vigil-fingerprints.c (the object, samples, updates),
 * vigil-fingerprints-assess.c (analysis, risk assessment, the model) and
 * vigil-fingerprints-analytics.c. */

/* One value per field of model_fields (vigil-fingerprints.c). */
#define VIGIL_FINGERPRINT_MODEL_D 4
#define VIGIL_FINGERPRINT_MODALITY "fingerprint"

typedef struct
{
  VigilEnsemble *model;      /* NULL: too little or degenerate data */
  guint          vectors;
  guint64        stamp;      /* the user's vector count, or for the population self->generation */
  char          *detail;     /* why there is no model */
} CachedModel;

struct _VigilFingerprints
{
  GObject        parent_instance;

  VigilStore    *store;
  VigilClock    *clock;
  VigilSessions *sessions;
  GHashTable    *models;      /* user id, or "" for the population → CachedModel */
  guint64        generation;  /* fingerprint vectors committed since start */
};

void     _vigil_fingerprints_cached_model_free   (gpointer                      data);
gboolean _vigil_fingerprints_is_context_field    (const char                   *name);
/* The sample's values of the model fields, FALSE when one is missing. */
gboolean _vigil_fingerprints_sample_model_vector (const VigilFingerprintSample *sample,
                                                  double                       *out);
double   _vigil_fingerprints_confidence_for      (guint64                       updates);
/* A stored vector, FALSE when it is not VIGIL_FINGERPRINT_MODEL_D finite values. */
gboolean _vigil_fingerprints_blob_to_vector      (const guint8                 *data,
                                                  gsize                         size,
                                                  double                       *out);

G_END_DECLS
