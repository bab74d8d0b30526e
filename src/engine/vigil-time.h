/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "2026-11-23T08:39:31.373832Z" for microseconds since the Unix epoch. */
char *vigil_time_format_iso8601 (gint64 unix_us);

G_END_DECLS
