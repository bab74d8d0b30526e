/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One load connection's WebSocket: its handshake, the window of events
 * it keeps in flight, the answers it times, and how it fails. */
#define G_LOG_DOMAIN "vigil-load"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-load-private.h"

void
_vigil_load_conn_free (gpointer data)
{
  Conn *conn = data;

  if (conn->ws != NULL)
    g_signal_handlers_disconnect_by_data (conn->ws, conn);
  g_clear_object (&conn->ws);
  g_clear_object (&conn->parser);
  g_free (conn->send_us);
  g_free (conn->phone);
  g_free (conn->access_token);
  g_free (conn->session_id);
  g_free (conn->session_token);
  g_free (conn);
}

gboolean
_vigil_load_conn_is_finished (Conn *conn)
{
  return conn->state == CONN_STREAMED || conn->state == CONN_FAILED;
}

static void
record_error (Run        *run,
              const char *message)
{
  if (run->result->first_error == NULL)
    run->result->first_error = g_strdup (message);
}

void
_vigil_load_conn_close (Conn *conn)
{
  if (conn->ws != NULL && soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

void
_vigil_load_conn_fail (Conn       *conn,
                       const char *format,
                       ...)
{
  Run *run = conn->run;
  ConnState previous = conn->state;
  g_autofree char *message = NULL;
  g_autofree char *labelled = NULL;
  va_list args;

  if (_vigil_load_conn_is_finished (conn))
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  labelled = g_strdup_printf ("connection %u: %s", conn->index, message);
  record_error (run, labelled);

  conn->state = CONN_FAILED;
  run->n_failed++;
  if (previous == CONN_READY)
    run->n_ready--;
  if (previous == CONN_LOGGING_IN || previous == CONN_CONNECTING)
    {
      run->n_connecting--;
      _vigil_load_run_start_next (run);
    }
  _vigil_load_conn_close (conn);

  if (!run->streaming)
    _vigil_load_run_check_barrier (run);
  else
    _vigil_load_run_check_finished (run);
}

/* Printed, not built with JsonBuilder: the client's own cost stays small. */
static char *
build_message (Conn *conn)
{
  Run *run = conn->run;
  double now = g_get_real_time () / (double) G_USEC_PER_SEC;
  char timestamp[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (timestamp, sizeof timestamp, "%.6f", now);
  if (run->options->mode == VIGIL_LOAD_MODE_CBSA)
    return g_strdup_printf ("{\"session_id\":\"%s\",\"user_id\":\"load-user-%u\",\"event_type\":\"load_test\","
                            "\"timestamp\":%s,\"payload\":{\"n\":%" G_GUINT64_FORMAT ",\"pad\":\"%s\"}}",
                            conn->session_id, conn->index, timestamp, conn->sent + 1, run->pad);
  return g_strdup_printf ("{\"event_type\":\"load_test\",\"timestamp\":%s,"
                          "\"data\":{\"n\":%" G_GUINT64_FORMAT ",\"connection\":%u,\"pad\":\"%s\"}}",
                          timestamp, conn->sent + 1, conn->index, run->pad);
}

static gboolean
conn_may_send (Conn *conn)
{
  Run *run = conn->run;
  const VigilLoadOptions *options = run->options;

  if (run->closing)
    return FALSE;
  if (options->events_per_connection > 0 && conn->sent >= options->events_per_connection)
    return FALSE;
  if (run->deadline_us > 0 && g_get_monotonic_time () >= run->deadline_us)
    return FALSE;
  return TRUE;
}

void
_vigil_load_conn_fill_window (Conn *conn)
{
  Run *run = conn->run;
  guint window = run->options->window;

  while (conn->state == CONN_STREAMING && conn->in_flight < window && conn_may_send (conn))
    {
      g_autofree char *text = build_message (conn);

      conn->send_us[(conn->ring_head + conn->in_flight) % window] = g_get_monotonic_time ();
      conn->in_flight++;
      conn->sent++;
      run->result->events_sent++;
      soup_websocket_connection_send_text (conn->ws, text);
    }

  if (conn->state == CONN_STREAMING && conn->in_flight == 0 && !conn_may_send (conn))
    {
      conn->state = CONN_STREAMED;
      run->n_streamed++;
      _vigil_load_run_check_finished (run);
    }
}

typedef enum
{
  REPLY_OTHER,
  REPLY_ACK,
  REPLY_REFUSED,
  REPLY_ESTABLISHED,
  REPLY_BLOCKED,
} ReplyKind;

const char *
_vigil_load_string_member (JsonObject *object,
                           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static ReplyKind
classify_reply (VigilLoadMode   mode,
                JsonObject     *object,
                const char    **out_message)
{
  const char *value;

  *out_message = _vigil_load_string_member (object, "message");
  if (mode == VIGIL_LOAD_MODE_CBSA)
    {
      value = _vigil_load_string_member (object, "status");
      if (g_strcmp0 (value, "received") == 0)
        return REPLY_ACK;
      if (g_strcmp0 (value, "error") == 0)
        return REPLY_REFUSED;
      return REPLY_OTHER;
    }

  value = _vigil_load_string_member (object, "type");
  if (g_strcmp0 (value, "data_received") == 0)
    return REPLY_ACK;
  if (g_strcmp0 (value, "error") == 0)
    return REPLY_REFUSED;
  if (g_strcmp0 (value, "connection_established") == 0)
    return REPLY_ESTABLISHED;
  if (g_strcmp0 (value, "session_blocked") == 0)
    {
      *out_message = _vigil_load_string_member (object, "reason");
      return REPLY_BLOCKED;
    }
  return REPLY_OTHER;
}

static void
conn_mark_ready (Conn *conn)
{
  Run *run = conn->run;

  if (conn->state != CONN_CONNECTING)
    return;
  conn->state = CONN_READY;
  run->n_ready++;
  run->n_connecting--;
  _vigil_load_run_start_next (run);
  _vigil_load_run_check_barrier (run);
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *message,
               gpointer                 user_data)
{
  Conn *conn = user_data;
  Run *run = conn->run;
  g_autoptr(GError) error = NULL;
  const char *text_message = NULL;
  gint64 now = g_get_monotonic_time ();
  JsonNode *root;
  ReplyKind kind;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  if (_vigil_load_conn_is_finished (conn))
    return;

  if (!json_parser_load_from_data (conn->parser, data, (gssize) size, &error) ||
      (root = json_parser_get_root (conn->parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      _vigil_load_conn_fail (conn, "the server sent something that is not a JSON object: %.*s", (int) MIN (size, 200), data);
      return;
    }

  kind = classify_reply (run->options->mode, json_node_get_object (root), &text_message);
  switch (kind)
    {
    case REPLY_ESTABLISHED:
      conn_mark_ready (conn);
      return;
    case REPLY_BLOCKED:
      _vigil_load_conn_fail (conn, "session blocked: %s", text_message ? text_message : "no reason given");
      return;
    case REPLY_OTHER:
      return;
    case REPLY_ACK:
    case REPLY_REFUSED:
    default:
      break;
    }

  if (conn->in_flight == 0)
    {
      _vigil_load_conn_fail (conn, "an answer to no message: %.*s", (int) MIN (size, 200), data);
      return;
    }

  if (kind == REPLY_ACK)
    {
      double latency_ms = (now - conn->send_us[conn->ring_head]) / 1000.0;

      g_array_append_val (run->latencies_ms, latency_ms);
      run->result->events_acked++;
    }
  else
    {
      g_autofree char *refusal = g_strdup_printf ("connection %u: event refused: %s", conn->index,
                                                  text_message ? text_message : "no reason given");

      run->result->events_refused++;
      record_error (run, refusal);
    }
  run->last_answer_us = now;
  conn->ring_head = (conn->ring_head + 1) % run->options->window;
  conn->in_flight--;

  _vigil_load_conn_fill_window (conn);
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  Conn *conn = user_data;
  Run *run = conn->run;

  run->n_open--;
  if (!_vigil_load_conn_is_finished (conn))
    {
      const char *reason = soup_websocket_connection_get_close_data (ws);

      _vigil_load_conn_fail (conn, "closed by the server (%u%s%s) with %u events unanswered",
                             soup_websocket_connection_get_close_code (ws),
                             reason != NULL && *reason != '\0' ? ": " : "", reason != NULL ? reason : "",
                             conn->in_flight);
    }
  _vigil_load_run_check_finished (run);
}

static void
on_ws_error (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 user_data)
{
  Conn *conn = user_data;

  _vigil_load_conn_fail (conn, "WebSocket error: %s", error->message);
}

static char *
conn_socket_url (Conn *conn)
{
  Run *run = conn->run;
  g_autofree char *escaped_id = NULL;
  g_autofree char *escaped_token = NULL;

  if (run->options->mode == VIGIL_LOAD_MODE_CBSA)
    return g_strdup_printf ("%s/ws/behaviour", run->base_url);

  escaped_id = g_uri_escape_string (conn->session_id, NULL, FALSE);
  escaped_token = g_uri_escape_string (conn->session_token, NULL, FALSE);
  return g_strdup_printf ("%s/api/v1/ws/behavior/%s?token=%s", run->base_url, escaped_id, escaped_token);
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Conn *conn = user_data;
  Run *run = conn->run;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  run->n_pending--;
  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (ws == NULL)
    {
      _vigil_load_conn_fail (conn, "WebSocket handshake failed: %s", error->message);
      _vigil_load_run_check_finished (run);
      return;
    }

  conn->ws = ws;
  run->n_open++;
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), conn);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), conn);

  if (_vigil_load_conn_is_finished (conn) || run->closing)
    {
      _vigil_load_conn_close (conn);
      return;
    }
  /* canara's socket says when it is ready; cbsa's is ready at once. */
  if (run->options->mode == VIGIL_LOAD_MODE_CBSA)
    conn_mark_ready (conn);
}

void
_vigil_load_conn_connect_socket (Conn *conn)
{
  Run *run = conn->run;
  g_autofree char *url = conn_socket_url (conn);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  if (msg == NULL)
    {
      _vigil_load_conn_fail (conn, "not a usable URL: %s", url);
      return;
    }
  conn->state = CONN_CONNECTING;
  run->n_pending++;
  soup_session_websocket_connect_async (run->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        run->cancellable, on_ws_connected, conn);
}
