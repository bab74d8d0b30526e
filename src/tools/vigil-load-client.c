/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The load generator: every connection logs in (canara) or names its own
 * stream session (cbsa), waits at a barrier until all are open, then
 * streams with at most `window` events unacknowledged, timing each from
 * its send to its acknowledgement. Replies come in the order of the
 * messages on a connection, so the oldest send time in flight is the
 * one an answer belongs to. */
#define G_LOG_DOMAIN "vigil-load"

#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "vigil-load-client.h"
#include "vigil-stats.h"

#define CLOSE_GRACE_MS 10000

typedef enum
{
  CONN_WAITING,
  CONN_LOGGING_IN,
  CONN_CONNECTING,
  CONN_READY,
  CONN_STREAMING,
  CONN_STREAMED,
  CONN_FAILED,
} ConnState;

typedef struct _Run Run;

typedef struct
{
  Run                     *run;
  guint                    index;
  ConnState                state;
  char                    *phone;
  char                    *access_token;
  char                    *session_id;
  char                    *session_token;
  SoupWebsocketConnection *ws;
  JsonParser              *parser;
  gint64                  *send_us;       /* a ring of window entries */
  guint                    ring_head;
  guint                    in_flight;
  guint64                  sent;
} Conn;

struct _Run
{
  const VigilLoadOptions *options;
  VigilLoadResult        *result;
  SoupSession            *session;        /* the WebSockets */
  SoupSession            *http_session;   /* canara's logins, on kept-alive connections */
  GCancellable           *cancellable;
  GPtrArray              *conns;
  GArray                 *latencies_ms;
  char                   *base_url;       /* without a trailing slash */
  char                   *nonce;
  char                   *pad;
  gint64                  start_us;
  gint64                  stream_start_us;
  gint64                  deadline_us;    /* 0: none */
  gint64                  last_answer_us;
  guint                   n_ready;
  guint                   n_failed;
  guint                   n_streamed;
  guint                   n_open;         /* sockets not yet closed */
  guint                   n_pending;      /* HTTP requests and handshakes */
  guint                   n_started;      /* connections that began connecting */
  guint                   n_connecting;   /* began, neither ready nor failed */
  gboolean                streaming;
  gboolean                closing;
  gboolean                timed_out;
  gboolean                done;
  guint                   timeout_id;
  guint                   grace_id;
};

static void conn_fail          (Conn       *conn,
                                const char *format,
                                ...) G_GNUC_PRINTF (2, 3);
static void conn_fill_window   (Conn       *conn);
static void run_check_barrier  (Run        *run);
static void run_check_finished (Run        *run);
static void run_start_next     (Run        *run);

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

static void
conn_free (gpointer data)
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

static gboolean
conn_is_finished (Conn *conn)
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

static void
conn_close (Conn *conn)
{
  if (conn->ws != NULL && soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

static void
conn_fail (Conn       *conn,
           const char *format,
           ...)
{
  Run *run = conn->run;
  ConnState previous = conn->state;
  g_autofree char *message = NULL;
  g_autofree char *labelled = NULL;
  va_list args;

  if (conn_is_finished (conn))
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
      run_start_next (run);
    }
  conn_close (conn);

  if (!run->streaming)
    run_check_barrier (run);
  else
    run_check_finished (run);
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

static void
conn_fill_window (Conn *conn)
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
      run_check_finished (run);
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

static const char *
string_member (JsonObject *object,
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

  *out_message = string_member (object, "message");
  if (mode == VIGIL_LOAD_MODE_CBSA)
    {
      value = string_member (object, "status");
      if (g_strcmp0 (value, "received") == 0)
        return REPLY_ACK;
      if (g_strcmp0 (value, "error") == 0)
        return REPLY_REFUSED;
      return REPLY_OTHER;
    }

  value = string_member (object, "type");
  if (g_strcmp0 (value, "data_received") == 0)
    return REPLY_ACK;
  if (g_strcmp0 (value, "error") == 0)
    return REPLY_REFUSED;
  if (g_strcmp0 (value, "connection_established") == 0)
    return REPLY_ESTABLISHED;
  if (g_strcmp0 (value, "session_blocked") == 0)
    {
      *out_message = string_member (object, "reason");
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
  run_start_next (run);
  run_check_barrier (run);
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

  if (conn_is_finished (conn))
    return;

  if (!json_parser_load_from_data (conn->parser, data, (gssize) size, &error) ||
      (root = json_parser_get_root (conn->parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      conn_fail (conn, "the server sent something that is not a JSON object: %.*s", (int) MIN (size, 200), data);
      return;
    }

  kind = classify_reply (run->options->mode, json_node_get_object (root), &text_message);
  switch (kind)
    {
    case REPLY_ESTABLISHED:
      conn_mark_ready (conn);
      return;
    case REPLY_BLOCKED:
      conn_fail (conn, "session blocked: %s", text_message ? text_message : "no reason given");
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
      conn_fail (conn, "an answer to no message: %.*s", (int) MIN (size, 200), data);
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

  conn_fill_window (conn);
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  Conn *conn = user_data;
  Run *run = conn->run;

  run->n_open--;
  if (!conn_is_finished (conn))
    {
      const char *reason = soup_websocket_connection_get_close_data (ws);

      conn_fail (conn, "closed by the server (%u%s%s) with %u events unanswered",
                 soup_websocket_connection_get_close_code (ws),
                 reason != NULL && *reason != '\0' ? ": " : "", reason != NULL ? reason : "",
                 conn->in_flight);
    }
  run_check_finished (run);
}

static void
on_ws_error (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 user_data)
{
  Conn *conn = user_data;

  conn_fail (conn, "WebSocket error: %s", error->message);
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
      conn_fail (conn, "WebSocket handshake failed: %s", error->message);
      run_check_finished (run);
      return;
    }

  conn->ws = ws;
  run->n_open++;
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), conn);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), conn);

  if (conn_is_finished (conn) || run->closing)
    {
      conn_close (conn);
      return;
    }
  /* canara's socket says when it is ready; cbsa's is ready at once. */
  if (run->options->mode == VIGIL_LOAD_MODE_CBSA)
    conn_mark_ready (conn);
}

static void
conn_connect_socket (Conn *conn)
{
  Run *run = conn->run;
  g_autofree char *url = conn_socket_url (conn);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  if (msg == NULL)
    {
      conn_fail (conn, "not a usable URL: %s", url);
      return;
    }
  conn->state = CONN_CONNECTING;
  run->n_pending++;
  soup_session_websocket_connect_async (run->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        run->cancellable, on_ws_connected, conn);
}

/* canara: register → login → verify-mpin, then the socket. */

typedef enum
{
  STEP_REGISTER,
  STEP_LOGIN,
  STEP_VERIFY_MPIN,
} Step;

typedef struct
{
  Conn        *conn;
  Step         step;
  SoupMessage *msg;
} Request;

static void conn_post (Conn       *conn,
                       Step        step,
                       const char *path,
                       const char *bearer,
                       JsonNode   *body);

static const char *
step_name (Step step)
{
  switch (step)
    {
    case STEP_REGISTER:
      return "register";
    case STEP_LOGIN:
      return "login";
    case STEP_VERIFY_MPIN:
      return "verify-mpin";
    default:
      g_return_val_if_reached (NULL);
    }
}

static JsonNode *
object_node (JsonBuilder *builder)
{
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
conn_login (Conn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *device = g_strdup_printf ("load-device-%u", conn->index);
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, conn->phone);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, conn->run->options->password);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device);
  body = object_node (builder);
  conn_post (conn, STEP_LOGIN, "/api/v1/auth/login", NULL, body);
}

static void
conn_verify_mpin (Conn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *device = g_strdup_printf ("load-device-%u", conn->index);
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "mpin");
  json_builder_add_string_value (builder, conn->run->options->mpin);
  json_builder_set_member_name (builder, "context");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "device_id");
  json_builder_add_string_value (builder, device);
  json_builder_set_member_name (builder, "app_version");
  json_builder_add_string_value (builder, "vigil-load");
  json_builder_end_object (builder);
  body = object_node (builder);
  conn_post (conn, STEP_VERIFY_MPIN, "/api/v1/auth/verify-mpin", conn->access_token, body);
}

static void
on_posted (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Request *request = user_data;
  Conn *conn = request->conn;
  Run *run = conn->run;
  g_autoptr(SoupMessage) msg = request->msg;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  Step step = request->step;
  JsonObject *object = NULL;
  guint status;

  g_free (request);
  run->n_pending--;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      conn_fail (conn, "%s: %s", step_name (step), error->message);
      run_check_finished (run);
      return;
    }
  if (conn_is_finished (conn) || run->closing)
    {
      run_check_finished (run);
      return;
    }

  status = soup_message_get_status (msg);
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL) &&
      json_parser_get_root (parser) != NULL && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));

  if (status == 429 /* Too Many Requests */)
    {
      run->result->rate_limited++;
      conn_fail (conn, "%s: rate-limited (429); start the server with higher rate-limit-burst and "
                 "rate-limit-per-minute settings", step_name (step));
      return;
    }

  switch (step)
    {
    case STEP_REGISTER:
      /* A rerun with the same seed finds its accounts already there. */
      if (SOUP_STATUS_IS_SUCCESSFUL (status) || status == SOUP_STATUS_BAD_REQUEST)
        conn_login (conn);
      else
        conn_fail (conn, "register: HTTP %u", status);
      return;

    case STEP_LOGIN:
      if (status != SOUP_STATUS_OK || object == NULL || string_member (object, "access_token") == NULL)
        {
          conn_fail (conn, "login: HTTP %u%s", status,
                     status == SOUP_STATUS_UNAUTHORIZED ? " (was the phone registered by another run with "
                                                          "another password?)" : "");
          return;
        }
      conn->access_token = g_strdup (string_member (object, "access_token"));
      conn_verify_mpin (conn);
      return;

    case STEP_VERIFY_MPIN:
      if (status != SOUP_STATUS_OK || object == NULL ||
          string_member (object, "session_id") == NULL || string_member (object, "session_token") == NULL)
        {
          conn_fail (conn, "verify-mpin: HTTP %u", status);
          return;
        }
      conn->session_id = g_strdup (string_member (object, "session_id"));
      conn->session_token = g_strdup (string_member (object, "session_token"));
      conn_connect_socket (conn);
      return;

    default:
      g_assert_not_reached ();
    }
}

static void
conn_post (Conn       *conn,
           Step        step,
           const char *path,
           const char *bearer,
           JsonNode   *body)
{
  Run *run = conn->run;
  g_autofree char *url = g_strconcat (run->base_url, path, NULL);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GBytes) bytes = NULL;
  Request *request;
  gsize length;
  char *text;

  json_generator_set_root (generator, body);
  text = json_generator_to_data (generator, &length);
  bytes = g_bytes_new_take (text, length);

  request = g_new0 (Request, 1);
  request->conn = conn;
  request->step = step;
  request->msg = soup_message_new ("POST", url);
  soup_message_set_request_body_from_bytes (request->msg, "application/json", bytes);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (request->msg), "Authorization", value);
    }

  run->n_pending++;
  soup_session_send_and_read_async (run->http_session, request->msg, G_PRIORITY_DEFAULT, run->cancellable,
                                    on_posted, request);
}

static void
conn_register (Conn *conn)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, conn->phone);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, conn->run->options->password);
  json_builder_set_member_name (builder, "mpin");
  json_builder_add_string_value (builder, conn->run->options->mpin);
  body = object_node (builder);
  conn_post (conn, STEP_REGISTER, "/api/v1/auth/register", NULL, body);
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
    conn_close (g_ptr_array_index (run->conns, i));
  run->grace_id = g_timeout_add (CLOSE_GRACE_MS, on_grace_expired, run);
  run_check_finished (run);
}

static void
run_check_finished (Run *run)
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
static void
run_check_barrier (Run *run)
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
    conn_fill_window (g_ptr_array_index (run->conns, i));
}

/* At most connect_concurrency connections log in or shake hands at once:
 * libsoup's session walks its whole queue on every step, so a queue of a
 * thousand handshakes costs the client seconds of CPU. */
static void
run_start_next (Run *run)
{
  guint limit = run->options->connect_concurrency;

  while (run->n_started < run->conns->len && !run->closing && (limit == 0 || run->n_connecting < limit))
    {
      Conn *conn = g_ptr_array_index (run->conns, run->n_started);

      run->n_started++;
      run->n_connecting++;
      conn->state = CONN_LOGGING_IN;
      if (run->options->mode == VIGIL_LOAD_MODE_CANARA)
        conn_register (conn);
      else
        conn_connect_socket (conn);
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

      if (!conn_is_finished (conn))
        conn_fail (conn, "timed out after %.0f s with %u events unanswered", run->options->timeout_s,
                   conn->in_flight);
    }
  run_check_finished (run);
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
  run.conns = g_ptr_array_new_with_free_func (conn_free);
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
  run_start_next (&run);

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
