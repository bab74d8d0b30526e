/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-db.h"

G_BEGIN_DECLS

/* Brings @db to the newest schema, one numbered migration per transaction,
 * recording each in PRAGMA user_version. */
gboolean _vigil_store_migrate            (VigilDb  *db,
                                          GError  **error);
int      _vigil_store_latest_version     (void);

G_END_DECLS
