/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Analyst-driven per-user step-up thresholds, and the model status the
 * console shows. Only a confirmed label moves a threshold, one bounded
 * step at a time, audited and persisted in the same transaction as the
 * feedback that moved it. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include <math.h>

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-profile-pool.h"
#include "vigil-risk.h"

/* +1: a false step-up or block (the user was genuine); −1: a missed fraud
 * (allowed or only monitored); 0: the label confirms the decision. */
static int
direction_for (const char *decision,
               const char *label)
{
  gboolean flagged = g_strcmp0 (decision, "step_up") == 0 || g_strcmp0 (decision, "block") == 0;
  gboolean passed = g_strcmp0 (decision, "allow") == 0 || g_strcmp0 (decision, "monitor") == 0;

  if (g_strcmp0 (label, "allow") == 0 && flagged)
    return 1;
  if (g_strcmp0 (label, "block") == 0 && passed)
    return -1;
  return 0;
}

static gboolean
read_row (VigilDb     *db,
          const char  *user_id,
          gboolean    *out_user_exists,
          double      *out_adjustment,
          gint64      *out_raised,
          gint64      *out_lowered,
          GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT t.adjustment, t.raised, t.lowered FROM users u"
                                             " LEFT JOIN risk_thresholds t ON t.user_id = u.id WHERE u.id = ?",
                                         error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  *out_user_exists = rc == SQLITE_ROW;
  *out_adjustment = rc == SQLITE_ROW ? sqlite3_column_double (stmt, 0) : 0;
  *out_raised = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 1) : 0;
  *out_lowered = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 2) : 0;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the user's thresholds failed");
      return FALSE;
    }
  return TRUE;
}

gboolean
_vigil_thresholds_apply (VigilDb     *db,
                         const char  *user_id,
                         const char  *decision,
                         const char  *label,
                         const char  *actor,
                         const char  *decision_id,
                         gint64       at_us,
                         double      *out_adjustment,
                         GError     **error)
{
  g_autoptr(JsonObject) details = NULL;
  int direction = direction_for (decision, label);
  gboolean exists;
  double before, after;
  gint64 raised, lowered;
  sqlite3_stmt *stmt;

  if (out_adjustment != NULL)
    *out_adjustment = 0;
  if (user_id == NULL)
    return TRUE;
  if (!read_row (db, user_id, &exists, &before, &raised, &lowered, error))
    return FALSE;
  if (out_adjustment != NULL)
    *out_adjustment = before;
  if (!exists || direction == 0)
    return TRUE;

  /* Rounded to the step's grid so that repeated steps land exactly on
   * the bound. */
  after = CLAMP (round ((before + direction * VIGIL_THRESHOLD_STEP) * 1e6) / 1e6,
                 -VIGIL_THRESHOLD_MAX_ADJUSTMENT, VIGIL_THRESHOLD_MAX_ADJUSTMENT);
  raised += direction > 0;
  lowered += direction < 0;

  stmt = vigil_db_prepare (db, "INSERT INTO risk_thresholds (user_id, adjustment, raised, lowered, updated_at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id) DO UPDATE SET"
                               " adjustment = excluded.adjustment, raised = excluded.raised,"
                               " lowered = excluded.lowered, updated_at = excluded.updated_at", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double (stmt, 2, after);
  sqlite3_bind_int64 (stmt, 3, raised);
  sqlite3_bind_int64 (stmt, 4, lowered);
  sqlite3_bind_int64 (stmt, 5, at_us);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;
  if (out_adjustment != NULL)
    *out_adjustment = after;

  details = json_object_new ();
  json_object_set_string_member (details, "decision_id", decision_id);
  json_object_set_string_member (details, "reason", direction > 0 ? "false_positive" : "missed_fraud");
  json_object_set_double_member (details, "from", before);
  json_object_set_double_member (details, "to", after);
  json_object_set_double_member (details, "step_up_threshold", VIGIL_RISK_SUSPICIOUS_THRESHOLD + after);
  json_object_set_boolean_member (details, "at_bound", after == before);
  return vigil_audit_append_in_transaction (db, at_us, actor, "risk.threshold_adjusted", user_id, NULL, details,
                                            error);
}

double
vigil_profiles_get_threshold_adjustment (VigilProfiles *self,
                                         const char    *user_id)
{
  GHashTable *cache;
  double *cached;
  g_autoptr(GError) error = NULL;
  gboolean exists;
  double adjustment;
  gint64 raised, lowered;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), 0);

  if (user_id == NULL)
    return 0;
  cache = _vigil_profiles_get_adjustments (self);
  if ((cached = g_hash_table_lookup (cache, user_id)) != NULL)
    return *cached;
  if (!read_row (vigil_store_get_reader (_vigil_profiles_get_store (self)), user_id, &exists, &adjustment, &raised,
                 &lowered, &error))
    {
      /* No adjustment is the safe side: the house thresholds apply. */
      g_debug ("Cannot read the thresholds of %s: %s", user_id, error->message);
      return 0;
    }
  g_hash_table_insert (cache, g_strdup (user_id), g_memdup2 (&adjustment, sizeof adjustment));
  return adjustment;
}

void
vigil_threshold_adjustment_free (VigilThresholdAdjustment *adjustment)
{
  if (adjustment == NULL)
    return;
  g_free (adjustment->user_id);
  g_free (adjustment);
}

GPtrArray *
vigil_profiles_list_adjustments (VigilProfiles  *self,
                                 GError        **error)
{
  g_autoptr(GPtrArray) list = NULL;
  VigilDb *db;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), NULL);

  db = vigil_store_get_reader (_vigil_profiles_get_store (self));
  stmt = vigil_db_prepare (db, "SELECT user_id, adjustment, raised, lowered, updated_at FROM risk_thresholds"
                               " ORDER BY user_id", error);
  if (stmt == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_threshold_adjustment_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilThresholdAdjustment *adjustment = g_new0 (VigilThresholdAdjustment, 1);

      adjustment->user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      adjustment->adjustment = sqlite3_column_double (stmt, 1);
      adjustment->raised = sqlite3_column_int (stmt, 2);
      adjustment->lowered = sqlite3_column_int (stmt, 3);
      adjustment->updated_at_us = sqlite3_column_int64 (stmt, 4);
      g_ptr_array_add (list, adjustment);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading threshold adjustments failed");
      return NULL;
    }
  return g_steal_pointer (&list);
}

/* Status */

static gint
modality_index (const char *name)
{
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    if (g_strcmp0 (name, vigil_modality_to_string (m)) == 0)
      return (gint) m;
  return -1;
}

static gboolean
read_counts (VigilDb     *db,
             const char  *sql,
             const char  *user_id,
             guint       *counts,
             GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint m = modality_index ((const char *) sqlite3_column_text (stmt, 0));

      if (m >= 0)
        counts[m] = sqlite3_column_int (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the model status failed");
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_models (VigilDb             *db,
             const char          *user_id,
             VigilProfileStatus  *status,
             GError             **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT modality, version, vectors, pool_vectors, trained_at"
                                             " FROM profile_models WHERE user_id = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint m = modality_index ((const char *) sqlite3_column_text (stmt, 0));

      if (m < 0)
        continue;
      status->trained[m] = TRUE;
      status->model_version[m] = sqlite3_column_int (stmt, 1);
      status->model_vectors[m] = sqlite3_column_int (stmt, 2);
      status->model_pool[m] = sqlite3_column_int (stmt, 3);
      status->trained_at_us[m] = sqlite3_column_int64 (stmt, 4);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading the model status failed");
      return FALSE;
    }
  return TRUE;
}

VigilProfileStatus *
vigil_profiles_get_status (VigilProfiles  *self,
                           const char     *user_id,
                           GError        **error)
{
  g_autofree VigilProfileStatus *status = g_new0 (VigilProfileStatus, 1);
  VigilDb *db;
  gboolean exists;
  gint64 raised, lowered;

  g_return_val_if_fail (VIGIL_IS_PROFILES (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  db = vigil_store_get_reader (_vigil_profiles_get_store (self));
  if (!read_counts (db, "SELECT modality, count(*) FROM profile_vectors WHERE user_id = ?1 AND source = 'enrollment'"
                        " GROUP BY modality", user_id, status->samples, error) ||
      !read_counts (db, "SELECT modality, count(*) FROM profile_pool WHERE user_id = ?1 GROUP BY modality",
                    user_id, status->pool, error) ||
      !read_models (db, user_id, status, error) ||
      !read_row (db, user_id, &exists, &status->threshold_adjustment, &raised, &lowered, error))
    return NULL;
  if (!exists)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "No user %s", user_id);
      return NULL;
    }
  status->raised = (guint) raised;
  status->lowered = (guint) lowered;
  return g_steal_pointer (&status);
}
