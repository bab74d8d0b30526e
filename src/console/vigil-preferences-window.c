/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Preferences: server address, remote ML engine, data directory, risk
 * thresholds, MPIN policy and session expiry, as GSettings keys. */
#define G_LOG_DOMAIN "vigil-preferences"

#include "config.h"

#include "vigil-preferences-window.h"

#include <glib/gi18n.h>

#include "vigil-analyzer.h"

struct _VigilPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  VigilEngine          *engine;
  GSettings            *settings;

  AdwEntryRow          *listen_row;
  AdwEntryRow          *ml_url_row;
  AdwActionRow         *data_dir_in_use_row;
  AdwEntryRow          *data_dir_row;
  GtkLabel             *server_error_label;
  GtkSpinButton        *monitor_spin;
  GtkSpinButton        *suspicious_spin;
  GtkSpinButton        *high_spin;
  GtkSpinButton        *confidence_spin;
  GtkLabel             *threshold_error_label;
  GtkSpinButton        *mpin_length_spin;
  GtkSpinButton        *mpin_attempts_spin;
  GtkSpinButton        *mpin_lock_spin;
  GtkSpinButton        *idle_spin;
};

G_DEFINE_FINAL_TYPE (VigilPreferencesWindow, vigil_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
show_label (GtkLabel   *label,
            const char *text)
{
  gtk_label_set_label (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL);
}

/* "host:port" with a port from 1 to 65535 (0 is refused: the address is
 * what apps are configured with). */
static gboolean
check_listen_address (const char  *text,
                      char       **out_message)
{
  const char *colon = text ? strrchr (text, ':') : NULL;
  guint64 port = 0;

  if (colon == NULL || colon == text ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    {
      *out_message = g_strdup (_("Enter the address as host:port, for example 127.0.0.1:8000"));
      return FALSE;
    }
  return TRUE;
}

static void
on_listen_changed (VigilPreferencesWindow *self)
{
  g_autofree char *message = NULL;

  check_listen_address (gtk_editable_get_text (GTK_EDITABLE (self->listen_row)), &message);
  show_label (self->server_error_label, message);
}

static void
on_listen_apply (VigilPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->listen_row));
  g_autofree char *message = NULL;

  if (!check_listen_address (text, &message))
    {
      show_label (self->server_error_label, message);
      return;
    }
  g_settings_set_string (self->settings, "listen-address", text);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Restarting the server on the new address")));
}

/* The engine's rule for the URL, so that Apply never hands the
 * application one it would refuse. */
static gboolean
check_url (const char  *text,
           char       **out_message)
{
  g_autoptr(GError) error = NULL;

  if (text == NULL || text[0] == '\0')
    return TRUE;
  if (g_ascii_strncasecmp (text, "http://", 7) != 0 && g_ascii_strncasecmp (text, "https://", 8) != 0)
    {
      *out_message = g_strdup (_("Enter an http:// or https:// URL, or leave it empty for local analysis"));
      return FALSE;
    }
  if (!vigil_analyzer_check_url (text, &error))
    {
      *out_message = g_strdup_printf (_("Not applied: %s"), error->message);
      return FALSE;
    }
  return TRUE;
}

static void
on_ml_url_changed (VigilPreferencesWindow *self)
{
  g_autofree char *message = NULL;

  check_url (gtk_editable_get_text (GTK_EDITABLE (self->ml_url_row)), &message);
  show_label (self->server_error_label, message);
}

static void
on_ml_url_apply (VigilPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->ml_url_row));
  g_autofree char *message = NULL;

  if (!check_url (text, &message))
    {
      show_label (self->server_error_label, message);
      return;
    }
  g_settings_set_string (self->settings, "ml-engine-url", text);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (text[0] != '\0' ? _("Sessions are now also sent to the new ML engine")
                                                                    : _("Sessions are now analysed locally only")));
}

static void
on_data_dir_apply (VigilPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->data_dir_row));

  g_settings_set_string (self->settings, "data-dir", text);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("The new data directory is used from the next start")));
}

static void
check_thresholds (VigilPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;
  VigilRiskThresholds thresholds = {
    .monitor = gtk_spin_button_get_value (self->monitor_spin),
    .suspicious = gtk_spin_button_get_value (self->suspicious_spin),
    .high = gtk_spin_button_get_value (self->high_spin),
    .block_confidence = gtk_spin_button_get_value (self->confidence_spin),
  };

  if (vigil_risk_thresholds_check (&thresholds, &error))
    show_label (self->threshold_error_label, NULL);
  else
    {
      g_autofree char *text = g_strdup_printf (_("Not applied: %s"), error->message);

      show_label (self->threshold_error_label, text);
    }
}

static void
bind_spin (VigilPreferencesWindow *self,
           const char             *key,
           GtkSpinButton          *spin)
{
  g_settings_bind (self->settings, key, gtk_spin_button_get_adjustment (spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
vigil_preferences_window_dispose (GObject *object)
{
  VigilPreferencesWindow *self = VIGIL_PREFERENCES_WINDOW (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (vigil_preferences_window_parent_class)->dispose (object);
}

static void
vigil_preferences_window_class_init (VigilPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, listen_row);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, ml_url_row);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, data_dir_in_use_row);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, data_dir_row);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, server_error_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, monitor_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, suspicious_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, high_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, confidence_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, threshold_error_label);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, mpin_length_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, mpin_attempts_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, mpin_lock_spin);
  gtk_widget_class_bind_template_child (widget_class, VigilPreferencesWindow, idle_spin);
  gtk_widget_class_bind_template_callback (widget_class, on_listen_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_listen_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_ml_url_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_ml_url_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_data_dir_apply);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
vigil_preferences_window_init (VigilPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

VigilPreferencesWindow *
vigil_preferences_window_new (GtkWindow   *parent,
                              VigilEngine *engine,
                              GSettings   *settings)
{
  VigilPreferencesWindow *self;
  g_autofree char *listen = NULL;
  g_autofree char *ml_url = NULL;
  g_autofree char *data_dir = NULL;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (VIGIL_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  self->engine = g_object_ref (engine);
  self->settings = g_object_ref (settings);

  /* Text keys are written on Apply only, so a half-typed address never
   * restarts the server. */
  listen = g_settings_get_string (settings, "listen-address");
  ml_url = g_settings_get_string (settings, "ml-engine-url");
  data_dir = g_settings_get_string (settings, "data-dir");
  gtk_editable_set_text (GTK_EDITABLE (self->listen_row), listen);
  gtk_editable_set_text (GTK_EDITABLE (self->ml_url_row), ml_url);
  gtk_editable_set_text (GTK_EDITABLE (self->data_dir_row), data_dir);
  adw_action_row_set_subtitle (self->data_dir_in_use_row, vigil_engine_get_data_dir (engine));
  show_label (self->server_error_label, NULL);

  bind_spin (self, "risk-monitor-threshold", self->monitor_spin);
  bind_spin (self, "risk-suspicious-threshold", self->suspicious_spin);
  bind_spin (self, "risk-high-threshold", self->high_spin);
  bind_spin (self, "risk-block-confidence", self->confidence_spin);
  bind_spin (self, "mpin-length", self->mpin_length_spin);
  bind_spin (self, "mpin-max-attempts", self->mpin_attempts_spin);
  bind_spin (self, "mpin-lock-minutes", self->mpin_lock_spin);
  bind_spin (self, "session-idle-minutes", self->idle_spin);
  g_signal_connect_swapped (settings, "changed", G_CALLBACK (check_thresholds), self);
  check_thresholds (self);

  return self;
}

GtkSpinButton *
_vigil_preferences_window_get_threshold (VigilPreferencesWindow    *self,
                                         VigilPreferencesThreshold  which)
{
  switch (which)
    {
    case VIGIL_PREFERENCES_MONITOR:          return self->monitor_spin;
    case VIGIL_PREFERENCES_SUSPICIOUS:       return self->suspicious_spin;
    case VIGIL_PREFERENCES_HIGH:             return self->high_spin;
    case VIGIL_PREFERENCES_BLOCK_CONFIDENCE: return self->confidence_spin;
    default:
      g_return_val_if_reached (NULL);
    }
}

AdwEntryRow *
_vigil_preferences_window_get_listen (VigilPreferencesWindow *self)
{
  return self->listen_row;
}
