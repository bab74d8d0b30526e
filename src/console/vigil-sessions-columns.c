/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-sessions-columns"

#include "config.h"

#include "vigil-sessions-columns.h"

#include <glib/gi18n.h>

#include "vigil-risk.h"
#include "vigil-session-item.h"
#include "vigil-sessions-format.h"

typedef enum
{
  CELL_TEXT,       /* a string property as is */
  CELL_TIME,
  CELL_DURATION,
  CELL_COUNT,
  CELL_RISK,
  CELL_DECISION,
  CELL_STATE,
} CellKind;

typedef struct
{
  const char *property;
  CellKind    kind;
} Column;

static gboolean
time_to_label (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  g_value_take_string (to, vigil_sessions_format_time (g_value_get_int64 (from)));
  return TRUE;
}

static gboolean
duration_to_label (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  g_value_take_string (to, vigil_sessions_format_duration (g_value_get_int64 (from)));
  return TRUE;
}

static gboolean
count_to_label (GBinding     *binding,
                const GValue *from,
                GValue       *to,
                gpointer      user_data)
{
  g_value_take_string (to, g_strdup_printf ("%'" G_GUINT64_FORMAT, g_value_get_uint64 (from)));
  return TRUE;
}

static gboolean
risk_to_label (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  g_value_take_string (to, g_strdup_printf ("%.2f", g_value_get_double (from)));
  return TRUE;
}

static gboolean
text_or_dash (GBinding     *binding,
              const GValue *from,
              GValue       *to,
              gpointer      user_data)
{
  const char *text = g_value_get_string (from);

  g_value_set_string (to, text && *text ? text : "—");
  return TRUE;
}

static const char *badge_classes[] = { "allow", "monitor", "step_up", "block", "active", "ended", "blocked" };

static void
update_badge (GObject    *item,
              GParamSpec *pspec,
              GtkLabel   *label)
{
  gboolean is_state = g_str_equal (pspec->name, "state");
  g_autofree char *value = NULL;

  g_object_get (item, pspec->name, &value, NULL);
  gtk_label_set_label (label, is_state ? vigil_sessions_format_state (value)
                                       : vigil_sessions_format_decision (value));
  for (guint i = 0; i < G_N_ELEMENTS (badge_classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (label), badge_classes[i]);
  if (value != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (label), value);
}

static GtkWidget *
risk_cell_new (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *bar = gtk_level_bar_new_for_interval (0, 1);
  GtkWidget *label = gtk_label_new (NULL);

  /* The default offsets colour a full bar as good; for risk it is bad. */
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_level_bar_add_offset_value (GTK_LEVEL_BAR (bar), "risk-low", VIGIL_RISK_MONITOR_THRESHOLD);
  gtk_level_bar_add_offset_value (GTK_LEVEL_BAR (bar), "risk-medium", VIGIL_RISK_SUSPICIOUS_THRESHOLD);
  gtk_level_bar_add_offset_value (GTK_LEVEL_BAR (bar), "risk-high", 1.0);
  gtk_widget_set_hexpand (bar, TRUE);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (bar, 48, -1);
  gtk_label_set_width_chars (GTK_LABEL (label), 4);
  gtk_widget_add_css_class (label, "numeric");
  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            const Column             *column)
{
  GtkWidget *widget;

  if (column->kind == CELL_RISK)
    widget = risk_cell_new ();
  else
    {
      widget = gtk_label_new (NULL);
      gtk_label_set_xalign (GTK_LABEL (widget), column->kind == CELL_COUNT ? 1.0 : 0.0);
      gtk_label_set_ellipsize (GTK_LABEL (widget), PANGO_ELLIPSIZE_END);
      if (column->kind == CELL_COUNT || column->kind == CELL_DURATION)
        gtk_widget_add_css_class (widget, "numeric");
      if (column->kind == CELL_DECISION || column->kind == CELL_STATE)
        {
          gtk_widget_add_css_class (widget, "badge");
          gtk_widget_set_halign (widget, GTK_ALIGN_START);
        }
    }
  gtk_list_item_set_child (list_item, widget);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           const Column             *column)
{
  GObject *item = gtk_list_item_get_item (list_item);
  GtkWidget *widget = gtk_list_item_get_child (list_item);
  GBindingTransformFunc transform = NULL;
  GBinding *binding;

  switch (column->kind)
    {
    case CELL_TEXT:     transform = text_or_dash; break;
    case CELL_TIME:     transform = time_to_label; break;
    case CELL_DURATION: transform = duration_to_label; break;
    case CELL_COUNT:    transform = count_to_label; break;
    case CELL_RISK:
      binding = g_object_bind_property (item, "risk", gtk_widget_get_first_child (widget), "value",
                                        G_BINDING_SYNC_CREATE);
      g_object_set_data (G_OBJECT (widget), "vigil-binding-bar", binding);
      widget = gtk_widget_get_last_child (widget);
      transform = risk_to_label;
      break;
    case CELL_DECISION:
    case CELL_STATE:
      g_signal_connect_object (item, column->kind == CELL_STATE ? "notify::state" : "notify::decision",
                               G_CALLBACK (update_badge), widget, 0);
      update_badge (item, g_object_class_find_property (G_OBJECT_GET_CLASS (item), column->property),
                    GTK_LABEL (widget));
      return;
    default:
      g_assert_not_reached ();
    }

  binding = g_object_bind_property_full (item, column->property, widget, "label", G_BINDING_SYNC_CREATE,
                                         transform, NULL, NULL, NULL);
  g_object_set_data (G_OBJECT (gtk_list_item_get_child (list_item)), "vigil-binding", binding);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             const Column             *column)
{
  GObject *item = gtk_list_item_get_item (list_item);
  GtkWidget *widget = gtk_list_item_get_child (list_item);
  GBinding *binding;

  if (column->kind == CELL_DECISION || column->kind == CELL_STATE)
    {
      g_signal_handlers_disconnect_by_data (item, widget);
      return;
    }
  if ((binding = g_object_get_data (G_OBJECT (widget), "vigil-binding")) != NULL)
    g_binding_unbind (binding);
  if ((binding = g_object_get_data (G_OBJECT (widget), "vigil-binding-bar")) != NULL)
    g_binding_unbind (binding);
  g_object_set_data (G_OBJECT (widget), "vigil-binding", NULL);
  g_object_set_data (G_OBJECT (widget), "vigil-binding-bar", NULL);
}

static GtkSorter *
sorter_for (const Column *column)
{
  GtkExpression *expression = gtk_property_expression_new (VIGIL_TYPE_SESSION_ITEM, NULL, column->property);

  if (column->kind == CELL_TEXT || column->kind == CELL_DECISION || column->kind == CELL_STATE)
    return GTK_SORTER (gtk_string_sorter_new (expression));
  return GTK_SORTER (gtk_numeric_sorter_new (expression));
}

static const Column columns[] = {
  { "user", CELL_TEXT },
  { "device", CELL_TEXT },
  { "started", CELL_TIME },
  { "duration", CELL_DURATION },
  { "events", CELL_COUNT },
  { "risk", CELL_RISK },
  { "decision", CELL_DECISION },
  { "state", CELL_STATE },
};

void
vigil_sessions_columns_add (GtkColumnView *view)
{
  const char *titles[G_N_ELEMENTS (columns)] = {
    _("User"), _("Device"), _("Started"), _("Duration"), _("Events"), _("Risk"), _("Decision"), _("State"),
  };
  /* Together they fit beside the detail pane in a 1024 px window. */
  const int widths[G_N_ELEMENTS (columns)] = { 100, 96, 104, 72, 56, 96, 84, 90 };

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;
      g_autoptr(GtkSorter) sorter = sorter_for (&columns[i]);

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), (gpointer) &columns[i]);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), (gpointer) &columns[i]);
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), (gpointer) &columns[i]);
      column = gtk_column_view_column_new (titles[i], factory);
      gtk_column_view_column_set_sorter (column, sorter);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_fixed_width (column, widths[i]);
      gtk_column_view_column_set_expand (column, i == 0);
      gtk_column_view_append_column (view, column);
    }
}
