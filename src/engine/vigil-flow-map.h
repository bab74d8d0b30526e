/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The event-flow map (cbsa's format: {"eventFlowMap": {group: {EVENT:
 * {description, screen?, navigatesTo?, nextEvents[]}}}}) read as a graph
 * of screens. A screen is named by an event's "screen" (that event enters
 * it) or "navigatesTo"; every other event belongs to the screen from whose
 * entry event it is first reached through nextEvents. Edges are the
 * screen-to-screen moves the map allows: an event of one screen that
 * navigates to, or is followed by the entry of, another. Immutable once
 * read. */
typedef struct _VigilFlowMap VigilFlowMap;

#define VIGIL_TYPE_FLOW_MAP (vigil_flow_map_get_type ())
GType         vigil_flow_map_get_type          (void) G_GNUC_CONST;

/* VIGIL_ERROR_INVALID_INPUT when @bytes is not JSON with an
 * "eventFlowMap" object, or names no screen. */
VigilFlowMap *vigil_flow_map_new_from_bytes    (GBytes        *bytes,
                                                GError       **error);
VigilFlowMap *vigil_flow_map_ref               (VigilFlowMap  *self);
void          vigil_flow_map_unref             (VigilFlowMap  *self);

guint         vigil_flow_map_get_n_screens     (VigilFlowMap  *self);
const char   *vigil_flow_map_get_screen_name   (VigilFlowMap  *self,
                                                guint          screen);

/* The screen @event_type belongs to, or -1 when the map does not know it;
 * @out_enters (nullable) is TRUE when the event enters that screen. */
int           vigil_flow_map_lookup_event      (VigilFlowMap  *self,
                                                const char    *event_type,
                                                gboolean      *out_enters);
const char   *vigil_flow_map_get_description   (VigilFlowMap  *self,
                                                const char    *event_type);

guint         vigil_flow_map_get_n_edges       (VigilFlowMap  *self);
void          vigil_flow_map_get_edge          (VigilFlowMap  *self,
                                                guint          edge,
                                                guint         *out_from,
                                                guint         *out_to);
/* The edge from @from to @to, or -1. */
int           vigil_flow_map_find_edge         (VigilFlowMap  *self,
                                                guint          from,
                                                guint          to);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilFlowMap, vigil_flow_map_unref)

G_END_DECLS
