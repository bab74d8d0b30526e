/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The canara /api/v1/auth routes over real HTTP: shapes, every documented
 * error, lockout across a restart, token rotation, limits, and logs that
 * never carry a secret. */
#include "config.h"

#include <string.h>

#include "vigil-api-request.h"
#include "vigil-error.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

#define PHONE    "9876543210"
#define PASSWORD "Correct-Horse-Battery-9"
#define MPIN     "482916"

typedef VigilTestApi Fixture;

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

static char *
register_body (const char *phone)
{
  return g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"mpin\":\"%s\"}", phone, PASSWORD, MPIN);
}

static void
register_user (Fixture    *fixture,
               const char *phone)
{
  g_autofree char *body = register_body (phone);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL, body);

  vigil_test_assert_status (reply, 200);
}

/* Returns the access token; the refresh token in @out_refresh. */
static char *
login (Fixture     *fixture,
       const char  *phone,
       const char  *device_id,
       char       **out_refresh)
{
  g_autofree char *body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"device_id\":\"%s\"}",
                                           phone, PASSWORD, device_id);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, body);

  vigil_test_assert_status (reply, 200);
  if (out_refresh != NULL)
    *out_refresh = g_strdup (vigil_test_reply_string (reply, "refresh_token"));
  return g_strdup (vigil_test_reply_string (reply, "access_token"));
}

static VigilTestReply *
verify_mpin (Fixture    *fixture,
             const char *access_token,
             const char *mpin)
{
  g_autofree char *body = g_strdup_printf ("{\"mpin\":\"%s\"}", mpin);

  return vigil_test_api_post (fixture, "/api/v1/auth/verify-mpin", access_token, body);
}

static VigilTestReply *
refresh (Fixture    *fixture,
         const char *refresh_token)
{
  g_autofree char *body = g_strdup_printf ("{\"refresh_token\":\"%s\"}", refresh_token);

  return vigil_test_api_post (fixture, "/api/v1/auth/refresh", NULL, body);
}

static void
assert_detail (VigilTestReply *reply,
               const char     *detail)
{
  g_assert_cmpstr (vigil_test_reply_string (reply, "detail"), ==, detail);
}

/* FastAPI's 422: detail is a list of {loc, msg, type}. */
static void
assert_validation_error (VigilTestReply *reply,
                         const char     *field,
                         const char     *type)
{
  JsonArray *detail, *loc;
  JsonObject *first;

  vigil_test_assert_status (reply, 422);
  g_assert_cmpstr (vigil_test_reply_string (reply, "error"), ==, "validation_error");
  detail = json_object_get_array_member (vigil_test_reply_object (reply), "detail");
  g_assert_cmpuint (json_array_get_length (detail), >=, 1);
  first = json_array_get_object_element (detail, 0);
  loc = json_object_get_array_member (first, "loc");
  g_assert_cmpstr (json_array_get_string_element (loc, 0), ==, "body");
  if (field != NULL)
    g_assert_cmpstr (json_array_get_string_element (loc, 1), ==, field);
  else
    g_assert_cmpuint (json_array_get_length (loc), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (first, "type"), ==, type);
  g_assert_nonnull (json_object_get_string_member (first, "msg"));
}

static void
test_register (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *body = register_body (PHONE);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL, body);
  g_autoptr(VigilTestReply) again = NULL;

  vigil_test_assert_status (reply, 200);
  g_assert_cmpstr (vigil_test_reply_string (reply, "phone"), ==, PHONE);
  g_assert_cmpstr (vigil_test_reply_string (reply, "next_step"), ==, "login");
  g_assert_nonnull (vigil_test_reply_string (reply, "message"));
  g_assert_cmpuint (strlen (vigil_test_reply_string (reply, "user_id")), ==, 36);

  /* The canara client expects 400, not 409, for a taken phone. */
  again = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL, body);
  vigil_test_assert_status (again, 400);
  assert_detail (again, "Phone number already registered");
}

static void
test_register_invalid (Fixture       *fixture,
                       gconstpointer  data)
{
  static const char * const refused[] = {
    "{\"phone\":\"98765abc10\",\"password\":\"" PASSWORD "\",\"mpin\":\"" MPIN "\"}",
    "{\"phone\":\"12345\",\"password\":\"" PASSWORD "\",\"mpin\":\"" MPIN "\"}",
    "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"mpin\":\"12\"}",
    "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"mpin\":\"12a456\"}",
    "{\"phone\":\"" PHONE "\",\"password\":\"short\",\"mpin\":\"" MPIN "\"}",
    "{\"phone\":\"" PHONE "\",\"password\":\"qwerty123\",\"mpin\":\"" MPIN "\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(VigilTestReply) reply = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL, refused[i]);

      vigil_test_assert_status (reply, 400);
      g_assert_cmpstr (vigil_test_reply_string (reply, "error"), ==, "bad_request");
      g_assert_nonnull (vigil_test_reply_string (reply, "detail"));
      /* A message never repeats the secret it refused. */
      g_assert_null (strstr (vigil_test_reply_string (reply, "detail"), "qwerty123"));
    }
}

static void
test_body_validation (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) ill_typed = NULL;
  g_autoptr(VigilTestReply) null_member = NULL;
  g_autoptr(VigilTestReply) malformed = NULL;
  g_autoptr(VigilTestReply) array = NULL;
  g_autoptr(VigilTestReply) empty = NULL;
  g_autoptr(VigilTestReply) deep = NULL;
  g_autoptr(VigilTestReply) context = NULL;
  g_autoptr(GString) nested = g_string_new (NULL);

  missing = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL,
                                 "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\"}");
  assert_validation_error (missing, "mpin", "value_error.missing");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (vigil_test_reply_object (missing), "detail"), 0), "msg"), ==, "field required");

  ill_typed = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                   "{\"phone\":9876543210,\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}");
  assert_validation_error (ill_typed, "phone", "type_error.str");

  null_member = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                     "{\"phone\":null,\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}");
  assert_validation_error (null_member, "phone", "type_error.none.not_allowed");

  malformed = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, "{\"phone\": \"98");
  vigil_test_assert_status (malformed, 400);
  g_assert_cmpstr (vigil_test_reply_string (malformed, "error"), ==, "bad_request");
  assert_detail (malformed, "Invalid JSON body");

  array = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, "[1, 2]");
  assert_validation_error (array, NULL, "type_error.dict");

  empty = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, "");
  assert_validation_error (empty, NULL, "value_error.missing");

  /* Deep nesting is refused before json-glib recurses into it. */
  for (guint i = 0; i < 10000; i++)
    g_string_append_c (nested, '[');
  deep = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, nested->str);
  vigil_test_assert_status (deep, 400);

  register_user (fixture, PHONE);
  {
    g_autofree char *access = login (fixture, PHONE, "device-1", NULL);

    context = vigil_test_api_post (fixture, "/api/v1/auth/verify-mpin", access,
                                   "{\"mpin\":\"" MPIN "\",\"context\":\"not an object\"}");
    assert_validation_error (context, "context", "type_error.dict");
  }
}

static void
test_body_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  gsize size = VIGIL_API_MAX_BODY_BYTES + 1024;
  g_autofree char *large = g_malloc (size + 1);
  g_autoptr(VigilTestReply) declared = NULL;
  g_autoptr(VigilTestReply) chunked = NULL;
  g_autoptr(VigilTestReply) after = NULL;
  g_autoptr(GInputStream) stream = NULL;

  /* A valid JSON object, padded with spaces. */
  memset (large, ' ', size);
  large[0] = '{';
  large[size - 1] = '}';
  large[size] = '\0';

  declared = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL, large);
  vigil_test_assert_status (declared, 413);
  g_assert_cmpstr (vigil_test_reply_string (declared, "error"), ==, "payload_too_large");

  stream = g_memory_input_stream_new_from_data (g_memdup2 (large, size), size, g_free);
  chunked = vigil_test_api_post_stream (fixture, "/api/v1/auth/login", stream);
  vigil_test_assert_status (chunked, 413);

  /* A chunked body under the limit still arrives whole. */
  g_clear_object (&stream);
  {
    const char *small = "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}";

    stream = g_memory_input_stream_new_from_data (small, strlen (small), NULL);
    after = vigil_test_api_post_stream (fixture, "/api/v1/auth/login", stream);
    vigil_test_assert_status (after, 401);
    assert_detail (after, "Invalid credentials");
  }
}

static void
test_login (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) wrong = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;

  register_user (fixture, PHONE);

  reply = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                               "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"device_id\":\"device-1\"}");
  vigil_test_assert_status (reply, 200);
  g_assert_cmpstr (vigil_test_reply_string (reply, "token_type"), ==, "bearer");
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (reply), "expires_in"), ==, 900);
  g_assert_nonnull (vigil_test_reply_string (reply, "access_token"));
  g_assert_nonnull (vigil_test_reply_string (reply, "refresh_token"));
  g_assert_cmpstr (vigil_test_reply_string (reply, "access_token"), !=,
                   vigil_test_reply_string (reply, "refresh_token"));

  wrong = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                               "{\"phone\":\"" PHONE "\",\"password\":\"Wrong-Horse-Battery\",\"device_id\":\"d\"}");
  vigil_test_assert_status (wrong, 401);
  assert_detail (wrong, "Invalid credentials");

  /* An unknown phone fails exactly alike. */
  unknown = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                 "{\"phone\":\"9999999999\",\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (unknown, 401);
  assert_detail (unknown, "Invalid credentials");
}

static void
test_verify_mpin (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autoptr(VigilTestReply) wrong = NULL;
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) status = NULL;
  JsonObject *object;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", NULL);

  wrong = verify_mpin (fixture, access, "000000");
  vigil_test_assert_status (wrong, 401);
  assert_detail (wrong, "Invalid MPIN");

  reply = vigil_test_api_post (fixture, "/api/v1/auth/verify-mpin", access,
                               "{\"mpin\":\"" MPIN "\",\"context\":{\"device_id\":\"pixel-7\","
                               "\"device_type\":\"mobile\",\"os_version\":\"14\",\"network_type\":\"wifi\"}}");
  vigil_test_assert_status (reply, 200);
  object = vigil_test_reply_object (reply);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "verified");
  g_assert_cmpstr (json_object_get_string_member (object, "behavioral_logging"), ==, "started");
  g_assert_cmpstr (json_object_get_string_member (object, "phone"), ==, PHONE);
  g_assert_nonnull (json_object_get_string_member (object, "message"));
  g_assert_nonnull (json_object_get_string_member (object, "user_id"));
  g_assert_nonnull (json_object_get_string_member (object, "session_id"));
  g_assert_nonnull (json_object_get_string_member (object, "session_token"));

  /* The session token names the session it was issued for. */
  status = vigil_test_api_get (fixture, "/api/v1/auth/session-status",
                               json_object_get_string_member (object, "session_token"));
  vigil_test_assert_status (status, 200);
  g_assert_cmpstr (vigil_test_reply_string (status, "session_id"), ==,
                   json_object_get_string_member (object, "session_id"));
  g_assert_cmpstr (vigil_test_reply_string (status, "user_id"), ==,
                   json_object_get_string_member (object, "user_id"));
  g_assert_cmpstr (vigil_test_reply_string (status, "status"), ==, "active");
  g_assert_cmpstr (vigil_test_reply_string (status, "state"), ==, "active");
  g_assert_true (json_object_get_boolean_member (vigil_test_reply_object (status), "is_active"));
  g_assert_cmpstr (vigil_test_reply_string (status, "started_at"), ==, "2026-01-01T00:00:00Z");
  g_assert_true (json_object_get_null_member (vigil_test_reply_object (status), "ended_at"));
  g_assert_true (json_object_get_null_member (vigil_test_reply_object (status), "end_reason"));
  g_assert_cmpstr (vigil_test_reply_string (status, "device_id"), ==, "pixel-7");
}

static void
test_mpin_lockout (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *after_restart = NULL;
  g_autofree char *after_lock = NULL;
  g_autoptr(VigilTestReply) locked = NULL;
  g_autoptr(VigilTestReply) still_locked = NULL;
  g_autoptr(VigilTestReply) unlocked = NULL;
  guint64 retry_after;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", NULL);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(VigilTestReply) wrong = verify_mpin (fixture, access, "000000");

      /* The third failure locks; it may already say so. */
      if (i < 2)
        vigil_test_assert_status (wrong, 401);
      else
        g_assert_true (wrong->status == 401 || wrong->status == 423);
    }

  /* Locked: even the right MPIN is refused, with the wait. */
  locked = verify_mpin (fixture, access, MPIN);
  vigil_test_assert_status (locked, 423);
  g_assert_cmpstr (vigil_test_reply_string (locked, "error"), ==, "locked");
  g_assert_nonnull (vigil_test_reply_header (locked, "Retry-After"));
  retry_after = g_ascii_strtoull (vigil_test_reply_header (locked, "Retry-After"), NULL, 10);
  g_assert_cmpuint (retry_after, >, 0);
  g_assert_cmpuint (retry_after, <=, 900);

  /* The lock is stored, not remembered. */
  vigil_test_api_restart (fixture);
  after_restart = login (fixture, PHONE, "device-1", NULL);
  still_locked = verify_mpin (fixture, after_restart, MPIN);
  vigil_test_assert_status (still_locked, 423);
  g_assert_nonnull (vigil_test_reply_header (still_locked, "Retry-After"));

  vigil_clock_advance (fixture->clock, (gint64) (retry_after + 1) * G_USEC_PER_SEC);
  after_lock = login (fixture, PHONE, "device-1", NULL);
  unlocked = verify_mpin (fixture, after_lock, MPIN);
  vigil_test_assert_status (unlocked, 200);
  g_assert_cmpstr (vigil_test_reply_string (unlocked, "status"), ==, "verified");
}

static void
test_mpin_login (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) wrong = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  g_autoptr(VigilTestReply) status = NULL;
  JsonObject *object;

  register_user (fixture, PHONE);

  reply = vigil_test_api_post (fixture, "/api/v1/auth/mpin-login", NULL,
                               "{\"phone\":\"" PHONE "\",\"mpin\":\"" MPIN "\",\"device_id\":\"device-9\","
                               "\"context\":{\"app_version\":\"2.1\"}}");
  vigil_test_assert_status (reply, 200);
  object = vigil_test_reply_object (reply);
  g_assert_nonnull (json_object_get_string_member (object, "access_token"));
  g_assert_nonnull (json_object_get_string_member (object, "refresh_token"));
  g_assert_cmpstr (json_object_get_string_member (object, "token_type"), ==, "bearer");
  g_assert_cmpint (json_object_get_int_member (object, "expires_in"), ==, 900);
  g_assert_nonnull (json_object_get_string_member (object, "session_id"));
  g_assert_nonnull (json_object_get_string_member (object, "session_token"));
  g_assert_cmpstr (json_object_get_string_member (object, "behavioral_logging"), ==, "started");
  g_assert_nonnull (json_object_get_string_member (object, "message"));

  status = vigil_test_api_get (fixture, "/api/v1/auth/session-status",
                               json_object_get_string_member (object, "access_token"));
  vigil_test_assert_status (status, 200);
  g_assert_cmpstr (vigil_test_reply_string (status, "session_id"), ==,
                   json_object_get_string_member (object, "session_id"));
  g_assert_cmpstr (vigil_test_reply_string (status, "device_id"), ==, "device-9");

  wrong = vigil_test_api_post (fixture, "/api/v1/auth/mpin-login", NULL,
                               "{\"phone\":\"" PHONE "\",\"mpin\":\"000000\",\"device_id\":\"device-9\"}");
  vigil_test_assert_status (wrong, 401);
  g_assert_cmpstr (vigil_test_reply_string (wrong, "error"), ==, "unauthorized");

  missing = vigil_test_api_post (fixture, "/api/v1/auth/mpin-login", NULL,
                                 "{\"phone\":\"" PHONE "\",\"mpin\":\"" MPIN "\"}");
  assert_validation_error (missing, "device_id", "value_error.missing");
}

static void
test_refresh_rotation (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *first = NULL;
  g_autoptr(VigilTestReply) second = NULL;
  g_autoptr(VigilTestReply) third = NULL;
  g_autoptr(VigilTestReply) reused = NULL;
  g_autoptr(VigilTestReply) after_reuse = NULL;
  g_autoptr(VigilTestReply) with_new_access = NULL;
  g_autoptr(VigilTestReply) garbage = NULL;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", &first);

  second = refresh (fixture, first);
  vigil_test_assert_status (second, 200);
  g_assert_cmpstr (vigil_test_reply_string (second, "token_type"), ==, "bearer");
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (second), "expires_in"), ==, 900);
  g_assert_cmpstr (vigil_test_reply_string (second, "refresh_token"), !=, first);
  with_new_access = vigil_test_api_get (fixture, "/api/v1/auth/tokens/active",
                                        vigil_test_reply_string (second, "access_token"));
  vigil_test_assert_status (with_new_access, 200);

  third = refresh (fixture, vigil_test_reply_string (second, "refresh_token"));
  vigil_test_assert_status (third, 200);

  /* The first token again: a thief's replay. It fails, and so does the
   * whole family, the newest member included. */
  reused = refresh (fixture, first);
  vigil_test_assert_status (reused, 401);
  g_assert_cmpstr (vigil_test_reply_string (reused, "error"), ==, "unauthorized");
  after_reuse = refresh (fixture, vigil_test_reply_string (third, "refresh_token"));
  vigil_test_assert_status (after_reuse, 401);

  /* An access token is no refresh token. */
  garbage = refresh (fixture, access);
  vigil_test_assert_status (garbage, 401);
}

static void
test_logout (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *other = NULL;
  g_autoptr(VigilTestReply) verified = NULL;
  g_autoptr(VigilTestReply) reply = NULL;
  g_autoptr(VigilTestReply) after = NULL;
  g_autoptr(VigilTestReply) refreshed = NULL;
  g_autoptr(VigilTestReply) ended = NULL;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", &refresh_token);
  other = login (fixture, PHONE, "device-2", NULL);
  verified = verify_mpin (fixture, access, MPIN);
  vigil_test_assert_status (verified, 200);

  /* Logging out with the session token ends the session too. */
  reply = vigil_test_api_post (fixture, "/api/v1/auth/logout",
                               vigil_test_reply_string (verified, "session_token"), NULL);
  vigil_test_assert_status (reply, 200);
  g_assert_nonnull (vigil_test_reply_string (reply, "message"));

  after = vigil_test_api_get (fixture, "/api/v1/auth/session-status",
                              vigil_test_reply_string (verified, "session_token"));
  vigil_test_assert_status (after, 401);

  refreshed = refresh (fixture, refresh_token);
  vigil_test_assert_status (refreshed, 401);

  /* Another device's login still reads the session, now ended. */
  vigil_clock_advance (fixture->clock, 5 * G_USEC_PER_SEC);
  ended = vigil_test_api_get (fixture, "/api/v1/auth/session-status", other);
  vigil_test_assert_status (ended, 200);
  g_assert_cmpstr (vigil_test_reply_string (ended, "session_id"), ==,
                   vigil_test_reply_string (verified, "session_id"));
  g_assert_cmpstr (vigil_test_reply_string (ended, "state"), ==, "ended");
  g_assert_false (json_object_get_boolean_member (vigil_test_reply_object (ended), "is_active"));
  g_assert_cmpstr (vigil_test_reply_string (ended, "ended_at"), ==, "2026-01-01T00:00:00Z");
  g_assert_nonnull (vigil_test_reply_string (ended, "end_reason"));
}

static void
test_tokens (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *other = NULL;
  g_autofree char *text = NULL;
  g_autoptr(VigilTestReply) active = NULL;
  g_autoptr(VigilTestReply) revoked = NULL;
  g_autoptr(VigilTestReply) after = NULL;
  g_autoptr(VigilTestReply) survivor = NULL;
  g_autoptr(VigilTestReply) missing = NULL;
  JsonArray *tokens;
  gboolean saw_access = FALSE, saw_refresh = FALSE;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", NULL);
  other = login (fixture, PHONE, "device-2", NULL);

  active = vigil_test_api_get (fixture, "/api/v1/auth/tokens/active", access);
  vigil_test_assert_status (active, 200);
  tokens = json_object_get_array_member (vigil_test_reply_object (active), "tokens");
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (active), "count"), ==,
                   json_array_get_length (tokens));
  g_assert_cmpuint (json_array_get_length (tokens), ==, 4);
  for (guint i = 0; i < json_array_get_length (tokens); i++)
    {
      JsonObject *token = json_array_get_object_element (tokens, i);
      const char *type = json_object_get_string_member (token, "type");

      g_assert_nonnull (json_object_get_string_member (token, "jti"));
      g_assert_true (json_object_has_member (token, "session_id"));
      g_assert_true (g_str_has_prefix (json_object_get_string_member (token, "issued_at"), "2026-01-01T"));
      g_assert_nonnull (json_object_get_string_member (token, "expires_at"));
      g_assert_nonnull (json_object_get_string_member (token, "device_id"));
      saw_access |= g_strcmp0 (type, "access") == 0;
      saw_refresh |= g_strcmp0 (type, "refresh") == 0;
    }
  g_assert_true (saw_access && saw_refresh);
  /* Listed, never shown. */
  text = vigil_test_reply_text (active);
  g_assert_null (strstr (text, access));
  g_assert_null (strstr (text, other));

  revoked = vigil_test_api_post (fixture, "/api/v1/auth/tokens/revoke-device", access,
                                 "{\"device_id\":\"device-2\"}");
  vigil_test_assert_status (revoked, 200);
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (revoked), "revoked"), ==, 2);
  g_assert_cmpstr (vigil_test_reply_string (revoked, "device_id"), ==, "device-2");
  g_assert_nonnull (vigil_test_reply_string (revoked, "message"));

  after = vigil_test_api_get (fixture, "/api/v1/auth/tokens/active", other);
  vigil_test_assert_status (after, 401);
  survivor = vigil_test_api_get (fixture, "/api/v1/auth/tokens/active", access);
  vigil_test_assert_status (survivor, 200);
  g_assert_cmpint (json_object_get_int_member (vigil_test_reply_object (survivor), "count"), ==, 2);

  missing = vigil_test_api_post (fixture, "/api/v1/auth/tokens/revoke-device", access, "{}");
  assert_validation_error (missing, "device_id", "value_error.missing");
}

/* FastAPI's HTTPBearer: no credentials is 403, bad credentials 401. */
static void
test_bearer_required (Fixture       *fixture,
                      gconstpointer  data)
{
  static const struct { const char *method, *path; } routes[] = {
    { "POST", "/api/v1/auth/verify-mpin" },
    { "POST", "/api/v1/auth/logout" },
    { "GET", "/api/v1/auth/session-status" },
    { "GET", "/api/v1/auth/tokens/active" },
    { "POST", "/api/v1/auth/tokens/revoke-device" },
  };
  g_autofree char *access = NULL;
  g_autofree char *refresh_token = NULL;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", &refresh_token);

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_autoptr(VigilTestReply) missing = NULL;
      g_autoptr(VigilTestReply) basic = NULL;
      g_autoptr(VigilTestReply) bare = NULL;
      g_autoptr(VigilTestReply) refresh_as_bearer = NULL;

      missing = vigil_test_api_request (fixture, routes[i].method, routes[i].path, NULL, "{\"mpin\":\"1\"}");
      vigil_test_assert_status (missing, 403);
      assert_detail (missing, "Not authenticated");

      /* Another scheme, or a scheme alone, is refused like none at all. */
      basic = vigil_test_api_request_authorization (fixture, routes[i].method, routes[i].path,
                                                    "Basic dXNlcjpwYXNz", "{}");
      vigil_test_assert_status (basic, 403);
      assert_detail (basic, "Invalid authentication credentials");
      bare = vigil_test_api_request_authorization (fixture, routes[i].method, routes[i].path, "Bearer ", "{}");
      vigil_test_assert_status (bare, 403);
      assert_detail (bare, "Not authenticated");

      refresh_as_bearer = vigil_test_api_request (fixture, routes[i].method, routes[i].path, refresh_token,
                                                  "{\"mpin\":\"1\"}");
      vigil_test_assert_status (refresh_as_bearer, 401);
      assert_detail (refresh_as_bearer, "Could not validate credentials");
      g_assert_cmpstr (vigil_test_reply_header (refresh_as_bearer, "WWW-Authenticate"), ==, "Bearer");
    }
}

static void
test_expired_and_tampered_tokens (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *tampered = NULL;
  g_autoptr(VigilTestReply) fresh = NULL;
  g_autoptr(VigilTestReply) forged = NULL;
  g_autoptr(VigilTestReply) garbage = NULL;
  g_autoptr(VigilTestReply) expired = NULL;
  gsize length;

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", NULL);

  fresh = vigil_test_api_get (fixture, "/api/v1/auth/session-status", access);
  g_assert_cmpuint (fresh->status, !=, 401);

  /* One character of the signature changed. */
  tampered = g_strdup (access);
  length = strlen (tampered);
  tampered[length - 2] = tampered[length - 2] == 'A' ? 'B' : 'A';
  forged = vigil_test_api_get (fixture, "/api/v1/auth/session-status", tampered);
  vigil_test_assert_status (forged, 401);
  assert_detail (forged, "Could not validate credentials");
  g_assert_cmpstr (vigil_test_reply_string (forged, "error"), ==, "unauthorized");
  g_assert_cmpstr (vigil_test_reply_header (forged, "WWW-Authenticate"), ==, "Bearer");

  garbage = vigil_test_api_get (fixture, "/api/v1/auth/tokens/active", "not.a.token");
  vigil_test_assert_status (garbage, 401);

  vigil_clock_advance (fixture->clock, 901 * G_USEC_PER_SEC);
  expired = vigil_test_api_get (fixture, "/api/v1/auth/tokens/active", access);
  vigil_test_assert_status (expired, 401);
  assert_detail (expired, "Could not validate credentials");
  g_assert_cmpstr (vigil_test_reply_header (expired, "WWW-Authenticate"), ==, "Bearer");
}

static void
test_rate_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(VigilTestReply) limited = NULL;
  guint64 retry_after;

  register_user (fixture, PHONE);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(VigilTestReply) wrong = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                                             "{\"phone\":\"" PHONE "\",\"password\":\"Wrong-Horse-1\",\"device_id\":\"d\"}");

      vigil_test_assert_status (wrong, 401);
    }

  /* Even the right password waits now. */
  limited = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                 "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (limited, 429);
  g_assert_cmpstr (vigil_test_reply_string (limited, "error"), ==, "rate_limited");
  g_assert_nonnull (vigil_test_reply_string (limited, "detail"));
  g_assert_nonnull (vigil_test_reply_header (limited, "Retry-After"));
  retry_after = g_ascii_strtoull (vigil_test_reply_header (limited, "Retry-After"), NULL, 10);
  g_assert_cmpuint (retry_after, >=, 1);

  vigil_clock_advance (fixture->clock, (gint64) (retry_after + 1) * G_USEC_PER_SEC);
  {
    g_autofree char *access = login (fixture, PHONE, "d", NULL);

    g_assert_nonnull (access);
  }
}

static void
test_routing (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(VigilTestReply) wrong_method = NULL;
  g_autoptr(VigilTestReply) unknown = NULL;
  g_autoptr(VigilTestReply) extra = NULL;
  g_autoptr(VigilTestReply) trailing = NULL;

  wrong_method = vigil_test_api_get (fixture, "/api/v1/auth/login", NULL);
  vigil_test_assert_status (wrong_method, 405);
  g_assert_cmpstr (vigil_test_reply_header (wrong_method, "Allow"), ==, "POST");

  unknown = vigil_test_api_post (fixture, "/api/v1/auth/nope", NULL, "{}");
  vigil_test_assert_status (unknown, 404);
  extra = vigil_test_api_post (fixture, "/api/v1/auth/login/extra", NULL, "{}");
  vigil_test_assert_status (extra, 404);

  trailing = vigil_test_api_post (fixture, "/api/v1/auth/login/", NULL,
                                  "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"device_id\":\"d\"}");
  vigil_test_assert_status (trailing, 401);
}

/* The seed document's own requests, unchanged. */
static void
test_seed_examples (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(VigilTestReply) registered = NULL;
  g_autoptr(VigilTestReply) logged_in = NULL;

  registered = vigil_test_api_post (fixture, "/api/v1/auth/register", NULL,
                                    "{\n    \"phone\": \"9876543210\",\n    \"password\": \"SecurePassword123\",\n"
                                    "    \"mpin\": \"123456\"\n}");
  vigil_test_assert_status (registered, 200);
  logged_in = vigil_test_api_post (fixture, "/api/v1/auth/login", NULL,
                                   "{\n    \"phone\": \"9876543210\", \n    \"password\": \"SecurePassword123\",\n"
                                   "    \"device_id\": \"device_001\"\n}");
  vigil_test_assert_status (logged_in, 200);
}

/* A client that hangs up while the engine hashes is simply not answered. */
static void
test_client_gone (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *request = NULL;
  const char *body = "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"mpin\":\"" MPIN "\"}";

  uri = g_uri_parse (vigil_server_get_url (fixture->server), G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                             strlen (body), body);

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GSocketConnection) connection = NULL;
      gsize written;

      connection = g_socket_client_connect_to_host (client, "127.0.0.1", g_uri_get_port (uri), NULL, &error);
      g_assert_no_error (error);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                 request, strlen (request), &written, NULL, &error);
      g_assert_no_error (error);
      /* Let the server read the request and pause, then vanish. */
      for (guint j = 0; j < i * 3; j++)
        g_main_context_iteration (NULL, FALSE);
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    }

  vigil_test_api_wait_idle (fixture);
  g_assert_cmpuint (vigil_api_calls_in_flight (), ==, 0);

  /* The server still answers. */
  {
    g_autofree char *access = login (fixture, PHONE, "device-1", NULL);

    g_assert_nonnull (access);
  }
}

/* Stopping the server under paused calls must not crash them. */
static void
test_server_stops_mid_call (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = "{\"phone\":\"" PHONE "\",\"password\":\"" PASSWORD "\",\"mpin\":\"" MPIN "\"}";

  url = g_strconcat (vigil_server_get_url (fixture->server), "api/v1/auth/register", NULL);
  msg = soup_message_new ("POST", url);
  bytes = g_bytes_new_static (body, strlen (body));
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_async (fixture->session, msg, G_PRIORITY_DEFAULT, NULL, NULL, NULL);

  while (vigil_api_calls_in_flight () == 0)
    g_main_context_iteration (NULL, TRUE);
  vigil_server_stop (fixture->server);
  vigil_test_api_wait_idle (fixture);
  soup_session_abort (fixture->session);
  vigil_test_drain_main_context ();

  g_assert_true (vigil_server_listen (fixture->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
}

/* Every field of every log record, from every thread. */
static GMutex log_mutex;
static GString *log_capture;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&log_mutex);
  if (log_capture != NULL)
    {
      for (gsize i = 0; i < n_fields; i++)
        {
          g_string_append_printf (log_capture, "%s=", fields[i].key);
          if (fields[i].length < 0)
            g_string_append (log_capture, fields[i].value);
          else
            g_string_append_len (log_capture, fields[i].value, fields[i].length);
          g_string_append_c (log_capture, '\n');
        }
    }
  g_mutex_unlock (&log_mutex);

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static void
assert_not_logged (const char *log,
                   const char *secret)
{
  if (secret == NULL)
    return;
  if (strstr (log, secret) != NULL)
    g_error ("A secret was logged: %s", log);
}

static void
test_no_secrets_in_logs (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *access = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *log = NULL;
  g_autoptr(VigilTestReply) verified = NULL;
  g_autoptr(VigilTestReply) mpin_login = NULL;
  g_autoptr(VigilTestReply) refreshed = NULL;
  g_autoptr(VigilTestReply) reused = NULL;
  g_autoptr(VigilTestReply) wrong = NULL;
  g_autoptr(VigilTestReply) signup = NULL;
  g_autoptr(VigilTestReply) walmart_login = NULL;
  g_autoptr(VigilTestReply) enrolled = NULL;
  g_autoptr(VigilTestReply) checked = NULL;
  g_autoptr(VigilTestReply) logout = NULL;
  g_autoptr(VigilTestReply) ws = NULL;
  GPtrArray *secrets = g_ptr_array_new_with_free_func (g_free);

  /* The writer sees debug messages too, whether or not they are shown. */
  g_mutex_lock (&log_mutex);
  log_capture = g_string_new (NULL);
  g_mutex_unlock (&log_mutex);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  register_user (fixture, PHONE);
  access = login (fixture, PHONE, "device-1", &refresh_token);
  wrong = verify_mpin (fixture, access, "135790");
  verified = verify_mpin (fixture, access, MPIN);
  vigil_test_assert_status (verified, 200);
  mpin_login = vigil_test_api_post (fixture, "/api/v1/auth/mpin-login", NULL,
                                    "{\"phone\":\"" PHONE "\",\"mpin\":\"" MPIN "\",\"device_id\":\"device-2\"}");
  vigil_test_assert_status (mpin_login, 200);
  refreshed = refresh (fixture, refresh_token);
  vigil_test_assert_status (refreshed, 200);
  reused = refresh (fixture, refresh_token);
  vigil_test_assert_status (reused, 401);
  signup = vigil_test_api_post (fixture, "/api/signup", NULL,
                                "{\"email\":\"ann@example.com\",\"password\":\"Walmart-Secret-77\"}");
  vigil_test_assert_status (signup, 201);
  walmart_login = vigil_test_api_post (fixture, "/api/login", NULL,
                                       "{\"email\":\"ann@example.com\",\"password\":\"Walmart-Secret-77\"}");
  vigil_test_assert_status (walmart_login, 200);
  checked = vigil_test_api_get (fixture, "/api/check-admin", vigil_test_reply_string (walmart_login, "access_token"));
  vigil_test_assert_status (checked, 403);
  enrolled = vigil_test_api_post (fixture, "/enroll/desk-42", NULL, "{\"password\":\"Maxidom-Secret-55\"}");
  vigil_test_assert_status (enrolled, 200);
  ws = vigil_test_api_post (fixture, "/verify_password/desk-42", NULL, "{\"password\":\"Maxidom-Wrong-55\"}");
  vigil_test_assert_status (ws, 200);
  logout = vigil_test_api_post (fixture, "/api/v1/auth/logout", vigil_test_reply_string (verified, "session_token"), NULL);
  vigil_test_assert_status (logout, 200);
  vigil_test_api_wait_idle (fixture);

  g_mutex_lock (&log_mutex);
  log = g_string_free (g_steal_pointer (&log_capture), FALSE);
  g_mutex_unlock (&log_mutex);

  /* Something was logged: the request lines at least. */
  g_assert_nonnull (strstr (log, "/api/v1/auth/verify-mpin"));

  g_ptr_array_add (secrets, g_strdup (PASSWORD));
  g_ptr_array_add (secrets, g_strdup (MPIN));
  g_ptr_array_add (secrets, g_strdup ("135790"));
  g_ptr_array_add (secrets, g_strdup ("Walmart-Secret-77"));
  g_ptr_array_add (secrets, g_strdup ("Maxidom-Secret-55"));
  g_ptr_array_add (secrets, g_strdup ("Maxidom-Wrong-55"));
  g_ptr_array_add (secrets, g_strdup (access));
  g_ptr_array_add (secrets, g_strdup (refresh_token));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (verified, "session_token")));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (mpin_login, "access_token")));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (mpin_login, "refresh_token")));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (mpin_login, "session_token")));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (refreshed, "access_token")));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (refreshed, "refresh_token")));
  g_ptr_array_add (secrets, g_strdup (vigil_test_reply_string (walmart_login, "access_token")));
  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (secrets, i);
      const char *signature = strrchr (secret, '.');

      assert_not_logged (log, secret);
      /* A token's signature alone would do as much harm. */
      if (signature != NULL)
        assert_not_logged (log, signature + 1);
    }
  g_ptr_array_unref (secrets);
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
  ADD ("/api/auth/register", test_register);
  ADD ("/api/auth/register/invalid", test_register_invalid);
  ADD ("/api/auth/body/validation", test_body_validation);
  ADD ("/api/auth/body/limit", test_body_limit);
  ADD ("/api/auth/login", test_login);
  ADD ("/api/auth/verify-mpin", test_verify_mpin);
  ADD ("/api/auth/verify-mpin/lockout", test_mpin_lockout);
  ADD ("/api/auth/mpin-login", test_mpin_login);
  ADD ("/api/auth/refresh/rotation", test_refresh_rotation);
  ADD ("/api/auth/logout", test_logout);
  ADD ("/api/auth/tokens", test_tokens);
  ADD ("/api/auth/bearer/required", test_bearer_required);
  ADD ("/api/auth/bearer/expired-and-tampered", test_expired_and_tampered_tokens);
  ADD ("/api/auth/routing", test_routing);
  ADD ("/api/auth/seed-examples", test_seed_examples);
  ADD ("/api/auth/client-gone", test_client_gone);
  ADD ("/api/auth/server-stops-mid-call", test_server_stops_mid_call);
  ADD ("/api/auth/no-secrets-in-logs", test_no_secrets_in_logs);
#undef ADD
  g_test_add ("/api/auth/rate-limit", Fixture, &strict, fixture_set_up, test_rate_limit, fixture_tear_down);

  return g_test_run ();
}
