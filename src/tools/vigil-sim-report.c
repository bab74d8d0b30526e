/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulator's summary: per scenario what was sent and acknowledged,
 * what the server decided, and how well it caught the attacks. */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "vigil-sim-report.h"

static const char * const scenario_names[VIGIL_SIM_N_SCENARIOS] = {
  [VIGIL_SIM_ENROLLMENT] = "enrollment",
  [VIGIL_SIM_GENUINE] = "genuine",
  [VIGIL_SIM_TAKEOVER] = "takeover",
  [VIGIL_SIM_TAKEOVER_MID] = "takeover-mid",
  [VIGIL_SIM_BOT] = "bot",
  [VIGIL_SIM_STUFFING] = "stuffing",
  [VIGIL_SIM_MPIN_BRUTE] = "mpin-brute-force",
  [VIGIL_SIM_DEVICE_CHANGE] = "device-change",
  [VIGIL_SIM_LIFECYCLE] = "lifecycle",
};

const char *
vigil_sim_scenario_to_string (VigilSimScenario scenario)
{
  g_return_val_if_fail (scenario < VIGIL_SIM_N_SCENARIOS, NULL);
  return scenario_names[scenario];
}

gboolean
vigil_sim_scenario_is_attack (VigilSimScenario scenario)
{
  return scenario != VIGIL_SIM_ENROLLMENT && scenario != VIGIL_SIM_GENUINE && scenario != VIGIL_SIM_LIFECYCLE;
}

static void
session_record_clear (gpointer data)
{
  VigilSimSessionRecord *record = data;

  g_clear_pointer (&record->session_id, g_free);
}

VigilSimReport *
vigil_sim_report_new (void)
{
  VigilSimReport *report = g_new0 (VigilSimReport, 1);

  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    report->scenarios[i].detect_s = g_array_new (FALSE, FALSE, sizeof (double));
  report->latencies_ms = g_array_new (FALSE, FALSE, sizeof (double));
  report->ended_ids = g_ptr_array_new_with_free_func (g_free);
  report->sessions = g_array_new (FALSE, TRUE, sizeof (VigilSimSessionRecord));
  g_array_set_clear_func (report->sessions, session_record_clear);
  return report;
}

void
vigil_sim_report_free (VigilSimReport *report)
{
  if (report == NULL)
    return;
  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    g_array_unref (report->scenarios[i].detect_s);
  g_array_unref (report->latencies_ms);
  g_ptr_array_unref (report->ended_ids);
  g_array_unref (report->sessions);
  g_free (report->first_error);
  g_free (report);
}

void
vigil_sim_report_error (VigilSimReport *report,
                        const char     *message)
{
  if (report->first_error == NULL)
    report->first_error = g_strdup (message);
}

guint64
vigil_sim_report_events_sent (const VigilSimReport *report)
{
  guint64 sum = 0;

  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    sum += report->scenarios[i].events_sent;
  return sum;
}

guint64
vigil_sim_report_events_acked (const VigilSimReport *report)
{
  guint64 sum = 0;

  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    sum += report->scenarios[i].events_acked;
  return sum;
}

guint
vigil_sim_report_sessions_ended (const VigilSimReport *report)
{
  return report->ended_ids->len;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Nearest rank on a sorted copy. */
static double
percentile (GArray *values,
            double  p)
{
  g_autoptr(GArray) sorted = NULL;
  gsize rank;

  if (values->len == 0)
    return 0;
  sorted = g_array_copy (values);
  qsort (sorted->data, sorted->len, sizeof (double), compare_doubles);
  rank = (gsize) ceil (p / 100.0 * sorted->len);
  rank = CLAMP (rank, 1, sorted->len);
  return g_array_index (sorted, double, rank - 1);
}

double
vigil_sim_report_latency_ms (const VigilSimReport *report,
                             double                p)
{
  return percentile (report->latencies_ms, p);
}

static guint
total (const VigilSimReport *report,
       gsize                 offset)
{
  guint sum = 0;

  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    sum += G_STRUCT_MEMBER (guint, &report->scenarios[i], offset);
  return sum;
}

char *
vigil_sim_report_progress_line (const VigilSimReport *report)
{
  return g_strdup_printf ("%s %5.0f s  sessions %u (open %u)  events %" G_GUINT64_FORMAT
                          " acked %" G_GUINT64_FORMAT "  step-ups %u  blocks %u  p50 %.1f ms",
                          report->measuring ? "measuring" : "enrolling", report->elapsed_s,
                          total (report, G_STRUCT_OFFSET (VigilSimScenarioStats, sessions)),
                          report->open_sessions, vigil_sim_report_events_sent (report),
                          vigil_sim_report_events_acked (report),
                          total (report, G_STRUCT_OFFSET (VigilSimScenarioStats, stepped_up)),
                          total (report, G_STRUCT_OFFSET (VigilSimScenarioStats, blocked)),
                          vigil_sim_report_latency_ms (report, 50));
}

static double
share (guint part,
       guint whole)
{
  return whole > 0 ? 100.0 * part / whole : 0;
}

static void
format_detection (GString                     *out,
                  VigilSimScenario             scenario,
                  const VigilSimScenarioStats *stats)
{
  const char *name = vigil_sim_scenario_to_string (scenario);
  guint runs = stats->sessions - stats->failed;

  if (runs == 0)
    return;
  if (!vigil_sim_scenario_is_attack (scenario))
    {
      g_string_append_printf (out, "  %-17s %u sessions: stepped up %u (%.1f %%), blocked %u (%.1f %%)%s\n", name,
                              runs, stats->stepped_up, share (stats->stepped_up, runs), stats->blocked,
                              share (stats->blocked, runs),
                              scenario == VIGIL_SIM_ENROLLMENT ? " [before the window]" : "");
      return;
    }
  g_string_append_printf (out, "  %-17s %u attacks: detected %u (%.1f %%), within 60 s %u (%.1f %%)", name,
                          stats->attacked, stats->detected, share (stats->detected, stats->attacked),
                          stats->detected_60s, share (stats->detected_60s, stats->attacked));
  if (stats->detect_s->len > 0)
    g_string_append_printf (out, ", time to detection p50 %.1f s, max %.1f s", percentile (stats->detect_s, 50),
                            percentile (stats->detect_s, 100));
  g_string_append_c (out, '\n');
}

char *
vigil_sim_report_format (const VigilSimReport *report)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "vigil-sim: seed %u, %u users, %.1f s (window %.1f s)%s\n", report->seed,
                          report->users, report->elapsed_s, report->window_s,
                          report->acks_only ? ", acknowledgements only" : "");
  g_string_append (out, "scenario           sessions failed ended  events sent    acked  step-ups blocks"
                        "  401s  429s  bad MPIN  locked\n");
  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    {
      const VigilSimScenarioStats *s = &report->scenarios[i];

      if (s->sessions == 0)
        continue;
      g_string_append_printf (out, "%-18s %8u %6u %5u %12" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT
                                   " %9u %6u %5u %5u %9u %7u\n",
                              vigil_sim_scenario_to_string (i), s->sessions, s->failed, s->ended, s->events_sent,
                              s->events_acked, s->stepped_up, s->blocked, s->logins_failed, s->rate_limited,
                              s->mpin_failed, s->mpin_locked);
    }
  g_string_append_printf (out, "events: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " acknowledged;"
                               " ack latency p50 %.2f ms, p99 %.2f ms; sessions ended %u, still open %u\n",
                          vigil_sim_report_events_sent (report), vigil_sim_report_events_acked (report),
                          vigil_sim_report_latency_ms (report, 50), vigil_sim_report_latency_ms (report, 99),
                          vigil_sim_report_sessions_ended (report), report->open_sessions);
  if (!report->acks_only)
    {
      g_string_append (out, "decisions:\n");
      for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
        format_detection (out, i, &report->scenarios[i]);
    }
  if (report->first_error != NULL)
    g_string_append_printf (out, "first error: %s\n", report->first_error);
  return g_string_free (out, FALSE);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, round (value * 1000) / 1000);
}

static void
add_scenario (JsonBuilder                 *builder,
              VigilSimScenario             scenario,
              const VigilSimScenarioStats *s)
{
  json_builder_set_member_name (builder, vigil_sim_scenario_to_string (scenario));
  json_builder_begin_object (builder);
  add_int (builder, "sessions", s->sessions);
  add_int (builder, "failed", s->failed);
  add_int (builder, "ended", s->ended);
  add_int (builder, "events_sent", (gint64) s->events_sent);
  add_int (builder, "events_acked", (gint64) s->events_acked);
  add_int (builder, "stepped_up", s->stepped_up);
  add_int (builder, "blocked", s->blocked);
  add_int (builder, "logins_failed", s->logins_failed);
  add_int (builder, "rate_limited", s->rate_limited);
  add_int (builder, "mpin_failed", s->mpin_failed);
  add_int (builder, "mpin_locked", s->mpin_locked);
  if (vigil_sim_scenario_is_attack (scenario))
    {
      add_int (builder, "attacked", s->attacked);
      add_int (builder, "detected", s->detected);
      add_int (builder, "detected_within_60s", s->detected_60s);
      add_double (builder, "detection_rate", share (s->detected, s->attacked) / 100);
      add_double (builder, "time_to_detection_p50_s", percentile (s->detect_s, 50));
      add_double (builder, "time_to_detection_max_s", percentile (s->detect_s, 100));
    }
  json_builder_end_object (builder);
}

static void
add_session (JsonBuilder                 *builder,
             const VigilSimSessionRecord *record)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "scenario");
  json_builder_add_string_value (builder, vigil_sim_scenario_to_string (record->scenario));
  if (record->session_id != NULL)
    {
      json_builder_set_member_name (builder, "session_id");
      json_builder_add_string_value (builder, record->session_id);
    }
  add_int (builder, "user", record->user);
  add_int (builder, "events_sent", record->events_sent);
  add_double (builder, "streamed_s", record->streamed_s);
  add_double (builder, "stamped_s", record->stamped_s);
  add_double (builder, "paused_s", record->paused_s);
  if (vigil_sim_scenario_is_attack (record->scenario))
    {
      add_int (builder, "attack_at_event", record->attack_at);
      json_builder_set_member_name (builder, "attacked");
      json_builder_add_boolean_value (builder, record->attacked);
      json_builder_set_member_name (builder, "detected");
      json_builder_add_boolean_value (builder, record->detected);
      if (record->detected)
        add_double (builder, "time_to_detection_s", record->detect_s);
    }
  json_builder_set_member_name (builder, "stepped_up");
  json_builder_add_boolean_value (builder, record->stepped_up);
  json_builder_set_member_name (builder, "blocked");
  json_builder_add_boolean_value (builder, record->blocked);
  json_builder_end_object (builder);
}

JsonNode *
vigil_sim_report_to_json (const VigilSimReport *report)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_int (builder, "seed", report->seed);
  add_int (builder, "users", report->users);
  add_double (builder, "elapsed_s", report->elapsed_s);
  add_double (builder, "window_s", report->window_s);
  add_int (builder, "events_sent", (gint64) vigil_sim_report_events_sent (report));
  add_int (builder, "events_acked", (gint64) vigil_sim_report_events_acked (report));
  add_int (builder, "sessions_ended", vigil_sim_report_sessions_ended (report));
  add_int (builder, "sessions_open", report->open_sessions);
  add_double (builder, "ack_latency_p50_ms", vigil_sim_report_latency_ms (report, 50));
  add_double (builder, "ack_latency_p99_ms", vigil_sim_report_latency_ms (report, 99));
  json_builder_set_member_name (builder, "scenarios");
  json_builder_begin_object (builder);
  for (guint i = 0; i < VIGIL_SIM_N_SCENARIOS; i++)
    if (report->scenarios[i].sessions > 0)
      add_scenario (builder, i, &report->scenarios[i]);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "sessions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < report->sessions->len; i++)
    add_session (builder, &g_array_index (report->sessions, VigilSimSessionRecord, i));
  json_builder_end_array (builder);
  if (report->first_error != NULL)
    {
      json_builder_set_member_name (builder, "first_error");
      json_builder_add_string_value (builder, report->first_error);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
