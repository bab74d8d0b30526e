/* SPDX-License-Identifier: GPL-3.0-or-later */
/* walmart's behavioral fingerprints and risk assessment, computed from the
 * user's own history: running statistics per field, a per-user calibrated
 * ensemble over past updates, and analytics read from the store. */
#define G_LOG_DOMAIN "vigil-fingerprints"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ml/vigil-ensemble.h"
#include "vigil-error.h"
#include "vigil-fingerprints.h"

/* The vectors the ensemble sees: the fields of walmart's update example. */
static const char * const model_fields[] = {
  "typing_speed", "mouse_distance", "click_count", "session_duration",
};
#define MODEL_D G_N_ELEMENTS (model_fields)
#define MODALITY "fingerprint"
/* The newest vectors a model is trained on. */
#define MAX_USER_VECTORS 256
#define MAX_POPULATION_VECTORS 512
/* Context of a request, not behaviour: never folded into a fingerprint. */
static const char * const context_fields[] = {
  "ip_location_score", "device_type_score", "hour",
};
#define HIGH_RISK 0.7
#define MODEL_SEED G_GUINT64_CONSTANT (0x566967696c465031)
#define DAY_US (G_GINT64_CONSTANT (24) * 60 * 60 * G_USEC_PER_SEC)

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

G_DEFINE_FINAL_TYPE (VigilFingerprints, vigil_fingerprints, G_TYPE_OBJECT)

static void
cached_model_free (gpointer data)
{
  CachedModel *cached = data;

  g_clear_pointer (&cached->model, vigil_ensemble_free);
  g_free (cached->detail);
  g_free (cached);
}

static void
vigil_fingerprints_finalize (GObject *object)
{
  VigilFingerprints *self = VIGIL_FINGERPRINTS (object);

  g_clear_object (&self->store);
  g_clear_object (&self->sessions);
  g_clear_pointer (&self->clock, vigil_clock_unref);
  g_clear_pointer (&self->models, g_hash_table_unref);

  G_OBJECT_CLASS (vigil_fingerprints_parent_class)->finalize (object);
}

static void
vigil_fingerprints_class_init (VigilFingerprintsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_fingerprints_finalize;
}

static void
vigil_fingerprints_init (VigilFingerprints *self)
{
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cached_model_free);
}

VigilFingerprints *
_vigil_fingerprints_new (VigilStore    *store,
                         VigilClock    *clock,
                         VigilSessions *sessions)
{
  VigilFingerprints *self = g_object_new (VIGIL_TYPE_FINGERPRINTS, NULL);

  self->store = g_object_ref (store);
  self->clock = vigil_clock_ref (clock);
  self->sessions = sessions != NULL ? g_object_ref (sessions) : NULL;
  return self;
}

/* Samples */

static gboolean
is_context_field (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (context_fields); i++)
    if (strcmp (name, context_fields[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_known_field (const char *name)
{
  for (guint i = 0; i < MODEL_D; i++)
    if (strcmp (name, model_fields[i]) == 0)
      return TRUE;
  return strcmp (name, "scroll_depth") == 0 || is_context_field (name);
}

static gboolean
valid_field_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]) && name[i] != '_')
      return FALSE;
  return TRUE;
}

void
vigil_fingerprint_sample_free (VigilFingerprintSample *sample)
{
  if (sample == NULL)
    return;
  for (guint i = 0; i < sample->n; i++)
    g_free (sample->names[i]);
  g_free (sample);
}

static VigilFingerprintSample *
sample_copy (const VigilFingerprintSample *sample)
{
  VigilFingerprintSample *copy = g_new0 (VigilFingerprintSample, 1);

  copy->n = sample->n;
  for (guint i = 0; i < sample->n; i++)
    {
      copy->names[i] = g_strdup (sample->names[i]);
      copy->values[i] = sample->values[i];
    }
  return copy;
}

gboolean
vigil_fingerprint_sample_get (const VigilFingerprintSample *sample,
                              const char                   *name,
                              double                       *out_value)
{
  g_return_val_if_fail (sample != NULL && name != NULL, FALSE);

  for (guint i = 0; i < sample->n; i++)
    if (strcmp (sample->names[i], name) == 0)
      {
        if (out_value != NULL)
          *out_value = sample->values[i];
        return TRUE;
      }
  return FALSE;
}

VigilFingerprintSample *
vigil_fingerprint_sample_from_json (JsonObject  *object,
                                    GError     **error)
{
  g_autoptr(VigilFingerprintSample) sample = g_new0 (VigilFingerprintSample, 1);
  g_autoptr(GList) members = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  /* Sorted, so that the same body always gives the same sample. */
  members = g_list_sort (json_object_get_members (object), (GCompareFunc) strcmp);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      GType type;
      double value;

      type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
      if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
        {
          /* The fields walmart defines must be numbers; others are not
           * behaviour and are left alone. */
          if (is_known_field (name) && !JSON_NODE_HOLDS_NULL (node))
            {
              g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "%s must be a number", name);
              return NULL;
            }
          continue;
        }
      if (!valid_field_name (name))
        continue;
      value = json_node_get_double (node);
      if (!isfinite (value) || value < 0)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                       "%s must be a finite number, not negative", name);
          return NULL;
        }
      if (sample->n == VIGIL_FINGERPRINT_MAX_FIELDS)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                       "At most %u numeric fields are accepted", VIGIL_FINGERPRINT_MAX_FIELDS);
          return NULL;
        }
      sample->names[sample->n] = g_strdup (name);
      sample->values[sample->n] = value;
      sample->n++;
    }

  if (sample->n == 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "No behavioral data provided");
      return NULL;
    }
  return g_steal_pointer (&sample);
}

static gboolean
sample_model_vector (const VigilFingerprintSample *sample,
                     double                       *out)
{
  for (guint i = 0; i < MODEL_D; i++)
    if (!vigil_fingerprint_sample_get (sample, model_fields[i], &out[i]))
      return FALSE;
  return TRUE;
}

static double
confidence_for (guint64 updates)
{
  return (double) updates / ((double) updates + 5.0);
}

/* Updates */

typedef struct
{
  VigilFingerprints      *self;
  char                   *user_id;
  VigilFingerprintSample *sample;
  gint64                  now_us;
  guint64                 updates;
  gboolean                stored_vector;
} UpdateJob;

static void
update_job_free (gpointer data)
{
  UpdateJob *job = data;

  g_clear_object (&job->self);
  g_free (job->user_id);
  vigil_fingerprint_sample_free (job->sample);
  g_free (job);
}

static GBytes *
vector_to_blob (const double *values,
                gsize         d)
{
  guint8 *data = g_malloc (d * sizeof (guint64));

  for (gsize i = 0; i < d; i++)
    {
      guint64 bits;

      memcpy (&bits, &values[i], sizeof bits);
      bits = GUINT64_TO_LE (bits);
      memcpy (data + i * sizeof bits, &bits, sizeof bits);
    }
  return g_bytes_new_take (data, d * sizeof (guint64));
}

static gboolean
blob_to_vector (const guint8 *data,
                gsize         size,
                double       *out)
{
  if (data == NULL || size != MODEL_D * sizeof (guint64))
    return FALSE;
  for (gsize i = 0; i < MODEL_D; i++)
    {
      guint64 bits;

      memcpy (&bits, data + i * sizeof bits, sizeof bits);
      bits = GUINT64_FROM_LE (bits);
      memcpy (&out[i], &bits, sizeof bits);
      if (!isfinite (out[i]))
        return FALSE;
    }
  return TRUE;
}

/* On the writer: Welford's update of each field, read and written in the
 * same transaction, so that concurrent updates of one user never lose
 * one another. */
static gboolean
write_update (VigilDb   *db,
              gpointer   data,
              GError   **error)
{
  UpdateJob *job = data;
  sqlite3_stmt *stmt;
  gint64 known_fields = 0;
  double vector[MODEL_D];

  stmt = vigil_db_prepare (db, "SELECT count(*) FROM fingerprints WHERE user_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, job->user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    known_fields = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  for (guint i = 0; i < job->sample->n; i++)
    {
      const char *field = job->sample->names[i];
      double x = job->sample->values[i];
      gint64 count = 0;
      double mean = 0, m2 = 0, delta;
      int rc;

      if (is_context_field (field))
        continue;

      stmt = vigil_db_prepare (db, "SELECT count, mean, m2 FROM fingerprints WHERE user_id = ?1 AND field = ?2",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, job->user_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, field, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          count = sqlite3_column_int64 (stmt, 0);
          mean = sqlite3_column_double (stmt, 1);
          m2 = sqlite3_column_double (stmt, 2);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        {
          vigil_db_set_error (db, error, "Reading a fingerprint failed");
          return FALSE;
        }
      /* A bounded set of fields per user, whatever clients send. */
      if (count == 0)
        {
          if (known_fields >= VIGIL_FINGERPRINT_MAX_FIELDS)
            continue;
          known_fields++;
        }

      count++;
      delta = x - mean;
      mean += delta / (double) count;
      m2 += delta * (x - mean);

      stmt = vigil_db_prepare (db,
                               "INSERT INTO fingerprints (user_id, field, count, mean, m2, updated_at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                               " ON CONFLICT (user_id, field) DO UPDATE SET count = excluded.count,"
                               " mean = excluded.mean, m2 = excluded.m2, updated_at = excluded.updated_at",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, job->user_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, field, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, count);
      sqlite3_bind_double (stmt, 4, mean);
      sqlite3_bind_double (stmt, 5, m2);
      sqlite3_bind_int64 (stmt, 6, job->now_us);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
      job->updates = MAX (job->updates, (guint64) count);
    }

  /* The update as one vector, for the per-user model. */
  if (sample_model_vector (job->sample, vector))
    {
      g_autoptr(GBytes) blob = vector_to_blob (vector, MODEL_D);
      gsize size;
      gconstpointer bytes = g_bytes_get_data (blob, &size);

      stmt = vigil_db_prepare (db,
                               "INSERT INTO profile_vectors (user_id, modality, source, samples, digraphs, vector, created_at)"
                               " VALUES (?1, '" MODALITY "', 'enrollment', 1, 0, ?2, ?3)",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, job->user_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_blob (stmt, 2, bytes, (int) size, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, job->now_us);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
      job->stored_vector = TRUE;
    }

  if (job->updates == 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "No behavioral field could be stored");
      return FALSE;
    }
  return TRUE;
}

static void
update_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  UpdateJob *job = g_task_get_task_data (task);
  GError *error = NULL;

  /* Store writes have no source object. */
  if (!vigil_store_write_finish (job->self->store, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (job->stored_vector)
    job->self->generation++;
  g_task_return_boolean (task, TRUE);
}

void
vigil_fingerprints_update_async (VigilFingerprints            *self,
                                 const char                   *user_id,
                                 const VigilFingerprintSample *sample,
                                 GCancellable                 *cancellable,
                                 GAsyncReadyCallback           callback,
                                 gpointer                      user_data)
{
  g_autoptr(GTask) task = NULL;
  UpdateJob *job;

  g_return_if_fail (VIGIL_IS_FINGERPRINTS (self));
  g_return_if_fail (user_id != NULL && sample != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_fingerprints_update_async);

  job = g_new0 (UpdateJob, 1);
  job->self = g_object_ref (self);
  job->user_id = g_strdup (user_id);
  job->sample = sample_copy (sample);
  job->now_us = vigil_clock_now_us (self->clock);
  g_task_set_task_data (task, job, update_job_free);

  /* The job lives in the task, which outlives the write. */
  vigil_store_write_async (self->store, write_update, job, NULL, cancellable,
                           update_written, g_steal_pointer (&task));
}

gboolean
vigil_fingerprints_update_finish (VigilFingerprints  *self,
                                  GAsyncResult       *result,
                                  double             *out_confidence,
                                  GError            **error)
{
  UpdateJob *job;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_fingerprints_update_async, FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  job = g_task_get_task_data (G_TASK (result));
  if (out_confidence != NULL)
    *out_confidence = confidence_for (job->updates);
  return TRUE;
}

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
      if (count < VIGIL_FINGERPRINT_MIN_FIELD_COUNT || is_context_field (name) ||
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
  analysis->confidence = analysis->compared_fields > 0 ? confidence_for (analysis->updates) : 0;
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
  double               vector[MODEL_D];
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
    cached_model_free (job->trained);
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
  double row[MODEL_D];
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
                             "SELECT vector FROM (SELECT id, vector FROM profile_vectors WHERE modality = '" MODALITY "'"
                             " ORDER BY id DESC LIMIT " G_STRINGIFY (MAX_POPULATION_VECTORS) ") ORDER BY id",
                             &error);
  else
    stmt = vigil_db_prepare (db,
                             "SELECT vector FROM (SELECT id, vector FROM profile_vectors"
                             " WHERE user_id = ?1 AND modality = '" MODALITY "'"
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
    if (blob_to_vector (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), row))
      g_array_append_vals (rows, row, MODEL_D);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, &error, "Reading fingerprint vectors failed");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cached->vectors = rows->len / MODEL_D;
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
                                            NULL, 0, MODEL_D, &params, &error);
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
                           "SELECT count(*) FROM profile_vectors WHERE user_id = ?1 AND modality = '" MODALITY "'",
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
  job->has_vector = sample_model_vector (sample, job->vector);
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

/* Analytics */

static gboolean
query_row (VigilDb       *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW)
    {
      vigil_db_set_error (db, error, "An analytics query failed");
      sqlite3_reset (stmt);
      return FALSE;
    }
  return TRUE;
}

gboolean
vigil_fingerprints_session_analytics (VigilFingerprints      *self,
                                      const char             *user_id,
                                      guint                   days,
                                      VigilSessionAnalytics  *out,
                                      GError                **error)
{
  VigilDb *db;
  sqlite3_stmt *stmt;
  gint64 since;
  gboolean session_risk;
  double session_average;

  g_return_val_if_fail (VIGIL_IS_FINGERPRINTS (self), FALSE);
  g_return_val_if_fail (user_id != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (vigil_store_is_closed (self->store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return FALSE;
    }
  db = vigil_store_get_reader (self->store);
  since = vigil_clock_now_us (self->clock) - (gint64) days * DAY_US;

  /* sessions_by_user (user_id, started_at) */
  stmt = vigil_db_prepare (db,
                           "SELECT count(*), coalesce(sum(event_count), 0), avg(risk_score), max(started_at)"
                           " FROM sessions WHERE user_id = ?1 AND started_at >= ?2",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, since);
  if (!query_row (db, stmt, error))
    return FALSE;
  out->sessions = sqlite3_column_int64 (stmt, 0);
  out->events = sqlite3_column_int64 (stmt, 1);
  session_risk = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
  session_average = sqlite3_column_double (stmt, 2);
  out->last_session_at_us = sqlite3_column_int64 (stmt, 3);
  sqlite3_reset (stmt);

  /* decisions_by_session, for those sessions */
  stmt = vigil_db_prepare (db,
                           "SELECT count(*), avg(risk), coalesce(sum(risk >= ?3), 0) FROM decisions"
                           " WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?1 AND started_at >= ?2)",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, since);
  sqlite3_bind_double (stmt, 3, HIGH_RISK);
  if (!query_row (db, stmt, error))
    return FALSE;
  out->decisions = sqlite3_column_int64 (stmt, 0);
  out->high_risk_decisions = sqlite3_column_int64 (stmt, 2);
  /* Decisions are finer-grained than a session's last figure: they win. */
  if (out->decisions > 0)
    {
      out->has_risk = TRUE;
      out->average_risk = sqlite3_column_double (stmt, 1);
    }
  else if (session_risk)
    {
      out->has_risk = TRUE;
      out->average_risk = session_average;
    }
  sqlite3_reset (stmt);

  stmt = vigil_db_prepare (db, "SELECT coalesce(max(count), 0) FROM fingerprints WHERE user_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  if (!query_row (db, stmt, error))
    return FALSE;
  out->fingerprint_updates = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
count_query (VigilDb     *db,
             const char  *sql,
             gint64       since,
             guint64     *out,
             GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, since);
  if (!query_row (db, stmt, error))
    return FALSE;
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
vigil_fingerprints_dashboard (VigilFingerprints        *self,
                              VigilDashboardAnalytics  *out,
                              GError                  **error)
{
  VigilDb *db;

  g_return_val_if_fail (VIGIL_IS_FINGERPRINTS (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (vigil_store_is_closed (self->store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return FALSE;
    }
  db = vigil_store_get_reader (self->store);
  out->since_us = vigil_clock_now_us (self->clock) - DAY_US;

  if (self->sessions != NULL)
    {
      g_autoptr(GPtrArray) open = vigil_sessions_list_open (self->sessions);

      out->active_sessions = open->len;
    }

  /* Sessions (or lone decisions) judged at least suspicious in the last
   * day, and open sessions whose live risk is that high. */
  if (!count_query (db,
                    "SELECT count(*) FROM ("
                    " SELECT coalesce(session_id, id) FROM decisions WHERE at >= ?1 AND risk >= 0.7"
                    " UNION SELECT id FROM sessions WHERE state != 'ended' AND risk_score >= 0.7)",
                    out->since_us, &out->high_risk_count, error))
    return FALSE;
  /* audit_by_action (action, at) */
  if (!count_query (db,
                    "SELECT count(*) FROM audit_log WHERE action IN"
                    " ('auth.login', 'auth.login_failed', 'auth.rate_limited') AND at >= ?1",
                    out->since_us, &out->login_attempts, error))
    return FALSE;
  if (!count_query (db,
                    "SELECT count(*) FROM audit_log WHERE action IN"
                    " ('auth.rate_limited', 'auth.mpin_locked', 'auth.mpin_refused_locked', 'session.blocked')"
                    " AND at >= ?1",
                    out->since_us, &out->blocked_attempts, error))
    return FALSE;
  return TRUE;
}
