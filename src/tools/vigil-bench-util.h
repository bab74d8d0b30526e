/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes a scratch directory that holds only files (a data directory). */
void vigil_bench_remove_flat_directory (const char *path);

G_END_DECLS
