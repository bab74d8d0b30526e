/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The canara backend's behavioral-logging routes (/api/v1/log/...) and its
 * app lifecycle route (/api/v1/ws/sessions/{id}/lifecycle), in the shapes
 * its FastAPI clients read, over VigilSessions.
 *
 * Statuses beyond the seed's: an ended session answers 409 to anything
 * that would change it (end-session excepted: a repeat answers the log
 * again), a blocked one 403; a body over the message limit, or a batch
 * over the event limit, 413.
 *
 * This file holds the route table and what every handler shares:
 * authentication, authorization and the error replies; the handlers are
 * in vigil-api-log-{session,events,status,lifecycle}.c. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-log-private.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

VigilAuth *
_vigil_api_log_server_auth (VigilServer *server)
{
  return vigil_engine_get_auth (vigil_server_get_engine (server));
}

VigilSessions *
_vigil_api_log_server_sessions (VigilServer *server)
{
  return vigil_engine_get_sessions (vigil_server_get_engine (server));
}

gint64
_vigil_api_log_server_now_us (VigilServer *server)
{
  return vigil_clock_now_us (vigil_engine_get_clock (vigil_server_get_engine (server)));
}

void
_vigil_api_log_reply_detail (SoupServerMessage *msg,
                             guint              status,
                             const char        *error_code,
                             const char        *detail)
{
  vigil_api_reply_styled_error (msg, STYLE, status, error_code, detail);
}

/* Bearer first, as FastAPI's HTTPBearer does. The seed's end-session and
 * app-close read the session token from the body instead: with
 * @body_token, a body session_token stands in for a missing header. */
gboolean
_vigil_api_log_authenticate_and_parse (VigilServer        *server,
                                       SoupServerMessage  *msg,
                                       gboolean            body_token,
                                       VigilTokenClaims  **out_claims,
                                       VigilApiBody      **out_body)
{
  VigilAuth *auth = _vigil_api_log_server_auth (server);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;

  if (!body_token || soup_message_headers_get_one (headers, "Authorization") != NULL)
    {
      claims = vigil_api_authenticate (msg, auth, STYLE, BEARER_KINDS);
      if (claims == NULL)
        return FALSE;
      body = vigil_api_body_parse (msg, STYLE);
      if (body == NULL)
        return FALSE;
    }
  else
    {
      const char *token;

      body = vigil_api_body_parse (msg, STYLE);
      if (body == NULL)
        return FALSE;
      token = vigil_api_body_get_string (body, "session_token", FALSE);
      if (!vigil_api_body_validate (body, msg))
        return FALSE;
      if (token != NULL)
        claims = vigil_api_authenticate_token (msg, auth, STYLE, BEARER_KINDS, token);
      else
        claims = vigil_api_authenticate (msg, auth, STYLE, BEARER_KINDS);
      if (claims == NULL)
        return FALSE;
    }

  *out_claims = g_steal_pointer (&claims);
  *out_body = g_steal_pointer (&body);
  return TRUE;
}

void
_vigil_api_log_reply_not_open (SoupServerMessage *msg,
                               const char        *state)
{
  if (g_strcmp0 (state, "blocked") == 0)
    _vigil_api_log_reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Session is blocked");
  else
    _vigil_api_log_reply_detail (msg, SOUP_STATUS_CONFLICT, "conflict", "Session has ended");
}

/* Whether the caller may see (or, with @write, change) @session_id: a
 * session token only its own session, an access token every session of
 * its account. Replies and returns FALSE otherwise. The session is in
 * @out_open while open, else its row in @out_info (either nullable). */
gboolean
_vigil_api_log_authorize_session (VigilServer             *server,
                                  SoupServerMessage       *msg,
                                  const VigilTokenClaims  *claims,
                                  const char              *session_id,
                                  gboolean                 write,
                                  VigilSession           **out_open,
                                  VigilSessionInfo       **out_info)
{
  VigilSessions *sessions = _vigil_api_log_server_sessions (server);
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  VigilSession *open;
  const char *owner;

  if (claims->kind == VIGIL_TOKEN_SESSION && g_strcmp0 (claims->session_id, session_id) != 0)
    {
      _vigil_api_log_reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Session ID mismatch");
      return FALSE;
    }

  open = vigil_sessions_lookup (sessions, session_id);
  if (open != NULL)
    owner = vigil_session_get_user_id (open);
  else
    {
      info = vigil_sessions_get_info (sessions, session_id, &error);
      if (info == NULL)
        {
          if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
            _vigil_api_log_reply_detail (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Session not found");
          else
            vigil_api_reply_styled_gerror (msg, STYLE, error);
          return FALSE;
        }
      owner = info->user_id;
    }

  /* Stream sessions have no owner: no token reaches them here. */
  if (owner == NULL || g_strcmp0 (owner, claims->subject) != 0)
    {
      _vigil_api_log_reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Not authorized for this session");
      return FALSE;
    }

  if (write && (open == NULL || vigil_session_get_state (open) == VIGIL_SESSION_BLOCKED))
    {
      _vigil_api_log_reply_not_open (msg, open != NULL ? "blocked" : info->state);
      return FALSE;
    }

  if (out_open != NULL)
    *out_open = open;
  if (out_info != NULL)
    *out_info = g_steal_pointer (&info);
  return TRUE;
}

/* An engine error about @session_id: its state may have changed since
 * _vigil_api_log_authorize_session () looked. */
void
_vigil_api_log_reply_session_error (VigilServer       *server,
                                    SoupServerMessage *msg,
                                    const char        *session_id,
                                    const GError      *error)
{
  if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    _vigil_api_log_reply_detail (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Session not found");
  else if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    {
      /* CLOSED is also a closed store: only a session that is no longer
       * open (its row may not say so yet while it ends) is a 409. */
      g_autoptr(VigilSessionInfo) info = NULL;

      if (vigil_sessions_lookup (_vigil_api_log_server_sessions (server), session_id) == NULL &&
          (info = vigil_sessions_get_info (_vigil_api_log_server_sessions (server), session_id, NULL)) != NULL)
        _vigil_api_log_reply_not_open (msg, info->state);
      else
        vigil_api_reply_styled_gerror (msg, STYLE, error);
    }
  else
    vigil_api_reply_styled_gerror (msg, STYLE, error);
}

/* Literal methods: SOUP_METHOD_* are not constant expressions. */
static const VigilApiRoute routes[] = {
  { "/api/v1/log/start-session", "POST", _vigil_api_log_handle_start_session, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/behavior-data", "POST", _vigil_api_log_handle_behavior_data, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/end-session", "POST", _vigil_api_log_handle_end_session, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/session/{}/status", "GET", _vigil_api_log_handle_session_status, 0, STYLE },
  { "/api/v1/log/session/{}/logs", "GET", _vigil_api_log_handle_session_logs, 0, STYLE },
  { "/api/v1/log/app-close", "POST", _vigil_api_log_handle_app_close, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/app-state", "POST", _vigil_api_log_handle_app_state, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/ws/sessions/{}/lifecycle", "POST", _vigil_api_log_handle_lifecycle, VIGIL_API_ROUTE_BODY, STYLE },
};

void
vigil_api_log_install (VigilServer *server,
                       SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
