/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sequential test behind persistent deviation (vigil-cusum.h): how
 * often the user's own scores raise it, how fast someone else's do, and
 * that it lets go when the user is back. */
#include "config.h"

#include <math.h>

#include "vigil-cusum.h"
#include "vigil-rng.h"

static void
test_llr (void)
{
  /* Foreign-looking scores add, ordinary ones take away, and one very
   * ordinary score takes away no more than the floor. */
  g_assert_cmpfloat_with_epsilon (vigil_cusum_llr (1.0), log (VIGIL_CUSUM_SHAPE), 1e-12);
  g_assert_cmpfloat (vigil_cusum_llr (0.9), >, 1.0);
  g_assert_cmpfloat (fabs (vigil_cusum_llr (pow (1 / VIGIL_CUSUM_SHAPE, 1 / (VIGIL_CUSUM_SHAPE - 1)))), <, 1e-9);
  g_assert_cmpfloat (vigil_cusum_llr (0.5), <, -2.0);
  g_assert_cmpfloat (vigil_cusum_llr (0.0), ==, VIGIL_CUSUM_FLOOR);
  g_assert_cmpfloat (vigil_cusum_llr (-3.0), ==, VIGIL_CUSUM_FLOOR);
  /* Beyond enrollment, or not a number at all: as foreign as it gets. */
  g_assert_cmpfloat (vigil_cusum_llr (7.0), ==, vigil_cusum_llr (1.0));
  g_assert_cmpfloat (vigil_cusum_llr (NAN), ==, vigil_cusum_llr (1.0));
}

/* The user's calibrated scores are uniform; count how often they start an
 * alarm. */
static void
test_false_alarms (void)
{
  const guint n = 2000000;
  VigilCusum cusum = { 0 };
  VigilRng rng;
  gboolean alarmed = FALSE;
  guint onsets = 0;
  double rate;

  vigil_rng_init (&rng, 42);
  for (guint i = 0; i < n; i++)
    {
      gboolean alarm = vigil_cusum_add (&cusum, vigil_rng_double (&rng));

      onsets += alarm && !alarmed;
      alarmed = alarm;
    }
  rate = (double) onsets / n;
  g_test_message ("uniform scores: %u alarms in %u scores (one per %.0f)", onsets, n, n / MAX (onsets, 1.0));
  /* About e^-8 per excursion, excursions at about a quarter of the
   * scores: near 1e-4 (the floor adds a little). Measured: one per 9,259. */
  g_assert_cmpfloat (rate, <, 1.5e-4);
  g_assert_cmpfloat (rate, >, 0.2e-4);
}

/* The owner, then someone whose scores follow the alternative the test is
 * built for (Beta (8, 1): p = u^(1/8)). */
static void
test_detects_a_change (void)
{
  const guint trials = 2000;
  VigilRng rng;
  guint detected_within_10 = 0, before = 0;
  double delay_sum = 0;

  vigil_rng_init (&rng, 7);
  for (guint t = 0; t < trials; t++)
    {
      VigilCusum cusum = { 0 };
      guint delay = 0;

      for (guint i = 0; i < 20; i++)
        before += vigil_cusum_add (&cusum, vigil_rng_double (&rng));
      while (!vigil_cusum_add (&cusum, pow (vigil_rng_double (&rng), 1 / VIGIL_CUSUM_SHAPE)))
        delay++;
      delay++;
      delay_sum += delay;
      detected_within_10 += delay <= 10;
    }
  g_test_message ("mean delay %.2f scores; within 10: %u of %u", delay_sum / trials, detected_within_10, trials);
  g_assert_cmpfloat (delay_sum / trials, <, 8.0);
  g_assert_cmpuint (detected_within_10, >=, trials * 9 / 10);
  g_assert_cmpuint (before, <, trials / 50);
}

static void
test_resets_and_counts_the_run (void)
{
  VigilCusum cusum = { 0 };

  for (guint i = 0; i < 3; i++)
    g_assert_false (vigil_cusum_add (&cusum, 0.999));
  g_assert_cmpuint (cusum.run, ==, 3);
  g_assert_true (vigil_cusum_add (&cusum, 0.999));
  g_assert_cmpuint (cusum.run, ==, 4);

  /* One ordinary action among foreign ones: the alarm holds. */
  vigil_cusum_add (&cusum, 0.999);
  vigil_cusum_add (&cusum, 0.999);
  g_assert_true (vigil_cusum_add (&cusum, 0.05));
  g_assert_cmpuint (cusum.run, ==, 7);

  /* The owner back: a few ordinary actions end it, and the run too. */
  for (guint i = 0; i < 3; i++)
    vigil_cusum_add (&cusum, 0.4);
  g_assert_false (vigil_cusum_alarm (&cusum));
  g_assert_cmpfloat (cusum.statistic, ==, 0);
  g_assert_cmpuint (cusum.run, ==, 0);

  /* Pairs of extreme actions among ordinary ones never add up. */
  for (guint i = 0; i < 200; i++)
    g_assert_false (vigil_cusum_add (&cusum, i % 5 < 2 ? 0.999 : 0.5));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cusum/llr", test_llr);
  g_test_add_func ("/cusum/false-alarms", test_false_alarms);
  g_test_add_func ("/cusum/detects-a-change", test_detects_a_change);
  g_test_add_func ("/cusum/resets-and-counts-the-run", test_resets_and_counts_the_run);
  return g_test_run ();
}
