/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The rows of the Live page's ticker: when, which event, on which screen
 * and in which session. Rows are built for the visible items only. */
GtkListItemFactory *vigil_live_ticker_factory_new (void);

/* The texts a row shows for @item (a VigilLiveEvent), for the tests. */
char               *vigil_live_ticker_dup_row_text (gpointer item);

G_END_DECLS
