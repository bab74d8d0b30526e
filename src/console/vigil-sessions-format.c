/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-sessions-format"

#include "config.h"

#include "vigil-sessions-format.h"

#include <glib/gi18n.h>

char *
vigil_sessions_format_time (gint64 at_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (at_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (local == NULL)
    return g_strdup ("—");
  if (g_date_time_get_year (local) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
    return g_date_time_format (local, "%H:%M:%S");
  /* Translators: a time on another day than today, see strftime(3) */
  return g_date_time_format (local, _("%b %e, %H:%M"));
}

char *
vigil_sessions_format_duration (gint64 seconds)
{
  guint64 s = (guint64) MAX (seconds, 0);

  return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", s / 3600, (guint) (s % 3600 / 60), (guint) (s % 60));
}

const char *
vigil_sessions_format_decision (const char *decision)
{
  if (decision == NULL)
    return "—";
  if (g_str_equal (decision, "allow"))
    return _("Allow");
  if (g_str_equal (decision, "monitor"))
    return _("Monitor");
  if (g_str_equal (decision, "step_up"))
    return _("Step-up");
  if (g_str_equal (decision, "block"))
    return _("Block");
  return decision;
}

const char *
vigil_sessions_format_state (const char *state)
{
  if (state == NULL)
    return "—";
  if (g_str_equal (state, "active"))
    return _("Active");
  if (g_str_equal (state, "monitor"))
    /* Translators: a session's state: watched, MPIN asked again */
    return C_("session state", "Monitor");
  if (g_str_equal (state, "blocked"))
    return _("Blocked");
  if (g_str_equal (state, "ended"))
    return _("Ended");
  return state;
}
