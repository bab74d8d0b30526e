/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-live-ticker"

#include "config.h"

#include "vigil-live-ticker.h"

#include <glib/gi18n.h>

#include "vigil-ticker-model.h"

/* How much of a session id a row shows: enough to tell sessions apart. */
#define SESSION_PREFIX 8

static void
row_texts (VigilLiveEvent  *item,
           char           **out_time,
           char           **out_type,
           char           **out_detail)
{
  VigilEvent *event = vigil_live_event_get_event (item);
  const char *screen = vigil_live_event_get_screen (item);
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (event->received_at_us / G_USEC_PER_SEC);
  g_autofree char *clock = at ? g_date_time_format (at, "%H:%M:%S") : NULL;
  g_autofree char *session = event->session_id ? g_strndup (event->session_id, SESSION_PREFIX) : NULL;

  *out_time = g_strdup (clock ? clock : "");
  *out_type = g_strdup (event->event_type);
  if (screen != NULL && session != NULL)
    /* Translators: a ticker row's detail: "screen · session id" */
    *out_detail = g_strdup_printf (_("%s · %s"), screen, session);
  else
    *out_detail = g_strdup (screen ? screen : session ? session : "");
}

char *
vigil_live_ticker_dup_row_text (gpointer item)
{
  g_autofree char *time = NULL, *type = NULL, *detail = NULL;

  g_return_val_if_fail (VIGIL_IS_LIVE_EVENT (item), NULL);

  row_texts (item, &time, &type, &detail);
  return g_strjoin (" ", time, type, detail, NULL);
}

/* A ticker row draws its one line itself: a label would re-measure the
 * whole list at every change, and every row on screen changes several
 * times a second under load. Rows have one fixed height. */
#define VIGIL_TYPE_TICKER_ROW (vigil_ticker_row_get_type ())
G_DECLARE_FINAL_TYPE (VigilTickerRow, vigil_ticker_row, VIGIL, TICKER_ROW, GtkWidget)

struct _VigilTickerRow
{
  GtkWidget    parent_instance;

  PangoLayout *layout;
  char        *text;
};

G_DEFINE_FINAL_TYPE (VigilTickerRow, vigil_ticker_row, GTK_TYPE_WIDGET)

static void
vigil_ticker_row_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  VigilTickerRow *self = VIGIL_TICKER_ROW (widget);
  PangoFontMetrics *metrics;
  PangoContext *context;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 0;
      *natural = 300;
      return;
    }

  /* From the font, not the text: the height never changes with it. */
  context = pango_layout_get_context (self->layout);
  metrics = pango_context_get_metrics (context, NULL, NULL);
  *minimum = *natural = PANGO_PIXELS_CEIL (pango_font_metrics_get_height (metrics)) + 6;
  pango_font_metrics_unref (metrics);
}

static void
vigil_ticker_row_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  VigilTickerRow *self = VIGIL_TICKER_ROW (widget);

  pango_layout_set_width (self->layout, MAX (width - 24, 0) * PANGO_SCALE);
}

static void
vigil_ticker_row_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  VigilTickerRow *self = VIGIL_TICKER_ROW (widget);
  GdkRGBA color;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (12, 3));
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
  gtk_snapshot_restore (snapshot);
}

static void
vigil_ticker_row_css_changed (GtkWidget         *widget,
                              GtkCssStyleChange *change)
{
  VigilTickerRow *self = VIGIL_TICKER_ROW (widget);
  g_autofree char *markup = g_steal_pointer (&self->text);

  GTK_WIDGET_CLASS (vigil_ticker_row_parent_class)->css_changed (widget, change);

  /* A new font: a new layout, and perhaps a new height. */
  g_clear_object (&self->layout);
  self->layout = gtk_widget_create_pango_layout (widget, NULL);
  pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
  if (markup != NULL)
    {
      pango_layout_set_markup (self->layout, markup, -1);
      self->text = g_steal_pointer (&markup);
    }
  gtk_widget_queue_resize (widget);
}

static void
vigil_ticker_row_finalize (GObject *object)
{
  VigilTickerRow *self = VIGIL_TICKER_ROW (object);

  g_clear_object (&self->layout);
  g_free (self->text);

  G_OBJECT_CLASS (vigil_ticker_row_parent_class)->finalize (object);
}

static void
vigil_ticker_row_class_init (VigilTickerRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = vigil_ticker_row_finalize;
  widget_class->measure = vigil_ticker_row_measure;
  widget_class->size_allocate = vigil_ticker_row_size_allocate;
  widget_class->snapshot = vigil_ticker_row_snapshot;
  widget_class->css_changed = vigil_ticker_row_css_changed;

  gtk_widget_class_set_css_name (widget_class, "tickerrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
vigil_ticker_row_init (VigilTickerRow *self)
{
  self->layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
}

static void
vigil_ticker_row_set (VigilTickerRow *self,
                      const char     *markup,
                      const char     *plain)
{
  if (g_strcmp0 (self->text, markup) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (markup);
  pango_layout_set_markup (self->layout, markup, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, plain, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item)
{
  gtk_list_item_set_child (list_item, g_object_new (VIGIL_TYPE_TICKER_ROW, NULL));
  gtk_list_item_set_activatable (list_item, FALSE);
}

static void
show_slot (VigilTickerSlot *slot,
           GParamSpec      *pspec,
           VigilTickerRow  *row)
{
  VigilLiveEvent *item = vigil_ticker_slot_get_event (slot);
  g_autofree char *time_text = NULL, *type_text = NULL, *detail_text = NULL;
  g_autofree char *time_markup = NULL, *type_markup = NULL, *detail_markup = NULL;
  g_autofree char *markup = NULL, *plain = NULL;

  if (item == NULL)
    {
      vigil_ticker_row_set (row, "", "");
      return;
    }

  row_texts (item, &time_text, &type_text, &detail_text);
  time_markup = g_markup_escape_text (time_text, -1);
  type_markup = g_markup_escape_text (type_text, -1);
  detail_markup = g_markup_escape_text (detail_text, -1);
  markup = g_strdup_printf ("<span alpha=\"60%%\">%s</span>  %s  <span alpha=\"60%%\">%s</span>",
                            time_markup, type_markup, detail_markup);
  plain = g_strjoin (" ", time_text, type_text, detail_text, NULL);
  vigil_ticker_row_set (row, markup, plain);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item)
{
  VigilTickerSlot *slot = gtk_list_item_get_item (list_item);
  GtkWidget *row = gtk_list_item_get_child (list_item);

  /* The slot keeps its place; what changes is the event it shows. */
  g_signal_connect_object (slot, "notify::event", G_CALLBACK (show_slot), row, 0);
  show_slot (slot, NULL, VIGIL_TICKER_ROW (row));
}

static void
unbind_cb (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item)
{
  VigilTickerSlot *slot = gtk_list_item_get_item (list_item);

  g_signal_handlers_disconnect_by_func (slot, show_slot, gtk_list_item_get_child (list_item));
}

GtkListItemFactory *
vigil_live_ticker_factory_new (void)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cb), NULL);
  return factory;
}
