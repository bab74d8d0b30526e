/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-clock.h"
#include "vigil-event-bus.h"
#include "vigil-metrics.h"
#include "vigil-sessions.h"
#include "vigil-store.h"

G_BEGIN_DECLS

typedef struct
{
  gsize max_message_bytes;
  guint max_batch_events;
  guint buffer_events;
  guint idle_seconds;
} VigilSessionLimits;

/* Ends the sessions a previous run left open (reason "server_restart"),
 * writes their logs and removes partial log files, before returning. */
VigilSessions *_vigil_sessions_new         (VigilStore               *store,
                                            VigilClock               *clock,
                                            VigilMetrics             *metrics,
                                            VigilEventBus            *bus,
                                            const char               *data_dir,
                                            const VigilSessionLimits *limits,
                                            GError                  **error);
/* A session VigilAuth inserted in its own transaction becomes live. */
VigilSession  *_vigil_sessions_adopt       (VigilSessions            *self,
                                            const char               *session_id,
                                            const char               *user_id,
                                            const char               *device_id,
                                            JsonObject               *context,
                                            gint64                    started_at_us);
/* Ends the open sessions of @user_id on @device_id (every device when
 * NULL), as a logout without a session token does. */
void           _vigil_sessions_end_matching (VigilSessions           *self,
                                             const char              *user_id,
                                             const char              *device_id,
                                             const char              *reason);
void           _vigil_sessions_shutdown    (VigilSessions            *self);

G_END_DECLS
