/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilProfiles: the object that holds per-user behavioral models, the
 * enrollment progress read from the store, and the reset of a profile.
 * Enrollment is in vigil-profiles-enroll.c, training in
 * vigil-profiles-train.c, scoring in vigil-profiles-score.c. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include <string.h>

#include "vigil-audit.h"
#include "vigil-ensemble.h"
#include "vigil-profile-pool.h"
#include "vigil-profiles-private.h"

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

GHashTable *
_vigil_profiles_get_models (VigilProfiles *self)
{
  return self->models;
}

GHashTable *
_vigil_profiles_get_training (VigilProfiles *self)
{
  return self->training;
}

char *
_vigil_profiles_model_key (const char    *user_id,
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

gboolean
_vigil_profiles_insert_vector (VigilDb                  *db,
                               const char               *user_id,
                               const VigilFeatureVector *vector,
                               gint64                    now_us,
                               GError                  **error)
{
  g_autoptr(GBytes) blob = _vigil_profiles_vector_to_blob (vector->values, vector->n_features);
  gsize size;
  gconstpointer bytes = g_bytes_get_data (blob, &size);
  sqlite3_stmt *stmt = vigil_db_prepare (db,
                                         "INSERT INTO profile_vectors (user_id, modality, samples, digraphs, vector,"
                                         " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                         error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_modality_to_string (vector->modality), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 3, (int) vector->samples);
  sqlite3_bind_int (stmt, 4, (int) vector->pairs);
  sqlite3_bind_blob (stmt, 5, bytes, (int) size, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, now_us);
  return vigil_db_step_done (db, stmt, error);
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
      g_autofree char *key = _vigil_profiles_model_key (data->user_id, m);

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
