/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-store.h"

G_BEGIN_DECLS

/* The sessions blocked since a moment (for "blocked today"), read in a
 * worker thread on a connection of its own. Answers their ids, so that a
 * caller who also counts blocks as they happen can take the union. */
void   vigil_blocked_sessions_list_since_async  (VigilStore           *store,
                                                 gint64                since_us,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GStrv  vigil_blocked_sessions_list_since_finish (GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
