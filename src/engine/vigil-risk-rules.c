/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The evidence of one session's events, added up incrementally: the
 * canara backend's rules, device drift, impossible travel, bot-like
 * timing and the user's behavioral model. No I/O beyond the model. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-risk-private.h"

#define RULE_CONFIDENCE     0.8
#define DRIFT_WEIGHT        0.6
#define DRIFT_CONFIDENCE    0.95
#define IP_CHANGE_WEIGHT    0.2
#define IP_CHANGE_CONFIDENCE 0.8
#define TRAVEL_WEIGHT       0.6
#define TRAVEL_CONFIDENCE   0.9
#define BOT_WEIGHT          0.5
#define BOT_CONFIDENCE      0.85
#define EARTH_RADIUS_KM     6371.0

/* The canara backend's weights, per event type. */
static const struct
{
  const char *event_type;
  double      weight;
  const char *text;
} event_rules[] = {
  { "mpin_failed", 0.25, "MPIN verification failed" },
  { "multiple_login_attempts", 0.3, "Multiple login attempts" },
  { "large_transaction", 0.2, "Large transaction" },
  { "new_beneficiary", 0.15, "New beneficiary added" },
  { "unusual_navigation", 0.15, "Unusual navigation" },
  { "rapid_clicks", 0.1, "Rapid clicks" },
  { "off_hours_activity", 0.1, "Activity at unusual hours" },
  { "copy_paste_behavior", 0.05, "Copy and paste into fields" },
  { "mpin_verified", -0.1, "MPIN verified" },
  { "idle_timeout", -0.05, "Idle timeout" },
  { "normal_typing", -0.02, "Normal typing" },
};

static const char * const page_switch_types[] = {
  "page_view", "page_switch", "navigation", "screen_change", "screen_view",
};

static void
contribution_free (gpointer data)
{
  RiskContribution *contribution = data;

  g_free (contribution->code);
  g_free (contribution->text);
  g_free (contribution);
}

static char *
dup_context_string (JsonObject *context,
                    const char *name)
{
  JsonNode *node;

  if (context == NULL || (node = json_object_get_member (context, name)) == NULL ||
      !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/* The device fields may sit at the top or under device_info. */
static const char *
device_field (JsonObject *object,
              const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  JsonNode *info;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  info = object ? json_object_get_member (object, "device_info") : NULL;
  if (info != NULL && JSON_NODE_HOLDS_OBJECT (info))
    return device_field (json_node_get_object (info), name);
  return NULL;
}

RiskState *
_vigil_risk_state_new (const char *session_id,
                       const char *user_id,
                       JsonObject *context,
                       gint64      now_us)
{
  RiskState *state = g_new0 (RiskState, 1);

  state->session_id = g_strdup (session_id);
  state->user_id = g_strdup (user_id);
  state->started_at_us = now_us;
  state->contributions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, contribution_free);
  state->device_id = g_strdup (device_field (context, "device_id"));
  state->device_model = g_strdup (device_field (context, "device_model"));
  state->os_version = g_strdup (device_field (context, "os_version"));
  state->ip_address = dup_context_string (context, "ip_address");
  return state;
}

void
_vigil_risk_state_free (RiskState *state)
{
  g_free (state->session_id);
  g_free (state->user_id);
  g_free (state->device_id);
  g_free (state->device_model);
  g_free (state->os_version);
  g_free (state->ip_address);
  g_clear_pointer (&state->behavior, _vigil_risk_behavior_free);
  g_hash_table_unref (state->contributions);
  g_clear_pointer (&state->last, vigil_risk_decision_free);
  g_free (state);
}

void
_vigil_risk_state_set_contribution (RiskState  *state,
                                    const char *code,
                                    const char *text,
                                    double      weight,
                                    double      confidence)
{
  RiskContribution *contribution = g_hash_table_lookup (state->contributions, code);

  if (contribution == NULL)
    {
      contribution = g_new0 (RiskContribution, 1);
      contribution->code = g_strdup (code);
      g_hash_table_insert (state->contributions, contribution->code, contribution);
    }
  g_free (contribution->text);
  contribution->text = g_strdup (text);
  contribution->weight = weight;
  contribution->confidence = confidence;
}

static void
add_rule (RiskState  *state,
          const char *code,
          const char *text,
          double      weight)
{
  RiskContribution *contribution = g_hash_table_lookup (state->contributions, code);

  /* canara: every event adds, and the score is clamped each time. */
  state->rules = CLAMP (state->rules + weight, 0.0, 1.0);
  _vigil_risk_state_set_contribution (state, code, text, (contribution ? contribution->weight : 0) + weight,
                                      RULE_CONFIDENCE);
}

static gboolean
member_double (JsonObject *object,
               const char *name,
               double     *out_value)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
    {
      *out_value = json_node_get_double (node);
      return isfinite (*out_value);
    }
  if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      char *end = NULL;

      *out_value = g_ascii_strtod (text, &end);
      return end != text && *end == '\0' && isfinite (*out_value);
    }
  return FALSE;
}

/* The client's time of an event: ISO 8601 (UTC when no zone is given) or
 * epoch seconds / milliseconds. 0 when it has none. */
static gint64
event_client_time_us (const VigilEvent *event)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GTimeZone) utc = NULL;
  char *end = NULL;
  double value;

  if (event->timestamp == NULL || *event->timestamp == '\0')
    return 0;
  value = g_ascii_strtod (event->timestamp, &end);
  if (end != event->timestamp && *end == '\0' && isfinite (value) && value > 0)
    return value > 1e11 ? (gint64) (value * 1000) : (gint64) (value * G_USEC_PER_SEC);

  utc = g_time_zone_new_utc ();
  time = g_date_time_new_from_iso8601 (event->timestamp, utc);
  return time ? g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time) : 0;
}

double
_vigil_risk_haversine_km (double lat1,
                          double lon1,
                          double lat2,
                          double lon2)
{
  double to_rad = G_PI / 180.0;
  double dlat = (lat2 - lat1) * to_rad;
  double dlon = (lon2 - lon1) * to_rad;
  double a = sin (dlat / 2) * sin (dlat / 2) +
             cos (lat1 * to_rad) * cos (lat2 * to_rad) * sin (dlon / 2) * sin (dlon / 2);

  return 2 * EARTH_RADIUS_KM * atan2 (sqrt (a), sqrt (1 - a));
}

/* {latitude, longitude} (or lat / lon) at the top, or under location /
 * location_data. */
gboolean
_vigil_risk_find_location (JsonObject *data,
                           double     *out_lat,
                           double     *out_lon)
{
  static const char * const containers[] = { "location", "location_data" };

  if ((member_double (data, "latitude", out_lat) && member_double (data, "longitude", out_lon)) ||
      (member_double (data, "lat", out_lat) && member_double (data, "lon", out_lon)))
    return fabs (*out_lat) <= 90 && fabs (*out_lon) <= 180;
  for (guint i = 0; i < G_N_ELEMENTS (containers); i++)
    {
      JsonNode *node = json_object_get_member (data, containers[i]);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
          _vigil_risk_find_location (json_node_get_object (node), out_lat, out_lon))
        return TRUE;
    }
  return FALSE;
}

static void
check_drift (RiskState  *state,
             JsonObject *data)
{
  struct { const char *name; char **reference; } fields[] = {
    { "device_id", &state->device_id },
    { "device_model", &state->device_model },
    { "os_version", &state->os_version },
  };
  const char *ip;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = device_field (data, fields[i].name);
      g_autofree char *text = NULL;

      if (value == NULL)
        continue;
      if (*fields[i].reference == NULL)
        {
          /* The first value seen becomes the reference. */
          *fields[i].reference = g_strdup (value);
          continue;
        }
      if (g_strcmp0 (value, *fields[i].reference) == 0)
        continue;
      text = g_strdup_printf ("Device changed during the session (%s)", fields[i].name);
      _vigil_risk_state_set_contribution (state, "device_drift", text, DRIFT_WEIGHT, DRIFT_CONFIDENCE);
    }

  ip = device_field (data, "ip_address");
  if (ip != NULL && state->ip_address == NULL)
    state->ip_address = g_strdup (ip);
  else if (ip != NULL && g_strcmp0 (ip, state->ip_address) != 0)
    _vigil_risk_state_set_contribution (state, "ip_change", "IP address changed during the session",
                                        IP_CHANGE_WEIGHT, IP_CHANGE_CONFIDENCE);
}

static void
check_travel (RiskState  *state,
              JsonObject *data,
              gint64      at_us)
{
  double lat, lon;

  if (!_vigil_risk_find_location (data, &lat, &lon))
    return;
  if (state->has_location)
    {
      double km = _vigil_risk_haversine_km (state->latitude, state->longitude, lat, lon);
      gint64 elapsed_us = at_us - state->location_us;

      if (km > VIGIL_RISK_TRAVEL_KM && elapsed_us < VIGIL_RISK_TRAVEL_SECONDS * G_USEC_PER_SEC)
        {
          g_autofree char *text = g_strdup_printf ("Impossible travel: %.0f km in %.0f s", km,
                                                   MAX (elapsed_us, 0) / (double) G_USEC_PER_SEC);
          _vigil_risk_state_set_contribution (state, "impossible_travel", text, TRAVEL_WEIGHT, TRAVEL_CONFIDENCE);
        }
    }
  state->has_location = TRUE;
  state->latitude = lat;
  state->longitude = lon;
  state->location_us = at_us;
}

/* People are irregular: a coefficient of variation of the gaps between
 * events under 0.1 over 20 events is a script's metronome. */
static void
check_timing (RiskState *state,
              gint64     client_us)
{
  double mean = 0, variance = 0, cv;

  if (client_us == 0)
    return;
  if (state->last_event_us != 0 && client_us >= state->last_event_us)
    {
      state->gaps[state->gap_pos] = (client_us - state->last_event_us) / (double) G_USEC_PER_SEC;
      state->gap_pos = (state->gap_pos + 1) % G_N_ELEMENTS (state->gaps);
      state->n_gaps = MIN (state->n_gaps + 1, G_N_ELEMENTS (state->gaps));
    }
  state->last_event_us = client_us;

  if (state->n_gaps < G_N_ELEMENTS (state->gaps))
    return;
  for (guint i = 0; i < state->n_gaps; i++)
    mean += state->gaps[i];
  mean /= state->n_gaps;
  if (mean <= 0)
    return;   /* one burst: no rhythm to judge */
  for (guint i = 0; i < state->n_gaps; i++)
    variance += (state->gaps[i] - mean) * (state->gaps[i] - mean);
  cv = sqrt (variance / state->n_gaps) / mean;
  if (cv < VIGIL_RISK_BOT_MAX_CV)
    {
      g_autofree char *text = g_strdup_printf ("Inhumanly regular timing (variation %.3f over %u events)", cv,
                                               state->n_gaps + 1);
      _vigil_risk_state_set_contribution (state, "bot_timing", text, BOT_WEIGHT, BOT_CONFIDENCE);
    }
}

static void
check_page_switches (RiskState        *state,
                     const VigilEvent *event,
                     gint64            at_us)
{
  guint oldest;

  if (!g_strv_contains ((const char * const *) page_switch_types, event->event_type))
    return;
  state->switches[state->n_switches % G_N_ELEMENTS (state->switches)] = at_us;
  state->n_switches++;
  if (state->n_switches < G_N_ELEMENTS (state->switches))
    return;
  /* The 11th switch back from this one, within a minute: more than 10. */
  oldest = state->n_switches % G_N_ELEMENTS (state->switches);
  if (at_us - state->switches[oldest] < 60 * G_USEC_PER_SEC)
    add_rule (state, "rule.page_switches", "More than 10 page switches a minute", 0.1);
}

static void
check_model (RiskState     *state,
             JsonObject    *data,
             VigilProfiles *profiles)
{
  g_autoptr(GError) error = NULL;
  g_autofree VigilProfileScore *score = NULL;
  double worst = 0, threshold = VIGIL_PROFILE_THRESHOLD;
  gboolean any = FALSE;

  if (profiles == NULL || state->user_id == NULL ||
      !(json_object_has_member (data, "keyEvents") || json_object_has_member (data, "mousePaths") ||
        json_object_has_member (data, "clicks")))
    return;
  score = vigil_profiles_score (profiles, state->user_id, data, &error);
  if (score == NULL)
    return;   /* no model yet, or every modality abstained */
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    if (score->scored[m] && (!any || score->score[m] > worst))
      {
        any = TRUE;
        worst = score->score[m];
        threshold = score->threshold[m];
      }
  if (!any)
    return;
  state->model_scored = TRUE;
  state->model_score = worst;
  if (score->is_anomaly)
    {
      double excess = threshold < 1 ? CLAMP ((worst - threshold) / (1 - threshold), 0, 1) : 1;
      _vigil_risk_state_set_contribution (state, "behavior_model", "Behavior unlike the user's profile",
                                          0.3 + 0.4 * excess, CLAMP (worst, 0, 1));
    }
  else
    _vigil_risk_state_set_contribution (state, "behavior_model", "Behavior matches the user's profile",
                                        -0.05, 1 - worst);
}

void
_vigil_risk_state_add_event (RiskState        *state,
                             const VigilEvent *event,
                             VigilProfiles    *profiles)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *data = NULL;
  gint64 client_us = event_client_time_us (event);
  gint64 at_us = client_us ? client_us : event->received_at_us;
  double value;

  state->events++;
  if (profiles != NULL && state->user_id != NULL)
    state->step_up_adjustment = vigil_profiles_get_threshold_adjustment (profiles, state->user_id);

  for (guint i = 0; i < G_N_ELEMENTS (event_rules); i++)
    if (g_strcmp0 (event->event_type, event_rules[i].event_type) == 0)
      {
        g_autofree char *code = g_strconcat ("rule.", event_rules[i].event_type, NULL);
        add_rule (state, code, event_rules[i].text, event_rules[i].weight);
      }
  check_page_switches (state, event, at_us);
  check_timing (state, client_us);

  if (event->data != NULL && json_parser_load_from_data (parser, event->data, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    data = json_node_get_object (json_parser_get_root (parser));
  _vigil_risk_behavior_add_event (state, event, data, profiles);
  if (data == NULL)
    return;

  if ((member_double (data, "amount", &value) || member_double (data, "transaction_amount", &value)) &&
      value > 50000)
    add_rule (state, "rule.transaction_amount", "Transaction over 50,000", 0.15);
  if ((member_double (data, "typing_speed", &value) || member_double (data, "wpm", &value)) &&
      (value > 100 || value < 10))
    add_rule (state, "rule.typing_speed", "Typing speed outside 10-100 wpm", 0.05);

  check_drift (state, data);
  check_travel (state, data, at_us);
  check_model (state, data, profiles);
}

static int
compare_reasons (gconstpointer a,
                 gconstpointer b)
{
  const VigilRiskReason *ra = *(VigilRiskReason * const *) a;
  const VigilRiskReason *rb = *(VigilRiskReason * const *) b;

  if (ra->weight != rb->weight)
    return ra->weight < rb->weight ? 1 : -1;
  return strcmp (ra->code, rb->code);
}

void
_vigil_risk_reason_free (gpointer data)
{
  VigilRiskReason *reason = data;

  if (reason == NULL)
    return;
  g_free (reason->code);
  g_free (reason->text);
  g_free (reason);
}

VigilRiskReason *
_vigil_risk_reason_new (const char *code,
                        const char *text,
                        double      weight,
                        double      confidence)
{
  VigilRiskReason *reason = g_new0 (VigilRiskReason, 1);

  reason->code = g_strdup (code);
  reason->text = g_strdup (text);
  reason->weight = weight;
  reason->confidence = confidence;
  return reason;
}

static double
round_milli (double value)
{
  return round (value * 1000) / 1000;
}

VigilRiskDecision *
_vigil_risk_state_evaluate (RiskState *state,
                            gint64     now_us)
{
  VigilRiskDecision *decision = g_new0 (VigilRiskDecision, 1);
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (_vigil_risk_reason_free);
  GHashTableIter iter;
  RiskContribution *contribution;
  double risk = state->rules, weight_sum = 0, weighted_confidence = 0;

  g_hash_table_iter_init (&iter, state->contributions);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &contribution))
    {
      if (!g_str_has_prefix (contribution->code, "rule."))
        risk += contribution->weight;
      if (contribution->weight > 0)
        {
          weight_sum += contribution->weight;
          weighted_confidence += contribution->weight * contribution->confidence;
          g_ptr_array_add (all, _vigil_risk_reason_new (contribution->code, contribution->text,
                                                        contribution->weight, contribution->confidence));
        }
    }
  g_ptr_array_sort (all, compare_reasons);

  decision->session_id = g_strdup (state->session_id);
  decision->user_id = g_strdup (state->user_id);
  decision->at_us = now_us;
  decision->risk = round_milli (CLAMP (risk, 0.0, 1.0));
  decision->confidence = round_milli (weight_sum > 0 ? weighted_confidence / weight_sum : 1 - decision->risk);
  decision->reasons = g_ptr_array_new_with_free_func (_vigil_risk_reason_free);
  for (guint i = 0; i < all->len && i < 5; i++)
    g_ptr_array_add (decision->reasons, g_steal_pointer (&all->pdata[i]));
  decision->decision = vigil_risk_decide_adjusted (decision->risk, decision->confidence, state->step_up_adjustment,
                                                   &decision->requested);
  if (decision->requested == VIGIL_DECISION_BLOCK && decision->decision != VIGIL_DECISION_BLOCK)
    g_ptr_array_insert (decision->reasons, 0,
                        _vigil_risk_reason_new ("block_confidence_low",
                                                "High risk, but the confidence is not above 0.8: step-up instead of block",
                                                0, decision->confidence));
  decision->model_scored = state->model_scored;
  decision->model_score = state->model_score;
  decision->events_analyzed = state->events;
  return decision;
}
