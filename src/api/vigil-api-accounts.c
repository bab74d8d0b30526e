/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The walmart backend's account routes: e-mail signup and login, the admin
 * check, and the admin's lists of users and audit entries, in the shapes
 * its Flask clients read ({"message": ...} on errors). */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

#define STYLE VIGIL_API_STYLE_FLASK
#define AUDIT_LOG_LIMIT 100

static VigilAuth *
server_auth (VigilServer *server)
{
  return vigil_engine_get_auth (vigil_server_get_engine (server));
}

static void
reply_admin_error (SoupServerMessage *msg,
                   const GError      *error)
{
  if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_FORBIDDEN))
    vigil_api_reply_styled_error (msg, STYLE, SOUP_STATUS_FORBIDDEN, "forbidden", "Admin privileges required!");
  else
    vigil_api_reply_styled_gerror (msg, STYLE, error);
}

/* POST /api/signup {email, password} */
static void
signup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;

  user = vigil_auth_register_finish (VIGIL_AUTH (source), result, &error);
  if (user == NULL)
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT))
        vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_CONFLICT,
                                      "conflict", "User already exists");
      else
        vigil_api_reply_styled_gerror (call->msg, call->style, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, "User created successfully");
      json_builder_set_member_name (builder, "user_id");
      json_builder_add_string_value (builder, user->id);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_CREATED, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_signup (VigilServer       *server,
               SoupServerMessage *msg,
               const char        *segment)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  VigilRegistration *registration;
  VigilApiCall *call;

  if (body == NULL)
    return;

  registration = g_new0 (VigilRegistration, 1);
  registration->email = vigil_api_body_get_string (body, "email", TRUE);
  registration->password = vigil_api_body_get_string (body, "password", TRUE);
  registration->role = VIGIL_ROLE_USER;
  if (!vigil_api_body_validate (body, msg))
    {
      g_free (registration);
      return;
    }

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_api_call_set_data (call, registration, g_free);
  vigil_auth_register_async (call->auth, registration, call->client_address, NULL, signup_done, call);
}

/* POST /api/login {email, password} */
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
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
        vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_UNAUTHORIZED,
                                      "unauthorized", "Invalid credentials");
      else
        vigil_api_reply_styled_gerror (call->msg, call->style, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      const VigilUser *user = auth_result->user;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "access_token");
      json_builder_add_string_value (builder, auth_result->access_token);
      json_builder_set_member_name (builder, "token_type");
      json_builder_add_string_value (builder, "bearer");
      json_builder_set_member_name (builder, "expires_in");
      json_builder_add_int_value (builder, auth_result->expires_in_s);
      vigil_api_builder_add_nullable_string (builder, "user_id", user != NULL ? user->id : NULL);
      vigil_api_builder_add_nullable_string (builder, "email", user != NULL ? user->email : NULL);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, vigil_role_to_string (user != NULL ? user->role : VIGIL_ROLE_USER));
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_login (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *segment)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  const char *email, *password;
  VigilApiCall *call;

  if (body == NULL)
    return;

  email = vigil_api_body_get_string (body, "email", TRUE);
  password = vigil_api_body_get_string (body, "password", TRUE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_auth_login_async (call->auth, VIGIL_LOGIN_EMAIL, email, password, NULL, FALSE,
                          call->client_address, NULL, login_done, call);
}

/* GET /api/check-admin (Bearer) */
static void
handle_check_admin (VigilServer       *server,
                    SoupServerMessage *msg,
                    const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  claims = vigil_api_authenticate (msg, auth, STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  if (!vigil_auth_require_admin (auth, claims, &error))
    {
      reply_admin_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "is_admin");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, "Admin access granted");
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, claims->subject);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* GET /api/admin/users (admin): never a hash. */
static void
handle_admin_users (VigilServer       *server,
                    SoupServerMessage *msg,
                    const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  claims = vigil_api_authenticate (msg, auth, STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  users = vigil_auth_list_users (auth, claims, &error);
  if (users == NULL)
    {
      reply_admin_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "users");
  json_builder_begin_array (builder);
  for (guint i = 0; i < users->len; i++)
    {
      const VigilUser *user = g_ptr_array_index (users, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, user->id);
      vigil_api_builder_add_nullable_string (builder, "email", user->email);
      vigil_api_builder_add_nullable_string (builder, "phone", user->phone);
      vigil_api_builder_add_nullable_string (builder, "profile_id", user->profile_id);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, vigil_role_to_string (user->role));
      json_builder_set_member_name (builder, "disabled");
      json_builder_add_boolean_value (builder, user->disabled);
      vigil_api_builder_add_time (builder, "created_at", user->created_at_us);
      vigil_api_builder_add_time (builder, "last_login_at", user->last_login_at_us);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* Details are stored as JSON text: sent as the object they are. */
static void
add_details (JsonBuilder *builder,
             const char  *details)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (builder, "details");
  if (details == NULL)
    json_builder_add_null_value (builder);
  else if (json_parser_load_from_data (parser, details, -1, NULL) && json_parser_get_root (parser) != NULL)
    json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_string_value (builder, details);
}

/* GET /api/admin/audit-logs (admin): the newest 100 entries. */
static void
handle_admin_audit_logs (VigilServer       *server,
                         SoupServerMessage *msg,
                         const char        *segment)
{
  VigilAuth *auth = server_auth (server);
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GError) error = NULL;

  claims = vigil_api_authenticate (msg, auth, STYLE, VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  if (claims == NULL)
    return;
  entries = vigil_auth_list_audit (auth, claims, AUDIT_LOG_LIMIT, &error);
  if (entries == NULL)
    {
      reply_admin_error (msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "logs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      const VigilAuditEntry *entry = g_ptr_array_index (entries, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, entry->id);
      vigil_api_builder_add_time (builder, "timestamp", entry->at_us);
      json_builder_set_member_name (builder, "actor");
      json_builder_add_string_value (builder, entry->actor);
      json_builder_set_member_name (builder, "action");
      json_builder_add_string_value (builder, entry->action);
      vigil_api_builder_add_nullable_string (builder, "target", entry->target);
      vigil_api_builder_add_nullable_string (builder, "client_address", entry->client_address);
      add_details (builder, entry->details);
      json_builder_set_member_name (builder, "prev_hash");
      json_builder_add_string_value (builder, entry->prev_hash);
      json_builder_set_member_name (builder, "hash");
      json_builder_add_string_value (builder, entry->hash);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* Literal methods: SOUP_METHOD_* are not constant expressions. */
static const VigilApiRoute routes[] = {
  { "/api/signup", "POST", handle_signup, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/login", "POST", handle_login, VIGIL_API_ROUTE_BODY, STYLE },
  { "/api/check-admin", "GET", handle_check_admin, 0, STYLE },
  { "/api/admin/users", "GET", handle_admin_users, 0, STYLE },
  { "/api/admin/audit-logs", "GET", handle_admin_audit_logs, 0, STYLE },
};

void
vigil_api_accounts_install (VigilServer *server,
                            SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
