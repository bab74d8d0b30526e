/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Token buckets per key, with memory bounded however many distinct keys
 * (client addresses, account names) an attacker makes up. Time comes only
 * from the caller so that tests can drive it. */
#define G_LOG_DOMAIN "vigil-rate-limiter"

#include "config.h"

#include "vigil-rate-limiter.h"

#include <math.h>

/* Slack for rounding in the sums of refills, so that a client that waits
 * exactly the advertised time gets its token. */
#define TOKEN_EPSILON 1e-9

typedef struct
{
  char   *key;
  double  tokens;
  gint64  last_us;
} Bucket;

struct _VigilRateLimiter
{
  GMutex      mutex;
  GHashTable *buckets;   /* Bucket.key → Bucket, owns the bucket */
  double      capacity;
  double      refill_per_second;
  guint       max_keys;
};

static void
bucket_free (gpointer data)
{
  Bucket *bucket = data;

  g_free (bucket->key);
  g_free (bucket);
}

VigilRateLimiter *
vigil_rate_limiter_new (double capacity,
                        double refill_per_second,
                        guint  max_keys)
{
  VigilRateLimiter *limiter;

  g_return_val_if_fail (capacity >= 1.0, NULL);
  g_return_val_if_fail (refill_per_second > 0.0, NULL);
  g_return_val_if_fail (max_keys > 0, NULL);

  limiter = g_new0 (VigilRateLimiter, 1);
  g_mutex_init (&limiter->mutex);
  limiter->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, bucket_free);
  limiter->capacity = capacity;
  limiter->refill_per_second = refill_per_second;
  limiter->max_keys = max_keys;

  return limiter;
}

void
vigil_rate_limiter_free (VigilRateLimiter *limiter)
{
  if (limiter == NULL)
    return;

  g_hash_table_unref (limiter->buckets);
  g_mutex_clear (&limiter->mutex);
  g_free (limiter);
}

/* A clock that went back grants nothing. */
static double
tokens_at (VigilRateLimiter *limiter,
           const Bucket     *bucket,
           gint64            now_us)
{
  double elapsed_s;

  if (now_us <= bucket->last_us)
    return bucket->tokens;

  /* In doubles: a difference of arbitrary gint64s can overflow. */
  elapsed_s = ((double) now_us - (double) bucket->last_us) / G_USEC_PER_SEC;
  return MIN (limiter->capacity, bucket->tokens + elapsed_s * limiter->refill_per_second);
}

/* last_us keeps the later time after the clock went back, so that the same
 * interval is not credited twice once it moves on. */
static void
refill (VigilRateLimiter *limiter,
        Bucket           *bucket,
        gint64            now_us)
{
  bucket->tokens = tokens_at (limiter, bucket, now_us);
  bucket->last_us = MAX (bucket->last_us, now_us);
}

/* A bucket as pruning sees it: its tokens at the time of pruning, while
 * the bucket itself keeps last_us as the time of its last use. */
typedef struct
{
  Bucket *bucket;
  double  tokens;
} Candidate;

/* Eviction order: the fullest bucket first (it tells least about a client
 * that is being limited), then the one left alone longest. */
static int
compare_eviction (const Candidate *a,
                  const Candidate *b)
{
  if (a->tokens != b->tokens)
    return a->tokens > b->tokens ? -1 : 1;
  if (a->bucket->last_us != b->bucket->last_us)
    return a->bucket->last_us < b->bucket->last_us ? -1 : 1;
  return 0;
}

/* Hoare's FIND: reorders @candidates so that the first @k come first in
 * eviction order, in expected linear time where a sort would not be. */
static void
select_first (Candidate *candidates,
              gsize      n,
              gsize      k)
{
  gsize lo = 0;
  gsize hi = n - 1;
  gsize target = k - 1;

  g_assert (k >= 1 && k <= n);

  while (lo < hi)
    {
      Candidate pivot = candidates[lo + (hi - lo) / 2];
      gsize i = lo;
      gsize j = hi;

      while (i <= j)
        {
          while (compare_eviction (&candidates[i], &pivot) < 0)
            i++;
          while (compare_eviction (&candidates[j], &pivot) > 0)
            j--;
          if (i <= j)
            {
              Candidate tmp = candidates[i];

              candidates[i] = candidates[j];
              candidates[j] = tmp;
              i++;
              /* Unsigned: j would wrap below zero; the partition is done. */
              if (j == 0)
                break;
              j--;
            }
        }

      if (target <= j && j < hi)
        hi = j;
      else if (target >= i)
        lo = i;
      else
        break;
    }
}

/* Runs only when the table is full and then frees a tenth of it, so that
 * its linear cost is spread over the insertions that follow. Buckets are
 * not refilled here, so that last_us still says when each was last used. */
static void
prune (VigilRateLimiter *limiter,
       gint64            now_us)
{
  guint target = limiter->max_keys - MAX (1, limiter->max_keys / 10);
  g_autofree Candidate *candidates = NULL;
  GHashTableIter iter;
  Bucket *bucket;
  guint n = 0;
  guint excess;

  g_hash_table_iter_init (&iter, limiter->buckets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket))
    {
      if (tokens_at (limiter, bucket, now_us) >= limiter->capacity - TOKEN_EPSILON)
        g_hash_table_iter_remove (&iter);
    }

  if (g_hash_table_size (limiter->buckets) <= target)
    return;

  candidates = g_new (Candidate, g_hash_table_size (limiter->buckets));
  g_hash_table_iter_init (&iter, limiter->buckets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket))
    {
      candidates[n].bucket = bucket;
      candidates[n].tokens = tokens_at (limiter, bucket, now_us);
      n++;
    }

  excess = n - target;
  select_first (candidates, n, excess);
  for (guint i = 0; i < excess; i++)
    g_hash_table_remove (limiter->buckets, candidates[i].bucket->key);
}

gboolean
vigil_rate_limiter_take (VigilRateLimiter *limiter,
                         const char       *key,
                         gint64            now_us,
                         guint            *retry_after_s)
{
  g_autoptr(GMutexLocker) locker = NULL;
  Bucket *bucket;
  double wait_s;

  g_return_val_if_fail (limiter != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  locker = g_mutex_locker_new (&limiter->mutex);

  bucket = g_hash_table_lookup (limiter->buckets, key);
  if (bucket == NULL)
    {
      if (g_hash_table_size (limiter->buckets) >= limiter->max_keys)
        prune (limiter, now_us);

      bucket = g_new (Bucket, 1);
      bucket->key = g_strdup (key);
      bucket->tokens = limiter->capacity;
      bucket->last_us = now_us;
      g_hash_table_insert (limiter->buckets, bucket->key, bucket);
    }
  else
    {
      refill (limiter, bucket, now_us);
    }

  if (bucket->tokens >= 1.0 - TOKEN_EPSILON)
    {
      bucket->tokens = MAX (0.0, bucket->tokens - 1.0);
      if (retry_after_s != NULL)
        *retry_after_s = 0;
      return TRUE;
    }

  /* Aim inside the slack so that the advertised wait always suffices. */
  wait_s = ceil ((1.0 - TOKEN_EPSILON / 2 - bucket->tokens) / limiter->refill_per_second);
  if (retry_after_s != NULL)
    *retry_after_s = (guint) CLAMP (wait_s, 1.0, (double) G_MAXUINT);

  return FALSE;
}

guint
vigil_rate_limiter_get_n_keys (VigilRateLimiter *limiter)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (limiter != NULL, 0);

  locker = g_mutex_locker_new (&limiter->mutex);

  return g_hash_table_size (limiter->buckets);
}
