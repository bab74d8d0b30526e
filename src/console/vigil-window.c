/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-window"

#include "config.h"

#include "vigil-window.h"
#include "vigil-window-private.h"

#include <glib/gi18n.h>

#include "vigil-audit-page.h"
#include "vigil-decision-notifier.h"
#include "vigil-preferences-window.h"
#include "vigil-resources.h"
#include "vigil-users-page.h"

/* The main window: a header bar with a view switcher over an AdwViewStack
 * whose pages show the engine live. The Server page is built here; later
 * pages are children of the stack in ui/vigil-window.ui. */

struct _VigilWindow
{
  AdwApplicationWindow  parent_instance;

  VigilEngine          *engine;
  VigilMetrics         *metrics;
  GSettings            *settings;
  GtkSelectionModel    *pages;
  GCancellable         *cancellable;
  guint                 tick_id;
  VigilDecisionNotifier *notifier;
  VigilPreferencesWindow *preferences;   /* weak */

  /* Template widgets */
  AdwViewStack         *view_stack;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  AdwToastOverlay      *toast_overlay;
  GtkWidget            *primary_menu_button;
  GtkWidget            *copy_url_button;
  GtkWidget            *open_folder_button;
  GtkLabel             *listen_url_label;
  GtkWidget            *status_dot;
  GtkLabel             *status_label;
  GtkLabel             *uptime_label;
  GtkLabel             *requests_per_second_label;
  GtkLabel             *requests_total_label;
  GtkLabel             *stream_connections_label;
  GtkLabel             *monitor_connections_label;
  GtkLabel             *active_sessions_label;
  GtkLabel             *database_path_label;
  GtkLabel             *data_dir_label;
  GtkLabel             *schema_version_label;
  GtkLabel             *journal_mode_label;
  GtkLabel             *pending_writes_label;
};

G_DEFINE_FINAL_TYPE (VigilWindow, vigil_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_label_if_changed (GtkLabel   *label,
                      const char *text)
{
  /* Selectable labels lose their selection on every set_text, so leave
   * them alone when the figure has not changed. */
  if (g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
}

static void
set_label_count (GtkLabel *label,
                 guint64   value)
{
  /* The ' flag groups thousands the way the user's locale does. */
  g_autofree char *text = g_strdup_printf ("%'" G_GUINT64_FORMAT, value);

  set_label_if_changed (label, text);
}

static char *
format_uptime (gint64 seconds)
{
  guint64 s = (guint64) MAX (seconds, 0);
  guint days = (guint) MIN (s / 86400, G_MAXUINT);
  guint hours = (guint) (s % 86400 / 3600);
  guint minutes = (guint) (s % 3600 / 60);
  guint secs = (guint) (s % 60);

  if (days > 0)
    {
      g_autofree char *days_text =
        g_strdup_printf (ngettext ("%u day", "%u days", days), days);

      /* Translators: "3 days, 4:05:06" — days, then hours:minutes:seconds */
      return g_strdup_printf (_("%s, %u:%02u:%02u"), days_text, hours, minutes, secs);
    }

  return g_strdup_printf ("%u:%02u:%02u", hours, minutes, secs);
}

static void
update_listen_url (VigilWindow *self)
{
  const char *url = vigil_metrics_get_listen_url (self->metrics);
  gboolean listening = url != NULL && url[0] != '\0';

  if (listening)
    {
      set_label_if_changed (self->listen_url_label, url);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->listen_url_label), url);
      set_label_if_changed (self->status_label, _("Listening"));
      gtk_widget_remove_css_class (self->status_dot, "offline");
    }
  else
    {
      set_label_if_changed (self->listen_url_label, _("Unavailable"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->listen_url_label), NULL);
      set_label_if_changed (self->status_label, _("Not Listening"));
      gtk_widget_add_css_class (self->status_dot, "offline");
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-address", listening);
}

static void
update_requests_total (VigilWindow *self)
{
  set_label_count (self->requests_total_label,
                   vigil_metrics_get_requests_total (self->metrics));
}

static void
update_requests_per_second (VigilWindow *self)
{
  g_autofree char *text =
    g_strdup_printf ("%.1f", vigil_metrics_get_requests_per_second (self->metrics));

  set_label_if_changed (self->requests_per_second_label, text);
}

static void
update_connections (VigilWindow *self)
{
  set_label_count (self->stream_connections_label,
                   vigil_metrics_get_active_connections (self->metrics));
  set_label_count (self->monitor_connections_label,
                   vigil_metrics_get_monitor_connections (self->metrics));
}

static void
update_active_sessions (VigilWindow *self)
{
  set_label_count (self->active_sessions_label,
                   vigil_metrics_get_active_sessions (self->metrics));
}

static void
update_clock (VigilWindow *self)
{
  g_autofree char *uptime =
    format_uptime (vigil_metrics_get_uptime_seconds (self->metrics));
  VigilStore *store = vigil_engine_get_store (self->engine);

  set_label_if_changed (self->uptime_label, uptime);

  /* The store has no signal for its queue; poll it with the clock. */
  if (store != NULL)
    set_label_count (self->pending_writes_label, vigil_store_get_pending_writes (store));
}

static gboolean
tick_cb (gpointer user_data)
{
  update_clock (VIGIL_WINDOW (user_data));

  return G_SOURCE_CONTINUE;
}

static void
update_storage (VigilWindow *self)
{
  VigilStore *store = vigil_engine_get_store (self->engine);
  const char *database_path = vigil_engine_get_database_path (self->engine);
  const char *data_dir = vigil_engine_get_data_dir (self->engine);

  set_label_if_changed (self->database_path_label, database_path ? database_path : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->database_path_label), database_path);
  set_label_if_changed (self->data_dir_label, data_dir ? data_dir : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->data_dir_label), data_dir);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-database-folder",
                                 database_path != NULL);

  if (store != NULL)
    {
      g_autofree char *version =
        g_strdup_printf ("%d", vigil_store_get_schema_version (store));
      const char *journal_mode = vigil_store_get_journal_mode (store);
      g_autofree char *journal_upper =
        journal_mode ? g_ascii_strup (journal_mode, -1) : NULL;

      set_label_if_changed (self->schema_version_label, version);
      set_label_if_changed (self->journal_mode_label,
                            journal_upper ? journal_upper : _("Unknown"));
    }
}

static void
copy_address_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  VigilWindow *self = VIGIL_WINDOW (widget);
  const char *url = vigil_metrics_get_listen_url (self->metrics);

  if (url == NULL || url[0] == '\0')
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), url);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Address copied")));
}

static void
show_uri_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (gtk_show_uri_full_finish (GTK_WINDOW (object), result, &error))
    return;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->toast_overlay == NULL)
    return;

  g_debug ("Could not open the database folder: %s", error->message);
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("Could not open the folder")));
}

static void
open_database_folder_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  VigilWindow *self = VIGIL_WINDOW (widget);
  const char *database_path = vigil_engine_get_database_path (self->engine);
  g_autofree char *folder = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;

  if (database_path == NULL)
    return;

  folder = g_path_get_dirname (database_path);
  file = g_file_new_for_path (folder);
  uri = g_file_get_uri (file);

  gtk_show_uri_full (GTK_WINDOW (self), uri, GDK_CURRENT_TIME,
                     self->cancellable, show_uri_cb, g_object_ref (self));
}

static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  VigilWindow *self = VIGIL_WINDOW (widget);

  if (self->settings == NULL)
    return;
  if (self->preferences == NULL)
    g_set_weak_pointer (&self->preferences,
                        vigil_preferences_window_new (GTK_WINDOW (self), self->engine, self->settings));
  gtk_window_present (GTK_WINDOW (self->preferences));
}

static void
update_switchers (VigilWindow *self)
{
  AdwViewStack *stack = NULL;

  /* libadwaita 1.2 hides the switcher of a one-page stack but leaves its
   * button focusable, an invisible Tab stop; so bind the switchers only
   * when there is something to switch between. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->pages)) > 1)
    stack = self->view_stack;

  if (adw_view_switcher_title_get_stack (self->switcher_title) != stack)
    adw_view_switcher_title_set_stack (self->switcher_title, stack);
  if (adw_view_switcher_bar_get_stack (self->switcher_bar) != stack)
    adw_view_switcher_bar_set_stack (self->switcher_bar, stack);
}

static void
restore_window_state (VigilWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  int width, height;

  /* Run uninstalled without GSETTINGS_SCHEMA_DIR, the schema is missing:
   * the window then simply does not remember its size. */
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);

  if (schema == NULL ||
      !g_settings_schema_has_key (schema, "window-width") ||
      !g_settings_schema_has_key (schema, "window-height") ||
      !g_settings_schema_has_key (schema, "window-maximized"))
    return;

  self->settings = g_settings_new_full (schema, NULL, NULL);

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
save_window_state (VigilWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
vigil_window_close_request (GtkWindow *window)
{
  save_window_state (VIGIL_WINDOW (window));

  return GTK_WINDOW_CLASS (vigil_window_parent_class)->close_request (window);
}

static void
vigil_window_constructed (GObject *object)
{
  VigilWindow *self = (VigilWindow *)object;

  G_OBJECT_CLASS (vigil_window_parent_class)->constructed (object);

  g_assert (VIGIL_IS_ENGINE (self->engine));

  self->metrics = g_object_ref (vigil_engine_get_metrics (self->engine));

  g_signal_connect_object (self->metrics, "notify::listen-url",
                           G_CALLBACK (update_listen_url), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::requests-total",
                           G_CALLBACK (update_requests_total), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::requests-per-second",
                           G_CALLBACK (update_requests_per_second), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::active-connections",
                           G_CALLBACK (update_connections), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::monitor-connections",
                           G_CALLBACK (update_connections), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::active-sessions",
                           G_CALLBACK (update_active_sessions), self, G_CONNECT_SWAPPED);

  update_listen_url (self);
  update_requests_total (self);
  update_requests_per_second (self);
  update_connections (self);
  update_active_sessions (self);
  update_storage (self);
  update_clock (self);

  self->tick_id = g_timeout_add_seconds (1, tick_cb, self);

  restore_window_state (self);

  adw_view_stack_page_set_icon_name (adw_view_stack_add_titled (self->view_stack, vigil_users_page_new (self->engine), "users", _("Users")), "system-users-symbolic");
  adw_view_stack_page_set_icon_name (adw_view_stack_add_titled (self->view_stack, vigil_audit_page_new (self->engine), "audit", _("Audit")), "document-open-recent-symbolic");
  self->notifier = vigil_decision_notifier_new (GTK_WINDOW (self), self->toast_overlay, self->engine);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.preferences", self->settings != NULL);
}

static void
vigil_window_dispose (GObject *object)
{
  VigilWindow *self = (VigilWindow *)object;

  save_window_state (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);

  if (self->metrics != NULL)
    g_signal_handlers_disconnect_by_data (self->metrics, self);
  if (self->pages != NULL)
    g_signal_handlers_disconnect_by_data (self->pages, self);
  g_clear_object (&self->pages);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_WINDOW);

  g_clear_object (&self->notifier);
  g_clear_weak_pointer (&self->preferences);
  g_clear_object (&self->settings);
  g_clear_object (&self->metrics);
  g_clear_object (&self->engine);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (vigil_window_parent_class)->dispose (object);
}

static void
vigil_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  VigilWindow *self = VIGIL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  VigilWindow *self = VIGIL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_window_class_init (VigilWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = vigil_window_constructed;
  object_class->dispose = vigil_window_dispose;
  object_class->get_property = vigil_window_get_property;
  object_class->set_property = vigil_window_set_property;

  window_class->close_request = vigil_window_close_request;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         VIGIL_TYPE_ENGINE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The resource lives in the same static library; referencing it keeps
   * the linker from dropping it (and its registering constructor). */
  (void) vigil_get_resource ();

  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, copy_url_button);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, open_folder_button);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, listen_url_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, status_dot);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, uptime_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, requests_per_second_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, requests_total_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, stream_connections_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, monitor_connections_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, active_sessions_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, database_path_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, data_dir_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, schema_version_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, journal_mode_label);
  gtk_widget_class_bind_template_child (widget_class, VigilWindow, pending_writes_label);

  gtk_widget_class_install_action (widget_class, "win.copy-address", NULL,
                                   copy_address_action);
  gtk_widget_class_install_action (widget_class, "win.open-database-folder", NULL,
                                   open_database_folder_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "win.preferences", NULL);
}

static void
vigil_window_init (VigilWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->pages = adw_view_stack_get_pages (self->view_stack);
  g_signal_connect_object (self->pages, "items-changed",
                           G_CALLBACK (update_switchers), self, G_CONNECT_SWAPPED);
  update_switchers (self);
}

/**
 * vigil_window_new:
 * @application: (nullable): the application, or %NULL
 * @engine: the engine whose state the window shows
 *
 * Returns: (transfer full): a new window
 */
VigilWindow *
vigil_window_new (GtkApplication *application,
                  VigilEngine    *engine)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  return g_object_new (VIGIL_TYPE_WINDOW,
                       "application", application,
                       "engine", engine,
                       NULL);
}

VigilEngine *
vigil_window_get_engine (VigilWindow *self)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  return self->engine;
}

void
vigil_window_show_about (VigilWindow *self)
{
  GtkWindow *about;

  g_return_if_fail (VIGIL_IS_WINDOW (self));

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", self,
                        "modal", TRUE,
                        "application-name", _("Vigil"),
                        "application-icon", APPLICATION_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Vigil developers"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", "https://vigil.io/",
                        "issue-url", "https://vigil.io/issues/",
                        "copyright", _("© 2026 The Vigil developers"),
                        "translator-credits", _("translator-credits"),
                        NULL);

  gtk_window_present (about);
}

GtkLabel *
_vigil_window_get_field_label (VigilWindow      *self,
                               VigilWindowField  field)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  switch (field)
    {
    case VIGIL_WINDOW_FIELD_LISTEN_URL:          return self->listen_url_label;
    case VIGIL_WINDOW_FIELD_STATUS:              return self->status_label;
    case VIGIL_WINDOW_FIELD_UPTIME:              return self->uptime_label;
    case VIGIL_WINDOW_FIELD_REQUESTS_PER_SECOND: return self->requests_per_second_label;
    case VIGIL_WINDOW_FIELD_REQUESTS_TOTAL:      return self->requests_total_label;
    case VIGIL_WINDOW_FIELD_STREAM_CONNECTIONS:  return self->stream_connections_label;
    case VIGIL_WINDOW_FIELD_MONITOR_CONNECTIONS: return self->monitor_connections_label;
    case VIGIL_WINDOW_FIELD_ACTIVE_SESSIONS:     return self->active_sessions_label;
    case VIGIL_WINDOW_FIELD_DATABASE_PATH:       return self->database_path_label;
    case VIGIL_WINDOW_FIELD_DATA_DIR:            return self->data_dir_label;
    case VIGIL_WINDOW_FIELD_SCHEMA_VERSION:      return self->schema_version_label;
    case VIGIL_WINDOW_FIELD_JOURNAL_MODE:        return self->journal_mode_label;
    case VIGIL_WINDOW_FIELD_PENDING_WRITES:      return self->pending_writes_label;
    default:
      g_return_val_if_reached (NULL);
    }
}

AdwViewStack *
_vigil_window_get_view_stack (VigilWindow *self)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  return self->view_stack;
}

/**
 * _vigil_window_list_controls:
 *
 * Returns: (transfer container): the buttons the window itself adds
 */
GPtrArray *
_vigil_window_list_controls (VigilWindow *self)
{
  GPtrArray *controls;

  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  controls = g_ptr_array_new ();
  g_ptr_array_add (controls, self->primary_menu_button);
  g_ptr_array_add (controls, self->copy_url_button);
  g_ptr_array_add (controls, self->open_folder_button);

  return controls;
}

VigilDecisionNotifier *
_vigil_window_get_notifier (VigilWindow *self)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  return self->notifier;
}

/* The preferences window opened last, or NULL. */
VigilPreferencesWindow *
_vigil_window_get_preferences (VigilWindow *self)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  return self->preferences;
}
