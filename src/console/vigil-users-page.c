/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Users page: every account with its role, activity, MPIN lock and
 * model state, and the administrator's actions on the selected one. */
#define G_LOG_DOMAIN "vigil-users-page"

#include "config.h"

#include "vigil-users-page.h"
#include "vigil-users-page-private.h"

#include <glib/gi18n.h>

#include "vigil-auth-admin.h"

struct _VigilUsersPage
{
  VigilPage            parent_instance;

  VigilUserDirectory  *directory;
  GtkCustomFilter     *filter;
  GtkSingleSelection  *selection;
  GCancellable        *cancellable;
  VigilUserDialog     *dialog;        /* weak */
  AdwMessageDialog    *delete_dialog; /* weak */
  char                *selected_id;   /* kept across refreshes */
  gboolean             refreshing;
  gboolean             refresh_again; /* accounts changed during the refresh */
  gint64               last_refresh_us;
  guint                refresh_id;    /* a throttled refresh to come */

  GtkSearchEntry      *search_entry;
  GtkButton           *toggle_disabled_button;
  GtkStack            *stack;
  GtkColumnView       *column_view;
};

G_DEFINE_FINAL_TYPE (VigilUsersPage, vigil_users_page, VIGIL_TYPE_PAGE)

/* The shortest time between two reads of the directory for an account
 * change, and for sessions' and models' activity. */
#define USER_CHANGE_GAP_MS 500
#define ACTIVITY_GAP_MS    3000

typedef enum
{
  COLUMN_USER,
  COLUMN_ROLE,
  COLUMN_STATUS,
  COLUMN_CREATED,
  COLUMN_LAST_SEEN,
  COLUMN_MPIN,
  COLUMN_MODEL,
  N_COLUMNS
} Column;

static char *
format_time (gint64 at_us)
{
  g_autoptr(GDateTime) time = NULL;

  if (at_us <= 0)
    return g_strdup (C_("time", "Never"));
  time = g_date_time_new_from_unix_local (at_us / G_USEC_PER_SEC);
  if (time == NULL)
    return g_strdup ("—");
  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}

static const char *
role_label (VigilRole role)
{
  switch (role)
    {
    case VIGIL_ROLE_ADMIN:   return _("Administrator");
    case VIGIL_ROLE_ANALYST: return _("Analyst");
    case VIGIL_ROLE_USER:
    default:                 return _("User");
    }
}

static char *
format_mpin (VigilUsersPage *self,
             VigilUserRow   *row)
{
  const VigilUser *user = vigil_user_row_get_user (row);
  gint64 now = vigil_clock_now_us (vigil_engine_get_clock (vigil_page_get_engine (VIGIL_PAGE (self))));

  if (!user->has_mpin)
    return g_strdup (_("No MPIN"));
  if (vigil_user_row_is_mpin_locked (row, now))
    {
      g_autofree char *until = format_time (user->mpin_locked_until_us);

      return g_strdup_printf (_("Locked until %s"), until);
    }
  if (user->mpin_failed_attempts > 0)
    return g_strdup_printf (ngettext ("%u failed attempt", "%u failed attempts",
                                      user->mpin_failed_attempts),
                            user->mpin_failed_attempts);
  return g_strdup (_("OK"));
}

static char *
format_model (VigilUserRow *row)
{
  guint64 samples = vigil_user_row_get_samples (row);

  if (vigil_user_row_get_models (row) > 0)
    {
      g_autofree char *trained = format_time (vigil_user_row_get_trained_at (row));

      /* Translators: samples, model version, when it was trained */
      return g_strdup_printf (_("%llu samples · v%lld · trained %s"),
                              (unsigned long long) samples,
                              (long long) vigil_user_row_get_model_version (row), trained);
    }
  if (samples > 0)
    return g_strdup_printf (_("Learning · %llu samples"), (unsigned long long) samples);
  return g_strdup (_("No data"));
}

static char *
cell_text (VigilUsersPage *self,
           VigilUserRow   *row,
           Column          column)
{
  const VigilUser *user = vigil_user_row_get_user (row);

  switch (column)
    {
    case COLUMN_USER:      return g_strdup (vigil_user_row_get_name (row));
    case COLUMN_ROLE:      return g_strdup (role_label (user->role));
    case COLUMN_STATUS:    return g_strdup (user->disabled ? _("Disabled") : _("Active"));
    case COLUMN_CREATED:   return format_time (user->created_at_us);
    case COLUMN_LAST_SEEN: return format_time (vigil_user_row_get_last_seen (row));
    case COLUMN_MPIN:      return format_mpin (self, row);
    case COLUMN_MODEL:     return format_model (row);
    case N_COLUMNS:
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  VigilUsersPage *self = user_data;
  Column column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));
  VigilUserRow *row = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  g_autofree char *text = cell_text (self, row, column);

  gtk_label_set_label (GTK_LABEL (label), text);
  gtk_widget_set_tooltip_text (label, text);
  if (column == COLUMN_STATUS && vigil_user_row_get_user (row)->disabled)
    gtk_widget_add_css_class (label, "error");
  else
    gtk_widget_remove_css_class (label, "error");
}

static void
add_columns (VigilUsersPage *self)
{
  const char *titles[N_COLUMNS] = {
    N_("User"), N_("Role"), N_("Status"), N_("Created"), N_("Last Seen"), N_("MPIN"), N_("Model"),
  };

  for (guint i = 0; i < N_COLUMNS; i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (i));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
      column = gtk_column_view_column_new (_(titles[i]), factory);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_expand (column, i == COLUMN_USER || i == COLUMN_MODEL);
      gtk_column_view_append_column (self->column_view, column);
    }
}

/* Search and selection */

static gboolean
row_matches (gpointer item,
             gpointer user_data)
{
  VigilUsersPage *self = user_data;
  VigilUserRow *row = item;
  const VigilUser *user = vigil_user_row_get_user (row);
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *needle = NULL;
  const char *fields[] = { user->email, user->phone, user->profile_id, user->id,
                           role_label (user->role), vigil_role_to_string (user->role) };

  if (query == NULL || query[0] == '\0')
    return TRUE;
  needle = g_utf8_casefold (query, -1);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *folded = fields[i] ? g_utf8_casefold (fields[i], -1) : NULL;

      if (folded != NULL && strstr (folded, needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
on_search_changed (VigilUsersPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static VigilUserRow *
selected_row (VigilUsersPage *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
update_actions (VigilUsersPage *self)
{
  VigilUserRow *row = selected_row (self);
  gboolean has = row != NULL;
  gboolean disabled = has && vigil_user_row_get_user (row)->disabled;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.toggle-disabled", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.unlock-mpin",
                                 has && vigil_user_row_get_user (row)->has_mpin);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.reset-model", has);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "users.delete", has);
  gtk_button_set_label (self->toggle_disabled_button, disabled ? _("_Enable") : _("D_isable"));
}

static void
on_selection_changed (VigilUsersPage *self)
{
  VigilUserRow *row = selected_row (self);

  if (row != NULL)
    {
      g_free (self->selected_id);
      self->selected_id = g_strdup (vigil_user_row_get_id (row));
    }
  update_actions (self);
}

gboolean
_vigil_users_page_select (VigilUsersPage *self,
                          const char     *user_id)
{
  GListModel *model = G_LIST_MODEL (self->selection);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VigilUserRow) row = g_list_model_get_item (model, i);

      if (g_strcmp0 (vigil_user_row_get_id (row), user_id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
    }
  return FALSE;
}

/* Refreshing */

static void refresh_if_changed (VigilUsersPage *self);

static void
toast (VigilUsersPage *self,
       const char     *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  VigilUsersPage *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *keep = NULL;

  if (!vigil_user_directory_refresh_finish (self->directory, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the accounts: %s", error->message);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->refreshing = FALSE;
          refresh_if_changed (self);
        }
      g_object_unref (self);
      return;
    }

  self->refreshing = FALSE;
  keep = g_strdup (self->selected_id);
  if (keep == NULL || !_vigil_users_page_select (self, keep))
    gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->directory)) > 0
                                    ? "list" : "empty");
  update_actions (self);
  refresh_if_changed (self);
  g_object_unref (self);
}

/* One read at a time: a burst of changes during a read costs one more
 * read after it, not one each. */
static void
refresh (VigilUsersPage *self)
{
  if (self->refreshing)
    {
      self->refresh_again = TRUE;
      return;
    }
  self->refreshing = TRUE;
  self->refresh_again = FALSE;
  self->last_refresh_us = g_get_monotonic_time ();
  vigil_user_directory_refresh_async (self->directory, self->cancellable,
                                      on_refreshed, g_object_ref (self));
}

static void
refresh_if_changed (VigilUsersPage *self)
{
  if (self->refresh_again)
    refresh (self);
}

static gboolean
on_refresh_due (gpointer user_data)
{
  VigilUsersPage *self = user_data;

  self->refresh_id = 0;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    refresh (self);
  return G_SOURCE_REMOVE;
}

/* Re-reads @gap_ms after the last read at the earliest: every login
 * changes an account (its last login), every event a session (its
 * user's last seen), and a storm of either must not keep the directory
 * re-reading back to back. While hidden the page does not re-read;
 * showing it does. */
static void
refresh_after (VigilUsersPage *self,
               guint           gap_ms)
{
  gint64 since_ms = (g_get_monotonic_time () - self->last_refresh_us) / 1000;

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || self->refresh_id != 0)
    return;
  if (since_ms >= gap_ms)
    refresh (self);
  else
    self->refresh_id = g_timeout_add ((guint) (gap_ms - since_ms), on_refresh_due, self);
}

static void
on_user_changed (VigilUsersPage *self)
{
  refresh_after (self, USER_CHANGE_GAP_MS);
}

/* The Model and Last Seen columns come from profiles and sessions, whose
 * changes are no account change. */
static void
on_activity (VigilUsersPage *self)
{
  refresh_after (self, ACTIVITY_GAP_MS);
}

static void
vigil_users_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (vigil_users_page_parent_class)->map (widget);
  refresh (VIGIL_USERS_PAGE (widget));
}

/* Actions */

typedef struct
{
  VigilUsersPage *page;
  char           *done;     /* the toast on success */
} ActionData;

static ActionData *
action_data_new (VigilUsersPage *self,
                 char           *done)
{
  ActionData *data = g_new0 (ActionData, 1);

  data->page = g_object_ref (self);
  data->done = done;
  return data;
}

static void
action_data_free (ActionData *data)
{
  g_object_unref (data->page);
  g_free (data->done);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ActionData, action_data_free)

static void
finish_action (ActionData *data,
               gboolean    ok,
               GError     *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (ok)
    toast (data->page, data->done);
  else
    {
      g_autofree char *text = g_strdup_printf (_("Failed: %s"), error->message);

      toast (data->page, text);
    }
  refresh (data->page);
}

static void
on_auth_action_done (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;
  VigilAuth *auth = VIGIL_AUTH (source);
  gboolean ok;

  if (g_async_result_is_tagged (result, vigil_auth_admin_set_disabled_async))
    ok = vigil_auth_admin_set_disabled_finish (auth, result, &error);
  else if (g_async_result_is_tagged (result, vigil_auth_admin_unlock_mpin_async))
    ok = vigil_auth_admin_unlock_mpin_finish (auth, result, &error);
  else
    ok = vigil_auth_admin_delete_user_finish (auth, result, &error);

  finish_action (data, ok, error);
}

static void
on_reset_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ActionData) data = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = vigil_profiles_reset_finish (VIGIL_PROFILES (source), result, &error);

  finish_action (data, ok, error);
}

static void
toggle_disabled_action (GtkWidget  *widget,
                        const char *name,
                        GVariant   *parameter)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (widget);
  VigilUserRow *row = selected_row (self);
  g_autofree char *actor = vigil_auth_admin_console_actor ();
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  gboolean disable;

  if (row == NULL)
    return;
  disable = !vigil_user_row_get_user (row)->disabled;
  vigil_auth_admin_set_disabled_async (vigil_engine_get_auth (engine), vigil_user_row_get_id (row),
                                       disable, actor, self->cancellable, on_auth_action_done,
                                       action_data_new (self, g_strdup_printf (disable ? _("%s disabled")
                                                                                       : _("%s enabled"),
                                                                               vigil_user_row_get_name (row))));
}

static void
unlock_mpin_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *parameter)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (widget);
  VigilUserRow *row = selected_row (self);
  g_autofree char *actor = vigil_auth_admin_console_actor ();
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));

  if (row == NULL)
    return;
  vigil_auth_admin_unlock_mpin_async (vigil_engine_get_auth (engine), vigil_user_row_get_id (row),
                                      actor, self->cancellable, on_auth_action_done,
                                      action_data_new (self, g_strdup_printf (_("MPIN of %s unlocked"),
                                                                              vigil_user_row_get_name (row))));
}

static void
reset_model_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *parameter)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (widget);
  VigilUserRow *row = selected_row (self);
  g_autofree char *actor = vigil_auth_admin_console_actor ();
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));

  if (row == NULL)
    return;
  vigil_profiles_reset_async (vigil_engine_get_profiles (engine), vigil_user_row_get_id (row),
                              actor, self->cancellable, on_reset_done,
                              action_data_new (self, g_strdup_printf (_("Model of %s reset"),
                                                                      vigil_user_row_get_name (row))));
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (user_data);
  const char *user_id = g_object_get_data (G_OBJECT (dialog), "user-id");
  const char *user_name = g_object_get_data (G_OBJECT (dialog), "user-name");
  g_autofree char *actor = vigil_auth_admin_console_actor ();
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));

  if (g_strcmp0 (response, "delete") != 0)
    return;
  vigil_auth_admin_delete_user_async (vigil_engine_get_auth (engine), user_id, actor,
                                      self->cancellable, on_auth_action_done,
                                      action_data_new (self, g_strdup_printf (_("%s deleted"), user_name)));
}

static void
delete_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (widget);
  VigilUserRow *row = selected_row (self);
  GtkWidget *dialog;

  if (row == NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Delete User?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("%s will be deleted with their tokens, sessions and behavioral "
                                    "models. Their live sessions end now. The audit log keeps a "
                                    "record. This cannot be undone."),
                                  vigil_user_row_get_name (row));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "user-id", g_strdup (vigil_user_row_get_id (row)), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "user-name", g_strdup (vigil_user_row_get_name (row)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  g_set_weak_pointer (&self->delete_dialog, ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_user_created (VigilUserDialog *dialog,
                 VigilUser       *user,
                 VigilUsersPage  *self)
{
  g_autofree char *text = g_strdup_printf (_("%s created"), user->email ? user->email : user->phone);

  g_free (self->selected_id);
  self->selected_id = g_strdup (user->id);
  toast (self, text);
  refresh (self);
}

static void
create_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (widget);
  VigilUserDialog *dialog = vigil_user_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                                   vigil_page_get_engine (VIGIL_PAGE (self)));

  g_set_weak_pointer (&self->dialog, dialog);
  g_signal_connect_object (dialog, "user-created", G_CALLBACK (on_user_created), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
focus_search_action (GtkWidget  *widget,
                     const char *name,
                     GVariant   *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (VIGIL_USERS_PAGE (widget)->search_entry));
}

/* GObject */

static void
vigil_users_page_constructed (GObject *object)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (object);
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  GtkFilterListModel *filtered;

  G_OBJECT_CLASS (vigil_users_page_parent_class)->constructed (object);

  g_assert (VIGIL_IS_ENGINE (engine));

  self->directory = vigil_user_directory_new (vigil_engine_get_store (engine));
  g_signal_connect_swapped (vigil_engine_get_event_bus (engine), "user-changed",
                            G_CALLBACK (on_user_changed), self);
  g_signal_connect_swapped (vigil_engine_get_event_bus (engine), "session-changed",
                            G_CALLBACK (on_activity), self);
  g_signal_connect_swapped (vigil_engine_get_profiles (engine), "status-changed",
                            G_CALLBACK (on_activity), self);
  self->filter = gtk_custom_filter_new (row_matches, self, NULL);
  filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->directory)),
                                        g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (on_selection_changed), self);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  add_columns (self);
  update_actions (self);
  refresh (self);
}

static void
vigil_users_page_dispose (GObject *object)
{
  VigilUsersPage *self = VIGIL_USERS_PAGE (object);
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));

  g_cancellable_cancel (self->cancellable);
  if (engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (vigil_engine_get_event_bus (engine), self);
      g_signal_handlers_disconnect_by_data (vigil_engine_get_profiles (engine), self);
    }
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_weak_pointer (&self->dialog);
  g_clear_weak_pointer (&self->delete_dialog);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_USERS_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->selected_id, g_free);

  G_OBJECT_CLASS (vigil_users_page_parent_class)->dispose (object);
}

/* The directory outlives dispose: a refresh in flight finishes into it. */
static void
vigil_users_page_finalize (GObject *object)
{
  g_clear_object (&VIGIL_USERS_PAGE (object)->directory);

  G_OBJECT_CLASS (vigil_users_page_parent_class)->finalize (object);
}

static void
vigil_users_page_class_init (VigilUsersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = vigil_users_page_constructed;
  object_class->dispose = vigil_users_page_dispose;
  object_class->finalize = vigil_users_page_finalize;
  widget_class->map = vigil_users_page_map;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-users-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilUsersPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilUsersPage, toggle_disabled_button);
  gtk_widget_class_bind_template_child (widget_class, VigilUsersPage, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilUsersPage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);

  gtk_widget_class_install_action (widget_class, "users.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "users.toggle-disabled", NULL, toggle_disabled_action);
  gtk_widget_class_install_action (widget_class, "users.unlock-mpin", NULL, unlock_mpin_action);
  gtk_widget_class_install_action (widget_class, "users.reset-model", NULL, reset_model_action);
  gtk_widget_class_install_action (widget_class, "users.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "users.focus-search", NULL, focus_search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "users.create", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "users.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "users.delete", NULL);
}

static void
vigil_users_page_init (VigilUsersPage *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
vigil_users_page_new (VigilEngine *engine)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  return g_object_new (VIGIL_TYPE_USERS_PAGE, "engine", engine, NULL);
}

VigilUserDirectory *
_vigil_users_page_get_directory (VigilUsersPage *self)
{
  return self->directory;
}

GtkSingleSelection *
_vigil_users_page_get_selection (VigilUsersPage *self)
{
  return self->selection;
}

GtkEditable *
_vigil_users_page_get_search (VigilUsersPage *self)
{
  return GTK_EDITABLE (self->search_entry);
}

VigilUserDialog *
_vigil_users_page_get_dialog (VigilUsersPage *self)
{
  return self->dialog;
}

AdwMessageDialog *
_vigil_users_page_get_delete_dialog (VigilUsersPage *self)
{
  return self->delete_dialog;
}
