/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-db.h"

G_BEGIN_DECLS

/* The seed systems' behavioral log of one session, {user_id, session_id,
 * uploaded_at, total_events, logs: [{timestamp, event_type, data}]}, built
 * from the store on a worker thread's own connection. */

JsonNode *vigil_session_log_build            (VigilDb     *db,
                                              const char  *session_id,
                                              gint64       uploaded_at_us,
                                              GError     **error);

/* Builds the log and writes it to LOGS_DIR/{user}/{session_id}.json
 * atomically (temporary file, rename): a crash leaves the old state or the
 * whole file, never half of it. With @durable each file is fsync'd before
 * the rename; writers of many logs at once pass FALSE and call
 * vigil_session_log_sync () once. Returns the path. */
char     *vigil_session_log_write            (VigilDb     *db,
                                              const char  *logs_dir,
                                              const char  *session_id,
                                              gint64       uploaded_at_us,
                                              gboolean     durable,
                                              GError     **error);
/* Flushes the file system that holds @logs_dir to disk (syncfs). */
void      vigil_session_log_sync             (const char  *logs_dir);

/* Removes temporary files a crash left behind under @logs_dir. */
void      vigil_session_log_remove_partials  (const char  *logs_dir);

G_END_DECLS
