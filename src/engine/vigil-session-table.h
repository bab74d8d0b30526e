/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-auth.h"
#include "vigil-db.h"

G_BEGIN_DECLS

/* The sessions table: one row per behavioral session. */

gboolean          vigil_session_table_insert       (VigilDb     *db,
                                                    const char  *session_id,
                                                    const char  *user_id,
                                                    const char  *device_id,
                                                    JsonObject  *context,
                                                    gint64       started_at_us,
                                                    GError     **error);
/* Ends an open session; FALSE with no error when it was not open. */
gboolean          vigil_session_table_end          (VigilDb     *db,
                                                    const char  *session_id,
                                                    const char  *reason,
                                                    gint64       ended_at_us,
                                                    GError     **error);
VigilSessionInfo *vigil_session_table_find         (VigilDb     *db,
                                                    const char  *session_id,
                                                    GError     **error);
VigilSessionInfo *vigil_session_table_find_latest  (VigilDb     *db,
                                                    const char  *user_id,
                                                    GError     **error);
gboolean          vigil_session_table_count_open   (VigilDb     *db,
                                                    guint       *out_count,
                                                    GError     **error);

G_END_DECLS
