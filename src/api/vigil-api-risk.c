/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The walmart backend's behavioral routes: fingerprint updates and
 * analysis, risk assessment and analytics, in the shapes its Flask clients
 * read ({"message": ...} on errors, 401 for every token problem). Every
 * figure comes from the engine's models and data, never from chance. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include <math.h>

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

#define STYLE VIGIL_API_STYLE_FLASK
#define SESSION_ANALYTICS_DAYS 30

static VigilFingerprints *
server_fingerprints (VigilServer *server)
{
  return vigil_engine_get_fingerprints (vigil_server_get_engine (server));
}

static VigilAuth *
server_auth (VigilServer *server)
{
  return vigil_engine_get_auth (vigil_server_get_engine (server));
}

/* Two decimals, as walmart's replies show them. */
static void
add_number (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, round (value * 100.0) / 100.0);
}

static void
add_optional_number (JsonBuilder *builder,
                     const char  *name,
                     gboolean     present,
                     double       value)
{
  if (present)
    add_number (builder, name, value);
  else
    {
      json_builder_set_member_name (builder, name);
      json_builder_add_null_value (builder);
    }
}

static void
reply_error (SoupServerMessage *msg,
             const GError      *error)
{
  if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT))
    vigil_api_reply_styled_error (msg, STYLE, SOUP_STATUS_BAD_REQUEST, "invalid_input", error->message);
  else
    vigil_api_reply_styled_gerror (msg, STYLE, error);
}

/* The caller's token and the body's numeric fields; replies and returns
 * FALSE when either is missing or wrong. */
static gboolean
read_request (VigilServer             *server,
              SoupServerMessage       *msg,
              VigilTokenClaims       **out_claims,
              VigilApiBody           **out_body,
              VigilFingerprintSample **out_sample)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(GError) error = NULL;

  claims = vigil_api_authenticate (msg, server_auth (server), STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return FALSE;
  body = vigil_api_body_parse (msg, STYLE);
  if (body == NULL)
    return FALSE;
  *out_sample = vigil_fingerprint_sample_from_json (vigil_api_body_get_object (body), &error);
  if (*out_sample == NULL)
    {
      reply_error (msg, error);
      return FALSE;
    }
  *out_claims = g_steal_pointer (&claims);
  *out_body = g_steal_pointer (&body);
  return TRUE;
}

/* POST /api/fingerprint/update */
static void
update_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(GError) error = NULL;
  double confidence = 0;

  if (!vigil_fingerprints_update_finish (VIGIL_FINGERPRINTS (source), result, &confidence, &error))
    reply_error (call->msg, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "success");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "Behavioral fingerprint updated");
      add_number (builder, "confidence_score", confidence);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }
  vigil_api_call_complete (call);
}

static void
handle_update (VigilServer       *server,
               SoupServerMessage *msg,
               const char        *segment)
{
  g_autoptr(VigilFingerprintSample) sample = NULL;
  VigilTokenClaims *claims = NULL;
  VigilApiBody *body = NULL;
  VigilApiCall *call;

  if (!read_request (server, msg, &claims, &body, &sample))
    return;
  call = vigil_api_call_new (server, msg, STYLE, body, claims);
  vigil_fingerprints_update_async (server_fingerprints (server), claims->subject, sample, NULL, update_done, call);
}

static void
add_field (JsonBuilder                 *builder,
           const VigilFingerprintField *field)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "field");
  json_builder_add_string_value (builder, field->field);
  add_number (builder, "value", field->value);
  add_number (builder, "mean", field->mean);
  add_number (builder, "stddev", field->stddev);
  add_number (builder, "z_score", field->z);
  json_builder_end_object (builder);
}

/* POST /api/fingerprint/analyze */
static void
handle_analyze (VigilServer       *server,
                SoupServerMessage *msg,
                const char        *segment)
{
  g_autoptr(VigilFingerprintSample) sample = NULL;
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(VigilFingerprintAnalysis) analysis = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  if (!read_request (server, msg, &claims, &body, &sample))
    return;
  analysis = vigil_fingerprints_analyze (server_fingerprints (server), claims->subject, sample, &error);
  if (analysis == NULL)
    {
      reply_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "is_anomaly");
  json_builder_add_boolean_value (builder, analysis->is_anomaly);
  add_number (builder, "anomaly_score", analysis->anomaly_score);
  add_number (builder, "confidence", analysis->confidence);
  json_builder_set_member_name (builder, "anomalous_fields");
  json_builder_begin_array (builder);
  for (guint i = 0; i < analysis->anomalous_fields->len; i++)
    add_field (builder, g_ptr_array_index (analysis->anomalous_fields, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "compared_fields");
  json_builder_add_int_value (builder, analysis->compared_fields);
  json_builder_set_member_name (builder, "updates");
  json_builder_add_int_value (builder, (gint64) analysis->updates);
  json_builder_set_member_name (builder, "z_threshold");
  json_builder_add_double_value (builder, VIGIL_FINGERPRINT_Z_THRESHOLD);
  if (analysis->compared_fields == 0)
    {
      json_builder_set_member_name (builder, "detail");
      json_builder_add_string_value (builder, "No fingerprint history to compare with yet: nothing was judged");
    }
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* POST /api/risk/assess */
static void
assess_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilRiskAssessment) a = NULL;
  g_autoptr(GError) error = NULL;

  a = vigil_fingerprints_assess_finish (VIGIL_FINGERPRINTS (source), result, &error);
  if (a == NULL)
    reply_error (call->msg, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      add_number (builder, "risk_score", a->risk_score);
      json_builder_set_member_name (builder, "risk_label");
      json_builder_add_string_value (builder, a->risk_label);
      json_builder_set_member_name (builder, "component_scores");
      json_builder_begin_object (builder);
      add_optional_number (builder, "ml_score", a->has_ml, a->ml_score);
      json_builder_set_member_name (builder, "ml_risk_label");
      json_builder_add_string_value (builder, a->ml_risk_label);
      add_optional_number (builder, "fingerprint_diff", a->has_fingerprint, a->fingerprint_diff);
      add_optional_number (builder, "intent_score", a->has_intent, a->intent_score);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "weights");
      json_builder_begin_object (builder);
      add_number (builder, "fingerprint_diff", VIGIL_RISK_WEIGHT_FINGERPRINT);
      add_number (builder, "intent_score", VIGIL_RISK_WEIGHT_INTENT);
      add_number (builder, "ml_score", VIGIL_RISK_WEIGHT_ML);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "abstained");
      json_builder_begin_array (builder);
      if (!a->has_ml)
        json_builder_add_string_value (builder, "ml_score");
      if (!a->has_fingerprint)
        json_builder_add_string_value (builder, "fingerprint_diff");
      if (!a->has_intent)
        json_builder_add_string_value (builder, "intent_score");
      json_builder_end_array (builder);
      add_number (builder, "confidence", a->confidence);
      vigil_api_builder_add_nullable_string (builder, "ml_basis", a->ml_basis);
      json_builder_set_member_name (builder, "ml_vectors");
      json_builder_add_int_value (builder, a->ml_vectors);
      vigil_api_builder_add_nullable_string (builder, "ml_detail", a->ml_detail);
      json_builder_set_member_name (builder, "anomalous_fields");
      json_builder_begin_array (builder);
      for (guint i = 0; i < a->fingerprint->anomalous_fields->len; i++)
        add_field (builder, g_ptr_array_index (a->fingerprint->anomalous_fields, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }
  vigil_api_call_complete (call);
}

static void
handle_assess (VigilServer       *server,
               SoupServerMessage *msg,
               const char        *segment)
{
  g_autoptr(VigilFingerprintSample) sample = NULL;
  VigilTokenClaims *claims = NULL;
  VigilApiBody *body = NULL;
  VigilApiCall *call;

  if (!read_request (server, msg, &claims, &body, &sample))
    return;
  call = vigil_api_call_new (server, msg, STYLE, body, claims);
  vigil_fingerprints_assess_async (server_fingerprints (server), claims->subject, sample, NULL, assess_done, call);
}

/* GET /api/analytics/session: the caller's last 30 days. */
static void
handle_session_analytics (VigilServer       *server,
                          SoupServerMessage *msg,
                          const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  VigilSessionAnalytics figures;

  claims = vigil_api_authenticate (msg, server_auth (server), STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  if (!vigil_fingerprints_session_analytics (server_fingerprints (server), claims->subject,
                                             SESSION_ANALYTICS_DAYS, &figures, &error))
    {
      reply_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, claims->subject);
  json_builder_set_member_name (builder, "period_days");
  json_builder_add_int_value (builder, SESSION_ANALYTICS_DAYS);
  json_builder_set_member_name (builder, "session_count");
  json_builder_add_int_value (builder, (gint64) figures.sessions);
  json_builder_set_member_name (builder, "total_events");
  json_builder_add_int_value (builder, (gint64) figures.events);
  add_optional_number (builder, "average_risk", figures.has_risk, figures.average_risk);
  json_builder_set_member_name (builder, "decisions");
  json_builder_add_int_value (builder, (gint64) figures.decisions);
  json_builder_set_member_name (builder, "high_risk_decisions");
  json_builder_add_int_value (builder, (gint64) figures.high_risk_decisions);
  vigil_api_builder_add_time (builder, "last_session_at", figures.last_session_at_us);
  json_builder_set_member_name (builder, "fingerprint_updates");
  json_builder_add_int_value (builder, (gint64) figures.fingerprint_updates);
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* GET /api/analytics/dashboard (admin): the last 24 hours. */
static void
handle_dashboard (VigilServer       *server,
                  SoupServerMessage *msg,
                  const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  VigilDashboardAnalytics figures;

  claims = vigil_api_authenticate (msg, auth, STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  if (!vigil_auth_require_admin (auth, claims, &error))
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN))
        vigil_api_reply_styled_error (msg, STYLE, SOUP_STATUS_FORBIDDEN, "forbidden", "Admin privileges required!");
      else
        vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }
  if (!vigil_fingerprints_dashboard (server_fingerprints (server), &figures, &error))
    {
      reply_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "active_sessions");
  json_builder_add_int_value (builder, figures.active_sessions);
  json_builder_set_member_name (builder, "high_risk_count");
  json_builder_add_int_value (builder, (gint64) figures.high_risk_count);
  json_builder_set_member_name (builder, "login_attempts");
  json_builder_add_int_value (builder, (gint64) figures.login_attempts);
  json_builder_set_member_name (builder, "blocked_attempts");
  json_builder_add_int_value (builder, (gint64) figures.blocked_attempts);
  json_builder_set_member_name (builder, "period_hours");
  json_builder_add_int_value (builder, 24);
  vigil_api_builder_add_time (builder, "since", figures.since_us);
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* Literal methods: SOUP_METHOD_* are not constant expressions. */
static const VigilApiRoute routes[] = {
  { "/api/fingerprint/update", "POST", handle_update, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/fingerprint/analyze", "POST", handle_analyze, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/risk/assess", "POST", handle_assess, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/analytics/session", "GET", handle_session_analytics, 0, STYLE },
  { "/api/analytics/dashboard", "GET", handle_dashboard, 0, STYLE },
};

void
vigil_api_risk_install (VigilServer *server,
                        SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
