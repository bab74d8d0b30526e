/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Live page as an analyst sees it: the real window over a real engine
 * and server; events sent by a real client over the real WebSocket reach
 * the ticker and the event-flow map; pausing freezes the ticker; the pages
 * switch from the view stack and with Alt+number. */
#define G_LOG_DOMAIN "test-ui-live"

#include "config.h"

#include <adwaita.h>

#include "vigil-live-page-private.h"
#include "vigil-live-ticker.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"
#include "vigil-ticker-model.h"
#include "vigil-window-private.h"

typedef struct
{
  VigilTestApi             api;
  VigilWindow             *window;
  SoupWebsocketConnection *conn;
  guint                    acks;
  gboolean                 closed;
  guint64                  bus_events;
} Fixture;

typedef gboolean (*Condition) (Fixture *fixture, gconstpointer data);

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main context (frames included) until @condition holds or
 * @timeout_ms pass. */
static gboolean
wait_until (Fixture       *fixture,
            Condition      condition,
            gconstpointer  data,
            guint          timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint wake_id = g_timeout_add (10, wake_cb, NULL);
  gboolean met;

  while (!(met = condition (fixture, data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (wake_id);
  return met;
}

static VigilLivePage *
live_page (Fixture *fixture)
{
  GtkWidget *page = adw_view_stack_get_child_by_name (_vigil_window_get_view_stack (fixture->window), "live");

  g_assert_true (VIGIL_IS_LIVE_PAGE (page));
  return VIGIL_LIVE_PAGE (page);
}

static void
on_message (SoupWebsocketConnection *conn,
            int                      type,
            GBytes                  *message,
            gpointer                 user_data)
{
  ((Fixture *) user_data)->acks++;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *fixture = user_data;
  g_autoptr(GError) error = NULL;

  fixture->conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static void
on_closed (SoupWebsocketConnection *conn,
           gpointer                 user_data)
{
  ((Fixture *) user_data)->closed = TRUE;
}

static gboolean
is_closed (Fixture *fixture, gconstpointer data)
{
  return fixture->closed;
}

static gboolean
is_connected (Fixture *fixture, gconstpointer data)
{
  return fixture->conn != NULL;
}

static void
on_bus_events (VigilEventBus *bus,
               GPtrArray     *events,
               Fixture       *fixture)
{
  fixture->bus_events += events->len;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  vigil_test_api_set_up (&fixture->api, NULL);
  g_signal_connect (vigil_engine_get_event_bus (fixture->api.engine), "events-received",
                    G_CALLBACK (on_bus_events), fixture);

  fixture->window = vigil_window_new (NULL, fixture->api.engine);
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1024, 640);
  gtk_window_present (GTK_WINDOW (fixture->window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));

  /* A cbsa client on the real /ws/behaviour. */
  url = g_strconcat (vigil_server_get_url (fixture->api.server), "ws/behaviour", NULL);
  msg = soup_message_new ("GET", url);
  soup_session_websocket_connect_async (fixture->api.session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, on_connected, fixture);
  g_assert_true (wait_until (fixture, is_connected, NULL, 10000));
  g_signal_connect (fixture->conn, "message", G_CALLBACK (on_message), fixture);
  g_signal_connect (fixture->conn, "closed", G_CALLBACK (on_closed), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  VigilWindow *window = g_steal_pointer (&fixture->window);

  /* The closing handshake ends before the server goes. */
  if (soup_websocket_connection_get_state (fixture->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (fixture->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_assert_true (wait_until (fixture, is_closed, NULL, 10000));
  g_signal_handlers_disconnect_by_data (fixture->conn, fixture);
  g_clear_object (&fixture->conn);
  vigil_test_drain_main_context ();

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (window);

  g_signal_handlers_disconnect_by_data (vigil_engine_get_event_bus (fixture->api.engine), fixture);
  vigil_test_api_tear_down (&fixture->api);
}

static gboolean
acks_reach (Fixture *fixture, gconstpointer data)
{
  return fixture->acks >= GPOINTER_TO_UINT (data);
}

static gboolean
bus_reaches (Fixture *fixture, gconstpointer data)
{
  return fixture->bus_events >= GPOINTER_TO_UINT (data);
}

/* Sends one event and waits until the server acknowledged it (committed)
 * and the engine's bus passed it on. */
static void
send_event (Fixture    *fixture,
            const char *session_id,
            const char *event_type)
{
  g_autofree char *text = g_strdup_printf ("{\"session_id\":\"%s\",\"user_id\":\"analyst-test\","
                                           "\"event_type\":\"%s\",\"data\":{\"x\":1}}",
                                           session_id, event_type);
  guint acks = fixture->acks + 1;
  guint64 seen = fixture->bus_events + 1;

  soup_websocket_connection_send_text (fixture->conn, text);
  g_assert_true (wait_until (fixture, acks_reach, GUINT_TO_POINTER (acks), 10000));
  g_assert_true (wait_until (fixture, bus_reaches, GUINT_TO_POINTER ((guint) seen), 10000));
}

static gboolean
ticker_has (Fixture *fixture, gconstpointer data)
{
  GListModel *ticker = _vigil_live_page_get_ticker (live_page (fixture));
  g_autoptr(VigilTickerSlot) top = g_list_model_get_item (ticker, 0);
  VigilLiveEvent *event = top ? vigil_ticker_slot_get_event (top) : NULL;

  return event != NULL && g_strcmp0 (vigil_live_event_get_event (event)->event_type, data) == 0;
}

static void
activate_shortcut (GtkWidget *widget,
                   guint      keyval,
                   GdkModifierType modifiers)
{
  g_autoptr(GtkShortcutTrigger) wanted = gtk_keyval_trigger_new (keyval, modifiers);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean found = FALSE;

  /* What a key press would run: the shortcut bound to that key. */
  for (guint i = 0; i < g_list_model_get_n_items (controllers) && !found; i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)) && !found; j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (!gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), wanted))
            continue;
          found = gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, widget,
                                                gtk_shortcut_get_arguments (shortcut));
        }
    }
  g_assert_true (found);
}

static void
test_pages_switch (Fixture       *fixture,
                   gconstpointer  user_data)
{
  AdwViewStack *stack = _vigil_window_get_view_stack (fixture->window);
  g_autoptr(GtkSelectionModel) pages = adw_view_stack_get_pages (stack);
  guint n_pages = g_list_model_get_n_items (G_LIST_MODEL (pages));
  g_autoptr(AdwViewStackPage) last = g_list_model_get_item (G_LIST_MODEL (pages), n_pages - 1);

  /* The window opens on Live, and Server is the last page. */
  g_assert_cmpuint (n_pages, >=, 2);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "live");
  g_assert_cmpstr (adw_view_stack_page_get_name (last), ==, "server");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (live_page (fixture))));

  /* The view switcher sets the stack's page. */
  adw_view_stack_set_visible_child_name (stack, "server");
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (live_page (fixture))));
  g_assert_true (gtk_widget_get_mapped (adw_view_stack_page_get_child (last)));

  /* Alt+1 goes back to Live, Alt+<last> to Server; past the last page
   * nothing happens. */
  activate_shortcut (GTK_WIDGET (fixture->window), GDK_KEY_1, GDK_ALT_MASK);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "live");
  activate_shortcut (GTK_WIDGET (fixture->window), GDK_KEY_0 + n_pages, GDK_ALT_MASK);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "server");
  if (n_pages < 9)
    {
      activate_shortcut (GTK_WIDGET (fixture->window), GDK_KEY_9, GDK_ALT_MASK);
      g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "server");
    }
}

static gboolean
screen_shows_rate (Fixture *fixture, gconstpointer data)
{
  VigilLivePage *page = live_page (fixture);
  g_autofree char *text = vigil_flow_graph_dup_rate_text (_vigil_live_page_get_graph (page),
                                                          GPOINTER_TO_UINT (data));
  g_autofree char *zero = NULL;
  double rate = 0;

  /* The text the node draws, as the user reads it. */
  zero = g_strdup_printf ("%.1f/s", rate);
  return g_strcmp0 (text, zero) != 0;
}

static gboolean
figure_not_zero (Fixture *fixture, gconstpointer data)
{
  GtkLabel *label = _vigil_live_page_get_field_label (live_page (fixture), GPOINTER_TO_UINT (data));

  return g_strcmp0 (gtk_label_get_label (label), "0") != 0;
}

static void
test_event_reaches_ticker_and_map (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  VigilLivePage *page = live_page (fixture);
  VigilFlowMap *map = _vigil_live_page_get_map (page);
  GListModel *ticker = _vigil_live_page_get_ticker (page);
  g_autoptr(VigilTickerSlot) top = NULL;
  g_autofree char *row = NULL;
  gboolean enters = FALSE;
  int cards = vigil_flow_map_lookup_event (map, "PAGE_ENTER_CARDS", &enters);

  g_assert_cmpint (cards, >=, 0);
  g_assert_true (enters);
  g_assert_cmpstr (vigil_flow_map_get_screen_name (map, (guint) cards), ==, "cards");

  /* Nothing yet: the empty state says how to connect. */
  g_assert_cmpstr (_vigil_live_page_get_state (page), ==, "empty");
  g_assert_cmpuint (g_list_model_get_n_items (ticker), ==, 0);
  g_assert_true (screen_shows_rate (fixture, GUINT_TO_POINTER ((guint) cards)) == FALSE);

  send_event (fixture, "ui-live-session-1", "PAGE_ENTER_CARDS");

  /* The ticker shows it, at the top, with its screen and session. */
  g_assert_true (wait_until (fixture, ticker_has, "PAGE_ENTER_CARDS", 5000));
  g_assert_cmpstr (_vigil_live_page_get_state (page), ==, "live");
  top = g_list_model_get_item (ticker, 0);
  row = vigil_live_ticker_dup_row_text (vigil_ticker_slot_get_event (top));
  g_assert_nonnull (strstr (row, "PAGE_ENTER_CARDS"));
  g_assert_nonnull (strstr (row, "cards"));
  g_assert_nonnull (strstr (row, "ui-live-"));
  g_assert_cmpuint (g_list_model_get_n_items (ticker), ==, 1);

  /* The map's "cards" node shows a rate; the figures follow. */
  g_assert_true (wait_until (fixture, screen_shows_rate, GUINT_TO_POINTER ((guint) cards), 5000));
  g_assert_cmpfloat (vigil_flow_graph_get_screen_rate (_vigil_live_page_get_graph (page), (guint) cards,
                                                       g_get_monotonic_time ()), >, 0);
  g_assert_true (wait_until (fixture, figure_not_zero,
                             GUINT_TO_POINTER (VIGIL_LIVE_PAGE_FIELD_EVENTS_PER_SECOND), 5000));
  g_assert_cmpstr (gtk_label_get_label (_vigil_live_page_get_field_label (page, VIGIL_LIVE_PAGE_FIELD_CONNECTIONS)),
                   ==, "1");

  /* An event shared by screens (search) counts where its session is. */
  send_event (fixture, "ui-live-session-1", "TOUCH_SEARCH");
  g_assert_true (wait_until (fixture, ticker_has, "TOUCH_SEARCH", 5000));
  g_clear_pointer (&row, g_free);
  g_clear_object (&top);
  top = g_list_model_get_item (ticker, 0);
  row = vigil_live_ticker_dup_row_text (vigil_ticker_slot_get_event (top));
  g_assert_nonnull (strstr (row, "cards"));
}

static void
test_pause_freezes_ticker (Fixture       *fixture,
                           gconstpointer  user_data)
{
  VigilLivePage *page = live_page (fixture);
  GListModel *ticker = _vigil_live_page_get_ticker (page);
  GtkWidget *button = _vigil_live_page_get_pause_button (page);

  send_event (fixture, "ui-live-session-2", "PAGE_ENTER_PAY");
  g_assert_true (wait_until (fixture, ticker_has, "PAGE_ENTER_PAY", 5000));

  /* The pause button, clicked. */
  g_assert_true (gtk_test_accessible_check_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                     "Pause Ticker") == NULL);
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (vigil_live_page_get_paused (page));
  g_assert_true (gtk_test_accessible_check_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                     "Resume Ticker") == NULL);

  /* Events go on arriving; the ticker stays as it was, frames later. */
  send_event (fixture, "ui-live-session-2", "PAY_AMOUNT");
  g_assert_false (wait_until (fixture, ticker_has, "PAY_AMOUNT", 500));
  g_assert_true (ticker_has (fixture, "PAGE_ENTER_PAY"));
  g_assert_cmpuint (g_list_model_get_n_items (ticker), ==, 1);

  /* Resuming shows what came meanwhile, newest first. */
  g_signal_emit_by_name (button, "clicked");
  g_assert_false (vigil_live_page_get_paused (page));
  g_assert_true (ticker_has (fixture, "PAY_AMOUNT"));
  g_assert_cmpuint (g_list_model_get_n_items (ticker), ==, 2);
}

static gboolean
figure_is (Fixture *fixture, gconstpointer data)
{
  GtkLabel *label = _vigil_live_page_get_field_label (live_page (fixture), VIGIL_LIVE_PAGE_FIELD_BLOCKED_TODAY);

  return g_strcmp0 (gtk_label_get_label (label), data) == 0;
}

static void
test_blocked_today (Fixture       *fixture,
                    gconstpointer  user_data)
{
  VigilSessions *sessions = vigil_engine_get_sessions (fixture->api.engine);
  g_autoptr(GError) error = NULL;

  g_assert_true (wait_until (fixture, figure_is, "0", 5000));
  send_event (fixture, "ui-live-session-3", "PAGE_ENTER_HOME");

  /* An analyst (or the risk engine) blocks the session: it counts once,
   * however many times the engine reports it. */
  g_assert_true (vigil_sessions_block (sessions, "ui-live-session-3", "test", &error));
  g_assert_no_error (error);
  g_assert_true (wait_until (fixture, figure_is, "1", 5000));
  vigil_test_api_wait_idle (&fixture->api);
  g_assert_false (wait_until (fixture, figure_is, "2", 300));
  g_assert_true (figure_is (fixture, "1"));
}

static void
test_ticker_model_keeps_newest (void)
{
  g_autoptr(VigilTickerModel) model = vigil_ticker_model_new (3);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(VigilTickerSlot) first = NULL;
  const char *types[] = { "A", "B", "C", "D", "E" };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(JsonNode) node = json_from_string ("{}", NULL);
      VigilEvent *event = vigil_event_new_raw (types[i], node, 2);

      g_ptr_array_add (batch, vigil_live_event_new (event, NULL));
      vigil_event_unref (event);
    }

  /* Two, then three more: the newest three stay, newest first, and the
   * slots the list already had keep their identity. */
  g_ptr_array_set_size (batch, 2);
  vigil_ticker_model_push (model, batch);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_cmpstr (vigil_live_event_get_event (vigil_ticker_slot_get_event (first))->event_type, ==, "B");

  g_ptr_array_set_size (batch, 0);
  for (guint i = 2; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(JsonNode) node = json_from_string ("{}", NULL);
      VigilEvent *event = vigil_event_new_raw (types[i], node, 2);

      g_ptr_array_add (batch, vigil_live_event_new (event, NULL));
      vigil_event_unref (event);
    }
  vigil_ticker_model_push (model, batch);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 3);
  g_assert_cmpstr (vigil_live_event_get_event (vigil_ticker_model_peek (model, 0))->event_type, ==, "E");
  g_assert_cmpstr (vigil_live_event_get_event (vigil_ticker_model_peek (model, 1))->event_type, ==, "D");
  g_assert_cmpstr (vigil_live_event_get_event (vigil_ticker_model_peek (model, 2))->event_type, ==, "C");
  g_assert_null (vigil_ticker_model_peek (model, 3));
  g_assert_cmpstr (vigil_live_event_get_event (vigil_ticker_slot_get_event (first))->event_type, ==, "E");
}

static void
test_no_display (void)
{
  g_test_skip ("No display available");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_A11Y", "test", FALSE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui-live/ticker-model", test_ticker_model_keeps_newest);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui-live/no-display", test_no_display);
      return g_test_run ();
    }
  adw_init ();

  g_test_add ("/ui-live/pages-switch", Fixture, NULL,
              fixture_set_up, test_pages_switch, fixture_tear_down);
  g_test_add ("/ui-live/event-reaches-ticker-and-map", Fixture, NULL,
              fixture_set_up, test_event_reaches_ticker_and_map, fixture_tear_down);
  g_test_add ("/ui-live/pause-freezes-ticker", Fixture, NULL,
              fixture_set_up, test_pause_freezes_ticker, fixture_tear_down);
  g_test_add ("/ui-live/blocked-today", Fixture, NULL,
              fixture_set_up, test_blocked_today, fixture_tear_down);

  return g_test_run ();
}
