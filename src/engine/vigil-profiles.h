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

/* Retraining. Vectors of ended sessions that had no step-up and no block
 * (or that an analyst confirmed genuine) and that scored clearly normal
 * join a per-user, per-modality pool (maxidom's windows by their own
 * score; the live modalities' newest vectors of a session by their
 * modality's window score, and only as the session ends: a confirmation
 * later finds them gone); once enough new ones gathered, the
 * modality retrains on a worker thread from its enrollment foundation,
 * always all of it, plus the newest pool vectors, capped at a share of
 * the training set. An analyst's fraud label on a session takes its
 * vectors out of the pool; pool vectors expire oldest-first, by age and
 * by count. Retraining never moves a threshold: the anomaly threshold
 * stays VIGIL_PROFILE_THRESHOLD on the calibrated scale, and only
 * analyst-confirmed labels move a user's step-up threshold. */
typedef struct
{
  double admit_below;      /* a vector enters only at a calibrated score <= this */
  double max_share;        /* of a training set, at most this share is pool vectors */
  guint  retrain_after;    /* new pool vectors since the last training that start a retraining */
  guint  max_vectors;      /* per user and modality; the oldest leave first */
  gint64 max_age_us;       /* older pool vectors expire */
} VigilPoolConfig;

#define VIGIL_POOL_ADMIT_BELOW     0.6
#define VIGIL_POOL_MAX_SHARE       0.3
#define VIGIL_POOL_RETRAIN_AFTER   20
#define VIGIL_POOL_MAX_VECTORS     200
#define VIGIL_POOL_MAX_AGE_DAYS    30

/* Analyst feedback moves a user's step-up threshold (risk >= 0.7 + the
 * adjustment steps up) by one step per confirmed label: up after a false
 * step-up or block, down after a missed fraud; never beyond the bound, so
 * it stays between the monitor (0.4) and block (0.9) thresholds. */
#define VIGIL_THRESHOLD_STEP            0.02
#define VIGIL_THRESHOLD_MAX_ADJUSTMENT  0.1

void                  vigil_pool_config_init       (VigilPoolConfig       *config);
/* VIGIL_ERROR_INVALID_INPUT unless admission stays below the anomaly
 * threshold, the share is at most 0.5 and the limits are positive. */
gboolean              vigil_pool_config_check      (const VigilPoolConfig *config,
                                                    GError               **error);
void                  vigil_profiles_set_pool_config (VigilProfiles       *self,
                                                    const VigilPoolConfig *config);
void                  vigil_profiles_get_pool_config (VigilProfiles       *self,
                                                    VigilPoolConfig       *config);

/* A user's model status, for the console. */
typedef struct
{
  guint    samples[VIGIL_N_MODALITIES];        /* enrollment vectors (the foundation) */
  guint    pool[VIGIL_N_MODALITIES];           /* retraining pool vectors */
  gboolean trained[VIGIL_N_MODALITIES];
  guint    model_version[VIGIL_N_MODALITIES];  /* 1 for the first model, +1 per (re)training */
  guint    model_vectors[VIGIL_N_MODALITIES];  /* foundation vectors in the current model */
  guint    model_pool[VIGIL_N_MODALITIES];     /* pool vectors in the current model */
  gint64   trained_at_us[VIGIL_N_MODALITIES];
  double   threshold_adjustment;               /* added to the step-up threshold */
  guint    raised;                             /* confirmed false step-ups / blocks */
  guint    lowered;                            /* confirmed missed frauds */
} VigilProfileStatus;

/* VIGIL_ERROR_NOT_FOUND for an unknown user. "status-changed" (user id)
 * says when to ask again. */
VigilProfileStatus   *vigil_profiles_get_status    (VigilProfiles         *self,
                                                    const char            *user_id,
                                                    GError               **error);

typedef struct
{
  char   *user_id;
  double  adjustment;
  guint   raised;
  guint   lowered;
  gint64  updated_at_us;
} VigilThresholdAdjustment;

void                  vigil_threshold_adjustment_free (VigilThresholdAdjustment *adjustment);
/* Users whose step-up threshold analysts moved, by user id. */
GPtrArray            *vigil_profiles_list_adjustments (VigilProfiles      *self,
                                                    GError               **error);
/* @user_id's current step-up adjustment (0 without one). Cached; main
 * context only. */
double                vigil_profiles_get_threshold_adjustment (VigilProfiles *self,
                                                    const char            *user_id);

/* Offers @session_id's vectors to @user_id's pool (the engine does so by
 * itself when a session ends, and when an analyst confirms one genuine:
 * @confirmed). Idempotent: a session already in the pool is not added
 * again. Finishes once any retraining it started has committed, with the
 * number of the session's vectors in the pool. */
void                  vigil_profiles_harvest_async (VigilProfiles         *self,
                                                    const char            *user_id,
                                                    const char            *session_id,
                                                    gboolean               confirmed,
                                                    GCancellable          *cancellable,
                                                    GAsyncReadyCallback    callback,
                                                    gpointer               user_data);
gint64                vigil_profiles_harvest_finish (VigilProfiles        *self,
                                                    GAsyncResult          *result,
                                                    GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilThresholdAdjustment, vigil_threshold_adjustment_free)

G_END_DECLS
