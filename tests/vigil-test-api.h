/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-engine.h"
#include "vigil-server.h"

G_BEGIN_DECLS

#define VIGIL_TEST_START_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)   /* 2026-01-01 */

/* A real engine (manual clock, key file, cheapest argon2id) behind a real
 * server on a free port, and a real client session. */
typedef struct
{
  char               *dir;
  VigilClock         *clock;
  VigilEngineOptions  options;
  VigilEngine        *engine;
  VigilServer        *server;
  SoupSession        *session;
} VigilTestApi;

typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonNode           *json;      /* NULL unless the body is JSON */
} VigilTestReply;

/* The tests' defaults; the clock is the fixture's own. */
void            vigil_test_api_options_init (VigilEngineOptions *options);

/* @options may be NULL for the defaults. */
void            vigil_test_api_set_up       (VigilTestApi             *api,
                                             const VigilEngineOptions *options);
void            vigil_test_api_tear_down    (VigilTestApi             *api);
/* Shuts the engine down and opens a new one, and a new server, on the
 * same data directory and clock. */
void            vigil_test_api_restart      (VigilTestApi             *api);
/* Waits until no API call is paused and every write has committed. */
void            vigil_test_api_wait_idle    (VigilTestApi             *api);

/* @bearer and @json_body may be NULL. */
VigilTestReply *vigil_test_api_request      (VigilTestApi             *api,
                                             const char               *method,
                                             const char               *path,
                                             const char               *bearer,
                                             const char               *json_body);
/* @authorization is the whole header value, NULL for none. */
VigilTestReply *vigil_test_api_request_authorization (VigilTestApi    *api,
                                                      const char      *method,
                                                      const char      *path,
                                                      const char      *authorization,
                                                      const char      *json_body);
VigilTestReply *vigil_test_api_post         (VigilTestApi             *api,
                                             const char               *path,
                                             const char               *bearer,
                                             const char               *json_body);
VigilTestReply *vigil_test_api_get          (VigilTestApi             *api,
                                             const char               *path,
                                             const char               *bearer);
/* With an arbitrary body stream of unknown length: sent chunked. */
VigilTestReply *vigil_test_api_post_stream  (VigilTestApi             *api,
                                             const char               *path,
                                             GInputStream             *stream);

void            vigil_test_reply_free       (VigilTestReply           *reply);
JsonObject     *vigil_test_reply_object     (VigilTestReply           *reply);
const char     *vigil_test_reply_string     (VigilTestReply           *reply,
                                             const char               *member);
const char     *vigil_test_reply_header     (VigilTestReply           *reply,
                                             const char               *name);
char           *vigil_test_reply_text       (VigilTestReply           *reply);

#define vigil_test_assert_status(reply, expected)                                  \
  G_STMT_START {                                                                 \
    if ((reply)->status != (guint) (expected))                                   \
      {                                                                          \
        g_autofree char *vigil_text_ = vigil_test_reply_text (reply);            \
        g_test_message ("unexpected reply %u: %s", (reply)->status, vigil_text_); \
      }                                                                          \
    g_assert_cmpuint ((reply)->status, ==, (expected));                          \
  } G_STMT_END

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilTestReply, vigil_test_reply_free)

G_END_DECLS
