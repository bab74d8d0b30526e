/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app lifecycle routes of the canara logging surface: POST
 * /api/v1/ws/sessions/{id}/lifecycle, POST /api/v1/log/app-close and
 * POST /api/v1/log/app-state, each a lifecycle event on the session. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-log-private.h"
#include "vigil-api-request.h"
#include "vigil-error.h"

/* The lifecycle transitions, however a route names them. */
typedef enum
{
  LIFECYCLE_ROUTE,       /* /ws/sessions/{id}/lifecycle */
  APP_CLOSE_ROUTE,       /* /log/app-close */
  APP_STATE_ROUTE,       /* /log/app-state */
} LifecycleRoute;

static void
apply_lifecycle (VigilServer         *server,
                 SoupServerMessage   *msg,
                 VigilTokenClaims    *claims,
                 LifecycleRoute       route,
                 const char          *session_id,
                 VigilLifecycleEvent  event,
                 const char          *name)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gboolean terminated = FALSE;

  if (!_vigil_api_log_authorize_session (server, msg, claims, session_id, TRUE, NULL, NULL))
    return;
  if (!vigil_sessions_lifecycle (_vigil_api_log_server_sessions (server), session_id, event, &terminated, &error))
    {
      _vigil_api_log_reply_session_error (server, msg, session_id, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  switch (route)
    {
    case APP_CLOSE_ROUTE:
      json_builder_add_string_value (builder, "App closure handled successfully");
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, name);
      json_builder_set_member_name (builder, "behavioral_data_saved");
      json_builder_add_boolean_value (builder, TRUE);
      break;
    case APP_STATE_ROUTE:
      message = g_strdup_printf ("App state changed to %s", name);
      json_builder_add_string_value (builder, message);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, name);
      break;
    case LIFECYCLE_ROUTE:
    default:
      message = g_strdup_printf ("Lifecycle event %s processed", name);
      json_builder_add_string_value (builder, message);
      json_builder_set_member_name (builder, "event_type");
      json_builder_add_string_value (builder, name);
      break;
    }
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "session_terminated");
  json_builder_add_boolean_value (builder, terminated);
  vigil_api_builder_add_time (builder, "timestamp", _vigil_api_log_server_now_us (server));
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
add_enum_error (VigilApiBody *body,
                const char   *member,
                const char   *permitted)
{
  JsonArray *loc = json_array_new ();
  g_autofree char *text = g_strdup_printf ("value is not a valid enumeration member; permitted: %s", permitted);

  json_array_add_string_element (loc, member);
  vigil_api_body_add_error (body, loc, text, "type_error.enum");
}

/* POST /api/v1/ws/sessions/{id}/lifecycle {event_type, details?} */
void
_vigil_api_log_handle_lifecycle (VigilServer       *server,
                                 SoupServerMessage *msg,
                                 const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  VigilLifecycleEvent event = VIGIL_LIFECYCLE_APP_CLOSE;
  const char *event_type;

  if (!_vigil_api_log_authenticate_and_parse (server, msg, FALSE, &claims, &body))
    return;

  event_type = vigil_api_body_get_string (body, "event_type", TRUE);
  vigil_api_body_get_member_object (body, "details", FALSE);
  if (event_type != NULL && !vigil_lifecycle_event_from_string (event_type, &event))
    add_enum_error (body, "event_type", "'app_close', 'app_background', 'app_foreground', 'user_logout', 'force_close'");
  if (!vigil_api_body_validate (body, msg))
    return;

  apply_lifecycle (server, msg, claims, LIFECYCLE_ROUTE, segment, event, event_type);
}

/* POST /api/v1/log/app-close {session_id, session_token?, reason?}: the
 * seed passes the reason on as the lifecycle event; reasons that are no
 * lifecycle event close the app. */
void
_vigil_api_log_handle_app_close (VigilServer       *server,
                                 SoupServerMessage *msg,
                                 const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  VigilLifecycleEvent event;
  const char *session_id, *reason;

  if (!_vigil_api_log_authenticate_and_parse (server, msg, TRUE, &claims, &body))
    return;

  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  reason = vigil_api_body_get_string (body, "reason", FALSE);
  if (!vigil_api_body_validate (body, msg))
    return;
  if (reason == NULL)
    reason = "app_closed";
  if (!vigil_lifecycle_event_from_string (reason, &event))
    event = VIGIL_LIFECYCLE_APP_CLOSE;

  apply_lifecycle (server, msg, claims, APP_CLOSE_ROUTE, session_id, event, reason);
}

/* POST /api/v1/log/app-state {session_id, state, details?}; the seed
 * turns state into the lifecycle event app_{state}. */
static gboolean
app_state_event (const char          *state,
                 VigilLifecycleEvent *out_event)
{
  static const struct { const char *state; VigilLifecycleEvent event; } states[] = {
    { "background", VIGIL_LIFECYCLE_APP_BACKGROUND },
    { "minimized", VIGIL_LIFECYCLE_APP_BACKGROUND },
    { "inactive", VIGIL_LIFECYCLE_APP_BACKGROUND },
    { "paused", VIGIL_LIFECYCLE_APP_BACKGROUND },
    { "foreground", VIGIL_LIFECYCLE_APP_FOREGROUND },
    { "restored", VIGIL_LIFECYCLE_APP_FOREGROUND },
    { "active", VIGIL_LIFECYCLE_APP_FOREGROUND },
    { "resumed", VIGIL_LIFECYCLE_APP_FOREGROUND },
    { "close", VIGIL_LIFECYCLE_APP_CLOSE },
    { "closed", VIGIL_LIFECYCLE_APP_CLOSE },
  };
  const char *bare = g_str_has_prefix (state, "app_") ? state + 4 : state;

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (g_str_equal (bare, states[i].state))
      {
        *out_event = states[i].event;
        return TRUE;
      }
  return vigil_lifecycle_event_from_string (state, out_event);
}

void
_vigil_api_log_handle_app_state (VigilServer       *server,
                                 SoupServerMessage *msg,
                                 const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  VigilLifecycleEvent event = VIGIL_LIFECYCLE_APP_FOREGROUND;
  const char *session_id, *state;

  if (!_vigil_api_log_authenticate_and_parse (server, msg, FALSE, &claims, &body))
    return;

  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  state = vigil_api_body_get_string (body, "state", TRUE);
  vigil_api_body_get_member_object (body, "details", FALSE);
  if (state != NULL && !app_state_event (state, &event))
    add_enum_error (body, "state", "'background', 'foreground', 'minimized', 'restored', 'closed'");
  if (!vigil_api_body_validate (body, msg))
    return;

  apply_lifecycle (server, msg, claims, APP_STATE_ROUTE, session_id, event, state);
}
