/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Sessions page stands on: the session list model (coalesced
 * updates, newest first, ended sessions kept and loaded from the store),
 * the detail queries, and the analyst's actions with reason and audit. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "vigil-audit.h"
#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-session-actions.h"
#include "vigil-session-details.h"
#include "vigil-session-list.h"
#include "vigil-test-block.h"
#include "vigil-test-util.h"

#define START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)

typedef struct
{
  char          *dir;
  VigilClock    *clock;
  VigilEngine   *engine;
  VigilSessions *sessions;
  char          *user_id;
} Fixture;

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

static GAsyncResult *
wait_result (Wait *wait)
{
  g_assert_true (vigil_test_wait_for (&wait->done, 30000));
  return wait->result;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  VigilRegistration registration = { .phone = "9876543210", .password = "SecurePassword123" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(VigilUser) user = NULL;
  VigilEngineOptions options;
  Wait wait = { 0 };

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->clock = vigil_clock_new_manual (START_US);
  vigil_engine_options_init (&options);
  options.clock = fixture->clock;
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  options.hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options.hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  fixture->engine = vigil_engine_new_with_options (fixture->dir, &options, &error);
  g_assert_no_error (error);
  fixture->sessions = vigil_engine_get_sessions (fixture->engine);

  vigil_auth_register_async (vigil_engine_get_auth (fixture->engine), &registration, NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  user = vigil_auth_register_finish (vigil_engine_get_auth (fixture->engine), result, &error);
  g_assert_no_error (error);
  fixture->user_id = g_strdup (user->id);
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
  g_free (fixture->user_id);
}

static VigilSession *
start_session (Fixture    *fixture,
               const char *device)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };
  VigilSession *session;

  vigil_sessions_start_async (fixture->sessions, fixture->user_id, device, NULL, "127.0.0.1", NULL, on_done, &wait);
  result = wait_result (&wait);
  session = vigil_sessions_start_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  return session;
}

static void
append_events (Fixture    *fixture,
               const char *session_id,
               guint       count)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"event_type\":\"touch\",\"data\":{\"i\":%u}}", i);
      g_autoptr(JsonNode) node = json_from_string (text, NULL);

      g_ptr_array_add (events, vigil_event_new_from_json (json_node_get_object (node), strlen (text), &error));
      g_assert_no_error (error);
    }
  vigil_sessions_append_async (fixture->sessions, session_id, fixture->user_id, events, NULL, on_done, &wait);
  result = wait_result (&wait);
  g_assert_cmpint (vigil_sessions_append_finish (fixture->sessions, result, &error), >, 0);
  g_assert_no_error (error);
}

/* Lets the bus emit what it queued, then the list apply it. */
static void
settle (Fixture          *fixture,
        VigilSessionList *list)
{
  vigil_test_drain_main_context ();
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
  vigil_session_list_flush (list);
}

static void
count_cb (gpointer  object,
          gpointer  arg1,
          gpointer  arg2,
          gpointer  arg3,
          guint    *count)
{
  (*count)++;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_coalesced (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(VigilSessionList) list = vigil_session_list_new (fixture->engine, 0);
  g_autoptr(VigilSession) session = NULL;
  VigilSessionItem *item;
  guint items_changed = 0, events_notified = 0;

  vigil_session_list_set_interval (list, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  session = start_session (fixture, "device-1");
  settle (fixture, list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  item = vigil_session_list_lookup (list, vigil_session_get_id (session));
  g_assert_nonnull (item);
  g_assert_cmpstr (vigil_session_item_get_user (item), ==, "9876543210");
  g_assert_cmpstr (vigil_session_item_get_device (item), ==, "device-1");
  g_assert_cmpstr (vigil_session_item_get_state (item), ==, "active");
  g_assert_true (vigil_session_item_get_live (item));

  g_signal_connect (list, "items-changed", G_CALLBACK (count_cb), &items_changed);
  g_signal_connect (item, "notify::events", G_CALLBACK (count_notify), &events_notified);

  /* Fifty events in five commits, each heard on the bus: the list tells
   * nobody until it applies them, then once. */
  for (guint i = 0; i < 5; i++)
    {
      append_events (fixture, vigil_session_get_id (session), 10);
      vigil_test_drain_main_context ();
      vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));
    }
  g_assert_cmpuint (events_notified, ==, 0);
  g_assert_cmpuint (vigil_session_item_get_events (item), ==, 0);

  vigil_session_list_flush (list);
  g_assert_cmpuint (events_notified, ==, 1);
  g_assert_cmpuint (vigil_session_item_get_events (item), ==, 50);
  g_assert_cmpuint (items_changed, ==, 0);

  /* Nothing changed: nothing said. */
  vigil_session_list_flush (list);
  g_assert_cmpuint (events_notified, ==, 1);
  g_signal_handlers_disconnect_by_data (item, &events_notified);
}

/* An automatic block ends the session, and the risk engine forgets it,
 * before the list applies the change: the row still says "block", not an
 * earlier decision or none. */
static void
test_automatic_block (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(VigilSessionList) list = vigil_session_list_new (fixture->engine, 0);
  g_autoptr(VigilSession) session = NULL;
  VigilSessionItem *item;

  vigil_session_list_set_interval (list, 0);
  session = vigil_test_block_session (fixture->engine, fixture->user_id);
  settle (fixture, list);
  item = vigil_session_list_lookup (list, vigil_session_get_id (session));
  g_assert_nonnull (item);
  g_assert_cmpstr (vigil_session_item_get_state (item), ==, "blocked");
  g_assert_cmpstr (vigil_session_item_get_decision (item), ==, "block");
  g_assert_cmpfloat (vigil_session_item_get_risk (item), ==, 1.0);
}

static void
test_ordering (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(VigilSessionList) list = vigil_session_list_new (fixture->engine, 0);
  g_autoptr(VigilSession) first = NULL;
  g_autoptr(VigilSession) second = NULL;
  g_autoptr(VigilSession) third = NULL;
  g_autoptr(VigilSessionItem) top = NULL;
  g_autoptr(VigilSessionItem) bottom = NULL;
  guint items_changed = 0;

  vigil_session_list_set_interval (list, 0);
  first = start_session (fixture, "device-a");
  vigil_clock_advance (fixture->clock, 10 * G_USEC_PER_SEC);
  second = start_session (fixture, "device-b");
  vigil_clock_advance (fixture->clock, 10 * G_USEC_PER_SEC);
  third = start_session (fixture, "device-c");

  g_signal_connect (list, "items-changed", G_CALLBACK (count_cb), &items_changed);
  settle (fixture, list);
  /* Three new sessions at once: one change for all. */
  g_assert_cmpuint (items_changed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);

  top = g_list_model_get_item (G_LIST_MODEL (list), 0);
  bottom = g_list_model_get_item (G_LIST_MODEL (list), 2);
  g_assert_cmpstr (vigil_session_item_get_id (top), ==, vigil_session_get_id (third));
  g_assert_cmpstr (vigil_session_item_get_id (bottom), ==, vigil_session_get_id (first));
  g_assert_cmpint (vigil_session_item_get_started (top), >, vigil_session_item_get_started (bottom));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 3));
}

static void
on_loading (GObject    *object,
            GParamSpec *pspec,
            gboolean   *loaded)
{
  *loaded = !vigil_session_list_get_loading (VIGIL_SESSION_LIST (object));
}

#define WAIT_LOADED(list)                                                            \
  G_STMT_START {                                                                     \
    gboolean loaded_ = !vigil_session_list_get_loading (list);                       \
    gulong handler_ = g_signal_connect (list, "notify::loading", G_CALLBACK (on_loading), &loaded_); \
    g_assert_true (vigil_test_wait_for (&loaded_, 10000));                           \
    g_signal_handler_disconnect (list, handler_);                                    \
  } G_STMT_END

static void
test_ended (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(VigilSessionList) list = vigil_session_list_new (fixture->engine, 0);
  g_autoptr(VigilSessionList) later = NULL;
  g_autoptr(VigilSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  VigilSessionItem *item;
  gboolean loaded = FALSE;
  Wait wait = { 0 };

  vigil_session_list_set_interval (list, 0);
  session = start_session (fixture, "device-1");
  append_events (fixture, vigil_session_get_id (session), 3);
  vigil_clock_advance (fixture->clock, 90 * G_USEC_PER_SEC);
  settle (fixture, list);
  item = vigil_session_list_lookup (list, vigil_session_get_id (session));
  g_assert_true (vigil_session_item_get_live (item));

  vigil_sessions_end_async (fixture->sessions, vigil_session_get_id (session), "logout", NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  path = vigil_sessions_end_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
  settle (fixture, list);

  /* Still listed, as ended. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpstr (vigil_session_item_get_state (item), ==, "ended");
  g_assert_false (vigil_session_item_get_live (item));
  g_assert_cmpint (vigil_session_item_get_duration (item), ==, 90);

  /* A list made later finds it in the store. */
  later = vigil_session_list_new (fixture->engine, 10);
  g_assert_true (vigil_session_list_get_loading (later));
  g_signal_connect (later, "notify::loading", G_CALLBACK (on_loading), &loaded);
  g_assert_true (vigil_test_wait_for (&loaded, 10000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (later)), ==, 1);
  item = vigil_session_list_lookup (later, vigil_session_get_id (session));
  g_assert_nonnull (item);
  g_assert_cmpstr (vigil_session_item_get_user (item), ==, "9876543210");
  g_assert_cmpstr (vigil_session_item_get_state (item), ==, "ended");
  g_assert_cmpuint (vigil_session_item_get_events (item), ==, 3);
  g_assert_cmpint (vigil_session_item_get_duration (item), ==, 90);
  g_assert_false (vigil_session_item_get_live (item));
}

static void
end_session (Fixture      *fixture,
             VigilSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  Wait wait = { 0 };

  vigil_sessions_end_async (fixture->sessions, vigil_session_get_id (session), "logout", NULL, NULL, on_done, &wait);
  result = wait_result (&wait);
  path = vigil_sessions_end_finish (fixture->sessions, result, &error);
  g_assert_no_error (error);
}

static void
test_trim (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(VigilSessionList) list = vigil_session_list_new (fixture->engine, 1);
  g_autoptr(VigilSession) old = NULL;
  g_autoptr(VigilSession) newer = NULL;
  g_autoptr(VigilSession) open = NULL;

  vigil_session_list_set_interval (list, 0);
  WAIT_LOADED (list);
  old = start_session (fixture, "device-1");
  vigil_clock_advance (fixture->clock, G_USEC_PER_SEC);
  newer = start_session (fixture, "device-2");
  vigil_clock_advance (fixture->clock, G_USEC_PER_SEC);
  open = start_session (fixture, "device-3");
  settle (fixture, list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);

  /* One ended session is kept (the newest); open ones always are. */
  end_session (fixture, old);
  end_session (fixture, newer);
  settle (fixture, list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  g_assert_nonnull (vigil_session_list_lookup (list, vigil_session_get_id (open)));
  g_assert_nonnull (vigil_session_list_lookup (list, vigil_session_get_id (newer)));
  g_assert_null (vigil_session_list_lookup (list, vigil_session_get_id (old)));
}

static gboolean
run_action (Fixture             *fixture,
            const char          *session_id,
            VigilSessionAction   action,
            const char          *reason,
            GError             **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait wait = { 0 };

  vigil_session_action_run_async (fixture->engine, session_id, action, "console:analyst", reason, NULL, on_done,
                                  &wait);
  result = wait_result (&wait);
  return vigil_session_action_run_finish (fixture->engine, result, error);
}

/* The newest audit entry with @action. */
static VigilAuditEntry *
find_audit (Fixture    *fixture,
            const char *action)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = vigil_audit_list_recent (vigil_engine_get_store (fixture->engine), 100, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      VigilAuditEntry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->action, action))
        return g_ptr_array_steal_index (entries, i);
    }
  return NULL;
}

static gboolean
on_blocked (VigilSession *session,
            const char   *reason,
            char        **out)
{
  *out = g_strdup (reason);
  return FALSE;
}

static void
test_actions (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, "device-1");
  g_autoptr(VigilAuditEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pushed = NULL;
  const char *id = vigil_session_get_id (session);

  /* No reason, no action. */
  g_assert_false (run_action (fixture, id, VIGIL_SESSION_ACTION_BLOCK, "   ", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_ACTIVE);

  g_assert_true (run_action (fixture, id, VIGIL_SESSION_ACTION_REQUIRE_MPIN, "Odd typing", &error));
  g_assert_no_error (error);
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_MONITOR);
  entry = find_audit (fixture, "session.require_mpin");
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->actor, ==, "console:analyst");
  g_assert_cmpstr (entry->target, ==, id);
  g_assert_nonnull (strstr (entry->details, "Odd typing"));
  g_clear_pointer (&entry, vigil_audit_entry_free);

  /* The socket path hears the block at once, with the analyst's reason. */
  g_signal_connect (session, "blocked", G_CALLBACK (on_blocked), &pushed);
  g_assert_true (run_action (fixture, id, VIGIL_SESSION_ACTION_BLOCK, "Card testing from a new device", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pushed, ==, "Card testing from a new device");
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_BLOCKED);
  g_assert_null (vigil_sessions_lookup (fixture->sessions, id));
  entry = find_audit (fixture, "session.block");
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->actor, ==, "console:analyst");
  g_assert_nonnull (strstr (entry->details, "Card testing from a new device"));
  g_clear_pointer (&entry, vigil_audit_entry_free);

  /* Over: it cannot be blocked or ended again, only marked safe. */
  g_assert_false (run_action (fixture, id, VIGIL_SESSION_ACTION_END, "again", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_false (run_action (fixture, "no-such-session", VIGIL_SESSION_ACTION_BLOCK, "x", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_signal_handlers_disconnect_by_data (session, &pushed);
}

static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  gint64 value = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (vigil_engine_get_store (fixture->engine)), sql,
                                     &value, &error));
  g_assert_no_error (error);
  return value;
}

static void
test_allow_and_details (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(VigilSession) session = start_session (fixture, "device-1");
  g_autoptr(VigilSessionDetails) details = NULL;
  g_autoptr(VigilRiskDecision) decision = NULL;
  g_autoptr(VigilAuditEntry) entry = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) analyzed = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GError) error = NULL;
  const char *id = vigil_session_get_id (session);
  Wait wait = { 0 }, analysis = { 0 };

  append_events (fixture, id, 4);
  vigil_test_drain_main_context ();
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->engine));

  /* An explicit analysis always stores its decision. */
  vigil_risk_analyze_async (vigil_engine_get_risk (fixture->engine), fixture->user_id, id, events, NULL, on_done,
                            &analysis);
  analyzed = wait_result (&analysis);
  decision = vigil_risk_analyze_finish (vigil_engine_get_risk (fixture->engine), analyzed, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decision->id);

  g_assert_true (run_action (fixture, id, VIGIL_SESSION_ACTION_ALLOW, "Known customer, travelling", &error));
  g_assert_no_error (error);
  entry = find_audit (fixture, "session.allow");
  g_assert_nonnull (entry);
  g_assert_nonnull (strstr (entry->details, decision->id));
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM feedback WHERE label = 'allow'"), ==,
                   decision->decision == VIGIL_DECISION_ALLOW || decision->decision == VIGIL_DECISION_BLOCK ? 1 : 0);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM feedback"), ==, 1);

  vigil_session_details_load_async (fixture->engine, id, NULL, on_done, &wait);
  result = wait_result (&wait);
  details = vigil_session_details_load_finish (fixture->engine, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (details->device_id, ==, "device-1");
  g_assert_cmpuint (details->events->len, ==, 4);
  g_assert_cmpint (((VigilEvent *) g_ptr_array_index (details->events, 0))->seq, ==, 1);
  g_assert_cmpint (((VigilEvent *) g_ptr_array_index (details->events, 3))->seq, ==, 4);
  g_assert_cmpuint (details->risk_history->len, >=, 1);
  g_assert_nonnull (details->decision);
  g_assert_cmpuint (details->security_events->len, >=, 1);
}

static void
test_details_unknown (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Wait wait = { 0 };

  vigil_session_details_load_async (fixture->engine, "no-such-session", NULL, on_done, &wait);
  result = wait_result (&wait);
  g_assert_null (vigil_session_details_load_finish (fixture->engine, result, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/session-list/coalesced", test_coalesced);
  ADD ("/session-list/ordering", test_ordering);
  ADD ("/session-list/automatic-block", test_automatic_block);
  ADD ("/session-list/ended", test_ended);
  ADD ("/session-list/trim", test_trim);
  ADD ("/session-actions/block-require-mpin", test_actions);
  ADD ("/session-actions/allow-and-details", test_allow_and_details);
  ADD ("/session-details/unknown", test_details_unknown);
#undef ADD

  return g_test_run ();
}
