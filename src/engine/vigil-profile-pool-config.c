/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The retraining pool's limits (VigilPoolConfig): their defaults, their
 * bounds, and the profiles' copy the harvests read. */
#define G_LOG_DOMAIN "vigil-profiles"

#include "config.h"

#include "vigil-error.h"
#include "vigil-profile-pool.h"

void
vigil_pool_config_init (VigilPoolConfig *config)
{
  g_return_if_fail (config != NULL);

  config->admit_below = VIGIL_POOL_ADMIT_BELOW;
  config->max_share = VIGIL_POOL_MAX_SHARE;
  config->retrain_after = VIGIL_POOL_RETRAIN_AFTER;
  config->max_vectors = VIGIL_POOL_MAX_VECTORS;
  config->max_age_us = (gint64) VIGIL_POOL_MAX_AGE_DAYS * G_TIME_SPAN_DAY;
}

gboolean
vigil_pool_config_check (const VigilPoolConfig  *config,
                         GError                **error)
{
  /* Admission stays below the anomaly threshold, and the pool never
   * outweighs the foundation. */
  if (!(config->admit_below >= 0 && config->admit_below < VIGIL_PROFILE_THRESHOLD) ||
      !(config->max_share >= 0 && config->max_share <= 0.5) ||
      config->retrain_after == 0 || config->max_vectors == 0 || config->max_age_us <= 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "The retraining pool needs an admission score below the anomaly threshold, a share"
                           " of at most half the training set and positive limits");
      return FALSE;
    }
  return TRUE;
}

void
vigil_profiles_set_pool_config (VigilProfiles         *self,
                                const VigilPoolConfig *config)
{
  g_return_if_fail (VIGIL_IS_PROFILES (self));
  g_return_if_fail (config != NULL);
  g_return_if_fail (vigil_pool_config_check (config, NULL));

  *_vigil_profiles_get_pool_config (self) = *config;
}

void
vigil_profiles_get_pool_config (VigilProfiles   *self,
                                VigilPoolConfig *config)
{
  g_return_if_fail (VIGIL_IS_PROFILES (self));
  g_return_if_fail (config != NULL);

  *config = *_vigil_profiles_get_pool_config (self);
}
