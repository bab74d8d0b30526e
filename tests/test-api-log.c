/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The canara behavioral-logging routes (/api/v1/log/...) and the lifecycle
 * route over real HTTP: shapes, limits, every refusal, lifecycle
 * transitions, idle expiry, the JSON log on disk, and acknowledgements
 * that come only after the commit. */
#include "config.h"

#include <string.h>

#include "vigil-api-request.h"
#include "vigil-error.h"
#include "vigil-profiles-live.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define PHONE       "9876543210"
#define OTHER_PHONE "9123456780"
#define PASSWORD    "Correct-Horse-Battery-9"
#define MPIN        "482916"

typedef VigilTestApi Fixture;

/* A user, logged in, with a behavioral session from verify-mpin. */
typedef struct
{
  char *user_id;
  char *access;
  char *session_id;
  char *session_token;
} Account;

static void
account_clear (Account *account)
{
  g_free (account->user_id);
  g_free (account->access);
  g_free (account->session_id);
  g_free (account->session_token);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Account, account_clear)

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
  vigil_test_api_tear_down (fixture);
}

static VigilSessions *
sessions_of (Fixture *fixture)
{
  return vigil_engine_get_sessions (fixture->engine);
}

static char *
login (Fixture    *fixture,
       const char *phone)
{
  g_autofree char *body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"device_id\":\"device-1\"}",
                                           phone, PASSWORD);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, body);

  vigil_test_assert_status (reply, 200);
  return g_strdup (vigil_test_reply_string (reply, "access_token"));
}

static void
account_init (Fixture    *fixture,
              Account    *account,
              const char *phone)
{
  g_autofree char *body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"mpin\":\"%s\"}",
                                           phone, PASSWORD, MPIN);
  g_autoptr(VigilTestReply) registered = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL, body);
  g_autoptr(VigilTestReply) verified = NULL;

  vigil_test_assert_status (registered, 200);
  account->user_id = g_strdup (vigil_test_reply_string (registered, "user_id"));
  account->access = login (fixture, phone);

  verified = vigil_test_api_post (fixture, "/api/v1/auth/verify-mpin", account->access, "{\"mpin\":\"" MPIN "\"}");
  vigil_test_assert_status (verified, 200);
  account->session_id = g_strdup (vigil_test_reply_string (verified, "session_id"));
  account->session_token = g_strdup (vigil_test_reply_string (verified, "session_token"));
  g_assert_nonnull (account->session_id);
  g_assert_nonnull (account->session_token);
}

/* Another session of the account, from /log/start-session. */
static char *
start_session (Fixture    *fixture,
               Account    *account,
               const char *phone)
{
  g_autofree char *body = g_strdup_printf ("{\"phone\":\"%s\",\"device_id\":\"device-2\",\"device_info\":\"Android 12\"}",
                                           phone);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/log/start-session", account->access, body);

  vigil_test_assert_status (reply, 200);
  return g_strdup (vigil_test_reply_string (reply, "session_id"));
}

static VigilTestReply *
post_event (Fixture    *fixture,
            const char *bearer,
            const char *session_id,
            const char *event_type)
{
  g_autofree char *body = g_strdup_printf ("{\"session_id\":\"%s\",\"event_type\":\"%s\",\"data\":{\"x\":1}}",
                                           session_id, event_type);

  return vigil_test_api_post (fixture, "/api/v1/log/behavior-data", bearer, body);
}

static VigilTestReply *
get_status (Fixture    *fixture,
            const char *bearer,
            const char *session_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/log/session/%s/status", session_id);

  return vigil_test_api_get (fixture, path, bearer);
}

static VigilTestReply *
get_logs (Fixture    *fixture,
          const char *bearer,
          const char *session_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/log/session/%s/logs", session_id);

  return vigil_test_api_get (fixture, path, bearer);
}

static VigilTestReply *
lifecycle (Fixture    *fixture,
           const char *bearer,
           const char *session_id,
           const char *event_type)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/ws/sessions/%s/lifecycle", session_id);
  g_autofree char *body = g_strdup_printf ("{\"event_type\":\"%s\",\"details\":{\"reason\":\"test\"}}", event_type);

  return vigil_test_api_post (fixture, path, bearer, body);
}

static VigilTestReply *
end_session (Fixture    *fixture,
             const char *bearer,
             const char *session_id)
{
  g_autofree char *body = g_strdup_printf ("{\"session_id\":\"%s\",\"final_decision\":\"normal\"}", session_id);

  return vigil_test_api_post (fixture, "/api/v1/log/end-session", bearer, body);
}

/* @template with every {id} replaced by @session_id. */
static char *
fill (const char *template,
      const char *session_id)
{
  GString *text = g_string_new (template);

  g_string_replace (text, "{id}", session_id, 0);
  return g_string_free (text, FALSE);
}

static void
assert_detail (VigilTestReply *reply,
               const char     *detail)
{
  g_assert_cmpstr (vigil_test_reply_string (reply, "detail"), ==, detail);
}

/* FastAPI's 422, the first error at ["body", @first, @second?]. */
static void
assert_validation_error (VigilTestReply *reply,
                         const char     *first,
                         int             index)
{
  JsonArray *detail, *loc;

  vigil_test_assert_status (reply, 422);
  g_assert_cmpstr (vigil_test_reply_string (reply, "error"), ==, "validation_error");
  detail = json_object_get_array_member (vigil_test_reply_object (reply), "detail");
  g_assert_cmpuint (json_array_get_length (detail), >=, 1);
  loc = json_object_get_array_member (json_array_get_object_element (detail, 0), "loc");
  g_assert_cmpstr (json_array_get_string_element (loc, 0), ==, "body");
  if (first != NULL)
    g_assert_cmpstr (json_array_get_string_element (loc, 1), ==, first);
  else
    g_assert_cmpuint (json_array_get_length (loc), ==, 1);
  if (index >= 0)
    g_assert_cmpint (json_array_get_int_element (loc, 2), ==, index);
}

static JsonObject *
member_object (VigilTestReply *reply,
               const char     *name)
{
  return json_object_get_object_member (vigil_test_reply_object (reply), name);
}

static gint64
int_member (VigilTestReply *reply,
            const char     *name)
{
  return json_object_get_int_member (vigil_test_reply_object (reply), name);
}

static gboolean
bool_member (VigilTestReply *reply,
             const char     *name)
{
  return json_object_get_boolean_member (vigil_test_reply_object (reply), name);
}

/* Committed events, read on the store's reader connection. */
static gint64
count_stored (Fixture    *fixture,
              const char *session_id)
{
  VigilDb *db = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  gint64 count;

  stmt = vigil_db_prepare (db, "SELECT count(*) FROM events WHERE session_id = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, session_id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* Waits until @session_id is closed and its log written. */
static VigilSessionInfo *
wait_closed (Fixture    *fixture,
             const char *session_id)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(VigilSessionInfo) info = vigil_sessions_get_info (sessions_of (fixture), session_id, NULL);

      if (info != NULL && info->log_path != NULL)
        return g_steal_pointer (&info);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static char *
expected_log_path (Fixture    *fixture,
                   const char *user_id,
                   const char *session_id)
{
  g_autofree char *name = g_strconcat (session_id, ".json", NULL);

  return g_build_filename (vigil_engine_get_data_dir (fixture->engine), "behavior-logs", "logs",
                           user_id, name, NULL);
}

static void
test_start_session (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) started = NULL;
  g_autoptr(VigilTestReply) with_object = NULL;
  g_autoptr(VigilTestReply) wrong_user = NULL;
  g_autoptr(VigilTestReply) wrong_phone = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) bad_info = NULL;
  g_autoptr(VigilTestReply) status = NULL;
  g_autofree char *body = NULL;
  const char *session_id;

  account_init (fixture, &account, PHONE);

  /* The seed document's request, with our ids. */
  body = g_strdup_printf ("{\n    \"user_id\": \"%s\",\n    \"phone\": \"" PHONE "\",\n"
                          "    \"device_id\": \"device_001\",\n    \"device_info\": \"Android 12, Chrome 98\"\n}",
                          account.user_id);
  started = vigil_test_api_post (fixture, "/api/v1/log/start-session", account.access, body);
  vigil_test_assert_status (started, 200);
  session_id = vigil_test_reply_string (started, "session_id");
  g_assert_cmpuint (strlen (session_id), ==, 36);
  g_assert_cmpstr (session_id, !=, account.session_id);
  g_assert_cmpstr (vigil_test_reply_string (started, "status"), ==, "started");
  g_assert_nonnull (vigil_test_reply_string (started, "message"));
  g_assert_cmpstr (vigil_test_reply_string (started, "user_id"), ==, account.user_id);
  g_assert_cmpstr (vigil_test_reply_string (started, "device_id"), ==, "device_001");
  g_assert_true (g_str_has_prefix (vigil_test_reply_string (started, "started_at"), "2026-01-01T00:00:00"));

  /* Open, the caller's, with the device it gave. */
  {
    VigilSession *session = vigil_sessions_lookup (sessions_of (fixture), session_id);

    g_assert_nonnull (session);
    g_assert_cmpstr (vigil_session_get_user_id (session), ==, account.user_id);
    g_assert_cmpstr (vigil_session_get_device_id (session), ==, "device_001");
    g_assert_cmpstr (json_object_get_string_member (vigil_session_get_context (session), "device_info"),
                     ==, "Android 12, Chrome 98");
  }
  status = get_status (fixture, account.access, session_id);
  vigil_test_assert_status (status, 200);
  g_assert_true (bool_member (status, "is_active"));

  /* It comes with a session token of its own, which streams into it. */
  {
    const char *token = vigil_test_reply_string (started, "session_token");
    g_autofree char *event = g_strdup_printf ("{\"session_id\":\"%s\",\"event_type\":\"touch\",\"data\":{}}",
                                              session_id);
    g_autoptr(VigilTestReply) stored = NULL;

    g_assert_nonnull (token);
    stored = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", token, event);
    vigil_test_assert_status (stored, 200);
  }

  /* A device_info object, and the session token as bearer. */
  with_object = vigil_test_api_post (fixture, "/api/v1/log/start-session", account.session_token,
                                     "{\"phone\":\"" PHONE "\",\"device_id\":\"d\",\"device_info\":{\"os\":\"iOS 17\"}}");
  vigil_test_assert_status (with_object, 200);

  wrong_user = vigil_test_api_post (fixture, "/api/v1/log/start-session", account.access,
                                    "{\"user_id\":\"00000000-0000-4000-8000-000000000000\",\"phone\":\"" PHONE "\","
                                    "\"device_id\":\"d\"}");
  vigil_test_assert_status (wrong_user, 403);
  wrong_phone = vigil_test_api_post (fixture, "/api/v1/log/start-session", account.access,
                                     "{\"phone\":\"" OTHER_PHONE "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (wrong_phone, 403);

  missing = vigil_test_api_post (fixture, "/api/v1/log/start-session", account.access, "{\"device_id\":\"d\"}");
  assert_validation_error (missing, "phone", -1);
  bad_info = vigil_test_api_post (fixture, "/api/v1/log/start-session", account.access,
                                  "{\"phone\":\"" PHONE "\",\"device_id\":\"d\",\"device_info\":12}");
  assert_validation_error (bad_info, "device_info", -1);

  /* verify-mpin's, the seed example's, and the device_info object's. */
  {
    g_autoptr(GPtrArray) open = vigil_sessions_list_open (sessions_of (fixture));

    g_assert_cmpuint (open->len, ==, 3);
  }
}

/* One event at a time: each reply comes after its commit. */
static void
test_behavior_data_single (Fixture       *fixture,
                           gconstpointer  data)
{
  g_auto(Account) account = { 0 };

  account_init (fixture, &account, PHONE);

  for (guint i = 1; i <= 5; i++)
    {
      /* Either token of the owner will do. */
      g_autoptr(VigilTestReply) reply = post_event (fixture, i % 2 ? account.session_token : account.access,
                                                    account.session_id, "tap");

      vigil_test_assert_status (reply, 200);
      g_assert_cmpint (count_stored (fixture, account.session_id), ==, i);
      g_assert_cmpstr (vigil_test_reply_string (reply, "message"), ==, "Behavioral data logged successfully");
      g_assert_cmpstr (vigil_test_reply_string (reply, "session_id"), ==, account.session_id);
      g_assert_cmpstr (vigil_test_reply_string (reply, "event_type"), ==, "tap");
      g_assert_cmpint (int_member (reply, "events_received"), ==, 1);
      g_assert_cmpint (int_member (reply, "total_events"), ==, i);
      g_assert_cmpint (int_member (reply, "last_seq"), ==, i);
      g_assert_nonnull (vigil_test_reply_string (reply, "timestamp"));
    }

  /* The seed document's request. */
  {
    g_autofree char *body = g_strdup_printf ("{\n    \"session_id\": \"%s\",\n    \"event_type\": \"typing_pattern\",\n"
                                             "    \"data\": {\n        \"field\": \"amount\",\n"
                                             "        \"typing_speed\": 45,\n"
                                             "        \"keystroke_dynamics\": [0.1, 0.12, 0.08]\n    }\n}",
                                             account.session_id);
    g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/log/behavior-data",
                                                           account.session_token, body);

    vigil_test_assert_status (reply, 200);
    g_assert_cmpint (int_member (reply, "last_seq"), ==, 6);
    g_assert_cmpint (count_stored (fixture, account.session_id), ==, 6);
  }
}

static void
test_behavior_data_batch (Fixture       *fixture,
                          gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) batch = NULL;
  g_autoptr(VigilTestReply) more = NULL;
  g_autofree char *body = NULL;
  VigilDb *db;
  sqlite3_stmt *stmt;
  g_autoptr(GError) error = NULL;
  static const char * const expected[] = { "tap", "swipe", "scroll", "tap" };

  account_init (fixture, &account, PHONE);

  body = g_strdup_printf ("{\"session_id\":\"%s\",\"events\":["
                          "{\"event_type\":\"tap\",\"timestamp\":\"2026-01-01T00:00:01Z\",\"data\":{\"x\":1}},"
                          "{\"event_type\":\"swipe\",\"data\":[1,2,3]},"
                          "{\"event_type\":\"scroll\"}]}",
                          account.session_id);
  batch = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, body);
  vigil_test_assert_status (batch, 200);
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 3);
  g_assert_cmpint (int_member (batch, "events_received"), ==, 3);
  g_assert_cmpint (int_member (batch, "total_events"), ==, 3);
  g_assert_cmpint (int_member (batch, "last_seq"), ==, 3);
  g_assert_false (json_object_has_member (vigil_test_reply_object (batch), "event_type"));

  more = post_event (fixture, account.session_token, account.session_id, "tap");
  vigil_test_assert_status (more, 200);
  g_assert_cmpint (int_member (more, "last_seq"), ==, 4);

  /* Stored in the order sent, numbered from 1. */
  db = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
  stmt = vigil_db_prepare (db, "SELECT seq, event_type FROM events WHERE session_id = ? ORDER BY seq", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, account.session_id, -1, SQLITE_TRANSIENT);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, i + 1);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, expected[i]);
    }
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
}

static gint64
count_vectors (Fixture    *fixture,
               const char *user_id,
               const char *modality)
{
  VigilDb *db = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  gint64 count;

  stmt = vigil_db_prepare (db, "SELECT count(*) FROM profile_vectors WHERE user_id = ? AND modality = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, modality, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return count;
}

/* The events apps stream (the simulator's shapes) enroll the user's live
 * modalities through the real server: taps, swipes and scrolls, a
 * keystroke window, a navigation window on the map the server serves. A
 * mistyped field costs only its own reading; every event is stored. */
static void
test_behavior_data_live_enrollment (Fixture       *fixture,
                                    gconstpointer  data)
{
  static const char * const route[] = {
    "PAGE_ENTER_HOME", "TOUCH_TAB_SAVE", "SCROLL_DASHBOARD", "TOUCH_BALANCE_CARD", "PAGE_ENTER_ACCOUNT", "TOUCH_BACK",
  };
  g_auto(Account) account = { 0 };
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(GString) keys = g_string_new (NULL);
  g_autoptr(VigilTestReply) reply = NULL;
  guint second = 0, n = 0;

  g_assert_cmpuint (vigil_navigation_map_get_n_events (
                      vigil_profiles_get_event_flow_map (vigil_engine_get_profiles (fixture->engine))), ==, 119);
  account_init (fixture, &account, PHONE);
  g_string_append_printf (body, "{\"session_id\":\"%s\",\"events\":[", account.session_id);
  for (guint i = 0; i < 2 * G_N_ELEMENTS (route); i++)
    {
      const char *id = route[i % G_N_ELEMENTS (route)];

      g_string_append_printf (body, "%s{\"timestamp\":\"2026-01-01T00:00:%02uZ\",", n++ ? "," : "", second += 2);
      if (g_str_has_prefix (id, "PAGE_ENTER_"))
        g_string_append_printf (body, "\"event_type\":\"page_view\",\"data\":{\"event_id\":\"%s\",\"page_name\":\"%s\"}}",
                                id, id);
      else if (g_str_has_prefix (id, "SCROLL_"))
        g_string_append_printf (body, "\"event_type\":\"scroll\",\"data\":{\"event_id\":\"%s\",\"screen\":\"dashboard\","
                                "\"direction\":\"down\",\"distance\":600,\"velocity\":1500,\"duration\":400}}", id);
      else
        g_string_append_printf (body, "\"event_type\":\"button_click\",\"data\":{\"event_id\":\"%s\",\"button_id\":\"%s\","
                                "\"coordinates\":[120,300],\"pressure\":%s,\"size\":0.31,\"duration\":104.5}}",
                                id, id, i == 1 ? "\"hard\"" : "0.52");
    }
  g_string_append_printf (body, ",{\"event_type\":\"swipe\",\"timestamp\":\"2026-01-01T00:00:%02uZ\",\"data\":{"
                                "\"event_id\":\"TOUCH_BACK\",\"start_coordinates\":[320,400],\"end_coordinates\":[40,400],"
                                "\"direction\":\"left\",\"velocity\":1400,\"duration\":200,\"pressure\":0.5,"
                                "\"trajectory\":[{\"x\":320,\"y\":400,\"t\":0},{\"x\":200,\"y\":405,\"t\":90},"
                                "{\"x\":40,\"y\":400,\"t\":200}]}}", second += 2);
  for (guint k = 0; k < 20; k++)
    g_string_append_printf (keys, "%s{\"code\":\"Key%c\",\"downTime\":%" G_GINT64_FORMAT ",\"upTime\":%"
                            G_GINT64_FORMAT "}", k ? "," : "", 'A' + k, G_GINT64_CONSTANT (1767225700000) + 230 * k,
                            G_GINT64_CONSTANT (1767225700000) + 230 * k + 95);
  g_string_append_printf (body, ",{\"event_type\":\"typing_pattern\",\"timestamp\":\"2026-01-01T00:00:%02uZ\","
                                "\"data\":{\"field\":\"amount\",\"keyEvents\":[%s],\"typing_speed\":52}}]}",
                          second += 2, keys->str);

  reply = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, body->str);
  vigil_test_assert_status (reply, 200);
  vigil_test_api_wait_idle (fixture);
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  vigil_test_api_wait_idle (fixture);

  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 14);
  /* 6 taps but one with a pressure of "hard"; 2 scrolls and a swipe. */
  g_assert_cmpint (count_vectors (fixture, account.user_id, "touch"), ==, 5);
  g_assert_cmpint (count_vectors (fixture, account.user_id, "swipe"), ==, 3);
  g_assert_cmpint (count_vectors (fixture, account.user_id, "keystroke"), ==, 1);
  g_assert_cmpint (count_vectors (fixture, account.user_id, "navigation"), ==, 1);
  g_assert_cmpint (count_vectors (fixture, account.user_id, "typing"), ==, 0);
  {
    VigilDb *db = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
    g_autoptr(GError) error = NULL;
    gint64 transitions = 0;
    g_autofree char *sql = g_strdup_printf ("SELECT transitions FROM navigation_histories WHERE user_id = '%s'",
                                            account.user_id);

    g_assert_true (vigil_db_query_int (db, sql, &transitions, &error));
    g_assert_no_error (error);
    g_assert_cmpint (transitions, ==, 11);
  }
}

/* Refused batches leave nothing behind, not even their valid events. */
static void
test_behavior_data_invalid (Fixture       *fixture,
                            gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  struct { const char *body; const char *first; int index; } cases[] = {
    { "{\"session_id\":\"{id}\",\"events\":[{\"event_type\":\"tap\"},42]}", "events", 1 },
    { "{\"session_id\":\"{id}\",\"events\":[{\"event_type\":\"tap\"},{\"data\":{}}]}", "events", 1 },
    { "{\"session_id\":\"{id}\",\"events\":[{\"event_type\":\"\"}]}", "events", 0 },
    { "{\"session_id\":\"{id}\",\"events\":{\"event_type\":\"tap\"}}", "events", -1 },
    { "{\"session_id\":\"{id}\",\"events\":[]}", "events", -1 },
    { "{\"session_id\":\"{id}\",\"data\":{}}", "event_type", -1 },
    { "{\"session_id\":\"{id}\",\"event_type\":7}", "event_type", -1 },
  };
  g_autoptr(VigilTestReply) no_session = NULL;
  g_autoptr(VigilTestReply) array = NULL;
  g_autoptr(VigilTestReply) string = NULL;
  g_autoptr(VigilTestReply) malformed = NULL;

  account_init (fixture, &account, PHONE);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *body = fill (cases[i].body, account.session_id);
      g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/log/behavior-data",
                                                             account.session_token, body);

      g_test_message ("case %u: %s", i, body);
      assert_validation_error (reply, cases[i].first, cases[i].index);
    }

  no_session = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token,
                                    "{\"event_type\":\"tap\",\"data\":{}}");
  assert_validation_error (no_session, "session_id", -1);

  /* Not an object at all. */
  array = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, "[1, 2]");
  assert_validation_error (array, NULL, -1);
  string = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, "\"tap\"");
  assert_validation_error (string, NULL, -1);
  malformed = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, "{\"session_id\": ");
  vigil_test_assert_status (malformed, 400);

  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 0);
}

static char *
batch_body (const char *session_id,
            guint       n_events)
{
  GString *body = g_string_new (NULL);

  g_string_append_printf (body, "{\"session_id\":\"%s\",\"events\":[", session_id);
  for (guint i = 0; i < n_events; i++)
    g_string_append_printf (body, "%s{\"event_type\":\"tap\",\"data\":{\"i\":%u}}", i > 0 ? "," : "", i);
  g_string_append (body, "]}");
  return g_string_free (body, FALSE);
}

static void
test_batch_limit (Fixture       *fixture,
                  gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autofree char *too_many = NULL;
  g_autofree char *most = NULL;
  g_autoptr(VigilTestReply) refused = NULL;
  g_autoptr(VigilTestReply) accepted = NULL;

  account_init (fixture, &account, PHONE);

  too_many = batch_body (account.session_id, 1001);
  g_assert_cmpuint (strlen (too_many), <, VIGIL_API_MAX_BODY_BYTES);
  refused = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, too_many);
  vigil_test_assert_status (refused, 413);
  g_assert_cmpstr (vigil_test_reply_string (refused, "error"), ==, "payload_too_large");
  g_assert_nonnull (strstr (vigil_test_reply_string (refused, "detail"), "1000"));
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 0);
  g_assert_cmpuint (vigil_session_get_event_count (vigil_sessions_lookup (sessions_of (fixture), account.session_id)),
                    ==, 0);

  most = batch_body (account.session_id, 1000);
  accepted = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, most);
  vigil_test_assert_status (accepted, 200);
  g_assert_cmpint (int_member (accepted, "events_received"), ==, 1000);
  g_assert_cmpint (int_member (accepted, "last_seq"), ==, 1000);
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 1000);
}

static char *
padded_event (const char *session_id,
              gsize       size)
{
  g_autofree char *head = g_strdup_printf ("{\"session_id\":\"%s\",\"event_type\":\"tap\",\"data\":{\"pad\":\"",
                                           session_id);
  GString *body = g_string_new (head);

  while (body->len + 3 < size)
    g_string_append_c (body, 'x');
  g_string_append (body, "\"}}");
  return g_string_free (body, FALSE);
}

/* Over the HTTP body limit (64 KiB): refused before it is read. */
static void
test_oversize_body (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autofree char *large = NULL;
  g_autoptr(VigilTestReply) refused = NULL;
  g_autoptr(VigilTestReply) after = NULL;

  account_init (fixture, &account, PHONE);

  large = padded_event (account.session_id, VIGIL_API_MAX_BODY_BYTES + 100);
  refused = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, large);
  vigil_test_assert_status (refused, 413);
  g_assert_cmpstr (vigil_test_reply_string (refused, "error"), ==, "payload_too_large");
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 0);

  after = post_event (fixture, account.session_token, account.session_id, "tap");
  vigil_test_assert_status (after, 200);
}

/* Over the engine's message limit, here lowered to 4 KiB. */
static void
test_oversize_message (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autofree char *large = NULL;
  g_autofree char *fits = NULL;
  g_autoptr(VigilTestReply) refused = NULL;
  g_autoptr(VigilTestReply) accepted = NULL;

  account_init (fixture, &account, PHONE);
  g_assert_cmpuint (vigil_sessions_get_max_message_bytes (sessions_of (fixture)), ==, 4096);

  large = padded_event (account.session_id, 5000);
  refused = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, large);
  vigil_test_assert_status (refused, 413);
  g_assert_cmpstr (vigil_test_reply_string (refused, "error"), ==, "payload_too_large");
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 0);

  fits = padded_event (account.session_id, 4000);
  accepted = vigil_test_api_post (fixture, "/api/v1/log/behavior-data", account.session_token, fits);
  vigil_test_assert_status (accepted, 200);
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 1);
}

typedef struct
{
  const char *method;
  const char *path;   /* {id}: the session id */
  const char *body;   /* likewise */
} Route;

static const Route session_routes[] = {
  { "POST", "/api/v1/log/behavior-data", "{\"session_id\":\"{id}\",\"event_type\":\"tap\",\"data\":{}}" },
  { "POST", "/api/v1/log/end-session", "{\"session_id\":\"{id}\",\"final_decision\":\"normal\"}" },
  { "GET", "/api/v1/log/session/{id}/status", NULL },
  { "GET", "/api/v1/log/session/{id}/logs", NULL },
  { "POST", "/api/v1/log/app-close", "{\"session_id\":\"{id}\"}" },
  { "POST", "/api/v1/log/app-state", "{\"session_id\":\"{id}\",\"state\":\"background\"}" },
  { "POST", "/api/v1/ws/sessions/{id}/lifecycle", "{\"event_type\":\"app_background\",\"details\":{}}" },
};

static VigilTestReply *
request_route (Fixture     *fixture,
               const Route *route,
               const char  *bearer,
               const char  *session_id)
{
  g_autofree char *path = fill (route->path, session_id);
  g_autofree char *body = route->body ? fill (route->body, session_id) : NULL;

  return vigil_test_api_request (fixture, route->method, path, bearer, body);
}

/* FastAPI's HTTPBearer: no credentials 403, bad credentials 401. */
static void
test_bearer_required (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) start_missing = NULL;
  g_autoptr(VigilTestReply) start_garbage = NULL;
  g_autofree char *refresh = NULL;

  account_init (fixture, &account, PHONE);
  {
    g_autoptr(VigilTestReply) logged_in = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                                               "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\","
                                                               "\"device_id\":\"d\"}");

    refresh = g_strdup (vigil_test_reply_string (logged_in, "refresh_token"));
  }

  for (guint i = 0; i < G_N_ELEMENTS (session_routes); i++)
    {
      g_autoptr(VigilTestReply) missing = request_route (fixture, &session_routes[i], NULL, account.session_id);
      g_autoptr(VigilTestReply) garbage = request_route (fixture, &session_routes[i], "not.a.token", account.session_id);
      g_autoptr(VigilTestReply) refresh_as_bearer = request_route (fixture, &session_routes[i], refresh,
                                                                   account.session_id);

      g_test_message ("%s %s", session_routes[i].method, session_routes[i].path);
      vigil_test_assert_status (missing, 403);
      assert_detail (missing, "Not authenticated");
      vigil_test_assert_status (garbage, 401);
      assert_detail (garbage, "Could not validate credentials");
      g_assert_cmpstr (vigil_test_reply_header (garbage, "WWW-Authenticate"), ==, "Bearer");
      vigil_test_assert_status (refresh_as_bearer, 401);
    }

  start_missing = vigil_test_api_post (fixture, "/api/v1/log/start-session", NULL,
                                       "{\"phone\":\"" PHONE "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (start_missing, 403);
  start_garbage = vigil_test_api_post (fixture, "/api/v1/log/start-session", "x.y.z",
                                       "{\"phone\":\"" PHONE "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (start_garbage, 401);

  /* Nothing reached the session. */
  g_assert_nonnull (vigil_sessions_lookup (sessions_of (fixture), account.session_id));
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 0);
}

static void
test_unknown_session (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  const char *unknown = "0badc0de-0000-4000-8000-000000000000";

  account_init (fixture, &account, PHONE);

  for (guint i = 0; i < G_N_ELEMENTS (session_routes); i++)
    {
      g_autoptr(VigilTestReply) reply = request_route (fixture, &session_routes[i], account.access, unknown);

      g_test_message ("%s %s", session_routes[i].method, session_routes[i].path);
      vigil_test_assert_status (reply, 404);
      assert_detail (reply, "Session not found");
    }
}

/* Another account's token, and one session's token on another session. */
static void
test_foreign_session (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(Account) alice = { 0 };
  g_auto(Account) bob = { 0 };

  account_init (fixture, &alice, PHONE);
  account_init (fixture, &bob, OTHER_PHONE);

  for (guint i = 0; i < G_N_ELEMENTS (session_routes); i++)
    {
      g_autoptr(VigilTestReply) by_access = request_route (fixture, &session_routes[i], bob.access, alice.session_id);
      g_autoptr(VigilTestReply) by_token = request_route (fixture, &session_routes[i], bob.session_token,
                                                          alice.session_id);

      g_test_message ("%s %s", session_routes[i].method, session_routes[i].path);
      vigil_test_assert_status (by_access, 403);
      assert_detail (by_access, "Not authorized for this session");
      vigil_test_assert_status (by_token, 403);
      assert_detail (by_token, "Session ID mismatch");
    }

  /* Alice's own session token is for her verify-mpin session only. */
  {
    g_autofree char *second = start_session (fixture, &alice, PHONE);
    g_autoptr(VigilTestReply) mismatch = post_event (fixture, alice.session_token, second, "tap");
    g_autoptr(VigilTestReply) own = post_event (fixture, alice.access, second, "tap");

    vigil_test_assert_status (mismatch, 403);
    assert_detail (mismatch, "Session ID mismatch");
    vigil_test_assert_status (own, 200);
  }

  /* An open-stream session claiming Alice is still nobody's. */
  {
    g_autoptr(GError) error = NULL;
    VigilSession *stream = vigil_sessions_ensure_stream (sessions_of (fixture), NULL, alice.user_id, &error);
    g_autoptr(VigilTestReply) status = NULL;
    g_autoptr(VigilTestReply) event = NULL;

    g_assert_no_error (error);
    status = get_status (fixture, alice.access, vigil_session_get_id (stream));
    vigil_test_assert_status (status, 403);
    event = post_event (fixture, alice.access, vigil_session_get_id (stream), "tap");
    vigil_test_assert_status (event, 403);
    g_assert_cmpint (count_stored (fixture, vigil_session_get_id (stream)), ==, 0);
  }

  g_assert_cmpint (count_stored (fixture, alice.session_id), ==, 0);
  g_assert_nonnull (vigil_sessions_lookup (sessions_of (fixture), alice.session_id));
  g_assert_false (vigil_session_get_backgrounded (vigil_sessions_lookup (sessions_of (fixture), alice.session_id)));
}

/* end-session, then everything that would change the session: 409. */
static void
test_ended_session (Fixture       *fixture,
                    gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) ended = NULL;
  g_autoptr(VigilTestReply) again = NULL;
  g_autoptr(VigilTestReply) status = NULL;
  g_autoptr(VigilTestReply) revoked = NULL;
  g_autofree char *path = NULL;

  account_init (fixture, &account, PHONE);
  {
    g_autoptr(VigilTestReply) event = post_event (fixture, account.session_token, account.session_id, "tap");

    vigil_test_assert_status (event, 200);
  }

  ended = end_session (fixture, account.session_token, account.session_id);
  vigil_test_assert_status (ended, 200);
  path = g_strdup (vigil_test_reply_string (ended, "file_path"));

  for (guint i = 0; i < G_N_ELEMENTS (session_routes); i++)
    {
      g_autoptr(VigilTestReply) reply = NULL;

      if (session_routes[i].method[0] == 'G' || strstr (session_routes[i].path, "end-session"))
        continue;
      reply = request_route (fixture, &session_routes[i], account.access, account.session_id);
      g_test_message ("%s %s", session_routes[i].method, session_routes[i].path);
      vigil_test_assert_status (reply, 409);
      assert_detail (reply, "Session has ended");
    }
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 1);

  /* Ending again is harmless and answers the same log. */
  again = end_session (fixture, account.access, account.session_id);
  vigil_test_assert_status (again, 200);
  g_assert_cmpstr (vigil_test_reply_string (again, "file_path"), ==, path);
  g_assert_cmpstr (vigil_test_reply_string (again, "final_decision"), ==, "normal");

  status = get_status (fixture, account.access, account.session_id);
  vigil_test_assert_status (status, 200);
  g_assert_false (bool_member (status, "is_active"));
  g_assert_cmpstr (vigil_test_reply_string (status, "state"), ==, "ended");
  g_assert_cmpstr (vigil_test_reply_string (status, "end_reason"), ==, "completed");
  g_assert_cmpstr (vigil_test_reply_string (status, "final_decision"), ==, "normal");
  g_assert_cmpstr (vigil_test_reply_string (status, "file_path"), ==, path);

  /* The session token still reads its ended session, as the seed's
   * clients do after end-session; writing stays refused above. */
  revoked = get_status (fixture, account.session_token, account.session_id);
  vigil_test_assert_status (revoked, 200);
  g_assert_cmpstr (vigil_test_reply_string (revoked, "state"), ==, "ended");
}

static void
test_blocked_session (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(VigilTestReply) status = NULL;
  g_autoptr(VigilTestReply) logs = NULL;
  g_autoptr(GError) error = NULL;

  account_init (fixture, &account, PHONE);
  {
    g_autoptr(VigilTestReply) event = post_event (fixture, account.session_token, account.session_id, "tap");

    vigil_test_assert_status (event, 200);
  }

  g_assert_true (vigil_sessions_block (sessions_of (fixture), account.session_id, "test", &error));
  g_assert_no_error (error);
  info = wait_closed (fixture, account.session_id);
  g_assert_cmpstr (info->state, ==, "blocked");

  for (guint i = 0; i < G_N_ELEMENTS (session_routes); i++)
    {
      g_autoptr(VigilTestReply) reply = NULL;

      if (session_routes[i].method[0] == 'G')
        continue;
      reply = request_route (fixture, &session_routes[i], account.access, account.session_id);
      g_test_message ("%s %s", session_routes[i].method, session_routes[i].path);
      vigil_test_assert_status (reply, 403);
      assert_detail (reply, "Session is blocked");
    }
  g_assert_cmpint (count_stored (fixture, account.session_id), ==, 1);

  /* Still readable by its owner. */
  status = get_status (fixture, account.access, account.session_id);
  vigil_test_assert_status (status, 200);
  g_assert_false (bool_member (status, "is_active"));
  g_assert_true (bool_member (status, "is_blocked"));
  g_assert_cmpstr (vigil_test_reply_string (status, "state"), ==, "blocked");
  g_assert_cmpstr (vigil_test_reply_string (status, "end_reason"), ==, "blocked");
  g_assert_cmpint (json_object_get_int_member (member_object (status, "behavioral_data_summary"), "total_events"),
                   ==, 1);
  logs = get_logs (fixture, account.access, account.session_id);
  vigil_test_assert_status (logs, 200);
}

static void
assert_status_state (Fixture    *fixture,
                     const char *bearer,
                     const char *session_id,
                     const char *state,
                     const char *end_reason)
{
  g_autoptr(VigilTestReply) status = get_status (fixture, bearer, session_id);

  vigil_test_assert_status (status, 200);
  g_assert_cmpstr (vigil_test_reply_string (status, "state"), ==, state);
  g_assert_cmpstr (vigil_test_reply_string (status, "end_reason"), ==, end_reason);
  g_assert_true (bool_member (status, "is_active") == (g_strcmp0 (state, "active") == 0));
}

static void
test_lifecycle_background_foreground (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) background = NULL;
  g_autoptr(VigilTestReply) foreground = NULL;
  g_autoptr(VigilTestReply) event = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  VigilSession *session;

  account_init (fixture, &account, PHONE);
  session = vigil_sessions_lookup (sessions_of (fixture), account.session_id);

  background = lifecycle (fixture, account.session_token, account.session_id, "app_background");
  vigil_test_assert_status (background, 200);
  g_assert_cmpstr (vigil_test_reply_string (background, "session_id"), ==, account.session_id);
  g_assert_false (bool_member (background, "session_terminated"));
  g_assert_nonnull (vigil_test_reply_string (background, "message"));
  g_assert_nonnull (vigil_test_reply_string (background, "timestamp"));
  g_assert_true (vigil_session_get_backgrounded (session));
  assert_status_state (fixture, account.session_token, account.session_id, "active", NULL);

  foreground = lifecycle (fixture, account.session_token, account.session_id, "app_foreground");
  vigil_test_assert_status (foreground, 200);
  g_assert_false (bool_member (foreground, "session_terminated"));
  g_assert_false (vigil_session_get_backgrounded (session));

  event = post_event (fixture, account.session_token, account.session_id, "tap");
  vigil_test_assert_status (event, 200);

  unknown = lifecycle (fixture, account.session_token, account.session_id, "app_sideways");
  assert_validation_error (unknown, "event_type", -1);
  missing = vigil_test_api_post (fixture, "/api/v1/ws/sessions/x/lifecycle", account.access, "{\"details\":{}}");
  assert_validation_error (missing, "event_type", -1);
  g_assert_true (vigil_sessions_lookup (sessions_of (fixture), account.session_id) == session);
}

/* app_close, user_logout and force_close each end the session, by name. */
static void
test_lifecycle_ends (Fixture       *fixture,
                     gconstpointer  data)
{
  static const char * const events[] = { "app_close", "user_logout", "force_close" };
  g_auto(Account) account = { 0 };

  account_init (fixture, &account, PHONE);

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autofree char *session_id = i == 0 ? g_strdup (account.session_id) : start_session (fixture, &account, PHONE);
      /* The seed's clients send the session token; any owner's token works. */
      const char *bearer = i == 0 ? account.session_token : account.access;
      g_autoptr(VigilTestReply) reply = NULL;
      g_autoptr(VigilSessionInfo) info = NULL;

      reply = lifecycle (fixture, bearer, session_id, events[i]);
      vigil_test_assert_status (reply, 200);
      g_assert_true (bool_member (reply, "session_terminated"));
      g_assert_null (vigil_sessions_lookup (sessions_of (fixture), session_id));

      info = wait_closed (fixture, session_id);
      g_assert_cmpstr (info->end_reason, ==, events[i]);
      assert_status_state (fixture, account.access, session_id, "ended", events[i]);
    }
}

static void
test_app_state (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) background = NULL;
  g_autoptr(VigilTestReply) foreground = NULL;
  g_autoptr(VigilTestReply) sideways = NULL;
  g_autoptr(VigilTestReply) closed = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autofree char *body = NULL;
  VigilSession *session;

  account_init (fixture, &account, PHONE);
  session = vigil_sessions_lookup (sessions_of (fixture), account.session_id);

  body = g_strdup_printf ("{\"session_id\":\"%s\",\"state\":\"background\",\"details\":{\"screen\":\"home\"}}",
                          account.session_id);
  background = vigil_test_api_post (fixture, "/api/v1/log/app-state", account.session_token, body);
  vigil_test_assert_status (background, 200);
  g_assert_cmpstr (vigil_test_reply_string (background, "message"), ==, "App state changed to background");
  g_assert_cmpstr (vigil_test_reply_string (background, "state"), ==, "background");
  g_assert_false (bool_member (background, "session_terminated"));
  g_assert_true (vigil_session_get_backgrounded (session));

  g_free (body);
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"state\":\"foreground\"}", account.session_id);
  foreground = vigil_test_api_post (fixture, "/api/v1/log/app-state", account.session_token, body);
  vigil_test_assert_status (foreground, 200);
  g_assert_false (vigil_session_get_backgrounded (session));

  g_free (body);
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"state\":\"sideways\"}", account.session_id);
  sideways = vigil_test_api_post (fixture, "/api/v1/log/app-state", account.session_token, body);
  assert_validation_error (sideways, "state", -1);

  g_free (body);
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"state\":\"closed\"}", account.session_id);
  closed = vigil_test_api_post (fixture, "/api/v1/log/app-state", account.session_token, body);
  vigil_test_assert_status (closed, 200);
  g_assert_true (bool_member (closed, "session_terminated"));
  info = wait_closed (fixture, account.session_id);
  g_assert_cmpstr (info->end_reason, ==, "app_close");
}

/* The seed's app-close reads the session token from the body. */
static void
test_app_close (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) closed = NULL;
  g_autoptr(VigilTestReply) no_token = NULL;
  g_autoptr(VigilTestReply) bad_token = NULL;
  g_autoptr(VigilTestReply) logout = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(VigilSessionInfo) second_info = NULL;
  g_autofree char *body = NULL;
  g_autofree char *second = NULL;

  account_init (fixture, &account, PHONE);

  body = g_strdup_printf ("{\"session_id\":\"%s\"}", account.session_id);
  no_token = vigil_test_api_post (fixture, "/api/v1/log/app-close", NULL, body);
  vigil_test_assert_status (no_token, 403);
  assert_detail (no_token, "Not authenticated");
  g_free (body);
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"session_token\":\"forged\"}", account.session_id);
  bad_token = vigil_test_api_post (fixture, "/api/v1/log/app-close", NULL, body);
  vigil_test_assert_status (bad_token, 401);
  g_assert_nonnull (vigil_sessions_lookup (sessions_of (fixture), account.session_id));

  g_free (body);
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"session_token\":\"%s\"}", account.session_id, account.session_token);
  closed = vigil_test_api_post (fixture, "/api/v1/log/app-close", NULL, body);
  vigil_test_assert_status (closed, 200);
  g_assert_cmpstr (vigil_test_reply_string (closed, "message"), ==, "App closure handled successfully");
  g_assert_cmpstr (vigil_test_reply_string (closed, "reason"), ==, "app_closed");
  g_assert_true (bool_member (closed, "behavioral_data_saved"));
  g_assert_true (bool_member (closed, "session_terminated"));
  info = wait_closed (fixture, account.session_id);
  g_assert_cmpstr (info->end_reason, ==, "app_close");

  /* A lifecycle event as the reason ends the session with its name. */
  second = start_session (fixture, &account, PHONE);
  g_free (body);
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"reason\":\"user_logout\"}", second);
  logout = vigil_test_api_post (fixture, "/api/v1/log/app-close", account.access, body);
  vigil_test_assert_status (logout, 200);
  second_info = wait_closed (fixture, second);
  g_assert_cmpstr (second_info->end_reason, ==, "user_logout");
}

static const char *
log_entry_string (JsonArray  *logs,
                  guint       index,
                  const char *member)
{
  return json_object_get_string_member (json_array_get_object_element (logs, index), member);
}

/* After end-session the JSON log is on disk, whole and in order, and
 * /logs answers it. */
static void
test_end_session_log (Fixture       *fixture,
                      gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) ended = NULL;
  g_autoptr(VigilTestReply) logs = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *batch = NULL;
  g_autofree char *body = NULL;
  g_autofree char *expected_path = NULL;
  JsonObject *file, *served;
  JsonArray *entries;
  const char *path;

  account_init (fixture, &account, PHONE);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *event = g_strdup_printf ("{\"session_id\":\"%s\",\"event_type\":\"button_click\","
                                                "\"timestamp\":\"2026-01-01T00:00:0%uZ\","
                                                "\"data\":{\"button_id\":\"transfer_btn\",\"coordinates\":[150,200],"
                                                "\"n\":%u}}",
                                                account.session_id, i, i);
      g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/log/behavior-data",
                                                             account.session_token, event);

      vigil_test_assert_status (reply, 200);
    }
  batch = batch_body (account.session_id, 5);
  {
    g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/log/behavior-data",
                                                           account.session_token, batch);

    vigil_test_assert_status (reply, 200);
  }

  /* The seed's client: the token both as bearer and in the body. */
  body = g_strdup_printf ("{\"session_id\":\"%s\",\"final_decision\":\"transaction_completed\","
                          "\"session_token\":\"%s\"}", account.session_id, account.session_token);
  ended = vigil_test_api_post (fixture, "/api/v1/log/end-session", account.session_token, body);
  vigil_test_assert_status (ended, 200);
  g_assert_cmpstr (vigil_test_reply_string (ended, "message"), ==, "Session ended successfully");
  g_assert_cmpstr (vigil_test_reply_string (ended, "session_id"), ==, account.session_id);
  g_assert_cmpstr (vigil_test_reply_string (ended, "final_decision"), ==, "transaction_completed");
  g_assert_true (bool_member (ended, "behavioral_data_saved"));
  g_assert_nonnull (vigil_test_reply_string (ended, "timestamp"));

  path = vigil_test_reply_string (ended, "file_path");
  expected_path = expected_log_path (fixture, account.user_id, account.session_id);
  g_assert_cmpstr (path, ==, expected_path);
  /* On disk by the time the client hears of it. */
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_null (vigil_sessions_lookup (sessions_of (fixture), account.session_id));

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  file = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (file, "user_id"), ==, account.user_id);
  g_assert_cmpstr (json_object_get_string_member (file, "session_id"), ==, account.session_id);
  g_assert_nonnull (json_object_get_string_member (file, "uploaded_at"));
  g_assert_cmpint (json_object_get_int_member (file, "total_events"), ==, 8);
  entries = json_object_get_array_member (file, "logs");
  g_assert_cmpuint (json_array_get_length (entries), ==, 8);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *entry_data = json_object_get_object_member (json_array_get_object_element (entries, i), "data");
      g_autofree char *timestamp = g_strdup_printf ("2026-01-01T00:00:0%uZ", i);

      g_assert_cmpstr (log_entry_string (entries, i, "event_type"), ==, "button_click");
      g_assert_cmpstr (log_entry_string (entries, i, "timestamp"), ==, timestamp);
      g_assert_cmpint (json_object_get_int_member (entry_data, "n"), ==, i);
      g_assert_cmpstr (json_object_get_string_member (entry_data, "button_id"), ==, "transfer_btn");
    }
  for (guint i = 3; i < 8; i++)
    {
      JsonObject *entry_data = json_object_get_object_member (json_array_get_object_element (entries, i), "data");

      g_assert_cmpstr (log_entry_string (entries, i, "event_type"), ==, "tap");
      /* No client timestamp: the server's receive time. */
      g_assert_true (g_str_has_prefix (log_entry_string (entries, i, "timestamp"), "2026-01-01T00:00:00"));
      g_assert_cmpint (json_object_get_int_member (entry_data, "i"), ==, i - 3);
    }

  logs = get_logs (fixture, account.access, account.session_id);
  vigil_test_assert_status (logs, 200);
  g_assert_cmpstr (vigil_test_reply_string (logs, "file_path"), ==, path);
  g_assert_cmpstr (vigil_test_reply_string (logs, "session_id"), ==, account.session_id);
  served = member_object (logs, "logs");
  g_assert_true (json_node_equal (json_parser_get_root (parser),
                                  json_object_get_member (vigil_test_reply_object (logs), "logs")));
  g_assert_cmpint (json_object_get_int_member (served, "total_events"), ==, 8);
}

/* The seed's end-session reads the session token from the body only;
 * final_decision defaults to "normal". */
static void
test_end_session_body_token (Fixture       *fixture,
                             gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) ended = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autofree char *body = NULL;

  account_init (fixture, &account, PHONE);

  missing = vigil_test_api_post (fixture, "/api/v1/log/end-session", account.session_token, "{}");
  assert_validation_error (missing, "session_id", -1);

  body = g_strdup_printf ("{\"session_id\":\"%s\",\"session_token\":\"%s\"}", account.session_id, account.session_token);
  ended = vigil_test_api_post (fixture, "/api/v1/log/end-session", NULL, body);
  vigil_test_assert_status (ended, 200);
  g_assert_cmpstr (vigil_test_reply_string (ended, "final_decision"), ==, "normal");
  g_assert_true (g_file_test (vigil_test_reply_string (ended, "file_path"), G_FILE_TEST_IS_REGULAR));
}

static void
test_status (Fixture       *fixture,
             gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) empty = NULL;
  g_autoptr(VigilTestReply) status = NULL;
  g_autoptr(VigilTestReply) ended_status = NULL;
  g_autoptr(VigilTestReply) ended = NULL;
  g_autofree char *body = NULL;
  JsonObject *summary, *types;

  account_init (fixture, &account, PHONE);

  empty = get_status (fixture, account.session_token, account.session_id);
  vigil_test_assert_status (empty, 200);
  g_assert_cmpstr (vigil_test_reply_string (empty, "session_id"), ==, account.session_id);
  g_assert_cmpstr (vigil_test_reply_string (empty, "user_id"), ==, account.user_id);
  g_assert_true (bool_member (empty, "is_active"));
  g_assert_false (bool_member (empty, "is_blocked"));
  g_assert_cmpstr (vigil_test_reply_string (empty, "state"), ==, "active");
  g_assert_cmpfloat (json_object_get_double_member (vigil_test_reply_object (empty), "risk_score"), >=, 0.0);
  summary = member_object (empty, "behavioral_data_summary");
  g_assert_cmpint (json_object_get_int_member (summary, "total_events"), ==, 0);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (summary, "event_types")), ==, 0);
  g_assert_true (json_object_get_null_member (summary, "last_event"));

  body = g_strdup_printf ("{\"session_id\":\"%s\",\"events\":[{\"event_type\":\"tap\"},{\"event_type\":\"swipe\"},"
                          "{\"event_type\":\"tap\",\"timestamp\":\"2026-01-01T09:00:00Z\"}]}", account.session_id);
  {
    g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/log/behavior-data",
                                                           account.session_token, body);

    vigil_test_assert_status (reply, 200);
  }

  status = get_status (fixture, account.session_token, account.session_id);
  vigil_test_assert_status (status, 200);
  summary = member_object (status, "behavioral_data_summary");
  g_assert_cmpint (json_object_get_int_member (summary, "total_events"), ==, 3);
  types = json_object_get_object_member (summary, "event_types");
  g_assert_cmpuint (json_object_get_size (types), ==, 2);
  g_assert_cmpint (json_object_get_int_member (types, "tap"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (types, "swipe"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (summary, "last_event"), ==, "2026-01-01T09:00:00Z");

  /* The same summary once the session is over, from its log. */
  ended = end_session (fixture, account.session_token, account.session_id);
  vigil_test_assert_status (ended, 200);
  ended_status = get_status (fixture, account.access, account.session_id);
  vigil_test_assert_status (ended_status, 200);
  g_assert_false (bool_member (ended_status, "is_active"));
  summary = member_object (ended_status, "behavioral_data_summary");
  g_assert_cmpint (json_object_get_int_member (summary, "total_events"), ==, 3);
  types = json_object_get_object_member (summary, "event_types");
  g_assert_cmpint (json_object_get_int_member (types, "tap"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (types, "swipe"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (summary, "last_event"), ==, "2026-01-01T09:00:00Z");
}

/* While open, /logs builds the log from the store and has no file. */
static void
test_logs_open (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) logs = NULL;
  JsonObject *log;

  account_init (fixture, &account, PHONE);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(VigilTestReply) reply = post_event (fixture, account.session_token, account.session_id, "tap");

      vigil_test_assert_status (reply, 200);
    }

  logs = get_logs (fixture, account.session_token, account.session_id);
  vigil_test_assert_status (logs, 200);
  g_assert_true (json_object_get_null_member (vigil_test_reply_object (logs), "file_path"));
  log = member_object (logs, "logs");
  g_assert_cmpstr (json_object_get_string_member (log, "user_id"), ==, account.user_id);
  g_assert_cmpstr (json_object_get_string_member (log, "session_id"), ==, account.session_id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (log, "logs")), ==, 2);
}

/* 60 minutes without activity end a session with "idle_timeout". */
static void
test_idle_expiry (Fixture       *fixture,
                  gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *access = NULL;

  account_init (fixture, &account, PHONE);
  kept = start_session (fixture, &account, PHONE);
  {
    g_autoptr(VigilTestReply) reply = post_event (fixture, account.session_token, account.session_id, "tap");

    vigil_test_assert_status (reply, 200);
  }

  vigil_clock_advance (fixture->clock, (gint64) 59 * 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (vigil_sessions_expire_idle (sessions_of (fixture)), ==, 0);
  {
    /* Activity on the second keeps it open; the access token expired. */
    g_autofree char *fresh = login (fixture, PHONE);
    g_autoptr(VigilTestReply) reply = post_event (fixture, fresh, kept, "tap");

    vigil_test_assert_status (reply, 200);
  }

  vigil_clock_advance (fixture->clock, (gint64) 2 * 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (vigil_sessions_expire_idle (sessions_of (fixture)), ==, 1);
  g_assert_null (vigil_sessions_lookup (sessions_of (fixture), account.session_id));
  g_assert_nonnull (vigil_sessions_lookup (sessions_of (fixture), kept));
  info = wait_closed (fixture, account.session_id);
  g_assert_cmpstr (info->end_reason, ==, "idle_timeout");

  access = login (fixture, PHONE);
  assert_status_state (fixture, access, account.session_id, "ended", "idle_timeout");
  assert_status_state (fixture, access, kept, "active", NULL);
  {
    g_autoptr(VigilTestReply) late = post_event (fixture, access, account.session_id, "tap");

    vigil_test_assert_status (late, 409);
  }
}

static void
test_routing (Fixture       *fixture,
              gconstpointer  data)
{
  g_auto(Account) account = { 0 };
  g_autoptr(VigilTestReply) wrong_method = NULL;
  g_autoptr(VigilTestReply) post_status = NULL;
  g_autoptr(VigilTestReply) no_action = NULL;
  g_autoptr(VigilTestReply) other_action = NULL;
  g_autoptr(VigilTestReply) empty_id = NULL;
  g_autoptr(VigilTestReply) extra = NULL;
  g_autoptr(VigilTestReply) escaped = NULL;
  g_autoptr(VigilTestReply) no_lifecycle = NULL;
  g_autofree char *path = NULL;

  account_init (fixture, &account, PHONE);

  wrong_method = vigil_test_api_get (fixture, "/api/v1/log/behavior-data", account.access);
  vigil_test_assert_status (wrong_method, 405);
  g_assert_cmpstr (vigil_test_reply_header (wrong_method, "Allow"), ==, "POST");

  path = g_strdup_printf ("/api/v1/log/session/%s/status", account.session_id);
  post_status = vigil_test_api_post (fixture, path, account.access, "{}");
  vigil_test_assert_status (post_status, 405);
  g_assert_cmpstr (vigil_test_reply_header (post_status, "Allow"), ==, "GET, HEAD");

  no_action = vigil_test_api_get (fixture, "/api/v1/log/session/abc", account.access);
  vigil_test_assert_status (no_action, 404);
  other_action = vigil_test_api_get (fixture, "/api/v1/log/session/abc/other", account.access);
  vigil_test_assert_status (other_action, 404);
  empty_id = vigil_test_api_get (fixture, "/api/v1/log/session//status", account.access);
  vigil_test_assert_status (empty_id, 404);
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/v1/log/session/%s/status/extra", account.session_id);
  extra = vigil_test_api_get (fixture, path, account.access);
  vigil_test_assert_status (extra, 404);
  no_lifecycle = vigil_test_api_post (fixture, "/api/v1/ws/sessions/abc", account.access, "{}");
  vigil_test_assert_status (no_lifecycle, 404);

  /* The id is percent-decoded: an escaped dash is the same session. */
  g_clear_pointer (&path, g_free);
  {
    g_autofree char *escaped_id = g_strdup (account.session_id);
    GString *encoded = g_string_new ("/api/v1/log/session/");

    for (const char *c = escaped_id; *c != '\0'; c++)
      {
        if (*c == '-')
          g_string_append (encoded, "%2D");
        else
          g_string_append_c (encoded, *c);
      }
    g_string_append (encoded, "/status");
    path = g_string_free (encoded, FALSE);
  }
  escaped = vigil_test_api_get (fixture, path, account.session_token);
  vigil_test_assert_status (escaped, 200);
  g_assert_cmpstr (vigil_test_reply_string (escaped, "session_id"), ==, account.session_id);
}

int
main (int   argc,
      char *argv[])
{
  static VigilEngineOptions small;

  g_test_init (&argc, &argv, NULL);

  vigil_test_api_options_init (&small);
  small.max_message_bytes = 4096;

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/log/start-session", test_start_session);
  ADD ("/api/log/behavior-data/single", test_behavior_data_single);
  ADD ("/api/log/behavior-data/batch", test_behavior_data_batch);
  ADD ("/api/log/behavior-data/invalid", test_behavior_data_invalid);
  ADD ("/api/log/behavior-data/live-enrollment", test_behavior_data_live_enrollment);
  ADD ("/api/log/behavior-data/batch-limit", test_batch_limit);
  ADD ("/api/log/behavior-data/oversize-body", test_oversize_body);
  ADD ("/api/log/bearer/required", test_bearer_required);
  ADD ("/api/log/session/unknown", test_unknown_session);
  ADD ("/api/log/session/foreign", test_foreign_session);
  ADD ("/api/log/session/ended", test_ended_session);
  ADD ("/api/log/session/blocked", test_blocked_session);
  ADD ("/api/log/lifecycle/background-foreground", test_lifecycle_background_foreground);
  ADD ("/api/log/lifecycle/ends", test_lifecycle_ends);
  ADD ("/api/log/app-state", test_app_state);
  ADD ("/api/log/app-close", test_app_close);
  ADD ("/api/log/end-session/log-file", test_end_session_log);
  ADD ("/api/log/end-session/body-token", test_end_session_body_token);
  ADD ("/api/log/status", test_status);
  ADD ("/api/log/logs/open", test_logs_open);
  ADD ("/api/log/idle-expiry", test_idle_expiry);
  ADD ("/api/log/routing", test_routing);
#undef ADD
  g_test_add ("/api/log/behavior-data/oversize-message", Fixture, &small, fixture_set_up,
              test_oversize_message, fixture_tear_down);

  return g_test_run ();
}
