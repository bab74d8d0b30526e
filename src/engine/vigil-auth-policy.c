/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilAuth, continued: the MPIN policy an administrator changes while
 * the engine runs. */
#define G_LOG_DOMAIN "vigil-auth"

#include "config.h"

#include "vigil-auth-private.h"
#include "vigil-policy.h"

/* The policy is only ever written here, on the main context. Flows copy
 * what they need of it when they start (see Flow in vigil-auth-flow.h), so
 * the writer thread never reads a policy being changed; registration
 * checks the length on the main context before hashing. */
gboolean
vigil_auth_set_mpin_policy (VigilAuth  *self,
                            guint       length,
                            guint       max_attempts,
                            guint       lock_seconds,
                            GError    **error)
{
  VigilAuthConfig *config;
  g_autoptr(JsonObject) details = NULL;

  g_return_val_if_fail (VIGIL_IS_AUTH (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!vigil_policy_check_mpin_policy (length, max_attempts, lock_seconds, error))
    return FALSE;

  config = &self->config;
  if (config->mpin_length == length && config->mpin_max_attempts == max_attempts &&
      config->mpin_lock_seconds == lock_seconds)
    return TRUE;

  details = json_object_new ();
  json_object_set_int_member (details, "old_mpin_length", config->mpin_length);
  json_object_set_int_member (details, "mpin_length", length);
  json_object_set_int_member (details, "old_mpin_max_attempts", config->mpin_max_attempts);
  json_object_set_int_member (details, "mpin_max_attempts", max_attempts);
  json_object_set_int_member (details, "old_mpin_lock_seconds", config->mpin_lock_seconds);
  json_object_set_int_member (details, "mpin_lock_seconds", lock_seconds);
  _vigil_auth_audit (self, "system", "settings.mpin_policy", NULL, NULL, details);

  config->mpin_length = length;
  config->mpin_max_attempts = max_attempts;
  config->mpin_lock_seconds = lock_seconds;
  g_message ("MPIN policy: %u digits for new MPINs, locked for %u s after %u wrong ones",
             length, lock_seconds, max_attempts);
  return TRUE;
}
