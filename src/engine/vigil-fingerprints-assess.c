/* SPDX-License-Identifier: GPL-3.0-or-later */
/* walmart's fingerprint analysis and risk assessment: a sample compared
 * with the user's running statistics, the request's context as intent,
 * and a calibrated ensemble trained (in a worker, cached until its
 * vectors change) on the user's past updates or, until there are enough
 * of them, on everyone's. */
#define G_LOG_DOMAIN "vigil-fingerprints"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-fingerprints-private.h"

/* The newest vectors a model is trained on. */
#define MAX_USER_VECTORS 256
#define MAX_POPULATION_VECTORS 512
#define MODEL_SEED G_GUINT64_CONSTANT (0x566967696c465031)

/* Analysis */

static void
field_free (gpointer data)
{
  VigilFingerprintField *field = data;

  g_free (field->field);
  g_free (field);
}

void
vigil_fingerprint_analysis_free (VigilFingerprintAnalysis *analysis)
{
  if (analysis == NULL)
    return;
  g_clear_pointer (&analysis->anomalous_fields, g_ptr_array_unref);
  g_clear_pointer (&analysis->fields, g_ptr_array_unref);
  g_free (analysis);
}

static int
compare_abs_z (gconstpointer a,
               gconstpointer b)
{
  const VigilFingerprintField *fa = *(VigilFingerprintField * const *) a;
  const VigilFingerprintField *fb = *(VigilFingerprintField * const *) b;
  double za = fabs (fa->z), zb = fabs (fb->z);

  if (za != zb)
    return za > zb ? -1 : 1;
  return strcmp (fa->field, fb->field);
}

static double
score_of_z (double z)
{
  double t = VIGIL_FINGERPRINT_Z_THRESHOLD;

  return z * z / (z * z + t * t);
}

VigilFingerprintAnalysis *
vigil_fingerprints_analyze (VigilFingerprints            *self,
                            const char                   *user_id,
                            const VigilFingerprintSample *sample,
                            GError                      **error)
{
  g_autoptr(VigilFingerprintAnalysis) analysis = g_new0 (VigilFingerprintAnalysis, 1);
  VigilDb *db;
  sqlite3_stmt *stmt;
  double max_z = 0;
  int rc;

  g_return_val_if_fail (VIGIL_IS_FINGERPRINTS (self), NULL);
  g_return_val_if_fail (user_id != NULL && sample != NULL, NULL);

  analysis->fields = g_ptr_array_new_with_free_func (field_free);
  analysis->anomalous_fields = g_ptr_array_new ();

  if (vigil_store_is_closed (self->store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return NULL;
    }
  db = vigil_store_get_reader (self->store);
  stmt = vigil_db_prepare (db, "SELECT field, count, mean, m2 FROM fingerprints WHERE user_id = ?1 ORDER BY field",
                           error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      gint64 count = sqlite3_column_int64 (stmt, 1);
      double mean = sqlite3_column_double (stmt, 2);
      double m2 = sqlite3_column_double (stmt, 3);
      double x, variance, spread;
      VigilFingerprintField *field;

      analysis->updates = MAX (analysis->updates, (guint64) count);
      if (count < VIGIL_FINGERPRINT_MIN_FIELD_COUNT || _vigil_fingerprints_is_context_field (name) ||
          !vigil_fingerprint_sample_get (sample, name, &x))
        continue;

      /* The sample deviation has a floor of 5% of the mean: a user who
       * always sent the same figure is not infinitely surprised by the
       * next one that differs a little. */
      variance = MAX (m2, 0) / (double) (count - 1);
      spread = sqrt (variance + 0.0025 * mean * mean);
      if (spread <= 0)
        spread = 1.0;

      field = g_new0 (VigilFingerprintField, 1);
      field->field = g_strdup (name);
      field->value = x;
      field->mean = mean;
      field->stddev = sqrt (variance);
      field->z = (x - mean) / spread;
      g_ptr_array_add (analysis->fields, field);
      if (fabs (field->z) > VIGIL_FINGERPRINT_Z_THRESHOLD)
        g_ptr_array_add (analysis->anomalous_fields, field);
      max_z = MAX (max_z, fabs (field->z));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the fingerprint failed");
      return NULL;
    }

  g_ptr_array_sort (analysis->anomalous_fields, compare_abs_z);
  analysis->compared_fields = analysis->fields->len;
  analysis->is_anomaly = analysis->anomalous_fields->len > 0;
  analysis->anomaly_score = analysis->compared_fields > 0 ? score_of_z (max_z) : 0;
  analysis->confidence = analysis->compared_fields > 0 ? _vigil_fingerprints_confidence_for (analysis->updates) : 0;
  return g_steal_pointer (&analysis);
}

static const VigilFingerprintField *
analysis_field (const VigilFingerprintAnalysis *analysis,
                const char                     *name)
{
  for (guint i = 0; i < analysis->fields->len; i++)
    {
      const VigilFingerprintField *field = g_ptr_array_index (analysis->fields, i);

      if (strcmp (field->field, name) == 0)
        return field;
    }
  return NULL;
}

/* Risk assessment */

void
vigil_risk_assessment_free (VigilRiskAssessment *assessment)
{
  if (assessment == NULL)
    return;
  g_free (assessment->ml_detail);
  vigil_fingerprint_analysis_free (assessment->fingerprint);
  g_free (assessment);
}

static const char *
label_for (double score)
{
  if (score > 70)
    return "high";
  if (score > 40)
    return "medium";
  return "low";
}

/* Intent: the request's context as given (1 is trusted, so 1 - score is
 * the risk) and how the session's duration and scroll depth compare with
 * the user's history. Parts without data abstain. */
static gboolean
intent_score (const VigilFingerprintSample   *sample,
              const VigilFingerprintAnalysis *analysis,
              double                         *out_score)
{
  static const struct { const char *name; double weight; gboolean context; } parts[] = {
    { "ip_location_score", 0.35, TRUE },
    { "device_type_score", 0.25, TRUE },
    { "session_duration", 0.25, FALSE },
    { "scroll_depth", 0.15, FALSE },
  };
  double sum = 0, weights = 0;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      double risk, value;

      if (parts[i].context)
        {
          if (!vigil_fingerprint_sample_get (sample, parts[i].name, &value))
            continue;
          risk = 1.0 - CLAMP (value, 0.0, 1.0);
        }
      else
        {
          const VigilFingerprintField *field = analysis_field (analysis, parts[i].name);

          if (field == NULL)
            continue;
          risk = score_of_z (field->z);
        }
      sum += parts[i].weight * risk;
      weights += parts[i].weight;
    }

  if (weights == 0)
    return FALSE;
  *out_score = 100.0 * sum / weights;
  return TRUE;
}

typedef struct
{
  char                *user_id;
  char                *key;           /* the cache's */
  gboolean             population;
  guint64              stamp;
  double               vector[VIGIL_FINGERPRINT_MODEL_D];
  gboolean             has_vector;
  VigilRiskAssessment *assessment;
  CachedModel         *trained;       /* from the worker */
} AssessJob;

static void
assess_job_free (gpointer data)
{
  AssessJob *job = data;

  g_free (job->user_id);
  g_free (job->key);
  vigil_risk_assessment_free (job->assessment);
  if (job->trained != NULL)
    _vigil_fingerprints_cached_model_free (job->trained);
  g_free (job);
}

static gboolean
finish_assessment (VigilRiskAssessment *a,
                   const CachedModel   *cached,
                   AssessJob           *job)
{
  double sum = 0, weights = 0;

  if (!job->has_vector)
    {
      a->ml_risk_label = "insufficient_data";
      a->ml_detail = g_strdup_printf ("The ML model needs typing_speed, mouse_distance, click_count and session_duration");
    }
  else if (cached == NULL || cached->model == NULL)
    {
      a->ml_risk_label = "insufficient_data";
      a->ml_detail = g_strdup (cached != NULL && cached->detail != NULL ? cached->detail
                               : "Not enough fingerprint updates to train a model");
    }
  else
    {
      double s = vigil_ensemble_score (cached->model, job->vector, NULL);

      a->has_ml = TRUE;
      a->ml_score = 100.0 * s;
      a->ml_basis = job->population ? "population" : "user";
      a->ml_vectors = cached->vectors;
      /* The combined calibrated score sits around 0.5 for the user and
       * near 1 for someone else; for the user's own fresh vectors about
       * 1-4% exceed 0.9 and a fifth exceed 0.7 (vigil-ensemble.h). */
      a->ml_risk_label = s > 0.90 ? "high" : s > 0.75 ? "medium" : "low";
    }

  if (a->has_fingerprint)
    {
      sum += VIGIL_RISK_WEIGHT_FINGERPRINT * a->fingerprint_diff;
      weights += VIGIL_RISK_WEIGHT_FINGERPRINT;
    }
  if (a->has_intent)
    {
      sum += VIGIL_RISK_WEIGHT_INTENT * a->intent_score;
      weights += VIGIL_RISK_WEIGHT_INTENT;
    }
  if (a->has_ml)
    {
      sum += VIGIL_RISK_WEIGHT_ML * a->ml_score;
      weights += VIGIL_RISK_WEIGHT_ML;
    }
  if (weights == 0)
    return FALSE;
  /* Components that abstained leave their weight to the others. */
  a->risk_score = sum / weights;
  a->risk_label = label_for (a->risk_score);
  a->confidence = weights / (VIGIL_RISK_WEIGHT_FINGERPRINT + VIGIL_RISK_WEIGHT_INTENT + VIGIL_RISK_WEIGHT_ML);
  return TRUE;
}

static void
complete_assessment (GTask             *task,
                     AssessJob         *job,
                     const CachedModel *cached)
{
  if (!finish_assessment (job->assessment, cached, job))
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                               "Not enough data to assess the risk: send ip_location_score and"
                               " device_type_score, or update the fingerprint first");
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&job->assessment), (GDestroyNotify) vigil_risk_assessment_free);
}

static void
train_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  VigilFingerprints *self = source_object;
  AssessJob *job = task_data;
  static const VigilDetectorKind all_kinds[] = {
    VIGIL_DETECTOR_IFOREST, VIGIL_DETECTOR_MANHATTAN, VIGIL_DETECTOR_MAHALANOBIS_NN,
  };
  g_autoptr(VigilDb) db = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  CachedModel *cached = g_new0 (CachedModel, 1);
  VigilDetectorParams params;
  sqlite3_stmt *stmt;
  double row[VIGIL_FINGERPRINT_MODEL_D];
  int rc;

  job->trained = cached;
  cached->stamp = job->stamp;

  db = vigil_store_open_reader (self->store, &error);
  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The newest vectors, returned oldest first so that training sees them
   * in a fixed order. */
  if (job->population)
    stmt = vigil_db_prepare (db,
                             "SELECT vector FROM (SELECT id, vector FROM profile_vectors"
                             " WHERE modality = '" VIGIL_FINGERPRINT_MODALITY "'"
                             " ORDER BY id DESC LIMIT " G_STRINGIFY (MAX_POPULATION_VECTORS) ") ORDER BY id",
                             &error);
  else
    stmt = vigil_db_prepare (db,
                             "SELECT vector FROM (SELECT id, vector FROM profile_vectors"
                             " WHERE user_id = ?1 AND modality = '" VIGIL_FINGERPRINT_MODALITY "'"
                             " ORDER BY id DESC LIMIT " G_STRINGIFY (MAX_USER_VECTORS) ") ORDER BY id",
                             &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!job->population)
    sqlite3_bind_text (stmt, 1, job->user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (_vigil_fingerprints_blob_to_vector (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), row))
      g_array_append_vals (rows, row, VIGIL_FINGERPRINT_MODEL_D);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, &error, "Reading fingerprint vectors failed");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cached->vectors = rows->len / VIGIL_FINGERPRINT_MODEL_D;
  if (cached->vectors < VIGIL_FINGERPRINT_MIN_MODEL_UPDATES)
    {
      cached->detail = g_strdup_printf ("Only %u fingerprint updates %s; the model needs %u",
                                        cached->vectors, job->population ? "from all users" : "of this user",
                                        VIGIL_FINGERPRINT_MIN_MODEL_UPDATES);
      g_task_return_boolean (task, TRUE);
      return;
    }

  vigil_detector_params_init (&params);
  /* A fixed seed: the same vectors give the same model, on any run. */
  params.seed = MODEL_SEED;
  /* Few rows can make a covariance singular: then without Mahalanobis. */
  for (guint n_kinds = G_N_ELEMENTS (all_kinds); n_kinds >= 2 && cached->model == NULL; n_kinds--)
    {
      g_clear_error (&error);
      cached->model = vigil_ensemble_train (all_kinds, n_kinds, (const double *) rows->data, cached->vectors,
                                            NULL, 0, VIGIL_FINGERPRINT_MODEL_D, &params, &error);
    }
  if (cached->model == NULL)
    cached->detail = g_strdup_printf ("The updates are too uniform to train a model: %s", error->message);
  g_task_return_boolean (task, TRUE);
}

static void
trained (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  VigilFingerprints *self = VIGIL_FINGERPRINTS (source);
  g_autoptr(GTask) task = user_data;
  AssessJob *job = g_task_get_task_data (task);
  GError *error = NULL;
  CachedModel *cached;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  cached = g_steal_pointer (&job->trained);
  g_hash_table_replace (self->models, g_strdup (job->key), cached);
  complete_assessment (task, job, cached);
}

static gboolean
count_user_vectors (VigilFingerprints  *self,
                    const char         *user_id,
                    gint64             *out_count,
                    GError            **error)
{
  VigilDb *db = vigil_store_get_reader (self->store);
  sqlite3_stmt *stmt;
  int rc;

  stmt = vigil_db_prepare (db,
                           "SELECT count(*) FROM profile_vectors"
                           " WHERE user_id = ?1 AND modality = '" VIGIL_FINGERPRINT_MODALITY "'",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  *out_count = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      vigil_db_set_error (db, error, "Counting fingerprint vectors failed");
      return FALSE;
    }
  return TRUE;
}

void
vigil_fingerprints_assess_async (VigilFingerprints            *self,
                                 const char                   *user_id,
                                 const VigilFingerprintSample *sample,
                                 GCancellable                 *cancellable,
                                 GAsyncReadyCallback           callback,
                                 gpointer                      user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(VigilRiskAssessment) a = NULL;
  GError *error = NULL;
  AssessJob *job;
  CachedModel *cached;
  gint64 user_vectors = 0;
  gboolean fresh;

  g_return_if_fail (VIGIL_IS_FINGERPRINTS (self));
  g_return_if_fail (user_id != NULL && sample != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_fingerprints_assess_async);

  for (guint i = 0; i < 2; i++)
    {
      const char *name = i == 0 ? "ip_location_score" : "device_type_score";
      double value;

      if (vigil_fingerprint_sample_get (sample, name, &value) && value > 1.0)
        {
          g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                                   "%s must be between 0 and 1", name);
          return;
        }
    }

  a = g_new0 (VigilRiskAssessment, 1);
  a->fingerprint = vigil_fingerprints_analyze (self, user_id, sample, &error);
  if (a->fingerprint == NULL || !count_user_vectors (self, user_id, &user_vectors, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (a->fingerprint->compared_fields > 0)
    {
      a->has_fingerprint = TRUE;
      a->fingerprint_diff = 100.0 * a->fingerprint->anomaly_score;
    }
  a->has_intent = intent_score (sample, a->fingerprint, &a->intent_score);

  job = g_new0 (AssessJob, 1);
  job->user_id = g_strdup (user_id);
  job->has_vector = _vigil_fingerprints_sample_model_vector (sample, job->vector);
  job->population = user_vectors < VIGIL_FINGERPRINT_MIN_MODEL_UPDATES;
  job->key = g_strdup (job->population ? "" : user_id);
  job->stamp = job->population ? self->generation : (guint64) user_vectors;
  g_task_set_task_data (task, job, assess_job_free);

  /* A model is trained again only when its vectors changed. */
  cached = g_hash_table_lookup (self->models, job->key);
  fresh = cached != NULL && cached->stamp == job->stamp;

  job->assessment = g_steal_pointer (&a);
  if (!job->has_vector || fresh)
    {
      complete_assessment (task, job, job->has_vector ? cached : NULL);
      return;
    }

  {
    GTask *worker = g_task_new (self, cancellable, trained, g_steal_pointer (&task));

    g_task_set_source_tag (worker, train_in_thread);
    g_task_set_task_data (worker, job, NULL);
    g_task_run_in_thread (worker, train_in_thread);
    g_object_unref (worker);
  }
}

VigilRiskAssessment *
vigil_fingerprints_assess_finish (VigilFingerprints  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_fingerprints_assess_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
