/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The maxidom backend's credential routes, /enroll/{profile_id} and
 * /verify_password/{profile_id}: at the root as its document shows them
 * and under /api/ as its code serves them. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

#define STYLE VIGIL_API_STYLE_FASTAPI

/* POST /enroll/{profile_id} {password} */
typedef struct
{
  VigilRegistration  registration;
  char              *profile_id;
} Enrollment;

static void
enrollment_free (gpointer data)
{
  Enrollment *enrollment = data;

  g_free (enrollment->profile_id);
  g_free (enrollment);
}

static void
enroll_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VigilApiCall *call = user_data;
  const Enrollment *enrollment = call->data;
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;

  user = vigil_auth_register_finish (VIGIL_AUTH (source), result, &error);
  if (user == NULL)
    {
      if (g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT))
        vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_CONFLICT,
                                      "conflict", "Profile already enrolled.");
      else
        vigil_api_reply_styled_gerror (call->msg, call->style, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, "enrollment successful");
      json_builder_set_member_name (builder, "profile_id");
      json_builder_add_string_value (builder, user->profile_id != NULL ? user->profile_id : enrollment->profile_id);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_enroll (VigilServer       *server,
               SoupServerMessage *msg,
               const char        *profile_id)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  const char *password;
  Enrollment *enrollment;
  VigilApiCall *call;

  if (body == NULL)
    return;

  password = vigil_api_body_get_string (body, "password", TRUE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  enrollment = g_new0 (Enrollment, 1);
  enrollment->profile_id = g_strdup (profile_id);
  enrollment->registration.profile_id = enrollment->profile_id;
  enrollment->registration.password = password;
  enrollment->registration.role = VIGIL_ROLE_USER;
  vigil_api_call_set_data (call, enrollment, enrollment_free);
  vigil_auth_register_async (call->auth, &enrollment->registration, call->client_address,
                             NULL, enroll_done, call);
}

/* POST /verify_password/{profile_id} {password} */
static void
verify_password_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(GError) error = NULL;
  gboolean verified;

  verified = vigil_auth_verify_profile_password_finish (VIGIL_AUTH (source), result, &error);
  if (error != NULL && g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND))
    vigil_api_reply_styled_error (call->msg, call->style, SOUP_STATUS_NOT_FOUND,
                                  "not_found", "Profile not found.");
  else if (error != NULL && !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "verified");
      json_builder_add_boolean_value (builder, error == NULL && verified);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_verify_password (VigilServer       *server,
                        SoupServerMessage *msg,
                        const char        *profile_id)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  const char *password;
  VigilApiCall *call;

  if (body == NULL)
    return;

  password = vigil_api_body_get_string (body, "password", TRUE);
  if (!vigil_api_body_validate (body, msg))
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_api_call_set_data (call, g_strdup (profile_id), g_free);
  vigil_auth_verify_profile_password_async (call->auth, call->data, password, call->client_address,
                                            NULL, verify_password_done, call);
}

#define PROFILE_ROUTE (VIGIL_API_ROUTE_BODY | VIGIL_API_ROUTE_SEGMENT)

/* Literal methods: SOUP_METHOD_* are not constant expressions. */
static const VigilApiRoute routes[] = {
  { "/enroll", "POST", handle_enroll, PROFILE_ROUTE, STYLE },
  { "/api/enroll", "POST", handle_enroll, PROFILE_ROUTE, STYLE },
  { "/verify_password", "POST", handle_verify_password, PROFILE_ROUTE, STYLE },
  { "/api/verify_password", "POST", handle_verify_password, PROFILE_ROUTE, STYLE },
};

void
vigil_api_profiles_install (VigilServer *server,
                            SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
