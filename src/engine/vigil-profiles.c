/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilProfiles: enrollment, training and scoring of per-user behavioral
 * models. Training reads the store on its own connection in a worker
 * thread; the resulting model is committed through the writer and then
 * cached for scoring on the main context. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include <string.h>

#include "vigil-audit.h"
#include "vigil-ensemble.h"
#include "vigil-error.h"
#include "vigil-profile-pool.h"
#include "vigil-profiles-private.h"

/* Other users' vectors used as negatives, at most, and from how many
 * users at least before the discriminative member joins. */
#define MAX_NEGATIVES        600
#define MIN_NEGATIVE_USERS   3

struct _VigilProfiles
{
  GObject     parent_instance;

  VigilStore *store;
  VigilClock *clock;
  GHashTable *models;     /* "user/modality" → VigilEnsemble */
  GHashTable *training;   /* "user/modality" → GPtrArray of GTask waiting */
  GHashTable *adjustments;  /* user id → double*: step-up adjustments read so far */
  GHashTable *harvests;     /* "session/kind" → GPtrArray of GTask waiting */
  VigilPoolConfig pool_config;
  VigilProfilesLive *live; /* vigil-profiles-live.c: navigation histories */
};

G_DEFINE_FINAL_TYPE (VigilProfiles, vigil_profiles, G_TYPE_OBJECT)

enum
{
  STATUS_CHANGED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

static const VigilDetectorKind one_class_kinds[] = {
  VIGIL_DETECTOR_IFOREST,
  VIGIL_DETECTOR_MANHATTAN,
  VIGIL_DETECTOR_MAHALANOBIS_NN,
};

static void
vigil_profiles_finalize (GObject *object)
{
  VigilProfiles *self = VIGIL_PROFILES (object);

  g_clear_pointer (&self->models, g_hash_table_unref);
  g_clear_pointer (&self->training, g_hash_table_unref);
  g_clear_pointer (&self->adjustments, g_hash_table_unref);
  g_clear_pointer (&self->harvests, g_hash_table_unref);
  g_clear_pointer (&self->live, _vigil_profiles_live_free);
  g_clear_object (&self->store);
  g_clear_pointer (&self->clock, vigil_clock_unref);

  G_OBJECT_CLASS (vigil_profiles_parent_class)->finalize (object);
}

static void
vigil_profiles_class_init (VigilProfilesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_profiles_finalize;

  /* A user's model status (vigil_profiles_get_status) may have changed:
   * vectors enrolled, a model (re)trained, the pool or the thresholds
   * moved, the profile reset. */
  signals[STATUS_CHANGED] =
    g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vigil_profiles_init (VigilProfiles *self)
{
  self->models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) vigil_ensemble_free);
  self->training = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->adjustments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->harvests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  vigil_pool_config_init (&self->pool_config);
  self->live = _vigil_profiles_live_new ();
}

VigilProfiles *
_vigil_profiles_new (VigilStore *store,
                     VigilClock *clock)
{
  VigilProfiles *self = g_object_new (VIGIL_TYPE_PROFILES, NULL);

  self->store = g_object_ref (store);
  self->clock = vigil_clock_ref (clock);
  return self;
}

VigilStore *
_vigil_profiles_get_store (VigilProfiles *self)
{
  return self->store;
}

VigilClock *
_vigil_profiles_get_clock (VigilProfiles *self)
{
  return self->clock;
}

VigilProfilesLive *
_vigil_profiles_get_live (VigilProfiles *self)
{
  return self->live;
}

static char *
model_key (const char    *user_id,
           VigilModality  modality)
{
  return g_strconcat (user_id, "/", vigil_modality_to_string (modality), NULL);
}

/* Vectors as little-endian doubles. */
GBytes *
_vigil_profiles_vector_to_blob (const double *values,
                                gsize         n)
{
  guint64 *words = g_new (guint64, n);

  for (gsize i = 0; i < n; i++)
    {
      guint64 bits;

      memcpy (&bits, &values[i], sizeof bits);
      words[i] = GUINT64_TO_LE (bits);
    }
  return g_bytes_new_take (words, n * sizeof (guint64));
}

static gboolean
blob_to_values (const guint8 *data,
                gsize         size,
                gsize         expected,
                double       *out)
{
  if (size != expected * sizeof (guint64))
    return FALSE;

  for (gsize i = 0; i < expected; i++)
    {
      guint64 bits;

      memcpy (&bits, data + i * sizeof bits, sizeof bits);
      bits = GUINT64_FROM_LE (bits);
      memcpy (&out[i], &bits, sizeof bits);
    }
  return TRUE;
}

static gsize
dimension_of (VigilModality modality)
{
  return vigil_modality_get_dimension (modality);
}

/* Progress */

VigilProfileProgress *
vigil_profiles_get_progress (VigilProfiles  *self,
                             const char     *user_id,
                             GError        **error)
{
  g_autofree VigilProfileProgress *progress = g_new0 (VigilProfileProgress, 1);
  VigilDb *db = vigil_store_get_reader (self->store);
  sqlite3_stmt *stmt;
  int rc;

  stmt = vigil_db_prepare (db,
                           "SELECT modality, count(*), sum(samples), sum(digraphs) FROM profile_vectors"
                           " WHERE user_id = ?1 GROUP BY modality",
                           error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *modality = (const char *) sqlite3_column_text (stmt, 0);
      VigilModality m;

      if (vigil_modality_from_string (modality, &m) && m >= VIGIL_N_MAXIDOM_MODALITIES)
        progress->vectors[m] = sqlite3_column_int (stmt, 1);
      else if (g_strcmp0 (modality, "typing") == 0)
        {
          progress->vectors[VIGIL_MODALITY_TYPING] = sqlite3_column_int (stmt, 1);
          progress->keys = sqlite3_column_int (stmt, 2);
          progress->digraphs = sqlite3_column_int (stmt, 3);
        }
      else if (g_strcmp0 (modality, "mouse") == 0)
        {
          progress->vectors[VIGIL_MODALITY_MOUSE] = sqlite3_column_int (stmt, 1);
          progress->points = sqlite3_column_int (stmt, 2);
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading profile progress failed");
      return NULL;
    }

  stmt = vigil_db_prepare (db, "SELECT modality, trained_at, vectors FROM profile_models WHERE user_id = ?1",
                           error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilModality modality;

      if (!vigil_modality_from_string ((const char *) sqlite3_column_text (stmt, 0), &modality))
        continue;
      progress->trained[modality] = TRUE;
      progress->trained_at_us[modality] = sqlite3_column_int64 (stmt, 1);
      progress->model_vectors[modality] = sqlite3_column_int (stmt, 2);
      /* maxidom's readiness is about its own payload's models. */
      progress->ready = progress->ready || modality < VIGIL_N_MAXIDOM_MODALITIES;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading profile models failed");
      return NULL;
    }

  return g_steal_pointer (&progress);
}

static gboolean
modality_trainable (const VigilProfileProgress *progress,
                    VigilModality               modality)
{
  if (modality >= VIGIL_N_MAXIDOM_MODALITIES)
    return _vigil_profiles_live_trainable (progress, modality);
  if (progress->keys + progress->points + progress->digraphs < VIGIL_PROFILE_MIN_SAMPLES ||
      progress->vectors[modality] < VIGIL_PROFILE_MIN_VECTORS)
    return FALSE;

  return modality == VIGIL_MODALITY_TYPING
         ? progress->keys >= VIGIL_PROFILE_MIN_KEYS && progress->digraphs >= VIGIL_PROFILE_MIN_DIGRAPHS
         : progress->points >= VIGIL_PROFILE_MIN_POINTS;
}

/* Training */

typedef struct
{
  char          *user_id;
  VigilModality  modality;
  GBytes        *model;
  guint          vectors;
  guint          negatives;
  guint          pool_vectors;    /* of the retraining pool, after the foundation */
  gint64         pool_last_id;
  double         pool_share;
  gint64         trained_at_us;
} TrainJob;

static void
train_job_free (TrainJob *job)
{
  g_free (job->user_id);
  g_clear_pointer (&job->model, g_bytes_unref);
  g_free (job);
}

static GArray *
load_vectors (VigilDb        *db,
              const char     *sql,
              const char     *user_id,
              const char     *modality,
              gsize           d,
              guint          *out_rows,
              guint          *out_users,
              GError        **error)
{
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GHashTable) users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  double *row = g_newa (double, d);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, modality, -1, SQLITE_STATIC);
  *out_rows = 0;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (!blob_to_values (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), d, row))
        continue;
      g_array_append_vals (values, row, d);
      g_hash_table_add (users, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      (*out_rows)++;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading profile vectors failed");
      return NULL;
    }
  if (out_users != NULL)
    *out_users = g_hash_table_size (users);
  return g_steal_pointer (&values);
}

static void
train_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  VigilProfiles *self = source_object;
  TrainJob *job = task_data;
  const char *modality = vigil_modality_to_string (job->modality);
  gsize d = dimension_of (job->modality);
  g_autoptr(VigilDb) db = NULL;
  g_autoptr(GArray) genuine = NULL;
  g_autoptr(GArray) negatives = NULL;
  g_autoptr(VigilEnsemble) ensemble = NULL;
  g_autoptr(GError) error = NULL;
  VigilDetectorKind kinds[G_N_ELEMENTS (one_class_kinds) + 1];
  VigilDetectorParams params;
  guint n_kinds = G_N_ELEMENTS (one_class_kinds);
  guint negative_rows = 0, negative_users = 0;

  db = vigil_store_open_reader (self->store, &error);
  if (db != NULL)
    genuine = load_vectors (db,
                            "SELECT vector, user_id FROM profile_vectors"
                            " WHERE user_id = ?1 AND modality = ?2 AND source = 'enrollment' ORDER BY id",
                            job->user_id, modality, d, &job->vectors, NULL, &error);
  /* The whole foundation always, then the pool's newest within its share. */
  if (genuine != NULL &&
      !_vigil_pool_load_for_training (db, job->user_id, modality, d, _vigil_pool_quota (job->vectors, job->pool_share),
                                      genuine, &job->pool_vectors, &job->pool_last_id, &error))
    g_clear_pointer (&genuine, g_array_unref);
  if (genuine != NULL)
    negatives = load_vectors (db,
                              "SELECT vector, user_id FROM profile_vectors"
                              " WHERE user_id != ?1 AND modality = ?2 AND source = 'enrollment'"
                              " ORDER BY random () LIMIT " G_STRINGIFY (MAX_NEGATIVES),
                              job->user_id, modality, d, &negative_rows, &negative_users, &error);
  if (negatives == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  memcpy (kinds, one_class_kinds, sizeof one_class_kinds);
  /* Other people's behaviour sharpens the model once there is enough of
   * it to stand for "not this user". */
  if (negative_users >= MIN_NEGATIVE_USERS)
    {
      kinds[n_kinds++] = VIGIL_DETECTOR_LOGISTIC;
      job->negatives = negative_rows;
    }

  vigil_detector_params_init (&params);
  ensemble = vigil_ensemble_train (kinds, n_kinds, (const double *) genuine->data, job->vectors + job->pool_vectors,
                                   job->negatives ? (const double *) negatives->data : NULL, job->negatives,
                                   d, &params, &error);
  if (ensemble == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  job->model = vigil_ensemble_serialize (ensemble);
  g_task_return_boolean (task, TRUE);
}

static gboolean
write_model (VigilDb   *db,
             gpointer   user_data,
             GError   **error)
{
  TrainJob *job = user_data;
  g_autoptr(JsonObject) details = json_object_new ();
  sqlite3_stmt *stmt;
  gsize size;
  gconstpointer data = g_bytes_get_data (job->model, &size);

  stmt = vigil_db_prepare (db,
                           "INSERT INTO profile_models (user_id, modality, version, model, vectors, trained_at,"
                           " pool_vectors, pool_last_id)"
                           " VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7)"
                           " ON CONFLICT (user_id, modality) DO UPDATE SET version = version + 1,"
                           "   model = excluded.model, vectors = excluded.vectors, trained_at = excluded.trained_at,"
                           "   pool_vectors = excluded.pool_vectors, pool_last_id = excluded.pool_last_id",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, job->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_modality_to_string (job->modality), -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 3, data, (int) size, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, (int) job->vectors);
  sqlite3_bind_int64 (stmt, 5, job->trained_at_us);
  sqlite3_bind_int (stmt, 6, (int) job->pool_vectors);
  sqlite3_bind_int64 (stmt, 7, job->pool_last_id);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;

  json_object_set_string_member (details, "modality", vigil_modality_to_string (job->modality));
  json_object_set_int_member (details, "vectors", job->vectors);
  json_object_set_int_member (details, "pool_vectors", job->pool_vectors);
  json_object_set_int_member (details, "negatives", job->negatives);
  return vigil_audit_append_in_transaction (db, job->trained_at_us, "system", "profile.trained",
                                            job->user_id, NULL, details, error);
}

static void
finish_training (VigilProfiles *self,
                 const char    *key,
                 const GError  *error)
{
  g_autoptr(GPtrArray) waiters = NULL;
  g_autofree char *stolen_key = NULL;

  if (!g_hash_table_steal_extended (self->training, key, (gpointer *) &stolen_key, (gpointer *) &waiters))
    return;
  for (guint i = 0; i < waiters->len; i++)
    {
      if (error != NULL)
        g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
      else
        g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
    }
}

static void
on_model_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilProfiles *self = g_task_get_source_object (task);
  TrainJob *job = g_task_get_task_data (task);
  g_autofree char *key = model_key (job->user_id, job->modality);
  g_autoptr(GError) error = NULL;

  if (vigil_store_write_finish (self->store, result, &error))
    {
      VigilEnsemble *ensemble = vigil_ensemble_deserialize (job->model, &error);

      if (ensemble != NULL)
        g_hash_table_replace (self->models, g_strdup (key), ensemble);
      _vigil_profiles_status_changed (self, job->user_id);
      g_info ("Trained the %s model of %s on %u vectors and %u from the pool",
              vigil_modality_to_string (job->modality), job->user_id, job->vectors, job->pool_vectors);
    }
  finish_training (self, key, error);
}

static void
on_trained (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilProfiles *self = VIGIL_PROFILES (source);
  TrainJob *job = g_task_get_task_data (G_TASK (result));
  g_autofree char *key = model_key (job->user_id, job->modality);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_warning ("Training the %s model of %s failed: %s", vigil_modality_to_string (job->modality),
                 job->user_id, error->message);
      finish_training (self, key, error);
      return;
    }

  vigil_store_write_async (self->store, write_model, job, NULL, NULL, on_model_written,
                           g_object_ref (result));
}

/* Starts (or joins) the training of one model; @waiter learns when it is
 * committed. */
void
_vigil_profiles_train (VigilProfiles *self,
                       const char    *user_id,
                       VigilModality  modality,
                       GTask         *waiter)
{
  g_autofree char *key = model_key (user_id, modality);
  GPtrArray *waiters = g_hash_table_lookup (self->training, key);
  g_autoptr(GTask) task = NULL;
  TrainJob *job;

  if (waiters == NULL)
    {
      waiters = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (self->training, g_strdup (key), waiters);

      job = g_new0 (TrainJob, 1);
      job->user_id = g_strdup (user_id);
      job->modality = modality;
      job->trained_at_us = vigil_clock_now_us (self->clock);
      job->pool_share = self->pool_config.max_share;
      task = g_task_new (self, NULL, on_trained, NULL);
      g_task_set_task_data (task, job, (GDestroyNotify) train_job_free);
      g_task_run_in_thread (task, train_in_thread);
    }
  g_ptr_array_add (waiters, g_object_ref (waiter));
}

/* Enrollment */

typedef struct
{
  char               *user_id;
  VigilFeatureVector *vectors[VIGIL_N_MODALITIES];
  guint               pending;
  gint64              now_us;
} EnrollData;

static void
enroll_data_free (EnrollData *data)
{
  g_free (data->user_id);
  for (guint i = 0; i < VIGIL_N_MODALITIES; i++)
    g_clear_pointer (&data->vectors[i], vigil_feature_vector_free);
  g_free (data);
}

static gboolean
write_vectors (VigilDb   *db,
               gpointer   user_data,
               GError   **error)
{
  EnrollData *data = user_data;

  for (guint i = 0; i < VIGIL_N_MODALITIES; i++)
    {
      VigilFeatureVector *vector = data->vectors[i];
      g_autoptr(GBytes) blob = NULL;
      sqlite3_stmt *stmt;
      gsize size;
      gconstpointer bytes;

      if (vector == NULL || vector->abstained)
        continue;

      blob = _vigil_profiles_vector_to_blob (vector->values, vector->n_features);
      bytes = g_bytes_get_data (blob, &size);
      stmt = vigil_db_prepare (db,
                               "INSERT INTO profile_vectors (user_id, modality, samples, digraphs, vector, created_at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, data->user_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, vigil_modality_to_string (vector->modality), -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 3, (int) vector->samples);
      sqlite3_bind_int (stmt, 4, (int) vector->pairs);
      sqlite3_bind_blob (stmt, 5, bytes, (int) size, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 6, data->now_us);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static void
answer_progress (GTask *task)
{
  VigilProfiles *self = g_task_get_source_object (task);
  EnrollData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  VigilProfileProgress *progress = vigil_profiles_get_progress (self, data->user_id, &error);

  if (progress == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, progress, g_free);
}

static void
on_model_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EnrollData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A failed training leaves the profile collecting; the progress says so. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Training did not produce a model: %s", error->message);

  if (--data->pending == 0)
    answer_progress (task);
}

static void
on_vectors_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilProfiles *self = g_task_get_source_object (task);
  EnrollData *data = g_task_get_task_data (task);
  g_autofree VigilProfileProgress *progress = NULL;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (self->store, result, &error) ||
      (progress = vigil_profiles_get_progress (self, data->user_id, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _vigil_profiles_status_changed (self, data->user_id);

  /* Train a modality when it first qualifies, then again each time its
   * enrollment doubled: early models improve fast, later ones settle.
   * (The live modalities train from vigil-profiles-live.c.) */
  for (guint m = 0; m < VIGIL_N_MAXIDOM_MODALITIES; m++)
    {
      gboolean due = !progress->trained[m] || progress->vectors[m] >= 2 * progress->model_vectors[m];

      if (modality_trainable (progress, m) && due)
        {
          GTask *waiter = g_task_new (self, NULL, on_model_ready, g_object_ref (task));

          data->pending++;
          _vigil_profiles_train (self, data->user_id, m, waiter);
          g_object_unref (waiter);
        }
    }

  if (data->pending == 0)
    answer_progress (task);
}

void
vigil_profiles_enroll_async (VigilProfiles       *self,
                             const char          *user_id,
                             JsonObject          *payload,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  EnrollData *data;

  g_return_if_fail (VIGIL_IS_PROFILES (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_profiles_enroll_async);

  data = g_new0 (EnrollData, 1);
  data->user_id = g_strdup (user_id);
  data->now_us = vigil_clock_now_us (self->clock);
  g_task_set_task_data (task, data, (GDestroyNotify) enroll_data_free);

  data->vectors[VIGIL_MODALITY_TYPING] = vigil_features_typing (payload, &error);
  if (error == NULL)
    data->vectors[VIGIL_MODALITY_MOUSE] = vigil_features_mouse (payload, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  vigil_store_write_async (self->store, write_vectors, data, NULL, NULL, on_vectors_written, g_object_ref (task));
}

VigilProfileProgress *
vigil_profiles_enroll_finish (VigilProfiles  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Scoring */

VigilEnsemble *
_vigil_profiles_load_model (VigilProfiles *self,
            const char    *user_id,
            VigilModality  modality,
            GError       **error)
{
  g_autofree char *key = model_key (user_id, modality);
  VigilEnsemble *ensemble = g_hash_table_lookup (self->models, key);
  VigilDb *db = vigil_store_get_reader (self->store);
  g_autoptr(GBytes) blob = NULL;
  sqlite3_stmt *stmt;

  if (ensemble != NULL)
    return ensemble;

  stmt = vigil_db_prepare (db, "SELECT model FROM profile_models WHERE user_id = ?1 AND modality = ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_modality_to_string (modality), -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    blob = g_bytes_new (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0));
  sqlite3_reset (stmt);
  if (blob == NULL)
    return NULL;

  ensemble = vigil_ensemble_deserialize (blob, error);
  if (ensemble != NULL)
    g_hash_table_replace (self->models, g_steal_pointer (&key), ensemble);
  return ensemble;
}

VigilProfileScore *
vigil_profiles_score (VigilProfiles  *self,
                      const char     *user_id,
                      JsonObject     *payload,
                      GError        **error)
{
  g_autofree VigilProfileScore *score = g_new0 (VigilProfileScore, 1);
  VigilFeatureVector *vectors[VIGIL_N_MODALITIES] = { NULL };
  gboolean any_model = FALSE, any_scored = FALSE;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), NULL);

  vectors[VIGIL_MODALITY_TYPING] = vigil_features_typing (payload, error);
  if (vectors[VIGIL_MODALITY_TYPING] == NULL)
    return NULL;
  vectors[VIGIL_MODALITY_MOUSE] = vigil_features_mouse (payload, error);
  if (vectors[VIGIL_MODALITY_MOUSE] == NULL)
    {
      vigil_feature_vector_free (vectors[VIGIL_MODALITY_TYPING]);
      return NULL;
    }

  for (guint m = 0; m < VIGIL_N_MAXIDOM_MODALITIES; m++)
    {
      g_autoptr(GError) local_error = NULL;
      VigilEnsemble *model = _vigil_profiles_load_model (self, user_id, m, &local_error);

      score->threshold[m] = VIGIL_PROFILE_THRESHOLD;
      if (local_error != NULL)
        g_warning ("The %s model of %s cannot be read: %s", vigil_modality_to_string (m), user_id,
                   local_error->message);
      if (model == NULL)
        continue;
      any_model = TRUE;

      /* An abstaining modality has no say either way. */
      if (vectors[m]->abstained || vigil_ensemble_get_dimension (model) != vectors[m]->n_features)
        continue;

      score->score[m] = vigil_ensemble_score (model, vectors[m]->values, NULL);
      score->scored[m] = TRUE;
      any_scored = TRUE;
      score->is_anomaly = score->is_anomaly || score->score[m] > score->threshold[m];
    }

  for (guint m = 0; m < VIGIL_N_MAXIDOM_MODALITIES; m++)
    vigil_feature_vector_free (vectors[m]);

  if (!any_model)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Model not found.");
      return NULL;
    }
  if (!any_scored)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "Too little typing or mouse data to score");
      return NULL;
    }
  return g_steal_pointer (&score);
}

/* Reset */

typedef struct
{
  char   *user_id;
  char   *actor;
  gint64  now_us;
} ResetData;

static void
reset_data_free (ResetData *data)
{
  g_free (data->user_id);
  g_free (data->actor);
  g_free (data);
}

static gboolean
write_reset (VigilDb   *db,
             gpointer   user_data,
             GError   **error)
{
  ResetData *data = user_data;
  const char *statements[] = {
    "DELETE FROM profile_vectors WHERE user_id = ?1",
    "DELETE FROM profile_pool WHERE user_id = ?1",
    "DELETE FROM profile_models WHERE user_id = ?1",
    "DELETE FROM navigation_histories WHERE user_id = ?1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      sqlite3_stmt *stmt = vigil_db_prepare (db, statements[i], error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, data->user_id, -1, SQLITE_TRANSIENT);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
    }
  return vigil_audit_append_in_transaction (db, data->now_us, data->actor, "profile.reset",
                                            data->user_id, NULL, NULL, error);
}

static void
on_reset_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilProfiles *self = g_task_get_source_object (task);
  ResetData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    {
      g_autofree char *key = model_key (data->user_id, m);

      g_hash_table_remove (self->models, key);
    }
  _vigil_profiles_status_changed (self, data->user_id);
  _vigil_profiles_live_forget (self->live, data->user_id);
  g_task_return_boolean (task, TRUE);
}

void
vigil_profiles_reset_async (VigilProfiles       *self,
                            const char          *user_id,
                            const char          *actor,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ResetData *data;

  g_return_if_fail (VIGIL_IS_PROFILES (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_profiles_reset_async);
  data = g_new0 (ResetData, 1);
  data->user_id = g_strdup (user_id);
  data->actor = g_strdup (actor ? actor : "system");
  data->now_us = vigil_clock_now_us (self->clock);
  g_task_set_task_data (task, data, (GDestroyNotify) reset_data_free);

  vigil_store_write_async (self->store, write_reset, data, NULL, NULL, on_reset_written, g_object_ref (task));
}

gboolean
vigil_profiles_reset_finish (VigilProfiles  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Seams for the retraining pool and the thresholds. */

GHashTable *
_vigil_profiles_get_adjustments (VigilProfiles *self)
{
  return self->adjustments;
}

GHashTable *
_vigil_profiles_get_harvests (VigilProfiles *self)
{
  return self->harvests;
}

gboolean
_vigil_profiles_blob_to_values (const guint8 *data,
                                gsize         size,
                                gsize         expected,
                                double       *out)
{
  return blob_to_values (data, size, expected, out);
}

void
_vigil_profiles_status_changed (VigilProfiles *self,
                                const char    *user_id)
{
  g_signal_emit (self, signals[STATUS_CHANGED], 0, user_id);
}

VigilPoolConfig *
_vigil_profiles_get_pool_config (VigilProfiles *self)
{
  return &self->pool_config;
}
