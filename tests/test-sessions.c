/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilSessions below the HTTP layer: sequencing, commit-before-ack,
 * ownership, lifecycle, expiry, logs and recovery after a crash. */
#include "config.h"

#include <sodium.h>

#include <glib/gstdio.h>

#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-session-table.h"
#include "vigil-test-util.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

typedef struct
{
  char          *dir;
  VigilClock    *clock;
  VigilEngine   *engine;
  VigilSessions *sessions;
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
  options.max_batch_events = 10;
  options.session_buffer_events = 4;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);
  fixture->sessions = vigil_engine_get_sessions (fixture->engine);
}

static void
close_engine (Fixture *fixture)
{
  vigil_engine_shutdown (fixture->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&fixture->engine));
  fixture->sessions = NULL;
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
  if (fixture->engine != NULL)
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

static char *
make_user (Fixture *fixture)
{
  VigilRegistration registration = { .phone = "9876543210", .password = "SecurePassword123" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  Wait wait = { 0 };

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  return g_strdup (user->id);
}

static VigilSession *
start_session (Fixture    *fixture,
               const char *user_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  VigilSession *session;

  vigil_sessions_start_async (fixture->sessions, user_id, "device-1", NULL, "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  session = vigil_sessions_start_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  return session;
}

static GPtrArray *
make_events (guint       count,
             const char *type)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"event_type\":\"%s\",\"timestamp\":\"t%u\",\"data\":{\"i\":%u}}",
                                               type, i, i);
      g_autoptr(JsonNode) node = json_from_string (text, NULL);
      g_autoptr(GError) error = NULL;

      g_ptr_array_add (events, vigil_event_new_from_json (json_node_get_object (node), strlen (text), &error));
      g_assert_no_error (error);
    }
  return events;
}

static gint64
append (Fixture     *fixture,
        const char  *session_id,
        const char  *caller,
        GPtrArray   *events,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  vigil_sessions_append_async (fixture->sessions, session_id, caller, events, NULL, on_done, &wait);
  result = wait_result (&wait);
  return vigil_sessions_append_finish (fixture->sessions, result, error);
}

static gint64
stored_events (Fixture    *fixture,
               const char *session_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM events WHERE session_id = '%s'", session_id);
  g_autoptr(GError) error = NULL;
  gint64 count = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)),
                                     sql, &count, &error));
  return count;
}

static char *
end_session (Fixture    *fixture,
             const char *session_id,
             const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  char *path;

  vigil_sessions_end_async (fixture->sessions, session_id, reason, "allow", NULL, on_done, &wait);
  result = wait_result (&wait);
  path = vigil_sessions_end_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_append_sequences_and_commits (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) session = start_session (fixture, user);
  g_autoptr(GPtrArray) first = make_events (3, "touch");
  g_autoptr(GPtrArray) second = make_events (3, "keystroke");
  g_autoptr(GPtrArray) recent = NULL;
  g_autoptr(GError) error = NULL;
  const char *id = vigil_session_get_id (session);

  g_assert_cmpint (append (fixture, id, user, first, &error), ==, 3);
  /* Acknowledged means committed: a fresh read sees them. */
  g_assert_cmpint (stored_events (fixture, id), ==, 3);
  g_assert_cmpint (append (fixture, id, user, second, &error), ==, 6);
  g_assert_cmpint (stored_events (fixture, id), ==, 6);
  g_assert_cmpuint (vigil_session_get_event_count (session), ==, 6);

  /* The live buffer keeps the newest only; the store keeps all. */
  recent = vigil_session_get_recent_events (session);
  g_assert_cmpuint (recent->len, ==, 4);
  g_assert_cmpint (((VigilEvent *) recent->pdata[0])->seq, ==, 3);
  g_assert_cmpint (((VigilEvent *) recent->pdata[3])->seq, ==, 6);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (vigil_session_get_event_types (session), "touch")), ==, 3);
}

static void
test_append_refusals_store_nothing (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) session = start_session (fixture, user);
  g_autoptr(GPtrArray) too_many = make_events (11, "touch");
  g_autoptr(GPtrArray) some = make_events (1, "touch");
  g_autoptr(GPtrArray) more = make_events (1, "touch");
  g_autoptr(GError) error = NULL;
  const char *id = vigil_session_get_id (session);

  g_assert_cmpint (append (fixture, id, user, too_many, &error), <, 0);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_cmpint (append (fixture, id, "someone-else", some, &error), <, 0);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* The open stream never lands in an account's session. */
  g_assert_cmpint (append (fixture, id, NULL, more, &error), <, 0);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN);
  g_clear_error (&error);
  g_assert_null (vigil_sessions_ensure_stream (fixture->sessions, id, "mallory", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN);
  g_clear_error (&error);

  g_assert_cmpint (append (fixture, "no-such-session", user, some, &error), <, 0);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_cmpint (stored_events (fixture, id), ==, 0);
}

static void
test_stream_sessions (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  VigilSession *stream = vigil_sessions_ensure_stream (fixture->sessions, "session_abc_123", "user123", &error);
  g_autoptr(GPtrArray) events = make_events (2, "features");

  g_assert_no_error (error);
  g_assert_cmpint (vigil_session_get_kind (stream), ==, VIGIL_SESSION_KIND_STREAM);
  g_assert_cmpstr (vigil_session_get_claimed_user (stream), ==, "user123");
  g_assert_true (vigil_sessions_ensure_stream (fixture->sessions, "session_abc_123", NULL, &error) == stream);
  g_assert_cmpint (append (fixture, "session_abc_123", NULL, events, &error), ==, 2);

  g_assert_null (vigil_sessions_ensure_stream (fixture->sessions, "../../etc/passwd", NULL, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
}

static void
test_end_writes_the_seed_log (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) session = start_session (fixture, user);
  g_autoptr(GPtrArray) events = make_events (5, "button_click");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *id = g_strdup (vigil_session_get_id (session));
  g_autofree char *expected = NULL;
  g_autofree char *path = NULL;
  g_autofree char *again = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  JsonObject *log;
  JsonArray *logs;

  append (fixture, id, user, events, &error);
  g_assert_no_error (error);
  path = end_session (fixture, id, "end_session");

  expected = g_build_filename (fixture->dir, "behavior-logs", "logs", user, NULL);
  g_assert_true (g_str_has_prefix (path, expected));
  g_assert_true (g_str_has_suffix (path, ".json"));
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  log = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (log, "user_id"), ==, user);
  g_assert_cmpstr (json_object_get_string_member (log, "session_id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (log, "total_events"), ==, 5);
  g_assert_true (json_object_has_member (log, "uploaded_at"));
  logs = json_object_get_array_member (log, "logs");
  g_assert_cmpuint (json_array_get_length (logs), ==, 5);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (logs, 4), "timestamp"), ==, "t4");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (json_array_get_object_element (logs, 4), "data"), "i"), ==, 4);

  info = vigil_sessions_get_info (fixture->sessions, id, &error);
  g_assert_cmpstr (info->state, ==, "ended");
  g_assert_cmpstr (info->end_reason, ==, "end_session");
  g_assert_cmpstr (info->final_decision, ==, "allow");
  g_assert_cmpstr (info->log_path, ==, path);
  g_assert_null (vigil_sessions_lookup (fixture->sessions, id));

  /* Ending again answers the same log. */
  again = end_session (fixture, id, "again");
  g_assert_cmpstr (again, ==, path);
}

static void
test_lifecycle_and_disconnect (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) session = start_session (fixture, user);
  g_autoptr(GError) error = NULL;
  gboolean terminated = TRUE;
  const char *id = vigil_session_get_id (session);

  g_assert_true (vigil_sessions_lifecycle (fixture->sessions, id, VIGIL_LIFECYCLE_APP_BACKGROUND, &terminated, &error));
  g_assert_false (terminated);
  vigil_sessions_socket_attached (fixture->sessions, session);
  vigil_sessions_socket_detached (fixture->sessions, session);
  /* Backgrounded: losing the socket does not end it. */
  g_assert_nonnull (vigil_sessions_lookup (fixture->sessions, id));

  g_assert_true (vigil_sessions_lifecycle (fixture->sessions, id, VIGIL_LIFECYCLE_APP_FOREGROUND, &terminated, &error));
  vigil_sessions_socket_attached (fixture->sessions, session);
  vigil_sessions_socket_detached (fixture->sessions, session);
  g_assert_null (vigil_sessions_lookup (fixture->sessions, id));
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_ENDED);
  g_assert_cmpstr (vigil_session_get_end_reason (session), ==, VIGIL_END_REASON_DISCONNECT);

  g_assert_false (vigil_sessions_lifecycle (fixture->sessions, id, VIGIL_LIFECYCLE_APP_CLOSE, &terminated, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED);
}

static void
on_blocked (VigilSession *session,
            const char   *reason,
            gpointer      user_data)
{
  g_free (*(char **) user_data);
  *(char **) user_data = g_strdup (reason);
}

static void
test_block_and_idle_expiry (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) blocked = start_session (fixture, user);
  g_autoptr(VigilSession) idle = start_session (fixture, user);
  g_autoptr(VigilSession) busy = start_session (fixture, user);
  g_autoptr(GPtrArray) events = make_events (1, "touch");
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  g_signal_connect (blocked, "blocked", G_CALLBACK (on_blocked), &reason);
  g_assert_true (vigil_sessions_block (fixture->sessions, vigil_session_get_id (blocked), "Account takeover", &error));
  g_assert_cmpstr (reason, ==, "Account takeover");
  g_assert_cmpint (vigil_session_get_state (blocked), ==, VIGIL_SESSION_BLOCKED);

  vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (59) * 60 * G_USEC_PER_SEC);
  append (fixture, vigil_session_get_id (busy), user, events, &error);
  g_assert_no_error (error);
  vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (2) * 60 * G_USEC_PER_SEC);

  g_assert_cmpuint (vigil_sessions_expire_idle (fixture->sessions), ==, 1);
  g_assert_cmpstr (vigil_session_get_end_reason (idle), ==, VIGIL_END_REASON_IDLE);
  g_assert_nonnull (vigil_sessions_lookup (fixture->sessions, vigil_session_get_id (busy)));
}

/* A shorter expiry set while running ends a session already idle that
 * long at the next check; a zero is refused and changes nothing. */
static void
test_idle_expiry_changed_live (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) idle = start_session (fixture, user);
  g_autoptr(VigilSession) busy = start_session (fixture, user);
  g_autoptr(GPtrArray) events = make_events (1, "touch");
  g_autoptr(GError) error = NULL;

  vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (10) * 60 * G_USEC_PER_SEC);
  append (fixture, vigil_session_get_id (busy), user, events, &error);
  g_assert_no_error (error);
  vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (1) * 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (vigil_sessions_expire_idle (fixture->sessions), ==, 0);

  g_assert_false (vigil_sessions_set_idle_seconds (fixture->sessions, 0, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpuint (vigil_sessions_get_idle_seconds (fixture->sessions), ==, 60 * 60);

  g_assert_true (vigil_sessions_set_idle_seconds (fixture->sessions, 5 * 60, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_sessions_expire_idle (fixture->sessions), ==, 1);
  g_assert_cmpstr (vigil_session_get_end_reason (idle), ==, VIGIL_END_REASON_IDLE);
  g_assert_nonnull (vigil_sessions_lookup (fixture->sessions, vigil_session_get_id (busy)));

  /* The busy one goes by the new expiry too. */
  vigil_clock_advance (fixture->clock, G_GINT64_CONSTANT (4) * 60 * G_USEC_PER_SEC);
  g_assert_cmpuint (vigil_sessions_expire_idle (fixture->sessions), ==, 1);
  g_assert_null (vigil_sessions_lookup (fixture->sessions, vigil_session_get_id (busy)));
}

static void
test_restart_recovers_open_sessions (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autofree char *user = make_user (fixture);
  g_autoptr(VigilSession) session = start_session (fixture, user);
  g_autoptr(GPtrArray) events = make_events (7, "touch");
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autofree char *id = g_strdup (vigil_session_get_id (session));
  g_autofree char *logs = g_build_filename (fixture->dir, "behavior-logs", "logs", user, NULL);
  g_autofree char *partial = g_build_filename (logs, "leftover.json.AB12CD", NULL);

  append (fixture, id, user, events, &error);
  g_assert_no_error (error);

  /* A clean stop ends it; then make the store look as a kill leaves it:
   * the session still open, no log, and a half-written log file. */
  g_clear_object (&session);
  close_engine (fixture);
  {
    g_autofree char *db_path = g_build_filename (fixture->dir, "vigil.db", NULL);
    g_autoptr(VigilStore) store = vigil_store_open (db_path, VIGIL_STORE_SYNC_NORMAL, &error);
    g_autoptr(VigilSessionInfo) closed = NULL;
    g_autofree char *reopen = g_strdup_printf ("UPDATE sessions SET state = 'active', ended_at = NULL,"
                                               " end_reason = NULL, log_path = NULL WHERE id = '%s'", id);

    g_assert_no_error (error);
    closed = vigil_session_table_find (vigil_store_get_reader (store), id, &error);
    g_assert_cmpstr (closed->end_reason, ==, VIGIL_END_REASON_SHUTDOWN);
    g_assert_true (g_file_test (closed->log_path, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint (g_remove (closed->log_path), ==, 0);
    g_assert_true (vigil_db_exec (vigil_store_get_reader (store), reopen, &error));
    vigil_store_close (store);
  }
  g_assert_cmpint (g_mkdir_with_parents (logs, 0700), ==, 0);
  g_assert_true (g_file_set_contents (partial, "{\"user_id\":", -1, NULL));

  open_engine (fixture);
  info = vigil_sessions_get_info (fixture->sessions, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->state, ==, "ended");
  g_assert_cmpstr (info->end_reason, ==, VIGIL_END_REASON_SERVER_RESTART);
  g_assert_cmpint (info->event_count, ==, 7);
  g_assert_nonnull (info->log_path);
  g_assert_true (g_file_test (info->log_path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
  g_assert_cmpint (stored_events (fixture, id), ==, 7);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/sessions/append/sequence-and-commit", test_append_sequences_and_commits);
  ADD ("/sessions/append/refusals", test_append_refusals_store_nothing);
  ADD ("/sessions/stream", test_stream_sessions);
  ADD ("/sessions/end/log", test_end_writes_the_seed_log);
  ADD ("/sessions/lifecycle", test_lifecycle_and_disconnect);
  ADD ("/sessions/block-and-idle", test_block_and_idle_expiry);
  ADD ("/sessions/idle-changed-live", test_idle_expiry_changed_live);
  ADD ("/sessions/restart", test_restart_recovers_open_sessions);
#undef ADD

  return g_test_run ();
}
