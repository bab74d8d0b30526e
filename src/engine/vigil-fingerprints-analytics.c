/* SPDX-License-Identifier: GPL-3.0-or-later */
/* walmart's analytics, read from the store: a user's sessions, decisions
 * and fingerprint updates over some days, and the dashboard's figures for
 * the last day. */
#define G_LOG_DOMAIN "vigil-fingerprints"

#include "config.h"

#include <string.h>

#include "vigil-error.h"
#include "vigil-fingerprints-private.h"

#define HIGH_RISK 0.7
#define DAY_US (G_GINT64_CONSTANT (24) * 60 * 60 * G_USEC_PER_SEC)

/* Analytics */

static gboolean
query_row (VigilDb       *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW)
    {
      vigil_db_set_error (db, error, "An analytics query failed");
      sqlite3_reset (stmt);
      return FALSE;
    }
  return TRUE;
}

gboolean
vigil_fingerprints_session_analytics (VigilFingerprints      *self,
                                      const char             *user_id,
                                      guint                   days,
                                      VigilSessionAnalytics  *out,
                                      GError                **error)
{
  VigilDb *db;
  sqlite3_stmt *stmt;
  gint64 since;
  gboolean session_risk;
  double session_average;

  g_return_val_if_fail (VIGIL_IS_FINGERPRINTS (self), FALSE);
  g_return_val_if_fail (user_id != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (vigil_store_is_closed (self->store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return FALSE;
    }
  db = vigil_store_get_reader (self->store);
  since = vigil_clock_now_us (self->clock) - (gint64) days * DAY_US;

  /* sessions_by_user (user_id, started_at) */
  stmt = vigil_db_prepare (db,
                           "SELECT count(*), coalesce(sum(event_count), 0), avg(risk_score), max(started_at)"
                           " FROM sessions WHERE user_id = ?1 AND started_at >= ?2",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, since);
  if (!query_row (db, stmt, error))
    return FALSE;
  out->sessions = sqlite3_column_int64 (stmt, 0);
  out->events = sqlite3_column_int64 (stmt, 1);
  session_risk = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
  session_average = sqlite3_column_double (stmt, 2);
  out->last_session_at_us = sqlite3_column_int64 (stmt, 3);
  sqlite3_reset (stmt);

  /* decisions_by_session, for those sessions */
  stmt = vigil_db_prepare (db,
                           "SELECT count(*), avg(risk), coalesce(sum(risk >= ?3), 0) FROM decisions"
                           " WHERE session_id IN (SELECT id FROM sessions WHERE user_id = ?1 AND started_at >= ?2)",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, since);
  sqlite3_bind_double (stmt, 3, HIGH_RISK);
  if (!query_row (db, stmt, error))
    return FALSE;
  out->decisions = sqlite3_column_int64 (stmt, 0);
  out->high_risk_decisions = sqlite3_column_int64 (stmt, 2);
  /* Decisions are finer-grained than a session's last figure: they win. */
  if (out->decisions > 0)
    {
      out->has_risk = TRUE;
      out->average_risk = sqlite3_column_double (stmt, 1);
    }
  else if (session_risk)
    {
      out->has_risk = TRUE;
      out->average_risk = session_average;
    }
  sqlite3_reset (stmt);

  stmt = vigil_db_prepare (db, "SELECT coalesce(max(count), 0) FROM fingerprints WHERE user_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  if (!query_row (db, stmt, error))
    return FALSE;
  out->fingerprint_updates = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
count_query (VigilDb     *db,
             const char  *sql,
             gint64       since,
             guint64     *out,
             GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, since);
  if (!query_row (db, stmt, error))
    return FALSE;
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
vigil_fingerprints_dashboard (VigilFingerprints        *self,
                              VigilDashboardAnalytics  *out,
                              GError                  **error)
{
  VigilDb *db;

  g_return_val_if_fail (VIGIL_IS_FINGERPRINTS (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (vigil_store_is_closed (self->store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return FALSE;
    }
  db = vigil_store_get_reader (self->store);
  out->since_us = vigil_clock_now_us (self->clock) - DAY_US;

  if (self->sessions != NULL)
    {
      g_autoptr(GPtrArray) open = vigil_sessions_list_open (self->sessions);

      out->active_sessions = open->len;
    }

  /* Sessions (or lone decisions) judged at least suspicious in the last
   * day, and open sessions whose live risk is that high. */
  if (!count_query (db,
                    "SELECT count(*) FROM ("
                    " SELECT coalesce(session_id, id) FROM decisions WHERE at >= ?1 AND risk >= 0.7"
                    " UNION SELECT id FROM sessions WHERE state != 'ended' AND risk_score >= 0.7)",
                    out->since_us, &out->high_risk_count, error))
    return FALSE;
  /* audit_by_action (action, at) */
  if (!count_query (db,
                    "SELECT count(*) FROM audit_log WHERE action IN"
                    " ('auth.login', 'auth.login_failed', 'auth.rate_limited') AND at >= ?1",
                    out->since_us, &out->login_attempts, error))
    return FALSE;
  if (!count_query (db,
                    "SELECT count(*) FROM audit_log WHERE action IN"
                    " ('auth.rate_limited', 'auth.mpin_locked', 'auth.mpin_refused_locked', 'session.blocked')"
                    " AND at >= ?1",
                    out->since_us, &out->blocked_attempts, error))
    return FALSE;
  return TRUE;
}
