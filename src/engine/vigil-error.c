/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-error"

#include "config.h"

#include "vigil-error.h"

typedef struct
{
  guint retry_after_s;
} VigilErrorPrivate;

static void
vigil_error_private_init (VigilErrorPrivate *priv)
{
  priv->retry_after_s = 0;
}

static void
vigil_error_private_copy (const VigilErrorPrivate *src,
                          VigilErrorPrivate       *dest)
{
  dest->retry_after_s = src->retry_after_s;
}

static void
vigil_error_private_clear (VigilErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (VigilError, vigil_error)

void
vigil_error_set_retry_after (GError *error,
                             guint   seconds)
{
  VigilErrorPrivate *priv = vigil_error_get_private (error);

  g_return_if_fail (priv != NULL);
  priv->retry_after_s = seconds;
}

guint
vigil_error_get_retry_after (const GError *error)
{
  VigilErrorPrivate *priv = vigil_error_get_private (error);

  return priv != NULL ? priv->retry_after_s : 0;
}

void
vigil_set_error_retry_after (GError     **error,
                             VigilError   code,
                             guint        seconds,
                             const char  *message)
{
  GError *new_error = g_error_new_literal (VIGIL_ERROR, code, message);

  vigil_error_set_retry_after (new_error, seconds);
  g_propagate_error (error, new_error);
}
