/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The walmart account routes over real HTTP: signup, login, the admin
 * check and the admin's lists, with Flask's {"message": ...} errors, and
 * an audit chain that notices a row altered behind its back. */
#include "config.h"

#include <string.h>

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define EMAIL          "ann@example.com"
#define PASSWORD       "Correct-Horse-Battery-9"
#define ADMIN_EMAIL    "boss@example.com"
#define ADMIN_PASSWORD "Admin-Horse-Battery-7"

typedef VigilTestApi Fixture;

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

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

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static void
create_admin (Fixture *fixture)
{
  VigilAuth *auth = vigil_engine_get_auth (fixture->engine);
  g_autoptr(VigilUser) admin = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  vigil_auth_create_admin_async (auth, ADMIN_EMAIL, ADMIN_PASSWORD, NULL, on_done, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  admin = vigil_auth_create_admin_finish (auth, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpint (admin->role, ==, VIGIL_ROLE_ADMIN);
}

static void
signup (Fixture    *fixture,
        const char *email)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/signup", NULL, body);

  vigil_test_assert_status (reply, 201);
}

static char *
login (Fixture    *fixture,
       const char *email,
       const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/login", NULL, body);

  vigil_test_assert_status (reply, 200);
  return g_strdup (vigil_test_reply_string (reply, "access_token"));
}

static void
assert_message (VigilTestReply *reply,
                const char     *message)
{
  g_assert_cmpstr (vigil_test_reply_string (reply, "message"), ==, message);
  g_assert_nonnull (vigil_test_reply_string (reply, "error"));
}

static void
test_signup (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) again = NULL;
  g_autoptr(VigilTestReply) again_upper = NULL;

  reply = vigil_test_api_post (fixture, "/api/signup", NULL,
                               "{\"email\":\"" EMAIL "\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (reply, 201);
  g_assert_nonnull (vigil_test_reply_string (reply, "message"));
  g_assert_cmpuint (strlen (vigil_test_reply_string (reply, "user_id")), ==, 36);

  again = vigil_test_api_post (fixture, "/api/signup", NULL,
                               "{\"email\":\"" EMAIL "\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (again, 409);
  assert_message (again, "User already exists");

  again_upper = vigil_test_api_post (fixture, "/api/signup", NULL,
                                     "{\"email\":\"ANN@example.com\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (again_upper, 409);
}

static void
test_signup_invalid (Fixture       *fixture,
                     gconstpointer  data)
{
  static const char * const refused[] = {
    "{\"email\":\"not-an-email\",\"password\":\"" PASSWORD "\"}",
    "{\"email\":\"" EMAIL "\",\"password\":\"short\"}",
    "{\"email\":\"" EMAIL "\",\"password\":\"qwerty123\"}",
    "{\"email\":\"" EMAIL "\"}",
    "{\"email\":\"" EMAIL "\",\"password\":42}",
    "{\"email\": \"" EMAIL,
    "[\"" EMAIL "\"]",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/signup", NULL, refused[i]);

      vigil_test_assert_status (reply, 400);
      g_assert_nonnull (vigil_test_reply_string (reply, "message"));
      g_assert_nonnull (vigil_test_reply_string (reply, "error"));
    }
}

/* The seed's own curl example: its password is one of the most common,
 * which the NIST policy refuses, so it answers 400 and says why. */
static void
test_seed_curl_example (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(VigilTestReply) signup_reply = NULL;
  g_autoptr(VigilTestReply) login_reply = NULL;
  g_autoptr(VigilTestReply) documented = NULL;
  g_autoptr(VigilTestReply) documented_login = NULL;
  g_autoptr(VigilTestReply) health = NULL;

  /* walmart-secure-backend.md's curl commands, as written. */
  signup_reply = vigil_test_api_post (fixture, "/api/signup", NULL,
                                      "{\"email\":\"test@example.com\",\"password\":\"password123\"}");
  vigil_test_assert_status (signup_reply, 201);

  login_reply = vigil_test_api_post (fixture, "/api/login", NULL,
                                     "{\"email\":\"test@example.com\",\"password\":\"password123\"}");
  vigil_test_assert_status (login_reply, 200);
  g_assert_cmpstr (vigil_test_reply_string (login_reply, "token_type"), ==, "bearer");
  g_assert_cmpstr (vigil_test_reply_string (login_reply, "email"), ==, "test@example.com");

  /* The document's own signup body passes. */
  documented = vigil_test_api_post (fixture, "/api/signup", NULL,
                                    "{\n  \"email\": \"user@example.com\",\n  \"password\": \"StrongPassword123\"\n}");
  vigil_test_assert_status (documented, 201);
  documented_login = vigil_test_api_post (fixture, "/api/login", NULL,
                                          "{\n  \"email\": \"user@example.com\",\n  \"password\": \"StrongPassword123\"\n}");
  vigil_test_assert_status (documented_login, 200);
  g_assert_cmpstr (vigil_test_reply_string (documented_login, "role"), ==, "user");
}

static void
test_login (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) wrong = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  JsonObject *object;

  signup (fixture, EMAIL);

  reply = vigil_test_api_post (fixture, "/api/login", NULL,
                               "{\"email\":\"" EMAIL "\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (reply, 200);
  object = vigil_test_reply_object (reply);
  g_assert_nonnull (json_object_get_string_member (object, "access_token"));
  g_assert_cmpstr (json_object_get_string_member (object, "token_type"), ==, "bearer");
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "user_id")), ==, 36);
  g_assert_cmpstr (json_object_get_string_member (object, "email"), ==, EMAIL);
  g_assert_cmpstr (json_object_get_string_member (object, "role"), ==, "user");
  /* No refresh token on this surface. */
  g_assert_false (json_object_has_member (object, "refresh_token"));

  wrong = vigil_test_api_post (fixture, "/api/login", NULL,
                               "{\"email\":\"" EMAIL "\",\"password\":\"Wrong-Horse-Battery\"}");
  vigil_test_assert_status (wrong, 401);
  assert_message (wrong, "Invalid credentials");

  unknown = vigil_test_api_post (fixture, "/api/login", NULL,
                                 "{\"email\":\"nobody@example.com\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (unknown, 401);
  assert_message (unknown, "Invalid credentials");

  missing = vigil_test_api_post (fixture, "/api/login", NULL, "{\"email\":\"" EMAIL "\"}");
  vigil_test_assert_status (missing, 400);
  g_assert_cmpstr (vigil_test_reply_string (missing, "error"), ==, "validation_error");
  g_assert_nonnull (strstr (vigil_test_reply_string (missing, "message"), "password"));
}

static void
test_check_admin (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *admin = NULL;
  g_autofree char *user = NULL;
  g_autoptr(VigilTestReply) granted = NULL;
  g_autoptr(VigilTestReply) refused = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) forged = NULL;
  g_autoptr(VigilTestReply) expired = NULL;
  g_autoptr(VigilTestReply) admin_login = NULL;

  create_admin (fixture);
  signup (fixture, EMAIL);

  admin_login = vigil_test_api_post (fixture, "/api/login", NULL,
                                     "{\"email\":\"" ADMIN_EMAIL "\",\"password\":\"" ADMIN_PASSWORD "\"}");
  vigil_test_assert_status (admin_login, 200);
  g_assert_cmpstr (vigil_test_reply_string (admin_login, "role"), ==, "admin");
  admin = g_strdup (vigil_test_reply_string (admin_login, "access_token"));
  user = login (fixture, EMAIL, PASSWORD);

  granted = vigil_test_api_get (fixture, "/api/check-admin", admin);
  vigil_test_assert_status (granted, 200);
  g_assert_true (json_object_get_boolean_member (vigil_test_reply_object (granted), "is_admin"));
  g_assert_nonnull (vigil_test_reply_string (granted, "message"));

  refused = vigil_test_api_get (fixture, "/api/check-admin", user);
  vigil_test_assert_status (refused, 403);
  assert_message (refused, "Admin privileges required!");

  /* Flask-JWT answers 401 with a message for every token problem. */
  missing = vigil_test_api_get (fixture, "/api/check-admin", NULL);
  vigil_test_assert_status (missing, 401);
  g_assert_nonnull (vigil_test_reply_string (missing, "message"));
  g_assert_cmpstr (vigil_test_reply_header (missing, "WWW-Authenticate"), ==, "Bearer");

  forged = vigil_test_api_get (fixture, "/api/check-admin", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
  vigil_test_assert_status (forged, 401);
  g_assert_nonnull (vigil_test_reply_string (forged, "message"));

  vigil_clock_advance (fixture->clock, 901 * G_USEC_PER_SEC);
  expired = vigil_test_api_get (fixture, "/api/check-admin", admin);
  vigil_test_assert_status (expired, 401);
  g_assert_nonnull (vigil_test_reply_string (expired, "message"));
}

static void
test_admin_users (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *admin = NULL;
  g_autofree char *user = NULL;
  g_autofree char *text = NULL;
  g_autoptr(VigilTestReply) listed = NULL;
  g_autoptr(VigilTestReply) refused = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) phone_user = NULL;
  JsonArray *users;
  gboolean saw_user = FALSE, saw_admin = FALSE, saw_phone = FALSE;

  create_admin (fixture);
  signup (fixture, EMAIL);
  phone_user = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL,
                                    "{\"phone\":\"9876543210\",\"password\":\"" PASSWORD "\",\"mpin\":\"482916\"}");
  vigil_test_assert_status (phone_user, 200);
  admin = login (fixture, ADMIN_EMAIL, ADMIN_PASSWORD);
  user = login (fixture, EMAIL, PASSWORD);

  listed = vigil_test_api_get (fixture, "/api/admin/users", admin);
  vigil_test_assert_status (listed, 200);
  users = json_object_get_array_member (vigil_test_reply_object (listed), "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 3);
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *entry = json_array_get_object_element (users, i);
      const char *role = json_object_get_string_member (entry, "role");

      g_assert_cmpuint (strlen (json_object_get_string_member (entry, "id")), ==, 36);
      g_assert_true (json_object_has_member (entry, "email"));
      g_assert_true (json_object_has_member (entry, "phone"));
      g_assert_false (json_object_get_boolean_member (entry, "disabled"));
      g_assert_true (g_str_has_prefix (json_object_get_string_member (entry, "created_at"), "2026-01-01T"));
      g_assert_true (json_object_has_member (entry, "last_login_at"));
      saw_admin |= g_strcmp0 (role, "admin") == 0;
      saw_user |= g_strcmp0 (json_object_get_string_member_with_default (entry, "email", NULL), EMAIL) == 0;
      saw_phone |= g_strcmp0 (json_object_get_string_member_with_default (entry, "phone", NULL), "9876543210") == 0;
    }
  g_assert_true (saw_admin && saw_user && saw_phone);
  /* Never a hash, under any name. */
  text = vigil_test_reply_text (listed);
  g_assert_null (strstr (text, "argon2"));
  g_assert_null (strstr (text, "hash"));

  refused = vigil_test_api_get (fixture, "/api/admin/users", user);
  vigil_test_assert_status (refused, 403);
  assert_message (refused, "Admin privileges required!");

  missing = vigil_test_api_get (fixture, "/api/admin/users", NULL);
  vigil_test_assert_status (missing, 401);
}

static void
test_admin_audit_logs (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *admin = NULL;
  g_autofree char *user = NULL;
  g_autoptr(VigilTestReply) listed = NULL;
  g_autoptr(VigilTestReply) refused = NULL;
  JsonArray *logs;
  gint64 previous_id = G_MAXINT64;
  gboolean saw_failure = FALSE;

  create_admin (fixture);
  signup (fixture, EMAIL);
  admin = login (fixture, ADMIN_EMAIL, ADMIN_PASSWORD);
  user = login (fixture, EMAIL, PASSWORD);

  /* More entries than one page: only the newest 100 come back. */
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(VigilTestReply) wrong = vigil_test_api_post (fixture, "/api/login", NULL,
                                                             "{\"email\":\"" EMAIL "\",\"password\":\"Wrong-Horse-1\"}");

      vigil_test_assert_status (wrong, 401);
    }
  vigil_test_api_wait_idle (fixture);

  listed = vigil_test_api_get (fixture, "/api/admin/audit-logs", admin);
  vigil_test_assert_status (listed, 200);
  logs = json_object_get_array_member (vigil_test_reply_object (listed), "logs");
  g_assert_cmpuint (json_array_get_length (logs), ==, 100);
  for (guint i = 0; i < json_array_get_length (logs); i++)
    {
      JsonObject *entry = json_array_get_object_element (logs, i);
      gint64 id = json_object_get_int_member (entry, "id");

      g_assert_cmpint (id, <, previous_id);
      previous_id = id;
      g_assert_true (g_str_has_prefix (json_object_get_string_member (entry, "timestamp"), "2026-01-01T"));
      g_assert_nonnull (json_object_get_string_member (entry, "actor"));
      g_assert_nonnull (json_object_get_string_member (entry, "action"));
      g_assert_true (json_object_has_member (entry, "target"));
      g_assert_true (json_object_has_member (entry, "client_address"));
      g_assert_true (json_object_has_member (entry, "details"));
      g_assert_cmpuint (strlen (json_object_get_string_member (entry, "hash")), ==, 64);
      if (g_strcmp0 (json_object_get_string_member (entry, "client_address"), "127.0.0.1") == 0 &&
          strstr (json_object_get_string_member (entry, "action"), "fail") != NULL)
        saw_failure = TRUE;
    }
  g_assert_true (saw_failure);

  refused = vigil_test_api_get (fixture, "/api/admin/audit-logs", user);
  vigil_test_assert_status (refused, 403);
  assert_message (refused, "Admin privileges required!");
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  on_done (source, result, user_data);
}

static VigilAuditVerification *
verify_chain (Fixture *fixture)
{
  VigilStore *store = vigil_engine_get_store (fixture->engine);
  VigilAuditVerification *verification;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  vigil_audit_verify_async (store, NULL, on_verified, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 30000));
  verification = vigil_audit_verify_finish (store, wait.result, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  return verification;
}

/* What the API wrote to the audit log, altered in the database, breaks
 * the chain at that row. */
static void
test_audit_tampering_detected (Fixture       *fixture,
                               gconstpointer  data)
{
  VigilDb *reader = vigil_store_get_reader (vigil_engine_get_store (fixture->engine));
  g_autoptr(VigilAuditVerification) intact = NULL;
  g_autoptr(VigilAuditVerification) broken = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilTestReply) wrong = NULL;
  g_autofree char *user = NULL;
  gint64 target = 0;

  signup (fixture, EMAIL);
  user = login (fixture, EMAIL, PASSWORD);
  wrong = vigil_test_api_post (fixture, "/api/login", NULL,
                               "{\"email\":\"" EMAIL "\",\"password\":\"Wrong-Horse-1\"}");
  vigil_test_assert_status (wrong, 401);
  vigil_test_api_wait_idle (fixture);

  intact = verify_chain (fixture);
  g_assert_cmpint (intact->entries, >=, 3);
  g_assert_cmpint (intact->first_broken_id, ==, 0);
  g_assert_null (intact->reason);

  g_assert_true (vigil_db_query_int (reader, "SELECT min(id) + 1 FROM audit_log", &target, &error));
  g_assert_no_error (error);
  g_assert_true (vigil_db_exec (reader, "DROP TRIGGER audit_log_append_only_update", &error));
  g_assert_no_error (error);
  {
    g_autofree char *sql = g_strdup_printf ("UPDATE audit_log SET client_address = '10.6.6.6' "
                                            "WHERE id = %" G_GINT64_FORMAT, target);

    g_assert_true (vigil_db_exec (reader, sql, &error));
    g_assert_no_error (error);
  }

  broken = verify_chain (fixture);
  g_assert_cmpint (broken->first_broken_id, ==, target);
  g_assert_cmpint (broken->verified_up_to, ==, target - 1);
  g_assert_nonnull (broken->reason);
}

static void
test_rate_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilTestReply) limited = NULL;

  signup (fixture, EMAIL);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(VigilTestReply) wrong = vigil_test_api_post (fixture, "/api/login", NULL,
                                                             "{\"email\":\"" EMAIL "\",\"password\":\"Wrong-Horse-1\"}");

      vigil_test_assert_status (wrong, 401);
    }

  limited = vigil_test_api_post (fixture, "/api/login", NULL,
                                 "{\"email\":\"" EMAIL "\",\"password\":\"" PASSWORD "\"}");
  vigil_test_assert_status (limited, 429);
  g_assert_cmpstr (vigil_test_reply_string (limited, "error"), ==, "rate_limited");
  g_assert_nonnull (vigil_test_reply_string (limited, "message"));
  g_assert_cmpuint (g_ascii_strtoull (vigil_test_reply_header (limited, "Retry-After"), NULL, 10), >=, 1);
}

static void
test_routing (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(VigilTestReply) wrong_method = NULL;
  g_autoptr(VigilTestReply) post_admin = NULL;
  g_autoptr(VigilTestReply) below = NULL;

  wrong_method = vigil_test_api_get (fixture, "/api/signup", NULL);
  vigil_test_assert_status (wrong_method, 405);
  post_admin = vigil_test_api_post (fixture, "/api/admin/users", NULL, "{}");
  vigil_test_assert_status (post_admin, 405);
  below = vigil_test_api_get (fixture, "/api/admin/users/1", NULL);
  vigil_test_assert_status (below, 404);
}

int
main (int   argc,
      char *argv[])
{
  static VigilEngineOptions strict;

  g_test_init (&argc, &argv, NULL);

  vigil_test_api_options_init (&strict);
  strict.rate_limit_burst = 3;
  strict.rate_limit_per_minute = 1;

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/api/accounts/signup", test_signup);
  ADD ("/api/accounts/signup/invalid", test_signup_invalid);
  ADD ("/api/accounts/seed-curl-example", test_seed_curl_example);
  ADD ("/api/accounts/login", test_login);
  ADD ("/api/accounts/check-admin", test_check_admin);
  ADD ("/api/accounts/admin/users", test_admin_users);
  ADD ("/api/accounts/admin/audit-logs", test_admin_audit_logs);
  ADD ("/api/accounts/audit/tampering-detected", test_audit_tampering_detected);
  ADD ("/api/accounts/routing", test_routing);
#undef ADD
  g_test_add ("/api/accounts/rate-limit", Fixture, &strict, fixture_set_up, test_rate_limit, fixture_tear_down);

  return g_test_run ();
}
