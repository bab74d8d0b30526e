/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vigil-sim: simulated banking-app users, genuine and hostile, against a
 * running Vigil over its real API; prints what the server decided. */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "vigil-sim-report.h"
#include "vigil-sim-user.h"

static gboolean
parse_count (const char  *name,
             const char  *text,
             guint64      min,
             guint64      max,
             guint64     *out,
             GError     **error)
{
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, out, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s must be a whole number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ", not '%s'", name,
                   min, max, text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_seconds (const char  *name,
               const char  *text,
               double      *out,
               GError     **error)
{
  char *end = NULL;
  double value;

  if (text == NULL)
    return TRUE;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (value) || value < 0 || value > 1e7)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s must be a number >= 0, not '%s'", name, text);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static void
show_progress (const VigilSimReport *report,
               gpointer              user_data)
{
  g_autofree char *line = vigil_sim_report_progress_line (report);

  fprintf (stderr, "\r%s\033[K", line);
  fflush (stderr);
}

static gboolean
on_interrupt (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  char     *url, *users, *rate, *duration, *mix, *seed, *enroll, *enroll_speed, *events, *mpin_length;
  gboolean  acks_only, json, describe, quiet;
} Arguments;

static void
arguments_clear (Arguments *a)
{
  g_free (a->url);
  g_free (a->users);
  g_free (a->rate);
  g_free (a->duration);
  g_free (a->mix);
  g_free (a->seed);
  g_free (a->enroll);
  g_free (a->enroll_speed);
  g_free (a->events);
  g_free (a->mpin_length);
}

static gboolean
apply_arguments (const Arguments *a,
                 VigilSimOptions *options,
                 GError         **error)
{
  guint64 value;

  if (a->url != NULL)
    options->url = a->url;
  value = options->users;
  if (!parse_count ("--users", a->users, 1, 100000, &value, error))
    return FALSE;
  options->users = (guint) value;
  value = options->seed;
  if (!parse_count ("--seed", a->seed, 0, G_MAXUINT32, &value, error))
    return FALSE;
  options->seed = (guint32) value;
  value = options->enroll_sessions;
  if (!parse_count ("--enroll-sessions", a->enroll, 0, 1000, &value, error))
    return FALSE;
  options->enroll_sessions = (guint) value;
  value = (guint64) options->enroll_speed;
  if (!parse_count ("--enroll-speed", a->enroll_speed, 1, 100, &value, error))
    return FALSE;
  options->enroll_speed = (double) value;
  value = options->session_events;
  if (!parse_count ("--session-events", a->events, 5, 100000, &value, error))
    return FALSE;
  options->session_events = (guint) value;
  value = options->mpin_length;
  if (!parse_count ("--mpin-length", a->mpin_length, 4, 8, &value, error))
    return FALSE;
  options->mpin_length = (guint) value;
  if (!parse_seconds ("--rate", a->rate, &options->rate, error) ||
      !parse_seconds ("--duration", a->duration, &options->duration_s, error))
    return FALSE;
  if (a->mix != NULL && !vigil_sim_options_set_mix (options, a->mix, error))
    return FALSE;
  options->acks_only = a->acks_only;
  if (options->duration_s == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--duration must be above 0 (press Ctrl+C to stop a long run early)");
      return FALSE;
    }
  return TRUE;
}

static void
describe_users (const VigilSimOptions *options)
{
  for (guint i = 0; i < options->users; i++)
    {
      g_autoptr(VigilSimSignature) signature = vigil_sim_signature_new_user (options->seed, i);
      g_autofree char *text = vigil_sim_signature_describe (signature);

      g_print ("%s\n", text);
    }
}

int
main (int   argc,
      char *argv[])
{
  Arguments a = { 0 };
  GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &a.url, "The server (default http://127.0.0.1:8000)", "URL" },
    { "users", 'n', 0, G_OPTION_ARG_STRING, &a.users, "Simulated users (default 20)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_STRING, &a.rate,
      "Events per second over all users (default: each user's own pace)", "EVENTS" },
    { "duration", 't', 0, G_OPTION_ARG_STRING, &a.duration,
      "Seconds of the measurement window after enrollment (default 60)", "SECONDS" },
    { "scenario-mix", 'm', 0, G_OPTION_ARG_STRING, &a.mix,
      "Scenario weights, e.g. genuine=80,takeover=10,bot=10 (scenarios: genuine, takeover, takeover-mid, bot, "
      "stuffing, mpin-brute-force, device-change, lifecycle)", "MIX" },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &a.seed, "Seed of the users and their behaviour (default 1)", "SEED" },
    { "enroll-sessions", 'e', 0, G_OPTION_ARG_STRING, &a.enroll,
      "Genuine sessions per user before the window opens (default 6)", "N" },
    { "enroll-speed", 0, 0, G_OPTION_ARG_STRING, &a.enroll_speed,
      "Run the enrollment sessions this many times faster, their events stamped at the natural pace (default 1)",
      "FACTOR" },
    { "session-events", 0, 0, G_OPTION_ARG_STRING, &a.events, "Mean events per session (default 40)", "N" },
    { "mpin-length", 0, 0, G_OPTION_ARG_STRING, &a.mpin_length,
      "The server's MPIN length (default 6)", "DIGITS" },
    { "acks-only", 0, 0, G_OPTION_ARG_NONE, &a.acks_only,
      "Load mode: genuine sessions only, each event sent when the last is acknowledged, no detection summary",
      NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "Print the summary as JSON", NULL },
    { "describe-users", 0, 0, G_OPTION_ARG_NONE, &a.describe,
      "Print the users' behavioural signatures for the seed and exit", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet, "No progress line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(VigilSimReport) report = NULL;
  VigilSimOptions options;
  guint sigint_id, sigterm_id;

  g_option_context_set_summary (context,
                                "Simulates banking-app users (genuine ones, account takeovers, bots, credential "
                                "stuffing, MPIN guessing, device changes, app lifecycles) against a running Vigil "
                                "over its HTTP and WebSocket API, then prints what the server decided.");
  g_option_context_add_main_entries (context, entries, NULL);
  vigil_sim_options_init (&options);
  if (!g_option_context_parse (context, &argc, &argv, &error) || !apply_arguments (&a, &options, &error))
    {
      g_printerr ("vigil-sim: %s\n(see vigil-sim --help)\n", error->message);
      arguments_clear (&a);
      return 2;
    }
  if (argc > 1)
    {
      g_printerr ("vigil-sim: unexpected argument '%s'\n(see vigil-sim --help)\n", argv[1]);
      arguments_clear (&a);
      return 2;
    }
  if (a.describe)
    {
      describe_users (&options);
      arguments_clear (&a);
      return 0;
    }

  if (!a.quiet && isatty (STDERR_FILENO))
    options.progress_func = show_progress;
  sigint_id = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, cancellable);
  report = vigil_sim_run (&options, cancellable, &error);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  if (options.progress_func != NULL)
    fprintf (stderr, "\r\033[K");
  arguments_clear (&a);
  if (report == NULL)
    {
      g_printerr ("vigil-sim: %s\n", error->message);
      return 1;
    }

  if (a.json)
    {
      g_autoptr(JsonNode) root = vigil_sim_report_to_json (report);
      g_autofree char *text = json_to_string (root, TRUE);

      g_print ("%s\n", text);
    }
  else
    {
      g_autofree char *text = vigil_sim_report_format (report);

      g_print ("%s", text);
    }
  return 0;
}
