/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How the Sessions page words the engine's values for people. */
char       *vigil_sessions_format_time     (gint64      at_us);
char       *vigil_sessions_format_duration (gint64      seconds);
/* "allow" → "Allow", ...; NULL → "—". */
const char *vigil_sessions_format_decision (const char *decision);
const char *vigil_sessions_format_state    (const char *state);

G_END_DECLS
