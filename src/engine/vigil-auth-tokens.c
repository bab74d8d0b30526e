/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Token lifecycles of VigilAuth: refresh rotation with reuse detection,
 * logout and revocation by device. */
#define G_LOG_DOMAIN "vigil-auth"

#include "config.h"

#include "vigil-audit.h"
#include "vigil-auth-flow.h"
#include "vigil-error.h"
#include "vigil-policy.h"
#include "vigil-session-table.h"
#include "vigil-token-table.h"

/* Refresh-token rotation */

static gboolean
write_refresh (VigilDb   *db,
               gpointer   user_data,
               GError   **error)
{
  Flow *flow = user_data;
  g_autofree char *family_id = NULL;
  g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", flow->device_id, NULL);
  const char *user_id = flow->record->user->id;
  g_autoptr(GError) local_error = NULL;

  if (!vigil_token_table_mark_used (db, flow->caller->jti, flow->now_us, &family_id, &local_error))
    {
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      /* Presented twice: someone else holds a copy. The whole login goes. */
      flow->replayed = TRUE;
      if (family_id != NULL)
        json_object_set_string_member (details, "family_id", family_id);
      return (family_id == NULL ||
              vigil_token_table_revoke (db, user_id, NULL, NULL, family_id, NULL, flow->now_us,
                                        "refresh token reuse", error) >= 0) &&
             vigil_audit_append_in_transaction (db, flow->now_us, user_id, "auth.refresh_reuse",
                                                user_id, flow->client_address, details, error);
    }

  /* The new pair joins the old family: it was signed before this write
   * knew the family, so re-sign with it. */
  g_clear_pointer (&flow->access, vigil_issued_token_free);
  g_clear_pointer (&flow->refresh, vigil_issued_token_free);
  _vigil_auth_flow_issue_tokens (flow, family_id);

  return _vigil_auth_flow_record_tokens (flow, db, error) &&
         vigil_audit_append_in_transaction (db, flow->now_us, user_id, "auth.refresh",
                                            user_id, flow->client_address, details, error);
}

static void
on_refresh_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (flow->replayed)
    g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED,
                             "Refresh token already used; every token of this login is revoked");
  else
    g_task_return_pointer (task, _vigil_auth_flow_result (flow), (GDestroyNotify) vigil_auth_result_free);
}

void
vigil_auth_refresh_async (VigilAuth           *self,
                          const char          *refresh_token,
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
  g_task_set_source_tag (task, vigil_auth_refresh_async);
  flow = _vigil_auth_flow_new (self, task, client_address);

  /* Signature and expiry only: a revoked or used token must still reach
   * the write, where a replay is detected and punished. */
  flow->caller = refresh_token ? vigil_token_parse (self->signing_key, refresh_token,
                                                    vigil_clock_now_s (self->clock), &error)
                               : NULL;
  if (flow->caller == NULL || flow->caller->kind != VIGIL_TOKEN_REFRESH)
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Invalid refresh token");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->identifier = g_strdup (flow->caller->subject);
  flow->device_id = g_strdup (flow->caller->device_id);
  flow->issue_login_tokens = TRUE;
  flow->with_refresh = TRUE;

  if (!_vigil_auth_flow_find_account (flow, VIGIL_USER_BY_ID, &error) || flow->record == NULL || flow->record->user->disabled)
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Invalid refresh token");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  vigil_store_write_async (self->store, write_refresh, flow, NULL, NULL, on_refresh_written, g_object_ref (task));
}

VigilAuthResult *
vigil_auth_refresh_finish (VigilAuth     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Sessions started without an MPIN check */

static gboolean
write_session_start (VigilDb   *db,
                     gpointer   user_data,
                     GError   **error)
{
  return _vigil_auth_flow_record_tokens (user_data, db, error);
}

static void
on_session_start_written (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  _vigil_sessions_adopt (flow->auth->sessions, flow->session_id, flow->record->user->id,
                         flow->device_id, flow->context, flow->now_us);
  g_task_return_pointer (task, _vigil_auth_flow_result (flow), (GDestroyNotify) vigil_auth_result_free);
}

void
vigil_auth_start_session_async (VigilAuth               *self,
                                const VigilTokenClaims  *caller,
                                const char              *device_id,
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
  g_task_set_source_tag (task, vigil_auth_start_session_async);
  flow = _vigil_auth_flow_new_session (self, task, caller, device_id, context, client_address);

  if ((device_id != NULL && !vigil_policy_check_device_id (device_id, &error)) ||
      !_vigil_auth_flow_find_account (flow, VIGIL_USER_BY_ID, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (flow->record == NULL || flow->record->user->disabled)
    {
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Unknown account");
      return;
    }

  _vigil_auth_flow_issue_tokens (flow, NULL);
  vigil_store_write_async (self->store, write_session_start, flow, NULL, NULL,
                           on_session_start_written, g_object_ref (task));
}

VigilAuthResult *
vigil_auth_start_session_finish (VigilAuth     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Logout and revocation */

static gboolean
write_logout (VigilDb   *db,
              gpointer   user_data,
              GError   **error)
{
  Flow *flow = user_data;
  const VigilTokenClaims *caller = flow->caller;
  g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", caller->device_id,
                                                       "session_id", caller->session_id, NULL);
  gint64 revoked;

  /* The device's tokens when the token names one, else the token itself. */
  revoked = vigil_token_table_revoke (db, caller->subject, caller->device_id, NULL, NULL,
                                      caller->device_id ? NULL : caller->jti,
                                      flow->now_us, "logout", error);
  if (revoked < 0)
    return FALSE;
  if (caller->session_id != NULL &&
      vigil_token_table_revoke (db, caller->subject, NULL, caller->session_id, NULL, NULL,
                                flow->now_us, "logout", error) < 0)
    return FALSE;

  return vigil_audit_append_in_transaction (db, flow->now_us, caller->subject, "auth.logout",
                                            caller->subject, flow->client_address, details, error);
}

static void
on_logout_session_ended (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = vigil_sessions_end_finish (VIGIL_SESSIONS (source), result, &error);

  /* The tokens are revoked already; a session that ended meanwhile is fine. */
  if (path == NULL && error != NULL && !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    g_warning ("Ending a session at logout failed: %s", error->message);

  if (--flow->revoked == 0)
    g_task_return_boolean (task, TRUE);
}

/* The behavioral sessions the logout ends: the token's own, or the open
 * ones of its account on its device. */
static GPtrArray *
sessions_to_end (Flow *flow)
{
  VigilSessions *sessions = flow->auth->sessions;
  const VigilTokenClaims *caller = flow->caller;
  g_autoptr(GPtrArray) open = vigil_sessions_list_open (sessions);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  if (caller->session_id != NULL)
    {
      g_ptr_array_add (ids, g_strdup (caller->session_id));
      return ids;
    }

  for (guint i = 0; i < open->len; i++)
    {
      VigilSession *session = g_ptr_array_index (open, i);

      if (g_strcmp0 (vigil_session_get_user_id (session), caller->subject) == 0 &&
          (caller->device_id == NULL || g_strcmp0 (vigil_session_get_device_id (session), caller->device_id) == 0))
        g_ptr_array_add (ids, g_strdup (vigil_session_get_id (session)));
    }
  return ids;
}

static void
on_logout_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ids = sessions_to_end (flow);
  if (ids->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Answer once every session is ended and its log written. */
  flow->revoked = ids->len;
  for (guint i = 0; i < ids->len; i++)
    vigil_sessions_end_async (flow->auth->sessions, g_ptr_array_index (ids, i), VIGIL_END_REASON_LOGOUT, NULL,
                              NULL, on_logout_session_ended, g_object_ref (task));
}

void
vigil_auth_logout_async (VigilAuth               *self,
                         const VigilTokenClaims  *caller,
                         const char              *client_address,
                         GCancellable            *cancellable,
                         GAsyncReadyCallback      callback,
                         gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  Flow *flow;

  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (caller != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_logout_async);
  flow = _vigil_auth_flow_new (self, task, client_address);
  flow->caller = vigil_token_claims_copy (caller);

  vigil_store_write_async (self->store, write_logout, flow, NULL, NULL, on_logout_written, g_object_ref (task));
}

gboolean
vigil_auth_logout_finish (VigilAuth     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
write_revoke_device (VigilDb   *db,
                     gpointer   user_data,
                     GError   **error)
{
  Flow *flow = user_data;
  g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", flow->device_id, NULL);
  g_autofree char *count = NULL;

  flow->revoked = vigil_token_table_revoke (db, flow->caller->subject, flow->device_id, NULL, NULL, NULL,
                                            flow->now_us, "device revoked", error);
  if (flow->revoked < 0)
    return FALSE;

  count = g_strdup_printf ("%" G_GINT64_FORMAT, flow->revoked);
  json_object_set_string_member (details, "revoked", count);
  return vigil_audit_append_in_transaction (db, flow->now_us, flow->caller->subject, "auth.revoke_device",
                                            flow->caller->subject, flow->client_address, details, error);
}

static void
on_revoke_device_written (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Flow *flow = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (flow->auth->store, result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, flow->revoked);
}

void
vigil_auth_revoke_device_async (VigilAuth               *self,
                                const VigilTokenClaims  *caller,
                                const char              *device_id,
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
  g_task_set_source_tag (task, vigil_auth_revoke_device_async);

  if (!vigil_policy_check_device_id (device_id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow = _vigil_auth_flow_new (self, task, client_address);
  flow->caller = vigil_token_claims_copy (caller);
  flow->device_id = g_strdup (device_id);
  vigil_store_write_async (self->store, write_revoke_device, flow, NULL, NULL,
                           on_revoke_device_written, g_object_ref (task));
}

guint
vigil_auth_revoke_device_finish (VigilAuth     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  gssize revoked;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  revoked = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return 0;
    }
  return (guint) revoked;
}

/* maxidom profiles */
