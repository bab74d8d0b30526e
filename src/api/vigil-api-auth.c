/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The canara backend's /api/v1/auth routes: registration, password and
 * MPIN logins, token rotation and the caller's session and tokens, in the
 * shapes its FastAPI clients read. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

#define STYLE VIGIL_API_STYLE_FASTAPI

#define BEARER_KINDS (VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS) | VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_SESSION))

static VigilAuth *
server_auth (VigilServer *server)
{
  return vigil_engine_get_auth (vigil_server_get_engine (server));
}

/* Failed credential checks answer the seed's own words, whatever the
 * engine's message, and never say which half was wrong. */
static void
reply_auth_error (VigilApiCall *call,
                  const GError *error,
                  const char   *unauthorized_detail)
{
  if (unauthorized_detail != NULL && g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (call->msg),
                                    "WWW-Authenticate", "Bearer");
      vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_UNAUTHORIZED,
                                    "unauthorized", unauthorized_detail);
    }
  else
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
}

static void
add_tokens (JsonBuilder           *builder,
            const VigilAuthResult *result)
{
  json_builder_set_member_name (builder, "access_token");
  json_builder_add_string_value (builder, result->access_token);
  vigil_api_builder_add_nullable_string (builder, "refresh_token", result->refresh_token);
  json_builder_set_member_name (builder, "token_type");
  json_builder_add_string_value (builder, "bearer");
  json_builder_set_member_name (builder, "expires_in");
  json_builder_add_int_value (builder, result->expires_in_s);
}

static void
reply_tokens (VigilApiCall          *call,
              const VigilAuthResult *result)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_tokens (builder, result);
  json_builder_end_object (builder);

  vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
}

/* POST /api/v1/auth/register {phone, password, mpin} */
static void
register_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;

  user = vigil_auth_register_finish (VIGIL_AUTH (source), result, &error);
  if (user == NULL)
    {
      /* The canara client checks for 400 here, not 409. */
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT))
        vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_BAD_REQUEST,
                                      "conflict", "Phone number already registered");
      else
        vigil_api_reply_styled_gerror (call->msg, call->style, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "User registered successfully");
      json_builder_set_member_name (builder, "user_id");
      json_builder_add_string_value (builder, user->id);
      vigil_api_builder_add_nullable_string (builder, "phone", user->phone);
      json_builder_set_member_name (builder, "next_step");
      json_builder_add_string_value (builder, "login");
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_register (VigilServer       *server,
                 SoupServerMessage *msg,
                 const char        *segment)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  VigilRegistration *registration;
  VigilApiCall *call;

  if (body == NULL)
    return;

  registration = g_new0 (VigilRegistration, 1);
  registration->phone = vigil_api_body_get_string (body, "phone", TRUE);
  registration->password = vigil_api_body_get_string (body, "password", TRUE);
  registration->mpin = vigil_api_body_get_string (body, "mpin", TRUE);
  registration->role = VIGIL_ROLE_USER;
  if (!vigil_api_body_validate (body, msg))
    {
      g_free (registration);
      return;
    }

  /* The strings belong to the body, which the call keeps. */
  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_api_call_set_data (call, registration, g_free);
  vigil_auth_register_async (call->auth, registration, call->client_address, NULL, register_done, call);
}

/* POST /api/v1/auth/login {phone, password, device_id} */
static void
login_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilAuthResult) auth_result = NULL;
  g_autoptr(GError) error = NULL;

  auth_result = vigil_auth_login_finish (VIGIL_AUTH (source), result, &error);
  if (auth_result == NULL)
    reply_auth_error (call, error, "Invalid credentials");
  else
    reply_tokens (call, auth_result);

  vigil_api_call_complete (call);
}

static void
handle_login (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *segment)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  const char *phone, *password, *device_id;
  VigilApiCall *call;

  if (body == NULL)
    return;

  phone = vigil_api_body_get_string (body, "phone", TRUE);
  password = vigil_api_body_get_string (body, "password", TRUE);
  device_id = vigil_api_body_get_string (body, "device_id", TRUE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_auth_login_async (call->auth, VIGIL_LOGIN_PHONE, phone, password, device_id, TRUE,
                          call->client_address, NULL, login_done, call);
}

static void
add_session (JsonBuilder           *builder,
             const VigilAuthResult *result)
{
  vigil_api_builder_add_nullable_string (builder, "session_id", result->session_id);
  vigil_api_builder_add_nullable_string (builder, "session_token", result->session_token);
  json_builder_set_member_name (builder, "behavioral_logging");
  json_builder_add_string_value (builder, result->session_id != NULL ? "started" : "not_started");
}

/* POST /api/v1/auth/verify-mpin (Bearer access token) {mpin, context?} */
static void
verify_mpin_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilAuthResult) auth_result = NULL;
  g_autoptr(GError) error = NULL;

  auth_result = vigil_auth_verify_mpin_finish (VIGIL_AUTH (source), result, &error);
  if (auth_result == NULL)
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_NOT_FOUND,
                                      "not_found", "User not found");
      else if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
        vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_UNAUTHORIZED,
                                      "unauthorized", "Invalid MPIN");
      else
        vigil_api_reply_styled_gerror (call->msg, call->style, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      const VigilUser *user = auth_result->user;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "MPIN verified successfully");
      json_builder_set_member_name (builder, "user_id");
      json_builder_add_string_value (builder, user != NULL ? user->id : call->claims->subject);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "verified");
      add_session (builder, auth_result);
      vigil_api_builder_add_nullable_string (builder, "phone", user != NULL ? user->phone : NULL);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_verify_mpin (VigilServer       *server,
                    SoupServerMessage *msg,
                    const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  const char *mpin;
  JsonObject *context;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, auth, STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  body = vigil_api_body_parse (msg, STYLE);
  if (body == NULL)
    return;

  mpin = vigil_api_body_get_string (body, "mpin", TRUE);
  context = vigil_api_body_get_member_object (body, "context", FALSE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_auth_verify_mpin_async (call->auth, call->claims, mpin, context, call->client_address,
                                NULL, verify_mpin_done, call);
}

/* POST /api/v1/auth/mpin-login {phone, mpin, device_id, context?} */
static void
mpin_login_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilAuthResult) auth_result = NULL;
  g_autoptr(GError) error = NULL;

  auth_result = vigil_auth_mpin_login_finish (VIGIL_AUTH (source), result, &error);
  if (auth_result == NULL)
    reply_auth_error (call, error, "Invalid phone or MPIN");
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      const VigilUser *user = auth_result->user;

      json_builder_begin_object (builder);
      add_tokens (builder, auth_result);
      add_session (builder, auth_result);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "MPIN login successful");
      vigil_api_builder_add_nullable_string (builder, "user_id", user != NULL ? user->id : NULL);
      vigil_api_builder_add_nullable_string (builder, "phone", user != NULL ? user->phone : NULL);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_mpin_login (VigilServer       *server,
                   SoupServerMessage *msg,
                   const char        *segment)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  const char *phone, *mpin, *device_id;
  JsonObject *context;
  VigilApiCall *call;

  if (body == NULL)
    return;

  phone = vigil_api_body_get_string (body, "phone", TRUE);
  mpin = vigil_api_body_get_string (body, "mpin", TRUE);
  device_id = vigil_api_body_get_string (body, "device_id", TRUE);
  context = vigil_api_body_get_member_object (body, "context", FALSE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_auth_mpin_login_async (call->auth, phone, mpin, device_id, context, call->client_address,
                               NULL, mpin_login_done, call);
}

/* POST /api/v1/auth/refresh {refresh_token} */
static void
refresh_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilAuthResult) auth_result = NULL;
  g_autoptr(GError) error = NULL;

  auth_result = vigil_auth_refresh_finish (VIGIL_AUTH (source), result, &error);
  if (auth_result == NULL)
    reply_auth_error (call, error, "Invalid refresh token");
  else
    reply_tokens (call, auth_result);

  vigil_api_call_complete (call);
}

static void
handle_refresh (VigilServer       *server,
                SoupServerMessage *msg,
                const char        *segment)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  const char *refresh_token;
  VigilApiCall *call;

  if (body == NULL)
    return;

  refresh_token = vigil_api_body_get_string (body, "refresh_token", TRUE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_auth_refresh_async (call->auth, refresh_token, call->client_address, NULL, refresh_done, call);
}

/* POST /api/v1/auth/logout (Bearer) */
static void
logout_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_auth_logout_finish (VIGIL_AUTH (source), result, &error))
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "Logged out successfully");
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_logout (VigilServer       *server,
               SoupServerMessage *msg,
               const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, server_auth (server), STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;

  call = vigil_api_call_new (server, msg, STYLE, NULL, g_steal_pointer (&claims));
  vigil_auth_logout_async (call->auth, call->claims, call->client_address, NULL, logout_done, call);
}

/* GET /api/v1/auth/session-status (Bearer) */
static void
handle_session_status (VigilServer       *server,
                       SoupServerMessage *msg,
                       const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  claims = vigil_api_authenticate (msg, auth, STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;

  info = vigil_auth_session_status (auth, claims, &error);
  if (info == NULL)
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
        vigil_api_reply_styled_error (msg, STYLE, SOUP_STATUS_NOT_FOUND, "not_found", "No active session");
      else
        vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, info->id);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, info->user_id);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, info->state);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, info->state);
  json_builder_set_member_name (builder, "is_active");
  json_builder_add_boolean_value (builder, g_strcmp0 (info->state, "ended") != 0);
  vigil_api_builder_add_time (builder, "started_at", info->started_at_us);
  vigil_api_builder_add_time (builder, "ended_at", info->ended_at_us);
  vigil_api_builder_add_nullable_string (builder, "end_reason", info->end_reason);
  vigil_api_builder_add_nullable_string (builder, "device_id", info->device_id);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* GET /api/v1/auth/tokens/active (Bearer): never the tokens themselves. */
static void
handle_tokens_active (VigilServer       *server,
                      SoupServerMessage *msg,
                      const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  claims = vigil_api_authenticate (msg, auth, STYLE, BEARER_KINDS);
  if (claims == NULL)
    return;

  tokens = vigil_auth_list_active_tokens (auth, claims, &error);
  if (tokens == NULL)
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tokens");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tokens->len; i++)
    {
      const VigilTokenInfo *token = g_ptr_array_index (tokens, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "jti");
      json_builder_add_string_value (builder, token->jti);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, vigil_token_kind_to_string (token->kind));
      vigil_api_builder_add_nullable_string (builder, "device_id", token->device_id);
      vigil_api_builder_add_nullable_string (builder, "session_id", token->session_id);
      vigil_api_builder_add_time (builder, "issued_at", token->issued_at_us);
      vigil_api_builder_add_time (builder, "expires_at", token->expires_at_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "count");
  json_builder_add_int_value (builder, tokens->len);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* POST /api/v1/auth/tokens/revoke-device (Bearer) {device_id} */
static void
revoke_device_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(GError) error = NULL;
  guint revoked;

  revoked = vigil_auth_revoke_device_finish (VIGIL_AUTH (source), result, &error);
  if (error != NULL)
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autofree char *message = g_strdup_printf ("Revoked %u token%s", revoked, revoked == 1 ? "" : "s");

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, message);
      json_builder_set_member_name (builder, "device_id");
      json_builder_add_string_value (builder, vigil_api_body_get_string (call->body, "device_id", TRUE));
      json_builder_set_member_name (builder, "revoked");
      json_builder_add_int_value (builder, revoked);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_revoke_device (VigilServer       *server,
                      SoupServerMessage *msg,
                      const char        *segment)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(VigilApiBody) body = NULL;
  const char *device_id;
  VigilApiCall *call;

  claims = vigil_api_authenticate (msg, server_auth (server), STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  body = vigil_api_body_parse (msg, STYLE);
  if (body == NULL)
    return;

  device_id = vigil_api_body_get_string (body, "device_id", TRUE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), g_steal_pointer (&claims));
  vigil_auth_revoke_device_async (call->auth, call->claims, device_id, call->client_address,
                                  NULL, revoke_device_done, call);
}

/* Literal methods: SOUP_METHOD_* are not constant expressions. */
static const VigilApiRoute routes[] = {
  { "/api/v1/auth/register", "POST", handle_register, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/auth/login", "POST", handle_login, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/auth/verify-mpin", "POST", handle_verify_mpin, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/auth/mpin-login", "POST", handle_mpin_login, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/auth/refresh", "POST", handle_refresh, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/auth/logout", "POST", handle_logout, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/v1/auth/session-status", "GET", handle_session_status, 0, STYLE },
  { "/api/v1/auth/tokens/active", "GET", handle_tokens_active, 0, STYLE },
  { "/api/v1/auth/tokens/revoke-device", "POST", handle_revoke_device, VIGIL_API_ROUTE_BODY, STYLE },
};

void
vigil_api_auth_install (VigilServer *server,
                        SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
