/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-server.h"

G_BEGIN_DECLS

/* Each API surface adds its handlers to the server's SoupServer. */
void vigil_api_health_install (VigilServer *server,
                               SoupServer  *soup_server);

G_END_DECLS
