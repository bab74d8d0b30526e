/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_WINDOW (vigil_window_get_type ())
G_DECLARE_FINAL_TYPE (VigilWindow, vigil_window, VIGIL, WINDOW, AdwApplicationWindow)

VigilWindow *vigil_window_new        (GtkApplication *application,
                                      VigilEngine    *engine);

VigilEngine *vigil_window_get_engine (VigilWindow    *self);

/* Presents the About window, transient for @self. The application's
 * app.about action calls this on its active window. */
void         vigil_window_show_about (VigilWindow    *self);

/* Appends a page to the window's view stack; see vigil-window.c. */
void         vigil_window_add_page   (VigilWindow    *self,
                                      GtkWidget      *page,
                                      const char     *name,
                                      const char     *title,
                                      const char     *icon_name);

G_END_DECLS
