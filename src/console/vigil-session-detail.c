/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-session-detail"

#include "config.h"

#include "vigil-session-detail.h"

#include <glib/gi18n.h>
#include <string.h>

#include "vigil-risk-chart.h"
#include "vigil-session-details.h"
#include "vigil-sessions-format.h"

#define RELOAD_MS 1000
/* Rows of the timeline; the store keeps them all. */
#define TIMELINE_ROWS 50

struct _VigilSessionDetail
{
  GtkWidget         parent_instance;

  VigilEngine      *engine;
  VigilSessionItem *item;
  GCancellable     *cancellable;
  guint             reload_id;
  gboolean          loading;

  GtkStack         *stack;
  GtkLabel         *title;
  GtkLabel         *subtitle;
  VigilRiskChart   *chart;
  GtkLabel         *decision;
  GtkListBox       *reasons;
  GtkListBox       *security;
  GtkListBox       *device;
  GtkListBox       *timeline;
};

G_DEFINE_FINAL_TYPE (VigilSessionDetail, vigil_session_detail, GTK_TYPE_WIDGET)

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_row (GtkListBox *list,
         const char *title,
         const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  /* Texts from clients: no markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title ? title : "");
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_append (list, row);
}

static void
show_placeholder (GtkListBox *list,
                  const char *text)
{
  if (gtk_widget_get_first_child (GTK_WIDGET (list)) == NULL)
    add_row (list, text, NULL);
}

static void
fill_decision (VigilSessionDetail  *self,
               VigilSessionDetails *details)
{
  g_autofree char *summary = NULL;

  clear_list (self->reasons);
  if (details->decision == NULL)
    summary = g_strdup (_("No decision yet"));
  else
    /* Translators: "Step-up · risk 0.72 · confidence 0.80" */
    summary = g_strdup_printf (_("%s · risk %.2f · confidence %.2f"),
                               vigil_sessions_format_decision (details->decision), details->risk,
                               details->confidence);
  gtk_label_set_label (self->decision, summary);

  for (guint i = 0; i < details->reasons->len; i++)
    {
      const VigilRiskReason *reason = g_ptr_array_index (details->reasons, i);
      /* Translators: a reason's share of the risk, and how sure it is */
      g_autofree char *figures = g_strdup_printf (_("%+.2f · confidence %.2f · %s"), reason->weight,
                                                  reason->confidence, reason->code);

      add_row (self->reasons, reason->text, figures);
    }
  show_placeholder (self->reasons, _("No reasons: nothing raised the risk"));
}

/* A decision's details read as people would say them; other details as
 * they are. */
static char *
describe_details (const char *details)
{
  g_autoptr(JsonNode) node = details ? json_from_string (details, NULL) : NULL;
  g_autoptr(GString) text = NULL;
  JsonObject *object;
  JsonArray *reasons;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup (details ? details : "");
  object = json_node_get_object (node);
  if (!json_object_has_member (object, "risk"))
    return g_strdup (details);

  text = g_string_new (NULL);
  /* Translators: "risk 0.80 · confidence 0.80" */
  g_string_printf (text, _("risk %.2f · confidence %.2f"),
                   json_object_get_double_member_with_default (object, "risk", 0),
                   json_object_get_double_member_with_default (object, "confidence", 0));
  reasons = json_object_has_member (object, "reasons") ? json_object_get_array_member (object, "reasons") : NULL;
  for (guint i = 0; reasons != NULL && i < json_array_get_length (reasons); i++)
    {
      const char *code = json_node_get_string (json_array_get_element (reasons, i));

      g_string_append_printf (text, "%s%s", i == 0 ? " · " : ", ", code ? code : "");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
fill_security (VigilSessionDetail  *self,
               VigilSessionDetails *details)
{
  clear_list (self->security);
  for (guint i = 0; i < details->security_events->len; i++)
    {
      const VigilSecurityEvent *event = g_ptr_array_index (details->security_events, i);
      g_autofree char *when = vigil_sessions_format_time (event->at_us);
      g_autofree char *title = g_strdup_printf ("%s · %s", event->kind, event->severity);
      g_autofree char *what = describe_details (event->details);
      g_autofree char *subtitle = g_strdup_printf ("%s  %s", when, what);

      add_row (self->security, title, subtitle);
    }
  show_placeholder (self->security, _("No security events"));
}

static void
fill_device (VigilSessionDetail  *self,
             VigilSessionDetails *details)
{
  clear_list (self->device);
  add_row (self->device, _("Device ID"), details->device_id ? details->device_id : _("Unknown"));
  if (details->end_reason != NULL)
    add_row (self->device, _("End Reason"), details->end_reason);
  if (details->context != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (details->context);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *node = json_object_get_member (details->context, l->data);
          g_autofree char *text = NULL;

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            text = g_strdup (json_node_get_string (node));
          else
            text = json_to_string (node, FALSE);
          add_row (self->device, l->data, text);
        }
    }
}

static void
fill_timeline (VigilSessionDetail  *self,
               VigilSessionDetails *details)
{
  guint n = details->events->len;

  clear_list (self->timeline);
  /* Newest on top. */
  for (guint i = n; i > 0 && n - i < TIMELINE_ROWS; i--)
    {
      const VigilEvent *event = g_ptr_array_index (details->events, i - 1);
      g_autofree char *when = vigil_sessions_format_time (event->received_at_us);
      g_autofree char *title = g_strdup_printf ("#%" G_GINT64_FORMAT " %s", event->seq, event->event_type);
      g_autofree char *data = g_utf8_make_valid (event->data ? event->data : "", MIN (strlen (event->data ? event->data : ""), 120));
      g_autofree char *subtitle = g_strdup_printf ("%s  %s", when, data);

      add_row (self->timeline, title, subtitle);
    }
  show_placeholder (self->timeline, _("No events yet"));
}

static void
fill_chart (VigilSessionDetail  *self,
            VigilSessionDetails *details)
{
  guint n = details->risk_history->len;
  g_autofree gint64 *times = g_new0 (gint64, n + 1);
  g_autofree double *risks = g_new0 (double, n + 1);
  gint64 now = vigil_clock_now_us (vigil_engine_get_clock (self->engine));

  for (guint i = 0; i < n; i++)
    {
      const VigilRiskPoint *point = g_ptr_array_index (details->risk_history, i);

      times[i] = point->at_us;
      risks[i] = point->risk;
    }
  /* A live session's risk moves between stored decisions: end on it. */
  if (self->item != NULL && vigil_session_item_get_live (self->item))
    {
      times[n] = MAX (now, n > 0 ? times[n - 1] : now);
      risks[n] = vigil_session_item_get_risk (self->item);
      n++;
    }
  vigil_risk_chart_set_points (self->chart, times, risks, n);
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(VigilSessionDetails) details = NULL;
  g_autoptr(GError) error = NULL;
  VigilSessionDetail *self;

  details = vigil_session_details_load_finish (VIGIL_ENGINE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = VIGIL_SESSION_DETAIL (user_data);
  self->loading = FALSE;
  if (details == NULL)
    {
      /* A session that just started may not be committed yet: the next
       * change reloads. */
      g_debug ("Session details unavailable: %s", error->message);
      return;
    }

  fill_chart (self, details);
  fill_decision (self, details);
  fill_security (self, details);
  fill_device (self, details);
  fill_timeline (self, details);
}

static void
load (VigilSessionDetail *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->item == NULL)
    return;

  self->cancellable = g_cancellable_new ();
  self->loading = TRUE;
  vigil_session_details_load_async (self->engine, vigil_session_item_get_id (self->item), self->cancellable,
                                    on_loaded, self);
}

static gboolean
reload_cb (gpointer user_data)
{
  VigilSessionDetail *self = user_data;

  self->reload_id = 0;
  load (self);
  return G_SOURCE_REMOVE;
}

static void
update_header (VigilSessionDetail *self)
{
  g_autofree char *subtitle = NULL;

  if (self->item == NULL)
    return;
  gtk_label_set_label (self->title, vigil_session_item_get_user (self->item)
                                      ? vigil_session_item_get_user (self->item) : _("Unknown User"));
  /* Translators: "Active · 42 events · 6f1c…" */
  subtitle = g_strdup_printf (_("%s · %lu events · %s"),
                              vigil_sessions_format_state (vigil_session_item_get_state (self->item)),
                              (gulong) MIN (vigil_session_item_get_events (self->item), G_MAXULONG),
                              vigil_session_item_get_id (self->item));
  gtk_label_set_label (self->subtitle, subtitle);
}

static void
on_item_notify (VigilSessionDetail *self)
{
  update_header (self);
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (RELOAD_MS, reload_cb, self);
}

void
vigil_session_detail_set_item (VigilSessionDetail *self,
                               VigilSessionItem   *item)
{
  g_return_if_fail (VIGIL_IS_SESSION_DETAIL (self));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_set_object (&self->item, item);
  g_clear_handle_id (&self->reload_id, g_source_remove);

  gtk_stack_set_visible_child_name (self->stack, item ? "details" : "none");
  if (item == NULL)
    {
      load (self);
      return;
    }
  g_signal_connect_swapped (item, "notify", G_CALLBACK (on_item_notify), self);
  update_header (self);
  vigil_risk_chart_set_points (self->chart, NULL, NULL, 0);
  load (self);
}

VigilSessionItem *
vigil_session_detail_get_item (VigilSessionDetail *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_DETAIL (self), NULL);
  return self->item;
}

guint
_vigil_session_detail_get_chart_points (VigilSessionDetail *self)
{
  return vigil_risk_chart_get_n_points (self->chart);
}

gboolean
_vigil_session_detail_is_loading (VigilSessionDetail *self)
{
  return self->loading;
}

static GtkListBox *
add_section (GtkBox     *box,
             const char *heading)
{
  GtkWidget *label = gtk_label_new (heading);
  GtkWidget *list = gtk_list_box_new ();

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, heading, -1);
  gtk_box_append (box, label);
  gtk_box_append (box, list);
  return GTK_LIST_BOX (list);
}

static GtkWidget *
action_button (const char *label,
               const char *action,
               const char *tooltip,
               const char *css_class)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_set_tooltip_text (button, tooltip);
  if (css_class != NULL)
    gtk_widget_add_css_class (button, css_class);
  return button;
}

static GtkWidget *
build_actions (void)
{
  GtkWidget *box = gtk_flow_box_new ();

  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (box), GTK_SELECTION_NONE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (box), 4);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (box), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (box), 6);
  gtk_flow_box_append (GTK_FLOW_BOX (box),
                       action_button (_("_Block"), "sessions.block", _("Block this session (Ctrl+B)"),
                                      "destructive-action"));
  gtk_flow_box_append (GTK_FLOW_BOX (box),
                       action_button (_("_Allow"), "sessions.allow", _("Mark this session safe (Ctrl+Shift+A)"),
                                      NULL));
  gtk_flow_box_append (GTK_FLOW_BOX (box),
                       action_button (_("Require _MPIN"), "sessions.require-mpin",
                                      _("Ask for the MPIN again (Ctrl+M)"), NULL));
  gtk_flow_box_append (GTK_FLOW_BOX (box),
                       action_button (_("_End"), "sessions.end", _("End this session (Ctrl+E)"), NULL));
  return box;
}

static GtkWidget *
build_details (VigilSessionDetail *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkBox *box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_VERTICAL, 12));
  GtkWidget *label;

  gtk_widget_set_margin_start (GTK_WIDGET (box), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (box), 12);
  gtk_widget_set_margin_top (GTK_WIDGET (box), 12);
  gtk_widget_set_margin_bottom (GTK_WIDGET (box), 12);

  self->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title, 0);
  gtk_label_set_ellipsize (self->title, PANGO_ELLIPSIZE_END);
  gtk_label_set_selectable (self->title, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "title-2");
  gtk_box_append (box, GTK_WIDGET (self->title));
  self->subtitle = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->subtitle, 0);
  gtk_label_set_wrap (self->subtitle, TRUE);
  gtk_label_set_wrap_mode (self->subtitle, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (self->subtitle, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->subtitle), "dim-label");
  gtk_box_append (box, GTK_WIDGET (self->subtitle));
  gtk_box_append (box, build_actions ());

  label = gtk_label_new (_("Risk Over Time"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (box, label);
  self->chart = VIGIL_RISK_CHART (vigil_risk_chart_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->chart), "card");
  gtk_widget_set_size_request (GTK_WIDGET (self->chart), -1, 140);
  gtk_box_append (box, GTK_WIDGET (self->chart));

  label = gtk_label_new (_("Current Decision"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (box, label);
  self->decision = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->decision, 0);
  gtk_box_append (box, GTK_WIDGET (self->decision));
  self->reasons = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->reasons, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->reasons), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->reasons), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reasons"), -1);
  gtk_box_append (box, GTK_WIDGET (self->reasons));

  self->security = add_section (box, _("Security Events"));
  self->device = add_section (box, _("Device"));
  self->timeline = add_section (box, _("Event Timeline"));

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (box));
  return scrolled;
}

static void
vigil_session_detail_dispose (GObject *object)
{
  VigilSessionDetail *self = VIGIL_SESSION_DETAIL (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (vigil_session_detail_parent_class)->dispose (object);
}

static void
vigil_session_detail_class_init (VigilSessionDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_session_detail_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "sessiondetail");
}

static void
vigil_session_detail_init (VigilSessionDetail *self)
{
  GtkWidget *none = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (none), "view-reveal-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (none), _("No Session Selected"));
  adw_status_page_set_description (ADW_STATUS_PAGE (none),
                                   _("Select a session in the list, or press Enter on it, to see why it "
                                     "looks risky and to act on it."));
  gtk_widget_add_css_class (none, "compact");

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, none, "none");
  gtk_stack_add_named (self->stack, build_details (self), "details");
  gtk_stack_set_visible_child_name (self->stack, "none");
  gtk_widget_set_parent (GTK_WIDGET (self->stack), GTK_WIDGET (self));
}

GtkWidget *
vigil_session_detail_new (VigilEngine *engine)
{
  VigilSessionDetail *self;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  self = g_object_new (VIGIL_TYPE_SESSION_DETAIL, NULL);
  self->engine = g_object_ref (engine);
  return GTK_WIDGET (self);
}
