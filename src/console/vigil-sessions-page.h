/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"
#include "vigil-page.h"

G_BEGIN_DECLS

/* The Sessions page: every session in a sortable, filterable column view,
 * the selected one in a detail pane, and the analyst's actions on it
 * (Block, Allow, Require MPIN, End), each with a reason. */
#define VIGIL_TYPE_SESSIONS_PAGE (vigil_sessions_page_get_type ())
G_DECLARE_FINAL_TYPE (VigilSessionsPage, vigil_sessions_page, VIGIL, SESSIONS_PAGE, VigilPage)

GtkWidget *vigil_sessions_page_new (VigilEngine *engine);

G_END_DECLS
