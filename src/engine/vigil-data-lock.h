/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An exclusive advisory lock on a data directory, held for the life of the
 * engine so that two processes never write one database. */
typedef struct _VigilDataLock VigilDataLock;

VigilDataLock *vigil_data_lock_acquire (const char     *data_dir,
                                        GError        **error);
void           vigil_data_lock_release (VigilDataLock  *lock);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilDataLock, vigil_data_lock_release)

G_END_DECLS
