/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Lenient, typed lookup of the fields of streamed behavioral events. */
#define G_LOG_DOMAIN "vigil-features"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-event-fields.h"

static const char * const containers[] = { "payload", "event_data", "data", "features", "details", NULL };

JsonNode *
vigil_event_fields_parse (const VigilEvent *event)
{
  g_autoptr(JsonNode) node = NULL;

  if (event->data == NULL)
    return NULL;
  node = json_from_string (event->data, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return g_steal_pointer (&node);
}

double
vigil_event_fields_time_ms (const VigilEvent *event)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GTimeZone) utc = NULL;
  char *end = NULL;
  double value;

  if (event->timestamp != NULL && *event->timestamp != '\0')
    {
      value = g_ascii_strtod (event->timestamp, &end);
      if (end != event->timestamp && *end == '\0' && isfinite (value) && value > 0)
        return value > 1e11 ? value : value * 1000.0;
      utc = g_time_zone_new_utc ();
      time = g_date_time_new_from_iso8601 (event->timestamp, utc);
      if (time != NULL)
        return g_date_time_to_unix (time) * 1000.0 + g_date_time_get_microsecond (time) / 1000.0;
    }
  return event->received_at_us / 1000.0;
}

gboolean
vigil_event_fields_node_number (JsonNode *node,
                                double   *out_value)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64 || type == G_TYPE_DOUBLE)
    *out_value = json_node_get_double (node);
  else if (type == G_TYPE_STRING)
    {
      const char *text = json_node_get_string (node);
      char *end = NULL;

      *out_value = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0')
        return FALSE;
    }
  else
    return FALSE;
  return isfinite (*out_value);
}

/* The member under one of @names, in @object or one container down. */
static JsonNode *
find_member (JsonObject         *object,
             const char * const *names,
             const char        **out_name)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (object, names[i]);

      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        {
          *out_name = names[i];
          return node;
        }
    }
  for (guint c = 0; containers[c] != NULL; c++)
    {
      JsonNode *inner = json_object_get_member (object, containers[c]);

      if (inner == NULL || !JSON_NODE_HOLDS_OBJECT (inner))
        continue;
      for (guint i = 0; names[i] != NULL; i++)
        {
          JsonNode *node = json_object_get_member (json_node_get_object (inner), names[i]);

          if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
            {
              *out_name = names[i];
              return node;
            }
        }
    }
  return NULL;
}

static gboolean
wrong_type (GError    **error,
            const char *name,
            const char *expected)
{
  g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "%s must be %s", name, expected);
  return FALSE;
}

gboolean
vigil_event_fields_number (JsonObject          *object,
                           const char * const  *names,
                           double              *out_value,
                           gboolean            *out_found,
                           GError             **error)
{
  const char *name = NULL;
  JsonNode *node = find_member (object, names, &name);

  *out_found = FALSE;
  if (node == NULL)
    return TRUE;
  if (!vigil_event_fields_node_number (node, out_value))
    return wrong_type (error, name, "a finite number");
  *out_found = TRUE;
  return TRUE;
}

gboolean
vigil_event_fields_point (JsonObject          *object,
                          const char * const  *names,
                          double              *out_x,
                          double              *out_y,
                          gboolean            *out_found,
                          GError             **error)
{
  const char *name = NULL;
  JsonNode *node = find_member (object, names, &name);
  gboolean ok = FALSE;

  *out_found = FALSE;
  if (node == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      ok = json_array_get_length (array) >= 2 &&
           vigil_event_fields_node_number (json_array_get_element (array, 0), out_x) &&
           vigil_event_fields_node_number (json_array_get_element (array, 1), out_y);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *point = json_node_get_object (node);

      ok = vigil_event_fields_node_number (json_object_get_member (point, "x"), out_x) &&
           vigil_event_fields_node_number (json_object_get_member (point, "y"), out_y);
    }
  if (!ok)
    return wrong_type (error, name, "[x, y] or {x, y} with numbers");
  *out_found = TRUE;
  return TRUE;
}

gboolean
vigil_event_fields_string (JsonObject          *object,
                           const char * const  *names,
                           const char         **out_value,
                           GError             **error)
{
  const char *name = NULL;
  JsonNode *node = find_member (object, names, &name);

  *out_value = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (error, name, "a string");
  *out_value = json_node_get_string (node);
  return TRUE;
}

gboolean
vigil_event_fields_array (JsonObject          *object,
                          const char * const  *names,
                          JsonArray          **out_array,
                          GError             **error)
{
  const char *name = NULL;
  JsonNode *node = find_member (object, names, &name);

  *out_array = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (error, name, "an array");
  *out_array = json_node_get_array (node);
  return TRUE;
}

const char *
vigil_event_fields_type (const VigilEvent *event,
                         JsonObject       *data)
{
  static const char * const names[] = { "eventType", "event_type", NULL };
  const char *type = NULL;

  /* cbsa messages without a type of their own arrive as "message". */
  if (g_strcmp0 (event->event_type, "message") != 0 || data == NULL)
    return event->event_type;
  if (!vigil_event_fields_string (data, names, &type, NULL) || type == NULL)
    return event->event_type;
  return type;
}
