/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-server-page"

#include "config.h"

#include "vigil-server-page.h"
#include "vigil-server-page-private.h"

#include <glib/gi18n.h>

#include "vigil-label.h"

/* The Server page: where the service listens, its live activity figures
 * and where it keeps its data. */

struct _VigilServerPage
{
  VigilPage     parent_instance;

  VigilMetrics *metrics;
  GCancellable *cancellable;
  guint         tick_id;

  /* Template widgets */
  GtkWidget    *copy_url_button;
  GtkWidget    *open_folder_button;
  GtkLabel     *listen_url_label;
  GtkWidget    *status_dot;
  GtkLabel     *status_label;
  GtkLabel     *uptime_label;
  GtkLabel     *requests_per_second_label;
  GtkLabel     *requests_total_label;
  GtkLabel     *stream_connections_label;
  GtkLabel     *monitor_connections_label;
  GtkLabel     *active_sessions_label;
  GtkLabel     *database_path_label;
  GtkLabel     *data_dir_label;
  GtkLabel     *schema_version_label;
  GtkLabel     *journal_mode_label;
  GtkLabel     *pending_writes_label;
};

G_DEFINE_FINAL_TYPE (VigilServerPage, vigil_server_page, VIGIL_TYPE_PAGE)

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
update_listen_url (VigilServerPage *self)
{
  const char *url = vigil_metrics_get_listen_url (self->metrics);
  gboolean listening = url != NULL && url[0] != '\0';

  if (listening)
    {
      vigil_label_set_text_if_changed (self->listen_url_label, url);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->listen_url_label), url);
      vigil_label_set_text_if_changed (self->status_label, _("Listening"));
      gtk_widget_remove_css_class (self->status_dot, "offline");
    }
  else
    {
      vigil_label_set_text_if_changed (self->listen_url_label, _("Unavailable"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->listen_url_label), NULL);
      vigil_label_set_text_if_changed (self->status_label, _("Not Listening"));
      gtk_widget_add_css_class (self->status_dot, "offline");
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.copy-address", listening);
}

static void
update_requests_total (VigilServerPage *self)
{
  vigil_label_set_count (self->requests_total_label,
                   vigil_metrics_get_requests_total (self->metrics));
}

static void
update_requests_per_second (VigilServerPage *self)
{
  g_autofree char *text =
    g_strdup_printf ("%.1f", vigil_metrics_get_requests_per_second (self->metrics));

  vigil_label_set_text_if_changed (self->requests_per_second_label, text);
}

static void
update_connections (VigilServerPage *self)
{
  vigil_label_set_count (self->stream_connections_label,
                   vigil_metrics_get_active_connections (self->metrics));
  vigil_label_set_count (self->monitor_connections_label,
                   vigil_metrics_get_monitor_connections (self->metrics));
}

static void
update_active_sessions (VigilServerPage *self)
{
  vigil_label_set_count (self->active_sessions_label,
                   vigil_metrics_get_active_sessions (self->metrics));
}

static void
update_clock (VigilServerPage *self)
{
  g_autofree char *uptime =
    format_uptime (vigil_metrics_get_uptime_seconds (self->metrics));
  VigilStore *store = vigil_engine_get_store (vigil_page_get_engine (VIGIL_PAGE (self)));

  vigil_label_set_text_if_changed (self->uptime_label, uptime);

  /* The store has no signal for its queue; poll it with the clock. */
  if (store != NULL)
    vigil_label_set_count (self->pending_writes_label, vigil_store_get_pending_writes (store));
}

static gboolean
tick_cb (gpointer user_data)
{
  update_clock (VIGIL_SERVER_PAGE (user_data));

  return G_SOURCE_CONTINUE;
}

static void
update_storage (VigilServerPage *self)
{
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  VigilStore *store = vigil_engine_get_store (engine);
  const char *database_path = vigil_engine_get_database_path (engine);
  const char *data_dir = vigil_engine_get_data_dir (engine);

  vigil_label_set_text_if_changed (self->database_path_label, database_path ? database_path : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->database_path_label), database_path);
  vigil_label_set_text_if_changed (self->data_dir_label, data_dir ? data_dir : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->data_dir_label), data_dir);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "server.open-database-folder",
                                 database_path != NULL);

  if (store != NULL)
    {
      g_autofree char *version =
        g_strdup_printf ("%d", vigil_store_get_schema_version (store));
      const char *journal_mode = vigil_store_get_journal_mode (store);
      g_autofree char *journal_upper =
        journal_mode ? g_ascii_strup (journal_mode, -1) : NULL;

      vigil_label_set_text_if_changed (self->schema_version_label, version);
      vigil_label_set_text_if_changed (self->journal_mode_label,
                            journal_upper ? journal_upper : _("Unknown"));
    }
}

static void
show_toast (VigilServerPage *self,
            const char      *title)
{
  /* The window owns the overlay; a page outside a window shows no toast. */
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (title));
}

static void
copy_address_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  VigilServerPage *self = VIGIL_SERVER_PAGE (widget);
  const char *url = vigil_metrics_get_listen_url (self->metrics);

  if (url == NULL || url[0] == '\0')
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), url);
  show_toast (self, _("Address copied"));
}

static void
show_uri_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilServerPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (gtk_show_uri_full_finish (GTK_WINDOW (object), result, &error))
    return;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_debug ("Could not open the database folder: %s", error->message);
  show_toast (self, _("Could not open the folder"));
}

static void
open_database_folder_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  VigilServerPage *self = VIGIL_SERVER_PAGE (widget);
  const char *database_path = vigil_engine_get_database_path (vigil_page_get_engine (VIGIL_PAGE (self)));
  g_autofree char *folder = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;
  GtkRoot *root;

  if (database_path == NULL)
    return;

  folder = g_path_get_dirname (database_path);
  file = g_file_new_for_path (folder);
  uri = g_file_get_uri (file);

  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (!GTK_IS_WINDOW (root))
    return;

  gtk_show_uri_full (GTK_WINDOW (root), uri, GDK_CURRENT_TIME,
                     self->cancellable, show_uri_cb, g_object_ref (self));
}

static void
vigil_server_page_constructed (GObject *object)
{
  VigilServerPage *self = (VigilServerPage *)object;
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));

  G_OBJECT_CLASS (vigil_server_page_parent_class)->constructed (object);

  g_assert (VIGIL_IS_ENGINE (engine));

  self->metrics = g_object_ref (vigil_engine_get_metrics (engine));

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
}

static void
vigil_server_page_dispose (GObject *object)
{
  VigilServerPage *self = (VigilServerPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);

  if (self->metrics != NULL)
    g_signal_handlers_disconnect_by_data (self->metrics, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_SERVER_PAGE);

  g_clear_object (&self->metrics);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (vigil_server_page_parent_class)->dispose (object);
}

static void
vigil_server_page_class_init (VigilServerPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = vigil_server_page_constructed;
  object_class->dispose = vigil_server_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-server-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, copy_url_button);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, open_folder_button);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, listen_url_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, status_dot);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, uptime_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, requests_per_second_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, requests_total_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, stream_connections_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, monitor_connections_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, active_sessions_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, database_path_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, data_dir_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, schema_version_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, journal_mode_label);
  gtk_widget_class_bind_template_child (widget_class, VigilServerPage, pending_writes_label);

  gtk_widget_class_install_action (widget_class, "server.copy-address", NULL,
                                   copy_address_action);
  gtk_widget_class_install_action (widget_class, "server.open-database-folder", NULL,
                                   open_database_folder_action);
}

static void
vigil_server_page_init (VigilServerPage *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * vigil_server_page_new:
 * @engine: the engine whose service the page shows
 *
 * Returns: (transfer full): a new Server page
 */
VigilServerPage *
vigil_server_page_new (VigilEngine *engine)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  return g_object_new (VIGIL_TYPE_SERVER_PAGE, "engine", engine, NULL);
}

GtkLabel *
_vigil_server_page_get_field_label (VigilServerPage      *self,
                                    VigilServerPageField  field)
{
  g_return_val_if_fail (VIGIL_IS_SERVER_PAGE (self), NULL);

  switch (field)
    {
    case VIGIL_SERVER_PAGE_FIELD_LISTEN_URL:          return self->listen_url_label;
    case VIGIL_SERVER_PAGE_FIELD_STATUS:              return self->status_label;
    case VIGIL_SERVER_PAGE_FIELD_UPTIME:              return self->uptime_label;
    case VIGIL_SERVER_PAGE_FIELD_REQUESTS_PER_SECOND: return self->requests_per_second_label;
    case VIGIL_SERVER_PAGE_FIELD_REQUESTS_TOTAL:      return self->requests_total_label;
    case VIGIL_SERVER_PAGE_FIELD_STREAM_CONNECTIONS:  return self->stream_connections_label;
    case VIGIL_SERVER_PAGE_FIELD_MONITOR_CONNECTIONS: return self->monitor_connections_label;
    case VIGIL_SERVER_PAGE_FIELD_ACTIVE_SESSIONS:     return self->active_sessions_label;
    case VIGIL_SERVER_PAGE_FIELD_DATABASE_PATH:       return self->database_path_label;
    case VIGIL_SERVER_PAGE_FIELD_DATA_DIR:            return self->data_dir_label;
    case VIGIL_SERVER_PAGE_FIELD_SCHEMA_VERSION:      return self->schema_version_label;
    case VIGIL_SERVER_PAGE_FIELD_JOURNAL_MODE:        return self->journal_mode_label;
    case VIGIL_SERVER_PAGE_FIELD_PENDING_WRITES:      return self->pending_writes_label;
    default:
      g_return_val_if_reached (NULL);
    }
}

/**
 * _vigil_server_page_list_controls:
 *
 * Returns: (transfer container): the page's buttons, in focus order
 */
GPtrArray *
_vigil_server_page_list_controls (VigilServerPage *self)
{
  GPtrArray *controls;

  g_return_val_if_fail (VIGIL_IS_SERVER_PAGE (self), NULL);

  controls = g_ptr_array_new ();
  g_ptr_array_add (controls, self->copy_url_button);
  g_ptr_array_add (controls, self->open_folder_button);

  return controls;
}
