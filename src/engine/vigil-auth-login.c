/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The credential checks of VigilAuth: password and MPIN logins, token
 * rotation and revocation. Each check is rate-limited first, hashed off
 * the main context, and written (with its audit entry) in one transaction
 * before it is answered. */
#define G_LOG_DOMAIN "vigil-auth"

#include "config.h"

#include "vigil-audit.h"
#include "vigil-auth-private.h"
#include "vigil-error.h"
#include "vigil-policy.h"
#include "vigil-session-table.h"
#include "vigil-token-table.h"

/* One flow in progress: what came in, what was found, what was issued. */
typedef struct
{
  VigilAuth        *auth;
  VigilUserRecord  *record;           /* NULL for an unknown account */
  char             *identifier;       /* phone, email or profile id as given */
  char             *secret;           /* password or MPIN; wiped when done */
  char             *device_id;
  char             *client_address;
  JsonObject       *context;
  char             *in_flight_key;    /* held in mpin_in_flight while set */
  gboolean          with_refresh;
  gboolean          verified;
  gboolean          start_session;
  gboolean          issue_login_tokens;
  gint64            now_us;

  /* Outcome of the write. */
  guint             mpin_attempts;
  gint64            mpin_locked_until_us;
  gboolean          replayed;
  gint64            revoked;

  /* Issued before the write, handed out only after it committed. */
  char             *session_id;
  VigilIssuedToken *access;
  VigilIssuedToken *refresh;
  VigilIssuedToken *session;
  VigilTokenClaims *caller;
} Flow;

/* Before answering: the client may start its next check from the
 * callback, while this flow still exists. */
static void
flow_release_in_flight (Flow *flow)
{
  if (flow->in_flight_key != NULL)
    g_hash_table_remove (flow->auth->mpin_in_flight, flow->in_flight_key);
  g_clear_pointer (&flow->in_flight_key, g_free);
}

static void
flow_free (Flow *flow)
{
  flow_release_in_flight (flow);
  if (flow->secret != NULL)
    {
      memset (flow->secret, 0, strlen (flow->secret));
      g_free (flow->secret);
    }
  g_clear_object (&flow->auth);
  g_clear_pointer (&flow->record, vigil_user_record_free);
  g_free (flow->identifier);
  g_free (flow->device_id);
  g_free (flow->client_address);
  g_clear_pointer (&flow->context, json_object_unref);
  g_free (flow->session_id);
  g_clear_pointer (&flow->access, vigil_issued_token_free);
  g_clear_pointer (&flow->refresh, vigil_issued_token_free);
  g_clear_pointer (&flow->session, vigil_issued_token_free);
  g_clear_pointer (&flow->caller, vigil_token_claims_free);
  g_free (flow);
}

static Flow *
flow_new (VigilAuth  *auth,
          GTask      *task,
          const char *client_address)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->auth = g_object_ref (auth);
  flow->client_address = g_strdup (client_address);
  flow->now_us = vigil_clock_now_us (auth->clock);
  g_task_set_task_data (task, flow, (GDestroyNotify) flow_free);
  return flow;
}

static const char *
actor_of (Flow *flow)
{
  return flow->record ? flow->record->user->id : "anonymous";
}

static VigilAuthResult *
result_from_flow (Flow *flow)
{
  VigilAuthResult *result = g_new0 (VigilAuthResult, 1);

  result->user = vigil_user_copy (flow->record->user);
  if (flow->access != NULL)
    {
      result->access_token = g_strdup (flow->access->token);
      result->expires_in_s = flow->auth->config.access_token_seconds;
    }
  if (flow->refresh != NULL)
    result->refresh_token = g_strdup (flow->refresh->token);
  if (flow->session != NULL)
    {
      result->session_id = g_strdup (flow->session_id);
      result->session_token = g_strdup (flow->session->token);
    }
  return result;
}

/* Signs the tokens a successful flow hands out; they are recorded by the
 * flow's write. */
static void
issue_tokens (Flow       *flow,
              const char *family_id)
{
  VigilAuth *self = flow->auth;
  const VigilUser *user = flow->record->user;
  g_autofree char *new_family = NULL;

  if (flow->issue_login_tokens)
    {
      if (family_id == NULL && flow->with_refresh)
        family_id = new_family = g_uuid_string_random ();

      flow->access = vigil_token_issue (self->signing_key, VIGIL_TOKEN_ACCESS, user->id, user->role,
                                        flow->device_id, NULL, family_id, flow->now_us,
                                        self->config.access_token_seconds);
      if (flow->with_refresh)
        flow->refresh = vigil_token_issue (self->signing_key, VIGIL_TOKEN_REFRESH, user->id, user->role,
                                           flow->device_id, NULL, family_id, flow->now_us,
                                           self->config.refresh_token_seconds);
    }

  if (flow->start_session)
    {
      flow->session_id = g_uuid_string_random ();
      flow->session = vigil_token_issue (self->signing_key, VIGIL_TOKEN_SESSION, user->id, user->role,
                                         flow->device_id, flow->session_id, NULL, flow->now_us,
                                         self->config.session_token_seconds);
    }
}

static gboolean
record_issued_tokens (Flow     *flow,
                      VigilDb  *db,
                      GError  **error)
{
  VigilIssuedToken *tokens[] = { flow->access, flow->refresh, flow->session };

  if (flow->session != NULL)
    {
      g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", flow->device_id, NULL);

      if (!vigil_session_table_insert (db, flow->session_id, flow->record->user->id, flow->device_id,
                                       flow->context, flow->now_us, error) ||
          !vigil_audit_append_in_transaction (db, flow->now_us, flow->record->user->id, "session.started",
                                              flow->session_id, flow->client_address, details, error))
        return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    if (tokens[i] != NULL && !vigil_token_table_insert (db, tokens[i], error))
      return FALSE;

  return TRUE;
}

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
    return vigil_audit_append_in_transaction (db, flow->now_us, actor_of (flow), "auth.login_failed",
                                              flow->identifier, flow->client_address, details, error);

  return vigil_user_table_set_last_login (db, flow->record->user->id, flow->now_us, error) &&
         record_issued_tokens (flow, db, error) &&
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
    g_task_return_pointer (task, result_from_flow (flow), (GDestroyNotify) vigil_auth_result_free);
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
    issue_tokens (flow, NULL);

  vigil_store_write_async (flow->auth->store, write_login, flow, NULL, NULL,
                           on_login_written, g_object_ref (task));
}

static VigilUserKey
key_for_login (VigilLoginKind kind)
{
  switch (kind)
    {
    case VIGIL_LOGIN_PHONE:
      return VIGIL_USER_BY_PHONE;
    case VIGIL_LOGIN_EMAIL:
      return VIGIL_USER_BY_EMAIL;
    case VIGIL_LOGIN_PROFILE:
      return VIGIL_USER_BY_PROFILE;
    default:
      g_assert_not_reached ();
    }
}

/* Looks the account up for a credential check; NULL without error when it
 * does not exist (the check then runs against a dummy hash). */
static gboolean
find_account (Flow          *flow,
              VigilUserKey   key,
              GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  flow->record = vigil_user_table_find (vigil_store_get_reader (flow->auth->store), key,
                                        flow->identifier, &local_error);
  if (flow->record != NULL || g_error_matches (local_error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    return TRUE;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static char *
account_key (const char *prefix,
             const char *identifier)
{
  g_autofree char *folded = g_utf8_casefold (identifier, -1);

  return g_strconcat (prefix, ":", folded, NULL);
}

static gboolean
rate_limited (Flow        *flow,
              const char  *action,
              GError     **error)
{
  g_autofree char *key = account_key (action, flow->identifier);
  g_autoptr(GError) local_error = NULL;

  if (_vigil_auth_check_rate (flow->auth, flow->client_address, key, &local_error))
    return FALSE;

  {
    g_autoptr(JsonObject) details = _vigil_auth_details ("check", action, NULL);

    _vigil_auth_audit (flow->auth, "anonymous", "auth.rate_limited", flow->identifier,
                       flow->client_address, details);
  }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return TRUE;
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
  flow = flow_new (self, task, client_address);

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

  if (rate_limited (flow, "login", &error) || !find_account (flow, key_for_login (kind), &error))
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
  VigilAuth *self = flow->auth;
  g_autoptr(JsonObject) details = _vigil_auth_details ("device_id", flow->device_id, NULL);
  const char *user_id = flow->record ? flow->record->user->id : NULL;

  if (flow->verified)
    return vigil_user_table_clear_mpin_failures (db, user_id, error) &&
           (!flow->issue_login_tokens || vigil_user_table_set_last_login (db, user_id, flow->now_us, error)) &&
           record_issued_tokens (flow, db, error) &&
           vigil_audit_append_in_transaction (db, flow->now_us, user_id, "auth.mpin_verified",
                                              user_id, flow->client_address, details, error);

  if (user_id == NULL)
    return vigil_audit_append_in_transaction (db, flow->now_us, "anonymous", "auth.mpin_failed",
                                              flow->identifier, flow->client_address, details, error);

  if (!vigil_user_table_count_mpin_failure (db, user_id, self->config.mpin_max_attempts,
                                            flow->now_us + (gint64) self->config.mpin_lock_seconds * G_USEC_PER_SEC,
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

  flow_release_in_flight (flow);
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
    _vigil_auth_refresh_session_count (flow->auth);
  g_task_return_pointer (task, result_from_flow (flow), (GDestroyNotify) vigil_auth_result_free);
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
      flow_release_in_flight (flow);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->verified = flow->verified && flow->record != NULL && !flow->record->user->disabled;
  if (flow->verified)
    issue_tokens (flow, NULL);

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

  if (rate_limited (flow, "mpin", error))
    return FALSE;

  /* Parallel guesses would all be hashed before the first failure is
   * counted, slipping past the attempt limit: one at a time per account. */
  flight = account_key ("mpin", flow->identifier);
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
      flow_release_in_flight (flow);
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
  flow = flow_new (self, task, client_address);
  flow->identifier = g_strdup (caller->subject);
  flow->device_id = g_strdup (caller->device_id);
  flow->context = context ? json_object_ref (context) : NULL;
  flow->start_session = TRUE;

  if (!find_account (flow, VIGIL_USER_BY_ID, &error) || !prepare_mpin_check (flow, mpin, &error))
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
  flow = flow_new (self, task, client_address);

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

  if (!find_account (flow, VIGIL_USER_BY_PHONE, &error) || !prepare_mpin_check (flow, mpin, &error))
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
  issue_tokens (flow, family_id);

  return record_issued_tokens (flow, db, error) &&
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
    g_task_return_pointer (task, result_from_flow (flow), (GDestroyNotify) vigil_auth_result_free);
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
  flow = flow_new (self, task, client_address);

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

  if (!find_account (flow, VIGIL_USER_BY_ID, &error) || flow->record == NULL || flow->record->user->disabled)
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
  if (caller->session_id != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      if (!vigil_session_table_end (db, caller->session_id, "logout", flow->now_us, &local_error) &&
          local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  return vigil_audit_append_in_transaction (db, flow->now_us, caller->subject, "auth.logout",
                                            caller->subject, flow->client_address, details, error);
}

static void
on_logout_written (GObject      *source,
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

  _vigil_auth_refresh_session_count (flow->auth);
  g_task_return_boolean (task, TRUE);
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
  flow = flow_new (self, task, client_address);
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

  flow = flow_new (self, task, client_address);
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
  flow = flow_new (self, task, client_address);

  if (!vigil_policy_check_profile_id (profile_id, &error) || password == NULL)
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The password is required");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  flow->identifier = g_strdup (profile_id);
  flow->secret = g_strdup (password);
  if (rate_limited (flow, "profile", &error) || !find_account (flow, VIGIL_USER_BY_PROFILE, &error))
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
