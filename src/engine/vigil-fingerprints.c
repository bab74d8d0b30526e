/* SPDX-License-Identifier: GPL-3.0-or-later */
/* walmart's behavioral fingerprints: the object, the samples clients send,
 * and the updates that fold a sample into the user's running statistics
 * per field and keep it as a vector for the per-user model. The
 * assessment is in vigil-fingerprints-assess.c, the analytics in
 * vigil-fingerprints-analytics.c. */
#define G_LOG_DOMAIN "vigil-fingerprints"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-fingerprints-private.h"

/* The vectors the ensemble sees: the fields of walmart's update example. */
static const char * const model_fields[] = {
  "typing_speed", "mouse_distance", "click_count", "session_duration",
};
G_STATIC_ASSERT (G_N_ELEMENTS (model_fields) == VIGIL_FINGERPRINT_MODEL_D);
/* Context of a request, not behaviour: never folded into a fingerprint. */
static const char * const context_fields[] = {
  "ip_location_score", "device_type_score", "hour",
};

G_DEFINE_FINAL_TYPE (VigilFingerprints, vigil_fingerprints, G_TYPE_OBJECT)

void
_vigil_fingerprints_cached_model_free (gpointer data)
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
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, _vigil_fingerprints_cached_model_free);
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

gboolean
_vigil_fingerprints_is_context_field (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (context_fields); i++)
    if (strcmp (name, context_fields[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_known_field (const char *name)
{
  for (guint i = 0; i < VIGIL_FINGERPRINT_MODEL_D; i++)
    if (strcmp (name, model_fields[i]) == 0)
      return TRUE;
  return strcmp (name, "scroll_depth") == 0 || _vigil_fingerprints_is_context_field (name);
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

gboolean
_vigil_fingerprints_sample_model_vector (const VigilFingerprintSample *sample,
                                         double                       *out)
{
  for (guint i = 0; i < VIGIL_FINGERPRINT_MODEL_D; i++)
    if (!vigil_fingerprint_sample_get (sample, model_fields[i], &out[i]))
      return FALSE;
  return TRUE;
}

double
_vigil_fingerprints_confidence_for (guint64 updates)
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

gboolean
_vigil_fingerprints_blob_to_vector (const guint8 *data,
                                    gsize         size,
                                    double       *out)
{
  if (data == NULL || size != VIGIL_FINGERPRINT_MODEL_D * sizeof (guint64))
    return FALSE;
  for (gsize i = 0; i < VIGIL_FINGERPRINT_MODEL_D; i++)
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
  double vector[VIGIL_FINGERPRINT_MODEL_D];

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

      if (_vigil_fingerprints_is_context_field (field))
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
  if (_vigil_fingerprints_sample_model_vector (job->sample, vector))
    {
      g_autoptr(GBytes) blob = vector_to_blob (vector, VIGIL_FINGERPRINT_MODEL_D);
      gsize size;
      gconstpointer bytes = g_bytes_get_data (blob, &size);

      stmt = vigil_db_prepare (db,
                               "INSERT INTO profile_vectors (user_id, modality, source, samples, digraphs, vector, created_at)"
                               " VALUES (?1, '" VIGIL_FINGERPRINT_MODALITY "', 'enrollment', 1, 0, ?2, ?3)",
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
    *out_confidence = _vigil_fingerprints_confidence_for (job->updates);
  return TRUE;
}
