/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "vigil-label.h"

void
vigil_label_set_text_if_changed (GtkLabel   *label,
                                 const char *text)
{
  g_return_if_fail (GTK_IS_LABEL (label));

  if (g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
}

void
vigil_label_set_count (GtkLabel *label,
                       guint64   value)
{
  /* The ' flag groups thousands by the locale. */
  g_autofree char *text = g_strdup_printf ("%'" G_GUINT64_FORMAT, value);

  vigil_label_set_text_if_changed (label, text);
}
