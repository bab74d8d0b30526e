/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-audit.h"
#include "vigil-secrets.h"
#include "vigil-token-claims.h"
#include "vigil-user.h"

G_BEGIN_DECLS

/* Every login flow of the seed systems on one account model: the API's
 * adapters call these and only translate shapes. Credential checks are
 * rate-limited per client address and per account, hashing runs off the
 * main context, and every outcome is appended to the audit log. */

#define VIGIL_TYPE_AUTH (vigil_auth_get_type ())
G_DECLARE_FINAL_TYPE (VigilAuth, vigil_auth, VIGIL, AUTH, GObject)

typedef enum
{
  VIGIL_LOGIN_PHONE,
  VIGIL_LOGIN_EMAIL,
  VIGIL_LOGIN_PROFILE,
} VigilLoginKind;

typedef struct
{
  const char *phone;        /* at least one of phone, email, profile_id */
  const char *email;
  const char *profile_id;
  const char *password;     /* required */
  const char *mpin;         /* nullable */
  VigilRole   role;
} VigilRegistration;

/* The answer to a login-like call; members are NULL / 0 when not issued. */
typedef struct
{
  VigilUser *user;
  char      *access_token;
  char      *refresh_token;
  gint64     expires_in_s;   /* of the access token */
  char      *session_id;
  char      *session_token;
} VigilAuthResult;

/* A behavioral session as GET /auth/session-status reports it. */
typedef struct
{
  char   *id;
  char   *user_id;          /* NULL for stream sessions */
  char   *device_id;        /* nullable */
  char   *state;            /* active | monitor | blocked | ended */
  gint64  started_at_us;
  gint64  ended_at_us;      /* 0 while open */
  char   *end_reason;       /* nullable */
  char   *kind;             /* authenticated | stream */
  char   *claimed_user;     /* stream sessions: the user_id their messages gave */
  gint64  event_count;
  gint64  last_event_at_us; /* 0 before the first event */
  char   *final_decision;   /* nullable */
  char   *log_path;         /* nullable until the JSON log is written */
  double  risk_score;
} VigilSessionInfo;

void              vigil_auth_result_free       (VigilAuthResult  *result);
void              vigil_session_info_free      (VigilSessionInfo *info);

/* Which store keeps the token-signing key: "keyring" or "file". */
const char       *vigil_auth_get_secret_backend (VigilAuth       *self);
guint             vigil_auth_get_mpin_length    (VigilAuth       *self);
/* Changes the MPIN policy at once: @length applies to MPINs set from now
 * on (MPINs already set keep working whatever their length), the lock
 * after @max_attempts wrong MPINs in a row lasts @lock_seconds from the
 * next check on. Audited as "settings.mpin_policy" when it changes.
 * VIGIL_ERROR_INVALID_INPUT (the engine options' messages) for a length
 * outside 4 to 8 or a zero; the policy stays then. Main context only. */
gboolean          vigil_auth_set_mpin_policy    (VigilAuth       *self,
                                                 guint            length,
                                                 guint            max_attempts,
                                                 guint            lock_seconds,
                                                 GError         **error);

/* Registration (canara /auth/register, walmart /api/signup, maxidom
 * /enroll). VIGIL_ERROR_INVALID_INPUT for rule violations, _CONFLICT when
 * the phone, email or profile id exists. */
void              vigil_auth_register_async    (VigilAuth                *self,
                                                const VigilRegistration  *registration,
                                                const char               *client_address,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
VigilUser        *vigil_auth_register_finish   (VigilAuth                *self,
                                                GAsyncResult             *result,
                                                GError                  **error);

/* Password login. With @with_refresh a refresh token starts a new rotation
 * family. Unknown account and wrong password fail alike
 * (VIGIL_ERROR_UNAUTHORIZED "Invalid credentials"). */
void              vigil_auth_login_async       (VigilAuth                *self,
                                                VigilLoginKind            kind,
                                                const char               *identifier,
                                                const char               *password,
                                                const char               *device_id,
                                                gboolean                  with_refresh,
                                                const char               *client_address,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
VigilAuthResult  *vigil_auth_login_finish      (VigilAuth                *self,
                                                GAsyncResult             *result,
                                                GError                  **error);

/* Checks the MPIN of the access token's holder and starts a behavioral
 * session: session_id and session_token in the result. Wrong MPIN:
 * VIGIL_ERROR_UNAUTHORIZED "Invalid MPIN"; locked: VIGIL_ERROR_LOCKED with
 * a retry delay. @context (nullable) is the device context. */
void              vigil_auth_verify_mpin_async (VigilAuth                *self,
                                                const VigilTokenClaims   *caller,
                                                const char               *mpin,
                                                JsonObject               *context,
                                                const char               *client_address,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
VigilAuthResult  *vigil_auth_verify_mpin_finish (VigilAuth               *self,
                                                 GAsyncResult            *result,
                                                 GError                 **error);

/* Phone + MPIN: access and refresh tokens and a behavioral session. */
void              vigil_auth_mpin_login_async  (VigilAuth                *self,
                                                const char               *phone,
                                                const char               *mpin,
                                                const char               *device_id,
                                                JsonObject               *context,
                                                const char               *client_address,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
VigilAuthResult  *vigil_auth_mpin_login_finish (VigilAuth                *self,
                                                GAsyncResult             *result,
                                                GError                  **error);

/* Starts a behavioral session for the caller (canara's
 * /log/start-session) on @device_id (the caller's device when NULL): the
 * result carries session_id and a session token. */
void              vigil_auth_start_session_async  (VigilAuth             *self,
                                                   const VigilTokenClaims *caller,
                                                   const char            *device_id,
                                                   JsonObject            *context,
                                                   const char            *client_address,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
VigilAuthResult  *vigil_auth_start_session_finish (VigilAuth             *self,
                                                   GAsyncResult          *result,
                                                   GError               **error);

/* Rotates a refresh token. A token presented a second time revokes its
 * whole family (VIGIL_ERROR_UNAUTHORIZED). */
void              vigil_auth_refresh_async     (VigilAuth                *self,
                                                const char               *refresh_token,
                                                const char               *client_address,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
VigilAuthResult  *vigil_auth_refresh_finish    (VigilAuth                *self,
                                                GAsyncResult             *result,
                                                GError                  **error);

/* Revokes the caller's token, the refresh family of its device and, when
 * it is bound to one, ends the behavioral session. */
void              vigil_auth_logout_async      (VigilAuth                *self,
                                                const VigilTokenClaims   *caller,
                                                const char               *client_address,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
gboolean          vigil_auth_logout_finish     (VigilAuth                *self,
                                                GAsyncResult             *result,
                                                GError                  **error);

/* Revokes every token of the caller's account issued to @device_id;
 * returns how many. */
void              vigil_auth_revoke_device_async  (VigilAuth             *self,
                                                   const VigilTokenClaims *caller,
                                                   const char            *device_id,
                                                   const char            *client_address,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
guint             vigil_auth_revoke_device_finish (VigilAuth             *self,
                                                   GAsyncResult          *result,
                                                   GError               **error);

/* Verifies a bearer token (signature, expiry, not revoked, account not
 * disabled) and, unless @kind is -1, its kind. Synchronous: an HMAC and an
 * indexed read. VIGIL_ERROR_UNAUTHORIZED otherwise. */
VigilTokenClaims *vigil_auth_authenticate      (VigilAuth                *self,
                                                const char               *token,
                                                int                       kind,
                                                GError                  **error);

VigilUser        *vigil_auth_lookup_user       (VigilAuth                *self,
                                                const char               *user_id,
                                                GError                  **error);
/* The account enrolled under a maxidom profile id; VIGIL_ERROR_NOT_FOUND
 * ("Profile not found.") otherwise. */
VigilUser        *vigil_auth_lookup_profile    (VigilAuth                *self,
                                                const char               *profile_id,
                                                GError                  **error);
/* Tokens of the caller's account that are neither expired nor revoked;
 * elements are VigilTokenInfo. */
GPtrArray        *vigil_auth_list_active_tokens (VigilAuth               *self,
                                                 const VigilTokenClaims  *caller,
                                                 GError                 **error);
/* The caller's behavioral session: the one its token is bound to, else
 * its latest one. VIGIL_ERROR_NOT_FOUND when it has none. */
VigilSessionInfo *vigil_auth_session_status    (VigilAuth                *self,
                                                const VigilTokenClaims   *caller,
                                                GError                  **error);

/* maxidom: TRUE when @password is the profile's. VIGIL_ERROR_NOT_FOUND for
 * an unknown profile, rate limits as for logins. */
void              vigil_auth_verify_profile_password_async  (VigilAuth           *self,
                                                             const char          *profile_id,
                                                             const char          *password,
                                                             const char          *client_address,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean          vigil_auth_verify_profile_password_finish (VigilAuth           *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

/* Admin only (VIGIL_ERROR_FORBIDDEN otherwise): every account (elements
 * VigilUser), and the newest audit entries (elements VigilAuditEntry). */
GPtrArray        *vigil_auth_list_users        (VigilAuth                *self,
                                                const VigilTokenClaims   *caller,
                                                GError                  **error);
GPtrArray        *vigil_auth_list_audit        (VigilAuth                *self,
                                                const VigilTokenClaims   *caller,
                                                guint                     limit,
                                                GError                  **error);
/* VIGIL_ERROR_FORBIDDEN unless the caller is an admin. */
gboolean          vigil_auth_require_admin     (VigilAuth                *self,
                                                const VigilTokenClaims   *caller,
                                                GError                  **error);

/* Admin bootstrap (vigil --create-admin): an admin account with @email, or
 * promotes the existing account with that email after checking
 * @password against it. */
void              vigil_auth_create_admin_async  (VigilAuth              *self,
                                                  const char             *email,
                                                  const char             *password,
                                                  GCancellable           *cancellable,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
VigilUser        *vigil_auth_create_admin_finish (VigilAuth              *self,
                                                  GAsyncResult           *result,
                                                  GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAuthResult, vigil_auth_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilSessionInfo, vigil_session_info_free)

G_END_DECLS
