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

G_END_DECLS
