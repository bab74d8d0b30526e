/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start and end of a canara logging session: POST
 * /api/v1/log/start-session and POST /api/v1/log/end-session. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-log-private.h"
#include "vigil-api-request.h"
#include "vigil-error.h"

/* Why POST /log/end-session ended a session. */
#define END_REASON_COMPLETED "completed"

/* POST /api/v1/log/start-session {user_id?, phone, device_id, device_info?, context?} */
static void
start_session_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilAuthResult) started = NULL;
  g_autoptr(GError) error = NULL;
  VigilSession *session;

  started = vigil_auth_start_session_finish (VIGIL_AUTH (source), result, &error);
  session = started ? vigil_sessions_lookup (_vigil_api_log_server_sessions (call->server), started->session_id) : NULL;
  if (started == NULL)
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else if (session == NULL)
    _vigil_api_log_reply_detail (call->msg, SOUP_STATUS_CONFLICT, "conflict", "Session has ended");
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "session_id");
      json_builder_add_string_value (builder, vigil_session_get_id (session));
      json_builder_set_member_name (builder, "session_token");
      json_builder_add_string_value (builder, started->session_token);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "started");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "Session started successfully");
      json_builder_set_member_name (builder, "user_id");
      json_builder_add_string_value (builder, vigil_session_get_user_id (session));
      vigil_api_builder_add_nullable_string (builder, "device_id", vigil_session_get_device_id (session));
      vigil_api_builder_add_time (builder, "started_at", vigil_session_get_started_at (session));
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

void
_vigil_api_log_handle_start_session (VigilServer       *server,
                                     SoupServerMessage *msg,
                                     const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *context = NULL;
  JsonObject *given_context;
  JsonNode *device_info;
  const char *user_id, *phone, *device_id;
  VigilApiCall *call;

  if (!_vigil_api_log_authenticate_and_parse (server, msg, FALSE, &claims, &body))
    return;

  user_id = vigil_api_body_get_string (body, "user_id", FALSE);
  phone = vigil_api_body_get_string (body, "phone", TRUE);
  device_id = vigil_api_body_get_string (body, "device_id", TRUE);
  given_context = vigil_api_body_get_member_object (body, "context", FALSE);
  /* The seed's example sends a string ("Android 12, Chrome 98"); an
   * object is as welcome. */
  device_info = json_object_get_member (vigil_api_body_get_object (body), "device_info");
  if (device_info != NULL && !JSON_NODE_HOLDS_NULL (device_info) && !JSON_NODE_HOLDS_OBJECT (device_info) &&
      !(JSON_NODE_HOLDS_VALUE (device_info) && json_node_get_value_type (device_info) == G_TYPE_STRING))
    {
      JsonArray *loc = json_array_new ();

      json_array_add_string_element (loc, "device_info");
      vigil_api_body_add_error (body, loc, "str or dict expected", "type_error");
    }
  if (!vigil_api_body_validate (body, msg))
    return;

  /* Sessions start for the token's holder; the body may only agree. */
  if (user_id != NULL && g_strcmp0 (user_id, claims->subject) != 0)
    {
      _vigil_api_log_reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "user_id does not match the authenticated user");
      return;
    }
  user = vigil_auth_lookup_user (_vigil_api_log_server_auth (server), claims->subject, &error);
  if (user == NULL)
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }
  if (user->phone != NULL && g_strcmp0 (phone, user->phone) != 0)
    {
      _vigil_api_log_reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "phone does not match the authenticated user");
      return;
    }

  context = json_object_new ();
  if (given_context != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, given_context);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (context, name, json_node_copy (value));
    }
  if (device_info != NULL && !JSON_NODE_HOLDS_NULL (device_info))
    json_object_set_member (context, "device_info", json_node_copy (device_info));

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_api_call_set_data (call, context, (GDestroyNotify) json_object_unref);
  vigil_auth_start_session_async (_vigil_api_log_server_auth (server), call->claims, device_id, context,
                                  call->client_address, NULL, start_session_done, call);
}

/* POST /api/v1/log/end-session {session_id, final_decision?, session_token?} */
static void
end_session_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VigilApiCall *call = user_data;
  const char *session_id = vigil_api_body_get_string (call->body, "session_id", TRUE);
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  path = vigil_sessions_end_finish (VIGIL_SESSIONS (source), result, &error);
  if (path != NULL)
    info = vigil_sessions_get_info (VIGIL_SESSIONS (source), session_id, &error);
  if (info == NULL)
    _vigil_api_log_reply_session_error (call->server, call->msg, session_id, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      const char *requested = call->data;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "Session ended successfully");
      json_builder_set_member_name (builder, "session_id");
      json_builder_add_string_value (builder, session_id);
      /* A repeat answers the decision the session ended with. */
      json_builder_set_member_name (builder, "final_decision");
      json_builder_add_string_value (builder, info->final_decision != NULL ? info->final_decision : requested);
      json_builder_set_member_name (builder, "behavioral_data_saved");
      json_builder_add_boolean_value (builder, TRUE);
      vigil_api_builder_add_time (builder, "timestamp",
                                  info->ended_at_us > 0 ? info->ended_at_us : _vigil_api_log_server_now_us (call->server));
      json_builder_set_member_name (builder, "file_path");
      json_builder_add_string_value (builder, path);
      vigil_api_builder_add_nullable_string (builder, "end_reason", info->end_reason);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

void
_vigil_api_log_handle_end_session (VigilServer       *server,
                                   SoupServerMessage *msg,
                                   const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  const char *session_id, *final_decision;
  VigilSession *open = NULL;
  VigilApiCall *call;

  if (!_vigil_api_log_authenticate_and_parse (server, msg, TRUE, &claims, &body))
    return;

  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  final_decision = vigil_api_body_get_string (body, "final_decision", FALSE);
  if (!vigil_api_body_validate (body, msg))
    return;
  /* The seed's default. */
  if (final_decision == NULL)
    final_decision = "normal";

  if (!_vigil_api_log_authorize_session (server, msg, claims, session_id, FALSE, &open, &info))
    return;
  /* Ending an ended session again answers its log; a blocked one was
   * closed by the server, not by the client. */
  if ((open != NULL && vigil_session_get_state (open) == VIGIL_SESSION_BLOCKED) ||
      (info != NULL && g_strcmp0 (info->state, "blocked") == 0))
    {
      _vigil_api_log_reply_not_open (msg, "blocked");
      return;
    }

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_api_call_set_data (call, g_strdup (final_decision), g_free);
  vigil_sessions_end_async (_vigil_api_log_server_sessions (server), session_id, END_REASON_COMPLETED, final_decision,
                            NULL, end_session_done, call);
}
