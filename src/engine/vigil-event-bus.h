/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "vigil-event.h"
#include "vigil-session.h"

G_BEGIN_DECLS

/* Where the console and the monitor sockets hear about what happens.
 * Signals are coalesced: events committed within one tick (about a frame,
 * 16 ms) arrive as one "events-received" (GPtrArray of VigilEvent), and
 * each changed session once per tick in "session-changed", so 10,000
 * events a second cost the main loop about 60 emissions. Emitted on the
 * main context.
 *
 * "audit-appended" (no arguments): entries were appended to the audit log
 * and committed since the last tick; listeners read the entries after the
 * newest they hold (vigil_audit_list_after ()).
 * "user-changed" (no arguments): an account row was created, changed
 * (role, disabled flag, login, MPIN attempts or lock, ...) or deleted and
 * committed since the last tick; listeners re-read the accounts.
 * Each is emitted at most once per tick, after "events-received" and
 * "session-changed". */
#define VIGIL_TYPE_EVENT_BUS (vigil_event_bus_get_type ())
G_DECLARE_FINAL_TYPE (VigilEventBus, vigil_event_bus, VIGIL, EVENT_BUS, GObject)

VigilEventBus *vigil_event_bus_new           (void);

/* Queue for the next tick; called by the engine after commits. */
void           vigil_event_bus_post_events   (VigilEventBus *self,
                                              GPtrArray     *events);
void           vigil_event_bus_post_session  (VigilEventBus *self,
                                              VigilSession  *session);
void           vigil_event_bus_post_audit_appended (VigilEventBus *self);
void           vigil_event_bus_post_user_changed   (VigilEventBus *self);
/* Emit what is queued now (tests, shutdown). */
void           vigil_event_bus_flush         (VigilEventBus *self);

G_END_DECLS
