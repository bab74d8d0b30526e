/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-clock.h"
#include "vigil-sessions.h"
#include "vigil-store.h"

G_BEGIN_DECLS

/* walmart's behavioral fingerprints: per user and numeric field, a running
 * mean and variance (Welford) folded from every update; a comparison of a
 * new sample against them; a risk assessment that combines that
 * comparison, the request's context and a calibrated per-user ensemble
 * trained on the user's past updates; and the analytics figures. Nothing
 * is random: the same data and request give the same answer. */
#define VIGIL_TYPE_FINGERPRINTS (vigil_fingerprints_get_type ())
G_DECLARE_FINAL_TYPE (VigilFingerprints, vigil_fingerprints, VIGIL, FINGERPRINTS, GObject)

/* Numeric fields per request, and distinct fields kept per user. */
#define VIGIL_FINGERPRINT_MAX_FIELDS      32
/* |z| above this makes a field anomalous (about 3 standard deviations). */
#define VIGIL_FINGERPRINT_Z_THRESHOLD     3.0
/* Updates of a field before it is compared at all. */
#define VIGIL_FINGERPRINT_MIN_FIELD_COUNT 3
/* Updates (of the model's fields) before a per-user model is trained. */
#define VIGIL_FINGERPRINT_MIN_MODEL_UPDATES 8

/* Risk weights (walmart's document: fingerprint 40, intent 30, ML 30). */
#define VIGIL_RISK_WEIGHT_FINGERPRINT 0.40
#define VIGIL_RISK_WEIGHT_INTENT      0.30
#define VIGIL_RISK_WEIGHT_ML          0.30

typedef struct
{
  guint   n;
  char   *names[VIGIL_FINGERPRINT_MAX_FIELDS];
  double  values[VIGIL_FINGERPRINT_MAX_FIELDS];
} VigilFingerprintSample;

typedef struct
{
  char   *field;
  double  value;
  double  mean;
  double  stddev;
  double  z;       /* signed */
} VigilFingerprintField;

typedef struct
{
  gboolean   is_anomaly;       /* a compared field's |z| above the threshold */
  double     anomaly_score;    /* z² / (z² + threshold²) of the largest |z|: 0.5 at the threshold */
  double     confidence;       /* n / (n + 5), n the user's updates; 0 with no history */
  guint64    updates;
  guint      compared_fields;  /* 0: nothing to compare with (abstained) */
  GPtrArray *anomalous_fields; /* VigilFingerprintField, largest |z| first */
  GPtrArray *fields;           /* VigilFingerprintField, every compared one */
} VigilFingerprintAnalysis;

typedef struct
{
  double                    risk_score;         /* 0..100 */
  const char               *risk_label;         /* low | medium | high */
  gboolean                  has_fingerprint;
  double                    fingerprint_diff;   /* 0..100 */
  gboolean                  has_intent;
  double                    intent_score;       /* 0..100 */
  gboolean                  has_ml;
  double                    ml_score;           /* 0..100, calibrated percentile */
  const char               *ml_risk_label;      /* low | medium | high | insufficient_data | unavailable */
  const char               *ml_basis;           /* "user" | "population" | NULL */
  guint                     ml_vectors;         /* vectors the model was trained on */
  char                     *ml_detail;          /* why ML abstained, else NULL */
  double                    confidence;         /* share of the weights that voted, times the fingerprint confidence */
  VigilFingerprintAnalysis *fingerprint;
} VigilRiskAssessment;

typedef struct
{
  guint64 sessions;
  guint64 events;
  gboolean has_risk;
  double  average_risk;       /* 0..1, sessions' last risk and decisions */
  guint64 decisions;
  guint64 high_risk_decisions;
  gint64  last_session_at_us;
  guint64 fingerprint_updates;
} VigilSessionAnalytics;

typedef struct
{
  guint   active_sessions;
  guint64 high_risk_count;
  guint64 login_attempts;
  guint64 blocked_attempts;
  gint64  since_us;
} VigilDashboardAnalytics;

/* Numeric members of @object (not booleans), names of [a-z0-9_], finite
 * and not negative. VIGIL_ERROR_INVALID_INPUT names the first bad one;
 * more than VIGIL_FINGERPRINT_MAX_FIELDS numbers, or none, are refused. */
VigilFingerprintSample   *vigil_fingerprint_sample_from_json (JsonObject               *object,
                                                              GError                  **error);
void                      vigil_fingerprint_sample_free      (VigilFingerprintSample   *sample);
gboolean                  vigil_fingerprint_sample_get       (const VigilFingerprintSample *sample,
                                                              const char               *name,
                                                              double                   *out_value);

void                      vigil_fingerprint_analysis_free    (VigilFingerprintAnalysis *analysis);
void                      vigil_risk_assessment_free         (VigilRiskAssessment      *assessment);

/* Folds @sample into @user_id's fingerprint on the store's writer. */
void                      vigil_fingerprints_update_async    (VigilFingerprints        *self,
                                                              const char               *user_id,
                                                              const VigilFingerprintSample *sample,
                                                              GCancellable             *cancellable,
                                                              GAsyncReadyCallback       callback,
                                                              gpointer                  user_data);
/* The confidence after the update, in [0, 1). */
gboolean                  vigil_fingerprints_update_finish   (VigilFingerprints        *self,
                                                              GAsyncResult             *result,
                                                              double                   *out_confidence,
                                                              GError                  **error);

VigilFingerprintAnalysis *vigil_fingerprints_analyze         (VigilFingerprints        *self,
                                                              const char               *user_id,
                                                              const VigilFingerprintSample *sample,
                                                              GError                  **error);

/* Trains (off the main context) when the cached model is stale. */
void                      vigil_fingerprints_assess_async    (VigilFingerprints        *self,
                                                              const char               *user_id,
                                                              const VigilFingerprintSample *sample,
                                                              GCancellable             *cancellable,
                                                              GAsyncReadyCallback       callback,
                                                              gpointer                  user_data);
VigilRiskAssessment      *vigil_fingerprints_assess_finish   (VigilFingerprints        *self,
                                                              GAsyncResult             *result,
                                                              GError                  **error);

/* The last @days days of @user_id's sessions. */
gboolean                  vigil_fingerprints_session_analytics (VigilFingerprints      *self,
                                                                const char             *user_id,
                                                                guint                   days,
                                                                VigilSessionAnalytics  *out,
                                                                GError                **error);
/* The last 24 hours. */
gboolean                  vigil_fingerprints_dashboard       (VigilFingerprints        *self,
                                                              VigilDashboardAnalytics  *out,
                                                              GError                  **error);

/* For the engine. */
VigilFingerprints        *_vigil_fingerprints_new            (VigilStore               *store,
                                                              VigilClock               *clock,
                                                              VigilSessions            *sessions);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilFingerprintSample, vigil_fingerprint_sample_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilFingerprintAnalysis, vigil_fingerprint_analysis_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilRiskAssessment, vigil_risk_assessment_free)

G_END_DECLS
