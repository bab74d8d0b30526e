/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The credential checks of VigilAuth: password and MPIN logins and the
 * maxidom profile check. Each is rate-limited first, hashed off the main
 * context, and written (with its audit entry) in one transaction before it
 * is answered. */
#define G_LOG_DOMAIN "vigil-auth"

#include "config.h"

#include "vigil-audit.h"
#include "vigil-auth-flow.h"
#include "vigil-error.h"
#include "vigil-policy.h"
#include "vigil-session-table.h"
#include "vigil-token-table.h"

/* Password logins */

static gboolean
write_login (VigilDb   *db,
             gpointer   user_data,
             GError   **error)
{
  Flow *flow = user_data;
  g_autoptr(JsonObject) details = _vigil_auth_details ("identifier", flow->identifier,
                                                       "device_id", flow->device_id, NULL);

  if (!flow->verified)
    return vigil_audit_append_in_transaction (db, flow->now_us, _vigil_auth_flow_actor (flow), "auth.login_failed",
                                              flow->identifier, flow->client_address, details, error);

  return vigil_user_table_set_last_login (db, flow->record->user->id, flow->now_us, error) &&
         _vigil_auth_flow_record_tokens (flow, db, error) &&
         vigil_audit_append_in_transaction (db, flow->now_us, flow->record->user->id, "auth.login",
                                            flow->record->user->id, flow->client_address, details, error);
}

static void
on_login_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (!flow->verified)
    g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Invalid credentials");
  else
    g_task_return_pointer (task, _vigil_auth_flow_result (flow), (GDestroyNotify) vigil_auth_result_free);
}

static void
on_login_verified (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  flow->verified = vigil_hasher_verify_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A disabled account answers like a wrong password. */
  flow->verified = flow->verified && flow->record != NULL && !flow->record->user->disabled;
  if (flow->verified)
    _vigil_auth_flow_issue_tokens (flow, NULL);

  vigil_store_write_async (flow->auth->store, write_login, flow, NULL, NULL,
                           on_login_written, g_object_ref (task));
}

void
vigil_auth_login_async (VigilAuth           *self,
                        VigilLoginKind       kind,
                        const char          *identifier,
                        const char          *password,
                        const char          *device_id,
                        gboolean             with_refresh,
                        const char          *client_address,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Flow *flow;

  g_return_if_fail (VIGIL_IS_AUTH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_login_async);
  flow = _vigil_auth_flow_new (self, task, client_address);

  if (identifier == NULL || password == NULL || (device_id != NULL && !vigil_policy_check_device_id (device_id, &error)))
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "Credentials are required");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->identifier = kind == VIGIL_LOGIN_EMAIL ? g_utf8_strdown (identifier, -1) : g_strdup (identifier);
  flow->secret = g_strdup (password);
  flow->device_id = g_strdup (device_id);
  flow->with_refresh = with_refresh;
  flow->issue_login_tokens = TRUE;

  if (_vigil_auth_flow_rate_limited (flow, "login", &error) || !_vigil_auth_flow_find_account (flow, _vigil_auth_key_for_login (kind), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  vigil_hasher_verify_async (self->hasher, flow->record ? flow->record->password_hash : NULL, flow->secret,
                             NULL, on_login_verified, g_object_ref (task));
}

VigilAuthResult *
vigil_auth_login_finish (VigilAuth     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* MPIN checks */

static gboolean
write_mpin_outcome (VigilDb   *db,
                    gpointer   user_data,
                    GError   **error)
{
  Flow *flow = user_data;
  g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", flow->device_id, NULL);
  const char *user_id = flow->record ? flow->record->user->id : NULL;

  if (flow->verified)
    return vigil_user_table_clear_mpin_failures (db, user_id, error) &&
           (!flow->issue_login_tokens || vigil_user_table_set_last_login (db, user_id, flow->now_us, error)) &&
           _vigil_auth_flow_record_tokens (flow, db, error) &&
           vigil_audit_append_in_transaction (db, flow->now_us, user_id, "auth.mpin_verified",
                                              user_id, flow->client_address, details, error);

  if (user_id == NULL)
    return vigil_audit_append_in_transaction (db, flow->now_us, "anonymous", "auth.mpin_failed",
                                              flow->identifier, flow->client_address, details, error);

  if (!vigil_user_table_count_mpin_failure (db, user_id, flow->mpin_max_attempts,
                                            flow->now_us + (gint64) flow->mpin_lock_seconds * G_USEC_PER_SEC,
                                            &flow->mpin_attempts, &flow->mpin_locked_until_us, error))
    return FALSE;

  {
    g_autofree char *attempts = g_strdup_printf ("%u", flow->mpin_attempts);

    json_object_set_string_member (details, "attempts", attempts);
  }
  return vigil_audit_append_in_transaction (db, flow->now_us, user_id,
                                            flow->mpin_locked_until_us > flow->now_us ? "auth.mpin_locked"
                                                                                      : "auth.mpin_failed",
                                            user_id, flow->client_address, details, error);
}

static void
on_mpin_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  _vigil_auth_flow_release_in_flight (flow);
  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The attempt that used up the last try already answers "locked". */
  if (!flow->verified && flow->mpin_locked_until_us > flow->now_us)
    {
      gint64 wait_us = flow->mpin_locked_until_us - flow->now_us;

      vigil_set_error_retry_after (&error, VIGIL_ERROR_LOCKED,
                                   (guint) ((wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC),
                                   "MPIN verification is locked after too many failed attempts");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!flow->verified)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Invalid MPIN");
      return;
    }

  if (flow->session != NULL)
    _vigil_sessions_adopt (flow->auth->sessions, flow->session_id, flow->record->user->id,
                           flow->device_id, flow->context, flow->now_us);
  g_task_return_pointer (task, _vigil_auth_flow_result (flow), (GDestroyNotify) vigil_auth_result_free);
}

static void
on_mpin_verified (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  flow->verified = vigil_hasher_verify_finish (result, &error);
  if (error != NULL)
    {
      _vigil_auth_flow_release_in_flight (flow);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->verified = flow->verified && flow->record != NULL && !flow->record->user->disabled;
  if (flow->verified)
    _vigil_auth_flow_issue_tokens (flow, NULL);

  vigil_store_write_async (flow->auth->store, write_mpin_outcome, flow, NULL, NULL,
                           on_mpin_written, g_object_ref (task));
}

/* Everything an MPIN check does before hashing: rate limit, one check per
 * account at a time, and the lockout. */
static gboolean
prepare_mpin_check (Flow        *flow,
                    const char  *mpin,
                    GError     **error)
{
  VigilAuth *self = flow->auth;
  g_autofree char *flight = NULL;

  if (mpin == NULL)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The MPIN is required");
      return FALSE;
    }
  flow->secret = g_strdup (mpin);

  if (_vigil_auth_flow_rate_limited (flow, "mpin", error))
    return FALSE;

  /* Parallel guesses would all be hashed before the first failure is
   * counted, slipping past the attempt limit: one at a time per account. */
  flight = _vigil_auth_account_key ("mpin", flow->identifier);
  if (g_hash_table_contains (self->mpin_in_flight, flight))
    {
      vigil_set_error_retry_after (error, VIGIL_ERROR_RATE_LIMITED, 1,
                                   "An MPIN check for this account is already in progress");
      return FALSE;
    }
  g_hash_table_add (self->mpin_in_flight, g_strdup (flight));
  flow->in_flight_key = g_steal_pointer (&flight);

  if (flow->record != NULL && flow->record->user->mpin_locked_until_us > flow->now_us)
    {
      gint64 wait_us = flow->record->user->mpin_locked_until_us - flow->now_us;
      g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", flow->device_id, NULL);

      _vigil_auth_audit (self, flow->record->user->id, "auth.mpin_refused_locked", flow->record->user->id,
                         flow->client_address, details);
      _vigil_auth_flow_release_in_flight (flow);
      vigil_set_error_retry_after (error, VIGIL_ERROR_LOCKED,
                                   (guint) ((wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC),
                                   "MPIN verification is locked after too many failed attempts");
      return FALSE;
    }

  return TRUE;
}

static void
start_mpin_check (Flow  *flow,
                  GTask *task)
{
  vigil_hasher_verify_async (flow->auth->hasher,
                             flow->record ? flow->record->mpin_hash : NULL, flow->secret,
                             NULL, on_mpin_verified, g_object_ref (task));
}

void
vigil_auth_verify_mpin_async (VigilAuth               *self,
                              const VigilTokenClaims  *caller,
                              const char              *mpin,
                              JsonObject              *context,
                              const char              *client_address,
                              GCancellable            *cancellable,
                              GAsyncReadyCallback      callback,
                              gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Flow *flow;

  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (caller != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_verify_mpin_async);
  flow = _vigil_auth_flow_new_session (self, task, caller, NULL, context, client_address);

  if (!_vigil_auth_flow_find_account (flow, VIGIL_USER_BY_ID, &error) || !prepare_mpin_check (flow, mpin, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (flow->record == NULL)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "User not found");
      return;
    }

  /* A device id in the context names the session's device. */
  if (context != NULL && json_object_has_member (context, "device_id"))
    {
      const char *device = json_object_get_string_member_with_default (context, "device_id", NULL);

      if (device != NULL && vigil_policy_check_device_id (device, NULL))
        {
          g_free (flow->device_id);
          flow->device_id = g_strdup (device);
        }
    }

  start_mpin_check (flow, task);
}

VigilAuthResult *
vigil_auth_verify_mpin_finish (VigilAuth     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vigil_auth_mpin_login_async (VigilAuth           *self,
                             const char          *phone,
                             const char          *mpin,
                             const char          *device_id,
                             JsonObject          *context,
                             const char          *client_address,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Flow *flow;

  g_return_if_fail (VIGIL_IS_AUTH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_mpin_login_async);
  flow = _vigil_auth_flow_new (self, task, client_address);

  if (phone == NULL || (device_id != NULL && !vigil_policy_check_device_id (device_id, &error)))
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The phone number is required");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->identifier = g_strdup (phone);
  flow->device_id = g_strdup (device_id);
  flow->context = context ? json_object_ref (context) : NULL;
  flow->start_session = TRUE;
  flow->issue_login_tokens = TRUE;
  flow->with_refresh = TRUE;

  if (!_vigil_auth_flow_find_account (flow, VIGIL_USER_BY_PHONE, &error) || !prepare_mpin_check (flow, mpin, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  start_mpin_check (flow, task);
}

VigilAuthResult *
vigil_auth_mpin_login_finish (VigilAuth     *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}


static gboolean
write_profile_check (VigilDb   *db,
                     gpointer   user_data,
                     GError   **error)
{
  Flow *flow = user_data;
  g_autoptr(JsonObject) details = _vigil_auth_details ("profile_id", flow->identifier, NULL);

  return vigil_audit_append_in_transaction (db, flow->now_us, flow->record->user->id,
                                            flow->verified ? "auth.profile_verified" : "auth.profile_verify_failed",
                                            flow->record->user->id, flow->client_address, details, error);
}

static void
on_profile_check_written (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, flow->verified);
}

static void
on_profile_verified (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  flow->verified = vigil_hasher_verify_finish (result, &error) && !flow->record->user->disabled;
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  vigil_store_write_async (flow->auth->store, write_profile_check, flow, NULL, NULL,
                           on_profile_check_written, g_object_ref (task));
}

void
vigil_auth_verify_profile_password_async (VigilAuth           *self,
                                          const char          *profile_id,
                                          const char          *password,
                                          const char          *client_address,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Flow *flow;

  g_return_if_fail (VIGIL_IS_AUTH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_verify_profile_password_async);
  flow = _vigil_auth_flow_new (self, task, client_address);

  if (!vigil_policy_check_profile_id (profile_id, &error) || password == NULL)
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The password is required");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->identifier = g_strdup (profile_id);
  flow->secret = g_strdup (password);
  if (_vigil_auth_flow_rate_limited (flow, "profile", &error) || !_vigil_auth_flow_find_account (flow, VIGIL_USER_BY_PROFILE, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The seed's clients expect an unknown profile to be told apart. */
  if (flow->record == NULL)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Profile not found.");
      return;
    }

  vigil_hasher_verify_async (self->hasher, flow->record->password_hash, flow->secret, NULL,
                             on_profile_verified, g_object_ref (task));
}

gboolean
vigil_auth_verify_profile_password_finish (VigilAuth     *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
