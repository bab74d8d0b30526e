/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The canara ML engine's surface (ml-engine-integration-guide): POST
 * /session/start, /session/end, /analyze-mobile, /feedback and GET
 * /statistics, over VigilRisk.
 *
 * The seed's engine was an internal service without authentication;
 * Vigil serves these on its public port, so every route wants an access
 * token of an analyst or an admin (FastAPI's HTTPBearer: 403 without
 * credentials, 401 for a bad token, 403 for another role). */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include <math.h>

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"
#include "vigil-risk-thresholds.h"

#define STYLE VIGIL_API_STYLE_FASTAPI

static VigilRisk *
server_risk (VigilServer *server)
{
  return vigil_engine_get_risk (vigil_server_get_engine (server));
}

static void
reply_detail (SoupServerMessage *msg,
              guint              status,
              const char        *error_code,
              const char        *detail)
{
  vigil_api_reply_styled_error (msg, STYLE, status, error_code, detail);
}

/* An analyst's or an admin's access token, else a reply. */
static VigilTokenClaims *
authenticate (VigilServer       *server,
              SoupServerMessage *msg)
{
  g_autoptr(VigilTokenClaims) claims = NULL;

  claims = vigil_api_authenticate (msg, vigil_engine_get_auth (vigil_server_get_engine (server)), STYLE,
                                   VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return NULL;
  if (claims->role != VIGIL_ROLE_ANALYST && claims->role != VIGIL_ROLE_ADMIN)
    {
      reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Analyst or admin role required");
      return NULL;
    }
  return g_steal_pointer (&claims);
}

static JsonArray *
loc_of (const char *name)
{
  JsonArray *loc = json_array_new ();

  json_array_add_string_element (loc, name);
  return loc;
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_double_member (JsonBuilder *builder,
                   const char  *name,
                   double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

/* POST /session/start {user_id, session_id, device_info?} */
static void
handle_session_start (VigilServer       *server,
                      SoupServerMessage *msg,
                      const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonObject) device_info = NULL;
  g_autoptr(GError) error = NULL;
  const char *user_id, *session_id;
  JsonNode *info;
  gint64 past;

  if ((claims = authenticate (server, msg)) == NULL || (body = vigil_api_body_parse (msg, STYLE)) == NULL)
    return;
  user_id = vigil_api_body_get_string (body, "user_id", TRUE);
  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  /* An object, or the seed's free text ("Android 12, Chrome 98"). */
  info = json_object_get_member (vigil_api_body_get_object (body), "device_info");
  if (info != NULL && JSON_NODE_HOLDS_OBJECT (info))
    device_info = json_object_ref (json_node_get_object (info));
  else if (info != NULL && JSON_NODE_HOLDS_VALUE (info) && json_node_get_value_type (info) == G_TYPE_STRING)
    {
      device_info = json_object_new ();
      json_object_set_string_member (device_info, "description", json_node_get_string (info));
    }
  else if (info != NULL && !JSON_NODE_HOLDS_NULL (info))
    vigil_api_body_add_error (body, loc_of ("device_info"), "str or dict expected", "type_error");
  if (!vigil_api_body_validate (body, msg))
    return;

  past = vigil_risk_count_past_sessions (server_risk (server), user_id, &error);
  if (past < 0 || !vigil_risk_start_session (server_risk (server), user_id, session_id, device_info, &error))
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "status", "success");
  add_string_member (builder, "session_id", session_id);
  add_string_member (builder, "user_id", user_id);
  add_string_member (builder, "phase", past < VIGIL_RISK_LEARNING_SESSIONS ? "learning" : "active");
  json_builder_set_member_name (builder, "previous_sessions");
  json_builder_add_int_value (builder, past);
  add_string_member (builder, "message",
                     past < VIGIL_RISK_LEARNING_SESSIONS ? "ML session started (learning the user's behavior)"
                                                         : "ML session started");
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* POST /session/end {session_id, reason = "completed"} */
static void
handle_session_end (VigilServer       *server,
                    SoupServerMessage *msg,
                    const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  const char *session_id, *reason;

  if ((claims = authenticate (server, msg)) == NULL || (body = vigil_api_body_parse (msg, STYLE)) == NULL)
    return;
  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  reason = vigil_api_body_get_string (body, "reason", FALSE);
  if (!vigil_api_body_validate (body, msg))
    return;
  if (reason == NULL)
    reason = "completed";

  if (!vigil_risk_end_session (server_risk (server), session_id, reason, &error))
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        reply_detail (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Session not found or not active");
      else
        vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "status", "success");
  add_string_member (builder, "session_id", session_id);
  add_string_member (builder, "reason", reason);
  add_string_member (builder, "message", "ML session ended");
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* POST /analyze-mobile {user_id, session_id, logs: [{timestamp, event_type, data}]} */
static const char *
risk_level (const VigilRiskThresholds *thresholds,
            double                     risk)
{
  if (risk >= thresholds->high)
    return "high";
  if (risk >= thresholds->suspicious)
    return "suspicious";
  if (risk >= thresholds->monitor)
    return "elevated";
  return "low";
}

static void
analyze_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  VigilRiskThresholds thresholds;

  decision = vigil_risk_analyze_finish (VIGIL_RISK (source), result, &error);
  if (decision == NULL)
    {
      vigil_api_reply_styled_gerror (call->msg, call->style, error);
      vigil_api_call_complete (call);
      return;
    }

  /* The thresholds this decision was made with: the configured ones, the
   * step-up moved by the user's analyst feedback. */
  vigil_risk_get_thresholds (VIGIL_RISK (source), &thresholds);
  if (decision->user_id != NULL)
    thresholds.suspicious = vigil_risk_get_step_up_threshold (
      VIGIL_RISK (source),
      vigil_profiles_get_threshold_adjustment (vigil_engine_get_profiles (vigil_server_get_engine (call->server)),
                                               decision->user_id));
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "status", "success");
  add_string_member (builder, "session_id", decision->session_id);
  vigil_api_builder_add_nullable_string (builder, "user_id", decision->user_id);
  add_string_member (builder, "decision_id", decision->id);
  add_string_member (builder, "decision", vigil_decision_to_string (decision->decision));
  add_double_member (builder, "confidence", decision->confidence);
  add_double_member (builder, "risk_score", decision->risk);
  add_string_member (builder, "risk_level", risk_level (&thresholds, decision->risk));
  /* The seed's clients read reasons as text; the codes are for machines. */
  json_builder_set_member_name (builder, "reasons");
  json_builder_begin_array (builder);
  for (guint i = 0; i < decision->reasons->len; i++)
    json_builder_add_string_value (builder, ((VigilRiskReason *) g_ptr_array_index (decision->reasons, i))->text);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "reason_codes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < decision->reasons->len; i++)
    json_builder_add_string_value (builder, ((VigilRiskReason *) g_ptr_array_index (decision->reasons, i))->code);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "analysis");
  json_builder_begin_object (builder);
  add_string_member (builder, "requested_decision", vigil_decision_to_string (decision->requested));
  json_builder_set_member_name (builder, "events_analyzed");
  json_builder_add_int_value (builder, decision->events_analyzed);
  json_builder_set_member_name (builder, "model_scored");
  json_builder_add_boolean_value (builder, decision->model_scored);
  json_builder_set_member_name (builder, "model_score");
  if (decision->model_scored)
    json_builder_add_double_value (builder, decision->model_score);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "contributions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < decision->reasons->len; i++)
    {
      const VigilRiskReason *reason = g_ptr_array_index (decision->reasons, i);

      json_builder_begin_object (builder);
      add_string_member (builder, "code", reason->code);
      add_string_member (builder, "text", reason->text);
      add_double_member (builder, "weight", reason->weight);
      add_double_member (builder, "confidence", reason->confidence);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "thresholds");
  json_builder_begin_object (builder);
  add_double_member (builder, "monitor", thresholds.monitor);
  add_double_member (builder, "suspicious", thresholds.suspicious);
  add_double_member (builder, "high", thresholds.high);
  add_double_member (builder, "block_confidence", thresholds.block_confidence);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  vigil_api_builder_add_time (builder, "timestamp", decision->at_us);
  json_builder_end_object (builder);

  vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
  vigil_api_call_complete (call);
}

static void
handle_analyze (VigilServer       *server,
                SoupServerMessage *msg,
                const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(GPtrArray) events = NULL;
  VigilSessions *sessions = vigil_engine_get_sessions (vigil_server_get_engine (server));
  const char *user_id, *session_id;
  JsonNode *logs;
  VigilApiCall *call;

  if ((claims = authenticate (server, msg)) == NULL || (body = vigil_api_body_parse (msg, STYLE)) == NULL)
    return;
  user_id = vigil_api_body_get_string (body, "user_id", TRUE);
  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  logs = json_object_get_member (vigil_api_body_get_object (body), "logs");
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  if (logs == NULL)
    vigil_api_body_add_error (body, loc_of ("logs"), "field required", "value_error.missing");
  else if (!JSON_NODE_HOLDS_ARRAY (logs))
    vigil_api_body_add_error (body, loc_of ("logs"), "value is not a valid list", "type_error.list");
  else
    {
      JsonArray *array = json_node_get_array (logs);

      if (json_array_get_length (array) > vigil_sessions_get_max_batch_events (sessions))
        {
          reply_detail (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", "Too many events in one request");
          return;
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          g_autoptr(GError) error = NULL;
          VigilEvent *event = NULL;

          if (JSON_NODE_HOLDS_OBJECT (element))
            event = vigil_event_new_from_json (json_node_get_object (element), vigil_api_body_get_size (body),
                                               &error);
          if (event == NULL)
            {
              JsonArray *loc = loc_of ("logs");

              json_array_add_int_element (loc, i);
              vigil_api_body_add_error (body, loc, error ? error->message : "value is not a valid dict",
                                        "value_error");
              continue;
            }
          g_ptr_array_add (events, event);
        }
    }
  if (!vigil_api_body_validate (body, msg))
    return;

  /* Both strings live in the body, which the call now owns. */
  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_risk_analyze_async (server_risk (server), user_id, session_id, events, NULL, analyze_done, call);
}

/* POST /feedback {user_id, session_id, decision_id, was_correct, feedback_source} */
static void
feedback_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = vigil_risk_feedback_finish (VIGIL_RISK (source), result, &error);
  if (id < 0)
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        reply_detail (call->msg, SOUP_STATUS_NOT_FOUND, "not_found", "Decision not found");
      else
        vigil_api_reply_styled_gerror (call->msg, call->style, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_string_member (builder, "status", "success");
      add_string_member (builder, "message", "Feedback recorded");
      json_builder_set_member_name (builder, "feedback_id");
      json_builder_add_int_value (builder, id);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }
  vigil_api_call_complete (call);
}

static void
handle_feedback (VigilServer       *server,
                 SoupServerMessage *msg,
                 const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  const char *user_id, *session_id, *decision_id, *source;
  gboolean was_correct = FALSE;
  JsonNode *node;
  VigilApiCall *call;

  if ((claims = authenticate (server, msg)) == NULL || (body = vigil_api_body_parse (msg, STYLE)) == NULL)
    return;
  user_id = vigil_api_body_get_string (body, "user_id", FALSE);
  session_id = vigil_api_body_get_string (body, "session_id", FALSE);
  decision_id = vigil_api_body_get_string (body, "decision_id", TRUE);
  source = vigil_api_body_get_string (body, "feedback_source", FALSE);
  node = json_object_get_member (vigil_api_body_get_object (body), "was_correct");
  if (node == NULL)
    vigil_api_body_add_error (body, loc_of ("was_correct"), "field required", "value_error.missing");
  else if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    vigil_api_body_add_error (body, loc_of ("was_correct"), "value could not be parsed to a boolean",
                              "type_error.bool");
  else
    was_correct = json_node_get_boolean (node);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_risk_feedback_async (server_risk (server), call->claims->subject, user_id, session_id, decision_id,
                             was_correct, source ? source : "analyst", NULL, feedback_done, call);
}

/* What the labels did: how many of each, and the per-user step-up
 * thresholds they moved. */
static void
add_feedback_use (JsonBuilder          *builder,
                  VigilRisk            *risk,
                  const VigilRiskStats *stats,
                  GPtrArray            *adjustments)
{
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "allow");
  json_builder_add_int_value (builder, stats->feedback_allow);
  json_builder_set_member_name (builder, "block");
  json_builder_add_int_value (builder, stats->feedback_block);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "threshold_adjustments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < adjustments->len; i++)
    {
      const VigilThresholdAdjustment *adjustment = g_ptr_array_index (adjustments, i);

      json_builder_begin_object (builder);
      add_string_member (builder, "user_id", adjustment->user_id);
      add_double_member (builder, "adjustment", adjustment->adjustment);
      add_double_member (builder, "step_up_threshold",
                         round (vigil_risk_get_step_up_threshold (risk, adjustment->adjustment) *
                                1e6) / 1e6);
      json_builder_set_member_name (builder, "raised");
      json_builder_add_int_value (builder, adjustment->raised);
      json_builder_set_member_name (builder, "lowered");
      json_builder_add_int_value (builder, adjustment->lowered);
      vigil_api_builder_add_time (builder, "updated_at", adjustment->updated_at_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* GET /statistics */
static void
handle_statistics (VigilServer       *server,
                   SoupServerMessage *msg,
                   const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GPtrArray) active = NULL;
  g_autoptr(GPtrArray) adjustments = NULL;
  g_autoptr(GError) error = NULL;
  VigilRiskStats stats;
  gint64 total = 0;

  if ((claims = authenticate (server, msg)) == NULL)
    return;
  if (!vigil_risk_get_stats (server_risk (server), &stats, &error))
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }
  adjustments = vigil_profiles_list_adjustments (vigil_engine_get_profiles (vigil_server_get_engine (server)),
                                                 &error);
  if (adjustments == NULL)
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }
  active = vigil_risk_list_sessions (server_risk (server));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string_member (builder, "status", "success");
  json_builder_set_member_name (builder, "statistics");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "active_sessions");
  json_builder_add_int_value (builder, active->len);
  json_builder_set_member_name (builder, "active_sessions_list");
  json_builder_begin_array (builder);
  for (guint i = 0; i < active->len; i++)
    json_builder_add_string_value (builder, ((VigilRiskSessionInfo *) g_ptr_array_index (active, i))->session_id);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "sessions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < active->len; i++)
    {
      const VigilRiskSessionInfo *info = g_ptr_array_index (active, i);

      json_builder_begin_object (builder);
      add_string_member (builder, "session_id", info->session_id);
      vigil_api_builder_add_nullable_string (builder, "user_id", info->user_id);
      add_double_member (builder, "risk_score", info->risk);
      json_builder_set_member_name (builder, "events");
      json_builder_add_int_value (builder, info->events);
      json_builder_set_member_name (builder, "live");
      json_builder_add_boolean_value (builder, info->live);
      vigil_api_builder_add_time (builder, "started_at", info->started_at_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "decisions");
  json_builder_begin_object (builder);
  for (VigilDecision d = VIGIL_DECISION_ALLOW; d <= VIGIL_DECISION_BLOCK; d++)
    {
      json_builder_set_member_name (builder, vigil_decision_to_string (d));
      json_builder_add_int_value (builder, stats.decisions[d]);
      total += stats.decisions[d];
    }
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "total_decisions");
  json_builder_add_int_value (builder, total);
  json_builder_set_member_name (builder, "feedback");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total");
  json_builder_add_int_value (builder, stats.feedback);
  json_builder_set_member_name (builder, "correct");
  json_builder_add_int_value (builder, stats.feedback_correct);
  json_builder_set_member_name (builder, "accuracy");
  if (stats.feedback > 0)
    json_builder_add_double_value (builder, stats.feedback_correct / (double) stats.feedback);
  else
    json_builder_add_null_value (builder);
  add_feedback_use (builder, server_risk (server), &stats, adjustments);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "retraining_pool_vectors");
  json_builder_add_int_value (builder, stats.pool_vectors);
  json_builder_set_member_name (builder, "security_events");
  json_builder_add_int_value (builder, stats.security_events);
  json_builder_set_member_name (builder, "events_analyzed");
  json_builder_add_int_value (builder, (gint64) stats.events_analyzed);
  vigil_api_builder_add_ml_engine (builder, vigil_server_get_engine (server));
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static const VigilApiRoute routes[] = {
  { "/session/start", "POST", handle_session_start, VIGIL_API_ROUTE_BODY, STYLE },
  { "/session/end", "POST", handle_session_end, VIGIL_API_ROUTE_BODY, STYLE },
  { "/analyze-mobile", "POST", handle_analyze, VIGIL_API_ROUTE_BODY, STYLE },
  { "/feedback", "POST", handle_feedback, VIGIL_API_ROUTE_BODY, STYLE },
  { "/statistics", "GET", handle_statistics, 0, STYLE },
};

void
vigil_api_ml_install (VigilServer *server,
                      SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
