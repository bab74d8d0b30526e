/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of the canara logging surface (vigil-api-log*.c) share:
 * its reply style, the tokens it takes, the authentication and
 * authorization every handler starts with, and the handlers the route
 * table in vigil-api-log.c names. */

#include "vigil-api-request.h"
#include "vigil-server.h"

G_BEGIN_DECLS

#define STYLE VIGIL_API_STYLE_FASTAPI

#define BEARER_KINDS (VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS) | VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_SESSION))

VigilAuth     *_vigil_api_log_server_auth            (VigilServer             *server);
VigilSessions *_vigil_api_log_server_sessions        (VigilServer             *server);
gint64         _vigil_api_log_server_now_us          (VigilServer             *server);
void           _vigil_api_log_reply_detail           (SoupServerMessage       *msg,
                                                      guint                    status,
                                                      const char              *error_code,
                                                      const char              *detail);
gboolean       _vigil_api_log_authenticate_and_parse (VigilServer             *server,
                                                      SoupServerMessage       *msg,
                                                      gboolean                 body_token,
                                                      VigilTokenClaims       **out_claims,
                                                      VigilApiBody           **out_body);
void           _vigil_api_log_reply_not_open         (SoupServerMessage       *msg,
                                                      const char              *state);
gboolean       _vigil_api_log_authorize_session      (VigilServer             *server,
                                                      SoupServerMessage       *msg,
                                                      const VigilTokenClaims  *claims,
                                                      const char              *session_id,
                                                      gboolean                 write,
                                                      VigilSession           **out_open,
                                                      VigilSessionInfo       **out_info);
void           _vigil_api_log_reply_session_error    (VigilServer             *server,
                                                      SoupServerMessage       *msg,
                                                      const char              *session_id,
                                                      const GError            *error);

/* The route handlers, by the file that holds them. */
/* vigil-api-log-session.c */
void _vigil_api_log_handle_start_session  (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
void _vigil_api_log_handle_end_session    (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
/* vigil-api-log-events.c */
void _vigil_api_log_handle_behavior_data  (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
/* vigil-api-log-status.c */
void _vigil_api_log_handle_session_status (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
void _vigil_api_log_handle_session_logs   (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
/* vigil-api-log-lifecycle.c */
void _vigil_api_log_handle_lifecycle      (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
void _vigil_api_log_handle_app_close      (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);
void _vigil_api_log_handle_app_state      (VigilServer       *server,
                                           SoupServerMessage *msg,
                                           const char        *segment);

G_END_DECLS
