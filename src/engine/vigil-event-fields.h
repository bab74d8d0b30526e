/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-event.h"

G_BEGIN_DECLS

/* Lenient reading of the fields streamed events carry. The seeds' clients
 * put them in different places: canara's {event_type, data: {...}}, cbsa's
 * whole message with a nested payload / event_data / features. A field is
 * looked for under any of its names in the object itself, then one level
 * down in those containers. A field that is absent is "not found"; one
 * that is present with the wrong type is an error (VIGIL_ERROR_INVALID_INPUT
 * naming the field), never a guess. Numbers may be JSON numbers or numeric
 * strings. */

/* Parses an event's data member (NULL when it is not a JSON object). */
JsonNode *vigil_event_fields_parse  (const VigilEvent    *event);

/* The event's own time in milliseconds since the epoch: the client's
 * timestamp (ISO 8601, epoch seconds or milliseconds) when it has one,
 * else the server's receive time. */
double    vigil_event_fields_time_ms (const VigilEvent   *event);

gboolean  vigil_event_fields_number (JsonObject          *object,
                                     const char * const  *names,
                                     double              *out_value,
                                     gboolean            *out_found,
                                     GError             **error);
/* A position as [x, y] or {x, y}. */
gboolean  vigil_event_fields_point  (JsonObject          *object,
                                     const char * const  *names,
                                     double              *out_x,
                                     double              *out_y,
                                     gboolean            *out_found,
                                     GError             **error);
/* A string (found only when it is one; another type is an error). */
gboolean  vigil_event_fields_string (JsonObject          *object,
                                     const char * const  *names,
                                     const char         **out_value,
                                     GError             **error);
/* An array member (NULL when absent; another type is an error). */
gboolean  vigil_event_fields_array  (JsonObject          *object,
                                     const char * const  *names,
                                     JsonArray          **out_array,
                                     GError             **error);
/* A number node's value (JSON number or numeric string). */
gboolean  vigil_event_fields_node_number (JsonNode       *node,
                                          double         *out_value);
/* The event's type, or its cbsa payload's eventType when the message had
 * none of its own. */
const char *vigil_event_fields_type (const VigilEvent    *event,
                                     JsonObject          *data);

G_END_DECLS
