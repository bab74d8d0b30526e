/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vigil-load: streams behavioral events over a running Vigil's WebSocket
 * API from many connections at once and reports acknowledged events per
 * second, acknowledgement latency and, given its pid, the server's memory. */
#define G_LOG_DOMAIN "vigil-load"

#include "config.h"

#include <locale.h>

#include "vigil-load-client.h"
#include "vigil-load-proc.h"

typedef struct
{
  GPid             pid;
  gboolean         have[4];
  VigilLoadMemory  memory[4];   /* before, connected, streamed, after */
} Watch;

static const char *const memory_labels[] = { "before", "all connected", "all acknowledged", "after closing" };

static void
read_memory (Watch *watch,
             guint  slot)
{
  g_autoptr(GError) error = NULL;

  watch->have[slot] = vigil_load_read_memory (watch->pid, &watch->memory[slot], &error);
  if (!watch->have[slot])
    g_printerr ("vigil-load: %s\n", error->message);
}

static void
on_phase (VigilLoadPhase phase,
          gpointer       user_data)
{
  Watch *watch = user_data;

  switch (phase)
    {
    case VIGIL_LOAD_PHASE_CONNECTED:
      read_memory (watch, 1);
      break;
    case VIGIL_LOAD_PHASE_STREAMED:
      read_memory (watch, 2);
      break;
    case VIGIL_LOAD_PHASE_CLOSED:
    default:
      break;
    }
}

static void
print_result (const VigilLoadOptions *options,
              const VigilLoadResult  *result)
{
  if (result->connect_s >= 0)
    g_print ("  connections: %u ok, %u failed (all open after %.2f s)\n",
             result->connections_ok, result->connections_failed, result->connect_s);
  else
    g_print ("  connections: %u ok, %u failed\n", result->connections_ok, result->connections_failed);
  g_print ("  events: %" G_GUINT64_FORMAT " sent, %" G_GUINT64_FORMAT " acknowledged, %" G_GUINT64_FORMAT " refused\n",
           result->events_sent, result->events_acked, result->events_refused);
  g_print ("  throughput: %.0f acknowledged events/s over %.2f s\n", result->events_per_s, result->stream_s);
  if (result->events_acked > 0)
    g_print ("  ack latency: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
             result->latency_p50_ms, result->latency_p99_ms, result->latency_max_ms);
  if (result->rate_limited > 0)
    g_print ("  %u logins were rate-limited (HTTP 429)\n", result->rate_limited);
  if (result->first_error != NULL)
    g_print ("  first error: %s\n", result->first_error);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *url = NULL;
  g_autofree char *mode = NULL;
  g_autofree char *password = NULL;
  g_autofree char *mpin = NULL;
  int connections = 1;
  int events = -1;
  double duration = 0;
  int window = 1;
  int payload_bytes = 64;
  gint64 seed = -1;
  int server_pid = 0;
  double timeout = 600;
  gboolean deflate = FALSE;
  int connect_concurrency = 64;
  const GOptionEntry entries[] = {
    { "url", 'u', 0, G_OPTION_ARG_STRING, &url, "The server (default http://127.0.0.1:8000)", "URL" },
    { "mode", 'm', 0, G_OPTION_ARG_STRING, &mode,
      "cbsa: /ws/behaviour, a session_id per connection, no login (default); "
      "canara: register, login and verify-mpin per connection, then /api/v1/ws/behavior/{id}", "MODE" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "Connections streaming at once (default 1)", "N" },
    { "events-per-connection", 'n', 0, G_OPTION_ARG_INT, &events,
      "Events each connection sends (default 1000, or unlimited with --duration)", "M" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Stream for this long", "SECONDS" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &window,
      "Events in flight per connection before waiting for acknowledgements; 1 waits for each (default 1)", "W" },
    { "payload-bytes", 'p', 0, G_OPTION_ARG_INT, &payload_bytes, "Padding in each event's data (default 64)", "BYTES" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the phones and MPINs (default: random)", "SEED" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "canara: the accounts' password (default LoadTestPassword1)", "PASSWORD" },
    { "mpin", 0, 0, G_OPTION_ARG_STRING, &mpin, "canara: the accounts' MPIN (default: 6 digits from the seed)", "MPIN" },
    { "deflate", 0, 0, G_OPTION_ARG_NONE, &deflate, "Offer permessage-deflate, as node's ws client does", NULL },
    { "connect-concurrency", 0, 0, G_OPTION_ARG_INT, &connect_concurrency,
      "Connections logging in or shaking hands at once; 0: all (default 64)", "N" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &server_pid, "Report this process's VmRSS and VmHWM", "PID" },
    { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &timeout, "Give up after this long (default 600)", "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— stream behavioral events to a Vigil server");
  g_autoptr(GError) error = NULL;
  g_autofree char *amount = NULL;
  VigilLoadOptions options;
  VigilLoadResult result;
  Watch watch = { 0 };
  guint64 fd_limit;
  gboolean complete;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vigil-load: %s\n", error->message);
      return 2;
    }

  vigil_load_options_init (&options);
  if (url != NULL)
    options.url = url;
  if (mode == NULL || g_str_equal (mode, "cbsa"))
    options.mode = VIGIL_LOAD_MODE_CBSA;
  else if (g_str_equal (mode, "canara"))
    options.mode = VIGIL_LOAD_MODE_CANARA;
  else
    {
      g_printerr ("vigil-load: --mode is cbsa or canara, not “%s”\n", mode);
      return 2;
    }
  if (connections < 1 || window < 1 || payload_bytes < 0 || duration < 0 || timeout <= 0 || connect_concurrency < 0 ||
      (events == 0 && duration == 0))
    {
      g_printerr ("vigil-load: --connections and --window must be at least 1, --events-per-connection "
                  "or --duration must be set, and none may be negative\n");
      return 2;
    }
  options.connections = (guint) connections;
  options.events_per_connection = events >= 0 ? (guint) events : duration > 0 ? 0 : 1000;
  options.duration_s = duration;
  options.window = (guint) window;
  options.payload_bytes = (guint) payload_bytes;
  options.seed = seed >= 0 ? (guint32) seed : g_random_int ();
  options.timeout_s = timeout;
  options.offer_deflate = deflate;
  options.connect_concurrency = (guint) connect_concurrency;
  if (password != NULL)
    options.password = password;
  if (mpin != NULL)
    options.mpin = mpin;

  fd_limit = vigil_load_raise_fd_limit ();
  if (fd_limit < (guint64) connections + 64)
    g_printerr ("vigil-load: the open-file limit is %" G_GUINT64_FORMAT ", too low for %d connections "
                "(raise the hard limit: ulimit -Hn)\n", fd_limit, connections);

  if (server_pid > 0)
    {
      watch.pid = server_pid;
      read_memory (&watch, 0);
      options.phase_func = on_phase;
      options.phase_data = &watch;
    }

  amount = options.events_per_connection > 0 ? g_strdup_printf ("%u events", options.events_per_connection)
                                              : g_strdup_printf ("%.1f s", options.duration_s);
  g_print ("vigil-load: %s, %u connection%s × %s, window %u, payload %u B, seed %u → %s\n",
           vigil_load_mode_to_string (options.mode), options.connections, options.connections == 1 ? "" : "s",
           amount, options.window,
           options.payload_bytes, options.seed, options.url);

  if (!vigil_load_run (&options, &result, &error))
    {
      g_printerr ("vigil-load: %s\n", error->message);
      return 2;
    }
  print_result (&options, &result);

  if (server_pid > 0)
    {
      /* Give the server a moment to tear the closed sockets down. */
      g_usleep (500 * 1000);
      read_memory (&watch, 3);
      g_print ("  server memory (pid %d):\n", server_pid);
      for (guint i = 0; i < G_N_ELEMENTS (watch.memory); i++)
        if (watch.have[i])
          {
            g_autofree char *rss = vigil_load_format_kib (watch.memory[i].rss_kib);
            g_autofree char *hwm = vigil_load_format_kib (watch.memory[i].hwm_kib);

            g_print ("    %-17s VmRSS %10s   VmHWM %10s\n", memory_labels[i], rss, hwm);
          }
    }

  complete = vigil_load_result_is_complete (&options, &result);
  g_print ("  %s\n", complete ? "every event was acknowledged" : "INCOMPLETE: not every event was acknowledged");
  vigil_load_result_clear (&result);
  return complete ? 0 : 1;
}
