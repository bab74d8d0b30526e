/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training of per-user behavioral models. Training reads the store on its
 * own connection in a worker thread; the resulting model is committed
 * through the writer and then cached for scoring on the main context.
 * Concurrent requests for one model join the training under way. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include <string.h>

#include "vigil-audit.h"
#include "vigil-ensemble.h"
#include "vigil-profile-pool.h"
#include "vigil-profiles-private.h"

/* Other users' vectors used as negatives, at most, and from how many
 * users at least before the discriminative member joins. */
#define MAX_NEGATIVES        600
#define MIN_NEGATIVE_USERS   3

static const VigilDetectorKind one_class_kinds[] = {
  VIGIL_DETECTOR_IFOREST,
  VIGIL_DETECTOR_MANHATTAN,
  VIGIL_DETECTOR_MAHALANOBIS_NN,
};

static gsize
dimension_of (VigilModality modality)
{
  return vigil_modality_get_dimension (modality);
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
      if (!_vigil_profiles_blob_to_values (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), d, row))
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

  db = vigil_store_open_reader (_vigil_profiles_get_store (self), &error);
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

  if (!g_hash_table_steal_extended (_vigil_profiles_get_training (self), key, (gpointer *) &stolen_key,
                                    (gpointer *) &waiters))
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
  g_autofree char *key = _vigil_profiles_model_key (job->user_id, job->modality);
  g_autoptr(GError) error = NULL;

  if (vigil_store_write_finish (_vigil_profiles_get_store (self), result, &error))
    {
      VigilEnsemble *ensemble = vigil_ensemble_deserialize (job->model, &error);

      if (ensemble != NULL)
        g_hash_table_replace (_vigil_profiles_get_models (self), g_strdup (key), ensemble);
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
  g_autofree char *key = _vigil_profiles_model_key (job->user_id, job->modality);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_warning ("Training the %s model of %s failed: %s", vigil_modality_to_string (job->modality),
                 job->user_id, error->message);
      finish_training (self, key, error);
      return;
    }

  vigil_store_write_async (_vigil_profiles_get_store (self), write_model, job, NULL, NULL, on_model_written,
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
  g_autofree char *key = _vigil_profiles_model_key (user_id, modality);
  GPtrArray *waiters = g_hash_table_lookup (_vigil_profiles_get_training (self), key);
  g_autoptr(GTask) task = NULL;
  TrainJob *job;

  if (waiters == NULL)
    {
      waiters = g_ptr_array_new_with_free_func (g_object_unref);
      g_hash_table_insert (_vigil_profiles_get_training (self), g_strdup (key), waiters);

      job = g_new0 (TrainJob, 1);
      job->user_id = g_strdup (user_id);
      job->modality = modality;
      job->trained_at_us = vigil_clock_now_us (_vigil_profiles_get_clock (self));
      job->pool_share = _vigil_profiles_get_pool_config (self)->max_share;
      task = g_task_new (self, NULL, on_trained, NULL);
      g_task_set_task_data (task, job, (GDestroyNotify) train_job_free);
      g_task_run_in_thread (task, train_in_thread);
    }
  g_ptr_array_add (waiters, g_object_ref (waiter));
}
