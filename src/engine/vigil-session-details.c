/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-session-details"

#include "config.h"

#include "vigil-session-details.h"

#include <sqlite3.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-risk-private.h"

#define SECURITY_EVENTS_LIMIT 100

static void
risk_point_free (VigilRiskPoint *point)
{
  g_free (point->decision);
  g_free (point);
}

static void
security_event_free (VigilSecurityEvent *event)
{
  g_free (event->kind);
  g_free (event->severity);
  g_free (event->details);
  g_free (event);
}

void
vigil_session_details_free (VigilSessionDetails *details)
{
  if (details == NULL)
    return;
  g_free (details->session_id);
  g_clear_pointer (&details->risk_history, g_ptr_array_unref);
  g_clear_pointer (&details->events, g_ptr_array_unref);
  g_clear_pointer (&details->reasons, g_ptr_array_unref);
  g_free (details->decision);
  g_clear_pointer (&details->security_events, g_ptr_array_unref);
  g_free (details->device_id);
  g_clear_pointer (&details->context, json_object_unref);
  g_free (details->end_reason);
  g_free (details);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs @stmt to its end; FALSE with @error when it failed midway. */
static gboolean
finish_rows (VigilDb       *db,
             sqlite3_stmt  *stmt,
             int            rc,
             const char    *what,
             GError       **error)
{
  if (rc != SQLITE_DONE)
    vigil_db_set_error (db, error, what);
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static void
add_reasons_from_json (VigilSessionDetails *details,
                       const char          *json)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array;

  node = json ? json_from_string (json, &error) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      if (error != NULL)
        g_debug ("Unreadable reasons of %s: %s", details->session_id, error->message);
      return;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *reason = json_array_get_object_element (array, i);

      if (reason == NULL)
        continue;
      g_ptr_array_add (details->reasons,
                       _vigil_risk_reason_new (json_object_get_string_member_with_default (reason, "code", ""),
                                               json_object_get_string_member_with_default (reason, "text", ""),
                                               json_object_get_double_member_with_default (reason, "weight", 0),
                                               json_object_get_double_member_with_default (reason, "confidence", 0)));
    }
}

static gboolean
read_session (VigilDb              *db,
              VigilSessionDetails  *details,
              GError              **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT device_id, context, end_reason FROM sessions WHERE id = ?", error);
  g_autofree char *context = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, details->session_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Session %s not found", details->session_id);
      else
        vigil_db_set_error (db, error, "Cannot read the session");
      sqlite3_reset (stmt);
      return FALSE;
    }
  details->device_id = column_text (stmt, 0);
  context = column_text (stmt, 1);
  details->end_reason = column_text (stmt, 2);
  sqlite3_reset (stmt);

  if (context != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (context, NULL);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        details->context = json_object_ref (json_node_get_object (node));
    }
  return TRUE;
}

/* The decisions, oldest first; the newest one's reasons unless the live
 * evaluation already gave them. */
static gboolean
read_decisions (VigilDb              *db,
                VigilSessionDetails  *details,
                GError              **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT at, risk, decision, confidence, reasons FROM decisions"
                                             " WHERE session_id = ? ORDER BY at, rowid", error);
  g_autofree char *last_reasons = NULL;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, details->session_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilRiskPoint *point = g_new0 (VigilRiskPoint, 1);

      point->at_us = sqlite3_column_int64 (stmt, 0);
      point->risk = sqlite3_column_double (stmt, 1);
      point->decision = column_text (stmt, 2);
      point->confidence = sqlite3_column_double (stmt, 3);
      g_ptr_array_add (details->risk_history, point);
      g_free (last_reasons);
      last_reasons = column_text (stmt, 4);
    }
  if (!finish_rows (db, stmt, rc, "Cannot read the decisions", error))
    return FALSE;

  if (details->decision == NULL && details->risk_history->len > 0)
    {
      VigilRiskPoint *last = g_ptr_array_index (details->risk_history, details->risk_history->len - 1);

      details->decision = g_strdup (last->decision);
      details->risk = last->risk;
      details->confidence = last->confidence;
      add_reasons_from_json (details, last_reasons);
    }
  return TRUE;
}

static gboolean
read_events (VigilDb              *db,
             VigilSessionDetails  *details,
             GError              **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT seq, received_at, timestamp, event_type, data FROM events"
                                             " WHERE session_id = ? ORDER BY seq DESC LIMIT ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, details->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, VIGIL_SESSION_DETAILS_EVENTS);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilEvent *event = g_atomic_rc_box_new0 (VigilEvent);

      event->session_id = g_strdup (details->session_id);
      event->seq = sqlite3_column_int64 (stmt, 0);
      event->received_at_us = sqlite3_column_int64 (stmt, 1);
      event->timestamp = column_text (stmt, 2);
      event->event_type = column_text (stmt, 3);
      event->data = column_text (stmt, 4);
      event->size = event->data ? strlen (event->data) : 0;
      g_ptr_array_add (details->events, event);
    }
  if (!finish_rows (db, stmt, rc, "Cannot read the events", error))
    return FALSE;
  /* Read newest first to take the newest; shown oldest first. */
  for (guint i = 0, j = details->events->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = details->events->pdata[i];

      details->events->pdata[i] = details->events->pdata[j - 1];
      details->events->pdata[j - 1] = tmp;
    }
  return TRUE;
}

static gboolean
read_security_events (VigilDb              *db,
                      VigilSessionDetails  *details,
                      GError              **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT at, kind, severity, details FROM security_events"
                                             " WHERE session_id = ? ORDER BY at DESC, id DESC LIMIT ?", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, details->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, SECURITY_EVENTS_LIMIT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilSecurityEvent *event = g_new0 (VigilSecurityEvent, 1);

      event->at_us = sqlite3_column_int64 (stmt, 0);
      event->kind = column_text (stmt, 1);
      event->severity = column_text (stmt, 2);
      event->details = column_text (stmt, 3);
      g_ptr_array_add (details->security_events, event);
    }
  return finish_rows (db, stmt, rc, "Cannot read the security events", error);
}

/* What the main context knew when the load started. */
typedef struct
{
  char              *session_id;
  VigilRiskDecision *live;     /* the live evaluation, nullable */
} Load;

static void
load_free (Load *load)
{
  g_free (load->session_id);
  g_clear_pointer (&load->live, vigil_risk_decision_free);
  g_free (load);
}

static VigilSessionDetails *
details_new (const Load *load)
{
  VigilSessionDetails *details = g_new0 (VigilSessionDetails, 1);

  details->session_id = g_strdup (load->session_id);
  details->risk_history = g_ptr_array_new_with_free_func ((GDestroyNotify) risk_point_free);
  details->events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  details->reasons = g_ptr_array_new_with_free_func (_vigil_risk_reason_free);
  details->security_events = g_ptr_array_new_with_free_func ((GDestroyNotify) security_event_free);
  if (load->live != NULL)
    {
      details->decision = g_strdup (vigil_decision_to_string (load->live->decision));
      details->risk = load->live->risk;
      details->confidence = load->live->confidence;
      for (guint i = 0; i < load->live->reasons->len; i++)
        {
          const VigilRiskReason *reason = g_ptr_array_index (load->live->reasons, i);

          g_ptr_array_add (details->reasons,
                           _vigil_risk_reason_new (reason->code, reason->text, reason->weight, reason->confidence));
        }
    }
  return details;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  VigilEngine *engine = source_object;
  g_autoptr(VigilSessionDetails) details = details_new (task_data);
  g_autoptr(VigilDb) db = NULL;
  GError *error = NULL;

  db = vigil_store_open_reader (vigil_engine_get_store (engine), &error);
  if (db == NULL ||
      !read_session (db, details, &error) ||
      !read_decisions (db, details, &error) ||
      !read_events (db, details, &error) ||
      !read_security_events (db, details, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&details), (GDestroyNotify) vigil_session_details_free);
}

void
vigil_session_details_load_async (VigilEngine         *engine,
                                  const char          *session_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Load *load;

  g_return_if_fail (VIGIL_IS_ENGINE (engine));
  g_return_if_fail (session_id != NULL);

  load = g_new0 (Load, 1);
  load->session_id = g_strdup (session_id);
  load->live = vigil_risk_get_last_decision (vigil_engine_get_risk (engine), session_id);

  task = g_task_new (engine, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_session_details_load_async);
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  g_task_run_in_thread (task, load_thread);
}

VigilSessionDetails *
vigil_session_details_load_finish (VigilEngine   *engine,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, engine), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
