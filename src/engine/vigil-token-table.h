/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-db.h"
#include "vigil-token-claims.h"

G_BEGIN_DECLS

/* Issuing, recording and revoking tokens. A token is a signed JWT; its row
 * in the tokens table (by jti) is what lets it be revoked before it
 * expires and what detects a refresh token presented twice. */

typedef struct
{
  char           *token;          /* the JWT: handed to the client, never logged */
  char           *jti;
  VigilTokenKind  kind;
  char           *user_id;
  char           *family_id;      /* refresh rotation family; nullable */
  char           *session_id;     /* nullable */
  char           *device_id;      /* nullable */
  gint64          issued_at_us;
  gint64          expires_at_us;
} VigilIssuedToken;

void              vigil_issued_token_free (VigilIssuedToken *token);

VigilIssuedToken *vigil_token_issue       (GBytes           *key,
                                           VigilTokenKind    kind,
                                           const char       *user_id,
                                           VigilRole         role,
                                           const char       *device_id,
                                           const char       *session_id,
                                           const char       *family_id,
                                           gint64            now_us,
                                           guint             lifetime_s);

/* Signature, expiry and claim shapes only; not the revocation state. */
VigilTokenClaims *vigil_token_parse       (GBytes           *key,
                                           const char       *token,
                                           gint64            now_s,
                                           GError          **error);

gboolean  vigil_token_table_insert        (VigilDb                *db,
                                           const VigilIssuedToken *token,
                                           GError                **error);
/* VIGIL_ERROR_UNAUTHORIZED unless the jti is recorded and not revoked. */
gboolean  vigil_token_table_check_active  (VigilDb          *db,
                                           const char       *jti,
                                           GError          **error);
/* Marks a refresh token used. FALSE with no error when it was already used
 * or revoked: a replay. Sets @out_family_id to its family either way. */
gboolean  vigil_token_table_mark_used     (VigilDb          *db,
                                           const char       *jti,
                                           gint64            now_us,
                                           char            **out_family_id,
                                           GError          **error);
/* Revokes the matching live tokens of @user_id; NULL filters match all.
 * Returns how many were revoked, or -1 on error. */
gint64    vigil_token_table_revoke        (VigilDb          *db,
                                           const char       *user_id,
                                           const char       *device_id,
                                           const char       *session_id,
                                           const char       *family_id,
                                           const char       *jti,
                                           gint64            now_us,
                                           const char       *reason,
                                           GError          **error);
/* Live tokens of @user_id, newest first; elements are VigilTokenInfo. */
GPtrArray *vigil_token_table_list_active  (VigilDb          *db,
                                           const char       *user_id,
                                           gint64            now_us,
                                           GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilIssuedToken, vigil_issued_token_free)

G_END_DECLS
