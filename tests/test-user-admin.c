/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Account administration, the user directory, the audit search and
 * export the console pages use, and the bus signals that tell them about
 * changes, below the widgets. */
#include "config.h"

#include <sodium.h>

#include "vigil-audit-query.h"
#include "vigil-auth-admin.h"
#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-test-block.h"
#include "vigil-test-util.h"
#include "vigil-user-directory.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)   /* 2026-01-01 */
#define ACTOR "console:tester"

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
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  VigilEngineOptions options;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (START_US);
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
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
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
create_user (Fixture    *fixture,
             const char *email,
             const char *phone,
             const char *password,
             VigilRole   role,
             GError    **error)
{
  VigilRegistration registration = { .email = email, .phone = phone, .password = password,
                                     .mpin = phone ? "123456" : NULL, .role = role };
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  vigil_auth_admin_create_user_async (fixture->auth, &registration, ACTOR, NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_auth_admin_create_user_finish (fixture->auth, result, error);
}

static VigilAuthResult *
login (Fixture    *fixture,
       const char *email,
       const char *password,
       GError    **error)
{
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  vigil_auth_login_async (fixture->auth, VIGIL_LOGIN_EMAIL, email, password, "device-1", FALSE,
                          "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_auth_login_finish (fixture->auth, result, error);
}

typedef enum { ACT_DISABLE, ACT_ENABLE, ACT_UNLOCK, ACT_DELETE } Act;

static gboolean
admin_act (Fixture    *fixture,
           Act         act,
           const char *user_id,
           GError    **error)
{
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  switch (act)
    {
    case ACT_DISABLE:
    case ACT_ENABLE:
      vigil_auth_admin_set_disabled_async (fixture->auth, user_id, act == ACT_DISABLE, ACTOR, NULL, on_done, &wait);
      result = wait_result (&wait);
      return vigil_auth_admin_set_disabled_finish (fixture->auth, result, error);
    case ACT_UNLOCK:
      vigil_auth_admin_unlock_mpin_async (fixture->auth, user_id, ACTOR, NULL, on_done, &wait);
      result = wait_result (&wait);
      return vigil_auth_admin_unlock_mpin_finish (fixture->auth, result, error);
    case ACT_DELETE:
    default:
      vigil_auth_admin_delete_user_async (fixture->auth, user_id, ACTOR, NULL, on_done, &wait);
      result = wait_result (&wait);
      return vigil_auth_admin_delete_user_finish (fixture->auth, result, error);
    }
}

static GPtrArray *
query_audit (Fixture                *fixture,
             const VigilAuditFilter *filter)
{
  VigilStore *store = vigil_engine_get_store (fixture->engine);
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  vigil_store_flush (store);
  vigil_audit_query_async (store, filter, 1000, NULL, on_done, &wait);
  result = wait_result (&wait);
  rows = vigil_audit_query_finish (store, result, &error);
  g_assert_no_error (error);
  return rows;
}

/* The newest entry of @action about @target, or NULL. */
static gboolean
audited (Fixture    *fixture,
         const char *action,
         const char *target)
{
  VigilAuditFilter filter = { .action = (char *) action, .target = (char *) target };
  g_autoptr(GPtrArray) rows = query_audit (fixture, &filter);

  for (guint i = 0; i < rows->len; i++)
    {
      const VigilAuditEntry *entry = vigil_audit_row_get_entry (g_ptr_array_index (rows, i));

      if (g_strcmp0 (entry->action, action) == 0 && g_strcmp0 (entry->actor, ACTOR) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_create_audited_and_policy (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(VigilUser) weak = NULL;
  g_autoptr(VigilAuthResult) result = NULL;

  user = create_user (fixture, "ana@example.com", NULL, "Correct-Horse-9", VIGIL_ROLE_ANALYST, &error);
  g_assert_no_error (error);
  g_assert_cmpint (user->role, ==, VIGIL_ROLE_ANALYST);
  g_assert_true (audited (fixture, "auth.register", user->id));

  weak = create_user (fixture, "weak@example.com", NULL, "short", VIGIL_ROLE_USER, &error);
  g_assert_null (weak);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  g_assert_null (create_user (fixture, "ana@example.com", NULL, "Correct-Horse-9", VIGIL_ROLE_USER, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT);
  g_clear_error (&error);

  result = login (fixture, "ana@example.com", "Correct-Horse-9", &error);
  g_assert_no_error (error);
  g_assert_nonnull (result->access_token);
}

static void
test_disable_enable (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = create_user (fixture, "bo@example.com", NULL, "Correct-Horse-9",
                                           VIGIL_ROLE_USER, &error);
  g_autoptr(VigilAuthResult) before = NULL;
  g_autoptr(VigilAuthResult) after = NULL;
  g_autoptr(VigilAuthResult) again = NULL;
  g_autoptr(VigilTokenClaims) claims = NULL;

  g_assert_no_error (error);
  before = login (fixture, "bo@example.com", "Correct-Horse-9", &error);
  g_assert_no_error (error);

  g_assert_true (admin_act (fixture, ACT_DISABLE, user->id, &error));
  g_assert_no_error (error);
  g_assert_true (audited (fixture, "admin.user_disabled", user->id));

  /* The token issued before no longer verifies, and no new login works. */
  claims = vigil_auth_authenticate (fixture->auth, before->access_token, -1, &error);
  g_assert_null (claims);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  after = login (fixture, "bo@example.com", "Correct-Horse-9", &error);
  g_assert_null (after);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  g_assert_true (admin_act (fixture, ACT_ENABLE, user->id, &error));
  g_assert_true (audited (fixture, "admin.user_enabled", user->id));
  again = login (fixture, "bo@example.com", "Correct-Horse-9", &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);

  g_assert_false (admin_act (fixture, ACT_DISABLE, "no-such-user", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
}

static VigilUserRow *
refresh_and_find (Fixture            *fixture,
                  VigilUserDirectory *directory,
                  const char         *user_id)
{
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_user_directory_refresh_async (directory, NULL, on_done, &wait);
  result = wait_result (&wait);
  g_assert_true (vigil_user_directory_refresh_finish (directory, result, &error));
  g_assert_no_error (error);
  return vigil_user_directory_lookup (directory, user_id);
}

static void
test_unlock_mpin_and_directory (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = create_user (fixture, NULL, "5550001111", "Correct-Horse-9",
                                           VIGIL_ROLE_USER, &error);
  g_autoptr(VigilUserDirectory) directory =
    vigil_user_directory_new (vigil_engine_get_store (fixture->engine));
  gint64 now = vigil_clock_now_us (fixture->clock);
  VigilUserRow *row;

  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      Wait wait = { 0 };
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(VigilAuthResult) denied = NULL;
      g_autoptr(GError) mpin_error = NULL;

      vigil_auth_mpin_login_async (fixture->auth, "5550001111", "000000", "device-1", NULL,
                                   "127.0.0.1", NULL, on_done, &wait);
      result = wait_result (&wait);
      denied = vigil_auth_mpin_login_finish (fixture->auth, result, &mpin_error);
      g_assert_null (denied);
    }

  row = refresh_and_find (fixture, directory, user->id);
  g_assert_nonnull (row);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (directory)), ==, 1);
  g_assert_cmpstr (vigil_user_row_get_name (row), ==, "5550001111");
  g_assert_true (vigil_user_row_is_mpin_locked (row, now));
  g_assert_cmpuint (vigil_user_row_get_models (row), ==, 0);

  g_assert_true (admin_act (fixture, ACT_UNLOCK, user->id, &error));
  g_assert_no_error (error);
  g_assert_true (audited (fixture, "admin.mpin_unlocked", user->id));
  row = refresh_and_find (fixture, directory, user->id);
  g_assert_false (vigil_user_row_is_mpin_locked (row, now));
  g_assert_cmpuint (vigil_user_row_get_user (row)->mpin_failed_attempts, ==, 0);
}

static void
test_delete_ends_sessions (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = create_user (fixture, NULL, "5550002222", "Correct-Horse-9",
                                           VIGIL_ROLE_USER, &error);
  g_autoptr(VigilAuthResult) session = NULL;
  g_autoptr(VigilUser) gone = NULL;
  VigilSessions *sessions = vigil_engine_get_sessions (fixture->engine);
  Wait wait = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_no_error (error);
  vigil_auth_mpin_login_async (fixture->auth, "5550002222", "123456", "device-1", NULL,
                               "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  session = vigil_auth_mpin_login_finish (fixture->auth, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session->session_id);
  g_assert_nonnull (vigil_sessions_lookup (sessions, session->session_id));

  g_assert_true (admin_act (fixture, ACT_DELETE, user->id, &error));
  g_assert_no_error (error);
  g_assert_null (vigil_sessions_lookup (sessions, session->session_id));
  gone = vigil_auth_lookup_user (fixture->auth, user->id, &error);
  g_assert_null (gone);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
  g_assert_true (audited (fixture, "admin.user_deleted", user->id));
}

/* Decisions, security events and a blocked live session go with the
 * account. */
static void
test_delete_after_block (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = create_user (fixture, NULL, "5550003333", "Correct-Horse-9",
                                           VIGIL_ROLE_USER, &error);
  g_autoptr(VigilSession) session = NULL;
  gint64 decisions = -1;

  g_assert_no_error (error);
  session = vigil_test_block_session (fixture->engine, user->id);
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_BLOCKED);

  g_assert_true (admin_act (fixture, ACT_DELETE, user->id, &error));
  g_assert_no_error (error);
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)),
                                     "SELECT count(*) FROM decisions", &decisions, &error));
  g_assert_cmpint (decisions, ==, 0);
  g_assert_null (vigil_sessions_lookup (vigil_engine_get_sessions (fixture->engine), vigil_session_get_id (session)));
}

static void
test_audit_filter_and_export (Fixture       *fixture,
                              gconstpointer  data)
{
  VigilStore *store = vigil_engine_get_store (fixture->engine);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) a = create_user (fixture, "one@example.com", NULL, "Correct-Horse-9", VIGIL_ROLE_USER, &error);
  g_autoptr(VigilUser) b = create_user (fixture, "two@example.com", NULL, "Correct-Horse-9", VIGIL_ROLE_USER, &error);
  VigilAuditFilter all = { 0 };
  VigilAuditFilter by_target = { .target = a->id };
  VigilAuditFilter by_text = { .text = (char *) "TWO@example" };
  VigilAuditFilter wildcard = { .text = (char *) "%" };
  VigilAuditFilter future = { .since_us = START_US + G_USEC_PER_SEC };
  g_autoptr(GPtrArray) every = NULL;
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(GPtrArray) text = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) later = NULL;
  g_autofree char *csv_path = g_build_filename (fixture->dir, "audit.csv", NULL);
  g_autofree char *json_path = g_build_filename (fixture->dir, "audit.json", NULL);
  g_autoptr(GFile) csv = g_file_new_for_path (csv_path);
  g_autoptr(GFile) json = g_file_new_for_path (json_path);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_no_error (error);
  every = query_audit (fixture, &all);
  one = query_audit (fixture, &by_target);
  text = query_audit (fixture, &by_text);
  none = query_audit (fixture, &wildcard);
  later = query_audit (fixture, &future);
  g_assert_cmpuint (every->len, >=, 2);
  g_assert_cmpuint (one->len, ==, 1);
  g_assert_cmpuint (text->len, ==, 1);
  g_assert_cmpstr (vigil_audit_row_get_entry (g_ptr_array_index (text, 0))->target, ==, b->id);
  g_assert_cmpuint (none->len, ==, 0);   /* the user's % is a character, not a wildcard */
  g_assert_cmpuint (later->len, ==, 0);
  g_assert_true (vigil_audit_filter_matches (&by_target, vigil_audit_row_get_entry (g_ptr_array_index (one, 0))));

  for (guint format = 0; format < 2; format++)
    {
      Wait wait = { 0 };
      g_autoptr(GAsyncResult) result = NULL;

      vigil_audit_export_async (store, &by_text, format == 0 ? csv : json, format, NULL, on_done, &wait);
      result = wait_result (&wait);
      g_assert_cmpint (vigil_audit_export_finish (store, result, &error), ==, 1);
      g_assert_no_error (error);
    }

  g_assert_true (g_file_get_contents (csv_path, &contents, NULL, &error));
  lines = g_strsplit (contents, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);   /* header, the row, "" */
  g_assert_true (g_str_has_prefix (lines[0], "id,at,actor,action,target"));
  g_assert_nonnull (strstr (lines[1], b->id));
  g_assert_nonnull (strstr (lines[1], "\"{\"\"role\"\":"));   /* details quoted as RFC 4180 says */

  g_assert_true (json_parser_load_from_file (parser, json_path, &error));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))), ==, 1);
}

/* What the event bus told about accounts and the audit log. */
typedef struct
{
  guint     audit;
  guint     users;
  gboolean  heard_audit;
  gboolean  heard_users;
  GThread  *main_thread;
  gboolean  on_main_thread;
} Notified;

static void
on_audit_appended (VigilEventBus *bus,
                   Notified      *notified)
{
  notified->audit++;
  notified->heard_audit = TRUE;
  notified->on_main_thread = notified->on_main_thread && g_thread_self () == notified->main_thread;
}

static void
on_user_changed (VigilEventBus *bus,
                 Notified      *notified)
{
  notified->users++;
  notified->heard_users = TRUE;
  notified->on_main_thread = notified->on_main_thread && g_thread_self () == notified->main_thread;
}

static void
notified_listen (Fixture  *fixture,
                 Notified *notified)
{
  VigilEventBus *bus = vigil_engine_get_event_bus (fixture->engine);

  memset (notified, 0, sizeof *notified);
  notified->main_thread = g_thread_self ();
  notified->on_main_thread = TRUE;
  g_signal_connect (bus, "audit-appended", G_CALLBACK (on_audit_appended), notified);
  g_signal_connect (bus, "user-changed", G_CALLBACK (on_user_changed), notified);
}

static void
notified_reset (Notified *notified)
{
  notified->audit = notified->users = 0;
  notified->heard_audit = notified->heard_users = FALSE;
}

/* Lets everything committed so far be told: the store's notification,
 * then the bus's tick. */
static void
settle (Fixture *fixture)
{
  vigil_store_flush (vigil_engine_get_store (fixture->engine));
  vigil_test_drain_main_context ();
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
}

static void
test_notify_audit_appended (Fixture       *fixture,
                            gconstpointer  data)
{
  VigilStore *store = vigil_engine_get_store (fixture->engine);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Notified notified;
  Wait wait = { 0 };

  notified_listen (fixture, &notified);
  vigil_audit_append_async (store, START_US, ACTOR, "test.notify", "target-1", NULL, NULL, NULL,
                            on_done, &wait);
  result = wait_result (&wait);
  g_assert_true (vigil_audit_append_finish (store, result, &error));
  g_assert_no_error (error);

  /* The main loop alone brings it, then nothing more for that append. */
  g_assert_true (vigil_test_wait_for (&notified.heard_audit, 30000));
  settle (fixture);
  g_assert_cmpuint (notified.audit, ==, 1);
  g_assert_cmpuint (notified.users, ==, 0);
  g_assert_true (notified.on_main_thread);
}

static void
test_notify_user_changed (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = NULL;
  Notified notified;

  notified_listen (fixture, &notified);
  user = create_user (fixture, "notified@example.com", NULL, "Correct-Horse-9", VIGIL_ROLE_USER, &error);
  g_assert_no_error (error);
  g_assert_true (vigil_test_wait_for (&notified.heard_users, 30000));
  settle (fixture);
  g_assert_cmpuint (notified.users, ==, 1);
  g_assert_cmpuint (notified.audit, ==, 1);   /* "auth.register" commits with it */
  g_assert_true (notified.on_main_thread);

  /* A duplicate is rolled back: no account changed, nothing appended. */
  notified_reset (&notified);
  g_assert_null (create_user (fixture, "notified@example.com", NULL, "Correct-Horse-9", VIGIL_ROLE_USER, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT);
  g_clear_error (&error);
  settle (fixture);
  g_assert_cmpuint (notified.users, ==, 0);
  g_assert_cmpuint (notified.audit, ==, 0);

  g_assert_true (admin_act (fixture, ACT_DISABLE, user->id, &error));
  g_assert_no_error (error);
  g_assert_true (vigil_test_wait_for (&notified.heard_users, 30000));
  settle (fixture);
  g_assert_cmpuint (notified.users, ==, 1);

  notified_reset (&notified);
  g_assert_true (admin_act (fixture, ACT_DELETE, user->id, &error));
  g_assert_no_error (error);
  g_assert_true (vigil_test_wait_for (&notified.heard_users, 30000));
}

static void
test_notify_not_after_shutdown (Fixture       *fixture,
                                gconstpointer  data)
{
  VigilStore *store = g_object_ref (vigil_engine_get_store (fixture->engine));
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Notified notified;
  Wait wait = { 0 };

  notified_listen (fixture, &notified);
  vigil_audit_append_async (store, START_US, ACTOR, "test.notify", "target-2", NULL, NULL, NULL,
                            on_done, &wait);
  /* The append commits while the store closes; nobody is told. */
  vigil_engine_shutdown (fixture->engine);
  result = wait_result (&wait);
  g_assert_true (vigil_audit_append_finish (store, result, &error));
  g_assert_no_error (error);
  vigil_test_drain_main_context ();
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  g_assert_cmpuint (notified.audit, ==, 0);
  g_object_unref (store);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add ("/user-admin/create", Fixture, NULL, fixture_set_up, test_create_audited_and_policy, fixture_tear_down);
  g_test_add ("/user-admin/disable-enable", Fixture, NULL, fixture_set_up, test_disable_enable, fixture_tear_down);
  g_test_add ("/user-admin/unlock-mpin", Fixture, NULL, fixture_set_up, test_unlock_mpin_and_directory, fixture_tear_down);
  g_test_add ("/user-admin/delete", Fixture, NULL, fixture_set_up, test_delete_ends_sessions, fixture_tear_down);
  g_test_add ("/user-admin/delete-after-block", Fixture, NULL, fixture_set_up, test_delete_after_block, fixture_tear_down);
  g_test_add ("/user-admin/audit-query", Fixture, NULL, fixture_set_up, test_audit_filter_and_export, fixture_tear_down);
  g_test_add ("/user-admin/notify/audit-appended", Fixture, NULL, fixture_set_up, test_notify_audit_appended, fixture_tear_down);
  g_test_add ("/user-admin/notify/user-changed", Fixture, NULL, fixture_set_up, test_notify_user_changed, fixture_tear_down);
  g_test_add ("/user-admin/notify/not-after-shutdown", Fixture, NULL, fixture_set_up, test_notify_not_after_shutdown, fixture_tear_down);

  return g_test_run ();
}
