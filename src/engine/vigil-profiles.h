/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-features.h"

G_BEGIN_DECLS

/* Per-user behavioral profiles: enrollment collects feature vectors per
 * modality, training (on a worker thread) fits a calibrated ensemble once
 * enough are collected, and scoring compares new vectors with it. Models
 * live in the store as versioned blobs; scoring is synchronous and fast. */
#define VIGIL_TYPE_PROFILES (vigil_profiles_get_type ())
G_DECLARE_FINAL_TYPE (VigilProfiles, vigil_profiles, VIGIL, PROFILES, GObject)

/* maxidom's readiness: samples in all, and of each kind. */
#define VIGIL_PROFILE_MIN_SAMPLES   300
#define VIGIL_PROFILE_MIN_KEYS      50
#define VIGIL_PROFILE_MIN_POINTS    150
#define VIGIL_PROFILE_MIN_DIGRAPHS  30
/* And vectors per modality, for a model worth its name. */
#define VIGIL_PROFILE_MIN_VECTORS   8
/* A calibrated score above this is anomalous: about 5 % of the user's own
 * enrollment windows score higher (the seed used the 5th percentile). */
#define VIGIL_PROFILE_THRESHOLD     0.95

typedef struct
{
  guint    vectors[VIGIL_N_MODALITIES];
  guint    keys;
  guint    points;
  guint    digraphs;
  gboolean trained[VIGIL_N_MODALITIES];
  guint    model_vectors[VIGIL_N_MODALITIES];   /* vectors the current model was fitted on */
  gint64   trained_at_us[VIGIL_N_MODALITIES];
  gboolean ready;              /* at least one modality has a model */
} VigilProfileProgress;

typedef struct
{
  gboolean scored[VIGIL_N_MODALITIES];     /* FALSE: no model, or too little data (abstained) */
  double   score[VIGIL_N_MODALITIES];      /* calibrated, in [0, 1] */
  double   threshold[VIGIL_N_MODALITIES];
  gboolean is_anomaly;                     /* any scored modality above its threshold */
} VigilProfileScore;

/* Adds the maxidom payload's vectors to @user_id's enrollment and trains
 * when the thresholds are met; answers the progress after that. */
void                  vigil_profiles_enroll_async  (VigilProfiles         *self,
                                                    const char            *user_id,
                                                    JsonObject            *payload,
                                                    GCancellable          *cancellable,
                                                    GAsyncReadyCallback    callback,
                                                    gpointer               user_data);
VigilProfileProgress *vigil_profiles_enroll_finish (VigilProfiles         *self,
                                                    GAsyncResult          *result,
                                                    GError               **error);
VigilProfileProgress *vigil_profiles_get_progress  (VigilProfiles         *self,
                                                    const char            *user_id,
                                                    GError               **error);

/* VIGIL_ERROR_NOT_FOUND ("Model not found.") before any model exists;
 * VIGIL_ERROR_INVALID_INPUT when every modality abstained. */
VigilProfileScore    *vigil_profiles_score         (VigilProfiles         *self,
                                                    const char            *user_id,
                                                    JsonObject            *payload,
                                                    GError               **error);

/* Forgets every vector and model of @user_id. */
void                  vigil_profiles_reset_async   (VigilProfiles         *self,
                                                    const char            *user_id,
                                                    const char            *actor,
                                                    GCancellable          *cancellable,
                                                    GAsyncReadyCallback    callback,
                                                    gpointer               user_data);
gboolean              vigil_profiles_reset_finish  (VigilProfiles         *self,
                                                    GAsyncResult          *result,
                                                    GError               **error);

G_END_DECLS
