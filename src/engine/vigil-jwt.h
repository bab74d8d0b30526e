/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* JSON Web Tokens signed with HMAC-SHA256 (RFC 7519, RFC 7515 "HS256"),
 * in the compact form base64url(header).base64url(payload).base64url(mac). */

#define VIGIL_JWT_KEY_BYTES 32
/* Longer input is refused before any decoding. */
#define VIGIL_JWT_MAX_LENGTH 8192

char       *vigil_base64url_encode (const guint8  *data,
                                    gsize          length);
/* Accepts unpadded base64url only (the JWT form). */
guint8     *vigil_base64url_decode (const char    *text,
                                    gsize         *out_length,
                                    GError       **error);

/* Signs @claims (copied, never modified) with header
 * {"alg":"HS256","typ":"JWT"}. */
char       *vigil_jwt_encode       (JsonObject    *claims,
                                    const guint8  *key,
                                    gsize          key_length);

/* Verifies the signature in constant time, insists on alg HS256 (never
 * "none", never another algorithm), requires a numeric "exp" later than
 * @now_s and refuses an "iat" more than a minute in the future. Errors are
 * VIGIL_ERROR_UNAUTHORIZED and never quote the token. Returns the claims. */
JsonObject *vigil_jwt_decode       (const char    *token,
                                    const guint8  *key,
                                    gsize          key_length,
                                    gint64         now_s,
                                    GError       **error);

G_END_DECLS
