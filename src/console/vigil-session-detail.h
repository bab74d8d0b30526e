/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"
#include "vigil-session-item.h"

G_BEGIN_DECLS

/* The detail pane of the Sessions page: one session's risk over time, the
 * reasons for its current decision, its security events, its device and
 * its latest events, with the analyst's actions (the page's "sessions.*"
 * actions). Reloads from the engine when the session changes, at most
 * once a second. */
#define VIGIL_TYPE_SESSION_DETAIL (vigil_session_detail_get_type ())
G_DECLARE_FINAL_TYPE (VigilSessionDetail, vigil_session_detail, VIGIL, SESSION_DETAIL, GtkWidget)

GtkWidget        *vigil_session_detail_new      (VigilEngine        *engine);
/* @item may be NULL: nothing selected. */
void              vigil_session_detail_set_item (VigilSessionDetail *self,
                                                 VigilSessionItem   *item);
VigilSessionItem *vigil_session_detail_get_item (VigilSessionDetail *self);

/* For tests: the chart's point count, and whether a load is under way. */
guint             _vigil_session_detail_get_chart_points (VigilSessionDetail *self);
gboolean          _vigil_session_detail_is_loading       (VigilSessionDetail *self);

G_END_DECLS
