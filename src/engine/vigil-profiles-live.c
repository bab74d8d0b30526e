/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilProfiles for the live modalities: enrollment of vectors made from
 * streamed events, scoring of single vectors, and the users' navigation
 * histories. Training itself is vigil-profiles.c's. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include "vigil-error.h"
#include "vigil-profiles-live.h"
#include "vigil-profiles-private.h"

struct _VigilProfilesLive
{
  VigilNavigationMap *map;
  GHashTable         *navigation;   /* user id → VigilNavigationModel */
};

VigilProfilesLive *
_vigil_profiles_live_new (void)
{
  VigilProfilesLive *live = g_new0 (VigilProfilesLive, 1);

  live->navigation = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) vigil_navigation_model_free);
  return live;
}

void
_vigil_profiles_live_free (VigilProfilesLive *live)
{
  g_clear_pointer (&live->map, vigil_navigation_map_unref);
  g_hash_table_unref (live->navigation);
  g_free (live);
}

void
_vigil_profiles_live_forget (VigilProfilesLive *live,
                             const char        *user_id)
{
  g_hash_table_remove (live->navigation, user_id);
}

guint
vigil_profiles_live_min_vectors (VigilModality modality)
{
  switch (modality)
    {
    case VIGIL_MODALITY_TOUCH:
      return VIGIL_PROFILE_MIN_TAPS;
    case VIGIL_MODALITY_SWIPE:
      return VIGIL_PROFILE_MIN_SWIPES;
    case VIGIL_MODALITY_POINTER:
      return VIGIL_PROFILE_MIN_POINTER_ACTIONS;
    case VIGIL_MODALITY_KEYSTROKE:
      return VIGIL_PROFILE_MIN_KEYSTROKE_WINDOWS;
    case VIGIL_MODALITY_NAVIGATION:
      return VIGIL_PROFILE_MIN_NAVIGATION_WINDOWS;
    case VIGIL_MODALITY_TYPING:
    case VIGIL_MODALITY_MOUSE:
    case VIGIL_N_MODALITIES:
    default:
      return 0;
    }
}

gboolean
_vigil_profiles_live_trainable (const VigilProfileProgress *progress,
                                VigilModality               modality)
{
  guint minimum = vigil_profiles_live_min_vectors (modality);

  return minimum > 0 && progress->vectors[modality] >= minimum;
}

/* Enrollment */

typedef struct
{
  char      *user_id;
  GPtrArray *vectors;
  char      *navigation;     /* JSON, nullable */
  guint      transitions;
  gint64     now_us;
} LiveEnroll;

static void
live_enroll_free (LiveEnroll *data)
{
  g_free (data->user_id);
  g_ptr_array_unref (data->vectors);
  g_free (data->navigation);
  g_free (data);
}

static gboolean
write_live (VigilDb   *db,
            gpointer   user_data,
            GError   **error)
{
  LiveEnroll *data = user_data;
  sqlite3_stmt *stmt;

  for (guint i = 0; i < data->vectors->len; i++)
    if (!_vigil_profiles_insert_vector (db, data->user_id, g_ptr_array_index (data->vectors, i), data->now_us,
                                        error))
      return FALSE;

  if (data->navigation == NULL)
    return TRUE;
  stmt = vigil_db_prepare (db,
                           "INSERT INTO navigation_histories (user_id, history, transitions, updated_at)"
                           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id) DO UPDATE SET"
                           " history = excluded.history, transitions = excluded.transitions,"
                           " updated_at = excluded.updated_at",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, data->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, data->navigation, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, (int) data->transitions);
  sqlite3_bind_int64 (stmt, 4, data->now_us);
  return vigil_db_step_done (db, stmt, error);
}

static void
on_live_trained (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failed training leaves the modality collecting (and abstaining). */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("A live model was not trained: %s", error->message);
}

static void
on_live_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilProfiles *self = g_task_get_source_object (task);
  LiveEnroll *data = g_task_get_task_data (task);
  g_autofree VigilProfileProgress *progress = NULL;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (_vigil_profiles_get_store (self), result, &error) ||
      (progress = vigil_profiles_get_progress (self, data->user_id, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint m = VIGIL_N_MAXIDOM_MODALITIES; m < VIGIL_N_MODALITIES; m++)
    {
      gboolean due = !progress->trained[m] || progress->vectors[m] >= 2 * progress->model_vectors[m];

      if (_vigil_profiles_live_trainable (progress, m) && due)
        {
          g_autoptr(GTask) waiter = g_task_new (self, NULL, on_live_trained, NULL);

          _vigil_profiles_train (self, data->user_id, m, waiter);
        }
    }
  g_task_return_boolean (task, TRUE);
}

void
vigil_profiles_enroll_live_async (VigilProfiles       *self,
                                  const char          *user_id,
                                  GPtrArray           *vectors,
                                  gboolean             save_navigation,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LiveEnroll *data;

  g_return_if_fail (VIGIL_IS_PROFILES (self));
  g_return_if_fail (user_id != NULL && vectors != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_profiles_enroll_live_async);
  data = g_new0 (LiveEnroll, 1);
  data->user_id = g_strdup (user_id);
  data->vectors = g_ptr_array_ref (vectors);
  data->now_us = vigil_clock_now_us (_vigil_profiles_get_clock (self));
  for (guint i = 0; i < vectors->len; i++)
    {
      VigilFeatureVector *vector = g_ptr_array_index (vectors, i);

      g_return_if_fail (!vector->abstained && vector->modality >= VIGIL_N_MAXIDOM_MODALITIES &&
                        vector->n_features == vigil_modality_get_dimension (vector->modality));
    }
  if (save_navigation)
    {
      VigilNavigationModel *model = g_hash_table_lookup (_vigil_profiles_get_live (self)->navigation, user_id);

      if (model != NULL)
        {
          data->navigation = vigil_navigation_model_to_json (model);
          data->transitions = vigil_navigation_model_get_transitions (model);
        }
    }
  g_task_set_task_data (task, data, (GDestroyNotify) live_enroll_free);
  vigil_store_write_async (_vigil_profiles_get_store (self), write_live, data, NULL, NULL, on_live_written,
                           g_object_ref (task));
}

gboolean
vigil_profiles_enroll_live_finish (VigilProfiles  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Scoring */

gboolean
vigil_profiles_has_model (VigilProfiles *self,
                          const char    *user_id,
                          VigilModality  modality)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), FALSE);

  if (_vigil_profiles_load_model (self, user_id, modality, &error) != NULL)
    return TRUE;
  if (error != NULL)
    g_warning ("The %s model of %s cannot be read: %s", vigil_modality_to_string (modality), user_id,
               error->message);
  return FALSE;
}

gboolean
vigil_profiles_score_vector (VigilProfiles  *self,
                             const char     *user_id,
                             VigilModality   modality,
                             const double   *values,
                             gsize           n_values,
                             double         *out_score,
                             GError        **error)
{
  VigilEnsemble *model;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), FALSE);

  model = _vigil_profiles_load_model (self, user_id, modality, error);
  if (model == NULL)
    return FALSE;
  if (vigil_ensemble_get_dimension (model) != n_values)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "A %s vector has %" G_GSIZE_FORMAT " values, the model %" G_GSIZE_FORMAT,
                   vigil_modality_to_string (modality), n_values, vigil_ensemble_get_dimension (model));
      return FALSE;
    }
  *out_score = vigil_ensemble_score (model, values, NULL);
  return TRUE;
}

/* Navigation */

void
vigil_profiles_set_event_flow_map (VigilProfiles      *self,
                                   VigilNavigationMap *map)
{
  VigilProfilesLive *live;

  g_return_if_fail (VIGIL_IS_PROFILES (self));

  live = _vigil_profiles_get_live (self);
  g_clear_pointer (&live->map, vigil_navigation_map_unref);
  live->map = map ? vigil_navigation_map_ref (map) : NULL;
  /* Histories reload against the new map; their counts are the same. */
  g_hash_table_remove_all (live->navigation);
}

VigilNavigationMap *
vigil_profiles_get_event_flow_map (VigilProfiles *self)
{
  g_return_val_if_fail (VIGIL_IS_PROFILES (self), NULL);

  return _vigil_profiles_get_live (self)->map;
}

VigilNavigationModel *
vigil_profiles_get_navigation (VigilProfiles  *self,
                               const char     *user_id,
                               GError        **error)
{
  VigilProfilesLive *live;
  VigilNavigationModel *model;
  VigilDb *db;
  sqlite3_stmt *stmt;
  g_autofree char *json = NULL;
  int rc;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), NULL);

  live = _vigil_profiles_get_live (self);
  model = g_hash_table_lookup (live->navigation, user_id);
  if (model != NULL)
    return model;

  db = vigil_store_get_reader (_vigil_profiles_get_store (self));
  stmt = vigil_db_prepare (db, "SELECT history FROM navigation_histories WHERE user_id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    json = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the navigation history failed");
      return NULL;
    }

  model = json ? vigil_navigation_model_new_from_json (live->map, json, error)
               : vigil_navigation_model_new (live->map);
  if (model == NULL)
    return NULL;
  g_hash_table_insert (live->navigation, g_strdup (user_id), model);
  return model;
}
