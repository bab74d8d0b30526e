/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilAuth's invariants, below the HTTP layer. */
#include "config.h"

#include <sodium.h>

#include "vigil-audit.h"
#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-test-util.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)   /* 2026-01-01 */

typedef struct
{
  char        *dir;
  VigilClock  *clock;
  VigilEngine *engine;
  VigilAuth   *auth;
} Fixture;

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
open_engine (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  VigilEngineOptions options;

  vigil_engine_options_init (&options);
  options.clock = fixture->clock;
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options.hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  options.rate_limit_burst = 50;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);
  fixture->auth = vigil_engine_get_auth (fixture->engine);
}

static void
close_engine (Fixture *fixture)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  fixture->auth = NULL;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (START_US);
  open_engine (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  close_engine (fixture);
  vigil_clock_unref (fixture->clock);
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
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

static GAsyncResult *
wait_result (Wait *wait)
{
  g_assert_true (vigil_test_wait_for (&wait->done, 30000));
  return wait->result;
}

static VigilUser *
register_user (Fixture    *fixture,
               const char *phone,
               const char *password,
               const char *mpin,
               GError    **error)
{
  VigilRegistration registration = { .phone = phone, .password = password, .mpin = mpin };
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  vigil_auth_register_async (fixture->auth, &registration, "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_auth_register_finish (fixture->auth, result, error);
}

static VigilAuthResult *
login (Fixture    *fixture,
       const char *phone,
       const char *password,
       GError    **error)
{
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  vigil_auth_login_async (fixture->auth, VIGIL_LOGIN_PHONE, phone, password, "device-1", TRUE,
                          "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_auth_login_finish (fixture->auth, result, error);
}

static VigilAuthResult *
verify_mpin (Fixture    *fixture,
             const char *access_token,
             const char *mpin,
             GError    **error)
{
  g_autoptr(VigilTokenClaims) caller = vigil_auth_authenticate (fixture->auth, access_token,
                                                                VIGIL_TOKEN_ACCESS, error);
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  if (caller == NULL)
    return NULL;
  vigil_auth_verify_mpin_async (fixture->auth, caller, mpin, NULL, "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_auth_verify_mpin_finish (fixture->auth, result, error);
}

static VigilAuthResult *
refresh (Fixture    *fixture,
         const char *refresh_token,
         GError    **error)
{
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  vigil_auth_refresh_async (fixture->auth, refresh_token, "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_auth_refresh_finish (fixture->auth, result, error);
}

static void
test_register_and_login (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = register_user (fixture, "9876543210", "SecurePassword123", "123456", &error);
  g_autoptr(VigilUser) again = NULL;
  g_autoptr(VigilAuthResult) session = NULL;
  g_autoptr(VigilTokenClaims) claims = NULL;

  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (user->id));
  g_assert_true (user->has_mpin);

  again = register_user (fixture, "9876543210", "testpassword123", "123456", &error);
  g_assert_null (again);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT);
  g_clear_error (&error);

  session = login (fixture, "9876543210", "SecurePassword123", &error);
  g_assert_no_error (error);
  g_assert_nonnull (session->access_token);
  g_assert_nonnull (session->refresh_token);
  g_assert_cmpint (session->expires_in_s, ==, 900);

  claims = vigil_auth_authenticate (fixture->auth, session->access_token, VIGIL_TOKEN_ACCESS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (claims->subject, ==, user->id);
  g_assert_cmpstr (claims->device_id, ==, "device-1");

  /* A refresh token is not an access token. */
  g_assert_null (vigil_auth_authenticate (fixture->auth, session->refresh_token, VIGIL_TOKEN_ACCESS, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
}

static void
test_unknown_and_wrong_answer_alike (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(GError) unknown = NULL;
  g_autoptr(GError) wrong = NULL;
  g_autoptr(VigilUser) user = register_user (fixture, "9876543210", "SecurePassword123", NULL, &wrong);
  g_autoptr(VigilAuthResult) a = NULL;
  g_autoptr(VigilAuthResult) b = NULL;

  g_assert_no_error (wrong);
  a = login (fixture, "9999999999", "SecurePassword123", &unknown);
  b = login (fixture, "9876543210", "WrongPassword123", &wrong);
  g_assert_null (a);
  g_assert_null (b);
  g_assert_error (unknown, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_assert_error (wrong, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (unknown->message, ==, wrong->message);
}

static void
test_mpin_lockout_survives_restart (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = register_user (fixture, "9876543210", "SecurePassword123", "123456", &error);
  g_autoptr(VigilAuthResult) session = login (fixture, "9876543210", "SecurePassword123", &error);
  g_autofree char *access = g_strdup (session->access_token);

  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr(VigilAuthResult) failed = verify_mpin (fixture, access, "000000", &error);

      g_assert_null (failed);
      /* The third failure is the one that locks. */
      if (i < 2)
        g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
      else
        g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_LOCKED);
      g_clear_error (&error);
    }

  /* Locked: even the right MPIN is refused, with a delay to wait. */
  g_assert_null (verify_mpin (fixture, access, "123456", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_LOCKED);
  g_assert_cmpuint (vigil_error_get_retry_after (error), ==, 15 * 60);
  g_clear_error (&error);

  close_engine (fixture);
  open_engine (fixture);
  g_assert_null (verify_mpin (fixture, access, "123456", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_LOCKED);
  g_clear_error (&error);

  /* The lock outlives the access token: log in again once it is over. */
  vigil_clock_advance (fixture->clock, 15 * 60 * G_USEC_PER_SEC);
  {
    g_autoptr(VigilAuthResult) fresh = login (fixture, "9876543210", "SecurePassword123", &error);
    g_autoptr(VigilAuthResult) verified = verify_mpin (fixture, fresh->access_token, "123456", &error);

    g_assert_no_error (error);
    g_assert_nonnull (verified->session_id);
    g_assert_nonnull (verified->session_token);
  }
}

static gboolean
audited (Fixture    *fixture,
         const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = vigil_audit_list_recent (vigil_engine_get_store (fixture->engine), 100, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      VigilAuditEntry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->action, action) && g_str_equal (entry->actor, "system"))
        return TRUE;
    }
  return FALSE;
}

/* A policy changed while running: new MPINs follow the new length, old
 * ones still verify, and the next wrong MPINs lock by the new numbers. */
static void
test_mpin_policy_applies_at_once (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) old = register_user (fixture, "9876543210", "SecurePassword123", "123456", &error);
  g_autoptr(VigilUser) refused = NULL;
  g_autoptr(VigilUser) fresh = NULL;
  g_autoptr(VigilAuthResult) session = NULL;
  g_autoptr(VigilAuthResult) verified = NULL;
  g_autofree char *access = NULL;

  g_assert_no_error (error);
  g_assert_false (audited (fixture, "settings.mpin_policy"));

  /* Refused as the engine options are; the policy stays. */
  g_assert_false (vigil_auth_set_mpin_policy (fixture->auth, 9, 2, 60, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_assert_cmpstr (error->message, ==, "The MPIN length must be 4 to 8 digits, not 9");
  g_clear_error (&error);
  g_assert_false (vigil_auth_set_mpin_policy (fixture->auth, 4, 0, 60, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpuint (vigil_auth_get_mpin_length (fixture->auth), ==, 6);

  g_assert_true (vigil_auth_set_mpin_policy (fixture->auth, 4, 2, 60, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_auth_get_mpin_length (fixture->auth), ==, 4);

  refused = register_user (fixture, "9876543211", "SecurePassword123", "123456", &error);
  g_assert_null (refused);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  fresh = register_user (fixture, "9876543211", "SecurePassword123", "1234", &error);
  g_assert_no_error (error);
  g_assert_true (fresh->has_mpin);

  session = login (fixture, "9876543210", "SecurePassword123", &error);
  g_assert_no_error (error);
  access = g_strdup (session->access_token);
  verified = verify_mpin (fixture, access, "123456", &error);
  g_assert_no_error (error);
  g_assert_nonnull (verified);

  /* Two wrong ones lock now, for one minute. */
  g_assert_null (verify_mpin (fixture, access, "000000", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_assert_null (verify_mpin (fixture, access, "000000", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_LOCKED);
  g_assert_cmpuint (vigil_error_get_retry_after (error), ==, 60);
  g_clear_error (&error);

  vigil_clock_advance (fixture->clock, 59 * G_USEC_PER_SEC);
  g_assert_null (verify_mpin (fixture, access, "123456", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_LOCKED);
  g_clear_error (&error);
  vigil_clock_advance (fixture->clock, 1 * G_USEC_PER_SEC);
  {
    g_autoptr(VigilAuthResult) again = verify_mpin (fixture, access, "123456", &error);

    g_assert_no_error (error);
    g_assert_nonnull (again);
  }
  g_assert_true (audited (fixture, "settings.mpin_policy"));
}

static void
test_refresh_rotation_and_reuse (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = register_user (fixture, "9876543210", "SecurePassword123", NULL, &error);
  g_autoptr(VigilAuthResult) first = login (fixture, "9876543210", "SecurePassword123", &error);
  g_autoptr(VigilAuthResult) second = refresh (fixture, first->refresh_token, &error);
  g_autoptr(VigilAuthResult) replay = NULL;
  g_autoptr(VigilTokenClaims) claims = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (second->refresh_token, !=, first->refresh_token);
  claims = vigil_auth_authenticate (fixture->auth, second->access_token, VIGIL_TOKEN_ACCESS, &error);
  g_assert_no_error (error);
  g_clear_pointer (&claims, vigil_token_claims_free);

  /* The first token again: someone copied it. Everything of this login
   * dies, including the pair the rotation handed out. */
  replay = refresh (fixture, first->refresh_token, &error);
  g_assert_null (replay);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  g_assert_null (vigil_auth_authenticate (fixture->auth, second->access_token, VIGIL_TOKEN_ACCESS, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_assert_null (refresh (fixture, second->refresh_token, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
}

static void
test_tokens_expire (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = register_user (fixture, "9876543210", "SecurePassword123", NULL, &error);
  g_autoptr(VigilAuthResult) session = login (fixture, "9876543210", "SecurePassword123", &error);

  vigil_clock_advance (fixture->clock, 901 * G_USEC_PER_SEC);
  g_assert_null (vigil_auth_authenticate (fixture->auth, session->access_token, VIGIL_TOKEN_ACCESS, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
}

static void
on_parallel_mpin (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  guint *counts = user_data;   /* [done, unauthorized, busy] */
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAuthResult) verified = vigil_auth_verify_mpin_finish (VIGIL_AUTH (source), result, &error);

  g_assert_null (verified);
  counts[0]++;
  if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
    counts[1]++;
  else if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_RATE_LIMITED))
    counts[2]++;
}

static void
test_parallel_mpin_guesses_are_serialised (Fixture       *fixture,
                                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = register_user (fixture, "9876543210", "SecurePassword123", "123456", &error);
  g_autoptr(VigilAuthResult) session = login (fixture, "9876543210", "SecurePassword123", &error);
  g_autoptr(VigilTokenClaims) caller = vigil_auth_authenticate (fixture->auth, session->access_token, -1, &error);
  guint counts[3] = { 0 };
  gboolean all_done = FALSE;

  for (int i = 0; i < 10; i++)
    vigil_auth_verify_mpin_async (fixture->auth, caller, "000000", NULL, "127.0.0.1", NULL,
                                  on_parallel_mpin, counts);
  while (counts[0] < 10)
    g_main_context_iteration (NULL, TRUE);
  all_done = TRUE;
  g_assert_true (all_done);

  /* Ten guesses at once: one was checked, the rest told to wait. */
  g_assert_cmpuint (counts[1], ==, 1);
  g_assert_cmpuint (counts[2], ==, 9);
}

static void
test_create_admin_promotes_with_password_only (Fixture       *fixture,
                                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  VigilRegistration registration = { .email = "Boss@Example.com", .password = "SecurePassword123" };
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(VigilUser) admin = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 }, wrong = { 0 };

  vigil_auth_register_async (fixture->auth, &registration, NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  user = vigil_auth_register_finish (fixture->auth, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->email, ==, "boss@example.com");
  g_clear_object (&result);

  vigil_auth_create_admin_async (fixture->auth, "boss@example.com", "NotThePassword1", NULL, on_done, &wrong);
  result = wait_result (&wrong);
  g_assert_null (vigil_auth_create_admin_finish (fixture->auth, result, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_clear_object (&result);

  memset (&wait, 0, sizeof wait);
  vigil_auth_create_admin_async (fixture->auth, "BOSS@example.com", "SecurePassword123", NULL, on_done, &wait);
  result = wait_result (&wait);
  admin = vigil_auth_create_admin_finish (fixture->auth, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (admin->id, ==, user->id);
  g_assert_cmpint (admin->role, ==, VIGIL_ROLE_ADMIN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/auth/register-and-login", test_register_and_login);
  ADD ("/auth/unknown-and-wrong-alike", test_unknown_and_wrong_answer_alike);
  ADD ("/auth/mpin/lockout-survives-restart", test_mpin_lockout_survives_restart);
  ADD ("/auth/mpin/parallel-guesses", test_parallel_mpin_guesses_are_serialised);
  ADD ("/auth/mpin/policy-applies-at-once", test_mpin_policy_applies_at_once);
  ADD ("/auth/refresh/rotation-and-reuse", test_refresh_rotation_and_reuse);
  ADD ("/auth/tokens/expire", test_tokens_expire);
  ADD ("/auth/create-admin/promote", test_create_admin_promotes_with_password_only);
#undef ADD

  return g_test_run ();
}
