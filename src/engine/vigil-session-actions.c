/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-session-actions"

#include "config.h"

#include "vigil-session-actions.h"

#include <sqlite3.h>

#include "vigil-audit.h"
#include "vigil-error.h"

typedef struct
{
  char               *session_id;
  char               *actor;
  char               *reason;
  char               *user_id;
  char               *decision_id;
  VigilSessionAction  action;
} Run;

static void
run_free (Run *run)
{
  g_free (run->session_id);
  g_free (run->actor);
  g_free (run->reason);
  g_free (run->user_id);
  g_free (run->decision_id);
  g_free (run);
}

const char *
vigil_session_action_to_audit (VigilSessionAction action)
{
  switch (action)
    {
    case VIGIL_SESSION_ACTION_BLOCK:        return "session.block";
    case VIGIL_SESSION_ACTION_ALLOW:        return "session.allow";
    case VIGIL_SESSION_ACTION_REQUIRE_MPIN: return "session.require_mpin";
    case VIGIL_SESSION_ACTION_END:          return "session.end";
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
on_audited (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_audit_append_finish (VIGIL_STORE (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
audit (GTask *task)
{
  VigilEngine *engine = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autoptr(JsonObject) details = json_object_new ();

  json_object_set_string_member (details, "reason", run->reason);
  if (run->user_id != NULL)
    json_object_set_string_member (details, "user_id", run->user_id);
  if (run->decision_id != NULL)
    json_object_set_string_member (details, "decision_id", run->decision_id);

  vigil_audit_append_async (vigil_engine_get_store (engine), vigil_clock_now_us (vigil_engine_get_clock (engine)),
                            run->actor, vigil_session_action_to_audit (run->action), run->session_id, NULL,
                            details, NULL, on_audited, g_object_ref (task));
}

static void
on_ended (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = vigil_sessions_end_finish (VIGIL_SESSIONS (source), result, &error);

  if (path == NULL && error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  audit (task);
}

static void
on_feedback (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (vigil_risk_feedback_finish (VIGIL_RISK (source), result, &error) < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  audit (task);
}

/* The newest stored decision on the session, and what it decided. */
static char *
latest_decision (VigilEngine  *engine,
                 const char   *session_id,
                 char        **out_decision,
                 GError      **error)
{
  VigilDb *db = vigil_store_get_reader (vigil_engine_get_store (engine));
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT id, decision FROM decisions WHERE session_id = ?"
                                             " ORDER BY at DESC, rowid DESC LIMIT 1", error);
  char *id = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *out_decision = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  else if (rc != SQLITE_DONE)
    vigil_db_set_error (db, error, "Cannot read the decisions");
  sqlite3_reset (stmt);
  return id;
}

/* An analyst's "safe": the latest decision was right when it allowed,
 * wrong otherwise; without any decision there is nothing to label. */
static void
allow (GTask *task)
{
  VigilEngine *engine = g_task_get_source_object (task);
  Run *run = g_task_get_task_data (task);
  g_autofree char *decision = NULL;
  g_autoptr(GError) error = NULL;

  run->decision_id = latest_decision (engine, run->session_id, &decision, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (run->decision_id == NULL)
    {
      audit (task);
      return;
    }
  vigil_risk_feedback_async (vigil_engine_get_risk (engine), run->actor, run->user_id, run->session_id,
                             run->decision_id, g_strcmp0 (decision, "allow") == 0, "console",
                             g_task_get_cancellable (task), on_feedback, g_object_ref (task));
}

static gboolean
known_session (VigilEngine  *engine,
               Run          *run,
               GError      **error)
{
  VigilSessions *sessions = vigil_engine_get_sessions (engine);
  VigilSession *live = vigil_sessions_lookup (sessions, run->session_id);
  g_autoptr(VigilSessionInfo) info = NULL;

  if (live != NULL)
    {
      run->user_id = g_strdup (vigil_session_get_user_id (live));
      return TRUE;
    }
  info = vigil_sessions_get_info (sessions, run->session_id, error);
  if (info == NULL)
    return FALSE;
  run->user_id = g_strdup (info->user_id);
  if (run->action != VIGIL_SESSION_ACTION_ALLOW)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "Session has ended");
      return FALSE;
    }
  return TRUE;
}

void
vigil_session_action_run_async (VigilEngine         *engine,
                                const char          *session_id,
                                VigilSessionAction   action,
                                const char          *actor,
                                const char          *reason,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  VigilSessions *sessions;
  Run *run;

  g_return_if_fail (VIGIL_IS_ENGINE (engine));
  g_return_if_fail (session_id != NULL);
  g_return_if_fail (action <= VIGIL_SESSION_ACTION_END);

  task = g_task_new (engine, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_session_action_run_async);

  run = g_new0 (Run, 1);
  run->session_id = g_strdup (session_id);
  run->action = action;
  run->actor = g_strstrip (g_strdup (actor ? actor : ""));
  run->reason = g_strstrip (g_strdup (reason ? reason : ""));
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);

  if (run->reason[0] == '\0' || run->actor[0] == '\0')
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                               run->actor[0] == '\0' ? "An actor is required" : "A reason is required");
      return;
    }
  if (!known_session (engine, run, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  sessions = vigil_engine_get_sessions (engine);
  switch (action)
    {
    case VIGIL_SESSION_ACTION_BLOCK:
      if (!vigil_sessions_block (sessions, session_id, run->reason, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        audit (task);
      break;
    case VIGIL_SESSION_ACTION_REQUIRE_MPIN:
      if (!vigil_sessions_require_mpin (sessions, session_id, &error))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        audit (task);
      break;
    case VIGIL_SESSION_ACTION_END:
      vigil_sessions_end_async (sessions, session_id, VIGIL_END_REASON_ANALYST, NULL, cancellable, on_ended,
                                g_object_ref (task));
      break;
    case VIGIL_SESSION_ACTION_ALLOW:
      allow (task);
      break;
    default:
      g_assert_not_reached ();
    }
}

gboolean
vigil_session_action_run_finish (VigilEngine   *engine,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, engine), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
