/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vigil-sim against a real in-process server: what it reports is what the
 * store holds, its people are the seed's, its attacks look like attacks;
 * and `vigil --demo --headless` has live sessions within seconds. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "vigil-db.h"
#include "vigil-sim-report.h"
#include "vigil-sim-user.h"
#include "vigil-store.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

/* A short, fast run: many events per second, short sessions. */
static void
short_run_options (VigilSimOptions *options,
                   VigilTestApi    *api,
                   const char      *mix)
{
  g_autoptr(GError) error = NULL;

  vigil_sim_options_init (options);
  options->url = vigil_server_get_url (api->server);
  options->users = 4;
  options->seed = 7;
  options->enroll_sessions = 1;
  options->session_events = 12;
  options->rate = 400;
  options->duration_s = 3;
  options->drain_s = 20;
  g_assert_true (vigil_sim_options_set_mix (options, mix, &error));
  g_assert_no_error (error);
}

static void
set_up_api (VigilTestApi *api)
{
  VigilEngineOptions options;

  vigil_test_api_options_init (&options);
  /* The server's real defaults: ten credential checks per address and
   * account; the manual clock never refills them during the test. */
  options.rate_limit_burst = 10;
  options.rate_limit_per_minute = 10;
  vigil_test_api_set_up (api, &options);
}

static gint64
stored_events (VigilTestApi *api)
{
  g_autoptr(GError) error = NULL;
  gint64 count = -1;

  /* The event kinds the simulator streams; lifecycle calls are events too
   * but are not acknowledged over the socket. */
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (api->engine)),
                                     "SELECT count(*) FROM events WHERE event_type IN"
                                     " ('page_view', 'button_click', 'swipe', 'scroll', 'typing_pattern')",
                                     &count, &error));
  g_assert_no_error (error);
  return count;
}

/* session id → its log file, for every log the server wrote. */
static GHashTable *
list_logs (VigilTestApi *api)
{
  g_autofree char *logs = g_build_filename (api->dir, "behavior-logs", "logs", NULL);
  GHashTable *found = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GDir) users = g_dir_open (logs, 0, NULL);
  const char *user;

  while (users != NULL && (user = g_dir_read_name (users)) != NULL)
    {
      g_autofree char *user_dir = g_build_filename (logs, user, NULL);
      g_autoptr(GDir) sessions = g_dir_open (user_dir, 0, NULL);
      const char *name;

      while (sessions != NULL && (name = g_dir_read_name (sessions)) != NULL)
        if (g_str_has_suffix (name, ".json"))
          g_hash_table_replace (found, g_strndup (name, strlen (name) - 5), g_build_filename (user_dir, name, NULL));
    }
  return found;
}

static GHashTable *
wait_for_logs (VigilTestApi *api,
               guint         expected)
{
  GHashTable *found = NULL;

  /* Logs are written (and synced) off the main loop after a session ends. */
  for (guint i = 0; i < 200; i++)
    {
      gboolean pause = FALSE;

      vigil_test_api_wait_idle (api);
      g_clear_pointer (&found, g_hash_table_unref);
      found = list_logs (api);
      if (g_hash_table_size (found) >= expected)
        break;
      vigil_test_wait_for (&pause, 50);
    }
  return found;
}

/* Each session of the window has its record, and the records add up to
 * the scenario lines of the summary. */
static void
check_session_records (const VigilSimReport *report)
{
  guint sessions[VIGIL_SIM_N_SCENARIOS] = { 0 }, detected[VIGIL_SIM_N_SCENARIOS] = { 0 };
  guint64 sent[VIGIL_SIM_N_SCENARIOS] = { 0 };
  g_autoptr(JsonNode) json = vigil_sim_report_to_json (report);
  JsonArray *listed = json_object_get_array_member (json_node_get_object (json), "sessions");

  g_assert_cmpuint (json_array_get_length (listed), ==, report->sessions->len);
  for (guint i = 0; i < report->sessions->len; i++)
    {
      const VigilSimSessionRecord *record = &g_array_index (report->sessions, VigilSimSessionRecord, i);

      g_assert_cmpuint (record->user, <, report->users);
      g_assert_cmpuint (record->attack_at, <=, record->events_sent);
      g_assert_true (!record->detected || record->attacked);
      sessions[record->scenario]++;
      detected[record->scenario] += record->detected;
      sent[record->scenario] += record->events_sent;
    }
  for (guint s = 0; s < VIGIL_SIM_N_SCENARIOS; s++)
    {
      g_assert_cmpuint (sessions[s], ==, report->scenarios[s].sessions);
      g_assert_cmpuint (detected[s], ==, report->scenarios[s].detected);
      g_assert_cmpuint (sent[s], ==, report->scenarios[s].events_sent);
    }
}

static void
test_summary_matches_store (void)
{
  VigilTestApi api = { 0 };
  VigilSimOptions options;
  g_autoptr(VigilSimReport) report = NULL;
  g_autoptr(GHashTable) logs = NULL;
  g_autoptr(GError) error = NULL;
  guint ended;
  guint blocked;

  set_up_api (&api);
  short_run_options (&options, &api, "genuine=3,takeover=1,takeover-mid=1,bot=1,device-change=1,lifecycle=2");
  report = vigil_sim_run (&options, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  if (report->first_error != NULL)
    g_test_message ("first error: %s", report->first_error);

  /* Every user enrolled, then the window ran. */
  g_assert_cmpuint (report->scenarios[VIGIL_SIM_ENROLLMENT].sessions, ==, options.users);
  g_assert_cmpuint (report->scenarios[VIGIL_SIM_ENROLLMENT].failed, ==, 0);
  g_assert_cmpuint (vigil_sim_report_events_sent (report), >, 0);
  g_assert_cmpuint (report->open_sessions, ==, 0);
  /* What was acknowledged is stored, and only that (below). An event can
   * go unanswered only when it crossed the close of a session the server
   * blocked: at most one per blocked session, since the sim sends the
   * next event after the previous one's answer. */
  blocked = 0;
  for (guint s = 0; s < VIGIL_SIM_N_SCENARIOS; s++)
    blocked += report->scenarios[s].blocked;
  g_assert_cmpuint (vigil_sim_report_events_acked (report), <=, vigil_sim_report_events_sent (report));
  g_assert_cmpuint (vigil_sim_report_events_sent (report) - vigil_sim_report_events_acked (report), <=, blocked);
  vigil_test_api_wait_idle (&api);
  g_assert_cmpint (stored_events (&api), ==, (gint64) vigil_sim_report_events_acked (report));
  g_assert_cmpfloat (vigil_sim_report_latency_ms (report, 99), >, 0);

  /* Every session the server ended has its log file, and no other. */
  ended = vigil_sim_report_sessions_ended (report);
  g_assert_cmpuint (ended, >=, options.users);
  logs = wait_for_logs (&api, ended);
  g_assert_cmpuint (g_hash_table_size (logs), ==, ended);
  for (guint i = 0; i < report->ended_ids->len; i++)
    g_assert_true (g_hash_table_contains (logs, report->ended_ids->pdata[i]));

  check_session_records (report);
  vigil_test_api_tear_down (&api);
}

static void
test_credential_stuffing_is_rate_limited (void)
{
  VigilTestApi api = { 0 };
  VigilSimOptions options;
  g_autoptr(VigilSimReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const VigilSimScenarioStats *stuffing;

  set_up_api (&api);
  short_run_options (&options, &api, "stuffing=1");
  options.enroll_sessions = 0;
  options.users = 2;
  report = vigil_sim_run (&options, NULL, &error);
  g_assert_no_error (error);

  /* Each run tries 30 leaked pairs from one address: the first ten fail,
   * the server then answers 429 and the run counts as detected. */
  stuffing = &report->scenarios[VIGIL_SIM_STUFFING];
  g_assert_cmpuint (stuffing->sessions, >, 0);
  g_assert_cmpuint (stuffing->logins_failed, >=, 1);
  g_assert_cmpuint (stuffing->logins_failed, <=, 10 * stuffing->sessions);
  g_assert_cmpuint (stuffing->rate_limited, >, 0);
  g_assert_cmpuint (stuffing->attacked, >, 0);
  g_assert_cmpuint (stuffing->detected, ==, stuffing->attacked);
  /* No behavioral session was ever opened. */
  g_assert_cmpuint (stuffing->events_sent, ==, 0);
  g_assert_cmpuint (vigil_sim_report_sessions_ended (report), ==, 0);

  vigil_test_api_tear_down (&api);
}

static void
test_mpin_guessing_locks (void)
{
  VigilTestApi api = { 0 };
  VigilSimOptions options;
  g_autoptr(VigilSimReport) report = NULL;
  g_autoptr(GError) error = NULL;
  const VigilSimScenarioStats *brute;

  set_up_api (&api);
  short_run_options (&options, &api, "mpin-brute-force=1");
  options.enroll_sessions = 0;
  options.users = 2;
  report = vigil_sim_run (&options, NULL, &error);
  g_assert_no_error (error);

  /* Three wrong MPINs lock the account (the third answers 423); a run
   * the end of the window cut short is no attack of the rate. */
  brute = &report->scenarios[VIGIL_SIM_MPIN_BRUTE];
  g_assert_cmpuint (brute->attacked, >, 0);
  g_assert_cmpuint (brute->attacked, <=, brute->sessions);
  g_assert_cmpuint (brute->failed, ==, 0);
  g_assert_cmpuint (brute->mpin_locked, ==, brute->attacked);
  /* (A cut run's wrong guesses were still answered and counted.) */
  g_assert_cmpuint (brute->mpin_failed, >=, 2 * brute->attacked);
  g_assert_cmpuint (brute->mpin_failed, <=, 2 * brute->attacked + 2 * options.users);
  g_assert_cmpuint (brute->detected, ==, brute->attacked);

  vigil_test_api_tear_down (&api);
}

/* The span of a session's events as stored, in seconds. */
static double
stored_span_s (VigilTestApi *api,
               const char   *session_id)
{
  g_autofree char *sql = NULL;
  g_autoptr(GError) error = NULL;
  gint64 span_us = -1;

  sql = g_strdup_printf ("SELECT CAST ((julianday (max (timestamp)) - julianday (min (timestamp))) * 86400e6"
                         " AS INTEGER) FROM events WHERE session_id = '%s'", session_id);
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (api->engine)), sql, &span_us,
                                     &error));
  g_assert_no_error (error);
  return span_us / 1e6;
}

/* Enrollment faster than life keeps the natural pace in the events'
 * timestamps, so the models learn the user's real rhythm: an enrollment
 * session's events are stamped over exactly enroll_speed times the pauses
 * it waited, whatever the wall clock did; the window's sessions wait
 * their natural pauses. Nothing here depends on how fast the machine is. */
static void
test_fast_enrollment_keeps_the_pace (void)
{
  VigilTestApi api = { 0 };
  VigilSimOptions options;
  g_autoptr(VigilSimReport) report = NULL;
  g_autoptr(GError) error = NULL;
  guint enrollments = 0;

  set_up_api (&api);
  short_run_options (&options, &api, "genuine=1");
  options.session_events = 20;
  options.enroll_speed = 20;
  report = vigil_sim_run (&options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (report->scenarios[VIGIL_SIM_ENROLLMENT].failed, ==, 0);
  vigil_test_api_wait_idle (&api);

  for (guint i = 0; i < report->sessions->len; i++)
    {
      const VigilSimSessionRecord *record = &g_array_index (report->sessions, VigilSimSessionRecord, i);

      if (record->scenario != VIGIL_SIM_ENROLLMENT || record->events_sent < 5)
        continue;
      g_assert_cmpfloat (record->paused_s, >, 0);
      /* Each gap rounded to a microsecond on either side. */
      g_assert_cmpfloat_with_epsilon (record->stamped_s, options.enroll_speed * record->paused_s,
                                      2e-6 * options.enroll_speed * record->events_sent);
      /* And that is what the server stored. */
      g_assert_cmpfloat_with_epsilon (stored_span_s (&api, record->session_id), record->stamped_s, 1e-3);
      enrollments++;
    }
  g_assert_cmpuint (enrollments, ==, options.users);
  vigil_test_api_tear_down (&api);
}

static void
test_same_seed_same_people (void)
{
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(VigilSimSignature) a = vigil_sim_signature_new_user (42, i);
      g_autoptr(VigilSimSignature) b = vigil_sim_signature_new_user (42, i);
      g_autoptr(VigilSimSignature) other_seed = vigil_sim_signature_new_user (43, i);
      g_autoptr(VigilSimSignature) next = vigil_sim_signature_new_user (42, i + 1);
      g_autoptr(VigilSimSignature) attacker = vigil_sim_signature_new_attacker (42, i);
      g_autofree char *text_a = vigil_sim_signature_describe (a);
      g_autofree char *text_b = vigil_sim_signature_describe (b);
      g_autofree char *text_other = vigil_sim_signature_describe (other_seed);
      g_autofree char *text_next = vigil_sim_signature_describe (next);
      g_autofree char *text_attacker = vigil_sim_signature_describe (attacker);

      g_assert_cmpstr (text_a, ==, text_b);
      g_assert_cmpstr (text_a, !=, text_other);
      g_assert_cmpstr (text_a, !=, text_next);
      g_assert_cmpstr (text_a + strlen (a->name), !=, text_attacker + strlen (attacker->name));
    }
}

static void
test_bot_is_a_metronome (void)
{
  g_autoptr(VigilSimSignature) bot = vigil_sim_signature_new_bot (1, 0);
  g_autoptr(VigilSimSignature) person = vigil_sim_signature_new_user (1, 0);

  g_assert_true (bot->bot);
  g_assert_cmpfloat (bot->gap_cv, ==, 0);
  g_assert_cmpfloat (bot->hold_sd, ==, 0);
  g_assert_cmpfloat (bot->pressure_sd, ==, 0);
  g_assert_false (person->bot);
  g_assert_cmpfloat (person->gap_cv, >, 0.3);
  g_assert_cmpfloat (person->hold_sd, >, 0);
}

static void
test_mix_is_checked (void)
{
  VigilSimOptions options;
  g_autoptr(GError) error = NULL;

  vigil_sim_options_init (&options);
  g_assert_true (vigil_sim_options_set_mix (&options, "genuine=9, bot=1", &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (options.mix[VIGIL_SIM_GENUINE], ==, 9);
  g_assert_cmpfloat (options.mix[VIGIL_SIM_BOT], ==, 1);
  g_assert_cmpfloat (options.mix[VIGIL_SIM_TAKEOVER], ==, 0);

  g_assert_false (vigil_sim_options_set_mix (&options, "genuine=1,robots=2", &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_assert_nonnull (strstr (error->message, "robots"));
  g_clear_error (&error);
  g_assert_false (vigil_sim_options_set_mix (&options, "genuine=-1", &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);
  g_assert_false (vigil_sim_options_set_mix (&options, "genuine=0", &error));
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  /* A refused mix leaves the previous one. */
  g_assert_cmpfloat (options.mix[VIGIL_SIM_GENUINE], ==, 9);
}

static void
test_no_server_is_an_error (void)
{
  VigilSimOptions options;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", vigil_test_free_port ());
  VigilSimReport *report;

  vigil_sim_options_init (&options);
  options.url = url;
  report = vigil_sim_run (&options, NULL, &error);
  g_assert_null (report);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "event-flow-map"));
}

/* vigil --demo --headless */

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Reply;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->done = TRUE;
}

/* /health's active_sessions, or -1 while the server does not answer. */
static gint64
active_sessions (SoupSession *session,
                 const char  *url)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(JsonParser) parser = json_parser_new ();
  Reply reply = { 0 };
  gint64 active = -1;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reply);
  g_assert_true (vigil_test_wait_for (&reply.done, 10000));
  if (reply.error == NULL && soup_message_get_status (msg) == 200 &&
      json_parser_load_from_data (parser, g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body), NULL))
    active = json_object_get_int_member_with_default (json_node_get_object (json_parser_get_root (parser)),
                                                      "active_sessions", -1);
  g_clear_pointer (&reply.body, g_bytes_unref);
  g_clear_error (&reply.error);
  return active;
}

typedef struct
{
  gboolean  done;
  char     *stderr_text;
  GError   *error;
} Exit;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Exit *exit_info = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, NULL, &exit_info->stderr_text,
                                        &exit_info->error);
  exit_info->done = TRUE;
}

static void
test_demo_headless_is_live (void)
{
  guint16 port = vigil_test_free_port ();
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", port);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/health", port);
  g_autofree char *tmp = vigil_test_make_tmp_dir ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  gint64 deadline, active = -1;
  Exit exit_info = { 0 };
  const char *dir_start;
  g_autofree char *demo_dir = NULL;

  /* Its temporary data directory goes where TMPDIR says. */
  g_subprocess_launcher_setenv (launcher, "TMPDIR", tmp, TRUE);
  /* libsoup 3.2 warns ("could not get remote address") when a client's
   * connection is reset before the server looked at it, which the demo's
   * own simulator can do while it shuts down: not fatal for the child;
   * criticals are still checked below. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_assert_nonnull (g_getenv ("VIGIL_BINARY"));
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("VIGIL_BINARY"), "--demo", "--headless",
                                         "--listen", listen, NULL);
  g_assert_no_error (error);

  /* A first-time user sees live sessions within ten seconds. */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && (active = active_sessions (session, url)) <= 0)
    {
      gboolean pause = FALSE;

      vigil_test_wait_for (&pause, 100);
    }
  g_assert_cmpint (active, >, 0);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &exit_info);
  g_assert_true (vigil_test_wait_for (&exit_info.done, 30000));
  g_assert_no_error (exit_info.error);
  g_test_message ("vigil --demo said: %s", exit_info.stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_null (strstr (exit_info.stderr_text, "CRITICAL"));

  /* It said where its data was, and that place is gone. */
  dir_start = strstr (exit_info.stderr_text, "data in ");
  g_assert_nonnull (dir_start);
  demo_dir = g_strndup (dir_start + 8, strcspn (dir_start + 8, " \n"));
  g_assert_true (g_str_has_prefix (demo_dir, tmp));
  g_assert_false (g_file_test (demo_dir, G_FILE_TEST_EXISTS));

  g_free (exit_info.stderr_text);
  vigil_test_rm_rf (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/signatures/same-seed-same-people", test_same_seed_same_people);
  g_test_add_func ("/sim/signatures/bot-is-a-metronome", test_bot_is_a_metronome);
  g_test_add_func ("/sim/options/mix", test_mix_is_checked);
  g_test_add_func ("/sim/run/no-server", test_no_server_is_an_error);
  g_test_add_func ("/sim/run/summary-matches-store", test_summary_matches_store);
  g_test_add_func ("/sim/run/credential-stuffing", test_credential_stuffing_is_rate_limited);
  g_test_add_func ("/sim/run/mpin-guessing", test_mpin_guessing_locks);
  g_test_add_func ("/sim/run/fast-enrollment-keeps-the-pace", test_fast_enrollment_keeps_the_pace);
  g_test_add_func ("/sim/demo/headless-is-live", test_demo_headless_is_live);

  return g_test_run ();
}
