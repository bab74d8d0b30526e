/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-server.h"

G_BEGIN_DECLS

/* What the WebSocket surfaces share with the server that owns them. */

/* An accepted socket that vigil_server_stop () closes (1001); forgotten
 * by the server once closed. */
void    _vigil_server_add_socket            (VigilServer             *self,
                                             SoupWebsocketConnection *conn);

/* The next cbsa message_id: one counter for every client of @self. */
gint64  _vigil_server_next_stream_message_id (VigilServer            *self);

/* The event-flow map GET /event-flow-map serves (transfer full). */
GBytes *_vigil_server_dup_event_flow_map    (VigilServer             *self);

/* From vigil-api-root.c: the built-in map, and a map file checked to be
 * JSON with an "eventFlowMap" object (VIGIL_ERROR_INVALID_INPUT). */
GBytes *_vigil_api_default_event_flow_map   (void);
GBytes *_vigil_api_load_event_flow_map      (const char              *path,
                                             GError                 **error);

G_END_DECLS
