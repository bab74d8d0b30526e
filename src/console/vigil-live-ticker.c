/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-live-ticker"

#include "config.h"

#include "vigil-live-ticker.h"

#include <glib/gi18n.h>

#include "vigil-live-event.h"

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

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *time = gtk_label_new (NULL);
  GtkWidget *type = gtk_label_new (NULL);
  GtkWidget *detail = gtk_label_new (NULL);

  gtk_widget_set_margin_start (row, 12);
  gtk_widget_set_margin_end (row, 12);
  gtk_widget_set_margin_top (row, 4);
  gtk_widget_set_margin_bottom (row, 4);

  gtk_widget_add_css_class (time, "numeric");
  gtk_widget_add_css_class (time, "dim-label");
  gtk_widget_add_css_class (time, "caption");
  gtk_widget_set_valign (time, GTK_ALIGN_START);

  gtk_label_set_xalign (GTK_LABEL (type), 0);
  gtk_label_set_ellipsize (GTK_LABEL (type), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_label_set_ellipsize (GTK_LABEL (detail), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (detail, "dim-label");
  gtk_widget_add_css_class (detail, "caption");
  gtk_widget_set_hexpand (texts, TRUE);

  gtk_box_append (GTK_BOX (texts), type);
  gtk_box_append (GTK_BOX (texts), detail);
  gtk_box_append (GTK_BOX (row), time);
  gtk_box_append (GTK_BOX (row), texts);
  gtk_list_item_set_child (list_item, row);
  gtk_list_item_set_activatable (list_item, FALSE);
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item)
{
  GtkWidget *row = gtk_list_item_get_child (list_item);
  GtkWidget *time = gtk_widget_get_first_child (row);
  GtkWidget *texts = gtk_widget_get_next_sibling (time);
  GtkWidget *type = gtk_widget_get_first_child (texts);
  GtkWidget *detail = gtk_widget_get_next_sibling (type);
  g_autofree char *time_text = NULL, *type_text = NULL, *detail_text = NULL;

  row_texts (gtk_list_item_get_item (list_item), &time_text, &type_text, &detail_text);
  gtk_label_set_label (GTK_LABEL (time), time_text);
  gtk_label_set_label (GTK_LABEL (type), type_text);
  gtk_label_set_label (GTK_LABEL (detail), detail_text);
}

GtkListItemFactory *
vigil_live_ticker_factory_new (void)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), NULL);
  return factory;
}
