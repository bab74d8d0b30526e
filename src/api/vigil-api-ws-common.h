/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

/* What the three WebSocket surfaces do alike. */

typedef enum
{
  VIGIL_API_WS_PARSE_OK,
  VIGIL_API_WS_PARSE_TOO_LARGE,
  VIGIL_API_WS_PARSE_NOT_JSON,    /* also: not UTF-8, nested too deep, empty */
} VigilApiWsParse;

/* The JSON of one client message, or NULL and why in @out_result. */
JsonNode *vigil_api_ws_parse        (GBytes                  *message,
                                     gsize                    max_bytes,
                                     VigilApiWsParse         *out_result);

/* libsoup hands a WebSocket handler a connection it does not own: these
 * keep it until it is closed. */
/* Refuses a client after the upgrade (libsoup can send a close code only
 * then): closes with @code and @reason at once. */
void      vigil_api_ws_refuse       (SoupWebsocketConnection *conn,
                                     gushort                  code,
                                     const char              *reason);
/* Messages up to twice @max_message_bytes reach the handler, which
 * answers an error for those over @max_message_bytes; libsoup closes the
 * connection (1009) on larger ones without buffering them. */
void      vigil_api_ws_set_limit    (SoupWebsocketConnection *conn,
                                     gsize                    max_message_bytes);

/* These do nothing once the connection is closing. */
void      vigil_api_ws_send         (SoupWebsocketConnection *conn,
                                     JsonBuilder             *builder);
void      vigil_api_ws_send_text    (SoupWebsocketConnection *conn,
                                     const char              *text);
void      vigil_api_ws_close        (SoupWebsocketConnection *conn,
                                     gushort                  code,
                                     const char              *reason);

/* For the HTTP handler of a WebSocket route, which runs before the
 * handshake: a GET that asks for no upgrade is answered 426 in JSON
 * (libsoup would answer 400 in HTML). Returns FALSE when it replied. */
gboolean  vigil_api_ws_check_upgrade (SoupServerMessage      *msg);

/* A query parameter of the upgrade request (NULL when absent or empty). */
char     *vigil_api_ws_get_query    (SoupServerMessage       *msg,
                                     const char              *name);
/* The token of a "bearer.TOKEN" element of Sec-WebSocket-Protocol, where
 * browsers, which cannot set headers on a WebSocket, can put one. */
char     *vigil_api_ws_get_protocol_token (SoupServerMessage *msg);

/* Seconds since the epoch by the engine's clock, for acknowledgements. */
double    vigil_api_ws_now          (VigilEngine             *engine);

/* An engine error as a client may read it: internal failures are logged
 * and answered vaguely. */
const char *vigil_api_ws_error_text (const GError            *error);

G_END_DECLS
