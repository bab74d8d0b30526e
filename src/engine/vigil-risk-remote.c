/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilRisk, continued: remote mode. Live sessions are also sent to a
 * remote ML engine through a VigilAnalyzer; its verdicts decide while it
 * answers, local analysis whenever it does not. The outage is tracked,
 * audited and reported, and the ML events go into the session's history. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <string.h>

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-risk-private.h"
#include "vigil-risk-remote.h"
#include "vigil-session-private.h"
#include "vigil-sessions-private.h"
#include "vigil-time.h"

/* Events kept for the remote while it cannot be asked; older ones are
 * dropped from what it will see (never from the store). */
#define MAX_PENDING_EVENTS 1000
/* One /analyze-mobile stays well under a Vigil's 64 KiB request limit;
 * the rest goes in the next request. */
#define MAX_BATCH_EVENTS   200
#define MAX_BATCH_BYTES    (48 * 1024)
#define MAX_REASONS        5

typedef enum
{
  REQUEST_START,
  REQUEST_ANALYZE,
  REQUEST_END,
} RequestKind;

typedef struct
{
  char       *session_id;
  char       *user_id;
  JsonObject *device_info;     /* nullable */
  gboolean    started;         /* the remote accepted the session */
  gboolean    start_failed;    /* ml_session_failed is recorded */
  gboolean    in_flight;
  gboolean    awaiting;        /* a local decision waits for the remote's */
  gboolean    ending;
  char       *end_reason;
  GPtrArray  *pending;         /* VigilEvent not yet sent */
  guint       analyses;
  guint       failures;
  char       *last_remote_decision;
} RemoteSession;

typedef struct
{
  VigilRisk    *risk;
  GCancellable *cancellable;   /* the analyzer's it was sent to */
  char         *session_id;
  RequestKind   kind;
  guint         events;
  gboolean      probe;
} Request;

static void pump (VigilRisk *self, RemoteSession *remote);

/* After a decision was executed: a block ends the session, which may have
 * let its remote state go. */
static void
pump_again (VigilRisk  *self,
            const char *session_id)
{
  RemoteSession *remote = g_hash_table_lookup (self->remotes, session_id);

  if (remote != NULL)
    pump (self, remote);
}

static void
remote_session_free (RemoteSession *remote)
{
  g_free (remote->session_id);
  g_free (remote->user_id);
  g_clear_pointer (&remote->device_info, json_object_unref);
  g_free (remote->end_reason);
  g_clear_pointer (&remote->pending, g_ptr_array_unref);
  g_free (remote->last_remote_decision);
  g_free (remote);
}

static void
request_free (Request *request)
{
  g_clear_object (&request->risk);
  g_clear_object (&request->cancellable);
  g_free (request->session_id);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

void
vigil_remote_status_free (VigilRemoteStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->url);
  g_free (status->last_error);
  g_free (status);
}

void
_vigil_risk_remote_init (VigilRisk *self)
{
  self->remotes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) remote_session_free);
  self->own_events = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) vigil_event_unref, NULL);
  self->remote_available = TRUE;
  self->probe_interval_us = VIGIL_RISK_REMOTE_PROBE_SECONDS * G_USEC_PER_SEC;
}

void
_vigil_risk_remote_shutdown (VigilRisk *self)
{
  if (self->remote_cancellable != NULL)
    g_cancellable_cancel (self->remote_cancellable);
  if (self->sessions != NULL)
    _vigil_sessions_set_end_hook (self->sessions, NULL, NULL);
  g_clear_object (&self->analyzer);
  if (self->remotes != NULL)
    g_hash_table_remove_all (self->remotes);
  if (self->own_events != NULL)
    g_hash_table_remove_all (self->own_events);
}

gboolean
_vigil_risk_remote_is_own_event (VigilRisk  *self,
                                 VigilEvent *event)
{
  return g_hash_table_size (self->own_events) > 0 && g_hash_table_remove (self->own_events, event);
}

/* The session's history */

static void
record (VigilRisk   *self,
        const char  *session_id,
        const char  *event_type,
        JsonObject  *data)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *timestamp = vigil_time_format_iso8601 (vigil_clock_now_us (self->clock));
  VigilSession *session = vigil_sessions_lookup (self->sessions, session_id);
  VigilEvent *event;

  if (session == NULL)
    {
      json_object_unref (data);
      return;
    }
  json_object_set_string_member (object, "timestamp", timestamp);
  json_object_set_string_member (object, "event_type", event_type);
  json_object_set_object_member (object, "data", data);
  event = vigil_event_new_from_json (object, 0, &error);
  if (event == NULL)
    {
      g_critical ("Cannot build the %s event: %s", event_type, error->message);
      return;
    }
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_ptr_array_add (events, event);
  g_hash_table_add (self->own_events, vigil_event_ref (event));
  _vigil_sessions_record (self->sessions, session, events);
}

static JsonObject *
event_data (VigilRisk  *self,
            const char *session_id)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "session_id", session_id);
  json_object_set_string_member (data, "ml_engine", vigil_analyzer_get_description (self->analyzer));
  return data;
}

/* Availability */

static void
audit (VigilRisk   *self,
       const char  *action,
       JsonObject  *details)
{
  vigil_audit_append_async (self->store, vigil_clock_now_us (self->clock), "system", action,
                            vigil_analyzer_get_description (self->analyzer), NULL, details, NULL, NULL, NULL);
}

static void
remote_answered (VigilRisk *self)
{
  g_autoptr(JsonObject) details = NULL;
  g_autofree char *since = NULL;

  self->remote_requests++;
  if (self->remote_available)
    return;

  since = vigil_time_format_iso8601 (self->unavailable_since_us);
  details = json_object_new ();
  json_object_set_string_member (details, "url", vigil_analyzer_get_description (self->analyzer));
  json_object_set_string_member (details, "unavailable_since", since);
  json_object_set_int_member (details, "failures", (gint64) self->outage_failures);
  json_object_set_int_member (details, "duration_s",
                              (vigil_clock_now_us (self->clock) - self->unavailable_since_us) / G_USEC_PER_SEC);
  audit (self, "ml_engine.available", details);
  g_message ("The remote ML engine %s answers again; it decides again",
             vigil_analyzer_get_description (self->analyzer));

  self->remote_available = TRUE;
  self->unavailable_since_us = 0;
  self->outage_failures = 0;
}

static void
remote_failed (VigilRisk    *self,
               const GError *error)
{
  gint64 now_us = vigil_clock_now_us (self->clock);

  self->remote_requests++;
  self->remote_failures++;
  self->outage_failures++;
  self->last_failure_mono_us = g_get_monotonic_time ();
  g_free (self->remote_last_error);
  self->remote_last_error = g_strdup (error->message);
  self->remote_last_error_us = now_us;
  if (!self->remote_available)
    return;

  {
    g_autoptr(JsonObject) details = json_object_new ();

    json_object_set_string_member (details, "url", vigil_analyzer_get_description (self->analyzer));
    json_object_set_string_member (details, "error", error->message);
    audit (self, "ml_engine.unavailable", details);
  }
  g_message ("The remote ML engine %s is unavailable (%s); local analysis decides",
             vigil_analyzer_get_description (self->analyzer), error->message);
  self->remote_available = FALSE;
  self->unavailable_since_us = now_us;
  self->remote_outages++;
}

/* A dead remote is probed by one request at a time, at most once per
 * probe interval, not by every session's every tick. */
static gboolean
may_send (VigilRisk *self)
{
  if (self->remote_available)
    return TRUE;
  return !self->probe_in_flight &&
         g_get_monotonic_time () - self->last_failure_mono_us >= self->probe_interval_us;
}

/* Decisions */

static VigilRiskDecision *
decision_from_verdict (VigilRisk                  *self,
                       RiskState                  *state,
                       const VigilAnalyzerVerdict *verdict)
{
  VigilRiskDecision *decision = g_new0 (VigilRiskDecision, 1);
  const VigilRiskDecision *local = state->last;

  decision->session_id = g_strdup (state->session_id);
  decision->user_id = g_strdup (state->user_id);
  decision->at_us = vigil_clock_now_us (self->clock);
  /* A remote without a risk figure: the session's risk stays the local one. */
  decision->risk = verdict->risk >= 0 ? verdict->risk : local != NULL ? local->risk : 0;
  decision->confidence = verdict->confidence;
  decision->requested = verdict->decision;
  decision->decision = verdict->decision;
  decision->reasons = g_ptr_array_new_with_free_func (_vigil_risk_reason_free);
  if (verdict->decision == VIGIL_DECISION_BLOCK && !(verdict->confidence > VIGIL_RISK_BLOCK_CONFIDENCE))
    {
      decision->decision = VIGIL_DECISION_STEP_UP;
      g_ptr_array_add (decision->reasons,
                       _vigil_risk_reason_new ("block_confidence_low",
                                               "High risk, but the confidence is not above 0.8: step-up instead of block",
                                               0, verdict->confidence));
    }
  for (guint i = 0; i < verdict->reasons->len && decision->reasons->len < MAX_REASONS; i++)
    g_ptr_array_add (decision->reasons, _vigil_risk_reason_new ("ml_engine.remote", g_ptr_array_index (verdict->reasons, i),
                                                                0, verdict->confidence));
  if (decision->reasons->len == 0)
    g_ptr_array_add (decision->reasons, _vigil_risk_reason_new ("ml_engine.remote", "Decision of the remote ML engine",
                                                                0, verdict->confidence));
  decision->model_scored = local != NULL && local->model_scored;
  decision->model_score = local != NULL ? local->model_score : 0;
  decision->events_analyzed = state->events;
  decision->source = "remote";
  return decision;
}

/* The remote did not answer: what waited for it is decided locally now. */
static void
fall_back (VigilRisk     *self,
           RemoteSession *remote)
{
  RiskState *state = g_hash_table_lookup (self->states, remote->session_id);

  if (!remote->awaiting)
    return;
  remote->awaiting = FALSE;
  if (state == NULL)
    return;
  self->local_fallbacks++;
  _vigil_risk_decide_locally (self, state);
}

/* Requests */

static Request *
request_new (VigilRisk     *self,
             RemoteSession *remote,
             RequestKind    kind)
{
  Request *request = g_new0 (Request, 1);

  request->risk = g_object_ref (self);
  request->cancellable = g_object_ref (self->remote_cancellable);
  request->session_id = g_strdup (remote->session_id);
  request->kind = kind;
  request->probe = !self->remote_available;
  remote->in_flight = TRUE;
  if (request->probe)
    self->probe_in_flight = TRUE;
  return request;
}

/* The request's session, or NULL when the request no longer matters
 * (cancelled at shut-down, or the analyzer was replaced: an answer of the
 * old one that was already on its way must not touch the new one's
 * sessions or outage state). */
static RemoteSession *
request_done (Request       *request,
              const GError  *error)
{
  VigilRisk *self = request->risk;
  RemoteSession *remote;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      request->cancellable != self->remote_cancellable || g_cancellable_is_cancelled (request->cancellable))
    return NULL;
  if (request->probe)
    self->probe_in_flight = FALSE;
  remote = g_hash_table_lookup (self->remotes, request->session_id);
  if (remote != NULL)
    remote->in_flight = FALSE;
  if (error != NULL)
    remote_failed (self, error);
  else
    remote_answered (self);
  return remote;
}

static void
on_started (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  VigilRisk *self = request->risk;
  RemoteSession *remote;
  JsonObject *data;

  reply = vigil_analyzer_start_session_finish (VIGIL_ANALYZER (source), result, &error);
  if ((remote = request_done (request, error)) == NULL)
    return;

  data = event_data (self, remote->session_id);
  if (reply == NULL)
    {
      remote->start_failed = TRUE;
      remote->failures++;
      json_object_set_string_member (data, "ml_engine_status", "error");
      json_object_set_string_member (data, "error", error->message);
      json_object_set_string_member (data, "fallback", "local");
      record (self, remote->session_id, "ml_session_failed", data);
      fall_back (self, remote);
      pump_again (self, request->session_id);
      return;
    }
  else
    {
      remote->started = TRUE;
      json_object_set_string_member (data, "ml_engine_status", "started");
      json_object_set_string_member (data, "phase", json_object_get_string_member_with_default (reply, "phase", NULL));
      json_object_set_string_member (data, "message",
                                     json_object_get_string_member_with_default (reply, "message", NULL));
      record (self, remote->session_id, "ml_session_started", data);
    }
  pump (self, remote);
}

static void
on_analyzed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(VigilAnalyzerVerdict) verdict = NULL;
  g_autoptr(GError) error = NULL;
  VigilRisk *self = request->risk;
  RemoteSession *remote;
  RiskState *state;
  JsonObject *data;

  verdict = vigil_analyzer_analyze_finish (VIGIL_ANALYZER (source), result, &error);
  if ((remote = request_done (request, error)) == NULL)
    return;

  data = event_data (self, remote->session_id);
  json_object_set_int_member (data, "events", request->events);
  if (verdict == NULL)
    {
      remote->failures++;
      json_object_set_string_member (data, "ml_engine_status", "error");
      json_object_set_string_member (data, "error", error->message);
      json_object_set_string_member (data, "fallback", "local");
      record (self, remote->session_id, "ml_analysis_failed", data);
      fall_back (self, remote);
      pump_again (self, request->session_id);
      return;
    }

  remote->analyses++;
  g_free (remote->last_remote_decision);
  remote->last_remote_decision = g_strdup (vigil_decision_to_string (verdict->decision));
  json_object_set_string_member (data, "decision", vigil_decision_to_string (verdict->decision));
  json_object_set_double_member (data, "confidence", verdict->confidence);
  if (verdict->risk >= 0)
    json_object_set_double_member (data, "risk_score", verdict->risk);
  if (verdict->decision_id != NULL)
    json_object_set_string_member (data, "remote_decision_id", verdict->decision_id);
  {
    JsonArray *reasons = json_array_new ();

    for (guint i = 0; i < verdict->reasons->len; i++)
      json_array_add_string_element (reasons, g_ptr_array_index (verdict->reasons, i));
    json_object_set_array_member (data, "reasons", reasons);
  }
  record (self, remote->session_id, "ml_analysis_result", data);

  remote->awaiting = remote->pending->len > 0;
  state = g_hash_table_lookup (self->states, remote->session_id);
  if (state != NULL)
    {
      VigilRiskDecision *decision = decision_from_verdict (self, state, verdict);

      self->remote_decisions++;
      _vigil_risk_commit (self, state, decision, FALSE, NULL, NULL);
    }
  pump_again (self, request->session_id);
}

static void
on_ended (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(GError) error = NULL;
  VigilRisk *self = request->risk;

  vigil_analyzer_end_session_finish (VIGIL_ANALYZER (source), result, &error);
  if (request_done (request, error) == NULL)
    return;
  if (error != NULL)
    g_debug ("Ending the remote session %s failed: %s", request->session_id, error->message);
  g_hash_table_remove (self->remotes, request->session_id);
}

/* The oldest pending events, as many as one request carries. */
static GPtrArray *
take_batch (RemoteSession *remote)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  gsize bytes = 0;
  guint n = 0;

  while (n < remote->pending->len && n < MAX_BATCH_EVENTS)
    {
      VigilEvent *event = g_ptr_array_index (remote->pending, n);
      gsize size = strlen (event->data) + strlen (event->event_type) +
                   (event->timestamp ? strlen (event->timestamp) : 0) + 48;

      if (n > 0 && bytes + size > MAX_BATCH_BYTES)
        break;
      bytes += size;
      g_ptr_array_add (batch, vigil_event_ref (event));
      n++;
    }
  g_ptr_array_remove_range (remote->pending, 0, n);
  return batch;
}

/* A session that starts during an outage is not sent (the remote is
 * probed by one request at a time); its history says so once. */
static void
not_asked (VigilRisk     *self,
           RemoteSession *remote)
{
  g_autofree char *since = vigil_time_format_iso8601 (self->unavailable_since_us);
  g_autofree char *text = g_strdup_printf ("Not asked: the ML engine is unavailable since %s (%s)", since,
                                           self->remote_last_error ? self->remote_last_error : "no answer");
  JsonObject *data = event_data (self, remote->session_id);

  remote->start_failed = TRUE;
  json_object_set_string_member (data, "ml_engine_status", "unavailable");
  json_object_set_string_member (data, "error", text);
  json_object_set_string_member (data, "fallback", "local");
  record (self, remote->session_id, "ml_session_failed", data);
}

/* Sends the session's next request, if it has one and may. */
static void
pump (VigilRisk     *self,
      RemoteSession *remote)
{
  Request *request;

  if (remote->in_flight || self->analyzer == NULL)
    return;
  if (!may_send (self))
    {
      /* Nobody will answer this one: its end is not sent. */
      if (remote->ending)
        g_hash_table_remove (self->remotes, remote->session_id);
      else if (!remote->started && !remote->start_failed)
        not_asked (self, remote);
      return;
    }

  if (!remote->started && !remote->ending)
    {
      request = request_new (self, remote, REQUEST_START);
      vigil_analyzer_start_session_async (self->analyzer, remote->user_id, remote->session_id, remote->device_info,
                                          self->remote_cancellable, on_started, request);
    }
  else if (remote->started && remote->pending->len > 0)
    {
      g_autoptr(GPtrArray) events = take_batch (remote);

      request = request_new (self, remote, REQUEST_ANALYZE);
      request->events = events->len;
      vigil_analyzer_analyze_async (self->analyzer, remote->user_id, remote->session_id, events,
                                    self->remote_cancellable, on_analyzed, request);
    }
  else if (remote->ending)
    {
      if (!remote->started)
        {
          g_hash_table_remove (self->remotes, remote->session_id);
          return;
        }
      request = request_new (self, remote, REQUEST_END);
      vigil_analyzer_end_session_async (self->analyzer, remote->session_id, remote->end_reason,
                                        self->remote_cancellable, on_ended, request);
    }
}

/* Sessions */

static RemoteSession *
ensure_remote (VigilRisk    *self,
               VigilSession *session)
{
  RemoteSession *remote = g_hash_table_lookup (self->remotes, vigil_session_get_id (session));
  JsonObject *context;

  /* The guide's engine knows accounts only: no unverified stream users. */
  if (remote != NULL || self->analyzer == NULL || vigil_session_get_user_id (session) == NULL ||
      vigil_session_get_kind (session) != VIGIL_SESSION_KIND_AUTHENTICATED)
    return remote;

  remote = g_new0 (RemoteSession, 1);
  remote->session_id = g_strdup (vigil_session_get_id (session));
  remote->user_id = g_strdup (vigil_session_get_user_id (session));
  context = vigil_session_get_context (session);
  remote->device_info = context != NULL ? json_object_ref (context) : NULL;
  remote->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_hash_table_insert (self->remotes, remote->session_id, remote);
  return remote;
}

void
_vigil_risk_remote_session_started (VigilRisk    *self,
                                    VigilSession *session)
{
  RemoteSession *remote;

  if (self->analyzer == NULL || g_hash_table_contains (self->remotes, vigil_session_get_id (session)))
    return;
  remote = ensure_remote (self, session);
  if (remote != NULL)
    pump (self, remote);
}

void
_vigil_risk_remote_queue (VigilRisk  *self,
                          RiskState  *state,
                          VigilEvent *event)
{
  VigilSession *session;
  RemoteSession *remote;

  if (self->analyzer == NULL || !state->live ||
      (session = vigil_sessions_lookup (self->sessions, state->session_id)) == NULL ||
      (remote = ensure_remote (self, session)) == NULL || remote->ending)
    return;
  if (remote->pending->len >= MAX_PENDING_EVENTS)
    g_ptr_array_remove_index (remote->pending, 0);
  g_ptr_array_add (remote->pending, vigil_event_ref (event));
}

gboolean
_vigil_risk_remote_defer (VigilRisk *self,
                          RiskState *state)
{
  RemoteSession *remote;

  if (self->analyzer == NULL || (remote = g_hash_table_lookup (self->remotes, state->session_id)) == NULL ||
      remote->ending)
    return FALSE;

  if (self->remote_available)
    {
      _vigil_risk_evaluate_only (self, state);
      remote->awaiting = TRUE;
      pump (self, remote);
      /* The request may have failed at once: then it decided already. */
      return TRUE;
    }
  pump (self, remote);
  return FALSE;
}

static void
on_session_ending (VigilSession *session,
                   const char   *reason,
                   gpointer      user_data)
{
  VigilRisk *self = user_data;
  RemoteSession *remote = g_hash_table_lookup (self->remotes, vigil_session_get_id (session));
  JsonObject *data;

  if (remote == NULL || remote->ending)
    return;

  remote->ending = TRUE;
  remote->end_reason = g_strdup (reason);
  /* What the log should say, since the remote's answer comes after it. */
  data = event_data (self, remote->session_id);
  json_object_set_string_member (data, "reason", reason);
  json_object_set_boolean_member (data, "remote_session", remote->started);
  json_object_set_int_member (data, "remote_analyses", remote->analyses);
  json_object_set_int_member (data, "remote_failures", remote->failures);
  if (remote->last_remote_decision != NULL)
    json_object_set_string_member (data, "last_remote_decision", remote->last_remote_decision);
  json_object_set_boolean_member (data, "ml_engine_available", self->remote_available);
  record (self, remote->session_id, "ml_session_ended", data);
  pump (self, remote);
}

/* The public API */

/* The sessions whose local decision waits for the remote's. */
static GPtrArray *
take_awaiting (VigilRisk *self)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  RemoteSession *remote;

  g_hash_table_iter_init (&iter, self->remotes);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &remote))
    if (remote->awaiting)
      g_ptr_array_add (ids, g_strdup (remote->session_id));
  return ids;
}

static void
audit_change (VigilRisk  *self,
              const char *old_url)
{
  const char *url = self->analyzer != NULL ? vigil_analyzer_get_description (self->analyzer) : NULL;
  g_autoptr(JsonObject) details = json_object_new ();

  if (old_url != NULL)
    json_object_set_string_member (details, "old_url", old_url);
  if (url != NULL)
    json_object_set_string_member (details, "url", url);
  json_object_set_string_member (details, "mode", url != NULL ? "remote" : "local");
  vigil_audit_append_async (self->store, vigil_clock_now_us (self->clock), "system", "ml_engine.changed",
                            url, NULL, details, NULL, NULL, NULL);
  if (url != NULL)
    g_message ("Sessions are analysed by the remote ML engine %s as well", url);
  else
    g_message ("Sessions are analysed locally only");
}

void
vigil_risk_set_analyzer (VigilRisk     *self,
                         VigilAnalyzer *analyzer)
{
  g_autoptr(GPtrArray) awaiting = NULL;
  g_autofree char *old_url = NULL;

  g_return_if_fail (VIGIL_IS_RISK (self));
  g_return_if_fail (analyzer == NULL || VIGIL_IS_ANALYZER (analyzer));

  if (analyzer == self->analyzer)
    return;
  old_url = self->analyzer != NULL ? g_strdup (vigil_analyzer_get_description (self->analyzer)) : NULL;
  /* The old analyzer's requests are abandoned: their sessions start
   * afresh with the new one at their next events. */
  if (self->remote_cancellable != NULL)
    g_cancellable_cancel (self->remote_cancellable);
  g_clear_object (&self->remote_cancellable);
  awaiting = take_awaiting (self);
  g_hash_table_remove_all (self->remotes);
  g_set_object (&self->analyzer, analyzer);
  self->remote_available = TRUE;
  self->unavailable_since_us = 0;
  self->probe_in_flight = FALSE;
  self->outage_failures = 0;
  g_clear_pointer (&self->remote_last_error, g_free);
  self->remote_last_error_us = 0;
  if (analyzer != NULL)
    self->remote_cancellable = g_cancellable_new ();
  if (self->sessions != NULL)
    _vigil_sessions_set_end_hook (self->sessions, analyzer ? on_session_ending : NULL, analyzer ? self : NULL);
  if (self->store != NULL)
    audit_change (self, old_url);

  /* What waited for the old remote's verdict is decided locally now. */
  for (guint i = 0; i < awaiting->len; i++)
    {
      RiskState *state = g_hash_table_lookup (self->states, g_ptr_array_index (awaiting, i));

      if (state != NULL)
        {
          self->local_fallbacks++;
          _vigil_risk_decide_locally (self, state);
        }
    }
}

VigilAnalyzer *
vigil_risk_get_analyzer (VigilRisk *self)
{
  g_return_val_if_fail (VIGIL_IS_RISK (self), NULL);

  return self->analyzer;
}

void
vigil_risk_set_remote_probe_interval (VigilRisk *self,
                                      guint      milliseconds)
{
  g_return_if_fail (VIGIL_IS_RISK (self));

  self->probe_interval_us = (gint64) milliseconds * 1000;
}

VigilRemoteStatus *
vigil_risk_get_remote_status (VigilRisk *self)
{
  VigilRemoteStatus *status;

  g_return_val_if_fail (VIGIL_IS_RISK (self), NULL);

  status = g_new0 (VigilRemoteStatus, 1);
  status->url = self->analyzer != NULL ? g_strdup (vigil_analyzer_get_description (self->analyzer)) : NULL;
  status->available = self->analyzer == NULL || self->remote_available;
  status->unavailable_since_us = self->remote_available ? 0 : self->unavailable_since_us;
  status->requests = self->remote_requests;
  status->failures = self->remote_failures;
  status->outages = self->remote_outages;
  status->last_error = g_strdup (self->remote_last_error);
  status->last_error_at_us = self->remote_last_error_us;
  status->remote_decisions = self->remote_decisions;
  status->local_fallbacks = self->local_fallbacks;
  status->sessions = g_hash_table_size (self->remotes);
  return status;
}
