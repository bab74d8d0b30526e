/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilAuth: the account model behind every seed's login API. This file
 * holds the object, token verification, registration and the admin
 * reads; vigil-auth-login.c holds the credential checks. */
#define G_LOG_DOMAIN "vigil-auth"

#include "config.h"

#include <math.h>

#include "vigil-audit.h"
#include "vigil-auth-private.h"
#include "vigil-error.h"
#include "vigil-policy.h"
#include "vigil-session-table.h"
#include "vigil-token-table.h"

G_DEFINE_FINAL_TYPE (VigilAuth, vigil_auth, G_TYPE_OBJECT)

void
vigil_auth_result_free (VigilAuthResult *result)
{
  if (result == NULL)
    return;

  g_clear_pointer (&result->user, vigil_user_free);
  g_free (result->access_token);
  g_free (result->refresh_token);
  g_free (result->session_id);
  g_free (result->session_token);
  g_free (result);
}

void
vigil_session_info_free (VigilSessionInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->id);
  g_free (info->user_id);
  g_free (info->device_id);
  g_free (info->state);
  g_free (info->end_reason);
  g_free (info->kind);
  g_free (info->claimed_user);
  g_free (info->final_decision);
  g_free (info->log_path);
  g_free (info);
}

static void
vigil_auth_finalize (GObject *object)
{
  VigilAuth *self = VIGIL_AUTH (object);

  /* The hasher first: its pool finishes queued work, whose callbacks need
   * nothing else from here. */
  g_clear_pointer (&self->hasher, vigil_hasher_free);
  g_clear_object (&self->store);
  g_clear_object (&self->metrics);
  g_clear_object (&self->sessions);
  g_clear_pointer (&self->clock, vigil_clock_unref);
  g_clear_pointer (&self->signing_key, g_bytes_unref);
  g_clear_pointer (&self->by_address, vigil_rate_limiter_free);
  g_clear_pointer (&self->by_account, vigil_rate_limiter_free);
  g_clear_pointer (&self->mpin_in_flight, g_hash_table_unref);

  G_OBJECT_CLASS (vigil_auth_parent_class)->finalize (object);
}

static void
vigil_auth_class_init (VigilAuthClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_auth_finalize;
}

static void
vigil_auth_init (VigilAuth *self)
{
  self->mpin_in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

VigilAuth *
_vigil_auth_new (VigilStore             *store,
                 VigilClock             *clock,
                 VigilMetrics           *metrics,
                 VigilSessions          *sessions,
                 GBytes                 *signing_key,
                 VigilSecretBackend      secret_backend,
                 const VigilAuthConfig  *config)
{
  VigilAuth *self = g_object_new (VIGIL_TYPE_AUTH, NULL);
  double per_second = config->rate_limit_per_minute / 60.0;

  self->store = g_object_ref (store);
  self->clock = vigil_clock_ref (clock);
  self->metrics = g_object_ref (metrics);
  self->sessions = g_object_ref (sessions);
  self->signing_key = g_bytes_ref (signing_key);
  self->secret_backend = secret_backend;
  self->config = *config;
  self->hasher = vigil_hasher_new (config->hash_opslimit, config->hash_memlimit, 0);
  self->by_address = vigil_rate_limiter_new (config->rate_limit_burst, per_second, 100000);
  self->by_account = vigil_rate_limiter_new (config->rate_limit_burst, per_second, 100000);
  return self;
}

const char *
vigil_auth_get_secret_backend (VigilAuth *self)
{
  g_return_val_if_fail (VIGIL_IS_AUTH (self), NULL);

  return vigil_secret_backend_to_string (self->secret_backend);
}

guint
vigil_auth_get_mpin_length (VigilAuth *self)
{
  g_return_val_if_fail (VIGIL_IS_AUTH (self), 0);

  return self->config.mpin_length;
}

/* Shared helpers */

gboolean
_vigil_auth_check_rate (VigilAuth   *self,
                        const char  *client_address,
                        const char  *account_key,
                        GError     **error)
{
  gint64 now_us = vigil_clock_now_us (self->clock);
  guint address_wait = 0, account_wait = 0;
  gboolean address_ok, account_ok = TRUE;

  /* Both buckets pay, so hammering one account from many addresses and
   * many accounts from one address are both slowed. */
  address_ok = vigil_rate_limiter_take (self->by_address, client_address ? client_address : "unknown",
                                        now_us, &address_wait);
  if (account_key != NULL)
    account_ok = vigil_rate_limiter_take (self->by_account, account_key, now_us, &account_wait);

  if (address_ok && account_ok)
    return TRUE;

  vigil_set_error_retry_after (error, VIGIL_ERROR_RATE_LIMITED, MAX (address_wait, account_wait),
                               "Too many attempts; try again later");
  return FALSE;
}

JsonObject *
_vigil_auth_details (const char *first_key,
                     ...)
{
  JsonObject *details = json_object_new ();
  va_list args;

  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        json_object_set_string_member (details, key, value);
    }
  va_end (args);
  return details;
}

static void
on_audit_appended (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VigilStore *store = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_audit_append_finish (store, result, &error))
    g_warning ("An audit entry could not be written: %s", error->message);
  g_object_unref (store);
}

/* For outcomes that write nothing else; the rest append in their own
 * transaction with vigil_audit_append_in_transaction (). */
void
_vigil_auth_audit (VigilAuth   *self,
                   const char  *actor,
                   const char  *action,
                   const char  *target,
                   const char  *client_address,
                   JsonObject  *details)
{
  vigil_audit_append_async (self->store, vigil_clock_now_us (self->clock),
                            actor, action, target, client_address, details,
                            NULL, on_audit_appended, g_object_ref (self->store));
}


/* Token verification and reads */

VigilTokenClaims *
vigil_auth_authenticate (VigilAuth   *self,
                         const char  *token,
                         int          kind,
                         GError     **error)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilUserRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  VigilDb *reader;

  g_return_val_if_fail (VIGIL_IS_AUTH (self), NULL);

  if (token == NULL || *token == '\0')
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Missing token");
      return NULL;
    }

  claims = vigil_token_parse (self->signing_key, token, vigil_clock_now_s (self->clock), error);
  if (claims == NULL)
    return NULL;

  if (kind >= 0 && claims->kind != (VigilTokenKind) kind)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Wrong kind of token");
      return NULL;
    }

  reader = vigil_store_get_reader (self->store);
  if (!vigil_token_table_check_active (reader, claims->jti, error))
    return NULL;

  /* The account's current role and state count, not those at issue time. */
  record = vigil_user_table_find (reader, VIGIL_USER_BY_ID, claims->subject, &local_error);
  if (record == NULL || record->user->disabled)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED,
                           record == NULL ? "Unknown account" : "Account disabled");
      return NULL;
    }
  claims->role = record->user->role;

  return g_steal_pointer (&claims);
}

VigilUser *
vigil_auth_lookup_user (VigilAuth   *self,
                        const char  *user_id,
                        GError     **error)
{
  g_autoptr(VigilUserRecord) record = NULL;

  g_return_val_if_fail (VIGIL_IS_AUTH (self), NULL);

  record = vigil_user_table_find (vigil_store_get_reader (self->store), VIGIL_USER_BY_ID, user_id, error);
  return record ? g_steal_pointer (&record->user) : NULL;
}

VigilUser *
vigil_auth_lookup_profile (VigilAuth   *self,
                           const char  *profile_id,
                           GError     **error)
{
  g_autoptr(VigilUserRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (VIGIL_IS_AUTH (self), NULL);

  if (!vigil_policy_check_profile_id (profile_id, error))
    return NULL;
  record = vigil_user_table_find (vigil_store_get_reader (self->store), VIGIL_USER_BY_PROFILE, profile_id,
                                  &local_error);
  if (record == NULL)
    {
      if (g_error_matches (local_error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "Profile not found.");
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&record->user);
}

GPtrArray *
vigil_auth_list_active_tokens (VigilAuth               *self,
                               const VigilTokenClaims  *caller,
                               GError                 **error)
{
  g_return_val_if_fail (VIGIL_IS_AUTH (self), NULL);
  g_return_val_if_fail (caller != NULL, NULL);

  return vigil_token_table_list_active (vigil_store_get_reader (self->store), caller->subject,
                                        vigil_clock_now_us (self->clock), error);
}

VigilSessionInfo *
vigil_auth_session_status (VigilAuth               *self,
                           const VigilTokenClaims  *caller,
                           GError                 **error)
{
  VigilDb *reader;

  g_return_val_if_fail (VIGIL_IS_AUTH (self), NULL);
  g_return_val_if_fail (caller != NULL, NULL);

  reader = vigil_store_get_reader (self->store);
  if (caller->session_id != NULL)
    return vigil_session_table_find (reader, caller->session_id, error);
  return vigil_session_table_find_latest (reader, caller->subject, error);
}

gboolean
vigil_auth_require_admin (VigilAuth               *self,
                          const VigilTokenClaims  *caller,
                          GError                 **error)
{
  g_return_val_if_fail (VIGIL_IS_AUTH (self), FALSE);

  if (caller != NULL && caller->role == VIGIL_ROLE_ADMIN)
    return TRUE;

  g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN, "Admin privileges required!");
  return FALSE;
}

GPtrArray *
vigil_auth_list_users (VigilAuth               *self,
                       const VigilTokenClaims  *caller,
                       GError                 **error)
{
  if (!vigil_auth_require_admin (self, caller, error))
    return NULL;

  return vigil_user_table_list (vigil_store_get_reader (self->store), error);
}

GPtrArray *
vigil_auth_list_audit (VigilAuth               *self,
                       const VigilTokenClaims  *caller,
                       guint                    limit,
                       GError                 **error)
{
  if (!vigil_auth_require_admin (self, caller, error))
    return NULL;

  return vigil_audit_list_recent (self->store, limit, error);
}

/* Registration */

typedef struct
{
  VigilAuth       *auth;
  VigilUserRecord *record;
  char            *password;        /* wiped once hashed */
  char            *mpin;
  char            *client_address;
  char            *actor;
  guint            hashes_pending;
  GError          *hash_error;
} RegisterData;

static void
wipe_string (char **secret)
{
  if (*secret == NULL)
    return;

  memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
register_data_free (RegisterData *data)
{
  g_clear_object (&data->auth);
  g_clear_pointer (&data->record, vigil_user_record_free);
  wipe_string (&data->password);
  wipe_string (&data->mpin);
  g_free (data->client_address);
  g_free (data->actor);
  g_clear_error (&data->hash_error);
  g_free (data);
}

static gboolean
validate_registration (VigilAuth                *self,
                       const VigilRegistration  *registration,
                       GError                  **error)
{
  if (registration->phone == NULL && registration->email == NULL && registration->profile_id == NULL)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "A phone number or an email address is required");
      return FALSE;
    }

  return (registration->phone == NULL || vigil_policy_check_phone (registration->phone, error)) &&
         (registration->email == NULL || vigil_policy_check_email (registration->email, error)) &&
         (registration->profile_id == NULL || vigil_policy_check_profile_id (registration->profile_id, error)) &&
         vigil_policy_check_password (registration->password, error) &&
         (registration->mpin == NULL || vigil_policy_check_mpin (registration->mpin, self->config.mpin_length, error));
}

/* Answers a duplicate before spending two hashes on it; the UNIQUE
 * constraints still decide races. */
static gboolean
check_identifiers_free (VigilAuth        *self,
                        const VigilUser  *user,
                        GError          **error)
{
  const struct { VigilUserKey key; const char *value; const char *what; } checks[] = {
    { VIGIL_USER_BY_PHONE, user->phone, "phone number" },
    { VIGIL_USER_BY_EMAIL, user->email, "email address" },
    { VIGIL_USER_BY_PROFILE, user->profile_id, "profile" },
  };
  VigilDb *reader = vigil_store_get_reader (self->store);

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      g_autoptr(VigilUserRecord) existing = NULL;
      g_autoptr(GError) local_error = NULL;

      if (checks[i].value == NULL)
        continue;

      existing = vigil_user_table_find (reader, checks[i].key, checks[i].value, &local_error);
      if (existing != NULL)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT, "This %s is already registered", checks[i].what);
          return FALSE;
        }
      if (!g_error_matches (local_error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
insert_registration (VigilDb   *db,
                     gpointer   user_data,
                     GError   **error)
{
  RegisterData *data = user_data;
  const VigilUser *user = data->record->user;
  g_autoptr(JsonObject) details = _vigil_auth_details ("role", vigil_role_to_string (user->role),
                                                       "phone", user->phone,
                                                       "email", user->email,
                                                       "profile_id", user->profile_id,
                                                       NULL);

  return vigil_user_table_insert (db, data->record, error) &&
         vigil_audit_append_in_transaction (db, user->created_at_us, data->actor ? data->actor : user->id,
                                            "auth.register", user->id, data->client_address, details, error);
}

static void
on_registration_written (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RegisterData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (data->auth->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_info ("Registered account %s", data->record->user->id);
  g_task_return_pointer (task, vigil_user_copy (data->record->user), (GDestroyNotify) vigil_user_free);
}

static void
store_hash (GTask        *task,
            GAsyncResult *result,
            char        **slot)
{
  RegisterData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  *slot = vigil_hasher_hash_finish (result, &error);
  if (*slot == NULL && data->hash_error == NULL)
    data->hash_error = g_steal_pointer (&error);

  if (--data->hashes_pending > 0)
    return;

  if (data->hash_error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&data->hash_error));
      return;
    }

  vigil_store_write_async (data->auth->store, insert_registration, data, NULL,
                           g_task_get_cancellable (task), on_registration_written, g_object_ref (task));
}

static void
on_password_hashed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RegisterData *data = g_task_get_task_data (task);

  store_hash (task, result, &data->record->password_hash);
}

static void
on_mpin_hashed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RegisterData *data = g_task_get_task_data (task);

  store_hash (task, result, &data->record->mpin_hash);
}

static void
start_registration (VigilAuth               *self,
                    const VigilRegistration *registration,
                    const char              *actor,
                    const char              *client_address,
                    GTask                   *task)
{
  g_autoptr(GError) error = NULL;
  RegisterData *data;
  VigilUser *user;

  if (!validate_registration (self, registration, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (RegisterData, 1);
  data->auth = g_object_ref (self);
  data->client_address = g_strdup (client_address);
  data->actor = g_strdup (actor);
  data->password = g_strdup (registration->password);
  data->mpin = g_strdup (registration->mpin);
  data->record = g_new0 (VigilUserRecord, 1);
  data->record->user = user = g_new0 (VigilUser, 1);
  user->id = g_uuid_string_random ();
  user->phone = g_strdup (registration->phone);
  user->email = registration->email ? g_utf8_strdown (registration->email, -1) : NULL;
  user->profile_id = g_strdup (registration->profile_id);
  user->role = registration->role;
  user->created_at_us = vigil_clock_now_us (self->clock);
  user->has_password = TRUE;
  user->has_mpin = registration->mpin != NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) register_data_free);

  if (!check_identifiers_free (self, user, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->hashes_pending = data->mpin ? 2 : 1;
  vigil_hasher_hash_async (self->hasher, data->password, g_task_get_cancellable (task),
                           on_password_hashed, g_object_ref (task));
  if (data->mpin != NULL)
    vigil_hasher_hash_async (self->hasher, data->mpin, g_task_get_cancellable (task),
                             on_mpin_hashed, g_object_ref (task));
}

void
vigil_auth_register_async (VigilAuth                *self,
                           const VigilRegistration  *registration,
                           const char               *client_address,
                           GCancellable             *cancellable,
                           GAsyncReadyCallback       callback,
                           gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (registration != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_register_async);
  start_registration (self, registration, NULL, client_address, task);
}

/* vigil-auth-admin.c: the same registration, audited as @actor's. */
void
_vigil_auth_register_as_async (VigilAuth                *self,
                               const VigilRegistration  *registration,
                               const char               *actor,
                               gpointer                  source_tag,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  start_registration (self, registration, actor, NULL, task);
}

VigilUser *
vigil_auth_register_finish (VigilAuth     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Admin bootstrap */

typedef struct
{
  VigilAuth       *auth;
  VigilUserRecord *record;
  gint64           now_us;
} PromoteData;

static void
promote_data_free (PromoteData *data)
{
  g_clear_object (&data->auth);
  g_clear_pointer (&data->record, vigil_user_record_free);
  g_free (data);
}

static gboolean
write_promotion (VigilDb   *db,
                 gpointer   user_data,
                 GError   **error)
{
  PromoteData *data = user_data;
  VigilUser *user = data->record->user;
  g_autoptr(JsonObject) details = _vigil_auth_details ("from", vigil_role_to_string (user->role),
                                                       "to", "admin", NULL);

  return vigil_user_table_set_role (db, user->id, VIGIL_ROLE_ADMIN, error) &&
         vigil_audit_append_in_transaction (db, data->now_us, "system", "auth.role_change",
                                            user->id, "local", details, error);
}

static void
on_promotion_written (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PromoteData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (data->auth->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->record->user->role = VIGIL_ROLE_ADMIN;
  g_task_return_pointer (task, vigil_user_copy (data->record->user), (GDestroyNotify) vigil_user_free);
}

static void
on_admin_password_checked (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PromoteData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_hasher_verify_finish (result, &error))
    {
      if (error == NULL)
        g_set_error_literal (&error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED,
                             "An account with this email exists and the password does not match it");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->record->user->role == VIGIL_ROLE_ADMIN)
    {
      g_task_return_pointer (task, vigil_user_copy (data->record->user), (GDestroyNotify) vigil_user_free);
      return;
    }

  vigil_store_write_async (data->auth->store, write_promotion, data, NULL, NULL,
                           on_promotion_written, g_object_ref (task));
}

void
vigil_auth_create_admin_async (VigilAuth           *self,
                               const char          *email,
                               const char          *password,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUserRecord) existing = NULL;
  g_autofree char *lower = NULL;
  VigilRegistration registration = { 0 };
  PromoteData *data;

  g_return_if_fail (VIGIL_IS_AUTH (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_auth_create_admin_async);

  if (!vigil_policy_check_email (email, &error) || !vigil_policy_check_password (password, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  lower = g_utf8_strdown (email, -1);
  existing = vigil_user_table_find (vigil_store_get_reader (self->store), VIGIL_USER_BY_EMAIL, lower, &error);
  if (existing == NULL && !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (existing == NULL)
    {
      registration.email = lower;
      registration.password = password;
      registration.role = VIGIL_ROLE_ADMIN;
      start_registration (self, &registration, "system", "local", task);
      return;
    }

  /* Promoting an existing account takes its own password: the command
   * must not become a way to seize someone's account. */
  data = g_new0 (PromoteData, 1);
  data->auth = g_object_ref (self);
  data->now_us = vigil_clock_now_us (self->clock);
  data->record = g_steal_pointer (&existing);
  g_task_set_task_data (task, data, (GDestroyNotify) promote_data_free);
  vigil_hasher_verify_async (self->hasher, data->record->password_hash, password, NULL,
                             on_admin_password_checked, g_object_ref (task));
}

VigilUser *
vigil_auth_create_admin_finish (VigilAuth     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
