/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The reads of the canara logging surface: GET
 * /api/v1/log/session/{id}/status and GET /api/v1/log/session/{id}/logs,
 * of an open session from the store, of an ended one from its log. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-log-private.h"
#include "vigil-api-request.h"
#include "vigil-error.h"

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
    _vigil_api_log_reply_session_error (call->server, call->msg, info->id, error);
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

void
_vigil_api_log_handle_session_status (VigilServer       *server,
                                      SoupServerMessage *msg,
                                      const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  VigilSession *open = NULL;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, _vigil_api_log_server_auth (server), STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;
  if (!_vigil_api_log_authorize_session (server, msg, claims, segment, FALSE, &open, &info))
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
  vigil_sessions_read_log_async (_vigil_api_log_server_sessions (server), segment, NULL, closed_status_done, call);
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
    _vigil_api_log_reply_session_error (call->server, call->msg, session_id, error);
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

void
_vigil_api_log_handle_session_logs (VigilServer       *server,
                                    SoupServerMessage *msg,
                                    const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, _vigil_api_log_server_auth (server), STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;
  if (!_vigil_api_log_authorize_session (server, msg, claims, segment, FALSE, NULL, NULL))
    return;

  call = vigil_api_call_new (server, msg, STYLE, NULL, g_steal_pointer (&claims));
  vigil_api_call_set_data (call, g_strdup (segment), g_free);
  vigil_sessions_read_log_async (_vigil_api_log_server_sessions (server), segment, NULL, session_logs_done, call);
}
