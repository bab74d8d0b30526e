/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-engine.h"

G_BEGIN_DECLS

/* vigil --create-admin EMAIL: reads the password from standard input
 * (without echo on a terminal, asking twice), creates the admin account or
 * promotes the existing one, and returns the process exit status. */
int vigil_create_admin_run (const char                *data_dir,
                            const VigilEngineOptions  *options,
                            const char                *email);

G_END_DECLS
