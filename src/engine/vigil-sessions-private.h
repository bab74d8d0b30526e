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

/* Called synchronously as a session begins to end, while it is still
 * open: events recorded from here are in its log. */
typedef void (*VigilSessionsEndHook) (VigilSession *session,
                                      const char   *reason,
                                      gpointer      user_data);

/* Shared by vigil-sessions.c and vigil-sessions-end.c. */
struct _VigilSessions
{
  GObject             parent_instance;

  VigilStore         *store;
  VigilClock         *clock;
  VigilMetrics       *metrics;
  VigilEventBus      *bus;
  char               *logs_dir;
  VigilSessionLimits  limits;

  GHashTable         *open;      /* id → VigilSession */
  GHashTable         *ending;    /* id → GPtrArray of GTask waiting for the log */
  guint               sweep_id;
  gboolean            shut_down;
  /* Log files being written on worker threads: shut-down waits for
   * them, so nothing is written into the data directory after it. */
  GMutex              log_jobs_lock;
  GCond               log_jobs_done;
  guint               log_jobs;
  /* VigilRisk's last word before a session ends (its ML session events). */
  VigilSessionsEndHook end_hook;
  gpointer            end_hook_data;
};

void           _vigil_sessions_update_active_count (VigilSessions *self);
/* The callback of writes nobody waits for: failures are reported. */
void           _vigil_sessions_on_background_write (GObject      *source,
                                                    GAsyncResult *result,
                                                    gpointer      user_data);
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
void           _vigil_sessions_set_end_hook (VigilSessions           *self,
                                             VigilSessionsEndHook     hook,
                                             gpointer                 user_data);
/* Events the engine itself writes into @session's history (its own
 * account of what happened, such as the ML engine's answers): sequenced
 * and committed like a client's, without a client's checks, and posted on
 * the bus once committed. Also while the session is ending. */
void           _vigil_sessions_record      (VigilSessions            *self,
                                            VigilSession             *session,
                                            GPtrArray                *events);

G_END_DECLS
