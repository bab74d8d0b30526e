/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Token buckets driven by a made-up clock: refills, advertised waits, a
 * clock that goes back, and the bound on memory under many keys. */
#include "config.h"

#include "vigil-rate-limiter.h"

#define SECOND G_GINT64_CONSTANT (1000000)
#define T0     (G_GINT64_CONSTANT (1000) * SECOND)

static void
drain (VigilRateLimiter *limiter,
       const char       *key,
       gint64            now_us,
       guint             n)
{
  for (guint i = 0; i < n; i++)
    {
      guint retry_after = G_MAXUINT;

      g_assert_true (vigil_rate_limiter_take (limiter, key, now_us, &retry_after));
      g_assert_cmpuint (retry_after, ==, 0);
    }
}

static guint
assert_refused (VigilRateLimiter *limiter,
                const char       *key,
                gint64            now_us)
{
  guint retry_after = 0;

  g_assert_false (vigil_rate_limiter_take (limiter, key, now_us, &retry_after));
  g_assert_cmpuint (retry_after, >=, 1);

  return retry_after;
}

static void
test_capacity_then_refill (void)
{
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (5, 0.5, 100);

  drain (limiter, "client", T0, 5);
  /* Empty at half a token a second: two seconds to the next. */
  g_assert_cmpuint (assert_refused (limiter, "client", T0), ==, 2);
  /* Half a token back: one more second. */
  g_assert_cmpuint (assert_refused (limiter, "client", T0 + 1 * SECOND), ==, 1);
  g_assert_cmpuint (assert_refused (limiter, "client", T0 + 2 * SECOND - 1), ==, 1);
  drain (limiter, "client", T0 + 2 * SECOND, 1);
  g_assert_cmpuint (assert_refused (limiter, "client", T0 + 2 * SECOND), ==, 2);

  /* Refill stops at capacity however long the wait. */
  drain (limiter, "client", T0 + 3600 * SECOND, 5);
  assert_refused (limiter, "client", T0 + 3600 * SECOND);
  g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), ==, 1);

  /* The retry time is optional. */
  g_assert_false (vigil_rate_limiter_take (limiter, "client", T0 + 3600 * SECOND, NULL));
}

static void
test_retry_after_rounds_up (void)
{
  g_autoptr(VigilRateLimiter) fast = vigil_rate_limiter_new (3, 3, 10);
  g_autoptr(VigilRateLimiter) slow = vigil_rate_limiter_new (1, 0.1, 10);

  drain (fast, "k", T0, 3);
  /* A third of a second rounds up to a whole one. */
  g_assert_cmpuint (assert_refused (fast, "k", T0), ==, 1);

  drain (slow, "k", T0, 1);
  g_assert_cmpuint (assert_refused (slow, "k", T0), ==, 10);
  g_assert_cmpuint (assert_refused (slow, "k", T0 + 4 * SECOND), ==, 6);
  g_assert_cmpuint (assert_refused (slow, "k", T0 + 9 * SECOND + SECOND / 2), ==, 1);
  drain (slow, "k", T0 + 10 * SECOND, 1);
}

/* Whatever the rate and however the refills were split, waiting the
 * advertised time is always enough, and one second less never is. */
static void
test_retry_after_is_enough (void)
{
  const double rates[] = { 0.1, 0.3, 1.0 / 3.0, 0.7, 1, 2.5, 7 };

  for (guint r = 0; r < G_N_ELEMENTS (rates); r++)
    {
      g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (2, rates[r], 10);
      gint64 now = T0;

      drain (limiter, "k", now, 2);
      for (guint round = 0; round < 50; round++)
        {
          guint retry_after;

          /* Probe at odd moments so that refills come in uneven pieces. */
          now += (round % 7) * 37 * 1000;
          if (!vigil_rate_limiter_take (limiter, "k", now, &retry_after))
            {
              if (retry_after > 1)
                assert_refused (limiter, "k", now + (retry_after - 1) * SECOND);
              now += retry_after * SECOND;
              drain (limiter, "k", now, 1);
            }
        }
    }
}

static void
test_keys_are_independent (void)
{
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (5, 1, 100);

  drain (limiter, "10.0.0.1", T0, 5);
  assert_refused (limiter, "10.0.0.1", T0);
  drain (limiter, "10.0.0.2", T0, 5);
  assert_refused (limiter, "10.0.0.2", T0);
  drain (limiter, "", T0, 5);
  g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), ==, 3);
}

static void
test_clock_goes_back (void)
{
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (5, 1, 100);

  drain (limiter, "k", T0, 2);
  /* Earlier times grant nothing but do spend what is left. */
  drain (limiter, "k", T0 - 60 * SECOND, 3);
  assert_refused (limiter, "k", T0 - 60 * SECOND);
  assert_refused (limiter, "k", 0);
  assert_refused (limiter, "k", G_MININT64);
  /* Back at T0 the minute in between is not credited. */
  assert_refused (limiter, "k", T0);
  drain (limiter, "k", T0 + 1 * SECOND, 1);
  assert_refused (limiter, "k", T0 + 1 * SECOND);

  /* The extremes of the clock neither overflow nor crash. */
  drain (limiter, "edge", G_MININT64, 5);
  assert_refused (limiter, "edge", G_MININT64);
  drain (limiter, "edge", G_MAXINT64, 5);
  assert_refused (limiter, "edge", G_MAXINT64);
  assert_refused (limiter, "edge", G_MININT64);
}

static void
test_bounded_keys (void)
{
  const guint max_keys = 1000;
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (5, 0.1, max_keys);
  guint n_newcomers;
  guint n_before;

  drain (limiter, "active", T0, 5);

  /* Each new key keeps 4 of 5 tokens: all fuller than the drained one. */
  for (guint i = 0; i < 10000; i++)
    {
      char key[32];

      g_snprintf (key, sizeof key, "198.51.%u.%u", i / 256, i % 256);
      drain (limiter, key, T0, 1);
      g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), <=, max_keys);
    }
  g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), >=, max_keys * 8 / 10);

  /* A fresh bucket would let five through: the drained one was kept. */
  assert_refused (limiter, "active", T0);

  /* Ten seconds on, the first 10,000 are full again and carry no
   * information: the next pruning drops them all, and keeps the active
   * key, which has one token back, and the newcomers, which have four. */
  n_newcomers = 0;
  do
    {
      char key[32];

      n_before = vigil_rate_limiter_get_n_keys (limiter);
      g_snprintf (key, sizeof key, "203.0.113.%u", n_newcomers++);
      drain (limiter, key, T0 + 10 * SECOND, 1);
    }
  while (vigil_rate_limiter_get_n_keys (limiter) > n_before);
  g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), ==, n_newcomers + 1);
  drain (limiter, "active", T0 + 10 * SECOND, 1);
  assert_refused (limiter, "active", T0 + 10 * SECOND);
}

static void
test_eviction_ties_oldest_first (void)
{
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (1, 1, 10);
  char key[16];

  /* Ten empty buckets, last used one second apart. */
  for (guint i = 0; i < 10; i++)
    {
      g_snprintf (key, sizeof key, "key-%u", i);
      drain (limiter, key, T0 + i * SECOND, 1);
    }

  /* Seen from before all of them, every bucket is equally empty: the
   * one left alone longest goes. */
  drain (limiter, "late", 0, 1);
  g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), ==, 10);
  for (guint i = 1; i < 10; i++)
    {
      g_snprintf (key, sizeof key, "key-%u", i);
      assert_refused (limiter, key, 0);
    }
  drain (limiter, "key-0", 0, 1);
}

static void
test_max_keys_one (void)
{
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (2, 1, 1);

  drain (limiter, "a", T0, 2);
  drain (limiter, "b", T0, 2);
  g_assert_cmpuint (vigil_rate_limiter_get_n_keys (limiter), ==, 1);
  assert_refused (limiter, "b", T0);
}

typedef struct
{
  VigilRateLimiter *limiter;
  gint              granted;
} Shared;

static void
take_from_thread_cb (gpointer data,
                     gpointer user_data)
{
  Shared *shared = user_data;

  if (vigil_rate_limiter_take (shared->limiter, "shared", T0, NULL))
    g_atomic_int_inc (&shared->granted);
}

static void
test_threads (void)
{
  g_autoptr(VigilRateLimiter) limiter = vigil_rate_limiter_new (100, 1, 10);
  Shared shared = { limiter, 0 };
  GThreadPool *pool;

  pool = g_thread_pool_new (take_from_thread_cb, &shared, 8, FALSE, NULL);
  for (guint i = 0; i < 1000; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);

  g_assert_cmpint (shared.granted, ==, 100);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rate-limiter/capacity-then-refill", test_capacity_then_refill);
  g_test_add_func ("/rate-limiter/retry-after/rounds-up", test_retry_after_rounds_up);
  g_test_add_func ("/rate-limiter/retry-after/is-enough", test_retry_after_is_enough);
  g_test_add_func ("/rate-limiter/independent-keys", test_keys_are_independent);
  g_test_add_func ("/rate-limiter/clock-goes-back", test_clock_goes_back);
  g_test_add_func ("/rate-limiter/bounded-keys", test_bounded_keys);
  g_test_add_func ("/rate-limiter/eviction-ties-oldest-first", test_eviction_ties_oldest_first);
  g_test_add_func ("/rate-limiter/max-keys-one", test_max_keys_one);
  g_test_add_func ("/rate-limiter/threads", test_threads);

  return g_test_run ();
}
