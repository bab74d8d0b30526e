/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Figures that update live. Selectable labels lose their selection on
 * every set, and every set queues a resize, so both leave a label alone
 * when its text has not changed. */
void vigil_label_set_text_if_changed (GtkLabel   *label,
                                      const char *text);
/* @value with the thousands grouped the way the user's locale does. */
void vigil_label_set_count           (GtkLabel   *label,
                                      guint64     value);

G_END_DECLS
