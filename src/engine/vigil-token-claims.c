/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a verified token says, and what the token list shows. */
#define G_LOG_DOMAIN "vigil-tokens"

#include "config.h"

#include "vigil-token-claims.h"

G_DEFINE_BOXED_TYPE (VigilTokenClaims, vigil_token_claims, vigil_token_claims_copy, vigil_token_claims_free)

const char *
vigil_token_kind_to_string (VigilTokenKind kind)
{
  switch (kind)
    {
    case VIGIL_TOKEN_ACCESS:
      return "access";
    case VIGIL_TOKEN_REFRESH:
      return "refresh";
    case VIGIL_TOKEN_SESSION:
      return "session";
    default:
      g_return_val_if_reached ("access");
    }
}

VigilTokenClaims *
vigil_token_claims_copy (const VigilTokenClaims *claims)
{
  VigilTokenClaims *copy;

  g_return_val_if_fail (claims != NULL, NULL);

  copy = g_memdup2 (claims, sizeof *claims);
  copy->subject = g_strdup (claims->subject);
  copy->session_id = g_strdup (claims->session_id);
  copy->device_id = g_strdup (claims->device_id);
  copy->jti = g_strdup (claims->jti);
  return copy;
}

void
vigil_token_claims_free (VigilTokenClaims *claims)
{
  if (claims == NULL)
    return;

  g_free (claims->subject);
  g_free (claims->session_id);
  g_free (claims->device_id);
  g_free (claims->jti);
  g_free (claims);
}

void
vigil_token_info_free (VigilTokenInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->jti);
  g_free (info->device_id);
  g_free (info->session_id);
  g_free (info);
}
