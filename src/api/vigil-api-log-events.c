/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Event ingestion on the canara logging surface: POST
 * /api/v1/log/behavior-data, one event or a batch, appended to the
 * session's log. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-log-private.h"
#include "vigil-api-request.h"
#include "vigil-error.h"

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
    _vigil_api_log_reply_session_error (call->server, call->msg, append->session_id, error);
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
      vigil_api_builder_add_time (builder, "timestamp", _vigil_api_log_server_now_us (call->server));
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

void
_vigil_api_log_handle_behavior_data (VigilServer       *server,
                                     SoupServerMessage *msg,
                                     const char        *segment)
{
  VigilSessions *sessions = _vigil_api_log_server_sessions (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  g_autoptr(GPtrArray) events = NULL;
  AppendData *append;
  JsonNode *batch;
  const char *session_id;
  VigilApiCall *call;
  gsize max_bytes = vigil_sessions_get_max_message_bytes (sessions);
  guint max_events = vigil_sessions_get_max_batch_events (sessions);

  if (!_vigil_api_log_authenticate_and_parse (server, msg, FALSE, &claims, &body))
    return;

  if (vigil_api_body_get_size (body) > max_bytes)
    {
      g_autofree char *detail = g_strdup_printf ("Message larger than %" G_GSIZE_FORMAT " bytes", max_bytes);

      _vigil_api_log_reply_detail (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", detail);
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

          _vigil_api_log_reply_detail (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", detail);
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

  if (!_vigil_api_log_authorize_session (server, msg, claims, session_id, TRUE, NULL, NULL))
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
