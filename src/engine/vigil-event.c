/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Behavioral events as the engine carries them. The data member is kept
 * as compact JSON text: it is stored and forwarded far more often than it
 * is looked into. */
#define G_LOG_DOMAIN "vigil-event"

#include "config.h"

#include "vigil-error.h"
#include "vigil-event.h"
#include "vigil-time.h"

#define MAX_EVENT_TYPE_LENGTH 128

G_DEFINE_BOXED_TYPE (VigilEvent, vigil_event, vigil_event_ref, vigil_event_unref)

static void
event_clear (gpointer data)
{
  VigilEvent *event = data;

  g_free (event->session_id);
  g_free (event->timestamp);
  g_free (event->event_type);
  g_free (event->data);
}

VigilEvent *
vigil_event_ref (VigilEvent *event)
{
  return g_atomic_rc_box_acquire (event);
}

void
vigil_event_unref (VigilEvent *event)
{
  g_atomic_rc_box_release_full (event, event_clear);
}

static char *
node_to_text (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

/* Timestamps arrive as ISO strings or epoch numbers; both are kept as the
 * client wrote them. */
static char *
timestamp_text (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        char buffer[G_ASCII_DTOSTR_BUF_SIZE];

        return g_strdup (g_ascii_dtostr (buffer, sizeof buffer, json_node_get_double (node)));
      }
    default:
      return NULL;
    }
}

static VigilEvent *
event_new (const char *event_type,
           char       *timestamp,
           char       *data,
           gsize       size)
{
  VigilEvent *event = g_atomic_rc_box_new0 (VigilEvent);

  event->event_type = g_strdup (event_type);
  event->timestamp = timestamp;
  event->data = data;
  event->size = size;
  return event;
}

VigilEvent *
vigil_event_new_from_json (JsonObject  *object,
                           gsize        message_size,
                           GError     **error)
{
  JsonNode *type_node;
  JsonNode *data_node;
  const char *event_type = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  type_node = json_object_get_member (object, "event_type");
  if (type_node == NULL)
    type_node = json_object_get_member (object, "eventType");
  if (type_node != NULL && JSON_NODE_HOLDS_VALUE (type_node) &&
      json_node_get_value_type (type_node) == G_TYPE_STRING)
    event_type = json_node_get_string (type_node);

  if (event_type == NULL || *event_type == '\0' || strlen (event_type) > MAX_EVENT_TYPE_LENGTH)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "Each event needs an event_type (a string of 1 to %d characters)", MAX_EVENT_TYPE_LENGTH);
      return NULL;
    }

  data_node = json_object_get_member (object, "data");
  return event_new (event_type,
                    timestamp_text (json_object_get_member (object, "timestamp")),
                    data_node ? node_to_text (data_node) : g_strdup ("null"),
                    message_size);
}

VigilEvent *
vigil_event_new_raw (const char *event_type,
                     JsonNode   *message,
                     gsize       message_size)
{
  JsonNode *timestamp = NULL;

  g_return_val_if_fail (event_type != NULL, NULL);
  g_return_val_if_fail (message != NULL, NULL);

  if (JSON_NODE_HOLDS_OBJECT (message))
    timestamp = json_object_get_member (json_node_get_object (message), "timestamp");

  return event_new (event_type, timestamp_text (timestamp), node_to_text (message), message_size);
}

JsonNode *
vigil_event_to_log_json (const VigilEvent *event)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) data = json_from_string (event->data, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "timestamp");
  if (event->timestamp != NULL)
    json_builder_add_string_value (builder, event->timestamp);
  else
    {
      g_autofree char *iso = vigil_time_format_iso8601 (event->received_at_us);

      json_builder_add_string_value (builder, iso);
    }
  json_builder_set_member_name (builder, "event_type");
  json_builder_add_string_value (builder, event->event_type);
  json_builder_set_member_name (builder, "data");
  json_builder_add_value (builder, data ? g_steal_pointer (&data) : json_node_new (JSON_NODE_NULL));
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
