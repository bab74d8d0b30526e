/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The retraining pool: vectors of ended, undisputed sessions that scored
 * clearly normal, of every modality: maxidom's stored payloads scored
 * again, and the live modalities' vectors as their session scored them.
 * A harvest runs in three steps so that the main context never waits: a
 * check in the writer (after every decision queued before it has
 * committed), scoring on a worker thread with its own reader, and the
 * admission (with expiry) in the writer again; then, back on the main
 * context, the modalities whose pool grew enough retrain. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include <math.h>

#include "vigil-ensemble.h"
#include "vigil-error.h"
#include "vigil-profile-pool.h"

guint
_vigil_pool_quota (guint  foundation,
                   double max_share)
{
  if (max_share <= 0)
    return 0;
  /* p / (f + p) <= share  ⇔  p <= f · share / (1 − share); the small
   * epsilon keeps exact quotients (f = 7, share = 0.3) from rounding down. */
  return (guint) floor (foundation * max_share / (1 - max_share) + 1e-9);
}

gboolean
_vigil_pool_load_for_training (VigilDb     *db,
                               const char  *user_id,
                               const char  *modality,
                               gsize        d,
                               guint        quota,
                               GArray      *values,
                               guint       *out_rows,
                               gint64      *out_last_id,
                               GError     **error)
{
  double *row = g_newa (double, d);
  sqlite3_stmt *stmt;
  int rc;

  *out_rows = 0;
  *out_last_id = 0;
  stmt = vigil_db_prepare (db, "SELECT vector, id FROM profile_pool WHERE user_id = ?1 AND modality = ?2"
                               " ORDER BY id DESC", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, modality, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (*out_last_id == 0)
        *out_last_id = sqlite3_column_int64 (stmt, 1);
      if (*out_rows >= quota)
        break;
      if (!_vigil_profiles_blob_to_values (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), d, row))
        continue;
      g_array_append_vals (values, row, d);
      (*out_rows)++;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      vigil_db_set_error (db, error, "Reading the retraining pool failed");
      return FALSE;
    }
  return TRUE;
}

gboolean
_vigil_pool_forget_session (VigilDb     *db,
                            const char  *session_id,
                            gint64      *out_removed,
                            GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "DELETE FROM profile_pool WHERE session_id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;
  if (out_removed != NULL)
    *out_removed = sqlite3_changes (vigil_db_get_handle (db));
  return TRUE;
}

/* Harvest */

VigilPoolCandidate *
_vigil_pool_candidate_new (VigilModality  modality,
                           double         score,
                           const double  *values,
                           gsize          n_values)
{
  VigilPoolCandidate *candidate = g_new0 (VigilPoolCandidate, 1);

  candidate->modality = modality;
  candidate->score = score;
  candidate->vector = _vigil_profiles_vector_to_blob (values, n_values);
  return candidate;
}

void
_vigil_pool_candidate_free (VigilPoolCandidate *candidate)
{
  if (candidate == NULL)
    return;
  g_bytes_unref (candidate->vector);
  g_free (candidate);
}

typedef struct
{
  VigilProfiles   *self;
  char            *key;          /* in the profiles' harvests table */
  char            *user_id;
  char            *session_id;
  gboolean         confirmed;
  VigilPoolConfig  config;
  gint64           now_us;
  gboolean         eligible;     /* the check's verdict */
  GPtrArray       *candidates;   /* VigilPoolCandidate, scored and admissible */
  gint64           in_pool;      /* the session's pool vectors after admission */
  gboolean         due[VIGIL_N_MODALITIES];
  guint            pending;      /* retrainings not committed yet */
} Harvest;

static void
harvest_free (Harvest *harvest)
{
  g_clear_object (&harvest->self);
  g_free (harvest->key);
  g_free (harvest->user_id);
  g_free (harvest->session_id);
  g_clear_pointer (&harvest->candidates, g_ptr_array_unref);
  g_free (harvest);
}

static gboolean
query_exists (VigilDb     *db,
              const char  *sql,
              const char  *session_id,
              gboolean    *out_exists,
              GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Checking a session for the pool failed");
      return FALSE;
    }
  *out_exists = rc == SQLITE_ROW;
  return TRUE;
}

/* Whether the session may feed the pool. */
static gboolean
session_eligible (VigilDb     *db,
                  Harvest     *harvest,
                  gboolean    *out_eligible,
                  GError     **error)
{
  gboolean own_ended, stepped_up, fraud;
  const char *ended_sql = harvest->confirmed
    ? "SELECT 1 FROM sessions WHERE id = ?1 AND user_id = ?2 AND kind = 'authenticated'"
    : "SELECT 1 FROM sessions WHERE id = ?1 AND user_id = ?2 AND kind = 'authenticated'"
      " AND ended_at IS NOT NULL AND state = 'ended'";
  sqlite3_stmt *stmt = vigil_db_prepare (db, ended_sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, harvest->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, harvest->user_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Checking a session for the pool failed");
      return FALSE;
    }
  own_ended = rc == SQLITE_ROW;

  /* An analyst's latest word on the session wins over everything. */
  if (!query_exists (db, "SELECT 1 FROM (SELECT label FROM feedback WHERE session_id = ?1 AND label IS NOT NULL"
                         " ORDER BY id DESC LIMIT 1) WHERE label = 'block'", harvest->session_id, &fraud, error) ||
      !query_exists (db, "SELECT 1 FROM decisions WHERE session_id = ?1 AND decision IN ('step_up', 'block')",
                     harvest->session_id, &stepped_up, error))
    return FALSE;

  *out_eligible = own_ended && !fraud && (harvest->confirmed || !stepped_up);
  return TRUE;
}

static gboolean
write_check (VigilDb   *db,
             gpointer   user_data,
             GError   **error)
{
  Harvest *harvest = user_data;

  return session_eligible (db, harvest, &harvest->eligible, error);
}

static gboolean
load_models (VigilDb        *db,
             const char     *user_id,
             VigilEnsemble **models,
             GError        **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT modality, model FROM profile_models WHERE user_id = ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *modality = (const char *) sqlite3_column_text (stmt, 0);
      g_autoptr(GBytes) blob = g_bytes_new (sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1));
      g_autoptr(GError) local_error = NULL;

      for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
        if (g_strcmp0 (modality, vigil_modality_to_string (m)) == 0 && models[m] == NULL)
          {
            models[m] = vigil_ensemble_deserialize (blob, &local_error);
            if (models[m] == NULL)
              g_warning ("The %s model of %s cannot be read: %s", modality, user_id, local_error->message);
          }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading profile models failed");
      return FALSE;
    }
  return TRUE;
}

/* The same vectors the live scoring computes from maxidom's payload. */
static void
score_payload (Harvest        *harvest,
               JsonObject     *payload,
               VigilEnsemble **models)
{
  VigilFeatureVector *vectors[VIGIL_N_MODALITIES] = { NULL };

  if (!(json_object_has_member (payload, "keyEvents") || json_object_has_member (payload, "mousePaths") ||
        json_object_has_member (payload, "clicks")))
    return;
  vectors[VIGIL_MODALITY_TYPING] = vigil_features_typing (payload, NULL);
  vectors[VIGIL_MODALITY_MOUSE] = vigil_features_mouse (payload, NULL);

  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    {
      double score;

      if (vectors[m] == NULL || vectors[m]->abstained || models[m] == NULL ||
          vigil_ensemble_get_dimension (models[m]) != vectors[m]->n_features)
        continue;
      score = vigil_ensemble_score (models[m], vectors[m]->values, NULL);
      /* Only clearly normal vectors: one near the threshold might be the
       * first step of someone drifting the model towards themselves. */
      if (!(score <= harvest->config.admit_below))
        continue;
      g_ptr_array_add (harvest->candidates,
                       _vigil_pool_candidate_new (m, score, vectors[m]->values, vectors[m]->n_features));
    }
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    g_clear_pointer (&vectors[m], vigil_feature_vector_free);
}

static void
score_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  VigilProfiles *self = source_object;
  Harvest *harvest = task_data;
  VigilEnsemble *models[VIGIL_N_MODALITIES] = { NULL };
  g_autoptr(VigilDb) db = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc = SQLITE_DONE;

  db = vigil_store_open_reader (_vigil_profiles_get_store (self), &error);
  if (db != NULL && load_models (db, harvest->user_id, models, &error))
    stmt = vigil_db_prepare (db, "SELECT data FROM events WHERE session_id = ? ORDER BY seq", &error);
  if (stmt != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      sqlite3_bind_text (stmt, 1, harvest->session_id, -1, SQLITE_TRANSIENT);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *data = (const char *) sqlite3_column_text (stmt, 0);

          if (data != NULL && json_parser_load_from_data (parser, data, -1, NULL) &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            score_payload (harvest, json_node_get_object (json_parser_get_root (parser)), models);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        vigil_db_set_error (db, &error, "Reading the session's events failed");
    }
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    g_clear_pointer (&models[m], vigil_ensemble_free);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* A session feeds each modality once: harvesting it again, or its live
 * vectors and its payloads in two harvests, adds nothing twice. */
static gboolean
pooled_modalities (VigilDb     *db,
                   const char  *session_id,
                   gboolean    *pooled,
                   GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT DISTINCT modality FROM profile_pool WHERE session_id = ?", error);
  VigilModality m;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (vigil_modality_from_string ((const char *) sqlite3_column_text (stmt, 0), &m))
      pooled[m] = TRUE;
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Checking a session for the pool failed");
      return FALSE;
    }
  return TRUE;
}

static gboolean
insert_candidates (VigilDb   *db,
                   Harvest   *harvest,
                   GError   **error)
{
  gboolean pooled[VIGIL_N_MODALITIES] = { FALSE };

  if (!pooled_modalities (db, harvest->session_id, pooled, error))
    return FALSE;
  for (guint i = 0; i < harvest->candidates->len; i++)
    {
      VigilPoolCandidate *candidate = g_ptr_array_index (harvest->candidates, i);
      gsize size;
      gconstpointer bytes;
      sqlite3_stmt *stmt;

      if (pooled[candidate->modality])
        continue;
      bytes = g_bytes_get_data (candidate->vector, &size);
      stmt = vigil_db_prepare (db, "INSERT INTO profile_pool (user_id, modality, session_id, score,"
                                   " vector, created_at) VALUES (?, ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, harvest->user_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, vigil_modality_to_string (candidate->modality), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, harvest->session_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (stmt, 4, candidate->score);
      sqlite3_bind_blob (stmt, 5, bytes, (int) size, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 6, harvest->now_us);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

/* Oldest first: past the age limit, then past the count limit. */
static gboolean
expire (VigilDb     *db,
        Harvest     *harvest,
        const char  *modality,
        GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db, "DELETE FROM profile_pool WHERE user_id = ?1 AND modality = ?2 AND created_at < ?3",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, harvest->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, modality, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, harvest->now_us - harvest->config.max_age_us);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;

  stmt = vigil_db_prepare (db, "DELETE FROM profile_pool WHERE id IN (SELECT id FROM profile_pool"
                               " WHERE user_id = ?1 AND modality = ?2 ORDER BY id DESC LIMIT -1 OFFSET ?3)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, harvest->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, modality, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, harvest->config.max_vectors);
  return vigil_db_step_done (db, stmt, error);
}

/* Whether @modality gathered enough pool vectors since its model was
 * trained to retrain (never before a first model exists). */
static gboolean
retrain_due (VigilDb     *db,
             Harvest     *harvest,
             const char  *modality,
             gboolean    *out_due,
             GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT count(*) FROM profile_pool p JOIN profile_models m"
                                             " ON m.user_id = p.user_id AND m.modality = p.modality"
                                             " WHERE p.user_id = ?1 AND p.modality = ?2 AND p.id > m.pool_last_id",
                                         error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, harvest->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, modality, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      vigil_db_set_error (db, error, "Counting the retraining pool failed");
      return FALSE;
    }
  *out_due = sqlite3_column_int64 (stmt, 0) >= harvest->config.retrain_after;
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
count_session (VigilDb     *db,
               const char  *session_id,
               gint64      *out_count,
               GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT count(*) FROM profile_pool WHERE session_id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      vigil_db_set_error (db, error, "Counting the retraining pool failed");
      return FALSE;
    }
  *out_count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
write_admission (VigilDb   *db,
                 gpointer   user_data,
                 GError   **error)
{
  Harvest *harvest = user_data;
  gboolean eligible;

  /* Again, in this transaction: an analyst may have called the session
   * fraud while it was being scored. */
  if (!session_eligible (db, harvest, &eligible, error))
    return FALSE;
  if (eligible && !insert_candidates (db, harvest, error))
    return FALSE;

  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    if (!expire (db, harvest, vigil_modality_to_string (m), error) ||
        !retrain_due (db, harvest, vigil_modality_to_string (m), &harvest->due[m], error))
      return FALSE;

  return count_session (db, harvest->session_id, &harvest->in_pool, error);
}

/* The steps on the main context */

static void
finish_harvest (Harvest      *harvest,
                const GError *error)
{
  g_autoptr(GPtrArray) waiters = NULL;
  g_autofree char *key = NULL;

  if (error == NULL)
    _vigil_profiles_status_changed (harvest->self, harvest->user_id);
  if (g_hash_table_steal_extended (_vigil_profiles_get_harvests (harvest->self), harvest->key,
                                   (gpointer *) &key, (gpointer *) &waiters))
    for (guint i = 0; i < waiters->len; i++)
      {
        if (error != NULL)
          g_task_return_error (g_ptr_array_index (waiters, i), g_error_copy (error));
        else
          g_task_return_int (g_ptr_array_index (waiters, i), harvest->in_pool);
      }
  harvest_free (harvest);
}

static void
on_retrained (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Harvest *harvest = user_data;
  g_autoptr(GError) error = NULL;

  /* A failed retraining keeps the previous model; the pool stays for the
   * next attempt. */
  if (!g_task_propagate_boolean (G_TASK (result), &error) &&
      !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    g_warning ("Retraining a model of %s failed: %s", harvest->user_id, error->message);
  if (--harvest->pending == 0)
    finish_harvest (harvest, NULL);
}

static void
on_admitted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Harvest *harvest = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (_vigil_profiles_get_store (harvest->self), result, &error))
    {
      finish_harvest (harvest, error);
      return;
    }

  harvest->pending = 1;   /* this function's own hold, released below */
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    if (harvest->due[m])
      {
        g_autoptr(GTask) waiter = g_task_new (harvest->self, NULL, on_retrained, harvest);

        g_debug ("Retraining the %s model of %s from its pool", vigil_modality_to_string (m), harvest->user_id);
        harvest->pending++;
        _vigil_profiles_train (harvest->self, harvest->user_id, m, waiter);
      }
  if (--harvest->pending == 0)
    finish_harvest (harvest, NULL);
}

static void
admit (Harvest *harvest)
{
  vigil_store_write_async (_vigil_profiles_get_store (harvest->self), write_admission, harvest, NULL, NULL,
                           on_admitted, harvest);
}

static void
on_scored (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Harvest *harvest = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    finish_harvest (harvest, error);
  else
    admit (harvest);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Harvest *harvest = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;

  if (!vigil_store_write_finish (_vigil_profiles_get_store (harvest->self), result, &error))
    {
      finish_harvest (harvest, error);
      return;
    }
  /* Not eligible: nothing to score, but expiry and the count still run. */
  if (!harvest->eligible)
    {
      admit (harvest);
      return;
    }
  task = g_task_new (harvest->self, NULL, on_scored, harvest);
  g_task_set_task_data (task, harvest, NULL);
  g_task_run_in_thread (task, score_in_thread);
}

/* The live modalities' vectors the session scored (@scored, nullable)
 * are candidates already: those clearly normal join the payloads' own. */
static void
start_harvest (VigilProfiles       *self,
               const char          *user_id,
               const char          *session_id,
               gboolean             confirmed,
               GPtrArray           *scored,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) waiter = NULL;
  g_autofree char *key = NULL;
  GHashTable *harvests;
  GPtrArray *waiters;
  Harvest *harvest;

  waiter = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (waiter, vigil_profiles_harvest_async);

  /* A harvest of the same session in flight answers this one too (the
   * session's end, with its live vectors, answers a plain one); one that
   * brings live vectors runs on its own, so that they are not lost. */
  harvests = _vigil_profiles_get_harvests (self);
  if (scored == NULL && !confirmed)
    {
      key = g_strdup_printf ("%s/live", session_id);
      waiters = g_hash_table_lookup (harvests, key);
      g_clear_pointer (&key, g_free);
      if (waiters != NULL)
        {
          g_ptr_array_add (waiters, g_steal_pointer (&waiter));
          return;
        }
    }
  key = g_strdup_printf ("%s/%s", session_id, scored ? "live" : confirmed ? "confirmed" : "ended");
  waiters = g_hash_table_lookup (harvests, key);
  if (waiters != NULL)
    {
      g_ptr_array_add (waiters, g_steal_pointer (&waiter));
      return;
    }
  waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiters, g_steal_pointer (&waiter));
  g_hash_table_insert (harvests, g_strdup (key), waiters);

  harvest = g_new0 (Harvest, 1);
  harvest->self = g_object_ref (self);
  harvest->key = g_steal_pointer (&key);
  harvest->user_id = g_strdup (user_id);
  harvest->session_id = g_strdup (session_id);
  harvest->confirmed = confirmed;
  harvest->config = *_vigil_profiles_get_pool_config (self);
  harvest->now_us = vigil_clock_now_us (_vigil_profiles_get_clock (self));
  harvest->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) _vigil_pool_candidate_free);
  for (guint i = 0; scored != NULL && i < scored->len; i++)
    {
      VigilPoolCandidate *candidate = g_ptr_array_index (scored, i);

      /* The same admission as a payload's vectors (see score_payload). */
      if (candidate->modality >= VIGIL_N_MAXIDOM_MODALITIES && candidate->score <= harvest->config.admit_below)
        g_ptr_array_add (harvest->candidates, g_steal_pointer (&scored->pdata[i]));
    }

  /* Through the writer first: every decision on the session queued before
   * this has committed by the time the check reads them. */
  vigil_store_write_async (_vigil_profiles_get_store (self), write_check, harvest, NULL, NULL, on_checked, harvest);
}

void
vigil_profiles_harvest_async (VigilProfiles       *self,
                              const char          *user_id,
                              const char          *session_id,
                              gboolean             confirmed,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (VIGIL_IS_PROFILES (self));
  g_return_if_fail (user_id != NULL && session_id != NULL);

  start_harvest (self, user_id, session_id, confirmed, NULL, cancellable, callback, user_data);
}

gint64
vigil_profiles_harvest_finish (VigilProfiles  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static void
on_harvested (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (vigil_profiles_harvest_finish (VIGIL_PROFILES (source), result, &error) < 0 &&
      !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    g_warning ("Adding a session to the retraining pool failed: %s", error->message);
}

void
_vigil_profiles_session_ended (VigilProfiles *self,
                               const char    *user_id,
                               const char    *session_id,
                               GPtrArray     *scored)
{
  VigilDb *db = vigil_store_get_reader (_vigil_profiles_get_store (self));
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  /* Vectors scored live prove a model. */
  if (scored != NULL && scored->len > 0)
    {
      start_harvest (self, user_id, session_id, FALSE, scored, NULL, on_harvested, NULL);
      return;
    }
  /* Without a model nothing can be scored: most sessions of a fresh
   * installation end here, without a round through the writer. */
  stmt = vigil_db_prepare (db, "SELECT 1 FROM profile_models WHERE user_id = ? LIMIT 1", &error);
  if (stmt == NULL)
    {
      g_debug ("Cannot look for the models of %s: %s", user_id, error->message);
      return;
    }
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    vigil_profiles_harvest_async (self, user_id, session_id, FALSE, NULL, on_harvested, NULL);
}

void
_vigil_profiles_label_applied (VigilProfiles *self,
                               const char    *user_id,
                               const char    *session_id,
                               const char    *label)
{
  if (user_id == NULL)
    return;
  g_hash_table_remove (_vigil_profiles_get_adjustments (self), user_id);
  _vigil_profiles_status_changed (self, user_id);
  if (session_id != NULL && g_strcmp0 (label, "allow") == 0)
    vigil_profiles_harvest_async (self, user_id, session_id, TRUE, NULL, on_harvested, NULL);
}
