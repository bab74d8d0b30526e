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
on_settings_changed (GSettings  *settings,
                     const char *key,
                     gpointer    user_data)
{
  VigilEngine *engine = user_data;
  VigilRiskThresholds thresholds;
  g_autoptr(GError) error = NULL;

  if (key != NULL && !g_str_has_prefix (key, "risk-"))
    return;
  vigil_engine_settings_load_thresholds (settings, &thresholds);
  if (!vigil_risk_set_thresholds (vigil_engine_get_risk (engine), &thresholds, &error))
    g_warning ("Risk thresholds not applied: %s", error->message);
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
