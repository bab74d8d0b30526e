/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Settings the engine follows while running. */
#define G_LOG_DOMAIN "vigil-engine"

#include "config.h"

#include "vigil-engine-settings.h"

void
vigil_engine_settings_load_thresholds (GSettings           *settings,
                                       VigilRiskThresholds *out_thresholds)
{
  g_return_if_fail (G_IS_SETTINGS (settings));

  out_thresholds->monitor = g_settings_get_double (settings, "risk-monitor-threshold");
  out_thresholds->suspicious = g_settings_get_double (settings, "risk-suspicious-threshold");
  out_thresholds->high = g_settings_get_double (settings, "risk-high-threshold");
  out_thresholds->block_confidence = g_settings_get_double (settings, "risk-block-confidence");
}

static void
apply_thresholds (VigilEngine *engine,
                  GSettings   *settings)
{
  VigilRiskThresholds thresholds;
  g_autoptr(GError) error = NULL;

  vigil_engine_settings_load_thresholds (settings, &thresholds);
  if (!vigil_risk_set_thresholds (vigil_engine_get_risk (engine), &thresholds, &error))
    g_warning ("Risk thresholds not applied: %s", error->message);
}

/* The schema's ranges keep the values positive; a negative one read from
 * a backend that ignores them becomes 0 and is refused. */
static guint
get_count (GSettings  *settings,
           const char *key,
           guint       unit)
{
  int value = g_settings_get_int (settings, key);

  return value > 0 && (guint) value <= G_MAXUINT / unit ? (guint) value * unit : 0;
}

static void
apply_mpin_policy (VigilEngine *engine,
                   GSettings   *settings)
{
  g_autoptr(GError) error = NULL;

  if (!vigil_auth_set_mpin_policy (vigil_engine_get_auth (engine),
                                   get_count (settings, "mpin-length", 1),
                                   get_count (settings, "mpin-max-attempts", 1),
                                   get_count (settings, "mpin-lock-minutes", 60), &error))
    g_warning ("MPIN policy not applied: %s", error->message);
}

static void
apply_session_idle (VigilEngine *engine,
                    GSettings   *settings)
{
  g_autoptr(GError) error = NULL;

  if (!vigil_sessions_set_idle_seconds (vigil_engine_get_sessions (engine),
                                        get_count (settings, "session-idle-minutes", 60), &error))
    g_warning ("Session expiry not applied: %s", error->message);
}

static void
on_settings_changed (GSettings  *settings,
                     const char *key,
                     gpointer    user_data)
{
  VigilEngine *engine = user_data;

  /* After shut-down the engine's parts are gone. */
  if (vigil_engine_get_risk (engine) == NULL)
    return;
  if (key == NULL || g_str_has_prefix (key, "risk-"))
    apply_thresholds (engine, settings);
  if (key == NULL || g_str_has_prefix (key, "mpin-"))
    apply_mpin_policy (engine, settings);
  if (key == NULL || g_str_equal (key, "session-idle-minutes"))
    apply_session_idle (engine, settings);
}

void
vigil_engine_settings_bind (VigilEngine *engine,
                            GSettings   *settings)
{
  g_return_if_fail (VIGIL_IS_ENGINE (engine));
  g_return_if_fail (G_IS_SETTINGS (settings));

  g_signal_connect_object (settings, "changed", G_CALLBACK (on_settings_changed), engine, 0);
  on_settings_changed (settings, NULL, engine);
}
