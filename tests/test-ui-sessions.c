/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Sessions page in the real window, against a real engine and server
 * and a real WebSocket client: a streaming session shows up, filters
 * narrow the list, and Block (with its reason) reaches the client's
 * socket at once and the audit log. With -m perf, a measurement with
 * 10,000 sessions. */
#define G_LOG_DOMAIN "test-ui-sessions"

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "vigil-action-dialog.h"
#include "vigil-audit.h"
#include "vigil-sessions-page-private.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"
#include "vigil-window-private.h"

#define PASSWORD "Correct-Horse-Battery-9"
#define MPIN     "482916"

typedef struct
{
  VigilTestApi       api;
  VigilWindow       *window;
  VigilSessionsPage *page;
} Fixture;

/* Runs the main context until @condition holds; fails after 10 s. */
#define WAIT_UNTIL(condition)                                                   \
  G_STMT_START {                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;           \
    while (!(condition))                                                        \
      {                                                                         \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline_);                \
        if (!g_main_context_iteration (NULL, FALSE))                            \
          g_usleep (1000);                                                      \
      }                                                                         \
  } G_STMT_END

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  AdwViewStack *stack;

  vigil_test_api_set_up (&fixture->api, NULL);
  fixture->window = vigil_window_new (NULL, fixture->api.engine);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1024, 640);
  gtk_window_present (GTK_WINDOW (fixture->window));

  stack = _vigil_window_get_view_stack (fixture->window);
  fixture->page = VIGIL_SESSIONS_PAGE (adw_view_stack_get_child_by_name (stack, "sessions"));
  g_assert_true (VIGIL_IS_SESSIONS_PAGE (fixture->page));
  adw_view_stack_set_visible_child_name (stack, "sessions");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  VigilSessionList *list = _vigil_sessions_page_get_session_list (fixture->page);

  /* The page's model and everything it holds go with the window. */
  g_object_add_weak_pointer (G_OBJECT (list), (gpointer *) &list);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  vigil_test_drain_main_context ();
  WAIT_UNTIL (list == NULL);
  vigil_test_api_tear_down (&fixture->api);
}

/* A canara user after register, login and verify-mpin: a live session. */
typedef struct
{
  char *session_id;
  char *session_token;
} Account;

static void
account_clear (Account *account)
{
  g_free (account->session_id);
  g_free (account->session_token);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Account, account_clear)

static void
account_init (Fixture    *fixture,
              const char *phone,
              Account    *account)
{
  g_autofree char *body = NULL;
  g_autofree char *login = NULL;
  g_autoptr(VigilTestReply) registered = NULL;
  g_autoptr(VigilTestReply) logged_in = NULL;
  g_autoptr(VigilTestReply) verified = NULL;

  body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"mpin\":\"%s\"}", phone, PASSWORD, MPIN);
  registered = vigil_test_api_post (&fixture->api, "/api/v1/auth/register", NULL, body);
  vigil_test_assert_status (registered, 200);

  login = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"device_id\":\"pixel-%s\"}", phone, PASSWORD,
                           phone);
  logged_in = vigil_test_api_post (&fixture->api, "/api/v1/auth/login", NULL, login);
  vigil_test_assert_status (logged_in, 200);

  verified = vigil_test_api_post (&fixture->api, "/api/v1/auth/verify-mpin",
                                  vigil_test_reply_string (logged_in, "access_token"), "{\"mpin\":\"" MPIN "\"}");
  vigil_test_assert_status (verified, 200);
  account->session_id = g_strdup (vigil_test_reply_string (verified, "session_id"));
  account->session_token = g_strdup (vigil_test_reply_string (verified, "session_token"));
}

/* A WebSocket client of the behavior stream */

typedef struct
{
  SoupWebsocketConnection *conn;
  GQueue                   messages;     /* char * */
  gboolean                 closed;
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
}

static void
on_client_closed (SoupWebsocketConnection *conn,
                  gpointer                 user_data)
{
  ((Client *) user_data)->closed = TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection **conn = user_data;

  *conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static JsonObject *
client_next (Client *client)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  WAIT_UNTIL (!g_queue_is_empty (&client->messages));
  text = g_queue_pop_head (&client->messages);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static Client *
client_connect (Fixture       *fixture,
                const Account *account)
{
  g_autofree char *url = g_strdup_printf ("%sapi/v1/ws/behavior/%s?token=%s",
                                          vigil_server_get_url (fixture->api.server), account->session_id,
                                          account->session_token);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(JsonObject) hello = NULL;
  SoupWebsocketConnection *conn = NULL;
  Client *client = g_new0 (Client, 1);

  soup_session_websocket_connect_async (fixture->api.session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                        on_connected, &conn);
  WAIT_UNTIL (conn != NULL);
  client->conn = conn;
  g_queue_init (&client->messages);
  g_signal_connect (conn, "message", G_CALLBACK (on_client_message), client);
  g_signal_connect (conn, "closed", G_CALLBACK (on_client_closed), client);

  hello = client_next (client);
  g_assert_cmpstr (json_object_get_string_member (hello, "type"), ==, "connection_established");
  return client;
}

static void
client_free (Client *client)
{
  if (!client->closed)
    {
      soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      WAIT_UNTIL (client->closed);
    }
  g_signal_handlers_disconnect_by_data (client->conn, client);
  g_object_unref (client->conn);
  g_queue_clear_full (&client->messages, g_free);
  g_free (client);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static void
client_send_event (Client     *client,
                   const char *event_type)
{
  g_autofree char *text = g_strdup_printf ("{\"event_type\":\"%s\",\"data\":{\"screen\":\"transfer\"}}", event_type);
  g_autoptr(JsonObject) ack = NULL;

  soup_websocket_connection_send_text (client->conn, text);
  ack = client_next (client);
  g_assert_cmpstr (json_object_get_string_member (ack, "type"), ==, "data_received");
}

/* The page */

static guint
shown_count (Fixture *fixture)
{
  return g_list_model_get_n_items (_vigil_sessions_page_get_shown (fixture->page));
}

static gboolean
is_shown (Fixture    *fixture,
          const char *session_id)
{
  GListModel *shown = _vigil_sessions_page_get_shown (fixture->page);

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(VigilSessionItem) item = g_list_model_get_item (shown, i);

      if (g_strcmp0 (vigil_session_item_get_id (item), session_id) == 0)
        return TRUE;
    }
  return FALSE;
}

static guint
position_of (Fixture    *fixture,
             const char *session_id)
{
  GListModel *shown = _vigil_sessions_page_get_shown (fixture->page);

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(VigilSessionItem) item = g_list_model_get_item (shown, i);

      if (g_strcmp0 (vigil_session_item_get_id (item), session_id) == 0)
        return i;
    }
  g_assert_not_reached ();
}

static VigilAuditEntry *
find_audit (Fixture    *fixture,
            const char *action,
            const char *target)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = vigil_audit_list_recent (vigil_engine_get_store (fixture->api.engine), 200, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      VigilAuditEntry *entry = g_ptr_array_index (entries, i);

      if (g_str_equal (entry->action, action) && g_strcmp0 (entry->target, target) == 0)
        return g_ptr_array_steal_index (entries, i);
    }
  return NULL;
}

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  /* A new install: the page says what to do next. */
  WAIT_UNTIL (!vigil_session_list_get_loading (_vigil_sessions_page_get_session_list (fixture->page)));
  g_assert_cmpstr (_vigil_sessions_page_get_visible_state (fixture->page), ==, "empty");
  /* Nothing selected: no action asks for a reason. */
  gtk_widget_activate_action (GTK_WIDGET (fixture->page), "sessions.block", NULL);
  g_assert_null (_vigil_sessions_page_get_dialog (fixture->page));
}

static void
test_stream_filter_block (Fixture       *fixture,
                          gconstpointer  data)
{
  g_auto(Account) risky = { 0 };
  g_auto(Account) calm = { 0 };
  g_autoptr(Client) risky_client = NULL;
  g_autoptr(Client) calm_client = NULL;
  g_autoptr(JsonObject) push = NULL;
  g_autoptr(VigilAuditEntry) entry = NULL;
  g_autofree char *actor = g_strdup_printf ("console:%s", g_get_user_name ());
  VigilSessionList *list = _vigil_sessions_page_get_session_list (fixture->page);
  VigilSessionDetail *detail = _vigil_sessions_page_get_detail (fixture->page);
  AdwMessageDialog *dialog;
  VigilSessionItem *item;

  account_init (fixture, "9876543210", &risky);
  account_init (fixture, "9123456780", &calm);
  risky_client = client_connect (fixture, &risky);
  calm_client = client_connect (fixture, &calm);

  /* Events over the real socket: the sessions appear with their counts. */
  client_send_event (calm_client, "touch");
  client_send_event (risky_client, "mpin_failed");
  client_send_event (risky_client, "multiple_login_attempts");
  WAIT_UNTIL (is_shown (fixture, risky.session_id) && is_shown (fixture, calm.session_id));
  g_assert_cmpstr (_vigil_sessions_page_get_visible_state (fixture->page), ==, "list");
  item = vigil_session_list_lookup (list, risky.session_id);
  WAIT_UNTIL (vigil_session_item_get_events (item) == 2 && vigil_session_item_get_risk (item) >= 0.5);
  g_assert_cmpstr (vigil_session_item_get_user (item), ==, "9876543210");
  g_assert_cmpstr (vigil_session_item_get_device (item), ==, "pixel-9876543210");
  WAIT_UNTIL (vigil_session_item_get_events (vigil_session_list_lookup (list, calm.session_id)) == 1);

  /* Risky only, then search, narrow the list. */
  gtk_toggle_button_set_active (_vigil_sessions_page_get_risky_toggle (fixture->page), TRUE);
  g_assert_cmpuint (shown_count (fixture), ==, 1);
  g_assert_true (is_shown (fixture, risky.session_id));
  gtk_toggle_button_set_active (_vigil_sessions_page_get_risky_toggle (fixture->page), FALSE);
  g_assert_cmpuint (shown_count (fixture), ==, 2);
  gtk_editable_set_text (_vigil_sessions_page_get_search_entry (fixture->page), "91234");
  WAIT_UNTIL (shown_count (fixture) == 1);
  g_assert_true (is_shown (fixture, calm.session_id));
  gtk_editable_set_text (_vigil_sessions_page_get_search_entry (fixture->page), "no such user");
  WAIT_UNTIL (shown_count (fixture) == 0);
  g_assert_cmpstr (_vigil_sessions_page_get_visible_state (fixture->page), ==, "no-match");
  gtk_editable_set_text (_vigil_sessions_page_get_search_entry (fixture->page), "");
  WAIT_UNTIL (shown_count (fixture) == 2);

  /* Enter on a row (the column view's activation) opens its details:
   * its risk over time is charted. */
  g_signal_emit_by_name (_vigil_sessions_page_get_column_view (fixture->page), "activate",
                         position_of (fixture, risky.session_id));
  g_assert_true (vigil_session_detail_get_item (detail) == item);
  WAIT_UNTIL (!_vigil_session_detail_is_loading (detail) && _vigil_session_detail_get_chart_points (detail) >= 2);

  /* Block through the page's action: the reason comes first. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "sessions.block", NULL));
  dialog = _vigil_sessions_page_get_dialog (fixture->page);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, VIGIL_ACTION_DIALOG_APPLY));
  gtk_editable_set_text (vigil_action_dialog_get_entry (dialog), "Analyst: credential stuffing from this device");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, VIGIL_ACTION_DIALOG_APPLY));
  /* Enter in the reason applies, as the button would, and closes. */
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_signal_emit_by_name (vigil_action_dialog_get_entry (dialog), "activate");
  g_assert_null (_vigil_sessions_page_get_dialog (fixture->page));
  WAIT_UNTIL (dialog == NULL);

  push = client_next (risky_client);
  g_assert_cmpstr (json_object_get_string_member (push, "type"), ==, "session_blocked");
  g_assert_cmpstr (json_object_get_string_member (push, "reason"), ==,
                   "Analyst: credential stuffing from this device");
  WAIT_UNTIL (risky_client->closed);

  WAIT_UNTIL (_vigil_sessions_page_get_running (fixture->page) == 0);
  entry = find_audit (fixture, "session.block", risky.session_id);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->actor, ==, actor);
  g_assert_nonnull (strstr (entry->details, "credential stuffing"));

  /* The list shows it blocked (at its next update); the other session
   * goes on. */
  WAIT_UNTIL (g_strcmp0 (vigil_session_item_get_state (item), "blocked") == 0);
  g_assert_false (vigil_session_item_get_live (item));
  g_assert_false (calm_client->closed);
  client_send_event (calm_client, "scroll");
}

/* The measurement */

typedef struct
{
  GArray        *intervals_us;   /* gint64, between painted frames */
  gint64         last_frame_us;
  GtkAdjustment *adjustment;
  double         step;
  guint          frames;
  guint          limit;
  gboolean       done;
} Scroll;

static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  Scroll *scroll = user_data;
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  double upper = gtk_adjustment_get_upper (scroll->adjustment) - gtk_adjustment_get_page_size (scroll->adjustment);
  double value = gtk_adjustment_get_value (scroll->adjustment) + scroll->step;

  if (scroll->last_frame_us != 0)
    g_array_append_val (scroll->intervals_us, (gint64) { now - scroll->last_frame_us });
  scroll->last_frame_us = now;

  /* Down and back up again, like an analyst skimming. */
  if (scroll->step != 0 && (value >= upper || value <= 0))
    scroll->step = -scroll->step;
  gtk_adjustment_set_value (scroll->adjustment, CLAMP (value, 0, upper));
  if (scroll->step == 0)
    gtk_widget_queue_draw (widget);
  if (++scroll->frames >= scroll->limit)
    {
      scroll->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
on_after_paint (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

static void
test_bench (Fixture       *fixture,
            gconstpointer  data)
{
  VigilSessions *sessions = vigil_engine_get_sessions (fixture->api.engine);
  VigilSessionList *list = _vigil_sessions_page_get_session_list (fixture->page);
  GtkColumnView *view = _vigil_sessions_page_get_column_view (fixture->page);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (fixture->window));
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) redraws = g_array_new (FALSE, FALSE, sizeof (gint64));
  Scroll scroll = { intervals, 0, NULL, 96.0, 0, 600, FALSE };
  Scroll still = { redraws, 0, NULL, 0.0, 0, 120, FALSE };
  gint64 t0, t_model, t_frame;
  gboolean painted = FALSE;
  gulong handler;
  guint n;

  WAIT_UNTIL (!vigil_session_list_get_loading (list));
  vigil_session_list_set_interval (list, 0);
  for (guint i = 0; i < 10000; i++)
    {
      g_autofree char *claimed = g_strdup_printf ("user-%05u", i);
      g_autoptr(GError) error = NULL;
      VigilSession *session = vigil_sessions_ensure_stream (sessions, NULL, claimed, &error);

      g_assert_no_error (error);
      g_assert_nonnull (session);
    }
  vigil_test_api_wait_idle (&fixture->api);
  vigil_event_bus_flush (vigil_engine_get_event_bus (fixture->api.engine));

  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  t0 = g_get_monotonic_time ();
  vigil_session_list_flush (list);
  t_model = g_get_monotonic_time ();
  WAIT_UNTIL (painted);
  t_frame = g_get_monotonic_time ();
  g_signal_handler_disconnect (clock, handler);
  g_assert_cmpuint (g_list_model_get_n_items (_vigil_sessions_page_get_shown (fixture->page)), ==, 10000);

  /* The same window redrawn without scrolling: what a frame costs here
   * anyway (Xvfb, software rendering). */
  still.adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  gtk_widget_add_tick_callback (GTK_WIDGET (view), scroll_tick, &still, NULL);
  g_assert_true (vigil_test_wait_for (&still.done, 60000));
  g_array_sort (redraws, compare_gint64);

  scroll.adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  gtk_widget_add_tick_callback (GTK_WIDGET (view), scroll_tick, &scroll, NULL);
  g_assert_true (vigil_test_wait_for (&scroll.done, 60000));

  g_array_sort (intervals, compare_gint64);
  n = intervals->len;
  g_assert_cmpuint (n, >, 100);
  g_test_message ("10,000 sessions: model applied in %.1f ms, first frame after %.1f ms",
                  (t_model - t0) / 1000.0, (t_frame - t0) / 1000.0);
  g_test_message ("redrawing in place %u frames: interval p50 %.1f ms, p95 %.1f ms, max %.1f ms", redraws->len,
                  g_array_index (redraws, gint64, redraws->len / 2) / 1000.0,
                  g_array_index (redraws, gint64, redraws->len * 95 / 100) / 1000.0,
                  g_array_index (redraws, gint64, redraws->len - 1) / 1000.0);
  g_test_message ("scrolling %u frames: interval p50 %.1f ms, p95 %.1f ms, max %.1f ms", n,
                  g_array_index (intervals, gint64, n / 2) / 1000.0,
                  g_array_index (intervals, gint64, n * 95 / 100) / 1000.0,
                  g_array_index (intervals, gint64, n - 1) / 1000.0);
}

static void
test_no_display (void)
{
  g_test_skip ("No display: run under xvfb-run");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_A11Y", "test", FALSE);
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/sessions/no-display", test_no_display);
      return g_test_run ();
    }
  adw_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/ui/sessions/empty", test_empty);
  ADD ("/ui/sessions/stream-filter-block", test_stream_filter_block);
  if (g_test_perf ())
    ADD ("/ui/sessions/bench-10000", test_bench);
#undef ADD

  return g_test_run ();
}
