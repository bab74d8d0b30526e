/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every credential flow shares: its state, the tokens it issues and
 * records, the account lookup and the rate limit. */
#define G_LOG_DOMAIN "vigil-auth"

#include "config.h"

#include "vigil-audit.h"
#include "vigil-auth-flow.h"
#include "vigil-error.h"
#include "vigil-policy.h"
#include "vigil-session-table.h"
#include "vigil-token-table.h"

/* Before answering: the client may start its next check from the
 * callback, while this flow still exists. */
void
_vigil_auth_flow_release_in_flight (Flow *flow)
{
  if (flow->in_flight_key != NULL)
    g_hash_table_remove (flow->auth->mpin_in_flight, flow->in_flight_key);
  g_clear_pointer (&flow->in_flight_key, g_free);
}

void
_vigil_auth_flow_free (Flow *flow)
{
  _vigil_auth_flow_release_in_flight (flow);
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

Flow *
_vigil_auth_flow_new (VigilAuth  *auth,
                      GTask      *task,
                      const char *client_address)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->auth = g_object_ref (auth);
  flow->client_address = g_strdup (client_address);
  flow->now_us = vigil_clock_now_us (auth->clock);
  flow->mpin_max_attempts = auth->config.mpin_max_attempts;
  flow->mpin_lock_seconds = auth->config.mpin_lock_seconds;
  g_task_set_task_data (task, flow, (GDestroyNotify) _vigil_auth_flow_free);
  return flow;
}

Flow *
_vigil_auth_flow_new_session (VigilAuth              *auth,
                              GTask                  *task,
                              const VigilTokenClaims *caller,
                              const char             *device_id,
                              JsonObject             *context,
                              const char             *client_address)
{
  Flow *flow = _vigil_auth_flow_new (auth, task, client_address);

  flow->identifier = g_strdup (caller->subject);
  flow->device_id = g_strdup (device_id ? device_id : caller->device_id);
  flow->context = context ? json_object_ref (context) : NULL;
  flow->start_session = TRUE;
  return flow;
}

const char *
_vigil_auth_flow_actor (Flow *flow)
{
  return flow->record ? flow->record->user->id : "anonymous";
}

VigilAuthResult *
_vigil_auth_flow_result (Flow *flow)
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
void
_vigil_auth_flow_issue_tokens (Flow       *flow,
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

gboolean
_vigil_auth_flow_record_tokens (Flow     *flow,
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

VigilUserKey
_vigil_auth_key_for_login (VigilLoginKind kind)
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
gboolean
_vigil_auth_flow_find_account (Flow          *flow,
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

char *
_vigil_auth_account_key (const char *prefix,
                         const char *identifier)
{
  g_autofree char *folded = g_utf8_casefold (identifier, -1);

  return g_strconcat (prefix, ":", folded, NULL);
}

gboolean
_vigil_auth_flow_rate_limited (Flow        *flow,
                               const char  *action,
                               GError     **error)
{
  g_autofree char *key = _vigil_auth_account_key (action, flow->identifier);
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
