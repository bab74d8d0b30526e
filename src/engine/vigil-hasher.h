/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* argon2id hashing of passwords and MPINs (libsodium crypto_pwhash_str) on
 * a small pool of worker threads, never on the main context. */
typedef struct _VigilHasher VigilHasher;

/* OWASP's argon2id floor: 19 MiB, 2 passes. About 20 ms a hash here. */
#define VIGIL_HASHER_DEFAULT_OPSLIMIT 2
#define VIGIL_HASHER_DEFAULT_MEMLIMIT (19u * 1024u * 1024u)

/* @max_threads 0 means one per processor. */
VigilHasher *vigil_hasher_new           (guint64               opslimit,
                                         gsize                 memlimit,
                                         guint                 max_threads);
void         vigil_hasher_free          (VigilHasher          *hasher);

void         vigil_hasher_hash_async    (VigilHasher          *hasher,
                                         const char           *secret,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
char        *vigil_hasher_hash_finish   (GAsyncResult         *result,
                                         GError              **error);

/* Checks @secret against @hash. A NULL @hash (an unknown account) is
 * checked against a dummy hash so that the answer takes as long and says
 * only "no match". */
void         vigil_hasher_verify_async  (VigilHasher          *hasher,
                                         const char           *hash,
                                         const char           *secret,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
/* TRUE on a match; FALSE with no error on a mismatch. */
gboolean     vigil_hasher_verify_finish (GAsyncResult         *result,
                                         GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilHasher, vigil_hasher_free)

G_END_DECLS
