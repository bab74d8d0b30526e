/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One behavioral event: {timestamp, event_type, data} as the client sent
 * it, plus what the server adds (session, sequence number, receive time).
 * Immutable once sequenced and reference-counted, so the store, the live
 * buffer and every monitor share one copy. */
typedef struct
{
  char   *session_id;       /* set when sequenced */
  gint64  seq;              /* per session, from 1; 0 until sequenced */
  gint64  received_at_us;   /* server time, microseconds since the epoch */
  char   *timestamp;        /* the client's timestamp as text; nullable */
  char   *event_type;
  char   *data;             /* the data member as compact JSON ("null" when absent) */
  gsize   size;             /* bytes of the message it came from */
} VigilEvent;

#define VIGIL_TYPE_EVENT (vigil_event_get_type ())
GType       vigil_event_get_type   (void) G_GNUC_CONST;

/* Builds an unsequenced event from a JSON object with event_type (or
 * eventType) and optional timestamp and data. @message_size is the size of
 * the message it arrived in, for the size limit. VIGIL_ERROR_INVALID_INPUT
 * when the object has no usable event_type. */
VigilEvent *vigil_event_new_from_json (JsonObject  *object,
                                       gsize        message_size,
                                       GError     **error);
/* An event whose data is the whole message (cbsa's free-form stream). */
VigilEvent *vigil_event_new_raw       (const char  *event_type,
                                       JsonNode    *message,
                                       gsize        message_size);

VigilEvent *vigil_event_ref           (VigilEvent  *event);
void        vigil_event_unref         (VigilEvent  *event);

/* {timestamp, event_type, data}: the seed's log entry. */
JsonNode   *vigil_event_to_log_json   (const VigilEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilEvent, vigil_event_unref)

G_END_DECLS
