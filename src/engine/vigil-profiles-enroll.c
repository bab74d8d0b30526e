/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Enrollment of maxidom's typing and mouse payloads: their feature
 * vectors are stored, and a modality's model is trained when it first
 * qualifies and again each time its enrollment doubled. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include "vigil-profile-pool.h"
#include "vigil-profiles-private.h"

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

      if (vector != NULL && !vector->abstained &&
          !_vigil_profiles_insert_vector (db, data->user_id, vector, data->now_us, error))
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

  if (!vigil_store_write_finish (_vigil_profiles_get_store (self), result, &error) ||
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
  data->now_us = vigil_clock_now_us (_vigil_profiles_get_clock (self));
  g_task_set_task_data (task, data, (GDestroyNotify) enroll_data_free);

  data->vectors[VIGIL_MODALITY_TYPING] = vigil_features_typing (payload, &error);
  if (error == NULL)
    data->vectors[VIGIL_MODALITY_MOUSE] = vigil_features_mouse (payload, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  vigil_store_write_async (_vigil_profiles_get_store (self), write_vectors, data, NULL, NULL, on_vectors_written,
                           g_object_ref (task));
}

VigilProfileProgress *
vigil_profiles_enroll_finish (VigilProfiles  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
