/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-server.h"

G_BEGIN_DECLS

/* Each API surface adds its handlers to the server's SoupServer. */
void vigil_api_health_install (VigilServer *server,
                               SoupServer  *soup_server);
/* The "ml_engine" member of /health and /statistics: local or remote
 * mode, and the remote's availability. */
void vigil_api_builder_add_ml_engine (JsonBuilder *builder,
                                      VigilEngine *engine);
/* canara: the /api/v1/auth routes */
void vigil_api_auth_install     (VigilServer *server,
                                 SoupServer  *soup_server);
/* walmart /api/signup, /api/login, /api/check-admin, /api/admin/{users,audit-logs} */
void vigil_api_accounts_install (VigilServer *server,
                                 SoupServer  *soup_server);
/* walmart /api/fingerprint/{update,analyze}, /api/risk/assess, /api/analytics/{session,dashboard} */
void vigil_api_risk_install     (VigilServer *server,
                                 SoupServer  *soup_server);
/* maxidom /enroll/{id}, /verify_password/{id}, also under /api/ */
void vigil_api_profile_models_install (VigilServer *server,
                                       SoupServer  *soup_server);
void vigil_api_profiles_install (VigilServer *server,
                                 SoupServer  *soup_server);
/* canara /api/v1/log/..., POST /api/v1/ws/sessions/{id}/lifecycle */
void vigil_api_log_install      (VigilServer *server,
                                 SoupServer  *soup_server);
/* the ML engine's /session/{start,end}, /analyze-mobile, /feedback, /statistics */
void vigil_api_ml_install        (VigilServer *server,
                                 SoupServer  *soup_server);
/* canara WS /api/v1/ws/behavior/{session_id}?token= */
void vigil_api_ws_behavior_install (VigilServer *server,
                                    SoupServer  *soup_server);
/* cbsa WS /ws/behaviour, as the stream policy allows */
void vigil_api_ws_stream_install   (VigilServer *server,
                                    SoupServer  *soup_server);
/* cbsa WS /ws/monitor, for analysts and admins */
void vigil_api_ws_monitor_install  (VigilServer *server,
                                    SoupServer  *soup_server);
/* GET /, GET /event-flow-map, and 404 for every path no surface has */
void vigil_api_root_install        (VigilServer *server,
                                    SoupServer  *soup_server);

G_END_DECLS
