/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilRisk, continued: what only the ML engine surface asks for — past
 * sessions for the learning phase, analyst feedback, tracked sessions and
 * statistics. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <string.h>

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-profile-pool.h"
#include "vigil-risk-private.h"

gint64
vigil_risk_count_past_sessions (VigilRisk   *self,
                                const char  *user_id,
                                GError     **error)
{
  VigilDb *db;
  sqlite3_stmt *stmt;
  gint64 count;

  g_return_val_if_fail (VIGIL_IS_RISK (self), -1);

  if (!_vigil_risk_check_open (self, error))
    return -1;
  db = vigil_store_get_reader (self->store);
  stmt = vigil_db_prepare (db, "SELECT count(*) FROM sessions WHERE user_id = ? AND kind = 'authenticated'"
                               " AND ended_at IS NOT NULL", error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      vigil_db_set_error (db, error, "Cannot count sessions");
      sqlite3_reset (stmt);
      return -1;
    }
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

typedef struct
{
  char     *actor;
  char     *decision_id;
  char     *session_id;
  char     *user_id;
  char     *source;
  char     *label;
  char     *decision;         /* what the analyst judged */
  char     *decision_user;    /* whose thresholds and pool it concerns */
  char     *decision_session; /* the session judged */
  gboolean  was_correct;
  gint64    at_us;
  gint64    row_id;
} FeedbackWrite;

static void
feedback_write_free (FeedbackWrite *write)
{
  g_free (write->actor);
  g_free (write->decision_id);
  g_free (write->session_id);
  g_free (write->user_id);
  g_free (write->source);
  g_free (write->label);
  g_free (write->decision);
  g_free (write->decision_user);
  g_free (write->decision_session);
  g_free (write);
}

static gboolean
write_feedback (VigilDb   *db,
                gpointer   user_data,
                GError   **error)
{
  FeedbackWrite *write = user_data;
  g_autoptr(JsonObject) details = json_object_new ();
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db, "INSERT INTO feedback (decision_id, session_id, user_id, was_correct, label,"
                               " source, at) VALUES (?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, write->decision_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, write->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, write->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 4, write->was_correct ? 1 : 0);
  sqlite3_bind_text (stmt, 5, write->label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, write->source, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 7, write->at_us);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;
  write->row_id = sqlite3_last_insert_rowid (vigil_db_get_handle (db));

  json_object_set_string_member (details, "decision_id", write->decision_id);
  json_object_set_boolean_member (details, "was_correct", write->was_correct);
  json_object_set_string_member (details, "source", write->source);
  if (!vigil_audit_append_in_transaction (db, write->at_us, write->actor, "risk.feedback", write->session_id,
                                          NULL, details, error))
    return FALSE;

  /* The label is used at once, in the same transaction: fraud leaves the
   * retraining pool, and a confirmed mistake moves the user's threshold. */
  if (g_strcmp0 (write->label, "block") == 0 && write->decision_session != NULL &&
      !_vigil_pool_forget_session (db, write->decision_session, NULL, error))
    return FALSE;
  return _vigil_thresholds_apply (db, write->decision_user, write->decision, write->label, write->actor,
                                  write->decision_id, write->at_us, NULL, error);
}

static void
on_feedback_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FeedbackWrite *write = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  VigilRisk *self = VIGIL_RISK (g_task_get_source_object (task));

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _vigil_profiles_label_applied (self->profiles, write->decision_user, write->decision_session, write->label);
  g_task_return_int (task, write->row_id);
}

/* An analyst's verdict on an allow, a step-up or a block becomes a label:
 * a correct step-up caught someone who was not the user, a wrong one
 * stopped the user. A verdict on "monitor" says nothing either way. */
static char *
label_for (const char *decision,
           gboolean    was_correct)
{
  if (g_strcmp0 (decision, "allow") == 0)
    return g_strdup (was_correct ? "allow" : "block");
  if (g_strcmp0 (decision, "block") == 0 || g_strcmp0 (decision, "step_up") == 0)
    return g_strdup (was_correct ? "block" : "allow");
  return NULL;
}

void
vigil_risk_feedback_async (VigilRisk           *self,
                           const char          *actor,
                           const char          *user_id,
                           const char          *session_id,
                           const char          *decision_id,
                           gboolean             was_correct,
                           const char          *source,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  FeedbackWrite *write;
  sqlite3_stmt *stmt = NULL;
  VigilDb *db;

  g_return_if_fail (VIGIL_IS_RISK (self));
  g_return_if_fail (decision_id != NULL && source != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_risk_feedback_async);

  if (!_vigil_risk_check_open (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  db = vigil_store_get_reader (self->store);
  stmt = vigil_db_prepare (db, "SELECT decision, session_id, user_id FROM decisions WHERE id = ?", &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  sqlite3_bind_text (stmt, 1, decision_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Decision not found");
      return;
    }

  write = g_new0 (FeedbackWrite, 1);
  write->decision_id = g_strdup (decision_id);
  write->decision = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  write->label = label_for (write->decision, was_correct);
  write->decision_user = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  write->decision_session = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  write->session_id = g_strdup (session_id ? session_id : (const char *) sqlite3_column_text (stmt, 1));
  write->user_id = g_strdup (user_id ? user_id : (const char *) sqlite3_column_text (stmt, 2));
  sqlite3_reset (stmt);
  write->actor = g_strdup (actor ? actor : "system");
  write->source = g_strdup (source);
  write->was_correct = was_correct;
  write->at_us = vigil_clock_now_us (self->clock);
  g_task_set_task_data (task, write, (GDestroyNotify) feedback_write_free);

  vigil_store_write_async (self->store, write_feedback, write, NULL, NULL, on_feedback_written,
                           g_object_ref (task));
}

gint64
vigil_risk_feedback_finish (VigilRisk     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return g_task_propagate_int (G_TASK (result), error);
}

static int
compare_infos (gconstpointer a,
               gconstpointer b)
{
  const VigilRiskSessionInfo *ia = *(VigilRiskSessionInfo * const *) a;
  const VigilRiskSessionInfo *ib = *(VigilRiskSessionInfo * const *) b;

  if (ia->started_at_us != ib->started_at_us)
    return ia->started_at_us < ib->started_at_us ? -1 : 1;
  return g_strcmp0 (ia->session_id, ib->session_id);
}

GPtrArray *
vigil_risk_list_sessions (VigilRisk *self)
{
  GPtrArray *infos;
  GHashTableIter iter;
  RiskState *state;

  g_return_val_if_fail (VIGIL_IS_RISK (self), NULL);

  infos = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_risk_session_info_free);
  g_hash_table_iter_init (&iter, self->states);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &state))
    {
      VigilRiskSessionInfo *info = g_new0 (VigilRiskSessionInfo, 1);

      info->session_id = g_strdup (state->session_id);
      info->user_id = g_strdup (state->user_id);
      info->started_at_us = state->started_at_us;
      info->risk = state->last ? state->last->risk : 0;
      info->events = state->events;
      info->live = state->live;
      g_ptr_array_add (infos, info);
    }
  g_ptr_array_sort (infos, compare_infos);
  return infos;
}

gboolean
vigil_risk_get_stats (VigilRisk       *self,
                      VigilRiskStats  *stats,
                      GError         **error)
{
  VigilDb *db;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (VIGIL_IS_RISK (self), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  memset (stats, 0, sizeof *stats);
  if (!_vigil_risk_check_open (self, error))
    return FALSE;
  db = vigil_store_get_reader (self->store);
  stmt = vigil_db_prepare (db, "SELECT decision, count(*) FROM decisions GROUP BY decision", error);
  if (stmt == NULL)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 0);

      for (VigilDecision d = VIGIL_DECISION_ALLOW; d <= VIGIL_DECISION_BLOCK; d++)
        if (g_strcmp0 (kind, vigil_decision_to_string (d)) == 0)
          stats->decisions[d] = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  stats->events_analyzed = self->events_analyzed;
  return vigil_db_query_int (db, "SELECT count(*) FROM feedback", &stats->feedback, error) &&
         vigil_db_query_int (db, "SELECT count(*) FROM feedback WHERE label = 'allow'", &stats->feedback_allow,
                             error) &&
         vigil_db_query_int (db, "SELECT count(*) FROM feedback WHERE label = 'block'", &stats->feedback_block,
                             error) &&
         vigil_db_query_int (db, "SELECT count(*) FROM profile_pool", &stats->pool_vectors, error) &&
         vigil_db_query_int (db, "SELECT COALESCE (sum(was_correct), 0) FROM feedback", &stats->feedback_correct, error) &&
         vigil_db_query_int (db, "SELECT count(*) FROM security_events", &stats->security_events, error);
}

VigilDecision
vigil_risk_decide_adjusted (double         risk,
                            double         confidence,
                            double         adjustment,
                            VigilDecision *out_requested)
{
  double step_up = VIGIL_RISK_SUSPICIOUS_THRESHOLD +
                   CLAMP (adjustment, -VIGIL_THRESHOLD_MAX_ADJUSTMENT, VIGIL_THRESHOLD_MAX_ADJUSTMENT);
  VigilDecision requested;
  VigilDecision decision = vigil_risk_decide (risk, confidence, &requested);

  /* Only the step-up boundary moves; monitor and block stay where they
   * are, and the bound keeps it strictly between them. */
  if (requested == VIGIL_DECISION_STEP_UP && risk < step_up)
    requested = decision = VIGIL_DECISION_MONITOR;
  else if (requested == VIGIL_DECISION_MONITOR && risk >= step_up)
    requested = decision = VIGIL_DECISION_STEP_UP;
  if (out_requested != NULL)
    *out_requested = requested;
  return decision;
}
