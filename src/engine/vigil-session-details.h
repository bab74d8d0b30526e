/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

/* What an analyst reads about one session: its risk over time (the
 * stored decisions, then the live score), its recent events, why the
 * current decision was taken, its security events and the device it runs
 * on. Read from the store on a worker thread. */

typedef struct
{
  gint64  at_us;
  double  risk;
  char   *decision;      /* allow | monitor | step_up | block */
  double  confidence;
} VigilRiskPoint;

typedef struct
{
  gint64  at_us;
  char   *kind;
  char   *severity;      /* info | warning | critical */
  char   *details;       /* JSON text, nullable */
} VigilSecurityEvent;

typedef struct
{
  char       *session_id;
  GPtrArray  *risk_history;     /* VigilRiskPoint, oldest first */
  GPtrArray  *events;           /* VigilEvent, oldest first, the newest VIGIL_SESSION_DETAILS_EVENTS */
  GPtrArray  *reasons;          /* VigilRiskReason of the current decision, strongest first */
  char       *decision;         /* the current decision, nullable */
  double      risk;
  double      confidence;
  GPtrArray  *security_events;  /* VigilSecurityEvent, newest first */
  char       *device_id;        /* nullable */
  JsonObject *context;          /* the device context the session started with; nullable */
  char       *end_reason;       /* nullable */
} VigilSessionDetails;

#define VIGIL_SESSION_DETAILS_EVENTS 200

void                 vigil_session_details_free        (VigilSessionDetails *details);

/* VIGIL_ERROR_NOT_FOUND for a session the store does not know. */
void                 vigil_session_details_load_async  (VigilEngine          *engine,
                                                        const char           *session_id,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
VigilSessionDetails *vigil_session_details_load_finish (VigilEngine          *engine,
                                                        GAsyncResult         *result,
                                                        GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilSessionDetails, vigil_session_details_free)

G_END_DECLS
