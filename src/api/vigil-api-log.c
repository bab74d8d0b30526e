/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The canara backend's behavioral-logging routes (/api/v1/log/...) and its
 * app lifecycle route (/api/v1/ws/sessions/{id}/lifecycle), in the shapes
 * its FastAPI clients read, over VigilSessions.
 *
 * Statuses beyond the seed's: an ended session answers 409 to anything
 * that would change it (end-session excepted: a repeat answers the log
 * again), a blocked one 403; a body over the message limit, or a batch
 * over the event limit, 413. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

#define STYLE VIGIL_API_STYLE_FASTAPI

#define BEARER_KINDS (VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS) | VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_SESSION))

/* Why POST /log/end-session ended a session. */
#define END_REASON_COMPLETED "completed"

static VigilAuth *
server_auth (VigilServer *server)
{
  return vigil_engine_get_auth (vigil_server_get_engine (server));
}

static VigilSessions *
server_sessions (VigilServer *server)
{
  return vigil_engine_get_sessions (vigil_server_get_engine (server));
}

static gint64
server_now_us (VigilServer *server)
{
  return vigil_clock_now_us (vigil_engine_get_clock (vigil_server_get_engine (server)));
}

static void
reply_detail (SoupServerMessage *msg,
              guint              status,
              const char        *error_code,
              const char        *detail)
{
  vigil_api_reply_styled_error (msg, STYLE, status, error_code, detail);
}

/* Bearer first, as FastAPI's HTTPBearer does. The seed's end-session and
 * app-close read the session token from the body instead: with
 * @body_token, a body session_token stands in for a missing header. */
static gboolean
authenticate_and_parse (VigilServer        *server,
                        SoupServerMessage  *msg,
                        gboolean            body_token,
                        VigilTokenClaims  **out_claims,
                        VigilApiBody      **out_body)
{
  VigilAuth *auth = server_auth (server);
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

static void
reply_not_open (SoupServerMessage *msg,
                const char        *state)
{
  if (g_strcmp0 (state, "blocked") == 0)
    reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Session is blocked");
  else
    reply_detail (msg, SOUP_STATUS_CONFLICT, "conflict", "Session has ended");
}

/* Whether the caller may see (or, with @write, change) @session_id: a
 * session token only its own session, an access token every session of
 * its account. Replies and returns FALSE otherwise. The session is in
 * @out_open while open, else its row in @out_info (either nullable). */
static gboolean
authorize_session (VigilServer             *server,
                   SoupServerMessage       *msg,
                   const VigilTokenClaims  *claims,
                   const char              *session_id,
                   gboolean                 write,
                   VigilSession           **out_open,
                   VigilSessionInfo       **out_info)
{
  VigilSessions *sessions = server_sessions (server);
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  VigilSession *open;
  const char *owner;

  if (claims->kind == VIGIL_TOKEN_SESSION && g_strcmp0 (claims->session_id, session_id) != 0)
    {
      reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Session ID mismatch");
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
            reply_detail (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Session not found");
          else
            vigil_api_reply_styled_gerror (msg, STYLE, error);
          return FALSE;
        }
      owner = info->user_id;
    }

  /* Stream sessions have no owner: no token reaches them here. */
  if (owner == NULL || g_strcmp0 (owner, claims->subject) != 0)
    {
      reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "Not authorized for this session");
      return FALSE;
    }

  if (write && (open == NULL || vigil_session_get_state (open) == VIGIL_SESSION_BLOCKED))
    {
      reply_not_open (msg, open != NULL ? "blocked" : info->state);
      return FALSE;
    }

  if (out_open != NULL)
    *out_open = open;
  if (out_info != NULL)
    *out_info = g_steal_pointer (&info);
  return TRUE;
}

/* An engine error about @session_id: its state may have changed since
 * authorize_session () looked. */
static void
reply_session_error (VigilServer       *server,
                     SoupServerMessage *msg,
                     const char        *session_id,
                     const GError      *error)
{
  if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    reply_detail (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Session not found");
  else if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
    {
      /* CLOSED is also a closed store: only a session that is no longer
       * open (its row may not say so yet while it ends) is a 409. */
      g_autoptr(VigilSessionInfo) info = NULL;

      if (vigil_sessions_lookup (server_sessions (server), session_id) == NULL &&
          (info = vigil_sessions_get_info (server_sessions (server), session_id, NULL)) != NULL)
        reply_not_open (msg, info->state);
      else
        vigil_api_reply_styled_gerror (msg, STYLE, error);
    }
  else
    vigil_api_reply_styled_gerror (msg, STYLE, error);
}

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
  session = started ? vigil_sessions_lookup (server_sessions (call->server), started->session_id) : NULL;
  if (started == NULL)
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else if (session == NULL)
    reply_detail (call->msg, SOUP_STATUS_CONFLICT, "conflict", "Session has ended");
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

static void
handle_start_session (VigilServer       *server,
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

  if (!authenticate_and_parse (server, msg, FALSE, &claims, &body))
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
      reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "user_id does not match the authenticated user");
      return;
    }
  user = vigil_auth_lookup_user (server_auth (server), claims->subject, &error);
  if (user == NULL)
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }
  if (user->phone != NULL && g_strcmp0 (phone, user->phone) != 0)
    {
      reply_detail (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "phone does not match the authenticated user");
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
  vigil_auth_start_session_async (server_auth (server), call->claims, device_id, context,
                                  call->client_address, NULL, start_session_done, call);
}

/* POST /api/v1/log/behavior-data: {session_id, event_type, timestamp?, data}
 * or {session_id, events: [{event_type, timestamp?, data}, ...]} */
typedef struct
{
  char  *session_id;
  char  *event_type;   /* of a single event; NULL for a batch */
  guint  n_events;
} AppendData;

static void
append_data_free (gpointer data)
{
  AppendData *append = data;

  g_free (append->session_id);
  g_free (append->event_type);
  g_free (append);
}

static void
behavior_data_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VigilApiCall *call = user_data;
  AppendData *append = call->data;
  g_autoptr(GError) error = NULL;
  gint64 last_seq;

  last_seq = vigil_sessions_append_finish (VIGIL_SESSIONS (source), result, &error);
  if (error != NULL)
    reply_session_error (call->server, call->msg, append->session_id, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      VigilSession *session = vigil_sessions_lookup (VIGIL_SESSIONS (source), append->session_id);
      /* Sequence numbers run from 1 without gaps: once the session is
       * gone, the last one is its count. */
      gint64 total = session != NULL ? (gint64) vigil_session_get_event_count (session) : 0;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "Behavioral data logged successfully");
      json_builder_set_member_name (builder, "session_id");
      json_builder_add_string_value (builder, append->session_id);
      if (append->event_type != NULL)
        {
          json_builder_set_member_name (builder, "event_type");
          json_builder_add_string_value (builder, append->event_type);
        }
      json_builder_set_member_name (builder, "events_received");
      json_builder_add_int_value (builder, append->n_events);
      json_builder_set_member_name (builder, "total_events");
      json_builder_add_int_value (builder, MAX (total, last_seq));
      json_builder_set_member_name (builder, "last_seq");
      json_builder_add_int_value (builder, last_seq);
      vigil_api_builder_add_time (builder, "timestamp", server_now_us (call->server));
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static JsonArray *
event_loc (int         index,
           const char *member)
{
  JsonArray *loc = json_array_new ();

  if (index >= 0)
    {
      json_array_add_string_element (loc, "events");
      json_array_add_int_element (loc, index);
    }
  if (member != NULL)
    json_array_add_string_element (loc, member);
  return loc;
}

/* Event @index of a batch (-1: the body itself is the event), or NULL
 * with an error recorded. */
static VigilEvent *
parse_event (VigilApiBody *body,
             JsonObject   *object,
             int           index)
{
  g_autoptr(GError) error = NULL;
  VigilEvent *event;

  event = vigil_event_new_from_json (object, vigil_api_body_get_size (body), &error);
  if (event == NULL)
    vigil_api_body_add_error (body, event_loc (index, "event_type"), error->message, "value_error");
  return event;
}

static void
handle_behavior_data (VigilServer       *server,
                      SoupServerMessage *msg,
                      const char        *segment)
{
  VigilSessions *sessions = server_sessions (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(GPtrArray) events = NULL;
  AppendData *append;
  JsonNode *batch;
  const char *session_id;
  VigilApiCall *call;
  gsize max_bytes = vigil_sessions_get_max_message_bytes (sessions);
  guint max_events = vigil_sessions_get_max_batch_events (sessions);

  if (!authenticate_and_parse (server, msg, FALSE, &claims, &body))
    return;

  if (vigil_api_body_get_size (body) > max_bytes)
    {
      g_autofree char *detail = g_strdup_printf ("Message larger than %" G_GSIZE_FORMAT " bytes", max_bytes);

      reply_detail (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", detail);
      return;
    }

  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  batch = json_object_get_member (vigil_api_body_get_object (body), "events");
  events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);

  if (batch != NULL && !JSON_NODE_HOLDS_NULL (batch))
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (batch))
        {
          vigil_api_body_add_error (body, event_loc (-1, "events"), "value is not a valid list", "type_error.list");
          vigil_api_body_validate (body, msg);
          return;
        }
      array = json_node_get_array (batch);
      if (json_array_get_length (array) > max_events)
        {
          g_autofree char *detail = g_strdup_printf ("A batch holds at most %u events, not %u",
                                                     max_events, json_array_get_length (array));

          reply_detail (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", detail);
          return;
        }
      if (json_array_get_length (array) == 0)
        vigil_api_body_add_error (body, event_loc (-1, "events"), "ensure this value has at least 1 items",
                                  "value_error.list.min_items");
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          VigilEvent *event = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            vigil_api_body_add_error (body, event_loc (i, NULL), "value is not a valid dict", "type_error.dict");
          else
            event = parse_event (body, json_node_get_object (element), i);
          if (event != NULL)
            g_ptr_array_add (events, event);
        }
    }
  else
    {
      VigilEvent *event = parse_event (body, vigil_api_body_get_object (body), -1);

      if (event != NULL)
        g_ptr_array_add (events, event);
    }
  if (!vigil_api_body_validate (body, msg))
    return;

  if (!authorize_session (server, msg, claims, session_id, TRUE, NULL, NULL))
    return;

  append = g_new0 (AppendData, 1);
  append->session_id = g_strdup (session_id);
  append->n_events = events->len;
  if (batch == NULL || JSON_NODE_HOLDS_NULL (batch))
    append->event_type = g_strdup (((VigilEvent *) g_ptr_array_index (events, 0))->event_type);

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_api_call_set_data (call, append, append_data_free);
  vigil_sessions_append_async (sessions, append->session_id, call->claims->subject, events,
                               NULL, behavior_data_done, call);
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
    reply_session_error (call->server, call->msg, session_id, error);
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
                                  info->ended_at_us > 0 ? info->ended_at_us : server_now_us (call->server));
      json_builder_set_member_name (builder, "file_path");
      json_builder_add_string_value (builder, path);
      vigil_api_builder_add_nullable_string (builder, "end_reason", info->end_reason);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_end_session (VigilServer       *server,
                    SoupServerMessage *msg,
                    const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  const char *session_id, *final_decision;
  VigilSession *open = NULL;
  VigilApiCall *call;

  if (!authenticate_and_parse (server, msg, TRUE, &claims, &body))
    return;

  session_id = vigil_api_body_get_string (body, "session_id", TRUE);
  final_decision = vigil_api_body_get_string (body, "final_decision", FALSE);
  if (!vigil_api_body_validate (body, msg))
    return;
  /* The seed's default. */
  if (final_decision == NULL)
    final_decision = "normal";

  if (!authorize_session (server, msg, claims, session_id, FALSE, &open, &info))
    return;
  /* Ending an ended session again answers its log; a blocked one was
   * closed by the server, not by the client. */
  if ((open != NULL && vigil_session_get_state (open) == VIGIL_SESSION_BLOCKED) ||
      (info != NULL && g_strcmp0 (info->state, "blocked") == 0))
    {
      reply_not_open (msg, "blocked");
      return;
    }

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_api_call_set_data (call, g_strdup (final_decision), g_free);
  vigil_sessions_end_async (server_sessions (server), session_id, END_REASON_COMPLETED, final_decision,
                            NULL, end_session_done, call);
}

/* GET /api/v1/log/session/{id}/status */
typedef struct
{
  const char *session_id;
  const char *user_id;
  const char *device_id;
  const char *state;
  const char *end_reason;
  const char *final_decision;
  const char *log_path;
  double      risk_score;
  gint64      started_at_us;
  gint64      ended_at_us;
  gint64      last_activity_us;
  gint64      total_events;
  JsonNode   *last_event;      /* a log entry, or NULL */
} SessionStatus;

static void
reply_status (SoupServerMessage   *msg,
              const SessionStatus *status,
              JsonObject          *event_types)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) types = json_node_new (JSON_NODE_OBJECT);
  JsonObject *last = status->last_event != NULL ? json_node_get_object (status->last_event) : NULL;
  gboolean is_active = g_strcmp0 (status->state, "active") == 0 || g_strcmp0 (status->state, "monitor") == 0;

  json_node_take_object (types, event_types);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, status->session_id);
  vigil_api_builder_add_nullable_string (builder, "user_id", status->user_id);
  vigil_api_builder_add_nullable_string (builder, "device_id", status->device_id);
  json_builder_set_member_name (builder, "is_active");
  json_builder_add_boolean_value (builder, is_active);
  json_builder_set_member_name (builder, "is_blocked");
  json_builder_add_boolean_value (builder, g_strcmp0 (status->state, "blocked") == 0);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, status->state);
  vigil_api_builder_add_nullable_string (builder, "end_reason", status->end_reason);
  vigil_api_builder_add_nullable_string (builder, "final_decision", status->final_decision);
  json_builder_set_member_name (builder, "risk_score");
  json_builder_add_double_value (builder, status->risk_score);
  vigil_api_builder_add_time (builder, "created_at", status->started_at_us);
  vigil_api_builder_add_time (builder, "ended_at", status->ended_at_us);
  vigil_api_builder_add_time (builder, "last_activity", status->last_activity_us);
  vigil_api_builder_add_nullable_string (builder, "file_path", status->log_path);
  json_builder_set_member_name (builder, "behavioral_data_summary");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total_events");
  json_builder_add_int_value (builder, status->total_events);
  json_builder_set_member_name (builder, "event_types");
  json_builder_add_value (builder, g_steal_pointer (&types));
  /* The seed's last_event is the newest event's timestamp. */
  vigil_api_builder_add_nullable_string (builder, "last_event",
                                         last ? json_object_get_string_member_with_default (last, "timestamp", NULL) : NULL);
  vigil_api_builder_add_nullable_string (builder, "last_event_type",
                                         last ? json_object_get_string_member_with_default (last, "event_type", NULL) : NULL);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

static void
status_from_info (SessionStatus          *status,
                  const VigilSessionInfo *info)
{
  status->session_id = info->id;
  status->user_id = info->user_id;
  status->device_id = info->device_id;
  status->state = info->state;
  status->end_reason = info->end_reason;
  status->final_decision = info->final_decision;
  status->log_path = info->log_path;
  status->risk_score = info->risk_score;
  status->started_at_us = info->started_at_us;
  status->ended_at_us = info->ended_at_us;
  status->last_activity_us = MAX (info->last_event_at_us, info->started_at_us);
  status->total_events = info->event_count;
}

/* A closed session's per-type counts are in its log only. */
static void
closed_status_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VigilApiCall *call = user_data;
  VigilSessionInfo *info = call->data;
  g_autoptr(JsonNode) log = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  log = vigil_sessions_read_log_finish (VIGIL_SESSIONS (source), result, &path, &error);
  if (log == NULL)
    reply_session_error (call->server, call->msg, info->id, error);
  else
    {
      JsonObject *event_types = json_object_new ();
      SessionStatus status = { 0 };
      JsonArray *entries = NULL;
      guint n_entries = 0;

      status_from_info (&status, info);
      if (JSON_NODE_HOLDS_OBJECT (log))
        entries = json_object_get_array_member (json_node_get_object (log), "logs");
      n_entries = entries != NULL ? json_array_get_length (entries) : 0;
      for (guint i = 0; i < n_entries; i++)
        {
          JsonObject *entry = json_array_get_object_element (entries, i);
          const char *type = entry ? json_object_get_string_member_with_default (entry, "event_type", NULL) : NULL;

          if (type != NULL)
            json_object_set_int_member (event_types, type,
                                        json_object_get_int_member_with_default (event_types, type, 0) + 1);
        }
      if (n_entries > 0)
        status.last_event = json_array_get_element (entries, n_entries - 1);
      status.total_events = MAX (status.total_events, (gint64) n_entries);
      if (status.log_path == NULL)
        status.log_path = path;
      reply_status (call->msg, &status, event_types);
    }

  vigil_api_call_complete (call);
}

static void
handle_session_status (VigilServer       *server,
                       SoupServerMessage *msg,
                       const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  VigilSession *open = NULL;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, server_auth (server), STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;
  if (!authorize_session (server, msg, claims, segment, FALSE, &open, &info))
    return;

  if (open != NULL)
    {
      JsonObject *event_types = json_object_new ();
      SessionStatus status = { 0 };
      g_autoptr(JsonNode) last = NULL;
      VigilEvent *last_event = vigil_session_get_last_event (open);
      GHashTableIter iter;
      gpointer type, count;

      g_hash_table_iter_init (&iter, vigil_session_get_event_types (open));
      while (g_hash_table_iter_next (&iter, &type, &count))
        json_object_set_int_member (event_types, type, GPOINTER_TO_UINT (count));
      if (last_event != NULL)
        last = vigil_event_to_log_json (last_event);

      status.session_id = vigil_session_get_id (open);
      status.user_id = vigil_session_get_user_id (open);
      status.device_id = vigil_session_get_device_id (open);
      status.state = vigil_session_state_to_string (vigil_session_get_state (open));
      status.end_reason = vigil_session_get_end_reason (open);
      status.risk_score = vigil_session_get_risk_score (open);
      status.started_at_us = vigil_session_get_started_at (open);
      status.ended_at_us = vigil_session_get_ended_at (open);
      status.last_activity_us = vigil_session_get_last_activity (open);
      status.total_events = vigil_session_get_event_count (open);
      status.last_event = last;
      reply_status (msg, &status, event_types);
      return;
    }

  call = vigil_api_call_new (server, msg, STYLE, NULL, g_steal_pointer (&claims));
  vigil_api_call_set_data (call, g_steal_pointer (&info), (GDestroyNotify) vigil_session_info_free);
  vigil_sessions_read_log_async (server_sessions (server), segment, NULL, closed_status_done, call);
}

/* GET /api/v1/log/session/{id}/logs: the seed's log, from its file once
 * the session ended, from the store while it is open. */
static void
session_logs_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VigilApiCall *call = user_data;
  const char *session_id = call->data;
  g_autoptr(JsonNode) log = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  log = vigil_sessions_read_log_finish (VIGIL_SESSIONS (source), result, &path, &error);
  if (log == NULL)
    reply_session_error (call->server, call->msg, session_id, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "session_id");
      json_builder_add_string_value (builder, session_id);
      vigil_api_builder_add_nullable_string (builder, "file_path", path);
      json_builder_set_member_name (builder, "logs");
      json_builder_add_value (builder, g_steal_pointer (&log));
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_session_logs (VigilServer       *server,
                     SoupServerMessage *msg,
                     const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, server_auth (server), STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;
  if (!authorize_session (server, msg, claims, segment, FALSE, NULL, NULL))
    return;

  call = vigil_api_call_new (server, msg, STYLE, NULL, g_steal_pointer (&claims));
  vigil_api_call_set_data (call, g_strdup (segment), g_free);
  vigil_sessions_read_log_async (server_sessions (server), segment, NULL, session_logs_done, call);
}

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

  if (!authorize_session (server, msg, claims, session_id, TRUE, NULL, NULL))
    return;
  if (!vigil_sessions_lifecycle (server_sessions (server), session_id, event, &terminated, &error))
    {
      reply_session_error (server, msg, session_id, error);
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
  vigil_api_builder_add_time (builder, "timestamp", server_now_us (server));
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
static void
handle_lifecycle (VigilServer       *server,
                  SoupServerMessage *msg,
                  const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  VigilLifecycleEvent event = VIGIL_LIFECYCLE_APP_CLOSE;
  const char *event_type;

  if (!authenticate_and_parse (server, msg, FALSE, &claims, &body))
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
static void
handle_app_close (VigilServer       *server,
                  SoupServerMessage *msg,
                  const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  VigilLifecycleEvent event;
  const char *session_id, *reason;

  if (!authenticate_and_parse (server, msg, TRUE, &claims, &body))
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

static void
handle_app_state (VigilServer       *server,
                  SoupServerMessage *msg,
                  const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  VigilLifecycleEvent event = VIGIL_LIFECYCLE_APP_FOREGROUND;
  const char *session_id, *state;

  if (!authenticate_and_parse (server, msg, FALSE, &claims, &body))
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

/* Literal methods: SOUP_METHOD_* are not constant expressions. */
static const VigilApiRoute routes[] = {
  { "/api/v1/log/start-session", "POST", handle_start_session, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/behavior-data", "POST", handle_behavior_data, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/end-session", "POST", handle_end_session, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/session/{}/status", "GET", handle_session_status, 0, STYLE },
  { "/api/v1/log/session/{}/logs", "GET", handle_session_logs, 0, STYLE },
  { "/api/v1/log/app-close", "POST", handle_app_close, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/log/app-state", "POST", handle_app_state, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/ws/sessions/{}/lifecycle", "POST", handle_lifecycle, VIGIL_API_ROUTE_BODY, STYLE },
};

void
vigil_api_log_install (VigilServer *server,
                       SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
