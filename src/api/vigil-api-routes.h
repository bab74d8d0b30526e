/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-server.h"

G_BEGIN_DECLS

/* Each API surface adds its handlers to the server's SoupServer. */
void vigil_api_health_install (VigilServer *server,
                               SoupServer  *soup_server);
/* canara: the /api/v1/auth routes */
void vigil_api_auth_install     (VigilServer *server,
                                 SoupServer  *soup_server);
/* walmart /api/signup, /api/login, /api/check-admin, /api/admin/{users,audit-logs} */
void vigil_api_accounts_install (VigilServer *server,
                                 SoupServer  *soup_server);
/* maxidom /enroll/{id}, /verify_password/{id}, also under /api/ */
void vigil_api_profiles_install (VigilServer *server,
                                 SoupServer  *soup_server);

G_END_DECLS
