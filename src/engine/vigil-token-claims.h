/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "vigil-user.h"

G_BEGIN_DECLS

typedef enum
{
  VIGIL_TOKEN_ACCESS,
  VIGIL_TOKEN_REFRESH,
  VIGIL_TOKEN_SESSION,   /* bound to one behavioral session (claim "sid") */
} VigilTokenKind;

const char *vigil_token_kind_to_string (VigilTokenKind kind);

/* What a verified bearer token says about its holder. */
typedef struct
{
  char           *subject;       /* user id ("sub") */
  VigilRole       role;
  VigilTokenKind  kind;
  char           *session_id;    /* "sid", nullable */
  char           *device_id;     /* nullable */
  char           *jti;
  gint64          issued_at_s;
  gint64          expires_at_s;
} VigilTokenClaims;

/* A token as /auth/tokens/active lists it: never the token itself. */
typedef struct
{
  char           *jti;
  VigilTokenKind  kind;
  char           *device_id;     /* nullable */
  char           *session_id;    /* nullable */
  gint64          issued_at_us;
  gint64          expires_at_us;
} VigilTokenInfo;

#define VIGIL_TYPE_TOKEN_CLAIMS (vigil_token_claims_get_type ())
GType             vigil_token_claims_get_type (void) G_GNUC_CONST;
VigilTokenClaims *vigil_token_claims_copy     (const VigilTokenClaims *claims);
void              vigil_token_claims_free     (VigilTokenClaims       *claims);
void              vigil_token_info_free       (VigilTokenInfo         *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilTokenClaims, vigil_token_claims_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilTokenInfo, vigil_token_info_free)

G_END_DECLS
