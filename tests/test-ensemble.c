/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-ensemble.h"
#include "vigil-rng.h"

#define D 31

static const VigilDetectorKind all_kinds[] = {
  VIGIL_DETECTOR_IFOREST,
  VIGIL_DETECTOR_MANHATTAN,
  VIGIL_DETECTOR_MAHALANOBIS_NN,
  VIGIL_DETECTOR_LOGISTIC,
};

/* A synthetic typist, as in test-detectors.c: timings in seconds around a
 * population, typists about one of their own deviations apart. */
typedef struct
{
  double mean[D];
  double sd[D];
} Typist;

static void
typist_init (Typist   *typist,
             VigilRng *rng)
{
  for (guint j = 0; j < D; j++)
    {
      typist->sd[j] = 0.015 + 0.02 * vigil_rng_double (rng);
      typist->mean[j] = 0.08 + 0.01 * j + 0.02 * vigil_rng_gaussian (rng);
    }
}

static double *
typist_sample (const Typist *typist,
               VigilRng     *rng,
               gsize         n)
{
  double *rows = g_new (double, n * D);

  for (gsize i = 0; i < n; i++)
    for (guint j = 0; j < D; j++)
      rows[i * D + j] = typist->mean[j] + typist->sd[j] * vigil_rng_gaussian (rng);
  return rows;
}

typedef struct
{
  Typist  user;
  Typist  impostor;
  gsize   n, m;
  double *enrollment;
  double *negatives;    /* ten other typists, forty vectors each */
  VigilEnsemble *ensemble;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  VigilDetectorParams params;
  VigilRng rng;

  vigil_rng_init (&rng, 2024);
  typist_init (&f->user, &rng);
  typist_init (&f->impostor, &rng);
  f->n = 200;
  f->m = 400;
  f->enrollment = typist_sample (&f->user, &rng, f->n);
  f->negatives = g_new (double, f->m * D);
  for (gsize o = 0; o < 10; o++)
    {
      g_autofree double *rows = NULL;
      Typist other;

      typist_init (&other, &rng);
      rows = typist_sample (&other, &rng, 40);
      memcpy (&f->negatives[o * 40 * D], rows, 40 * D * sizeof (double));
    }

  vigil_detector_params_init (&params);
  params.seed = 7;
  f->ensemble = vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds),
                                      f->enrollment, f->n, f->negatives, f->m, D,
                                      &params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->ensemble);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->ensemble, vigil_ensemble_free);
  g_free (f->enrollment);
  g_free (f->negatives);
}

static void
test_members (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(VigilEnsemble) one_class = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (vigil_ensemble_get_n_members (f->ensemble), ==, G_N_ELEMENTS (all_kinds));
  g_assert_cmpuint (vigil_ensemble_get_dimension (f->ensemble), ==, D);
  for (guint i = 0; i < G_N_ELEMENTS (all_kinds); i++)
    {
      const VigilDetector *member = vigil_ensemble_get_member (f->ensemble, i);

      g_assert_cmpint (vigil_detector_get_kind (member), ==, all_kinds[i]);
      g_assert_cmpuint (vigil_detector_get_dimension (member), ==, D);
    }

  /* Without other users' vectors the discriminative member sits out. */
  one_class = vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds),
                                    f->enrollment, f->n, NULL, 0, D, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_ensemble_get_n_members (one_class), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (vigil_detector_get_kind (vigil_ensemble_get_member (one_class, i)), ==, all_kinds[i]);
}

static void
test_enrollment_size (Fixture       *f,
                      gconstpointer  data)
{
  const VigilDetectorKind logistic = VIGIL_DETECTOR_LOGISTIC;
  g_autoptr(GError) error = NULL;

  g_assert_null (vigil_ensemble_train (&logistic, 1, f->enrollment, f->n, NULL, 0, D, NULL, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
  g_clear_error (&error);

  /* Five folds need five vectors; the profiles' minimum of eight works. */
  g_assert_null (vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds),
                                       f->enrollment, 4, f->negatives, f->m, D, NULL, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
  g_clear_error (&error);
  for (gsize n = 5; n <= 8; n++)
    {
      g_autoptr(VigilEnsemble) small = vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds),
                                                             f->enrollment, n, f->negatives, f->m, D,
                                                             NULL, &error);
      g_autofree double *rows = NULL;
      VigilRng rng;

      g_assert_no_error (error);
      g_assert_cmpuint (vigil_ensemble_get_n_members (small), ==, G_N_ELEMENTS (all_kinds));
      vigil_rng_init (&rng, n);
      rows = typist_sample (&f->impostor, &rng, 1);
      g_assert_cmpfloat (vigil_ensemble_score (small, rows, NULL), >=, 0);
      g_assert_cmpfloat (vigil_ensemble_score (small, rows, NULL), <=, 1);
    }
}

/* The calibration's defining property: scores are the user's own
 * percentiles, so fresh genuine vectors calibrate roughly uniformly on
 * [0, 1], each member flagging about 5% of them above 0.95. Roughly: a
 * percentile estimated from 200 vectors is itself uncertain (the share
 * above 0.95 has a standard error of about 1.5 points), and the final
 * members, trained on all 200 rather than 160, fit the user a little
 * more tightly than the fold members that produced the table, so the
 * error leans towards fewer false alarms. */
static void
test_calibration_uniform (Fixture       *f,
                          gconstpointer  data)
{
  guint n_members = vigil_ensemble_get_n_members (f->ensemble);
  g_autofree double *fresh = NULL;
  g_autofree double *sum = g_new0 (double, n_members);
  g_autofree guint *above = g_new0 (guint, n_members);
  double combined = 0, mean_share = 0;
  gsize count = 2000;
  VigilRng rng;

  vigil_rng_init (&rng, 99);
  fresh = typist_sample (&f->user, &rng, count);
  for (gsize i = 0; i < count; i++)
    {
      double members[G_N_ELEMENTS (all_kinds)];

      combined += vigil_ensemble_score (f->ensemble, &fresh[i * D], members);
      for (guint k = 0; k < n_members; k++)
        {
          g_assert_cmpfloat (members[k], >=, 0);
          g_assert_cmpfloat (members[k], <=, 1);
          sum[k] += members[k];
          above[k] += members[k] > 0.95;
        }
    }

  for (guint k = 0; k < n_members; k++)
    {
      double mean = sum[k] / count, share = (double) above[k] / count;

      g_test_message ("%s: mean %.3f, %.1f%% above 0.95",
                      vigil_detector_kind_to_string (all_kinds[k]), mean, 100 * share);
      g_assert_cmpfloat (mean, >, 0.4);
      g_assert_cmpfloat (mean, <, 0.6);
      g_assert_cmpfloat (share, >, 0.01);
      g_assert_cmpfloat (share, <, 0.10);
      mean_share += share / n_members;
    }
  g_assert_cmpfloat (mean_share, >, 0.025);
  g_assert_cmpfloat (mean_share, <, 0.075);
  combined /= count;
  g_test_message ("combined: mean %.3f", combined);
  g_assert_cmpfloat (combined, >, 0.4);
  g_assert_cmpfloat (combined, <, 0.6);
}

/* Another typist scores high, and a vector far from anything in
 * enrollment calibrates close to 1 in every member. */
static void
test_calibration_impostors (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree double *genuine = NULL;
  g_autofree double *attempts = NULL;
  double members[G_N_ELEMENTS (all_kinds)];
  double far[D], wins = 0, score;
  gsize count = 200;
  VigilRng rng;

  vigil_rng_init (&rng, 5);
  genuine = typist_sample (&f->user, &rng, count);
  attempts = typist_sample (&f->impostor, &rng, count);
  for (gsize a = 0; a < count; a++)
    {
      double s = vigil_ensemble_score (f->ensemble, &attempts[a * D], NULL);

      for (gsize g = 0; g < count; g++)
        {
          double t = vigil_ensemble_score (f->ensemble, &genuine[g * D], NULL);

          wins += s > t ? 1 : s == t ? 0.5 : 0;
        }
    }
  g_test_message ("ensemble AUC %.4f", wins / (count * count));
  g_assert_cmpfloat (wins / (count * count), >, 0.95);

  /* Every feature 20 of the user's deviations off, alternately up and
   * down. */
  for (guint j = 0; j < D; j++)
    far[j] = f->user.mean[j] + (j % 2 ? 20 : -20) * f->user.sd[j];
  score = vigil_ensemble_score (f->ensemble, far, members);
  for (guint k = 0; k < vigil_ensemble_get_n_members (f->ensemble); k++)
    g_assert_cmpfloat (members[k], >, 0.99);
  g_assert_cmpfloat (score, >, 0.99);
  g_assert_cmpfloat (score, <=, 1);
}

typedef struct
{
  double raw;
  double calibrated;
} Pair;

static int
compare_raw (const void *a,
             const void *b)
{
  double x = ((const Pair *) a)->raw, y = ((const Pair *) b)->raw;

  return (x > y) - (x < y);
}

/* Calibration is a monotone map of each member's raw score, and beyond the
 * largest enrollment score it keeps increasing rather than saturating:
 * farther stays more anomalous. */
static void
test_calibration_monotone (Fixture       *f,
                           gconstpointer  data)
{
  guint n_members = vigil_ensemble_get_n_members (f->ensemble);
  gsize per = 300, steps = 400, total = 2 * per + steps;
  g_autofree double *points = g_new (double, total * D);
  g_autofree double *calibrated = g_new (double, total * n_members);
  g_autofree Pair *pairs = g_new (Pair, total);
  VigilRng rng;
  guint tail_steps = 0;

  /* The user, the impostor, and a ray from the user's mean outwards. */
  vigil_rng_init (&rng, 17);
  {
    g_autofree double *genuine = typist_sample (&f->user, &rng, per);
    g_autofree double *attempts = typist_sample (&f->impostor, &rng, per);

    memcpy (points, genuine, per * D * sizeof (double));
    memcpy (&points[per * D], attempts, per * D * sizeof (double));
  }
  for (gsize s = 0; s < steps; s++)
    for (guint j = 0; j < D; j++)
      points[(2 * per + s) * D + j] = f->user.mean[j] + 0.05 * s * f->user.sd[j];

  for (gsize i = 0; i < total; i++)
    vigil_ensemble_score (f->ensemble, &points[i * D], &calibrated[i * n_members]);

  for (guint k = 0; k < n_members; k++)
    {
      const VigilDetector *member = vigil_ensemble_get_member (f->ensemble, k);

      for (gsize i = 0; i < total; i++)
        {
          pairs[i].raw = vigil_detector_score (member, &points[i * D]);
          pairs[i].calibrated = calibrated[i * n_members + k];
        }
      qsort (pairs, total, sizeof (Pair), compare_raw);
      for (gsize i = 1; i < total; i++)
        {
          g_assert_cmpfloat (pairs[i].calibrated, >=, pairs[i - 1].calibrated);
          /* Past the last enrollment knot (at 1 - 1/200) the exponential
           * tail orders distinct raw scores strictly, until the
           * difference from 1 underflows. */
          if (pairs[i - 1].calibrated > 0.995 && pairs[i].raw > pairs[i - 1].raw
              && pairs[i - 1].calibrated < 1 - 1e-12)
            {
              g_assert_cmpfloat (pairs[i].calibrated, >, pairs[i - 1].calibrated);
              tail_steps++;
            }
        }
    }
  g_test_message ("%u ordered steps in the tails", tail_steps);
  g_assert_cmpuint (tail_steps, >=, 20);
}

/* The combination is the weighted mean of the calibrated members, the
 * discriminative one counting twice. */
static void
test_combination (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree double *rows = NULL;
  VigilRng rng;

  vigil_rng_init (&rng, 3);
  rows = typist_sample (&f->impostor, &rng, 20);
  for (gsize i = 0; i < 20; i++)
    {
      double members[G_N_ELEMENTS (all_kinds)];
      double score = vigil_ensemble_score (f->ensemble, &rows[i * D], members);
      double expected = (members[0] + members[1] + members[2] + 2 * members[3]) / 5;

      g_assert_cmpfloat_with_epsilon (score, expected, 1e-12);
    }
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(VigilEnsemble) loaded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *rows = NULL;
  VigilRng rng;

  bytes = vigil_ensemble_serialize (f->ensemble);
  loaded = vigil_ensemble_deserialize (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_ensemble_get_n_members (loaded), ==, G_N_ELEMENTS (all_kinds));
  g_assert_cmpuint (vigil_ensemble_get_dimension (loaded), ==, D);

  vigil_rng_init (&rng, 12);
  rows = typist_sample (&f->user, &rng, 50);
  for (gsize i = 0; i < 50; i++)
    {
      double a[G_N_ELEMENTS (all_kinds)], b[G_N_ELEMENTS (all_kinds)];

      g_assert_cmpfloat (vigil_ensemble_score (loaded, &rows[i * D], a), ==,
                         vigil_ensemble_score (f->ensemble, &rows[i * D], b));
      for (guint k = 0; k < G_N_ELEMENTS (all_kinds); k++)
        g_assert_cmpfloat (a[k], ==, b[k]);
    }

  again = vigil_ensemble_serialize (loaded);
  g_assert_true (g_bytes_equal (bytes, again));
}

static void
test_deterministic (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(VigilEnsemble) same = NULL;
  g_autoptr(VigilEnsemble) other = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) same_bytes = NULL;
  g_autoptr(GBytes) other_bytes = NULL;
  g_autoptr(GError) error = NULL;
  VigilDetectorParams params;

  vigil_detector_params_init (&params);
  params.seed = 7;
  same = vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds), f->enrollment, f->n,
                               f->negatives, f->m, D, &params, &error);
  g_assert_no_error (error);
  params.seed = 8;
  other = vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds), f->enrollment, f->n,
                                f->negatives, f->m, D, &params, &error);
  g_assert_no_error (error);

  bytes = vigil_ensemble_serialize (f->ensemble);
  same_bytes = vigil_ensemble_serialize (same);
  other_bytes = vigil_ensemble_serialize (other);
  g_assert_true (g_bytes_equal (bytes, same_bytes));
  g_assert_false (g_bytes_equal (bytes, other_bytes));
}

static void
assert_refused (const guint8 *data,
                gsize         len,
                gboolean      allow_unsupported)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEnsemble) loaded = vigil_ensemble_deserialize (bytes, &error);

  g_assert_null (loaded);
  if (allow_unsupported && g_error_matches (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED))
    return;
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
}

/* A small ensemble, so that every prefix and every flipped byte can be
 * tried: all fail cleanly, the flips thanks to the checksum. */
static void
test_corrupt (void)
{
  g_autoptr(VigilEnsemble) ensemble = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree double *genuine = g_new (double, 20 * 3);
  g_autofree double *negatives = g_new (double, 20 * 3);
  g_autofree guint8 *copy = NULL;
  VigilDetectorParams params;
  const guint8 *blob;
  gsize len;
  VigilRng rng;

  vigil_rng_init (&rng, 1);
  for (guint i = 0; i < 60; i++)
    {
      genuine[i] = vigil_rng_gaussian (&rng);
      negatives[i] = 2 + vigil_rng_gaussian (&rng);
    }
  vigil_detector_params_init (&params);
  params.trees = 2;
  params.subsample = 8;
  ensemble = vigil_ensemble_train (all_kinds, G_N_ELEMENTS (all_kinds), genuine, 20,
                                   negatives, 20, 3, &params, &error);
  g_assert_no_error (error);
  bytes = vigil_ensemble_serialize (ensemble);
  blob = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (blob, 4, "VGEN", 4);

  for (gsize cut = 0; cut < len; cut++)
    assert_refused (blob, cut, FALSE);

  copy = g_memdup2 (blob, len);
  for (gsize i = 0; i < len; i++)
    {
      copy[i] ^= 1 << (i % 8);
      /* Bytes 4 to 7 hold the format version. */
      assert_refused (copy, len, i >= 4 && i < 8);
      copy[i] = blob[i];
    }

  /* One byte too many is also a broken checksum; either way, refused. */
  copy = g_realloc (copy, len + 1);
  copy[len] = 0;
  assert_refused (copy, len + 1, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/ml/ensemble/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("members", test_members);
  ADD ("enrollment-size", test_enrollment_size);
  ADD ("calibration/uniform", test_calibration_uniform);
  ADD ("calibration/impostors", test_calibration_impostors);
  ADD ("calibration/monotone", test_calibration_monotone);
  ADD ("combination", test_combination);
  ADD ("round-trip", test_round_trip);
  ADD ("deterministic", test_deterministic);
#undef ADD
  g_test_add_func ("/ml/ensemble/corrupt", test_corrupt);

  return g_test_run ();
}
