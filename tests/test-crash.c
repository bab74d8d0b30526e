/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Crash safety of the event streams: a client streams into the real
 * `vigil --headless` and records every acknowledgement; the server is
 * killed with SIGKILL while events are in flight and restarted on the
 * same data directory. Every acknowledged event must be in the store with
 * its sequence number, the session must be ended as "server_restart", and
 * no half-written JSON log may be left. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "vigil-engine.h"
#include "vigil-session-table.h"
#include "vigil-test-util.h"

#define PASSWORD      "Crash-Test-Password-7"
#define MPIN          "572913"
#define WINDOW        16
#define KILL_AFTER    400   /* acknowledgements before the kill */

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Reply;

typedef struct
{
  char        *dir;
  guint16      port;
  GSubprocess *process;
  SoupSession *session;
} Fixture;

typedef struct
{
  gboolean                 canara;
  const char              *session_id;
  SoupWebsocketConnection *ws;
  GSubprocess             *server;
  JsonParser              *parser;
  gboolean                 established;
  gboolean                 killed;
  gboolean                 closed;
  guint64                  sent;
  guint64                  acked;          /* acknowledged messages: 1..acked */
  guint64                  in_flight_at_kill;
  gint64                   last_message_id;
} Stream;

static GSubprocess *
spawn_vigil (Fixture *fixture)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", fixture->port);
  const char *binary = g_getenv ("VIGIL_BINARY");
  GSubprocess *process;

  g_assert_nonnull (binary);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  process = g_subprocess_launcher_spawn (launcher, &error, binary, "--headless", "--listen", listen,
                                         "--data-dir", fixture->dir, NULL);
  g_assert_no_error (error);
  return process;
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->done = TRUE;
}

/* Sends @msg and parses its JSON object reply; @status is asserted. */
static JsonObject *
send_json (Fixture     *fixture,
           SoupMessage *msg,
           guint        status)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  Reply reply = { 0 };
  JsonNode *root;

  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reply);
  g_assert_true (vigil_test_wait_for (&reply.done, 30000));
  g_assert_no_error (reply.error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);

  json_parser_load_from_data (parser, g_bytes_get_data (reply.body, NULL), g_bytes_get_size (reply.body), &error);
  g_assert_no_error (error);
  g_bytes_unref (reply.body);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
post_json (Fixture    *fixture,
           const char *path,
           const char *bearer,
           const char *body)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", fixture->port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  return send_json (fixture, msg, SOUP_STATUS_OK);
}

/* GETs /health until the server answers. */
static JsonObject *
wait_healthy (Fixture *fixture)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/health", fixture->port);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      Reply reply = { 0 };
      gboolean pause = FALSE;

      soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reply);
      g_assert_true (vigil_test_wait_for (&reply.done, 10000));
      if (reply.error == NULL && soup_message_get_status (msg) == SOUP_STATUS_OK)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) error = NULL;

          json_parser_load_from_data (parser, g_bytes_get_data (reply.body, NULL),
                                      g_bytes_get_size (reply.body), &error);
          g_assert_no_error (error);
          g_bytes_unref (reply.body);
          return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
        }
      g_clear_pointer (&reply.body, g_bytes_unref);
      g_clear_error (&reply.error);
      vigil_test_wait_for (&pause, 50);
    }
  g_assert_not_reached ();
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static void
wait_exit (GSubprocess *process)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (process, NULL, on_exited, &done);
  g_assert_true (vigil_test_wait_for (&done, 60000));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->port = vigil_test_free_port ();
  fixture->session = soup_session_new ();
  /* As the seeds' mobile clients: no permessage-deflate. */
  soup_session_remove_feature_by_type (fixture->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  fixture->process = spawn_vigil (fixture);
  json_object_unref (wait_healthy (fixture));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->process != NULL && g_subprocess_get_identifier (fixture->process) != NULL)
    {
      g_subprocess_force_exit (fixture->process);
      wait_exit (fixture->process);
    }
  g_clear_object (&fixture->process);
  g_clear_object (&fixture->session);
  vigil_test_drain_main_context ();
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
}

/* Streaming */

static void
stream_send (Stream *stream)
{
  g_autofree char *text = NULL;

  stream->sent++;
  if (stream->canara)
    text = g_strdup_printf ("{\"event_type\":\"touch\",\"timestamp\":\"2024-05-01T10:00:00Z\","
                            "\"data\":{\"n\":%" G_GUINT64_FORMAT ",\"x\":12,\"y\":34}}", stream->sent);
  else
    text = g_strdup_printf ("{\"session_id\":\"%s\",\"user_id\":\"crash-user\",\"event_type\":\"touch\","
                            "\"timestamp\":1714557600.5,\"payload\":{\"n\":%" G_GUINT64_FORMAT "}}",
                            stream->session_id, stream->sent);
  soup_websocket_connection_send_text (stream->ws, text);
}

static void
stream_fill_window (Stream *stream)
{
  while (!stream->killed && stream->sent - stream->acked < WINDOW)
    stream_send (stream);
}

static void
on_stream_message (SoupWebsocketConnection *ws,
                   SoupWebsocketDataType    type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  Stream *stream = user_data;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  JsonObject *object;

  json_parser_load_from_data (stream->parser, data, (gssize) size, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (stream->parser)));
  object = json_node_get_object (json_parser_get_root (stream->parser));

  if (stream->canara)
    {
      const char *kind = json_object_get_string_member_with_default (object, "type", "");

      if (g_str_equal (kind, "connection_established"))
        {
          stream->established = TRUE;
          stream_fill_window (stream);
          return;
        }
      g_assert_cmpstr (kind, ==, "data_received");
      g_assert_cmpstr (json_object_get_string_member_with_default (object, "status", ""), ==, "processed");
      /* Answers come in order: the n-th carries sequence number n. */
      g_assert_cmpint (json_object_get_int_member_with_default (object, "seq", 0), ==, (gint64) stream->acked + 1);
    }
  else
    {
      gint64 message_id = json_object_get_int_member_with_default (object, "message_id", 0);

      g_assert_cmpstr (json_object_get_string_member_with_default (object, "status", ""), ==, "received");
      g_assert_cmpint (message_id, >, stream->last_message_id);
      stream->last_message_id = message_id;
    }

  g_assert_cmpuint (stream->acked, <, stream->sent);
  stream->acked++;
  if (stream->killed)
    return;   /* answers already on their way when the server died still count */

  stream_fill_window (stream);
  if (stream->acked >= KILL_AFTER)
    {
      stream->killed = TRUE;
      stream->in_flight_at_kill = stream->sent - stream->acked;
      g_subprocess_send_signal (stream->server, SIGKILL);
    }
}

static void
on_stream_closed (SoupWebsocketConnection *ws,
                  gpointer                 user_data)
{
  Stream *stream = user_data;

  stream->closed = TRUE;
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Stream *stream = user_data;
  g_autoptr(GError) error = NULL;

  stream->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  g_signal_connect (stream->ws, "message", G_CALLBACK (on_stream_message), stream);
  g_signal_connect (stream->ws, "closed", G_CALLBACK (on_stream_closed), stream);
}

static void
stream_connect (Fixture    *fixture,
                Stream     *stream,
                const char *path)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", fixture->port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  stream->parser = json_parser_new ();
  stream->server = fixture->process;
  soup_session_websocket_connect_async (fixture->session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_ws_connected, stream);
  while (stream->ws == NULL)
    g_main_context_iteration (NULL, TRUE);
}

typedef struct
{
  JsonObject *reply;
} OneReply;

static void
on_one_message (SoupWebsocketConnection *ws,
                SoupWebsocketDataType    type,
                GBytes                  *message,
                gpointer                 user_data)
{
  OneReply *one = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, g_bytes_get_data (message, NULL), (gssize) g_bytes_get_size (message), &error);
  g_assert_no_error (error);
  g_assert_null (one->reply);
  one->reply = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* One cbsa message into @session_id on a new socket; its answer. */
static JsonObject *
send_one (Fixture    *fixture,
          const char *path,
          const char *session_id)
{
  g_autofree char *text = g_strdup_printf ("{\"session_id\":\"%s\",\"event_type\":\"touch\","
                                           "\"payload\":{\"n\":0}}", session_id);
  Stream stream = { 0 };
  OneReply one = { 0 };

  stream_connect (fixture, &stream, path);
  g_signal_handlers_disconnect_by_data (stream.ws, &stream);
  g_signal_connect (stream.ws, "message", G_CALLBACK (on_one_message), &one);
  soup_websocket_connection_send_text (stream.ws, text);
  while (one.reply == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_signal_handlers_disconnect_by_data (stream.ws, &one);
  soup_websocket_connection_close (stream.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  while (soup_websocket_connection_get_state (stream.ws) != SOUP_WEBSOCKET_STATE_CLOSED)
    g_main_context_iteration (NULL, TRUE);
  g_clear_object (&stream.ws);
  g_clear_object (&stream.parser);
  return one.reply;
}

/* Streams until the kill, then waits for the process to die and the
 * socket to close, keeping every answer that still arrives. */
static void
stream_until_killed (Fixture *fixture,
                     Stream  *stream)
{
  if (!stream->canara)
    stream_fill_window (stream);

  while (!stream->killed)
    {
      g_assert_false (stream->closed);
      g_main_context_iteration (NULL, TRUE);
    }
  wait_exit (fixture->process);
  g_assert_true (g_subprocess_get_if_signaled (fixture->process));
  g_assert_cmpint (g_subprocess_get_term_sig (fixture->process), ==, SIGKILL);
  g_assert_true (vigil_test_wait_for (&stream->closed, 30000));

  g_test_message ("%" G_GUINT64_FORMAT " events sent, %" G_GUINT64_FORMAT " acknowledged, %" G_GUINT64_FORMAT
                  " in flight at the kill", stream->sent, stream->acked, stream->in_flight_at_kill);
  g_assert_cmpuint (stream->acked, >=, KILL_AFTER);
  g_assert_cmpuint (stream->in_flight_at_kill, >, 0);

  g_signal_handlers_disconnect_by_data (stream->ws, stream);
  g_clear_object (&stream->ws);
  g_clear_object (&stream->parser);
  g_clear_object (&fixture->process);
}

/* A log write the kill interrupted, as g_file_set_contents_full leaves it. */
static char *
plant_partial_log (Fixture *fixture)
{
  g_autofree char *user_dir = g_build_filename (fixture->dir, "behavior-logs", "logs", "crash-user", NULL);
  char *partial = g_build_filename (user_dir, "interrupted.json.Q7ZK2B", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (user_dir, 0700), ==, 0);
  g_file_set_contents (partial, "{\"user_id\":\"crash-user\",\"logs\":[{\"event_ty", -1, &error);
  g_assert_no_error (error);
  return partial;
}

static void
restart_server (Fixture *fixture)
{
  g_autoptr(JsonObject) health = NULL;

  fixture->process = spawn_vigil (fixture);
  health = wait_healthy (fixture);
  g_assert_cmpstr (json_object_get_string_member_with_default (health, "status", ""), ==, "healthy");
  /* The killed run's session was ended before anything was served. */
  g_assert_cmpint (json_object_get_int_member_with_default (health, "active_sessions", -1), ==, 0);
}

static void
stop_server (Fixture *fixture)
{
  g_subprocess_send_signal (fixture->process, SIGTERM);
  wait_exit (fixture->process);
  g_assert_true (g_subprocess_get_if_exited (fixture->process));
  g_assert_cmpint (g_subprocess_get_exit_status (fixture->process), ==, 0);
  g_clear_object (&fixture->process);
}

/* Checking the data directory */

static void
check_logs_in (const char *directory,
               guint      *n_logs)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          check_logs_in (path, n_logs);
          continue;
        }
      if (strstr (name, ".json.") != NULL)
        g_error ("a half-written log is left: %s", path);
      if (g_str_has_suffix (name, ".json"))
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) error = NULL;

          json_parser_load_from_file (parser, path, &error);
          g_assert_no_error (error);
          (*n_logs)++;
        }
    }
}

/* The payload counter the client put in the event with sequence @seq. */
static gint64
event_counter (const VigilEvent *event,
               gboolean          canara)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  json_parser_load_from_data (parser, event->data, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  if (!canara)   /* cbsa keeps the whole message */
    object = json_object_get_object_member (object, "payload");
  return json_object_get_int_member_with_default (object, "n", -1);
}

static void
check_store (Fixture      *fixture,
             const Stream *stream)
{
  g_autofree char *db_path = g_build_filename (fixture->dir, "vigil.db", NULL);
  g_autofree char *logs_dir = g_build_filename (fixture->dir, "behavior-logs", NULL);
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonParser) log_parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *log;
  VigilDb *db;
  guint n_logs = 0;

  store = vigil_store_open (db_path, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  db = vigil_store_get_reader (store);

  info = vigil_session_table_find (db, stream->session_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->state, ==, "ended");
  g_assert_cmpstr (info->end_reason, ==, VIGIL_END_REASON_SERVER_RESTART);
  g_assert_cmpstr (info->kind, ==, stream->canara ? "authenticated" : "stream");

  /* Every acknowledged event, numbered as acknowledged; events that were
   * in flight may follow, but never a gap. */
  events = vigil_event_table_list (db, stream->session_id, &error);
  g_assert_no_error (error);
  g_test_message ("%u events stored for %" G_GUINT64_FORMAT " acknowledged and %" G_GUINT64_FORMAT " sent",
                  events->len, stream->acked, stream->sent);
  g_assert_cmpuint (events->len, >=, stream->acked);
  g_assert_cmpuint (events->len, <=, stream->sent);
  g_assert_cmpint (info->event_count, ==, events->len);
  for (guint i = 0; i < events->len; i++)
    {
      const VigilEvent *event = g_ptr_array_index (events, i);

      g_assert_cmpstr (event->session_id, ==, stream->session_id);
      g_assert_cmpint (event->seq, ==, i + 1);
      g_assert_cmpstr (event->event_type, ==, "touch");
      g_assert_cmpint (event_counter (event, stream->canara), ==, event->seq);
    }

  /* The recovery wrote the session's log, whole. */
  g_assert_nonnull (info->log_path);
  json_parser_load_from_file (log_parser, info->log_path, &error);
  g_assert_no_error (error);
  log = json_node_get_object (json_parser_get_root (log_parser));
  g_assert_cmpstr (json_object_get_string_member (log, "session_id"), ==, stream->session_id);
  g_assert_cmpint (json_object_get_int_member (log, "total_events"), ==, events->len);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (log, "logs")), ==, events->len);

  check_logs_in (logs_dir, &n_logs);
  g_assert_cmpuint (n_logs, >=, 1);

  vigil_store_close (store);
}

static void
test_kill_cbsa_stream (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *session_id = g_strdup_printf ("crash-%08x", g_test_rand_int ());
  g_autofree char *partial = NULL;
  g_autoptr(JsonObject) refusal = NULL;
  Stream stream = { .canara = FALSE, .session_id = session_id };

  stream_connect (fixture, &stream, "/ws/behaviour");
  stream_until_killed (fixture, &stream);

  partial = plant_partial_log (fixture);
  restart_server (fixture);

  /* The ended session takes nothing more from the open stream. */
  refusal = send_one (fixture, "/ws/behaviour", session_id);
  g_assert_cmpstr (json_object_get_string_member_with_default (refusal, "status", ""), ==, "error");

  stop_server (fixture);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  check_store (fixture, &stream);
}

static void
test_kill_canara_stream (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(JsonObject) registered = NULL;
  g_autoptr(JsonObject) login = NULL;
  g_autoptr(JsonObject) verified = NULL;
  g_autofree char *phone = g_strdup_printf ("98%08u", g_test_rand_int_range (0, 100000000));
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autofree char *token = NULL;
  g_autofree char *partial = NULL;
  Stream stream = { .canara = TRUE };

  body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"" PASSWORD "\",\"mpin\":\"" MPIN "\"}", phone);
  registered = post_json (fixture, "/api/v1/auth/register", NULL, body);
  g_free (body);
  body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"" PASSWORD "\",\"device_id\":\"crash-device\"}", phone);
  login = post_json (fixture, "/api/v1/auth/login", NULL, body);
  verified = post_json (fixture, "/api/v1/auth/verify-mpin", json_object_get_string_member (login, "access_token"),
                        "{\"mpin\":\"" MPIN "\"}");
  stream.session_id = json_object_get_string_member (verified, "session_id");
  token = g_uri_escape_string (json_object_get_string_member (verified, "session_token"), NULL, FALSE);

  path = g_strdup_printf ("/api/v1/ws/behavior/%s?token=%s", stream.session_id, token);
  stream_connect (fixture, &stream, path);
  stream_until_killed (fixture, &stream);

  partial = plant_partial_log (fixture);
  restart_server (fixture);
  stop_server (fixture);
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  check_store (fixture, &stream);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/crash/sigkill/cbsa-stream", Fixture, NULL, fixture_set_up, test_kill_cbsa_stream, fixture_tear_down);
  g_test_add ("/crash/sigkill/canara-stream", Fixture, NULL, fixture_set_up, test_kill_canara_stream,
              fixture_tear_down);

  return g_test_run ();
}
