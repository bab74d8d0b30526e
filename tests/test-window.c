/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window as a user sees it: the Server page shows the engine's
 * live figures, the About window opens, the window remembers its size. */
#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <adwaita.h>

#include "vigil-test-util.h"
#include "vigil-server-page-private.h"
#include "vigil-window-private.h"

typedef struct
{
  char         *dir;
  VigilEngine  *engine;
  VigilMetrics *metrics;
  VigilWindow  *window;
} Fixture;

static VigilServerPage *
server_page (Fixture *fixture)
{
  AdwViewStack *stack = _vigil_window_get_view_stack (fixture->window);
  GtkWidget *page = adw_view_stack_get_child_by_name (stack, "server");

  g_assert_true (VIGIL_IS_SERVER_PAGE (page));
  return VIGIL_SERVER_PAGE (page);
}

static const char *
field_text (Fixture          *fixture,
            VigilServerPageField  field)
{
  GtkLabel *label = _vigil_server_page_get_field_label (server_page (fixture), field);

  g_assert_true (GTK_IS_LABEL (label));
  return gtk_label_get_label (label);
}

static void
on_label_notify (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Waits until the label of @field shows something other than @from. */
static gboolean
wait_for_field_change (Fixture          *fixture,
                       VigilServerPageField  field,
                       const char       *from,
                       guint             timeout_ms)
{
  GtkLabel *label = _vigil_server_page_get_field_label (server_page (fixture), field);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_strcmp0 (gtk_label_get_label (label), from) == 0)
    {
      gboolean changed = FALSE;
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      gulong handler;

      if (left <= 0)
        return FALSE;

      handler = g_signal_connect (label, "notify::label", G_CALLBACK (on_label_notify), &changed);
      vigil_test_wait_for (&changed, (guint) left);
      g_signal_handler_disconnect (label, handler);
    }

  return TRUE;
}

static void
show_server_page (Fixture *fixture)
{
  AdwViewStack *stack = _vigil_window_get_view_stack (fixture->window);
  g_autoptr(GtkSelectionModel) pages = adw_view_stack_get_pages (stack);
  guint n_pages = g_list_model_get_n_items (G_LIST_MODEL (pages));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page",
                                             "i", (int) n_pages));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));
}

static VigilWindow *
create_window (Fixture *fixture)
{
  VigilWindow *window = vigil_window_new (NULL, fixture->engine);

  g_assert_true (VIGIL_IS_WINDOW (window));
  g_assert_true (vigil_window_get_engine (window) == fixture->engine);

  gtk_window_present (GTK_WINDOW (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (window));

  return window;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->engine = vigil_engine_new (fixture->dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_true (VIGIL_IS_ENGINE (fixture->engine));

  fixture->metrics = vigil_engine_get_metrics (fixture->engine);
  vigil_metrics_set_listen_url (fixture->metrics, "http://127.0.0.1:8123/");

  fixture->window = create_window (fixture);
}

static void
destroy_window (VigilWindow **window)
{
  VigilWindow *w = g_steal_pointer (window);

  if (w == NULL)
    return;

  g_object_ref (w);
  gtk_window_destroy (GTK_WINDOW (w));
  g_assert_finalize_object (w);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  destroy_window (&fixture->window);

  vigil_engine_shutdown (fixture->engine);
  g_clear_object (&fixture->engine);

  vigil_test_rm_rf (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
}

static void
test_server_page (Fixture       *fixture,
                  gconstpointer  user_data)
{
  AdwViewStack *stack = _vigil_window_get_view_stack (fixture->window);
  GtkWidget *page_child;
  VigilStore *store = vigil_engine_get_store (fixture->engine);
  g_autofree char *schema_version = NULL;

  /* The Server page is the last one; Alt+<its position> shows it. */
  show_server_page (fixture);
  page_child = adw_view_stack_get_visible_child (stack);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "server");
  g_assert_true (page_child == GTK_WIDGET (server_page (fixture)));
  g_assert_true (gtk_widget_get_mapped (page_child));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (
    _vigil_server_page_get_field_label (server_page (fixture), VIGIL_SERVER_PAGE_FIELD_LISTEN_URL))));

  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_LISTEN_URL), ==, "http://127.0.0.1:8123/");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_STATUS), ==, "Listening");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_REQUESTS_TOTAL), ==, "0");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_REQUESTS_PER_SECOND), ==, "0.0");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_STREAM_CONNECTIONS), ==, "0");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_MONITOR_CONNECTIONS), ==, "0");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_ACTIVE_SESSIONS), ==, "0");

  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_DATABASE_PATH), ==,
                   vigil_engine_get_database_path (fixture->engine));
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_DATA_DIR), ==,
                   vigil_engine_get_data_dir (fixture->engine));
  schema_version = g_strdup_printf ("%d", vigil_store_get_schema_version (store));
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_SCHEMA_VERSION), ==, schema_version);
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_JOURNAL_MODE), ==, "WAL");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_PENDING_WRITES), ==, "0");
}

static void
test_live_figures (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *uptime = g_strdup (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_UPTIME));
  g_autofree char *expected_rate = NULL;

  /* Counts follow the engine at once... */
  for (guint i = 0; i < 7; i++)
    vigil_metrics_record_request (fixture->metrics);
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_REQUESTS_TOTAL), ==, "7");

  vigil_metrics_connection_opened (fixture->metrics, VIGIL_CONNECTION_STREAM);
  vigil_metrics_connection_opened (fixture->metrics, VIGIL_CONNECTION_STREAM);
  vigil_metrics_connection_opened (fixture->metrics, VIGIL_CONNECTION_MONITOR);
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_STREAM_CONNECTIONS), ==, "2");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_MONITOR_CONNECTIONS), ==, "1");

  vigil_metrics_connection_closed (fixture->metrics, VIGIL_CONNECTION_STREAM);
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_STREAM_CONNECTIONS), ==, "1");

  vigil_metrics_set_active_sessions (fixture->metrics, 3);
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_ACTIVE_SESSIONS), ==, "3");

  /* ...the rate once the engine recomputes it, once a second. */
  g_assert_true (wait_for_field_change (fixture, VIGIL_SERVER_PAGE_FIELD_REQUESTS_PER_SECOND, "0.0", 5000));
  g_assert_cmpfloat (vigil_metrics_get_requests_per_second (fixture->metrics), >, 0.0);
  expected_rate = g_strdup_printf ("%.1f", vigil_metrics_get_requests_per_second (fixture->metrics));
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_REQUESTS_PER_SECOND), ==, expected_rate);

  /* The uptime ticks by itself. */
  g_assert_true (wait_for_field_change (fixture, VIGIL_SERVER_PAGE_FIELD_UPTIME, uptime, 3000));
  g_assert_true (g_regex_match_simple ("^[0-9]+:[0-9]{2}:[0-9]{2}$",
                                       field_text (fixture, VIGIL_SERVER_PAGE_FIELD_UPTIME), 0, 0));

  /* The server stops listening. */
  vigil_metrics_set_listen_url (fixture->metrics, NULL);
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_STATUS), ==, "Not Listening");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_LISTEN_URL), !=, "http://127.0.0.1:8123/");

  vigil_metrics_set_listen_url (fixture->metrics, "http://127.0.0.1:9000/");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_STATUS), ==, "Listening");
  g_assert_cmpstr (field_text (fixture, VIGIL_SERVER_PAGE_FIELD_LISTEN_URL), ==, "http://127.0.0.1:9000/");
}

typedef struct
{
  char     *text;
  gboolean  done;
} ClipboardRead;

static void
on_clipboard_read (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;
  g_autoptr(GError) error = NULL;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

static void
test_copy_address (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->window));
  ClipboardRead read = { NULL, FALSE };

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (server_page (fixture)),
                                             "server.copy-address", NULL));

  gdk_clipboard_read_text_async (clipboard, NULL, on_clipboard_read, &read);
  g_assert_true (vigil_test_wait_for (&read.done, 5000));
  g_assert_cmpstr (read.text, ==, "http://127.0.0.1:8123/");
  g_free (read.text);
}

static GtkWindow *
find_about_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (window))
        return window;
    }

  return NULL;
}

static void
test_about (Fixture       *fixture,
            gconstpointer  user_data)
{
  GtkWindow *about;

  g_assert_null (find_about_window ());

  vigil_window_show_about (fixture->window);
  about = find_about_window ();

  g_assert_nonnull (about);
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (fixture->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (about)));
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, "Vigil");
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_window_get_application_icon (ADW_ABOUT_WINDOW (about)), ==, APPLICATION_ID);

  gtk_test_widget_wait_for_draw (GTK_WIDGET (about));

  g_object_ref (about);
  gtk_window_destroy (about);
  g_assert_finalize_object (about);
}

static void
test_window_size_remembered (Fixture       *fixture,
                             gconstpointer  user_data)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettings) settings = NULL;
  int width, height;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      g_test_skip ("The io.vigil.Console schema is not available");
      return;
    }

  settings = g_settings_new_full (schema, NULL, NULL);

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 900, 600);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));

  /* Closing the way a user does saves the size... */
  g_object_ref (fixture->window);
  gtk_window_close (GTK_WINDOW (fixture->window));
  g_assert_finalize_object (g_steal_pointer (&fixture->window));

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 600);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));

  /* ...and the next window opens with it. */
  fixture->window = create_window (fixture);
  gtk_window_get_default_size (GTK_WINDOW (fixture->window), &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 600);
}

static void
test_resources (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new ();
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  g_autoptr(GError) error = NULL;
  GObject *overlay;

  /* GtkApplication loads these two by path; a typo would go unnoticed. */
  gtk_builder_add_from_resource (builder, "/io/vigil/Console/gtk/help-overlay.ui", &error);
  g_assert_no_error (error);
  overlay = gtk_builder_get_object (builder, "help_overlay");
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  gtk_window_destroy (GTK_WINDOW (overlay));

  /* A CSS parsing error warns, which G_DEBUG=fatal-warnings makes fatal. */
  gtk_css_provider_load_from_resource (css, "/io/vigil/Console/style.css");
}

static gboolean
focus_reaches (GPtrArray *visited,
               GtkWidget *control)
{
  for (guint i = 0; i < visited->len; i++)
    {
      GtkWidget *focus = g_ptr_array_index (visited, i);

      /* A GtkMenuButton's focus lands on its inner toggle button. */
      if (focus == control || gtk_widget_is_ancestor (focus, control))
        return TRUE;
    }

  return FALSE;
}

static void
test_keyboard_and_accessibility (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_autoptr(GPtrArray) controls = _vigil_window_list_controls (fixture->window);
  g_autoptr(GPtrArray) page_controls = _vigil_server_page_list_controls (server_page (fixture));
  g_autoptr(GPtrArray) visited = g_ptr_array_new ();
  g_autoptr(GtkSelectionModel) pages =
    adw_view_stack_get_pages (_vigil_window_get_view_stack (fixture->window));
  gboolean one_page = g_list_model_get_n_items (G_LIST_MODEL (pages)) == 1;

  /* The Server page's controls, with the window's own. */
  show_server_page (fixture);
  g_ptr_array_extend (controls, page_controls, NULL, NULL);

  /* Every control of the window is reached with Tab, in order... */
  for (guint i = 0; i < 40; i++)
    {
      GtkWidget *focus;

      gtk_widget_child_focus (GTK_WIDGET (fixture->window), GTK_DIR_TAB_FORWARD);
      focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
      if (focus != NULL)
        {
          /* ...never lands on something the user cannot see... */
          g_assert_true (gtk_widget_is_drawable (focus));
          g_assert_cmpint (gtk_widget_get_width (focus), >, 0);
          /* (a one-page stack shows the title, not its hidden switcher) */
          if (one_page)
            g_assert_null (gtk_widget_get_ancestor (focus, ADW_TYPE_VIEW_SWITCHER));
          /* ...and decoration (the figure tiles) is not a tab stop. */
          g_assert_false (GTK_IS_FLOW_BOX_CHILD (focus));
          g_ptr_array_add (visited, focus);
        }
    }

  g_assert_cmpuint (controls->len, >, 0);
  for (guint i = 0; i < controls->len; i++)
    {
      GtkWidget *control = g_ptr_array_index (controls, i);

      g_assert_true (focus_reaches (visited, control));
      /* Icon-only buttons need a name for screen readers. */
      g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (control),
                                                       GTK_ACCESSIBLE_PROPERTY_LABEL));
    }
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
  /* GTK's in-process accessibility backend: no AT-SPI bus is needed, and
   * accessible properties can still be checked. */
  g_setenv ("GTK_A11Y", "test", FALSE);

  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_add_func ("/window/no-display", test_no_display);
      return g_test_run ();
    }
  adw_init ();

  g_test_add ("/window/server-page", Fixture, NULL,
              fixture_set_up, test_server_page, fixture_tear_down);
  g_test_add ("/window/live-figures", Fixture, NULL,
              fixture_set_up, test_live_figures, fixture_tear_down);
  g_test_add ("/window/copy-address", Fixture, NULL,
              fixture_set_up, test_copy_address, fixture_tear_down);
  g_test_add ("/window/about", Fixture, NULL,
              fixture_set_up, test_about, fixture_tear_down);
  g_test_add ("/window/size-remembered", Fixture, NULL,
              fixture_set_up, test_window_size_remembered, fixture_tear_down);
  g_test_add ("/window/keyboard-and-accessibility", Fixture, NULL,
              fixture_set_up, test_keyboard_and_accessibility, fixture_tear_down);
  g_test_add_func ("/window/resources", test_resources);

  return g_test_run ();
}
