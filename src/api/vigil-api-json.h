/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* RFC 6585; libsoup 3.2 has no name for it. */
#define VIGIL_HTTP_TOO_MANY_REQUESTS 429
/* RFC 4918: MPIN verification locked after too many failures. */
#define VIGIL_HTTP_LOCKED 423

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
/* The same with the text under @key: walmart's Flask clients read
 * "message". */
void  vigil_api_reply_error_keyed  (SoupServerMessage *msg,
                                    guint              status,
                                    const char        *error_code,
                                    const char        *key,
                                    const char        *text);
void  vigil_api_reply_gerror_keyed (SoupServerMessage *msg,
                                    const GError      *error,
                                    const char        *key);

/* The one place where engine errors become HTTP statuses. */
guint vigil_api_status_for_error (const GError      *error);

/* Answers 405 and returns FALSE unless the method is one of @allowed
 * (a NULL-terminated list; HEAD is accepted wherever GET is). */
gboolean vigil_api_require_method (SoupServerMessage *msg,
                                   const char        *first_allowed,
                                   ...) G_GNUC_NULL_TERMINATED;

/* A member that is null when @value is NULL. */
void  vigil_api_builder_add_nullable_string (JsonBuilder *builder,
                                             const char  *name,
                                             const char  *value);
/* ISO 8601 in UTC ("2025-07-02T10:30:00.123456Z"), null when @at_us is 0. */
void  vigil_api_builder_add_time            (JsonBuilder *builder,
                                             const char  *name,
                                             gint64       at_us);

G_END_DECLS
