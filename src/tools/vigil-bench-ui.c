/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The console under load: the real window with a real engine and server,
 * a client process streaming cbsa events over the real WebSocket, and the
 * frame clock's intervals and the main loop's longest stall measured
 * while the window is idle (the baseline) and while the stream runs. */
#define G_LOG_DOMAIN "vigil-bench-ui"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vigil-flow-client.h"
#include "vigil-server.h"
#include "vigil-window.h"
#include "vigil-window-private.h"

/* The stall probe: a timer this often; a late dispatch is a stall. */
#define PROBE_MS 2

typedef struct
{
  gboolean  recording;
  GArray   *intervals_us;   /* gint64 between consecutive frames */
  GArray   *frame_cpu_us;   /* gint64: main-thread CPU time of each frame's work */
  gint64    frame_start_cpu_us;
  gint64    last_frame_us;
  gint64    last_probe_us;
  gint64    longest_stall_us;
  guint64   events;         /* from the bus while recording */
} Recorder;

typedef struct
{
  guint   frames;
  double  p50_ms, p95_ms, max_ms, stall_ms;
  double  cpu_p50_ms, cpu_p95_ms, cpu_max_ms;
  guint64 events;
} Figures;

static gboolean
frame_cb (GtkWidget     *widget,
          GdkFrameClock *clock,
          gpointer       user_data)
{
  Recorder *recorder = user_data;
  gint64 now = gdk_frame_clock_get_frame_time (clock);

  if (recorder->recording && recorder->last_frame_us > 0)
    {
      gint64 interval = now - recorder->last_frame_us;

      g_array_append_val (recorder->intervals_us, interval);
    }
  recorder->last_frame_us = now;
  return G_SOURCE_CONTINUE;
}

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* A frame's own work (events, layout, drawing) in CPU time of the main
 * thread: unlike intervals, it does not grow when other processes take
 * the CPU. */
static void
before_paint_cb (GdkFrameClock *clock,
                 gpointer       user_data)
{
  Recorder *recorder = user_data;

  recorder->frame_start_cpu_us = thread_cpu_us ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  Recorder *recorder = user_data;
  gint64 used = thread_cpu_us () - recorder->frame_start_cpu_us;

  if (recorder->recording && recorder->frame_start_cpu_us > 0)
    g_array_append_val (recorder->frame_cpu_us, used);
}

static gboolean
probe_cb (gpointer user_data)
{
  Recorder *recorder = user_data;
  gint64 now = g_get_monotonic_time ();

  if (recorder->recording && recorder->last_probe_us > 0)
    recorder->longest_stall_us = MAX (recorder->longest_stall_us,
                                      now - recorder->last_probe_us - PROBE_MS * 1000);
  recorder->last_probe_us = now;
  return G_SOURCE_CONTINUE;
}

static void
on_events (VigilEventBus *bus,
           GPtrArray     *events,
           gpointer       user_data)
{
  Recorder *recorder = user_data;

  if (recorder->recording)
    recorder->events += events->len;
}

static void
start_recording (Recorder *recorder)
{
  g_array_set_size (recorder->intervals_us, 0);
  g_array_set_size (recorder->frame_cpu_us, 0);
  recorder->last_frame_us = 0;
  recorder->last_probe_us = 0;
  recorder->longest_stall_us = 0;
  recorder->events = 0;
  recorder->recording = TRUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static Figures
stop_recording (Recorder *recorder)
{
  Figures figures = { 0 };
  GArray *v = recorder->intervals_us;

  recorder->recording = FALSE;
  g_array_sort (v, compare_gint64);
  figures.frames = v->len;
  if (v->len > 0)
    {
      figures.p50_ms = g_array_index (v, gint64, (v->len - 1) / 2) / 1000.0;
      figures.p95_ms = g_array_index (v, gint64, (guint) ((v->len - 1) * 0.95)) / 1000.0;
      figures.max_ms = g_array_index (v, gint64, v->len - 1) / 1000.0;
    }
  v = recorder->frame_cpu_us;
  g_array_sort (v, compare_gint64);
  if (v->len > 0)
    {
      figures.cpu_p50_ms = g_array_index (v, gint64, (v->len - 1) / 2) / 1000.0;
      figures.cpu_p95_ms = g_array_index (v, gint64, (guint) ((v->len - 1) * 0.95)) / 1000.0;
      figures.cpu_max_ms = g_array_index (v, gint64, v->len - 1) / 1000.0;
    }
  figures.stall_ms = MAX (recorder->longest_stall_us, 0) / 1000.0;
  figures.events = recorder->events;
  return figures;
}

static void
run_for (double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
}

static void
on_client_exited (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Streams with a client process; its report line lands in @out_report. */
static gboolean
run_client (const char  *self_path,
            const char  *url,
            double       rate,
            double       duration,
            guint        connections,
            guint        sessions,
            char       **out_report,
            GError     **error)
{
  g_autofree char *rate_text = g_strdup_printf ("%g", rate);
  g_autofree char *duration_text = g_strdup_printf ("%g", duration);
  g_autofree char *connections_text = g_strdup_printf ("%u", connections);
  g_autofree char *sessions_text = g_strdup_printf ("%u", sessions);
  g_autoptr(GSubprocess) client = NULL;
  g_autoptr(GBytes) stdout_bytes = NULL;
  gboolean exited = FALSE;

  client = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, error,
                             self_path, "--client", url, "--rate", rate_text,
                             "--duration", duration_text, "--connections", connections_text,
                             "--sessions", sessions_text, NULL);
  if (client == NULL)
    return FALSE;

  g_subprocess_wait_async (client, NULL, on_client_exited, &exited);
  while (!exited)
    g_main_context_iteration (NULL, TRUE);

  if (!g_subprocess_get_if_exited (client) || g_subprocess_get_exit_status (client) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The client failed");
      return FALSE;
    }
  if (!g_subprocess_communicate (client, NULL, NULL, &stdout_bytes, NULL, error))
    return FALSE;
  *out_report = g_strndup (g_bytes_get_data (stdout_bytes, NULL), g_bytes_get_size (stdout_bytes));
  g_strchomp (*out_report);
  return TRUE;
}

static GBytes *
flow_map_bytes (void)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = g_resources_lookup_data ("/io/vigil/Console/event-flow-map.json",
                                           G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  g_assert_no_error (error);
  return bytes;
}

static int
client_main (const char *url,
             double      rate,
             double      duration,
             guint       connections,
             guint       sessions)
{
  g_autoptr(GBytes) map = NULL;
  g_autoptr(GError) error = NULL;
  VigilFlowClientOptions options = { 0 };
  VigilFlowClientResult result;

  /* The console's resource holds the map; make sure it is registered. */
  g_type_ensure (VIGIL_TYPE_WINDOW);
  map = flow_map_bytes ();

  options.url = url;
  options.flow_map = map;
  options.rate = rate;
  options.duration_s = duration;
  options.connections = connections;
  options.sessions = sessions;
  options.seed = (guint32) g_random_int ();
  if (!vigil_flow_client_run (&options, &result, &error))
    {
      g_printerr ("vigil-bench-ui client: %s\n", error->message);
      return 1;
    }
  g_print ("sent %" G_GUINT64_FORMAT ", acknowledged %" G_GUINT64_FORMAT
           " over %u connections in %.2f s\n",
           result.sent, result.acked, result.connections_ok, result.elapsed_s);
  return 0;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else if (g_unlink (child) != 0)
        g_printerr ("Cannot remove %s\n", child);
    }
  if (g_rmdir (path) != 0)
    g_printerr ("Cannot remove %s\n", path);
}

static void
print_figures (const char    *name,
               const Figures *f,
               const Figures *base,
               double         seconds)
{
  g_print ("%-9s %7u %9.2f %9.2f %9.2f %10.2f %11.0f %8.2f %8.2f %8.2f",
           name, f->frames, f->p50_ms, f->p95_ms, f->max_ms, f->stall_ms, f->events / seconds,
           f->cpu_p50_ms, f->cpu_p95_ms, f->cpu_max_ms);
  if (base != NULL && base->p50_ms > 0 && base->p95_ms > 0 && base->max_ms > 0)
    g_print ("   ×%.2f ×%.2f ×%.2f ×%.2f", f->p50_ms / base->p50_ms, f->p95_ms / base->p95_ms,
             f->max_ms / base->max_ms, base->stall_ms > 0 ? f->stall_ms / base->stall_ms : 0.0);
  g_print ("\n");
}

typedef struct
{
  double rate, duration, baseline;
  int    connections, sessions;
} Params;

/* Idle, then the stream on the Live page, then the same stream with the
 * Live page hidden. */
static gboolean
measure_phases (Recorder      *recorder,
                VigilWindow   *window,
                const char    *self_path,
                const char    *url,
                const Params  *params,
                Figures        figures[3],
                char         **out_report,
                GError       **error)
{
  g_autofree char *priming = NULL;

  /* A short stream first, so the Live page shows its map and ticker. */
  if (!run_client (self_path, url, 100, 1, 2, 10, &priming, error))
    return FALSE;
  run_for (1);

  start_recording (recorder);
  run_for (params->baseline);
  figures[0] = stop_recording (recorder);

  start_recording (recorder);
  if (!run_client (self_path, url, params->rate, params->duration,
                   (guint) params->connections, (guint) params->sessions, out_report, error))
    return FALSE;
  figures[1] = stop_recording (recorder);
  g_clear_pointer (out_report, g_free);

  /* What the engine and the server cost the main loop by themselves. */
  adw_view_stack_set_visible_child_name (_vigil_window_get_view_stack (window), "server");
  run_for (1);
  start_recording (recorder);
  if (!run_client (self_path, url, params->rate, params->duration,
                   (guint) params->connections, (guint) params->sessions, out_report, error))
    return FALSE;
  figures[2] = stop_recording (recorder);
  return TRUE;
}

static void
print_report (const Params  *params,
              const Figures  figures[3],
              const char    *report,
              VigilWindow   *window)
{
  g_print ("# vigil-bench-ui: the Live page at 1280×800, %g events/s for %g s over %d "
           "WebSockets (cbsa /ws/behaviour), %d sessions walking the event-flow map\n",
           params->rate, params->duration, params->connections, params->sessions);
  g_print ("# client (last run): %s\n", report);
  g_print ("%-9s %7s %9s %9s %9s %10s %11s %8s %8s %8s   %s\n", "phase", "frames", "p50 ms", "p95 ms",
           "max ms", "stall ms", "events/s", "cpu p50", "cpu p95", "cpu max",
           "interval ratios to idle (p50 p95 max stall)");
  print_figures ("idle", &figures[0], NULL, params->baseline);
  print_figures ("stream", &figures[1], &figures[0], params->duration);
  print_figures ("no-live", &figures[2], &figures[0], params->duration);
  g_print ("# idle: the Live page shown, no events; stream: the Live page under the stream;\n"
           "# no-live: the same stream with the Server page shown instead (engine and server alone)\n"
           "# cpu: main-thread CPU time of a frame's own work (before-paint to after-paint)\n"
           "# renderer: %s\n", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));
}

static void
watch_window (Recorder    *recorder,
              VigilWindow *window)
{
  GdkFrameClock *clock;

  /* Both keep running through every phase, so that each phase measures
   * the same way: the frame clock never idles. */
  gtk_widget_add_tick_callback (GTK_WIDGET (window), frame_cb, recorder, NULL);
  gtk_widget_realize (GTK_WIDGET (window));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), recorder);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), recorder);
}

static int
run_bench (const Params *params)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *self_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *report = NULL;
  g_autoptr(VigilEngine) engine = NULL;
  g_autoptr(VigilServer) server = NULL;
  Recorder recorder = { 0 };
  VigilWindow *window;
  Figures figures[3];
  guint probe_id;
  gboolean ok;

  self_path = g_file_read_link ("/proc/self/exe", &error);
  if (self_path != NULL)
    dir = g_dir_make_tmp ("vigil-bench-ui-XXXXXX", &error);
  if (dir != NULL)
    engine = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  if (engine != NULL)
    server = vigil_server_new (engine);
  if (server == NULL || !vigil_server_listen (server, "127.0.0.1:0", &error))
    {
      g_printerr ("Cannot start: %s\n", error ? error->message : "no server");
      if (engine != NULL)
        vigil_engine_shutdown (engine);
      if (dir != NULL)
        remove_tree (dir);
      return 1;
    }

  window = vigil_window_new (NULL, engine);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));

  recorder.intervals_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  recorder.frame_cpu_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  watch_window (&recorder, window);
  probe_id = g_timeout_add (PROBE_MS, probe_cb, &recorder);
  g_signal_connect (vigil_engine_get_event_bus (engine), "events-received", G_CALLBACK (on_events), &recorder);

  ok = measure_phases (&recorder, window, self_path, vigil_server_get_url (server), params,
                       figures, &report, &error);
  if (ok)
    print_report (params, figures, report, window);
  else
    g_printerr ("Stream: %s\n", error->message);

  g_source_remove (probe_id);
  g_signal_handlers_disconnect_by_data (vigil_engine_get_event_bus (engine), &recorder);
  g_signal_handlers_disconnect_by_data (gtk_widget_get_frame_clock (GTK_WIDGET (window)), &recorder);
  gtk_window_destroy (GTK_WINDOW (window));
  vigil_server_stop (server);
  vigil_engine_shutdown (engine);
  g_array_unref (recorder.intervals_us);
  g_array_unref (recorder.frame_cpu_us);
  remove_tree (dir);

  return ok ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *client_url = NULL;
  Params params = { 5000, 10, 5, 20, 200 };
  const GOptionEntry entries[] = {
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &params.rate, "Events a second (default 5000)", "N" },
    { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &params.duration, "Seconds of streaming (default 10)", "S" },
    { "baseline", 'b', 0, G_OPTION_ARG_DOUBLE, &params.baseline, "Seconds of the idle baseline (default 5)", "S" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &params.connections, "WebSocket connections (default 20)", "N" },
    { "sessions", 's', 0, G_OPTION_ARG_INT, &params.sessions, "Sessions spread over them (default 200)", "N" },
    { "client", 0, 0, G_OPTION_ARG_STRING, &client_url, "Only stream to this server (http://host:port)", "URL" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— frame times of the console under a live stream");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (params.rate <= 0 || params.duration <= 0 || params.baseline <= 0 ||
      params.connections <= 0 || params.sessions <= 0)
    {
      g_printerr ("Rates, durations and counts must be positive\n");
      return 2;
    }

  if (client_url != NULL)
    return client_main (client_url, params.rate, params.duration,
                        (guint) params.connections, (guint) params.sessions);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP No display (run under xvfb-run)\n");
      return 77;
    }
  adw_init ();

  return run_bench (&params);
}
