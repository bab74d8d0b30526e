/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Time formatting shared by the engine's outputs. */
#define G_LOG_DOMAIN "vigil-time"

#include "config.h"

#include "vigil-time.h"

char *
vigil_time_format_iso8601 (gint64 unix_us)
{
  /* GLib 2.74 has no microsecond constructor from the epoch. */
  gint64 seconds = unix_us / G_USEC_PER_SEC;
  gint64 micros = unix_us % G_USEC_PER_SEC;
  g_autoptr(GDateTime) whole = NULL;
  g_autoptr(GDateTime) precise = NULL;

  if (micros < 0)
    {
      seconds -= 1;
      micros += G_USEC_PER_SEC;
    }

  whole = g_date_time_new_from_unix_utc (seconds);
  if (whole == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  precise = g_date_time_add (whole, micros);
  return g_date_time_format_iso8601 (precise);
}
