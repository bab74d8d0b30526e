/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilRisk: per-session risk state fed by the event bus, decisions
 * stored with their security event and audit entry in one transaction,
 * and the ML engine surface (explicit sessions, analysis, feedback,
 * statistics). The evidence itself is added up in vigil-risk-rules.c. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-profile-pool.h"
#include "vigil-risk-private.h"
#include "vigil-session-private.h"

/* History: a quarter of the risk the user's last ended session had, halved
 * for every day since it ended. */
#define HISTORY_SHARE          0.25
#define HISTORY_HALF_LIFE_H    24.0
#define HISTORY_CONFIDENCE     0.8

G_DEFINE_FINAL_TYPE (VigilRisk, vigil_risk, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (VigilRiskDecision, vigil_risk_decision, vigil_risk_decision_copy, vigil_risk_decision_free)

const char *
vigil_decision_to_string (VigilDecision decision)
{
  switch (decision)
    {
    case VIGIL_DECISION_ALLOW:
      return "allow";
    case VIGIL_DECISION_MONITOR:
      return "monitor";
    case VIGIL_DECISION_STEP_UP:
      return "step_up";
    case VIGIL_DECISION_BLOCK:
      return "block";
    default:
      g_return_val_if_reached ("allow");
    }
}

VigilDecision
vigil_risk_decide (double         risk,
                   double         confidence,
                   VigilDecision *out_requested)
{
  VigilDecision requested;

  if (risk >= VIGIL_RISK_HIGH_THRESHOLD)
    requested = VIGIL_DECISION_BLOCK;
  else if (risk >= VIGIL_RISK_SUSPICIOUS_THRESHOLD)
    requested = VIGIL_DECISION_STEP_UP;
  else if (risk >= VIGIL_RISK_MONITOR_THRESHOLD)
    requested = VIGIL_DECISION_MONITOR;
  else
    requested = VIGIL_DECISION_ALLOW;

  if (out_requested != NULL)
    *out_requested = requested;
  /* Strictly above: a block at exactly 0.8 steps up instead. */
  if (requested == VIGIL_DECISION_BLOCK && !(confidence > VIGIL_RISK_BLOCK_CONFIDENCE))
    return VIGIL_DECISION_STEP_UP;
  return requested;
}

void
vigil_risk_decision_free (VigilRiskDecision *decision)
{
  if (decision == NULL)
    return;
  g_free (decision->id);
  g_free (decision->session_id);
  g_free (decision->user_id);
  g_clear_pointer (&decision->reasons, g_ptr_array_unref);
  g_free (decision);
}

VigilRiskDecision *
vigil_risk_decision_copy (const VigilRiskDecision *decision)
{
  VigilRiskDecision *copy;

  g_return_val_if_fail (decision != NULL, NULL);

  copy = g_memdup2 (decision, sizeof *decision);
  copy->id = g_strdup (decision->id);
  copy->session_id = g_strdup (decision->session_id);
  copy->user_id = g_strdup (decision->user_id);
  copy->reasons = g_ptr_array_new_full (decision->reasons->len, _vigil_risk_reason_free);
  for (guint i = 0; i < decision->reasons->len; i++)
    {
      const VigilRiskReason *reason = g_ptr_array_index (decision->reasons, i);

      g_ptr_array_add (copy->reasons,
                       _vigil_risk_reason_new (reason->code, reason->text, reason->weight, reason->confidence));
    }
  return copy;
}

void
vigil_risk_session_info_free (VigilRiskSessionInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->session_id);
  g_free (info->user_id);
  g_free (info);
}

static void
vigil_risk_dispose (GObject *object)
{
  VigilRisk *self = VIGIL_RISK (object);

  _vigil_risk_shutdown (self);
  g_clear_pointer (&self->states, g_hash_table_unref);
  g_clear_pointer (&self->remotes, g_hash_table_unref);
  g_clear_pointer (&self->own_events, g_hash_table_unref);
  g_clear_object (&self->remote_cancellable);
  g_clear_pointer (&self->remote_last_error, g_free);
  g_clear_object (&self->bus);
  g_clear_object (&self->sessions);
  g_clear_object (&self->profiles);
  g_clear_object (&self->store);
  g_clear_pointer (&self->clock, vigil_clock_unref);

  G_OBJECT_CLASS (vigil_risk_parent_class)->dispose (object);
}

static guint decision_made_signal;

static void
vigil_risk_class_init (VigilRiskClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vigil_risk_dispose;

  decision_made_signal =
    g_signal_new ("decision-made", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, VIGIL_TYPE_RISK_DECISION);
}

static void
vigil_risk_init (VigilRisk *self)
{
  self->states = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) _vigil_risk_state_free);
  _vigil_risk_remote_init (self);
  vigil_risk_thresholds_init_default (&self->thresholds);
}

/* Storing decisions */

typedef struct
{
  VigilRiskDecision *decision;
  gboolean           in_store;
  char              *reasons_json;
  JsonObject        *details;
} DecisionWrite;

static void
decision_write_free (DecisionWrite *write)
{
  vigil_risk_decision_free (write->decision);
  g_free (write->reasons_json);
  g_clear_pointer (&write->details, json_object_unref);
  g_free (write);
}

static const char *
severity_of (VigilDecision decision)
{
  switch (decision)
    {
    case VIGIL_DECISION_BLOCK:
      return "critical";
    case VIGIL_DECISION_STEP_UP:
    case VIGIL_DECISION_MONITOR:
      return "warning";
    case VIGIL_DECISION_ALLOW:
    default:
      return "info";
    }
}

static const char *
decision_source (const VigilRiskDecision *decision)
{
  return decision->source != NULL ? decision->source : "local";
}

static gboolean
write_decision (VigilDb   *db,
                gpointer   user_data,
                GError   **error)
{
  DecisionWrite *write = user_data;
  VigilRiskDecision *decision = write->decision;
  g_autoptr(JsonNode) details_node = json_node_init_object (json_node_alloc (), write->details);
  g_autofree char *details = json_to_string (details_node, FALSE);
  g_autofree char *kind = g_strconcat ("risk.", vigil_decision_to_string (decision->decision), NULL);
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db, "INSERT INTO decisions (id, session_id, user_id, at, risk, decision, confidence,"
                               " reasons, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, decision->id, -1, SQLITE_TRANSIENT);
  /* A session of another backend (the ML surface) has no sessions row. */
  if (write->in_store)
    sqlite3_bind_text (stmt, 2, decision->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, decision->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, decision->at_us);
  sqlite3_bind_double (stmt, 5, decision->risk);
  sqlite3_bind_text (stmt, 6, vigil_decision_to_string (decision->decision), -1, SQLITE_STATIC);
  sqlite3_bind_double (stmt, 7, decision->confidence);
  sqlite3_bind_text (stmt, 8, write->reasons_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 9, decision_source (decision), -1, SQLITE_STATIC);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;

  stmt = vigil_db_prepare (db, "INSERT INTO security_events (at, session_id, user_id, kind, severity, details)"
                               " VALUES (?, ?, ?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, decision->at_us);
  sqlite3_bind_text (stmt, 2, decision->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, decision->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, severity_of (decision->decision), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, details, -1, SQLITE_TRANSIENT);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;

  if (write->in_store)
    {
      stmt = vigil_db_prepare (db, "UPDATE sessions SET risk_score = ? WHERE id = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_double (stmt, 1, decision->risk);
      sqlite3_bind_text (stmt, 2, decision->session_id, -1, SQLITE_TRANSIENT);
      if (!vigil_db_step_done (db, stmt, error))
        return FALSE;
    }

  return vigil_audit_append_in_transaction (db, decision->at_us, "system", "risk.decision", decision->session_id,
                                            NULL, write->details, error);
}

static DecisionWrite *
decision_write_new (RiskState               *state,
                    const VigilRiskDecision *decision)
{
  DecisionWrite *write = g_new0 (DecisionWrite, 1);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) reasons = NULL;
  g_autoptr(JsonArray) codes = json_array_new ();

  write->decision = vigil_risk_decision_copy (decision);
  write->in_store = state->in_store;

  json_builder_begin_array (builder);
  for (guint i = 0; i < decision->reasons->len; i++)
    {
      const VigilRiskReason *reason = g_ptr_array_index (decision->reasons, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, reason->code);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, reason->text);
      json_builder_set_member_name (builder, "weight");
      json_builder_add_double_value (builder, reason->weight);
      json_builder_set_member_name (builder, "confidence");
      json_builder_add_double_value (builder, reason->confidence);
      json_builder_end_object (builder);
      json_array_add_string_element (codes, reason->code);
    }
  json_builder_end_array (builder);
  reasons = json_builder_get_root (builder);
  write->reasons_json = json_to_string (reasons, FALSE);

  write->details = json_object_new ();
  json_object_set_string_member (write->details, "decision_id", decision->id);
  json_object_set_string_member (write->details, "decision", vigil_decision_to_string (decision->decision));
  json_object_set_string_member (write->details, "requested", vigil_decision_to_string (decision->requested));
  json_object_set_double_member (write->details, "risk", decision->risk);
  json_object_set_double_member (write->details, "confidence", decision->confidence);
  json_object_set_string_member (write->details, "source", decision_source (decision));
  json_object_set_array_member (write->details, "reasons", g_steal_pointer (&codes));
  return write;
}

static void
on_decision_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(VigilStore) store = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (store, result, &error) &&
      !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    g_warning ("A risk decision could not be stored: %s", error->message);
}

/* step_up and block act on live sessions only; the ML surface's other
 * sessions belong to a backend that acts on the answer itself. */
static void
execute (VigilRisk               *self,
         RiskState               *state,
         const VigilRiskDecision *decision)
{
  g_autoptr(GError) error = NULL;
  VigilSession *session;
  const char *why = "Suspicious behaviour";

  if (!state->live || (session = vigil_sessions_lookup (self->sessions, state->session_id)) == NULL)
    return;
  if (decision->decision == VIGIL_DECISION_BLOCK)
    {
      if (decision->reasons->len > 0)
        why = ((VigilRiskReason *) g_ptr_array_index (decision->reasons, 0))->text;
      if (!vigil_sessions_block (self->sessions, state->session_id, why, &error))
        g_debug ("Cannot block %s: %s", state->session_id, error->message);
    }
  else if (decision->decision == VIGIL_DECISION_STEP_UP &&
           vigil_session_get_state (session) != VIGIL_SESSION_BLOCKED)
    {
      if (!vigil_sessions_require_mpin (self->sessions, state->session_id, &error))
        g_debug ("Cannot step up %s: %s", state->session_id, error->message);
    }
}

static void
make_latest (VigilRisk         *self,
             RiskState         *state,
             VigilRiskDecision *decision)
{
  VigilSession *session;

  if (state->last != decision)
    g_clear_pointer (&state->last, vigil_risk_decision_free);
  state->last = decision;

  if (state->live && (session = vigil_sessions_lookup (self->sessions, state->session_id)) != NULL)
    {
      _vigil_session_set_risk_score (session, decision->risk);
      vigil_event_bus_post_session (self->bus, session);
    }
}

void
_vigil_risk_evaluate_only (VigilRisk *self,
                           RiskState *state)
{
  VigilRiskDecision *decision = _vigil_risk_state_evaluate (state, vigil_clock_now_us (self->clock));

  _vigil_risk_apply_thresholds (self, decision, state->step_up_adjustment);
  make_latest (self, state, decision);
}

VigilRiskDecision *
_vigil_risk_commit (VigilRisk           *self,
                    RiskState           *state,
                    VigilRiskDecision   *decision,
                    gboolean             always,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  VigilDecision previous = state->has_stored ? state->stored : VIGIL_DECISION_ALLOW;
  gboolean changed = decision->decision != previous;

  make_latest (self, state, decision);

  if (changed || always)
    {
      decision->id = g_uuid_string_random ();
      state->has_stored = TRUE;
      state->stored = decision->decision;
      vigil_store_write_async (self->store, write_decision, decision_write_new (state, decision),
                               (GDestroyNotify) decision_write_free, NULL,
                               callback ? callback : on_decision_written,
                               callback ? user_data : g_object_ref (self->store));
      g_debug ("Session %s: %s (risk %.3f, confidence %.3f)", state->session_id,
               vigil_decision_to_string (decision->decision), decision->risk, decision->confidence);
    }
  if (changed)
    execute (self, state, decision);
  if (changed || always)
    g_signal_emit (self, decision_made_signal, 0, decision);
  return decision;
}

/* Evaluates @state; stores (with @always, or when the outcome changed)
 * and executes. Answers the evaluation, owned by @state. */
static VigilRiskDecision *
decide (VigilRisk           *self,
        RiskState           *state,
        gboolean             always,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  VigilRiskDecision *decision = _vigil_risk_state_evaluate (state, vigil_clock_now_us (self->clock));

  _vigil_risk_apply_thresholds (self, decision, state->step_up_adjustment);
  return _vigil_risk_commit (self, state, decision, always, callback, user_data);
}

VigilRiskDecision *
_vigil_risk_decide_locally (VigilRisk *self,
                            RiskState *state)
{
  return decide (self, state, FALSE, NULL, NULL);
}

/* Live sessions */

static void
add_history (VigilRisk *self,
             RiskState *state)
{
  sqlite3_stmt *stmt;
  VigilDb *db;
  double previous, age_h, prior;

  if (state->user_id == NULL)
    return;
  db = vigil_store_get_reader (self->store);
  stmt = vigil_db_prepare (db, "SELECT risk_score, ended_at FROM sessions"
                               " WHERE user_id = ? AND id != ? AND risk_score IS NOT NULL"
                               " AND ended_at IS NOT NULL ORDER BY ended_at DESC LIMIT 1", NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_text (stmt, 1, state->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, state->session_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return;
    }
  previous = sqlite3_column_double (stmt, 0);
  age_h = MAX (0, state->started_at_us - sqlite3_column_int64 (stmt, 1)) / (3600.0 * G_USEC_PER_SEC);
  sqlite3_reset (stmt);

  prior = HISTORY_SHARE * previous * pow (0.5, age_h / HISTORY_HALF_LIFE_H);
  if (prior >= 0.001)
    _vigil_risk_state_set_contribution (state, "history", "Risk of the user's previous session", prior,
                                        HISTORY_CONFIDENCE);
}

static gboolean
session_in_store (VigilRisk  *self,
                  const char *session_id)
{
  g_autoptr(VigilSessionInfo) info = NULL;

  if (vigil_sessions_lookup (self->sessions, session_id) != NULL)
    return TRUE;
  info = vigil_sessions_get_info (self->sessions, session_id, NULL);
  return info != NULL;
}

static RiskState *
ensure_live_state (VigilRisk  *self,
                   const char *session_id)
{
  RiskState *state = g_hash_table_lookup (self->states, session_id);
  VigilSession *session;

  if (state != NULL)
    return state;
  session = vigil_sessions_lookup (self->sessions, session_id);
  if (session == NULL)
    return NULL;

  state = _vigil_risk_state_new (session_id, vigil_session_get_user_id (session),
                                 vigil_session_get_context (session), vigil_session_get_started_at (session));
  if (state->device_id == NULL)
    state->device_id = g_strdup (vigil_session_get_device_id (session));
  state->live = TRUE;
  state->in_store = TRUE;
  add_history (self, state);
  _vigil_risk_add_novelty (state, vigil_store_get_reader (self->store), vigil_session_get_context (session));
  g_hash_table_insert (self->states, state->session_id, state);
  return state;
}

static void
on_events_received (VigilEventBus *bus,
                    GPtrArray     *events,
                    gpointer       user_data)
{
  VigilRisk *self = user_data;
  g_autoptr(GPtrArray) touched = g_ptr_array_new ();

  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);
      RiskState *state;

      if (event->session_id == NULL || _vigil_risk_remote_is_own_event (self, event) ||
          (state = ensure_live_state (self, event->session_id)) == NULL)
        continue;
      _vigil_risk_state_add_event (state, event, self->profiles);
      self->events_analyzed++;
      _vigil_risk_remote_queue (self, state, event);
      if (!g_ptr_array_find (touched, state, NULL))
        g_ptr_array_add (touched, state);
    }

  /* Once per session and tick: a batch is judged as a whole. */
  for (guint i = 0; i < touched->len; i++)
    {
      RiskState *state = g_ptr_array_index (touched, i);
      const VigilRiskDecision *decision;

      /* With a remote engine asked, the local evaluation is only shown
       * until it answers; it still says whether to learn from the tick. */
      if (_vigil_risk_remote_defer (self, state))
        decision = state->last;
      else
        decision = decide (self, state, FALSE, NULL, NULL);
      _vigil_risk_behavior_flush (state, self->profiles,
                                  decision == NULL || decision->decision >= VIGIL_DECISION_STEP_UP);
    }
}

static void
on_session_changed (VigilEventBus *bus,
                    VigilSession  *session,
                    gpointer       user_data)
{
  VigilRisk *self = user_data;
  RiskState *state = g_hash_table_lookup (self->states, vigil_session_get_id (session));
  VigilSessionState session_state = vigil_session_get_state (session);
  g_autoptr(GPtrArray) scored = NULL;

  if (state != NULL && state->live &&
      (session_state == VIGIL_SESSION_ENDED || session_state == VIGIL_SESSION_BLOCKED))
    {
      scored = _vigil_risk_behavior_take_scored (state);
      g_hash_table_remove (self->states, vigil_session_get_id (session));
    }
  else if (session_state == VIGIL_SESSION_ACTIVE)
    _vigil_risk_remote_session_started (self, session);
  /* An ended session may feed its user's retraining pool, with the live
   * vectors it scored. */
  if (session_state == VIGIL_SESSION_ENDED && vigil_session_get_user_id (session) != NULL)
    _vigil_profiles_session_ended (self->profiles, vigil_session_get_user_id (session),
                                   vigil_session_get_id (session), scored);
}

VigilRisk *
_vigil_risk_new (VigilStore    *store,
                 VigilClock    *clock,
                 VigilSessions *sessions,
                 VigilProfiles *profiles,
                 VigilEventBus *bus)
{
  VigilRisk *self = g_object_new (VIGIL_TYPE_RISK, NULL);

  self->store = g_object_ref (store);
  self->clock = vigil_clock_ref (clock);
  self->sessions = g_object_ref (sessions);
  self->profiles = g_object_ref (profiles);
  self->bus = g_object_ref (bus);
  self->events_id = g_signal_connect (bus, "events-received", G_CALLBACK (on_events_received), self);
  self->session_id = g_signal_connect (bus, "session-changed", G_CALLBACK (on_session_changed), self);
  return self;
}

void
_vigil_risk_shutdown (VigilRisk *self)
{
  if (self->bus != NULL)
    {
      g_clear_signal_handler (&self->events_id, self->bus);
      g_clear_signal_handler (&self->session_id, self->bus);
    }
  _vigil_risk_remote_shutdown (self);
  /* The rest stays until dispose: writes already queued still report
   * to us once the closed store has committed them. */
  if (self->states != NULL)
    g_hash_table_remove_all (self->states);
}

double
vigil_risk_get_session_risk (VigilRisk  *self,
                             const char *session_id)
{
  RiskState *state;

  g_return_val_if_fail (VIGIL_IS_RISK (self), -1);

  state = session_id ? g_hash_table_lookup (self->states, session_id) : NULL;
  if (state == NULL)
    return -1;
  return state->last ? state->last->risk : 0;
}

VigilRiskDecision *
vigil_risk_get_last_decision (VigilRisk  *self,
                              const char *session_id)
{
  RiskState *state;

  g_return_val_if_fail (VIGIL_IS_RISK (self), NULL);

  state = session_id ? g_hash_table_lookup (self->states, session_id) : NULL;
  return state && state->last ? vigil_risk_decision_copy (state->last) : NULL;
}

/* The ML engine surface */

gboolean
_vigil_risk_check_open (VigilRisk  *self,
            GError    **error)
{
  if (self->store == NULL || vigil_store_is_closed (self->store))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The engine has shut down");
      return FALSE;
    }
  return TRUE;
}

static RiskState *
ensure_state (VigilRisk   *self,
              const char  *user_id,
              const char  *session_id,
              JsonObject  *device_info,
              GError     **error)
{
  RiskState *state = g_hash_table_lookup (self->states, session_id);
  VigilSession *session;

  if (state != NULL)
    {
      if (g_strcmp0 (state->user_id, user_id) != 0)
        {
          g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN, "The session belongs to another user");
          return NULL;
        }
      return state;
    }

  session = vigil_sessions_lookup (self->sessions, session_id);
  if (session != NULL && g_strcmp0 (vigil_session_get_user_id (session), user_id) != 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN, "The session belongs to another user");
      return NULL;
    }
  if (session != NULL)
    {
      state = ensure_live_state (self, session_id);
      return state;
    }

  state = _vigil_risk_state_new (session_id, user_id, device_info, vigil_clock_now_us (self->clock));
  state->in_store = session_in_store (self, session_id);
  add_history (self, state);
  g_hash_table_insert (self->states, state->session_id, state);
  return state;
}

gboolean
vigil_risk_start_session (VigilRisk   *self,
                          const char  *user_id,
                          const char  *session_id,
                          JsonObject  *device_info,
                          GError     **error)
{
  RiskState *state;

  g_return_val_if_fail (VIGIL_IS_RISK (self), FALSE);
  g_return_val_if_fail (user_id != NULL && session_id != NULL, FALSE);

  if (!_vigil_risk_check_open (self, error))
    return FALSE;
  state = g_hash_table_lookup (self->states, session_id);
  if (state != NULL && g_strcmp0 (state->user_id, user_id) != 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT, "The session is active for another user");
      return FALSE;
    }
  return ensure_state (self, user_id, session_id, device_info, error) != NULL;
}

gboolean
vigil_risk_end_session (VigilRisk   *self,
                        const char  *session_id,
                        const char  *reason,
                        GError     **error)
{
  g_return_val_if_fail (VIGIL_IS_RISK (self), FALSE);

  if (session_id == NULL || !g_hash_table_remove (self->states, session_id))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Session not found or not active");
      return FALSE;
    }
  g_debug ("ML session %s ended: %s", session_id, reason ? reason : "completed");
  return TRUE;
}

/* The store a task's write went to (kept until dispose, and the task
 * holds its source). */
static VigilStore *
decision_store (GTask *task)
{
  VigilRisk *self = g_task_get_source_object (task);

  return self->store;
}

static void
on_analysis_written (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilRiskDecision *decision = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (decision_store (task), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, vigil_risk_decision_copy (decision),
                           (GDestroyNotify) vigil_risk_decision_free);
}

void
vigil_risk_analyze_async (VigilRisk           *self,
                          const char          *user_id,
                          const char          *session_id,
                          GPtrArray           *events,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  VigilRiskDecision *decision;
  RiskState *state;
  gint64 now_us;

  g_return_if_fail (VIGIL_IS_RISK (self));
  g_return_if_fail (user_id != NULL && session_id != NULL && events != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_risk_analyze_async);

  if (!_vigil_risk_check_open (self, &error) || (state = ensure_state (self, user_id, session_id, NULL, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  now_us = vigil_clock_now_us (self->clock);
  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);

      if (event->received_at_us == 0)
        event->received_at_us = now_us;
      _vigil_risk_state_add_event (state, event, self->profiles);
      self->events_analyzed++;
    }

  /* Every answer handed out is stored, so that feedback can name it. */
  decision = decide (self, state, TRUE, on_analysis_written, g_object_ref (task));
  _vigil_risk_behavior_flush (state, self->profiles, decision->decision >= VIGIL_DECISION_STEP_UP);
  g_task_set_task_data (task, vigil_risk_decision_copy (decision), (GDestroyNotify) vigil_risk_decision_free);
}

VigilRiskDecision *
vigil_risk_analyze_finish (VigilRisk     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
