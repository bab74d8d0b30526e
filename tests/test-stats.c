/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "vigil-stats.h"

static void
test_running_stats_matches_two_pass (void)
{
  const double values[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
  VigilRunningStats stats;

  vigil_running_stats_init (&stats);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    vigil_running_stats_add (&stats, values[i]);

  g_assert_cmpuint (stats.count, ==, 8);
  g_assert_cmpfloat_with_epsilon (stats.mean, 5.0, 1e-12);
  /* Sample variance: 32 / 7. */
  g_assert_cmpfloat_with_epsilon (vigil_running_stats_variance (&stats), 32.0 / 7.0, 1e-12);
  g_assert_cmpfloat (stats.min, ==, 2);
  g_assert_cmpfloat (stats.max, ==, 9);
}

static void
test_running_stats_is_stable_with_large_offsets (void)
{
  VigilRunningStats stats;

  /* A naive sum of squares loses every digit here. */
  vigil_running_stats_init (&stats);
  for (int i = 0; i < 1000; i++)
    vigil_running_stats_add (&stats, 1e9 + (i % 2));

  g_assert_cmpfloat_with_epsilon (stats.mean, 1e9 + 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (vigil_running_stats_variance (&stats), 0.25 * 1000 / 999, 1e-6);
}

static void
test_quantiles_interpolate (void)
{
  double values[] = { 40, 10, 30, 20 };

  g_assert_cmpfloat_with_epsilon (vigil_stats_quantile (values, 4, 0.0), 10, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_stats_quantile (values, 4, 1.0), 40, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_stats_quantile (values, 4, 0.5), 25, 1e-12);
  /* Type 7: position 0.05 * 3 = 0.15 between 10 and 20. */
  g_assert_cmpfloat_with_epsilon (vigil_stats_quantile (values, 4, 0.05), 11.5, 1e-12);
  g_assert_true (isnan (vigil_stats_quantile (values, 0, 0.5)));
}

static void
test_mad_ignores_outliers (void)
{
  double values[] = { 1, 1, 2, 2, 4, 6, 9 };
  double with_outlier[] = { 1, 1, 2, 2, 4, 6, 9000 };

  g_assert_cmpfloat_with_epsilon (vigil_stats_mad (values, G_N_ELEMENTS (values)), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_stats_mad (with_outlier, G_N_ELEMENTS (with_outlier)), 1, 1e-12);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ml/stats/running/two-pass", test_running_stats_matches_two_pass);
  g_test_add_func ("/ml/stats/running/stable", test_running_stats_is_stable_with_large_offsets);
  g_test_add_func ("/ml/stats/quantile", test_quantiles_interpolate);
  g_test_add_func ("/ml/stats/mad", test_mad_ignores_outliers);

  return g_test_run ();
}
