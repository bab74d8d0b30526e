/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scoring of maxidom's typing and mouse payloads against the user's
 * models, read from the store once and then cached. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include "vigil-error.h"
#include "vigil-profiles-private.h"

/* Scoring */

VigilEnsemble *
_vigil_profiles_load_model (VigilProfiles  *self,
                            const char     *user_id,
                            VigilModality   modality,
                            GError        **error)
{
  g_autofree char *key = _vigil_profiles_model_key (user_id, modality);
  VigilEnsemble *ensemble = g_hash_table_lookup (_vigil_profiles_get_models (self), key);
  VigilDb *db = vigil_store_get_reader (_vigil_profiles_get_store (self));
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
    g_hash_table_replace (_vigil_profiles_get_models (self), g_steal_pointer (&key), ensemble);
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
