/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VIGIL_SECRET_BACKEND_KEYRING,
  VIGIL_SECRET_BACKEND_FILE,
} VigilSecretBackend;

typedef enum
{
  VIGIL_SECRETS_AUTO,        /* Secret Service when one answers, else the file */
  VIGIL_SECRETS_FILE_ONLY,
} VigilSecretsPolicy;

/* Returns the data directory's token-signing key (VIGIL_JWT_KEY_BYTES
 * random bytes), generating and storing it on first use: in the Secret
 * Service through libsecret, keyed by the canonical @data_dir, when one
 * answers within a few seconds; otherwise in DATA_DIR/secret.key, mode
 * 0600 (a key file with wider permissions or the wrong size is an error,
 * never silently used). Any Secret Service failure means "no keyring". */
GBytes     *vigil_secrets_load_signing_key (const char          *data_dir,
                                            VigilSecretsPolicy   policy,
                                            VigilSecretBackend  *out_backend,
                                            GError             **error);

/* "keyring" or "file", as /health reports it. */
const char *vigil_secret_backend_to_string (VigilSecretBackend   backend);

G_END_DECLS
