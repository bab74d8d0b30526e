/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-sessions-page"

#include "config.h"

#include "vigil-sessions-page.h"
#include "vigil-sessions-page-private.h"

#include <glib/gi18n.h>

#include "vigil-action-dialog.h"
#include "vigil-error.h"
#include "vigil-session-actions.h"
#include "vigil-sessions-columns.h"

struct _VigilSessionsPage
{
  VigilPage           parent_instance;

  VigilSessionList   *list;
  GtkFilterListModel *filtered;
  GtkSortListModel   *sorted;
  GtkSingleSelection *selection;
  GtkCustomFilter    *filter;
  VigilSessionDetail *detail;
  AdwMessageDialog   *dialog;
  GCancellable       *cancellable;
  char               *search;       /* casefolded, NULL when empty */
  guint               running;

  /* Template widgets */
  AdwToastOverlay    *toast_overlay;
  GtkPaned           *paned;
  GtkSearchEntry     *search_entry;
  GtkToggleButton    *risky_toggle;
  GtkDropDown        *state_dropdown;
  GtkStack           *list_stack;
  GtkColumnView      *column_view;
  GtkLabel           *count_label;
};

G_DEFINE_FINAL_TYPE (VigilSessionsPage, vigil_sessions_page, VIGIL_TYPE_PAGE)

/* The state dropdown's items, in order; NULL: any. */
static const char *state_filters[] = { NULL, "active", "monitor", "blocked", "ended" };

static gboolean
contains_folded (const char *haystack,
                 const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
is_risky (VigilSessionItem *item)
{
  const char *decision = vigil_session_item_get_decision (item);

  return vigil_session_item_get_risk (item) >= VIGIL_RISK_MONITOR_THRESHOLD ||
         g_strcmp0 (decision, "step_up") == 0 || g_strcmp0 (decision, "block") == 0 ||
         g_strcmp0 (vigil_session_item_get_state (item), "blocked") == 0;
}

static gboolean
filter_func (gpointer object,
             gpointer user_data)
{
  VigilSessionsPage *self = user_data;
  VigilSessionItem *item = object;
  guint state = gtk_drop_down_get_selected (self->state_dropdown);

  if (gtk_toggle_button_get_active (self->risky_toggle) && !is_risky (item))
    return FALSE;
  if (state < G_N_ELEMENTS (state_filters) && state_filters[state] != NULL &&
      g_strcmp0 (vigil_session_item_get_state (item), state_filters[state]) != 0)
    return FALSE;
  if (self->search != NULL &&
      !contains_folded (vigil_session_item_get_user (item), self->search) &&
      !contains_folded (vigil_session_item_get_device (item), self->search) &&
      !contains_folded (vigil_session_item_get_id (item), self->search))
    return FALSE;
  return TRUE;
}

static void
update_visible (VigilSessionsPage *self)
{
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->list));
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));
  g_autofree char *count = NULL;
  const char *visible = shown > 0 ? "list" : total > 0 ? "no-match" : "empty";

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->list_stack), visible) != 0)
    gtk_stack_set_visible_child_name (self->list_stack, visible);
  /* Translators: "12 of 340 sessions" */
  count = g_strdup_printf (ngettext ("%u of %u session", "%u of %u sessions", total), shown, total);
  gtk_label_set_label (self->count_label, count);
}

/* New sessions arrive on top: an analyst watching the top keeps seeing
 * it, instead of the view holding on to the row that was first. */
static void
on_shown_changed (VigilSessionsPage *self,
                  guint              position,
                  guint              removed,
                  guint              added)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->column_view));
  GtkWidget *child;

  update_visible (self);
  if (position != 0 || added == 0 || adjustment == NULL || gtk_adjustment_get_value (adjustment) > 0)
    return;
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      gtk_widget_activate_action (child, "list.scroll-to-item", "u", 0);
}

static void
on_filter_changed (VigilSessionsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));

  g_clear_pointer (&self->search, g_free);
  if (stripped[0] != '\0')
    self->search = g_utf8_casefold (stripped, -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static VigilSessionItem *
selected_item (VigilSessionsPage *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
update_actions (VigilSessionsPage *self)
{
  VigilSessionItem *item = selected_item (self);
  gboolean live = item != NULL && vigil_session_item_get_live (item);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sessions.block", live);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sessions.require-mpin", live);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sessions.end", live);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sessions.allow", item != NULL);
}

static void
on_selection_changed (VigilSessionsPage *self)
{
  VigilSessionItem *item = selected_item (self);
  VigilSessionItem *shown = vigil_session_detail_get_item (self->detail);

  if (shown != NULL)
    g_signal_handlers_disconnect_by_func (shown, update_actions, self);
  vigil_session_detail_set_item (self->detail, item);
  if (item != NULL)
    g_signal_connect_swapped (item, "notify::live", G_CALLBACK (update_actions), self);
  update_actions (self);
}

static void
on_row_activated (VigilSessionsPage *self,
                  guint              position)
{
  gtk_single_selection_set_selected (self->selection, position);
  /* Enter opens the details: the pane takes the focus (its actions first). */
  gtk_widget_child_focus (GTK_WIDGET (self->detail), GTK_DIR_TAB_FORWARD);
}

/* Actions */

static char *
console_actor (void)
{
  return g_strdup_printf ("console:%s", g_get_user_name ());
}

static const char *
done_message (VigilSessionAction action)
{
  switch (action)
    {
    case VIGIL_SESSION_ACTION_BLOCK:        return _("Session blocked");
    case VIGIL_SESSION_ACTION_ALLOW:        return _("Session marked safe");
    case VIGIL_SESSION_ACTION_REQUIRE_MPIN: return _("MPIN requested");
    case VIGIL_SESSION_ACTION_END:          return _("Session ended");
    default:
      g_return_val_if_reached (NULL);
    }
}

typedef struct
{
  VigilSessionsPage  *page;
  VigilSessionAction  action;
} Running;

static void
on_action_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autofree Running *running = user_data;
  g_autoptr(GError) error = NULL;
  VigilSessionsPage *self;
  VigilSessionAction action = running->action;
  gboolean done = vigil_session_action_run_finish (VIGIL_ENGINE (source), result, &error);

  /* Cancelled only when the page is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = running->page;
  self->running--;
  if (!done)
    {
      g_autofree char *text = g_strdup_printf (_("Could not act on the session: %s"), error->message);

      g_warning ("%s", text);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
      return;
    }
  /* Show the outcome now rather than at the next coalesced update. */
  vigil_session_list_flush (self->list);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (done_message (action)));
}

static void
on_dialog_response (AdwMessageDialog  *dialog,
                    const char        *response,
                    VigilSessionsPage *self)
{
  const char *session_id = g_object_get_data (G_OBJECT (dialog), "vigil-session-id");
  VigilSessionAction action = vigil_action_dialog_get_action (dialog);
  g_autofree char *actor = NULL;
  Running *running;

  if (self->dialog == dialog)
    self->dialog = NULL;
  if (!g_str_equal (response, VIGIL_ACTION_DIALOG_APPLY) || session_id == NULL)
    return;

  actor = console_actor ();
  running = g_new0 (Running, 1);
  running->page = self;
  running->action = action;
  self->running++;
  vigil_session_action_run_async (vigil_page_get_engine (VIGIL_PAGE (self)), session_id, action, actor,
                                  gtk_editable_get_text (vigil_action_dialog_get_entry (dialog)),
                                  self->cancellable, on_action_done, running);
}

static void
ask_reason (VigilSessionsPage  *self,
            VigilSessionAction  action)
{
  VigilSessionItem *item = selected_item (self);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (item == NULL)
    return;
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->dialog));

  self->dialog = vigil_action_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, action,
                                          vigil_session_item_get_user (item));
  g_object_set_data_full (G_OBJECT (self->dialog), "vigil-session-id",
                          g_strdup (vigil_session_item_get_id (item)), g_free);
  g_signal_connect_object (self->dialog, "response", G_CALLBACK (on_dialog_response), self, 0);
  gtk_window_present (GTK_WINDOW (self->dialog));
}

static void
session_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  VigilSessionsPage *self = VIGIL_SESSIONS_PAGE (widget);

  if (g_str_equal (action_name, "sessions.block"))
    ask_reason (self, VIGIL_SESSION_ACTION_BLOCK);
  else if (g_str_equal (action_name, "sessions.allow"))
    ask_reason (self, VIGIL_SESSION_ACTION_ALLOW);
  else if (g_str_equal (action_name, "sessions.require-mpin"))
    ask_reason (self, VIGIL_SESSION_ACTION_REQUIRE_MPIN);
  else if (g_str_equal (action_name, "sessions.end"))
    ask_reason (self, VIGIL_SESSION_ACTION_END);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (VIGIL_SESSIONS_PAGE (widget)->search_entry));
}

/* Construction */

static void
vigil_sessions_page_constructed (GObject *object)
{
  VigilSessionsPage *self = VIGIL_SESSIONS_PAGE (object);
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  GtkSorter *sorter;

  G_OBJECT_CLASS (vigil_sessions_page_parent_class)->constructed (object);

  g_assert (VIGIL_IS_ENGINE (engine));

  self->list = vigil_session_list_new (engine, VIGIL_SESSION_LIST_DEFAULT_ENDED);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->list)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  vigil_sessions_columns_add (self->column_view);
  sorter = gtk_column_view_get_sorter (self->column_view);
  self->sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filtered)),
                                          sorter ? g_object_ref (sorter) : NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  self->detail = VIGIL_SESSION_DETAIL (vigil_session_detail_new (engine));
  gtk_widget_set_size_request (GTK_WIDGET (self->detail), 320, -1);
  gtk_paned_set_end_child (self->paned, GTK_WIDGET (self->detail));

  g_signal_connect_object (self->list, "items-changed", G_CALLBACK (update_visible), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sorted, "items-changed", G_CALLBACK (on_shown_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected-item", G_CALLBACK (on_selection_changed), self,
                           G_CONNECT_SWAPPED);
  update_visible (self);
  update_actions (self);
}

static void
vigil_sessions_page_dispose (GObject *object)
{
  VigilSessionsPage *self = VIGIL_SESSIONS_PAGE (object);
  VigilSessionItem *shown;

  g_cancellable_cancel (self->cancellable);
  if (self->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->dialog)));
  if (self->detail != NULL && (shown = vigil_session_detail_get_item (self->detail)) != NULL)
    g_signal_handlers_disconnect_by_func (shown, update_actions, self);
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_SESSIONS_PAGE);

  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->list);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->search, g_free);

  G_OBJECT_CLASS (vigil_sessions_page_parent_class)->dispose (object);
}

static void
vigil_sessions_page_class_init (VigilSessionsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = vigil_sessions_page_constructed;
  object_class->dispose = vigil_sessions_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-sessions-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, paned);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, risky_toggle);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, VigilSessionsPage, count_label);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);

  gtk_widget_class_install_action (widget_class, "sessions.block", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "sessions.allow", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "sessions.require-mpin", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "sessions.end", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "sessions.search", NULL, search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK, "sessions.block", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "sessions.allow", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "sessions.require-mpin", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "sessions.end", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "sessions.search", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "sessionspage");
}

static void
vigil_sessions_page_init (VigilSessionsPage *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
vigil_sessions_page_new (VigilEngine *engine)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  return g_object_new (VIGIL_TYPE_SESSIONS_PAGE, "engine", engine, NULL);
}

/* For tests */

VigilSessionList *
_vigil_sessions_page_get_session_list (VigilSessionsPage *self)
{
  return self->list;
}

GListModel *
_vigil_sessions_page_get_shown (VigilSessionsPage *self)
{
  return G_LIST_MODEL (self->sorted);
}

GtkColumnView *
_vigil_sessions_page_get_column_view (VigilSessionsPage *self)
{
  return self->column_view;
}

GtkEditable *
_vigil_sessions_page_get_search_entry (VigilSessionsPage *self)
{
  return GTK_EDITABLE (self->search_entry);
}

GtkToggleButton *
_vigil_sessions_page_get_risky_toggle (VigilSessionsPage *self)
{
  return self->risky_toggle;
}

GtkDropDown *
_vigil_sessions_page_get_state_dropdown (VigilSessionsPage *self)
{
  return self->state_dropdown;
}

VigilSessionDetail *
_vigil_sessions_page_get_detail (VigilSessionsPage *self)
{
  return self->detail;
}

const char *
_vigil_sessions_page_get_visible_state (VigilSessionsPage *self)
{
  return gtk_stack_get_visible_child_name (self->list_stack);
}

AdwMessageDialog *
_vigil_sessions_page_get_dialog (VigilSessionsPage *self)
{
  return self->dialog;
}

guint
_vigil_sessions_page_get_running (VigilSessionsPage *self)
{
  return self->running;
}
