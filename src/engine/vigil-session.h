/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-event.h"

G_BEGIN_DECLS

typedef enum
{
  VIGIL_SESSION_ACTIVE,
  VIGIL_SESSION_MONITOR,
  VIGIL_SESSION_BLOCKED,
  VIGIL_SESSION_ENDED,
} VigilSessionState;

typedef enum
{
  VIGIL_SESSION_KIND_AUTHENTICATED,
  VIGIL_SESSION_KIND_STREAM,      /* cbsa's open socket: no verified account */
} VigilSessionKind;

const char *vigil_session_state_to_string (VigilSessionState state);
const char *vigil_session_kind_to_string  (VigilSessionKind  kind);

/* The live state of one behavioral session, owned by VigilSessions while
 * the session is open. Main context only. Its signals fire at once (not
 * coalesced): "mpin-required", "blocked" (reason), "ended" (reason), so a
 * socket can tell its client immediately. */
#define VIGIL_TYPE_SESSION (vigil_session_get_type ())
G_DECLARE_FINAL_TYPE (VigilSession, vigil_session, VIGIL, SESSION, GObject)

const char        *vigil_session_get_id             (VigilSession *self);
VigilSessionKind   vigil_session_get_kind           (VigilSession *self);
/* The account for authenticated sessions, NULL for stream sessions. */
const char        *vigil_session_get_user_id        (VigilSession *self);
/* For stream sessions, the user_id their messages claimed (unverified). */
const char        *vigil_session_get_claimed_user   (VigilSession *self);
const char        *vigil_session_get_device_id      (VigilSession *self);
JsonObject        *vigil_session_get_context        (VigilSession *self);
VigilSessionState  vigil_session_get_state          (VigilSession *self);
const char        *vigil_session_get_end_reason     (VigilSession *self);
gint64             vigil_session_get_started_at     (VigilSession *self);
gint64             vigil_session_get_ended_at       (VigilSession *self);
gint64             vigil_session_get_last_activity  (VigilSession *self);
guint64            vigil_session_get_event_count    (VigilSession *self);
gboolean           vigil_session_get_backgrounded   (VigilSession *self);
/* Counts per event_type, for status replies: event_type → GUINT_TO_POINTER. */
GHashTable        *vigil_session_get_event_types    (VigilSession *self);
/* The newest events still in the live buffer, oldest first (at most the
 * buffer's capacity). Elements are VigilEvent, referenced. */
GPtrArray         *vigil_session_get_recent_events  (VigilSession *self);
VigilEvent        *vigil_session_get_last_event     (VigilSession *self);
double             vigil_session_get_risk_score     (VigilSession *self);

G_END_DECLS
