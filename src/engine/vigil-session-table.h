/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-auth.h"
#include "vigil-db.h"
#include "vigil-session.h"

G_BEGIN_DECLS

/* The sessions table: one row per behavioral session. */

gboolean          vigil_session_table_insert       (VigilDb           *db,
                                                    const char        *session_id,
                                                    const char        *user_id,
                                                    const char        *device_id,
                                                    JsonObject        *context,
                                                    gint64             started_at_us,
                                                    GError           **error);
gboolean          vigil_session_table_insert_stream (VigilDb          *db,
                                                     const char       *session_id,
                                                     const char       *claimed_user,
                                                     gint64            started_at_us,
                                                     GError          **error);
/* Closes an open session in its final state (ended or blocked); FALSE with
 * no error when it was not open. */
gboolean          vigil_session_table_finish       (VigilDb           *db,
                                                    const char        *session_id,
                                                    VigilSessionState  final_state,
                                                    const char        *reason,
                                                    const char        *final_decision,
                                                    gint64             ended_at_us,
                                                    GError           **error);
gboolean          vigil_session_table_set_state    (VigilDb           *db,
                                                    const char        *session_id,
                                                    VigilSessionState  state,
                                                    GError           **error);
gboolean          vigil_session_table_set_log_path (VigilDb           *db,
                                                    const char        *session_id,
                                                    const char        *log_path,
                                                    GError           **error);
VigilSessionInfo *vigil_session_table_find         (VigilDb           *db,
                                                    const char        *session_id,
                                                    GError           **error);
VigilSessionInfo *vigil_session_table_find_latest  (VigilDb           *db,
                                                    const char        *user_id,
                                                    GError           **error);
/* Sessions not yet closed; elements are VigilSessionInfo. */
GPtrArray        *vigil_session_table_list_open    (VigilDb           *db,
                                                    GError           **error);

/* The events table. */
gboolean          vigil_event_table_insert         (VigilDb           *db,
                                                    const char        *session_id,
                                                    GPtrArray         *events,
                                                    GError           **error);
/* Every event of a session in sequence order; elements are VigilEvent. */
GPtrArray        *vigil_event_table_list           (VigilDb           *db,
                                                    const char        *session_id,
                                                    GError           **error);

G_END_DECLS
