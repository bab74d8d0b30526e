/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_SERVER (vigil_server_get_type ())
G_DECLARE_FINAL_TYPE (VigilServer, vigil_server, VIGIL, SERVER, GObject)

VigilServer *vigil_server_new        (VigilEngine  *engine);

/* Starts listening on @address, "ADDR:PORT" ("[::1]:8000" for IPv6; port 0
 * picks a free one). Stops listening elsewhere first. */
gboolean     vigil_server_listen     (VigilServer  *self,
                                      const char   *address,
                                      GError      **error);

/* The base URL clients use, e.g. "http://127.0.0.1:8000/", or NULL when
 * not listening. */
const char  *vigil_server_get_url    (VigilServer  *self);
VigilEngine *vigil_server_get_engine (VigilServer  *self);

/* Closes the listening sockets and every open connection. */
void         vigil_server_stop       (VigilServer  *self);

/* Who may stream into cbsa's WS /ws/behaviour. Also the "stream-policy"
 * property, as its nick ("open", "token", "off"), for g_settings_bind (). */
typedef enum
{
  VIGIL_STREAM_POLICY_OPEN,    /* anyone, as cbsa (the default) */
  VIGIL_STREAM_POLICY_TOKEN,   /* an access token in ?token= */
  VIGIL_STREAM_POLICY_OFF,     /* the route answers 404 */
} VigilStreamPolicy;

const char       *vigil_stream_policy_to_string           (VigilStreamPolicy  policy);
gboolean          vigil_stream_policy_from_string         (const char        *text,
                                                           VigilStreamPolicy *out_policy);

VigilStreamPolicy vigil_server_get_stream_policy          (VigilServer       *self);
void              vigil_server_set_stream_policy          (VigilServer       *self,
                                                           VigilStreamPolicy  policy);

/* permessage-deflate for the WebSockets opened from now on; off by
 * default: it costs about tenfold in throughput. Also the
 * "websocket-compression" property. */
gboolean          vigil_server_get_websocket_compression  (VigilServer       *self);
void              vigil_server_set_websocket_compression  (VigilServer       *self,
                                                           gboolean           enabled);

/* Serves the event-flow map in @path (read now, and checked to be JSON
 * with an "eventFlowMap" object) instead of the built-in one; NULL goes
 * back to the built-in map. On error the map served does not change.
 * Also the "event-flow-map-path" property. */
gboolean          vigil_server_set_event_flow_map_path    (VigilServer       *self,
                                                           const char        *path,
                                                           GError           **error);
const char       *vigil_server_get_event_flow_map_path    (VigilServer       *self);

G_END_DECLS
