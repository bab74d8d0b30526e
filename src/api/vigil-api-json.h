/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* RFC 6585; libsoup 3.2 has no name for it. */
#define VIGIL_HTTP_TOO_MANY_REQUESTS 429

/* Replies with @node serialised as the body; takes ownership of @node. */
void  vigil_api_reply_json       (SoupServerMessage *msg,
                                  guint              status,
                                  JsonNode          *node);
void  vigil_api_reply_builder    (SoupServerMessage *msg,
                                  guint              status,
                                  JsonBuilder       *builder);

/* {"error": @error_code, "detail": @detail}: the shape of ARCHITECTURE.md,
 * whose "detail" is also what FastAPI clients of the seeds read. */
void  vigil_api_reply_error      (SoupServerMessage *msg,
                                  guint              status,
                                  const char        *error_code,
                                  const char        *detail);
void  vigil_api_reply_gerror     (SoupServerMessage *msg,
                                  const GError      *error);

/* The one place where engine errors become HTTP statuses. */
guint vigil_api_status_for_error (const GError      *error);

/* Answers 405 and returns FALSE unless the method is one of @allowed
 * (a NULL-terminated list; HEAD is accepted wherever GET is). */
gboolean vigil_api_require_method (SoupServerMessage *msg,
                                   const char        *first_allowed,
                                   ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
