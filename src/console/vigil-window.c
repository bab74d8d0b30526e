/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-window"

#include "config.h"

#include "vigil-window.h"
#include "vigil-window-private.h"

#include <glib/gi18n.h>

#include "vigil-audit-page.h"
#include "vigil-decision-notifier.h"
#include "vigil-live-page.h"
#include "vigil-preferences-window.h"
#include "vigil-resources.h"
#include "vigil-server-page.h"
#include "vigil-sessions-page.h"
#include "vigil-users-page.h"

/* The main window: a header bar with a view switcher over an AdwViewStack
 * whose pages show the engine live. Each page is a widget of its own,
 * added in vigil_window_constructed with vigil_window_add_page. */

struct _VigilWindow
{
  AdwApplicationWindow  parent_instance;

  VigilEngine          *engine;
  GSettings            *settings;
  GtkSelectionModel    *pages;
  VigilDecisionNotifier *notifier;
  VigilPreferencesWindow *preferences;   /* weak */

  /* Template widgets */
  AdwViewStack         *view_stack;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar   *switcher_bar;
  AdwToastOverlay      *toast_overlay;
  GtkWidget            *primary_menu_button;
};

G_DEFINE_FINAL_TYPE (VigilWindow, vigil_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VigilWindow *self = VIGIL_WINDOW (widget);
  int position = g_variant_get_int32 (parameter);
  g_autoptr(AdwViewStackPage) page = NULL;

  /* 1-based, as on the keys; a number past the last page does nothing. */
  if (position < 1 || (guint) position > g_list_model_get_n_items (G_LIST_MODEL (self->pages)))
    return;

  page = g_list_model_get_item (G_LIST_MODEL (self->pages), (guint) position - 1);
  adw_view_stack_set_visible_child (self->view_stack, adw_view_stack_page_get_child (page));
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

  /* Page order is the order of these calls; the Server page stays last. */
  vigil_window_add_page (self, GTK_WIDGET (vigil_live_page_new (self->engine)),
                         "live", _("Live"), "vigil-live-symbolic");
  vigil_window_add_page (self, GTK_WIDGET (vigil_sessions_page_new (self->engine)),
                         "sessions", _("Sessions"), "view-list-symbolic");
  vigil_window_add_page (self, GTK_WIDGET (vigil_users_page_new (self->engine)),
                         "users", _("Users"), "system-users-symbolic");
  vigil_window_add_page (self, GTK_WIDGET (vigil_audit_page_new (self->engine)),
                         "audit", _("Audit"), "document-open-recent-symbolic");
  vigil_window_add_page (self, GTK_WIDGET (vigil_server_page_new (self->engine)),
                         "server", _("Server"), "network-server-symbolic");

  restore_window_state (self);

  self->notifier = vigil_decision_notifier_new (GTK_WINDOW (self), self->toast_overlay, self->engine);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.preferences", self->settings != NULL);
}

static void
vigil_window_dispose (GObject *object)
{
  VigilWindow *self = (VigilWindow *)object;

  save_window_state (self);

  if (self->pages != NULL)
    g_signal_handlers_disconnect_by_data (self->pages, self);
  g_clear_object (&self->pages);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_WINDOW);

  g_clear_object (&self->notifier);
  g_clear_weak_pointer (&self->preferences);
  g_clear_object (&self->settings);
  g_clear_object (&self->engine);

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

  gtk_widget_class_install_action (widget_class, "win.show-page", "i",
                                   show_page_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "win.preferences", NULL);

  /* Alt+1 … Alt+9 go to the pages in the order the switcher shows them. */
  for (int i = 1; i <= 9; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0 + i, GDK_ALT_MASK,
                                         "win.show-page", "i", i);
}

static void
vigil_window_init (VigilWindow *self)
{
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

AdwViewStack *
_vigil_window_get_view_stack (VigilWindow *self)
{
  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  return self->view_stack;
}

/**
 * _vigil_window_list_controls:
 *
 * Returns: (transfer container): the buttons the window itself adds, not
 *   those of its pages
 */
GPtrArray *
_vigil_window_list_controls (VigilWindow *self)
{
  GPtrArray *controls;

  g_return_val_if_fail (VIGIL_IS_WINDOW (self), NULL);

  controls = g_ptr_array_new ();
  g_ptr_array_add (controls, self->primary_menu_button);

  return controls;
}

/**
 * vigil_window_add_page:
 * @self: the window
 * @page: (transfer floating): the page's widget
 * @name: the page's name in the view stack, such as "live"
 * @title: the translated title the view switcher shows
 * @icon_name: the symbolic icon the view switcher shows
 *
 * Appends @page to the window's view stack. Pages appear in the order they
 * are added, and Alt+1 … Alt+9 reach them in that order.
 */
void
vigil_window_add_page (VigilWindow *self,
                       GtkWidget   *page,
                       const char  *name,
                       const char  *title,
                       const char  *icon_name)
{
  AdwViewStackPage *stack_page;

  g_return_if_fail (VIGIL_IS_WINDOW (self));
  g_return_if_fail (GTK_IS_WIDGET (page));
  g_return_if_fail (name != NULL && title != NULL);

  stack_page = adw_view_stack_add_titled (self->view_stack, page, name, title);
  adw_view_stack_page_set_icon_name (stack_page, icon_name);
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
