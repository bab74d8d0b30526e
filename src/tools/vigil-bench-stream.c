/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Acknowledged events per second and acknowledgement latency of the real
 * `vigil --headless` over its WebSocket streams, on 1 connection and on
 * 100, next to the same load against vigil-echo-server (libsoup and
 * json-glib, no store) as the ceiling of this stack; then 1,000 sessions
 * streaming at once, every event checked, with the server's memory. */
#define G_LOG_DOMAIN "vigil-bench-stream"

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#include "vigil-load-client.h"
#include "vigil-load-proc.h"

#ifndef VIGIL_BENCH_BUILD
#define VIGIL_BENCH_BUILD "unknown"
#endif

#define RATE_LIMIT "1000000"

typedef struct
{
  const char  *name;
  GSubprocess *process;
  GPid         pid;
  char        *url;
  char        *scratch_dir;   /* vigil: data and settings; removed at the end */
  char        *log_path;      /* vigil: its standard error */
} Server;

typedef struct
{
  VigilLoadMode  mode;
  guint          connections;
  guint          events;
  guint          repeat;
} Scenario;

static void
rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          rm_rf (child);
        }
      if (g_rmdir (path) != 0)
        g_printerr ("could not remove %s\n", path);
    }
  else if (g_remove (path) != 0)
    g_printerr ("could not remove %s\n", path);
}

static guint16
free_port (void)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket == NULL || !g_socket_bind (socket, address, TRUE, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    g_error ("no free port: %s", error->message);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
wait_healthy (Server *server)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 5, NULL);
  g_autofree char *url = g_strconcat (server->url, "/health", NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);

      if (body != NULL && soup_message_get_status (msg) == SOUP_STATUS_OK)
        return TRUE;
      if (g_subprocess_get_identifier (server->process) == NULL)
        return FALSE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

static GPid
process_pid (GSubprocess *process)
{
  const char *identifier = g_subprocess_get_identifier (process);

  return identifier != NULL ? (GPid) atoi (identifier) : 0;
}

static void
server_start_echo (Server     *server,
                   const char *binary)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;

  server->name = "ceiling";
  server->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                      binary, "--listen", "127.0.0.1:0", NULL);
  if (server->process == NULL)
    g_error ("cannot start %s: %s", binary, error->message);
  server->pid = process_pid (server->process);

  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  if (line == NULL)
    g_error ("%s printed no URL: %s", binary, error != NULL ? error->message : "end of output");
  server->url = g_steal_pointer (&line);
  if (!wait_healthy (server))
    g_error ("%s does not answer at %s", binary, server->url);
}

/* Limits that would make the canara runs measure the rate limiter
 * instead of the stream are raised through the settings, in a key file
 * of the run's own. */
static gboolean
schema_has_rate_limits (const char *schema_dir)
{
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (schema_dir == NULL)
    return FALSE;
  source = g_settings_schema_source_new_from_directory (schema_dir, NULL, FALSE, NULL);
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, FALSE);
  return schema != NULL && g_settings_schema_has_key (schema, "rate-limit-burst") &&
         g_settings_schema_has_key (schema, "rate-limit-per-minute");
}

static void
server_start_vigil (Server     *server,
                    const char *binary,
                    const char *schema_dir)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *config_dir = NULL;
  g_autofree char *keyfile_dir = NULL;
  g_autofree char *keyfile = NULL;
  g_autofree char *listen = NULL;
  guint16 port = free_port ();

  server->name = "vigil";
  server->scratch_dir = g_dir_make_tmp ("vigil-bench-stream-XXXXXX", &error);
  if (server->scratch_dir == NULL)
    g_error ("%s", error->message);
  data_dir = g_build_filename (server->scratch_dir, "data", NULL);
  config_dir = g_build_filename (server->scratch_dir, "config", NULL);
  keyfile_dir = g_build_filename (config_dir, "glib-2.0", "settings", NULL);
  keyfile = g_build_filename (keyfile_dir, "keyfile", NULL);
  server->log_path = g_build_filename (server->scratch_dir, "vigil.log", NULL);
  g_mkdir_with_parents (keyfile_dir, 0700);

  if (schema_dir != NULL)
    {
      if (!g_file_set_contents (keyfile, "[io/vigil/Console]\n"
                                         "rate-limit-burst=" RATE_LIMIT "\n"
                                         "rate-limit-per-minute=" RATE_LIMIT "\n", -1, &error))
        g_error ("%s", error->message);
      g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);
      g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
      g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_dir, TRUE);
    }
  else
    g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  /* The signing key goes to the scratch directory, never to the keyring. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vigil-bench", TRUE);
  g_subprocess_launcher_set_stderr_file_path (launcher, server->log_path);

  listen = g_strdup_printf ("127.0.0.1:%u", port);
  server->url = g_strdup_printf ("http://127.0.0.1:%u", port);
  server->process = g_subprocess_launcher_spawn (launcher, &error, binary, "--headless", "--listen", listen,
                                                 "--data-dir", data_dir, NULL);
  if (server->process == NULL)
    g_error ("cannot start %s: %s", binary, error->message);
  server->pid = process_pid (server->process);

  if (!wait_healthy (server))
    {
      g_autofree char *log = NULL;

      g_file_get_contents (server->log_path, &log, NULL, NULL);
      g_error ("%s does not answer at %s:\n%s", binary, server->url, log != NULL ? log : "");
    }
}

static void
server_stop (Server *server)
{
  g_autoptr(GError) error = NULL;

  if (server->process != NULL)
    {
      g_subprocess_send_signal (server->process, SIGTERM);
      if (!g_subprocess_wait (server->process, NULL, &error))
        g_printerr ("waiting for %s: %s\n", server->name, error->message);
      else if (!g_subprocess_get_if_exited (server->process) || g_subprocess_get_exit_status (server->process) != 0)
        {
          g_autofree char *log = NULL;

          if (server->log_path != NULL)
            g_file_get_contents (server->log_path, &log, NULL, NULL);
          g_printerr ("%s did not exit cleanly%s%s\n", server->name, log != NULL ? ":\n" : "", log != NULL ? log : "");
        }
    }
  g_clear_object (&server->process);
  if (server->scratch_dir != NULL)
    rm_rf (server->scratch_dir);
  g_clear_pointer (&server->scratch_dir, g_free);
  g_clear_pointer (&server->log_path, g_free);
  g_clear_pointer (&server->url, g_free);
}

static gboolean
measure (Server                 *server,
         const Scenario         *scenario,
         guint                   payload_bytes,
         guint32                 seed,
         VigilLoadResult        *result)
{
  g_autoptr(GError) error = NULL;
  VigilLoadOptions options;
  gboolean complete;

  vigil_load_options_init (&options);
  options.url = server->url;
  options.mode = scenario->mode;
  options.connections = scenario->connections;
  options.events_per_connection = scenario->events;
  options.window = 1;
  options.payload_bytes = payload_bytes;
  options.seed = seed;
  options.timeout_s = 240;

  if (!vigil_load_run (&options, result, &error))
    g_error ("%s", error->message);
  complete = vigil_load_result_is_complete (&options, result);
  if (!complete)
    g_printerr ("  %s: INCOMPLETE: %u connections failed, %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                " events acknowledged; %s\n", server->name, result->connections_failed, result->events_acked,
                (guint64) scenario->connections * scenario->events,
                result->first_error != NULL ? result->first_error : "");
  return complete;
}

static void
print_row (const char            *label,
           const VigilLoadResult *result,
           double                 ceiling)
{
  g_autofree char *ratio = ceiling > 0 ? g_strdup_printf ("%5.2f", result->events_per_s / ceiling)
                                       : g_strdup ("     ");

  g_print ("    %-8s %9.0f events/s  p50 %7.3f ms  p99 %7.3f ms  ratio %s\n",
           label, result->events_per_s, result->latency_p50_ms, result->latency_p99_ms, ratio);
}

static int
compare_rate (gconstpointer a,
              gconstpointer b)
{
  const VigilLoadResult *const *left = a;
  const VigilLoadResult *const *right = b;

  return ((*left)->events_per_s > (*right)->events_per_s) - ((*left)->events_per_s < (*right)->events_per_s);
}

/* The run of median throughput (the lower middle one of an even count). */
static const VigilLoadResult *
median_run (GArray *runs)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; i < runs->len; i++)
    g_ptr_array_add (sorted, &g_array_index (runs, VigilLoadResult, i));
  g_ptr_array_sort (sorted, compare_rate);
  return g_ptr_array_index (sorted, (sorted->len - 1) / 2);
}

typedef struct
{
  Server          *server;
  VigilLoadMemory  memory[4];
  gboolean         have[4];
  gint64           connections[4];   /* as /health says; -1: not reported */
  gint64           sessions[4];
} Watch;

/* Active connections and sessions by the server's /health; -1 when it does not say. */
static void
read_health (Server *server,
             gint64 *out_connections,
             gint64 *out_sessions)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autofree char *url = g_strconcat (server->url, "/health", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  *out_connections = *out_sessions = -1;
  if (body == NULL ||
      !json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  object = json_node_get_object (json_parser_get_root (parser));
  *out_connections = json_object_get_int_member_with_default (object, "active_connections", -1);
  *out_sessions = json_object_get_int_member_with_default (object, "active_sessions", -1);
}

static void
watch_read (Watch *watch,
            guint  slot)
{
  watch->have[slot] = vigil_load_read_memory (watch->server->pid, &watch->memory[slot], NULL);
}

static void
on_phase (VigilLoadPhase phase,
          gpointer       user_data)
{
  Watch *watch = user_data;

  if (phase == VIGIL_LOAD_PHASE_CONNECTED)
    {
      watch_read (watch, 1);
      read_health (watch->server, &watch->connections[1], &watch->sessions[1]);
    }
  else if (phase == VIGIL_LOAD_PHASE_STREAMED)
    {
      watch_read (watch, 2);
      read_health (watch->server, &watch->connections[2], &watch->sessions[2]);
    }
}

/* N sockets opened at once; each streams a few events only after all are
 * open, so that every one is open while the others stream. */
static gboolean
run_concurrent (Server *server,
                guint   connections,
                guint   events,
                guint   payload_bytes,
                guint32 seed)
{
  static const char *const labels[] = { "before", "all open", "all acknowledged", "after closing" };
  g_autoptr(GError) error = NULL;
  VigilLoadOptions options;
  VigilLoadResult result;
  Watch watch = { .server = server, .connections = { -1, -1, -1, -1 }, .sessions = { -1, -1, -1, -1 } };
  gboolean complete;

  vigil_load_options_init (&options);
  options.url = server->url;
  options.mode = VIGIL_LOAD_MODE_CBSA;
  options.connections = connections;
  options.events_per_connection = events;
  options.window = 1;
  options.payload_bytes = payload_bytes;
  options.seed = seed;
  options.timeout_s = 240;
  options.phase_func = on_phase;
  options.phase_data = &watch;

  watch_read (&watch, 0);
  if (!vigil_load_run (&options, &result, &error))
    g_error ("%s", error->message);
  g_usleep (500 * 1000);
  watch_read (&watch, 3);

  complete = vigil_load_result_is_complete (&options, &result);
  g_print ("  %s: %u of %u sessions served (all open after %.2f s), %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
           " events acknowledged, %.0f events/s, p50 %.3f ms, p99 %.3f ms%s\n",
           server->name, result.connections_ok, connections, result.connect_s, result.events_acked,
           (guint64) connections * events, result.events_per_s, result.latency_p50_ms, result.latency_p99_ms,
           complete ? "" : "  INCOMPLETE");
  if (result.first_error != NULL)
    g_print ("    first error: %s\n", result.first_error);
  for (guint i = 1; i <= 2; i++)
    if (watch.connections[i] >= 0)
      g_print ("    %s /health, %s: %" G_GINT64_FORMAT " active connections, %" G_GINT64_FORMAT " active sessions\n",
               server->name, labels[i], watch.connections[i], watch.sessions[i]);
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (watch.have[i])
      {
        g_autofree char *rss = vigil_load_format_kib (watch.memory[i].rss_kib);
        g_autofree char *hwm = vigil_load_format_kib (watch.memory[i].hwm_kib);

        g_print ("    %s memory %-17s VmRSS %10s  VmHWM %10s\n", server->name, labels[i], rss, hwm);
      }
  if (watch.have[0] && watch.have[2] && connections > 0)
    g_print ("    %s: %.1f KiB more RSS per open session\n", server->name,
             ((double) watch.memory[2].rss_kib - (double) watch.memory[0].rss_kib) / connections);

  vigil_load_result_clear (&result);
  return complete;
}

static char *
sibling_path (const char *relative)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self != NULL ? g_path_get_dirname (self) : g_get_current_dir ();
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);

  return g_file_get_path (file);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *vigil_binary = NULL;
  g_autofree char *echo_binary = NULL;
  g_autofree char *schema_dir = NULL;
  int single_events = 3000;
  int multi_connections = 100;
  int multi_events = 100;
  int concurrent = 1000;
  int concurrent_events = 5;
  int payload_bytes = 64;
  gint64 seed = 42;
  int repeat = 3;
  gboolean no_canara = FALSE;
  const GOptionEntry entries[] = {
    { "vigil", 0, 0, G_OPTION_ARG_FILENAME, &vigil_binary, "The vigil executable (default ../vigil)", "PATH" },
    { "echo-server", 0, 0, G_OPTION_ARG_FILENAME, &echo_binary,
      "The ceiling server (default vigil-echo-server next to this program)", "PATH" },
    { "schema-dir", 0, 0, G_OPTION_ARG_FILENAME, &schema_dir,
      "Compiled GSettings schemas, to raise vigil's login rate limits for the canara runs", "DIR" },
    { "events", 'n', 0, G_OPTION_ARG_INT, &single_events, "Events on the single connection (default 3000)", "N" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &multi_connections, "Connections of the multi-connection runs (default 100)", "N" },
    { "events-per-connection", 0, 0, G_OPTION_ARG_INT, &multi_events,
      "Events per connection of the multi-connection runs (default 100)", "N" },
    { "concurrent", 0, 0, G_OPTION_ARG_INT, &concurrent, "Sessions streaming at once in the last part; 0 skips it (default 1000)", "N" },
    { "concurrent-events", 0, 0, G_OPTION_ARG_INT, &concurrent_events, "Events each of those sends (default 5)", "N" },
    { "payload-bytes", 'p', 0, G_OPTION_ARG_INT, &payload_bytes, "Padding in each event (default 64)", "BYTES" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Runs of each measurement; the median is shown (default 3)", "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the canara accounts (default 42)", "SEED" },
    { "no-canara", 0, 0, G_OPTION_ARG_NONE, &no_canara, "Only the cbsa stream", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark the behavioral event streams");
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) scenarios = g_array_new (FALSE, FALSE, sizeof (Scenario));
  Server ceiling = { 0 };
  Server vigil = { 0 };
  gboolean canara;
  gboolean all_complete = TRUE;
  guint64 fd_limit;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vigil-bench-stream: %s\n", error->message);
      return 2;
    }
  if (single_events < 1 || multi_connections < 1 || multi_events < 1 || concurrent < 0 ||
      concurrent_events < 1 || payload_bytes < 0 || repeat < 1)
    {
      g_printerr ("vigil-bench-stream: counts must be positive\n");
      return 2;
    }
  if (vigil_binary == NULL)
    vigil_binary = sibling_path ("../vigil");
  if (echo_binary == NULL)
    echo_binary = sibling_path ("vigil-echo-server");

  /* Both servers inherit the raised limit. */
  fd_limit = vigil_load_raise_fd_limit ();
  if (fd_limit < 2 * (guint64) MAX (concurrent, multi_connections) + 128)
    {
      g_printerr ("vigil-bench-stream: the open-file limit (%" G_GUINT64_FORMAT ") is too low for %d sessions; "
                  "running %d\n", fd_limit, concurrent, (int) (fd_limit / 2 - 128));
      concurrent = (int) MAX ((gint64) fd_limit / 2 - 128, 0);
    }

  canara = !no_canara && schema_has_rate_limits (schema_dir);
  g_array_append_vals (scenarios, (Scenario[]) {
    { VIGIL_LOAD_MODE_CBSA, 1, (guint) single_events, (guint) repeat },
    { VIGIL_LOAD_MODE_CBSA, (guint) multi_connections, (guint) multi_events, (guint) repeat },
  }, 2);
  /* Once on many connections: their argon2id logins take longer than
   * the streaming itself. */
  if (canara)
    g_array_append_vals (scenarios, (Scenario[]) {
      { VIGIL_LOAD_MODE_CANARA, 1, (guint) single_events, (guint) repeat },
      { VIGIL_LOAD_MODE_CANARA, (guint) multi_connections, (guint) multi_events, 1 },
    }, 2);

  server_start_echo (&ceiling, echo_binary);
  server_start_vigil (&vigil, vigil_binary, schema_dir);

  g_print ("stream benchmark: %u processors, build %s, payload %d B, window 1 (each event waits for its ack)\n",
           g_get_num_processors (), VIGIL_BENCH_BUILD, payload_bytes);
  g_print ("  ceiling: vigil-echo-server (libsoup WebSocket + json-glib parse and ack, no store), pid %d\n",
           (int) ceiling.pid);
  g_print ("  vigil:   %s --headless, pid %d (acks after the SQLite commit)\n", vigil_binary, (int) vigil.pid);
  if (!canara)
    g_print ("  canara runs skipped: %s\n",
             no_canara ? "--no-canara" : "no --schema-dir with rate-limit-burst / rate-limit-per-minute, "
                                         "so logins would be rate-limited");

  /* Warm both up: first connections, first pages of the database. */
  {
    Scenario warm = { VIGIL_LOAD_MODE_CBSA, 4, 100 };
    VigilLoadResult result;

    measure (&ceiling, &warm, (guint) payload_bytes, (guint32) seed, &result);
    vigil_load_result_clear (&result);
    measure (&vigil, &warm, (guint) payload_bytes, (guint32) seed, &result);
    vigil_load_result_clear (&result);
  }

  for (guint i = 0; i < scenarios->len; i++)
    {
      const Scenario *scenario = &g_array_index (scenarios, Scenario, i);
      g_autoptr(GArray) ceiling_runs = g_array_new (FALSE, TRUE, sizeof (VigilLoadResult));
      g_autoptr(GArray) vigil_runs = g_array_new (FALSE, TRUE, sizeof (VigilLoadResult));
      const VigilLoadResult *ceiling_median, *vigil_median;

      g_array_set_clear_func (ceiling_runs, (GDestroyNotify) vigil_load_result_clear);
      g_array_set_clear_func (vigil_runs, (GDestroyNotify) vigil_load_result_clear);
      if (scenario->repeat > 1)
        g_print ("  %s, %u connection%s × %u events (median of %u runs):\n", vigil_load_mode_to_string (scenario->mode),
                 scenario->connections, scenario->connections == 1 ? "" : "s", scenario->events, scenario->repeat);
      else
        g_print ("  %s, %u connection%s × %u events:\n", vigil_load_mode_to_string (scenario->mode),
                 scenario->connections, scenario->connections == 1 ? "" : "s", scenario->events);
      /* Alternating, so that both see the same machine. */
      for (guint r = 0; r < scenario->repeat; r++)
        {
          guint32 run_seed = (guint32) seed + 1 + i * (guint) repeat + r;

          g_array_set_size (ceiling_runs, ceiling_runs->len + 1);
          g_array_set_size (vigil_runs, vigil_runs->len + 1);
          all_complete &= measure (&ceiling, scenario, (guint) payload_bytes, run_seed,
                                   &g_array_index (ceiling_runs, VigilLoadResult, r));
          all_complete &= measure (&vigil, scenario, (guint) payload_bytes, run_seed,
                                   &g_array_index (vigil_runs, VigilLoadResult, r));
        }
      ceiling_median = median_run (ceiling_runs);
      vigil_median = median_run (vigil_runs);
      print_row ("ceiling", ceiling_median, 0);
      print_row ("vigil", vigil_median, ceiling_median->events_per_s);
    }

  if (concurrent > 0)
    {
      /* Fresh processes: memory freed by the runs above would hide what
       * the open sessions cost. */
      server_stop (&ceiling);
      server_stop (&vigil);
      server_start_echo (&ceiling, echo_binary);
      server_start_vigil (&vigil, vigil_binary, schema_dir);
      g_print ("  %d sessions streaming at once (cbsa, %d events each, window 1), on freshly started servers:\n",
               concurrent, concurrent_events);
      all_complete &= run_concurrent (&ceiling, (guint) concurrent, (guint) concurrent_events,
                                      (guint) payload_bytes, (guint32) seed);
      all_complete &= run_concurrent (&vigil, (guint) concurrent, (guint) concurrent_events,
                                      (guint) payload_bytes, (guint32) seed);
    }

  server_stop (&ceiling);
  server_stop (&vigil);
  g_print ("  %s\n", all_complete ? "every event of every run was acknowledged"
                                  : "FAILED: some events were not acknowledged");
  return all_complete ? 0 : 1;
}
