/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The Sessions page's columns over VigilSessionItem: user, device,
 * started, duration, events, risk (a level bar), decision (a badge) and
 * state, each with its sorter. Cells bind to the item's properties while
 * they show it: nothing per row runs otherwise. */
void vigil_sessions_columns_add (GtkColumnView *view);

G_END_DECLS
