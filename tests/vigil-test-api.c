/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The fixture of the API tests: an engine and its server on a free port,
 * driven over HTTP by a SoupSession. */
#define G_LOG_DOMAIN "vigil-test"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "vigil-api-request.h"
#include "vigil-test-api.h"
#include "vigil-test-util.h"

void
vigil_test_api_options_init (VigilEngineOptions *options)
{
  vigil_engine_options_init (options);
  options->secrets = VIGIL_SECRETS_FILE_ONLY;
  options->hash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  options->hash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  /* Most tests make many credential checks; the rate-limit tests lower it. */
  options->rate_limit_burst = 1000;
}

static void
open_engine (VigilTestApi *api)
{
  g_autoptr(GError) error = NULL;

  api->engine = vigil_engine_new_with_options (api->dir, &api->options, &error);
  g_assert_no_error (error);
  api->server = vigil_server_new (api->engine);
  g_assert_true (vigil_server_listen (api->server, "127.0.0.1:0", &error));
  g_assert_no_error (error);
}

static void
close_engine (VigilTestApi *api)
{
  vigil_test_api_wait_idle (api);
  vigil_server_stop (api->server);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&api->server));
  vigil_engine_shutdown (api->engine);
  vigil_test_drain_main_context ();
  g_assert_finalize_object (g_steal_pointer (&api->engine));
}

void
vigil_test_api_set_up (VigilTestApi             *api,
                       const VigilEngineOptions *options)
{
  api->dir = vigil_test_make_tmp_dir ();
  api->clock = vigil_clock_new_manual (VIGIL_TEST_START_US);
  if (options != NULL)
    api->options = *options;
  else
    vigil_test_api_options_init (&api->options);
  api->options.clock = api->clock;
  open_engine (api);
  api->session = soup_session_new ();
}

void
vigil_test_api_tear_down (VigilTestApi *api)
{
  soup_session_abort (api->session);
  g_clear_object (&api->session);
  close_engine (api);
  vigil_clock_unref (api->clock);
  vigil_test_rm_rf (api->dir);
  g_free (api->dir);
}

void
vigil_test_api_restart (VigilTestApi *api)
{
  /* Kept-alive connections point at the old server. */
  soup_session_abort (api->session);
  close_engine (api);
  open_engine (api);
}

void
vigil_test_api_wait_idle (VigilTestApi *api)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (vigil_api_calls_in_flight () > 0 ||
         (vigil_engine_get_store (api->engine) != NULL &&
          vigil_store_get_pending_writes (vigil_engine_get_store (api->engine)) > 0))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  vigil_test_drain_main_context ();
}

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Sent;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Sent *sent = user_data;

  sent->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &sent->error);
  sent->done = TRUE;
}

static VigilTestReply *
send_message (VigilTestApi *api,
              SoupMessage  *msg)
{
  VigilTestReply *reply = g_new0 (VigilTestReply, 1);
  Sent sent = { 0 };
  const char *content_type;

  soup_session_send_and_read_async (api->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &sent);
  g_assert_true (vigil_test_wait_for (&sent.done, 30000));
  g_assert_no_error (sent.error);

  reply->status = soup_message_get_status (msg);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  reply->body = sent.body;

  content_type = soup_message_headers_get_content_type (reply->headers, NULL);
  if (g_strcmp0 (content_type, "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (reply->body, NULL),
                                                 g_bytes_get_size (reply->body), &error));
      g_assert_no_error (error);
      reply->json = json_node_copy (json_parser_get_root (parser));
    }

  return reply;
}

static SoupMessage *
new_message (VigilTestApi *api,
             const char   *method,
             const char   *path,
             const char   *authorization)
{
  g_autofree char *url = g_strconcat (vigil_server_get_url (api->server), path + 1, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  g_assert_nonnull (msg);
  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", authorization);
  return msg;
}

VigilTestReply *
vigil_test_api_request_authorization (VigilTestApi *api,
                                      const char   *method,
                                      const char   *path,
                                      const char   *authorization,
                                      const char   *json_body)
{
  g_autoptr(SoupMessage) msg = new_message (api, method, path, authorization);

  if (json_body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json_body, strlen (json_body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return send_message (api, msg);
}

VigilTestReply *
vigil_test_api_request (VigilTestApi *api,
                        const char   *method,
                        const char   *path,
                        const char   *bearer,
                        const char   *json_body)
{
  g_autofree char *authorization = bearer != NULL ? g_strconcat ("Bearer ", bearer, NULL) : NULL;

  return vigil_test_api_request_authorization (api, method, path, authorization, json_body);
}

VigilTestReply *
vigil_test_api_post (VigilTestApi *api,
                     const char   *path,
                     const char   *bearer,
                     const char   *json_body)
{
  return vigil_test_api_request (api, "POST", path, bearer, json_body);
}

VigilTestReply *
vigil_test_api_get (VigilTestApi *api,
                    const char   *path,
                    const char   *bearer)
{
  return vigil_test_api_request (api, "GET", path, bearer, NULL);
}

VigilTestReply *
vigil_test_api_post_stream (VigilTestApi *api,
                            const char   *path,
                            GInputStream *stream)
{
  g_autoptr(SoupMessage) msg = new_message (api, "POST", path, NULL);

  soup_message_set_request_body (msg, "application/json", stream, -1);
  return send_message (api, msg);
}

void
vigil_test_reply_free (VigilTestReply *reply)
{
  if (reply == NULL)
    return;

  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_free (reply);
}

JsonObject *
vigil_test_reply_object (VigilTestReply *reply)
{
  g_assert_nonnull (reply->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->json));
  return json_node_get_object (reply->json);
}

const char *
vigil_test_reply_string (VigilTestReply *reply,
                         const char     *member)
{
  return json_object_get_string_member_with_default (vigil_test_reply_object (reply), member, NULL);
}

const char *
vigil_test_reply_header (VigilTestReply *reply,
                         const char     *name)
{
  return soup_message_headers_get_one (reply->headers, name);
}

char *
vigil_test_reply_text (VigilTestReply *reply)
{
  gsize size;
  const char *data = g_bytes_get_data (reply->body, &size);

  return g_strndup (data ? data : "", size);
}
