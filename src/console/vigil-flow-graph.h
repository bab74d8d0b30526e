/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "vigil-flow-map.h"

G_BEGIN_DECLS

/* The event-flow map drawn as a graph: a rounded box per screen with its
 * event rate and a colour for the risk of the sessions on it, curves for
 * the moves between screens, and a dot running along a curve for each
 * session that just made that move. Callers only record what happened;
 * the widget redraws on its own frame clock, once a frame at most. */
#define VIGIL_TYPE_FLOW_GRAPH (vigil_flow_graph_get_type ())
G_DECLARE_FINAL_TYPE (VigilFlowGraph, vigil_flow_graph, VIGIL, FLOW_GRAPH, GtkWidget)

GtkWidget *vigil_flow_graph_new             (VigilFlowMap   *map);

/* An event happened on @screen at @now_us (monotonic). */
void       vigil_flow_graph_count_event     (VigilFlowGraph *self,
                                             guint           screen,
                                             gint64          now_us);
/* A session moved from @from to @to at @now_us (monotonic). */
void       vigil_flow_graph_add_traversal   (VigilFlowGraph *self,
                                             guint           from,
                                             guint           to,
                                             gint64          now_us);
/* The highest risk among the sessions on @screen, or < 0 for none. */
void       vigil_flow_graph_set_screen_risk (VigilFlowGraph *self,
                                             guint           screen,
                                             double          risk);

/* Events a second on @screen over the last few seconds. */
double     vigil_flow_graph_get_screen_rate (VigilFlowGraph *self,
                                             guint           screen,
                                             gint64          now_us);
/* The rate as the node shows it. */
char      *vigil_flow_graph_dup_rate_text   (VigilFlowGraph *self,
                                             guint           screen);

G_END_DECLS
