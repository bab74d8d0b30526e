/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The load generator: every connection logs in (canara) or names its own
 * stream session (cbsa), waits at a barrier until all are open, then
 * streams with at most `window` events unacknowledged, timing each from
 * its send to its acknowledgement. Replies come in the order of the
 * messages on a connection, so the oldest send time in flight is the
 * one an answer belongs to.
 *
 * This file holds the options and the run: its barrier, its close and
 * its result; a connection's socket is in vigil-load-conn.c, canara's
 * login steps in vigil-load-login.c. */
#define G_LOG_DOMAIN "vigil-load"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "vigil-load-client.h"
#include "vigil-load-private.h"
#include "vigil-stats.h"

#define CLOSE_GRACE_MS 10000

void
vigil_load_options_init (VigilLoadOptions *options)
{
  g_return_if_fail (options != NULL);

  *options = (VigilLoadOptions) {
    .url = "http://127.0.0.1:8000",
    .mode = VIGIL_LOAD_MODE_CBSA,
    .connections = 1,
    .events_per_connection = 1000,
    .duration_s = 0,
    .window = 1,
    .payload_bytes = 64,
    .seed = 1,
    .password = "LoadTestPassword1",
    .mpin = NULL,
    .offer_deflate = FALSE,
    .connect_concurrency = 64,
    .timeout_s = 600,
  };
}

const char *
vigil_load_mode_to_string (VigilLoadMode mode)
{
  return mode == VIGIL_LOAD_MODE_CANARA ? "canara" : "cbsa";
}

/* The run */

static void
run_quit (Run *run)
{
  if (run->done)
    return;
  run->done = TRUE;
  g_clear_handle_id (&run->timeout_id, g_source_remove);
  g_clear_handle_id (&run->grace_id, g_source_remove);
  if (run->options->phase_func != NULL)
    run->options->phase_func (VIGIL_LOAD_PHASE_CLOSED, run->options->phase_data);
}

static gboolean
on_grace_expired (gpointer user_data)
{
  Run *run = user_data;

  run->grace_id = 0;
  g_printerr ("vigil-load: %u sockets did not finish closing; dropping them\n", run->n_open);
  run_quit (run);
  return G_SOURCE_REMOVE;
}

static void
run_start_closing (Run *run)
{
  if (run->closing)
    return;
  run->closing = TRUE;

  if (run->streaming && !run->timed_out && run->options->phase_func != NULL)
    run->options->phase_func (VIGIL_LOAD_PHASE_STREAMED, run->options->phase_data);

  for (guint i = 0; i < run->conns->len; i++)
    _vigil_load_conn_close (g_ptr_array_index (run->conns, i));
  run->grace_id = g_timeout_add (CLOSE_GRACE_MS, on_grace_expired, run);
  _vigil_load_run_check_finished (run);
}

void
_vigil_load_run_check_finished (Run *run)
{
  if (run->done)
    return;
  if (!run->closing)
    {
      if (run->streaming && run->n_streamed + run->n_failed == run->conns->len)
        run_start_closing (run);
      return;
    }
  if (run->n_open == 0 && run->n_pending == 0)
    run_quit (run);
}

/* Every connection is open (or failed): start streaming on all at once. */
void
_vigil_load_run_check_barrier (Run *run)
{
  const VigilLoadOptions *options = run->options;

  if (run->streaming || run->closing || run->n_ready + run->n_failed < run->conns->len)
    return;

  run->result->connect_s = (g_get_monotonic_time () - run->start_us) / (double) G_USEC_PER_SEC;
  if (run->n_ready == 0)
    {
      run_start_closing (run);
      return;
    }

  if (options->phase_func != NULL)
    options->phase_func (VIGIL_LOAD_PHASE_CONNECTED, options->phase_data);

  run->streaming = TRUE;
  run->stream_start_us = run->last_answer_us = g_get_monotonic_time ();
  if (options->duration_s > 0)
    run->deadline_us = run->stream_start_us + (gint64) (options->duration_s * G_USEC_PER_SEC);

  for (guint i = 0; i < run->conns->len; i++)
    {
      Conn *conn = g_ptr_array_index (run->conns, i);

      if (conn->state == CONN_READY)
        {
          conn->state = CONN_STREAMING;
          run->n_ready--;
        }
    }
  for (guint i = 0; i < run->conns->len && !run->closing; i++)
    _vigil_load_conn_fill_window (g_ptr_array_index (run->conns, i));
}

/* At most connect_concurrency connections log in or shake hands at once:
 * libsoup's session walks its whole queue on every step, so a queue of a
 * thousand handshakes costs the client seconds of CPU. */
void
_vigil_load_run_start_next (Run *run)
{
  guint limit = run->options->connect_concurrency;

  while (run->n_started < run->conns->len && !run->closing && (limit == 0 || run->n_connecting < limit))
    {
      Conn *conn = g_ptr_array_index (run->conns, run->n_started);

      run->n_started++;
      run->n_connecting++;
      conn->state = CONN_LOGGING_IN;
      if (run->options->mode == VIGIL_LOAD_MODE_CANARA)
        _vigil_load_conn_register (conn);
      else
        _vigil_load_conn_connect_socket (conn);
    }
}

static gboolean
on_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->timeout_id = 0;
  run->timed_out = TRUE;
  g_cancellable_cancel (run->cancellable);
  run_start_closing (run);
  for (guint i = 0; i < run->conns->len; i++)
    {
      Conn *conn = g_ptr_array_index (run->conns, i);

      if (!_vigil_load_conn_is_finished (conn))
        _vigil_load_conn_fail (conn, "timed out after %.0f s with %u events unanswered", run->options->timeout_s,
                               conn->in_flight);
    }
  _vigil_load_run_check_finished (run);
  return G_SOURCE_REMOVE;
}

static char *
make_phone (GRand *rand)
{
  GString *phone = g_string_new ("9");

  for (guint i = 0; i < 9; i++)
    g_string_append_c (phone, (char) ('0' + g_rand_int_range (rand, 0, 10)));
  return g_string_free (phone, FALSE);
}

gboolean
vigil_load_run (const VigilLoadOptions  *options,
                VigilLoadResult         *result,
                GError                 **error)
{
  g_autoptr(GRand) rand = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *mpin = NULL;
  VigilLoadOptions effective;
  g_autoptr(GMainContext) context = NULL;
  Run run = { 0 };
  guint http_conns;
  guint n;

  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  memset (result, 0, sizeof *result);
  result->connect_s = -1;

  if (options->connections == 0 || options->window == 0 ||
      (options->events_per_connection == 0 && options->duration_s <= 0))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "need at least one connection, a window of at least 1, and events or a duration");
      return FALSE;
    }
  uri = g_uri_parse (options->url, G_URI_FLAGS_NONE, error);
  if (uri == NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: the URL must be http:// or https:// (the WebSocket paths are derived from it)", options->url);
      return FALSE;
    }

  rand = g_rand_new_with_seed (options->seed);
  effective = *options;
  if (effective.mpin == NULL)
    {
      mpin = g_strdup_printf ("%06u", (guint) g_rand_int_range (rand, 100000, 1000000));
      effective.mpin = mpin;
    }

  run.options = &effective;
  run.result = result;
  run.base_url = g_strdup (options->url);
  while (g_str_has_suffix (run.base_url, "/"))
    run.base_url[strlen (run.base_url) - 1] = '\0';
  /* Stream sessions are new in every run, even with the same seed. */
  run.nonce = g_strdup_printf ("%08x", g_random_int ());
  run.pad = g_strnfill (options->payload_bytes, 'x');
  run.latencies_ms = g_array_sized_new (FALSE, FALSE, sizeof (double),
                                        MIN (options->connections * (guint64) MAX (options->events_per_connection, 1),
                                             1u << 22));
  run.cancellable = g_cancellable_new ();
  run.conns = g_ptr_array_new_with_free_func (_vigil_load_conn_free);
  n = options->connections;
  /* No I/O timeout: a socket waiting at the barrier while a thousand
   * others log in may idle longer than libsoup's default minute; the run
   * has its own timeout. */
  run.session = soup_session_new_with_options ("max-conns", n + 16,
                                                "max-conns-per-host", n + 16,
                                                "timeout", 0,
                                                "user-agent", "vigil-load/" PACKAGE_VERSION,
                                                NULL);
  if (!options->offer_deflate)
    soup_session_remove_feature_by_type (run.session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  /* Few connections, each reused: a session's cost grows with the
   * connections it keeps. */
  http_conns = options->connect_concurrency > 0 ? options->connect_concurrency : n + 16;
  run.http_session = soup_session_new_with_options ("max-conns", http_conns,
                                                     "max-conns-per-host", http_conns,
                                                     "user-agent", "vigil-load/" PACKAGE_VERSION,
                                                     NULL);

  for (guint i = 0; i < n; i++)
    {
      Conn *conn = g_new0 (Conn, 1);

      conn->run = &run;
      conn->index = i;
      conn->parser = json_parser_new_immutable ();
      conn->send_us = g_new0 (gint64, options->window);
      if (options->mode == VIGIL_LOAD_MODE_CANARA)
        conn->phone = make_phone (rand);
      else
        conn->session_id = g_strdup_printf ("load-%u-%s-%u", options->seed, run.nonce, i);
      g_ptr_array_add (run.conns, conn);
    }

  context = g_main_context_ref_thread_default ();
  run.start_us = g_get_monotonic_time ();
  run.timeout_id = g_timeout_add ((guint) (options->timeout_s * 1000), on_timeout, &run);
  _vigil_load_run_start_next (&run);

  while (!run.done)
    g_main_context_iteration (context, TRUE);

  for (guint i = 0; i < n; i++)
    {
      Conn *conn = g_ptr_array_index (run.conns, i);

      if (conn->state == CONN_STREAMED)
        result->connections_ok++;
    }
  result->connections_failed = n - result->connections_ok;
  result->stream_s = run.streaming ? (run.last_answer_us - run.stream_start_us) / (double) G_USEC_PER_SEC : 0;
  result->events_per_s = result->stream_s > 0 ? result->events_acked / result->stream_s : 0;
  if (run.latencies_ms->len > 0)
    {
      double *values = (double *) (gpointer) run.latencies_ms->data;
      gsize count = run.latencies_ms->len;

      result->latency_p50_ms = vigil_stats_quantile (values, count, 0.5);
      result->latency_p99_ms = vigil_stats_quantile (values, count, 0.99);
      result->latency_max_ms = values[count - 1];   /* sorted by the quantile */
    }

  /* Sockets still open after the grace period go with their connections. */
  g_ptr_array_unref (run.conns);
  g_object_unref (run.session);
  g_object_unref (run.http_session);
  g_object_unref (run.cancellable);
  g_array_unref (run.latencies_ms);
  g_free (run.pad);
  g_free (run.nonce);
  g_free (run.base_url);
  /* Let the closed connections' last callbacks run. */
  while (g_main_context_iteration (context, FALSE))
    ;
  return TRUE;
}

gboolean
vigil_load_result_is_complete (const VigilLoadOptions *options,
                               const VigilLoadResult  *result)
{
  g_return_val_if_fail (options != NULL && result != NULL, FALSE);

  return result->connections_failed == 0 &&
         result->events_refused == 0 &&
         result->events_acked == result->events_sent &&
         (options->events_per_connection == 0 ||
          options->duration_s > 0 ||
          result->events_acked == (guint64) options->connections * options->events_per_connection);
}

void
vigil_load_result_clear (VigilLoadResult *result)
{
  g_clear_pointer (&result->first_error, g_free);
}
