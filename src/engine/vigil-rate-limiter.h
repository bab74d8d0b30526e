/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Token buckets keyed by string (a client address, an account). Memory
 * stays bounded: buckets that have refilled completely carry no
 * information and are dropped; past @max_keys the fullest go first.
 * Thread-safe. */
typedef struct _VigilRateLimiter VigilRateLimiter;

VigilRateLimiter *vigil_rate_limiter_new   (double            capacity,
                                            double            refill_per_second,
                                            guint             max_keys);
void              vigil_rate_limiter_free  (VigilRateLimiter *limiter);

/* Takes one token from @key's bucket at @now_us. When the bucket is empty
 * returns FALSE and sets @retry_after_s to the whole seconds (at least 1)
 * until a token is back. */
gboolean          vigil_rate_limiter_take  (VigilRateLimiter *limiter,
                                            const char       *key,
                                            gint64            now_us,
                                            guint            *retry_after_s);

guint             vigil_rate_limiter_get_n_keys (VigilRateLimiter *limiter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilRateLimiter, vigil_rate_limiter_free)

G_END_DECLS
