/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VIGIL_ERROR (vigil_error_quark ())

/* One code per way a request can fail; the API maps each to an HTTP status
 * in one place (vigil-api-json.c). */
typedef enum
{
  VIGIL_ERROR_FAILED,
  VIGIL_ERROR_INVALID_INPUT,
  VIGIL_ERROR_NOT_FOUND,
  VIGIL_ERROR_CONFLICT,
  VIGIL_ERROR_UNAUTHORIZED,
  VIGIL_ERROR_FORBIDDEN,
  VIGIL_ERROR_RATE_LIMITED,
  VIGIL_ERROR_BUSY,
  VIGIL_ERROR_DATABASE,
  VIGIL_ERROR_SCHEMA_TOO_NEW,
  VIGIL_ERROR_CLOSED,
  VIGIL_ERROR_LOCKED,
  VIGIL_ERROR_TOO_LARGE,
  VIGIL_ERROR_UNAVAILABLE,   /* a remote service did not answer usefully */
} VigilError;

GQuark vigil_error_quark (void);

/* VIGIL_ERROR is an extended error domain: an error that a client may
 * retry later (RATE_LIMITED, LOCKED) carries how many seconds to wait. */
void   vigil_error_set_retry_after (GError       *error,
                                    guint         seconds);
guint  vigil_error_get_retry_after (const GError *error);

/* A new VIGIL_ERROR with a retry delay. */
void   vigil_set_error_retry_after (GError      **error,
                                    VigilError    code,
                                    guint         seconds,
                                    const char   *message);

G_END_DECLS
