/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The streaming surfaces over real sockets: canara's behavior socket,
 * cbsa's /ws/behaviour and /ws/monitor, GET / and /event-flow-map, and
 * the listening socket's backlog. Every acknowledgement is checked
 * against the store. */
#include "config.h"

#include <string.h>

#include "vigil-db.h"
#include "vigil-error.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define PASSWORD "Correct-Horse-Battery-9"
#define MPIN     "482916"

typedef VigilTestApi Fixture;

#define WAIT_UNTIL(condition)                                                   \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;           \
    while (!(condition))                                                        \
      {                                                                         \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline_);                \
        if (!g_main_context_iteration (NULL, FALSE))                            \
          g_usleep (500);                                                       \
      }                                                                         \
  } G_STMT_END

static VigilMetrics *
metrics (Fixture *fixture)
{
  return vigil_engine_get_metrics (fixture->engine);
}

static VigilSessions *
sessions (Fixture *fixture)
{
  return vigil_engine_get_sessions (fixture->engine);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  vigil_test_api_set_up (fixture, data);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  /* Every test closes its clients; the server must have seen them go. */
  WAIT_UNTIL (vigil_metrics_get_active_connections (metrics (fixture)) == 0 &&
              vigil_metrics_get_monitor_connections (metrics (fixture)) == 0);
  vigil_test_api_tear_down (fixture);
}

/* Accounts */

typedef struct
{
  char *user_id;
  char *access_token;
  char *session_id;
  char *session_token;
} Account;

static void
account_clear (Account *account)
{
  g_free (account->user_id);
  g_free (account->access_token);
  g_free (account->session_id);
  g_free (account->session_token);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Account, account_clear)

/* A canara user after register, login and verify-mpin: a live session. */
static void
account_init (Fixture    *fixture,
              const char *phone,
              Account    *account)
{
  g_autofree char *body = NULL;
  g_autoptr(VigilTestReply) registered = NULL;
  g_autoptr(VigilTestReply) logged_in = NULL;
  g_autoptr(VigilTestReply) verified = NULL;

  body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"mpin\":\"%s\"}", phone, PASSWORD, MPIN);
  registered = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL, body);
  vigil_test_assert_status (registered, 200);
  g_free (body);

  body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"device_id\":\"device-%s\"}",
                          phone, PASSWORD, phone);
  logged_in = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, body);
  vigil_test_assert_status (logged_in, 200);
  account->access_token = g_strdup (vigil_test_reply_string (logged_in, "access_token"));

  verified = vigil_test_api_post (fixture, "/api/v1/auth/verify-mpin", account->access_token,
                                  "{\"mpin\":\"" MPIN "\"}");
  vigil_test_assert_status (verified, 200);
  account->user_id = g_strdup (vigil_test_reply_string (verified, "user_id"));
  account->session_id = g_strdup (vigil_test_reply_string (verified, "session_id"));
  account->session_token = g_strdup (vigil_test_reply_string (verified, "session_token"));
}

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

/* An access token of a new account with @role (walmart /api/login). */
static char *
staff_token (Fixture    *fixture,
             const char *email,
             VigilRole   role)
{
  VigilAuth *auth = vigil_engine_get_auth (fixture->engine);
  VigilRegistration registration = { .email = email, .password = PASSWORD, .role = role };
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  Wait wait = { 0 };

  vigil_auth_register_async (auth, &registration, "127.0.0.1", NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  user = vigil_auth_register_finish (auth, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);

  body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);
  reply = vigil_test_api_post (fixture, "/api/login", NULL, body);
  vigil_test_assert_status (reply, 200);
  g_assert_cmpstr (vigil_test_reply_string (reply, "role"), ==, vigil_role_to_string (role));
  return g_strdup (vigil_test_reply_string (reply, "access_token"));
}

/* The store */

static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  gint64 value = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)),
                                     sql, &value, &error));
  g_assert_no_error (error);
  return value;
}

/* Our ids are UUIDs or literals of the tests: safe to quote. */
static gint64
count_events (Fixture    *fixture,
              const char *session_id)
{
  g_autofree char *sql = NULL;

  if (session_id == NULL)
    return query_int (fixture, "SELECT count(*) FROM events");
  sql = g_strdup_printf ("SELECT count(*) FROM events WHERE session_id = '%s'", session_id);
  return query_int (fixture, sql);
}

static char *
stored_data (Fixture    *fixture,
             const char *session_id,
             gint64      seq)
{
  g_autofree char *sql = g_strdup_printf ("SELECT data FROM events WHERE session_id = '%s' AND seq = %"
                                          G_GINT64_FORMAT, session_id, seq);
  g_autoptr(GError) error = NULL;
  char *data = NULL;

  g_assert_true (vigil_db_query_text (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)),
                                      sql, &data, &error));
  g_assert_no_error (error);
  return data;
}

/* WebSocket clients */

typedef struct
{
  SoupWebsocketConnection *conn;
  GQueue                   messages;     /* char * */
  gboolean                 has_message;
  gboolean                 closed;
  gushort                  close_code;
  char                    *close_reason;
} Client;

static void
on_client_message (SoupWebsocketConnection *conn,
                   SoupWebsocketDataType    type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  Client *client = user_data;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  g_queue_push_tail (&client->messages, g_strndup (data, size));
  client->has_message = TRUE;
}

static void
on_client_closed (SoupWebsocketConnection *conn,
                  gpointer                 user_data)
{
  Client *client = user_data;

  client->close_code = soup_websocket_connection_get_close_code (conn);
  client->close_reason = g_strdup (soup_websocket_connection_get_close_data (conn));
  client->closed = TRUE;
}

typedef struct
{
  gboolean                 done;
  SoupWebsocketConnection *conn;
  GError                  *error;
} Connecting;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connecting *connecting = user_data;

  connecting->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &connecting->error);
  connecting->done = TRUE;
}

/* @path may carry a query; NULL and the HTTP status on a failed upgrade. */
static Client *
client_try_connect (Fixture     *fixture,
                    const char  *path,
                    const char **protocols,
                    guint       *out_status)
{
  g_autofree char *url = g_strconcat (vigil_server_get_url (fixture->server), path + 1, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  Connecting connecting = { 0 };
  Client *client;

  g_assert_nonnull (msg);
  soup_session_websocket_connect_async (fixture->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, on_connected, &connecting);
  g_assert_true (vigil_test_wait_for (&connecting.done, 10000));
  if (out_status != NULL)
    *out_status = soup_message_get_status (msg);
  if (connecting.conn == NULL)
    {
      g_clear_error (&connecting.error);
      return NULL;
    }

  client = g_new0 (Client, 1);
  client->conn = connecting.conn;
  g_queue_init (&client->messages);
  g_signal_connect (client->conn, "message", G_CALLBACK (on_client_message), client);
  g_signal_connect (client->conn, "closed", G_CALLBACK (on_client_closed), client);
  return client;
}

static Client *
client_connect (Fixture    *fixture,
                const char *path)
{
  Client *client = client_try_connect (fixture, path, NULL, NULL);

  g_assert_nonnull (client);
  return client;
}

static void
client_wait_closed (Client *client)
{
  g_assert_true (vigil_test_wait_for (&client->closed, 10000));
}

static void
client_free (Client *client)
{
  if (!client->closed)
    {
      soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      client_wait_closed (client);
    }
  g_signal_handlers_disconnect_by_data (client->conn, client);
  g_object_unref (client->conn);
  g_queue_clear_full (&client->messages, g_free);
  g_free (client->close_reason);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static void
client_send (Client     *client,
             const char *text)
{
  soup_websocket_connection_send_text (client->conn, text);
}

/* The next message, as JSON (an object: every server message is one). */
static JsonNode *
client_next (Client *client)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  if (g_queue_is_empty (&client->messages))
    {
      client->has_message = FALSE;
      g_assert_true (vigil_test_wait_for (&client->has_message, 10000));
    }
  text = g_queue_pop_head (&client->messages);
  client->has_message = !g_queue_is_empty (&client->messages);

  node = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

static const char *
member_string (JsonNode   *node,
               const char *name)
{
  return json_object_get_string_member_with_default (json_node_get_object (node), name, NULL);
}

/* The next message is {"type": "error", "message": @message}. */
static void
assert_next_error (Client     *client,
                   const char *type_member,
                   const char *type_value,
                   const char *message)
{
  g_autoptr(JsonNode) reply = client_next (client);

  g_assert_cmpstr (member_string (reply, type_member), ==, type_value);
  if (message != NULL)
    g_assert_cmpstr (member_string (reply, "message"), ==, message);
  else
    g_assert_nonnull (member_string (reply, "message"));
}

/* Refused after the upgrade: closed with 1008 and a reason, never counted. */
static void
assert_refused (Fixture    *fixture,
                const char *path,
                const char *reason)
{
  g_autoptr(Client) client = client_connect (fixture, path);

  client_wait_closed (client);
  g_assert_cmpuint (client->close_code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  if (reason != NULL)
    g_assert_cmpstr (client->close_reason, ==, reason);
  else
    g_assert_nonnull (client->close_reason);
  g_assert_true (g_queue_is_empty (&client->messages));
}

static char *
behavior_path (const char *session_id,
               const char *token)
{
  return g_strdup_printf ("/api/v1/ws/behavior/%s?token=%s", session_id, token);
}

/* canara's behavior socket */

static Client *
behavior_connect (Fixture       *fixture,
                  const Account *account)
{
  g_autofree char *path = behavior_path (account->session_id, account->session_token);
  Client *client = client_connect (fixture, path);
  g_autoptr(JsonNode) hello = client_next (client);

  g_assert_cmpstr (member_string (hello, "type"), ==, "connection_established");
  g_assert_cmpstr (member_string (hello, "session_id"), ==, account->session_id);
  return client;
}

/* Sends one event and returns the sequence number of its ack. */
static gint64
behavior_send_event (Client     *client,
                     const char *message)
{
  g_autoptr(JsonNode) ack = NULL;
  JsonObject *object;

  client_send (client, message);
  ack = client_next (client);
  object = json_node_get_object (ack);
  g_assert_cmpstr (json_object_get_string_member (object, "type"), ==, "data_received");
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "processed");
  g_assert_cmpfloat (json_object_get_double_member (object, "timestamp"), ==,
                     VIGIL_TEST_START_US / (double) G_USEC_PER_SEC);
  return json_object_get_int_member (object, "seq");
}

static void
test_behavior_stream (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;
  g_autoptr(Client) again = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *path = NULL;
  gint64 seq;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);
  g_assert_cmpuint (vigil_metrics_get_active_connections (metrics (fixture)), ==, 1);

  seq = behavior_send_event (client, "{\"event_type\":\"touch\",\"data\":{\"x\":12,\"y\":40},"
                                     "\"timestamp\":\"2026-01-01T00:00:00Z\"}");
  g_assert_cmpint (seq, ==, 1);
  /* Acknowledged means committed: readable at once. */
  stored = stored_data (fixture, account.session_id, 1);
  g_assert_cmpstr (stored, ==, "{\"x\":12,\"y\":40}");

  g_assert_cmpint (behavior_send_event (client, "{\"event_type\":\"keystroke\",\"data\":null}"), ==, 2);
  g_assert_cmpint (count_events (fixture, account.session_id), ==, 2);
  g_assert_cmpuint (vigil_session_get_event_count (vigil_sessions_lookup (sessions (fixture), account.session_id)),
                    ==, 2);

  /* The access token of the session's account is accepted too. */
  path = behavior_path (account.session_id, account.access_token);
  again = client_connect (fixture, path);
  {
    g_autoptr(JsonNode) hello = client_next (again);

    g_assert_cmpstr (member_string (hello, "type"), ==, "connection_established");
  }
  g_assert_cmpuint (vigil_metrics_get_active_connections (metrics (fixture)), ==, 2);
  g_assert_cmpint (behavior_send_event (again, "{\"eventType\":\"scroll\",\"data\":{\"dy\":3}}"), ==, 3);
}

static void
test_behavior_acks_in_order (Fixture       *fixture,
                             gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);

  /* Pipelined, with refusals among them: replies keep the order of the
   * messages, and each ack finds its event committed. */
  for (guint i = 1; i <= 30; i++)
    {
      g_autofree char *message = g_strdup_printf ("{\"event_type\":\"tap\",\"data\":{\"i\":%u}}", i);

      client_send (client, message);
      if (i % 10 == 0)
        client_send (client, "{oops");
    }

  for (guint i = 1; i <= 30; i++)
    {
      g_autoptr(JsonNode) ack = client_next (client);
      g_autofree char *stored = NULL;
      g_autofree char *expected = g_strdup_printf ("{\"i\":%u}", i);

      g_assert_cmpstr (member_string (ack, "type"), ==, "data_received");
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (ack), "seq"), ==, i);
      stored = stored_data (fixture, account.session_id, i);
      g_assert_cmpstr (stored, ==, expected);
      if (i % 10 == 0)
        assert_next_error (client, "type", "error", "Invalid JSON format");
    }
}

static void
test_behavior_bad_messages (Fixture       *fixture,
                            gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;
  g_autoptr(GString) large = g_string_new ("{\"event_type\":\"big\",\"data\":\"");

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);

  client_send (client, "this is not JSON");
  assert_next_error (client, "type", "error", "Invalid JSON format");
  client_send (client, "[1, 2, 3]");
  assert_next_error (client, "type", "error", NULL);
  client_send (client, "{\"data\":{\"no\":\"type\"}}");
  assert_next_error (client, "type", "error", NULL);
  client_send (client, "\"just a string\"");
  assert_next_error (client, "type", "error", NULL);

  /* Over 64 KiB: refused before parsing, nothing stored. */
  while (large->len < 70 * 1024)
    g_string_append (large, "abcdefghij");
  g_string_append (large, "\"}");
  client_send (client, large->str);
  assert_next_error (client, "type", "error", "Message larger than 65536 bytes");

  g_assert_cmpint (count_events (fixture, account.session_id), ==, 0);
  g_assert_false (client->closed);

  /* Still open and streaming. */
  g_assert_cmpint (behavior_send_event (client, "{\"event_type\":\"touch\",\"data\":{}}"), ==, 1);
}

static void
test_behavior_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(Account) ann = { 0 };
  g_auto(Account) bob = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *refresh = NULL;
  g_autoptr(VigilTestReply) login = NULL;
  g_autoptr(GError) error = NULL;

  account_init (fixture, "9876543210", &ann);
  account_init (fixture, "9123456789", &bob);

  path = g_strdup_printf ("/api/v1/ws/behavior/%s", ann.session_id);
  assert_refused (fixture, path, "Missing token");
  g_clear_pointer (&path, g_free);

  path = behavior_path (ann.session_id, "not.a.token");
  assert_refused (fixture, path, "Invalid or expired token");
  g_clear_pointer (&path, g_free);

  /* A refresh token is no credential here. */
  login = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                               "{\"phone\":\"9876543210\",\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (login, 200);
  path = behavior_path (ann.session_id, vigil_test_reply_string (login, "refresh_token"));
  assert_refused (fixture, path, "Invalid or expired token");
  g_clear_pointer (&path, g_free);

  /* Unknown, and another user's: alike. */
  path = behavior_path ("4f8e2a8c-0000-4000-8000-000000000000", ann.access_token);
  assert_refused (fixture, path, "Session not found");
  g_clear_pointer (&path, g_free);
  path = behavior_path (ann.session_id, bob.access_token);
  assert_refused (fixture, path, "Session not found");
  g_clear_pointer (&path, g_free);
  path = behavior_path (ann.session_id, bob.session_token);
  assert_refused (fixture, path, "Token not valid for this session");
  g_clear_pointer (&path, g_free);

  /* Expired: access tokens live 900 s. */
  vigil_clock_advance (fixture->clock, 901 * G_USEC_PER_SEC);
  path = behavior_path (ann.session_id, ann.access_token);
  assert_refused (fixture, path, "Invalid or expired token");
  g_clear_pointer (&path, g_free);

  /* Blocked: refused, and the session is no more. */
  g_assert_true (vigil_sessions_block (sessions (fixture), ann.session_id, "test", &error));
  g_assert_no_error (error);
  path = behavior_path (ann.session_id, ann.session_token);
  assert_refused (fixture, path, NULL);
  g_clear_pointer (&path, g_free);

  /* Nothing was ever counted as a connection. */
  g_assert_cmpuint (vigil_metrics_get_active_connections (metrics (fixture)), ==, 0);

  /* A path without a session is no socket at all. */
  {
    guint status = 0;
    Client *none = client_try_connect (fixture, "/api/v1/ws/behavior", NULL, &status);

    g_assert_null (none);
    g_assert_cmpuint (status, ==, 404);
  }
}

static void
test_behavior_mpin_required (Fixture       *fixture,
                             gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;
  g_autoptr(JsonNode) push = NULL;
  g_autoptr(GError) error = NULL;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);

  g_assert_true (vigil_sessions_require_mpin (sessions (fixture), account.session_id, &error));
  g_assert_no_error (error);
  push = client_next (client);
  g_assert_cmpstr (member_string (push, "type"), ==, "mpin_required");

  /* The session goes on. */
  g_assert_false (client->closed);
  g_assert_cmpint (behavior_send_event (client, "{\"event_type\":\"touch\",\"data\":{}}"), ==, 1);
}

static void
test_behavior_blocked (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;
  g_autoptr(JsonNode) push = NULL;
  g_autoptr(GError) error = NULL;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);

  g_assert_true (vigil_sessions_block (sessions (fixture), account.session_id, "Impossible travel", &error));
  g_assert_no_error (error);
  push = client_next (client);
  g_assert_cmpstr (member_string (push, "type"), ==, "session_blocked");
  g_assert_cmpstr (member_string (push, "reason"), ==, "Impossible travel");

  client_wait_closed (client);
  g_assert_cmpuint (client->close_code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
}

static VigilSessionInfo *
session_info (Fixture    *fixture,
              const char *session_id)
{
  g_autoptr(GError) error = NULL;
  VigilSessionInfo *info = vigil_sessions_get_info (sessions (fixture), session_id, &error);

  g_assert_no_error (error);
  return info;
}

static void
test_behavior_disconnect (Fixture       *fixture,
                          gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilSessionInfo) info = NULL;
  Client *client;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);
  /* Sent, then gone at once: stored all the same, then the session ends. */
  client_send (client, "{\"event_type\":\"touch\",\"data\":{}}");
  client_free (client);

  WAIT_UNTIL (vigil_sessions_lookup (sessions (fixture), account.session_id) == NULL);
  vigil_test_api_wait_idle (fixture);
  info = session_info (fixture, account.session_id);
  g_assert_cmpstr (info->state, ==, "ended");
  g_assert_cmpstr (info->end_reason, ==, VIGIL_END_REASON_DISCONNECT);
  g_assert_cmpint (count_events (fixture, account.session_id), ==, 1);
}

static void
test_behavior_background (Fixture       *fixture,
                          gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  gboolean terminated = TRUE;
  Client *client;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);
  g_assert_true (vigil_sessions_lifecycle (sessions (fixture), account.session_id,
                                           VIGIL_LIFECYCLE_APP_BACKGROUND, &terminated, &error));
  g_assert_no_error (error);
  g_assert_false (terminated);
  client_free (client);
  WAIT_UNTIL (vigil_metrics_get_active_connections (metrics (fixture)) == 0);
  g_assert_nonnull (vigil_sessions_lookup (sessions (fixture), account.session_id));

  /* The app comes back; in the foreground, a disconnect ends it. */
  client = behavior_connect (fixture, &account);
  g_assert_cmpint (behavior_send_event (client, "{\"event_type\":\"resume\",\"data\":{}}"), ==, 1);
  g_assert_true (vigil_sessions_lifecycle (sessions (fixture), account.session_id,
                                           VIGIL_LIFECYCLE_APP_FOREGROUND, &terminated, &error));
  g_assert_no_error (error);
  client_free (client);
  WAIT_UNTIL (vigil_sessions_lookup (sessions (fixture), account.session_id) == NULL);
  vigil_test_api_wait_idle (fixture);
  info = session_info (fixture, account.session_id);
  g_assert_cmpstr (info->end_reason, ==, VIGIL_END_REASON_DISCONNECT);
}

static void
test_behavior_session_ends (Fixture       *fixture,
                            gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean terminated = FALSE;

  account_init (fixture, "9876543210", &account);
  client = behavior_connect (fixture, &account);
  g_assert_true (vigil_sessions_lifecycle (sessions (fixture), account.session_id,
                                           VIGIL_LIFECYCLE_USER_LOGOUT, &terminated, &error));
  g_assert_no_error (error);
  g_assert_true (terminated);

  client_wait_closed (client);
  g_assert_cmpuint (client->close_code, ==, SOUP_WEBSOCKET_CLOSE_NORMAL);
}

/* cbsa's /ws/behaviour */

/* Sends @message and returns the message_id of its ack. */
static gint64
stream_send (Client     *client,
             const char *message)
{
  g_autoptr(JsonNode) ack = NULL;
  JsonObject *object;

  client_send (client, message);
  ack = client_next (client);
  object = json_node_get_object (ack);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "received");
  /* Epoch seconds by the engine's (manual) clock. */
  g_assert_cmpfloat (json_object_get_double_member (object, "server_timestamp"), >=,
                     VIGIL_TEST_START_US / (double) G_USEC_PER_SEC);
  return json_object_get_int_member (object, "message_id");
}

static void
test_stream_ack (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(Client) client = client_connect (fixture, "/ws/behaviour");
  g_autoptr(GPtrArray) open = NULL;
  VigilSession *own = NULL;
  g_autofree char *stored = NULL;

  g_assert_cmpuint (vigil_metrics_get_active_connections (metrics (fixture)), ==, 1);
  g_assert_cmpint (stream_send (client, "{\"foo\": \"bar\", \"arbitrary\": [1, 2, 3], \"nested\": {\"a\": 1}}"), ==, 1);

  /* Stored, whole, in this connection's own stream session. */
  open = vigil_sessions_list_open (sessions (fixture));
  g_assert_cmpuint (open->len, ==, 1);
  own = g_ptr_array_index (open, 0);
  g_assert_cmpint (vigil_session_get_kind (own), ==, VIGIL_SESSION_KIND_STREAM);
  stored = stored_data (fixture, vigil_session_get_id (own), 1);
  g_assert_cmpstr (stored, ==, "{\"foo\":\"bar\",\"arbitrary\":[1,2,3],\"nested\":{\"a\":1}}");
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events WHERE event_type = 'message'"), ==, 1);

  g_assert_cmpint (stream_send (client, "{\"anything\": \"goes\", \"number\": 42}"), ==, 2);
  g_assert_cmpint (count_events (fixture, vigil_session_get_id (own)), ==, 2);
}

static void
test_stream_shared_counter (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(Client) first = client_connect (fixture, "/ws/behaviour");
  g_autoptr(Client) second = client_connect (fixture, "/ws/behaviour");

  g_assert_cmpint (stream_send (first, "{\"n\": 1}"), ==, 1);
  g_assert_cmpint (stream_send (second, "{\"n\": 2}"), ==, 2);
  g_assert_cmpint (stream_send (first, "{\"n\": 3}"), ==, 3);
  g_assert_cmpint (stream_send (second, "{\"n\": 4}"), ==, 4);
  g_assert_cmpint (count_events (fixture, NULL), ==, 4);
  g_assert_cmpuint (vigil_metrics_get_active_connections (metrics (fixture)), ==, 2);
}

static void
test_stream_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(Client) client = client_connect (fixture, "/ws/behaviour");
  g_autoptr(GString) large = g_string_new ("{\"blob\":\"");
  g_autoptr(JsonNode) invalid = NULL;
  JsonArray *errors;

  client_send (client, "{\"foo\": ");
  assert_next_error (client, "status", "error", "Malformed JSON");

  /* cbsa dropped the connection here; Vigil answers and stays. */
  client_send (client, "[1, 2, 3]");
  invalid = client_next (client);
  g_assert_cmpstr (member_string (invalid, "status"), ==, "error");
  g_assert_cmpstr (member_string (invalid, "message"), ==, "Invalid data format");
  errors = json_object_get_array_member (json_node_get_object (invalid), "errors");
  g_assert_cmpuint (json_array_get_length (errors), ==, 1);

  client_send (client, "42");
  assert_next_error (client, "status", "error", "Invalid data format");
  client_send (client, "{\"session_id\": 7, \"timestamp\": \"soon\"}");
  assert_next_error (client, "status", "error", "Invalid data format");

  while (large->len < 70 * 1024)
    g_string_append (large, "0123456789");
  g_string_append (large, "\"}");
  client_send (client, large->str);
  assert_next_error (client, "status", "error", "Message larger than 65536 bytes");

  g_assert_cmpint (count_events (fixture, NULL), ==, 0);
  g_assert_false (client->closed);
  g_assert_cmpint (stream_send (client, "{\"user_id\": \"user123\", \"timestamp\": 1708041234.567}"), ==, 1);
}

/* Past twice the limit libsoup stops reading and cuts the connection
 * (with 1009, which a client still writing may never read) without
 * buffering the message. */
static void
test_stream_huge_message (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(Client) client = client_connect (fixture, "/ws/behaviour");
  g_autofree char *huge = g_malloc (300 * 1024 + 1);

  memset (huge, 'x', 300 * 1024);
  huge[300 * 1024] = '\0';
  client_send (client, huge);
  client_wait_closed (client);
  g_assert_true (client->close_code == 0 || client->close_code == SOUP_WEBSOCKET_CLOSE_TOO_BIG);
  g_assert_cmpint (count_events (fixture, NULL), ==, 0);
}

static void
test_stream_sessions (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(Client) first = client_connect (fixture, "/ws/behaviour");
  g_autoptr(Client) second = client_connect (fixture, "/ws/behaviour");
  g_autoptr(GPtrArray) open = NULL;
  VigilSession *named;
  VigilSession *own = NULL;

  stream_send (first, "{\"user_id\": \"user123\", \"session_id\": \"session_abc_123\", "
                      "\"timestamp\": 1708041234.567, \"features\": {\"touch_velocity\": 45.2}}");
  stream_send (second, "{\"session_id\": \"session_abc_123\", "
                       "\"payload\": {\"eventType\": \"PAGE_ENTER_HOME\"}}");
  stream_send (second, "{\"no\": \"session\"}");

  named = vigil_sessions_lookup (sessions (fixture), "session_abc_123");
  g_assert_nonnull (named);
  g_assert_cmpint (vigil_session_get_kind (named), ==, VIGIL_SESSION_KIND_STREAM);
  g_assert_cmpstr (vigil_session_get_claimed_user (named), ==, "user123");
  g_assert_cmpint (count_events (fixture, "session_abc_123"), ==, 2);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM events WHERE session_id = 'session_abc_123' "
                                       "AND event_type = 'PAGE_ENTER_HOME'"), ==, 1);

  open = vigil_sessions_list_open (sessions (fixture));
  g_assert_cmpuint (open->len, ==, 2);
  for (guint i = 0; i < open->len; i++)
    if (g_ptr_array_index (open, i) != named)
      own = g_ptr_array_index (open, i);
  g_assert_nonnull (own);

  /* A connection's own session ends with it; a named one stays open for
   * the client's next connection. */
  g_clear_pointer (&second, client_free);
  WAIT_UNTIL (vigil_sessions_lookup (sessions (fixture), vigil_session_get_id (own)) == NULL);
  g_assert_nonnull (vigil_sessions_lookup (sessions (fixture), "session_abc_123"));
}

static void
test_stream_never_authenticated (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) client = NULL;
  g_autofree char *message = NULL;

  account_init (fixture, "9876543210", &account);
  client = client_connect (fixture, "/ws/behaviour");

  message = g_strdup_printf ("{\"session_id\": \"%s\", \"event_type\": \"touch\"}", account.session_id);
  client_send (client, message);
  assert_next_error (client, "status", "error", NULL);
  g_assert_cmpint (count_events (fixture, account.session_id), ==, 0);
  g_assert_cmpint (count_events (fixture, NULL), ==, 0);

  /* Ended ones neither. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (vigil_sessions_lifecycle (sessions (fixture), account.session_id,
                                             VIGIL_LIFECYCLE_APP_CLOSE, NULL, &error));
    g_assert_no_error (error);
    vigil_test_api_wait_idle (fixture);
    client_send (client, message);
    assert_next_error (client, "status", "error", NULL);
    g_assert_cmpint (count_events (fixture, NULL), ==, 0);
  }
}

static void
test_stream_policy (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *token = staff_token (fixture, "user@example.com", VIGIL_ROLE_USER);
  g_autofree char *path = g_strdup_printf ("/ws/behaviour?token=%s", token);
  g_autoptr(Client) allowed = NULL;
  Client *refused;
  guint status = 0;

  g_assert_cmpint (vigil_server_get_stream_policy (fixture->server), ==, VIGIL_STREAM_POLICY_OPEN);

  vigil_server_set_stream_policy (fixture->server, VIGIL_STREAM_POLICY_TOKEN);
  assert_refused (fixture, "/ws/behaviour", "Missing token");
  assert_refused (fixture, "/ws/behaviour?token=forged", "Invalid or expired token");
  allowed = client_connect (fixture, path);
  g_assert_cmpint (stream_send (allowed, "{\"with\": \"token\"}"), ==, 1);

  /* Off: no route; open sockets finish what they do. */
  g_object_set (fixture->server, "stream-policy", "off", NULL);
  g_assert_cmpint (vigil_server_get_stream_policy (fixture->server), ==, VIGIL_STREAM_POLICY_OFF);
  refused = client_try_connect (fixture, "/ws/behaviour", NULL, &status);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpint (stream_send (allowed, "{\"still\": \"here\"}"), ==, 2);
}

/* cbsa's /ws/monitor */

static void
test_monitor_refused (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *user = staff_token (fixture, "user@example.com", VIGIL_ROLE_USER);
  g_autofree char *analyst = staff_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST);
  g_autofree char *path = NULL;
  g_autofree char *bearer = NULL;
  g_autoptr(Client) by_query = NULL;
  g_autoptr(Client) by_protocol = NULL;
  const char *protocols[3] = { "vigil.monitor", NULL, NULL };

  assert_refused (fixture, "/ws/monitor", NULL);
  path = g_strdup_printf ("/ws/monitor?token=%s", user);
  assert_refused (fixture, path, "An analyst or admin access token is required");
  g_free (path);
  g_assert_cmpuint (vigil_metrics_get_monitor_connections (metrics (fixture)), ==, 0);

  path = g_strdup_printf ("/ws/monitor?token=%s", analyst);
  by_query = client_connect (fixture, path);
  bearer = g_strconcat ("bearer.", analyst, NULL);
  protocols[1] = bearer;
  by_protocol = client_try_connect (fixture, "/ws/monitor", protocols, NULL);
  g_assert_nonnull (by_protocol);
  g_assert_cmpstr (soup_websocket_connection_get_protocol (by_protocol->conn), ==, "vigil.monitor");

  WAIT_UNTIL (vigil_metrics_get_monitor_connections (metrics (fixture)) == 2);
  g_assert_false (by_query->closed);
  g_assert_false (by_protocol->closed);
}

static void
test_monitor_events (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *admin = staff_token (fixture, "admin@example.com", VIGIL_ROLE_ADMIN);
  g_autofree char *path = g_strdup_printf ("/ws/monitor?token=%s", admin);
  g_autoptr(Client) monitor = client_connect (fixture, path);
  g_autoptr(Client) stream = client_connect (fixture, "/ws/behaviour");
  g_autoptr(VigilTestReply) health = NULL;
  g_autoptr(JsonNode) seen = NULL;
  g_autoptr(JsonNode) canara = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *stored = NULL;
  g_auto(Account) account = { 0 };
  g_autoptr(Client) behavior = NULL;
  JsonObject *object, *payload, *device;
  const char *message = "{\"session_id\": \"s-1\", \"payload\": {\"eventType\": \"PAGE_ENTER_HOME\", "
                        "\"deviceInfo\": {\"model\": \"Pixel 7\"}, \"screen\": \"dashboard\"}}";

  WAIT_UNTIL (vigil_metrics_get_monitor_connections (metrics (fixture)) == 1);
  health = vigil_test_api_get (fixture, "/health", NULL);
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (health), "monitor_connections"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (health), "active_connections"), ==, 1);

  stream_send (stream, message);
  seen = client_next (monitor);
  object = json_node_get_object (seen);
  g_assert_cmpstr (json_object_get_string_member (object, "receivedAt"), ==, "2026-01-01T00:00:00Z");
  g_assert_cmpstr (json_object_get_string_member (object, "eventType"), ==, "PAGE_ENTER_HOME");
  payload = json_object_get_object_member (object, "payload");
  g_assert_cmpstr (json_object_get_string_member (payload, "screen"), ==, "dashboard");
  device = json_object_get_object_member (object, "deviceInfo");
  g_assert_cmpstr (json_object_get_string_member (device, "model"), ==, "Pixel 7");
  stored = stored_data (fixture, "s-1", 1);
  g_assert_cmpstr (json_object_get_string_member (object, "raw"), ==, stored);
  g_checksum_update (checksum, (const guchar *) stored, -1);
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "signature")), ==, 16);
  g_assert_true (g_str_has_prefix (g_checksum_get_string (checksum),
                                   json_object_get_string_member (object, "signature")));
  g_assert_cmpstr (json_object_get_string_member (object, "sessionId"), ==, "s-1");

  /* The authenticated socket's events too; without a payload member,
   * the payload is the event's data. */
  account_init (fixture, "9876543210", &account);
  behavior = behavior_connect (fixture, &account);
  behavior_send_event (behavior, "{\"event_type\": \"touch\", \"data\": {\"x\": 1}}");
  canara = client_next (monitor);
  object = json_node_get_object (canara);
  g_assert_cmpstr (json_object_get_string_member (object, "eventType"), ==, "touch");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (object, "payload"), "x"), ==, 1);
  g_assert_true (json_object_get_null_member (object, "deviceInfo"));

  g_clear_pointer (&health, vigil_test_reply_free);
  health = vigil_test_api_get (fixture, "/health", NULL);
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (health), "active_connections"), ==, 2);

  /* A token that expires while watching ends the watch. */
  vigil_clock_advance (fixture->clock, 901 * G_USEC_PER_SEC);
  stream_send (stream, "{\"after\": \"expiry\"}");
  client_wait_closed (monitor);
  g_assert_cmpuint (monitor->close_code, ==, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
}

static void
test_server_stop_closes_sockets (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autofree char *analyst = staff_token (fixture, "analyst@example.com", VIGIL_ROLE_ANALYST);
  g_autofree char *path = g_strdup_printf ("/ws/monitor?token=%s", analyst);
  g_autoptr(Client) monitor = client_connect (fixture, path);
  g_autoptr(Client) stream = client_connect (fixture, "/ws/behaviour");

  WAIT_UNTIL (vigil_metrics_get_monitor_connections (metrics (fixture)) == 1);
  vigil_server_stop (fixture->server);
  client_wait_closed (monitor);
  client_wait_closed (stream);
  g_assert_cmpuint (monitor->close_code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_cmpuint (stream->close_code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
}

/* Stopping the server only starts the closing handshakes; the engine may
 * shut down before they finish. The sockets' close then still has the
 * sessions it needs (no CRITICAL), and the connection count goes to 0. */
static void
test_close_after_engine_shutdown (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(Client) behavior = NULL;
  g_autoptr(Client) stream = NULL;

  account_init (fixture, "9000000031", &account);
  behavior = behavior_connect (fixture, &account);
  stream = client_connect (fixture, "/ws/behaviour");
  WAIT_UNTIL (vigil_metrics_get_active_connections (metrics (fixture)) == 2);

  vigil_server_stop (fixture->server);
  vigil_engine_shutdown (fixture->engine);
  client_wait_closed (behavior);
  client_wait_closed (stream);
  WAIT_UNTIL (vigil_metrics_get_active_connections (metrics (fixture)) == 0);
}

/* GET / and /event-flow-map */

static VigilTestReply *
get_accepting (Fixture    *fixture,
               const char *path,
               const char *accept)
{
  g_autofree char *url = g_strconcat (vigil_server_get_url (fixture->server), path + 1, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  VigilTestReply *reply = g_new0 (VigilTestReply, 1);
  GBytes *body;
  Wait wait = { 0 };

  if (accept != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", accept);
  soup_session_send_and_read_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 10000));
  body = soup_session_send_and_read_finish (fixture->session, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);

  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  reply->body = body;
  if (g_strcmp0 (soup_message_headers_get_content_type (reply->headers, NULL), "application/json") == 0)
    {
      reply->json = json_from_string (g_bytes_get_data (body, NULL), &error);
      g_assert_no_error (error);
    }
  return reply;
}

static void
test_root (Fixture       *fixture,
           gconstpointer  data)
{
  const char *json_accepts[] = { NULL, "*/*", "application/json", "text/html;q=0, */*" };
  g_autoptr(VigilTestReply) page = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) post = NULL;
  g_autofree char *html = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (json_accepts); i++)
    {
      g_autoptr(VigilTestReply) reply = get_accepting (fixture, "/", json_accepts[i]);

      vigil_test_assert_status (reply, 200);
      g_assert_cmpstr (vigil_test_reply_string (reply, "status"), ==, "healthy");
      g_assert_cmpstr (vigil_test_reply_string (reply, "service"), ==, "Vigil");
    }

  page = get_accepting (fixture, "/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
  vigil_test_assert_status (page, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (page->headers, NULL), ==, "text/html");
  g_assert_nonnull (vigil_test_reply_header (page, "Content-Security-Policy"));
  html = vigil_test_reply_text (page);
  g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
  g_assert_nonnull (strstr (html, "/ws/monitor"));
  g_assert_nonnull (strstr (html, "/event-flow-map"));

  missing = get_accepting (fixture, "/no/such/path", NULL);
  vigil_test_assert_status (missing, 404);
  g_assert_cmpstr (vigil_test_reply_string (missing, "error"), ==, "not_found");

  post = vigil_test_api_post (fixture, "/", NULL, "{}");
  vigil_test_assert_status (post, 405);
}

static void
test_websocket_routes_over_http (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *paths[] = { "/ws/behaviour", "/ws/monitor", "/api/v1/ws/behavior/some-session" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(VigilTestReply) plain = vigil_test_api_get (fixture, paths[i], NULL);
      g_autoptr(VigilTestReply) post = vigil_test_api_post (fixture, paths[i], NULL, "{}");

      vigil_test_assert_status (plain, 426);
      g_assert_cmpstr (vigil_test_reply_string (plain, "error"), ==, "upgrade_required");
      g_assert_cmpstr (vigil_test_reply_header (plain, "Upgrade"), ==, "websocket");
      vigil_test_assert_status (post, 405);
    }
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static void
test_event_flow_map (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *fixture_path = g_test_build_filename (G_TEST_DIST, "..", "data", "event-flow-map.json", NULL);
  g_autofree char *custom_path = g_build_filename (fixture->dir, "custom-map.json", NULL);
  g_autofree char *bad_path = g_build_filename (fixture->dir, "bad-map.json", NULL);
  g_autoptr(GBytes) expected = read_file (fixture_path);
  g_autoptr(VigilTestReply) builtin = NULL;
  g_autoptr(VigilTestReply) custom = NULL;
  g_autoptr(VigilTestReply) kept = NULL;
  g_autoptr(VigilTestReply) restored = NULL;
  g_autoptr(GError) error = NULL;
  const char *custom_map = "{\"eventFlowMap\": {\"G\": {\"E\": {\"description\": \"d\", \"nextEvents\": []}}}}";

  builtin = vigil_test_api_get (fixture, "/event-flow-map", NULL);
  vigil_test_assert_status (builtin, 200);
  g_assert_true (g_bytes_equal (builtin->body, expected));
  g_assert_nonnull (json_object_get_object_member (vigil_test_reply_object (builtin), "eventFlowMap"));

  g_assert_true (g_file_set_contents (custom_path, custom_map, -1, &error));
  g_assert_true (vigil_server_set_event_flow_map_path (fixture->server, custom_path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (vigil_server_get_event_flow_map_path (fixture->server), ==, custom_path);
  custom = vigil_test_api_get (fixture, "/event-flow-map", NULL);
  g_assert_cmpmem (g_bytes_get_data (custom->body, NULL), g_bytes_get_size (custom->body),
                   custom_map, strlen (custom_map));

  /* A file that is no map is refused; the map served stays. */
  g_assert_true (g_file_set_contents (bad_path, "{\"eventFlowMap\": []}", -1, &error));
  g_assert_false (vigil_server_set_event_flow_map_path (fixture->server, bad_path, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (vigil_server_set_event_flow_map_path (fixture->server, "/nonexistent/map.json", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  kept = vigil_test_api_get (fixture, "/event-flow-map", NULL);
  g_assert_true (g_bytes_equal (kept->body, custom->body));

  g_assert_true (vigil_server_set_event_flow_map_path (fixture->server, NULL, &error));
  restored = vigil_test_api_get (fixture, "/event-flow-map", NULL);
  g_assert_true (g_bytes_equal (restored->body, expected));
}

/* The listening socket and WebSocket compression */

static void
test_listen_backlog (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GUri) uri = g_uri_parse (vigil_server_get_url (fixture->server), G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, g_uri_get_port (uri));
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);

  /* The main loop does not run: the server accepts nothing, so only the
   * kernel's queue (the backlog) completes these handshakes. GLib's
   * default of 10 would leave most of them waiting for a SYN retry. */
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

      g_assert_no_error (error);
      g_socket_set_blocking (socket, FALSE);
      if (!g_socket_connect (socket, address, NULL, &error))
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
      g_ptr_array_add (sockets, socket);
    }
  for (guint i = 0; i < sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (sockets, i);
      g_autoptr(GError) error = NULL;

      g_assert_true (g_socket_condition_timed_wait (socket, G_IO_OUT, 500 * 1000, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (g_socket_check_connect_result (socket, &error));
      g_assert_no_error (error);
    }

  g_clear_pointer (&sockets, g_ptr_array_unref);
  vigil_test_drain_main_context ();
}

static void
test_compression (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(Client) plain = NULL;
  g_autoptr(Client) deflated = NULL;

  /* Clients such as node's ws offer permessage-deflate; by default we
   * decline it. */
  if (!soup_session_has_feature (fixture->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER))
    soup_session_add_feature_by_type (fixture->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  g_assert_false (vigil_server_get_websocket_compression (fixture->server));
  plain = client_connect (fixture, "/ws/behaviour");
  g_assert_null (soup_websocket_connection_get_extensions (plain->conn));
  g_assert_cmpint (stream_send (plain, "{\"a\": 1}"), ==, 1);

  vigil_server_set_websocket_compression (fixture->server, TRUE);
  deflated = client_connect (fixture, "/ws/behaviour");
  g_assert_nonnull (soup_websocket_connection_get_extensions (deflated->conn));
  g_assert_true (SOUP_IS_WEBSOCKET_EXTENSION_DEFLATE (soup_websocket_connection_get_extensions (deflated->conn)->data));
  g_assert_cmpint (stream_send (deflated, "{\"b\": 2}"), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/ws/behavior/stream", test_behavior_stream);
  ADD ("/api/ws/behavior/acks-in-order", test_behavior_acks_in_order);
  ADD ("/api/ws/behavior/bad-messages", test_behavior_bad_messages);
  ADD ("/api/ws/behavior/refused", test_behavior_refused);
  ADD ("/api/ws/behavior/mpin-required", test_behavior_mpin_required);
  ADD ("/api/ws/behavior/blocked", test_behavior_blocked);
  ADD ("/api/ws/behavior/disconnect", test_behavior_disconnect);
  ADD ("/api/ws/behavior/background", test_behavior_background);
  ADD ("/api/ws/behavior/session-ends", test_behavior_session_ends);
  ADD ("/api/ws/stream/ack", test_stream_ack);
  ADD ("/api/ws/stream/shared-counter", test_stream_shared_counter);
  ADD ("/api/ws/stream/errors", test_stream_errors);
  ADD ("/api/ws/stream/huge-message", test_stream_huge_message);
  ADD ("/api/ws/stream/sessions", test_stream_sessions);
  ADD ("/api/ws/stream/never-authenticated", test_stream_never_authenticated);
  ADD ("/api/ws/stream/policy", test_stream_policy);
  ADD ("/api/ws/monitor/refused", test_monitor_refused);
  ADD ("/api/ws/monitor/events", test_monitor_events);
  ADD ("/api/ws/server-stop", test_server_stop_closes_sockets);
  ADD ("/api/ws/close-after-engine-shutdown", test_close_after_engine_shutdown);
  ADD ("/api/root", test_root);
  ADD ("/api/ws/over-http", test_websocket_routes_over_http);
  ADD ("/api/event-flow-map", test_event_flow_map);
  ADD ("/api/listen-backlog", test_listen_backlog);
  ADD ("/api/ws/compression", test_compression);
#undef ADD

  return g_test_run ();
}
