/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-session.h"

G_BEGIN_DECLS

/* What VigilSessions changes in a session; nobody else does. */
VigilSession *_vigil_session_new            (const char        *id,
                                             VigilSessionKind   kind,
                                             const char        *user_id,
                                             const char        *claimed_user,
                                             const char        *device_id,
                                             JsonObject        *context,
                                             gint64             started_at_us,
                                             guint              buffer_capacity);
gint64        _vigil_session_next_seq       (VigilSession      *self);
/* Committed events: into the live buffer and the counters. */
void          _vigil_session_record_events  (VigilSession      *self,
                                             GPtrArray         *events,
                                             gint64             now_us);
void          _vigil_session_touch          (VigilSession      *self,
                                             gint64             now_us);
void          _vigil_session_set_backgrounded (VigilSession    *self,
                                               gboolean         backgrounded);
void          _vigil_session_finish         (VigilSession      *self,
                                             VigilSessionState  final_state,
                                             const char        *reason,
                                             gint64             ended_at_us);
void          _vigil_session_set_state      (VigilSession      *self,
                                             VigilSessionState  state);
guint         _vigil_session_add_socket     (VigilSession      *self,
                                             int                delta);
void          _vigil_session_emit_mpin_required (VigilSession  *self);
/* VigilRisk's latest score of the session, in [0, 1]. */
void          _vigil_session_set_risk_score (VigilSession      *self,
                                             double             risk_score);
void          _vigil_session_emit_blocked   (VigilSession      *self,
                                             const char        *reason);

G_END_DECLS
