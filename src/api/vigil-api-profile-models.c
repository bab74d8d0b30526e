/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The maxidom backend's model routes: /train/{profile_id} and
 * /score/{profile_id} with its behavioral payload (at the root and under
 * /api/), and DELETE /api/reset_profile/{profile_id}, which unlike the
 * seed's takes the profile's owner or an admin. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-api-request.h"
#include "vigil-api-routes.h"
#include "vigil-error.h"

#define STYLE VIGIL_API_STYLE_FASTAPI

static VigilProfiles *
server_profiles (VigilServer *server)
{
  return vigil_engine_get_profiles (vigil_server_get_engine (server));
}

static VigilUser *
find_profile (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *profile_id)
{
  g_autoptr(GError) error = NULL;
  VigilUser *user = vigil_auth_lookup_profile (vigil_engine_get_auth (vigil_server_get_engine (server)),
                                               profile_id, &error);

  if (user == NULL)
    vigil_api_reply_styled_gerror (msg, STYLE, error);
  return user;
}

static void
add_progress (JsonBuilder                *builder,
              const VigilProfileProgress *progress)
{
  json_builder_set_member_name (builder, "progress");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total_samples");
  json_builder_add_int_value (builder, progress->keys + progress->points + progress->digraphs);
  json_builder_set_member_name (builder, "keyboard_samples");
  json_builder_add_int_value (builder, progress->keys);
  json_builder_set_member_name (builder, "mouse_samples");
  json_builder_add_int_value (builder, progress->points);
  json_builder_set_member_name (builder, "digraph_samples");
  json_builder_add_int_value (builder, progress->digraphs);
  json_builder_set_member_name (builder, "required");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total_samples");
  json_builder_add_int_value (builder, VIGIL_PROFILE_MIN_SAMPLES);
  json_builder_set_member_name (builder, "keyboard_samples");
  json_builder_add_int_value (builder, VIGIL_PROFILE_MIN_KEYS);
  json_builder_set_member_name (builder, "mouse_samples");
  json_builder_add_int_value (builder, VIGIL_PROFILE_MIN_POINTS);
  json_builder_set_member_name (builder, "digraph_samples");
  json_builder_add_int_value (builder, VIGIL_PROFILE_MIN_DIGRAPHS);
  json_builder_end_object (builder);
  for (guint m = 0; m < VIGIL_N_MAXIDOM_MODALITIES; m++)
    {
      g_autofree char *name = g_strdup_printf ("%s_model", vigil_modality_to_string (m));

      json_builder_set_member_name (builder, name);
      json_builder_add_boolean_value (builder, progress->trained[m]);
    }
  json_builder_end_object (builder);
}

/* POST /train/{profile_id} {payload} */
static void
train_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autofree VigilProfileProgress *progress = NULL;
  g_autoptr(GError) error = NULL;

  progress = vigil_profiles_enroll_finish (VIGIL_PROFILES (source), result, &error);
  if (progress == NULL)
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "status");
      json_builder_add_string_value (builder, progress->ready ? "profile_ready" : "profiling_in_progress");
      add_progress (builder, progress);
      json_builder_end_object (builder);
      vigil_api_reply_builder (call->msg, SOUP_STATUS_OK, builder);
    }

  vigil_api_call_complete (call);
}

static void
handle_train (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *profile_id)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  g_autoptr(VigilUser) user = NULL;
  VigilApiCall *call;

  if (body == NULL || (user = find_profile (server, msg, profile_id)) == NULL)
    return;

  call = vigil_api_call_new (server, msg, STYLE, g_steal_pointer (&body), NULL);
  vigil_profiles_enroll_async (server_profiles (server), user->id, vigil_api_body_get_object (call->body),
                               NULL, train_done, call);
}

/* POST /score/{profile_id} {payload} */
static void
add_nullable_score (JsonBuilder *builder,
                    const char  *name,
                    gboolean     scored,
                    double       value)
{
  json_builder_set_member_name (builder, name);
  if (scored)
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
handle_score (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *profile_id)
{
  g_autoptr(VigilApiBody) body = vigil_api_body_parse (msg, STYLE);
  g_autoptr(VigilUser) user = NULL;
  g_autofree VigilProfileScore *score = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  double combined = 0;

  if (body == NULL || (user = find_profile (server, msg, profile_id)) == NULL)
    return;

  score = vigil_profiles_score (server_profiles (server), user->id, vigil_api_body_get_object (body), &error);
  if (score == NULL)
    {
      vigil_api_reply_styled_gerror (msg, STYLE, error);
      return;
    }

  /* The most anomalous modality speaks for the window. */
  for (guint m = 0; m < VIGIL_N_MAXIDOM_MODALITIES; m++)
    if (score->scored[m])
      combined = MAX (combined, score->score[m]);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "is_anomaly");
  json_builder_add_boolean_value (builder, score->is_anomaly);
  json_builder_set_member_name (builder, "score");
  json_builder_add_double_value (builder, combined);
  json_builder_set_member_name (builder, "typing_threshold");
  json_builder_add_double_value (builder, score->threshold[VIGIL_MODALITY_TYPING]);
  json_builder_set_member_name (builder, "mouse_threshold");
  json_builder_add_double_value (builder, score->threshold[VIGIL_MODALITY_MOUSE]);
  add_nullable_score (builder, "mouse_score", score->scored[VIGIL_MODALITY_MOUSE],
                      score->score[VIGIL_MODALITY_MOUSE]);
  add_nullable_score (builder, "typing_score", score->scored[VIGIL_MODALITY_TYPING],
                      score->score[VIGIL_MODALITY_TYPING]);
  json_builder_end_object (builder);
  vigil_api_reply_builder (msg, SOUP_STATUS_OK, builder);
}

/* DELETE /api/reset_profile/{profile_id} */
static void
reset_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  VigilApiCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_profiles_reset_finish (VIGIL_PROFILES (source), result, &error))
    vigil_api_reply_styled_gerror (call->msg, call->style, error);
  else
    soup_server_message_set_status (call->msg, SOUP_STATUS_NO_CONTENT, NULL);

  vigil_api_call_complete (call);
}

static void
handle_reset (VigilServer       *server,
              SoupServerMessage *msg,
              const char        *profile_id)
{
  VigilAuth *auth = vigil_engine_get_auth (vigil_server_get_engine (server));
  g_autoptr(VigilTokenClaims) claims = vigil_api_authenticate (msg, auth, STYLE,
                                                               VIGIL_API_TOKEN_KIND (VIGIL_TOKEN_ACCESS));
  g_autoptr(VigilUser) user = NULL;
  VigilApiCall *call;

  if (claims == NULL || (user = find_profile (server, msg, profile_id)) == NULL)
    return;

  /* The seed let anyone wipe any profile; here only its owner or an admin. */
  if (g_strcmp0 (claims->subject, user->id) != 0 && !vigil_auth_require_admin (auth, claims, NULL))
    {
      vigil_api_reply_styled_error (msg, STYLE, SOUP_STATUS_FORBIDDEN, "forbidden",
                                    "Only the profile's owner or an admin may reset it");
      return;
    }

  call = vigil_api_call_new (server, msg, STYLE, NULL, g_steal_pointer (&claims));
  vigil_profiles_reset_async (server_profiles (server), user->id, call->claims->subject, NULL, reset_done, call);
}

#define PROFILE_ROUTE (VIGIL_API_ROUTE_BODY | VIGIL_API_ROUTE_SEGMENT)

static const VigilApiRoute routes[] = {
  { "/train", "POST", handle_train, PROFILE_ROUTE, STYLE },
  { "/api/train", "POST", handle_train, PROFILE_ROUTE, STYLE },
  { "/score", "POST", handle_score, PROFILE_ROUTE, STYLE },
  { "/api/score", "POST", handle_score, PROFILE_ROUTE, STYLE },
  { "/api/reset_profile", "DELETE", handle_reset, VIGIL_API_ROUTE_SEGMENT, STYLE },
};

void
vigil_api_profile_models_install (VigilServer *server,
                                  SoupServer  *soup_server)
{
  vigil_api_install_routes (server, soup_server, routes, G_N_ELEMENTS (routes));
}
