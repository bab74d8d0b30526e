/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The isolation forest against hand-computed path lengths, its blobs
 * against truncation and corruption, and its ranking of synthetic
 * impostors; also the detectors' shared framing and byte order. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-detector-private.h"
#include "vigil-iforest-private.h"
#include "vigil-rng.h"

#define D 31

/* n rows of d standard normals, features [0, shifted) moved by @shift. */
static double *
gaussian_rows (VigilRng *rng,
               gsize     n,
               gsize     d,
               gsize     shifted,
               double    shift)
{
  double *rows = g_new (double, n * d);

  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < d; j++)
      rows[i * d + j] = vigil_rng_gaussian (rng) + (j < shifted ? shift : 0);
  return rows;
}

static VigilDetector *
train_forest (const double *rows,
              gsize         n,
              gsize         d,
              guint         trees,
              guint         subsample,
              guint64       seed)
{
  g_autoptr(GError) error = NULL;
  VigilDetectorParams params;
  VigilDetector *forest;

  vigil_detector_params_init (&params);
  params.trees = trees;
  params.subsample = subsample;
  params.seed = seed;
  forest = vigil_detector_train (VIGIL_DETECTOR_IFOREST, rows, n, NULL, 0, d, &params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (forest);
  return forest;
}

static void
assert_bytes_equal (GBytes *a,
                    GBytes *b)
{
  gsize len_a, len_b;
  const guint8 *da = g_bytes_get_data (a, &len_a);
  const guint8 *db = g_bytes_get_data (b, &len_b);

  g_assert_cmpmem (da, len_a, db, len_b);
}

static void
test_params_and_kinds (void)
{
  VigilDetectorParams params;
  VigilDetectorKind kind;
  const char *names[] = { "iforest", "manhattan", "mahalanobis", "logistic" };

  vigil_detector_params_init (&params);
  g_assert_cmpuint (params.trees, ==, 100);
  g_assert_cmpuint (params.subsample, ==, 256);
  g_assert_cmpfloat (params.l2, ==, 1e-2);
  g_assert_cmpuint (params.seed, ==, 42);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_cmpstr (vigil_detector_kind_to_string ((VigilDetectorKind) i), ==, names[i]);
      g_assert_true (vigil_detector_kind_from_string (names[i], &kind));
      g_assert_cmpint (kind, ==, i);
    }
  g_assert_false (vigil_detector_kind_from_string ("forest", &kind));
  g_assert_false (vigil_detector_kind_from_string ("", NULL));
}

static void
test_byte_order (void)
{
  /* 1.0 is 0x3FF0000000000000, written lowest byte first. */
  const guint8 expected[] = {
    0x01, 0x04, 0x03, 0x02, 0x01,
    0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,
  };
  g_autoptr(GBytes) bytes = NULL;
  VigilMlWriter writer;
  VigilMlReader reader;
  guint8 u8;
  guint32 u32;
  guint64 u64;
  double value;
  gsize len;
  const guint8 *data;

  vigil_ml_writer_init (&writer);
  vigil_ml_writer_u8 (&writer, 1);
  vigil_ml_writer_u32 (&writer, 0x01020304);
  vigil_ml_writer_u64 (&writer, G_GUINT64_CONSTANT (0x0102030405060708));
  vigil_ml_writer_double (&writer, 1.0);
  bytes = vigil_ml_writer_finish (&writer);
  vigil_ml_writer_clear (&writer);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, expected, sizeof expected);

  vigil_ml_reader_init (&reader, data, len);
  g_assert_true (vigil_ml_reader_u8 (&reader, &u8));
  g_assert_true (vigil_ml_reader_u32 (&reader, &u32));
  g_assert_true (vigil_ml_reader_u64 (&reader, &u64));
  g_assert_true (vigil_ml_reader_double (&reader, &value));
  g_assert_cmpuint (u8, ==, 1);
  g_assert_cmphex (u32, ==, 0x01020304);
  g_assert_cmphex (u64, ==, G_GUINT64_CONSTANT (0x0102030405060708));
  g_assert_cmpfloat (value, ==, 1.0);
  g_assert_cmpuint (vigil_ml_reader_remaining (&reader), ==, 0);
  g_assert_true (vigil_ml_reader_ok (&reader, NULL));

  /* Past the end: FALSE, zeroed output, and the failure sticks. */
  u32 = 7;
  g_assert_false (vigil_ml_reader_u32 (&reader, &u32));
  g_assert_cmpuint (u32, ==, 0);
  g_assert_false (vigil_ml_reader_ok (&reader, NULL));

  /* A count that cannot fit in what is left fails before any allocation:
   * 0x04030201 elements of 8 bytes after byte 1. */
  vigil_ml_reader_init (&reader, data + 1, len - 1);
  g_assert_false (vigil_ml_reader_count (&reader, 8, &u32));
  g_assert_cmpuint (u32, ==, 0);
  vigil_ml_reader_init (&reader, data + 1, len - 1);
  g_assert_true (vigil_ml_reader_count (&reader, 0, &u32));
  g_assert_cmphex (u32, ==, 0x01020304);
}

static void
test_c (void)
{
  /* c(n) = 2 H(n - 1) - 2 (n - 1) / n, H(i) = ln i + 0.5772156649:
   * c(3)   = 2 (ln 2 + γ) - 4/3     = 2 (0.6931471806 + 0.5772156649) - 1.3333333333
   *        = 2.5407256910 - 1.3333333333 = 1.2073923577
   * c(4)   = 2 (ln 3 + γ) - 6/4     = 2 (1.0986122887 + 0.5772156649) - 1.5
   *        = 3.3516559072 - 1.5 = 1.8516559072
   * c(8)   = 2 (ln 7 + γ) - 14/8    = 2 (1.9459101491 + 0.5772156649) - 1.75
   *        = 5.0462516280 - 1.75 = 3.2962516280
   * c(10)  = 2 (ln 9 + γ) - 18/10   = 2 (2.1972245773 + 0.5772156649) - 1.8
   *        = 5.5488804844 - 1.8 = 3.7488804844
   * c(256) = 2 (ln 255 + γ) - 510/256 = 2 (5.5412635452 + 0.5772156649) - 1.9921875
   *        = 12.2369584202 - 1.9921875 = 10.2447709202 */
  g_assert_cmpfloat (vigil_iforest_c (0), ==, 0);
  g_assert_cmpfloat (vigil_iforest_c (1), ==, 0);
  g_assert_cmpfloat (vigil_iforest_c (2), ==, 1);
  g_assert_cmpfloat_with_epsilon (vigil_iforest_c (3), 1.2073923577, 1e-9);
  g_assert_cmpfloat_with_epsilon (vigil_iforest_c (4), 1.8516559072, 1e-9);
  g_assert_cmpfloat_with_epsilon (vigil_iforest_c (8), 3.2962516280, 1e-9);
  g_assert_cmpfloat_with_epsilon (vigil_iforest_c (10), 3.7488804844, 1e-9);
  g_assert_cmpfloat_with_epsilon (vigil_iforest_c (256), 10.2447709202, 1e-9);

  /* It grows like 2 ln n: monotone, and below 2 ln n + 2γ. */
  for (gsize n = 3; n < 5000; n++)
    {
      g_assert_cmpfloat (vigil_iforest_c (n), >, vigil_iforest_c (n - 1));
      g_assert_cmpfloat (vigil_iforest_c (n), <, 2 * log ((double) n) + 2 * 0.5772156649);
    }
}

static void
test_path_length_two_rows (void)
{
  /* psi = 2, height limit ceil(log2 2) = 1: every root splits the two rows
   * into leaves of one, so h(x) = 1 + c(1) = 1 wherever x is, and
   * s = 2^(-1 / c(2)) = 1/2. */
  const double rows[] = { 0, 1 };
  const double probes[] = { -5, 0, 0.5, 1, 100 };
  g_autoptr(VigilDetector) forest = train_forest (rows, 2, 1, 50, 256, 7);

  g_assert_cmpuint (vigil_iforest_get_subsample (forest), ==, 2);
  g_assert_cmpuint (vigil_iforest_get_n_trees (forest), ==, 50);
  g_assert_cmpuint (vigil_iforest_get_n_nodes (forest), ==, 50 * 3);
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_assert_cmpfloat (vigil_iforest_path_length (forest, &probes[i]), ==, 1);
      g_assert_cmpfloat (vigil_detector_score (forest, &probes[i]), ==, 0.5);
    }
}

static void
test_path_length_isolated_point (void)
{
  /* Seven rows at (0, 0) and one at (5, 5). Whichever feature the root
   * picks, its split p lies in [0, 5), so (5, 5) is alone on the right:
   * h = 1. The seven equal rows on the left cannot be split: a leaf of 7,
   * h = 1 + c(7) = 1 + 2 (ln 6 + γ) - 12/7
   *   = 1 + 2 (1.7917594692 + 0.5772156649) - 1.7142857143 = 4.0236645539.
   * With psi = 8: s(outlier) = 2^(-1 / 3.2962516280) = 0.8103545144,
   * s(inlier) = 2^(-4.0236645539 / 3.2962516280) = 0.4290807781. */
  double rows[8 * 2] = { 0 };
  const double inlier[] = { 0, 0 }, outlier[] = { 5, 5 }, beyond[] = { 50, 9 };
  g_autoptr(VigilDetector) forest = NULL;

  rows[7 * 2] = rows[7 * 2 + 1] = 5;
  forest = train_forest (rows, 8, 2, 100, 256, 1);

  for (guint t = 0; t < 100; t++)
    {
      g_assert_cmpfloat (vigil_iforest_tree_path_length (forest, t, outlier), ==, 1);
      g_assert_cmpfloat (vigil_iforest_tree_path_length (forest, t, beyond), ==, 1);
      g_assert_cmpfloat_with_epsilon (vigil_iforest_tree_path_length (forest, t, inlier), 4.0236645539, 1e-9);
    }
  g_assert_cmpfloat_with_epsilon (vigil_iforest_path_length (forest, outlier), 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (forest, outlier), 0.8103545144, 1e-9);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (forest, inlier), 0.4290807781, 1e-9);
}

static void
test_path_length_two_levels (void)
{
  /* One feature: 0 0 0 0 10 10 100; psi = 7, height limit 3. The root's
   * split p is uniform in [0, 100).
   *   p < 10:  {0 0 0 0} | {10 10 100}; then {10 10} | {100} at depth 1.
   *   p >= 10: {0 0 0 0 10 10} | {100}; then {0 0 0 0} | {10 10} at depth 1.
   * Either way 10 ends in a leaf of 2 at depth 2: h(10) = 2 + c(2) = 3.
   * 100 is at depth 1 (probability 0.9) or 2 (0.1): E[h(100)] = 1.1.
   * 0 is in a leaf of 4 at depth 2 when 100 is at depth 1, and at depth
   * 1 otherwise: h(0) = c(4) + 3 - h(100) in every tree. */
  const double rows[] = { 0, 0, 0, 0, 10, 10, 100 };
  const double ten = 10, hundred = 100, zero = 0;
  g_autoptr(VigilDetector) forest = train_forest (rows, 7, 1, 2000, 256, 3);
  double h100;

  for (guint t = 0; t < 2000; t++)
    g_assert_cmpfloat (vigil_iforest_tree_path_length (forest, t, &ten), ==, 3);
  h100 = vigil_iforest_path_length (forest, &hundred);
  /* 2000 trees: the mean's standard deviation is sqrt(0.09 / 2000) = 0.0067. */
  g_assert_cmpfloat_with_epsilon (h100, 1.1, 0.03);
  g_assert_cmpfloat_with_epsilon (vigil_iforest_path_length (forest, &zero),
                                  1.8516559072 + 3 - h100, 1e-9);
}

static void
test_same_seed_same_bytes (void)
{
  VigilRng rng;
  g_autofree double *rows = NULL;
  g_autoptr(VigilDetector) a = NULL;
  g_autoptr(VigilDetector) b = NULL;
  g_autoptr(VigilDetector) c = NULL;
  g_autoptr(GBytes) bytes_a = NULL;
  g_autoptr(GBytes) bytes_b = NULL;
  g_autoptr(GBytes) bytes_c = NULL;

  vigil_rng_init (&rng, 11);
  rows = gaussian_rows (&rng, 300, D, 0, 0);
  a = train_forest (rows, 300, D, 100, 256, 42);
  b = train_forest (rows, 300, D, 100, 256, 42);
  c = train_forest (rows, 300, D, 100, 256, 43);
  bytes_a = vigil_detector_serialize (a);
  bytes_b = vigil_detector_serialize (b);
  bytes_c = vigil_detector_serialize (c);

  assert_bytes_equal (bytes_a, bytes_b);
  g_assert_false (g_bytes_equal (bytes_a, bytes_c));
  g_assert_cmpmem (g_bytes_get_data (bytes_a, NULL), 4, "VGDT", 4);
  g_assert_cmpuint (vigil_iforest_get_subsample (a), ==, 256);
}

static void
test_roundtrip (void)
{
  VigilRng rng;
  g_autofree double *rows = NULL;
  g_autofree double *probes = NULL;
  g_autoptr(VigilDetector) forest = NULL;
  g_autoptr(VigilDetector) loaded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;

  vigil_rng_init (&rng, 5);
  rows = gaussian_rows (&rng, 200, D, 0, 0);
  probes = gaussian_rows (&rng, 1000, D, 5, 2.0);
  forest = train_forest (rows, 200, D, 100, 256, 9);
  bytes = vigil_detector_serialize (forest);
  loaded = vigil_detector_deserialize (bytes, &error);
  g_assert_no_error (error);

  g_assert_cmpint (vigil_detector_get_kind (loaded), ==, VIGIL_DETECTOR_IFOREST);
  g_assert_cmpuint (vigil_detector_get_dimension (loaded), ==, D);
  g_assert_cmpuint (vigil_iforest_get_n_nodes (loaded), ==, vigil_iforest_get_n_nodes (forest));
  for (guint i = 0; i < 1000; i++)
    {
      double s = vigil_detector_score (forest, &probes[i * D]);

      g_assert_cmpfloat (s, >, 0);
      g_assert_cmpfloat (s, <=, 1);
      /* Identical, not merely close. */
      g_assert_cmpfloat (vigil_detector_score (loaded, &probes[i * D]), ==, s);
    }
  again = vigil_detector_serialize (loaded);
  assert_bytes_equal (bytes, again);
}

static GBytes *
small_model_bytes (void)
{
  VigilRng rng;
  g_autofree double *rows = NULL;
  g_autoptr(VigilDetector) forest = NULL;

  vigil_rng_init (&rng, 17);
  rows = gaussian_rows (&rng, 40, 4, 0, 0);
  forest = train_forest (rows, 40, 4, 3, 16, 2);
  return vigil_detector_serialize (forest);
}

static void
test_truncated (void)
{
  g_autoptr(GBytes) bytes = small_model_bytes ();
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *longer = g_malloc (len + 1);

  for (gsize prefix = 0; prefix < len; prefix++)
    {
      /* A copy of exactly @prefix bytes, so ASan sees any read beyond. */
      g_autoptr(GBytes) cut = g_bytes_new (data, prefix);
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilDetector) loaded = vigil_detector_deserialize (cut, &error);

      g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
      g_assert_null (loaded);
    }

  memcpy (longer, data, len);
  longer[len] = 0;
    {
      g_autoptr(GBytes) extra = g_bytes_new (longer, len + 1);
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilDetector) loaded = vigil_detector_deserialize (extra, &error);

      g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
      g_assert_null (loaded);
    }
}

static void
assert_refused (const guint8 *data,
                gsize         len,
                gsize         offset,
                guint32       value,
                gint          code)
{
  g_autofree guint8 *copy = g_memdup2 (data, len);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilDetector) loaded = NULL;

  for (guint i = 0; i < 4; i++)
    copy[offset + i] = (guint8) (value >> (8 * i));
  bytes = g_bytes_new (copy, len);
  loaded = vigil_detector_deserialize (bytes, &error);
  g_assert_null (loaded);
  if (code >= 0)
    g_assert_error (error, VIGIL_ML_ERROR, code);
  else
    g_assert_true (g_error_matches (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT)
                   || g_error_matches (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED));
}

static void
test_corrupt_header (void)
{
  g_autoptr(GBytes) bytes = small_model_bytes ();
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  /* Layout: "VGDT", version, kind, d, then trees and psi. */
  assert_refused (data, len, 0, 0x54444756 ^ 0x20, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 4, VIGIL_DETECTOR_FORMAT_VERSION + 1, VIGIL_ML_ERROR_UNSUPPORTED);
  assert_refused (data, len, 4, 0, VIGIL_ML_ERROR_UNSUPPORTED);
  assert_refused (data, len, 8, 99, VIGIL_ML_ERROR_CORRUPT);
  /* Another kind's reader, if built in, cannot make sense of a forest. */
  assert_refused (data, len, 8, VIGIL_DETECTOR_MANHATTAN, -1);
  assert_refused (data, len, 12, 0, VIGIL_ML_ERROR_CORRUPT);
  /* Fewer features than the splits use: a split index past d. */
  assert_refused (data, len, 12, 1, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 16, 0, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 16, G_MAXUINT32, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 20, 1, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 20, 17, VIGIL_ML_ERROR_CORRUPT);
  /* The first tree's node count. */
  assert_refused (data, len, 24, 0, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 24, G_MAXUINT32, VIGIL_ML_ERROR_CORRUPT);
  /* The root's child index pointing at itself, or past the tree. */
  assert_refused (data, len, 32, 0, VIGIL_ML_ERROR_CORRUPT);
  assert_refused (data, len, 32, 10000, VIGIL_ML_ERROR_CORRUPT);
}

static void
test_corrupt_every_byte (void)
{
  g_autoptr(GBytes) bytes = small_model_bytes ();
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  const double probes[][4] = { { 0, 0, 0, 0 }, { 3, -3, 3, -3 }, { NAN, 1, INFINITY, -1e300 } };
  guint refused = 0;

  /* Every single-byte corruption is refused, or gives a model that still
   * scores inside (0, 1] (a flipped split value stays a valid forest). */
  for (gsize offset = 0; offset < len; offset++)
    for (guint bit = 0; bit < 8; bit += 3)
      {
        g_autofree guint8 *copy = g_memdup2 (data, len);
        g_autoptr(GBytes) corrupt = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(VigilDetector) loaded = NULL;

        copy[offset] ^= (guint8) (1u << bit);
        corrupt = g_bytes_new (copy, len);
        loaded = vigil_detector_deserialize (corrupt, &error);
        if (loaded == NULL)
          {
            g_assert_true (g_error_matches (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT)
                           || g_error_matches (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED));
            refused++;
            continue;
          }
        g_assert_no_error (error);
        for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
          {
            double s = vigil_detector_score (loaded, probes[i]);

            g_assert_cmpfloat (s, >, 0);
            g_assert_cmpfloat (s, <=, 1);
          }
      }
  g_assert_cmpuint (refused, >, 0);
}

/* The probability that a random impostor outscores a random genuine
 * vector (Mann–Whitney), ties counting half. */
static double
auc (const double *genuine,
     gsize         n_genuine,
     const double *impostor,
     gsize         n_impostor)
{
  double wins = 0;

  for (gsize i = 0; i < n_impostor; i++)
    for (gsize j = 0; j < n_genuine; j++)
      wins += impostor[i] > genuine[j] ? 1 : impostor[i] == genuine[j] ? 0.5 : 0;
  return wins / ((double) n_genuine * (double) n_impostor);
}

static double
impostor_auc (guint64 seed)
{
  VigilRng rng;
  g_autofree double *train = NULL;
  g_autofree double *genuine = NULL;
  g_autofree double *impostors = NULL;
  g_autoptr(VigilDetector) forest = NULL;
  g_autoptr(GError) error = NULL;
  double genuine_scores[300], impostor_scores[300];

  /* Genuine: N(0, 1) in 31 features; impostors: a third of the features
   * shifted by 2 standard deviations. Default parameters (100 trees). */
  vigil_rng_init (&rng, seed);
  train = gaussian_rows (&rng, 200, D, 0, 0);
  genuine = gaussian_rows (&rng, 300, D, 0, 0);
  impostors = gaussian_rows (&rng, 300, D, D / 3, 2.0);

  forest = vigil_detector_train (VIGIL_DETECTOR_IFOREST, train, 200, NULL, 0, D, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 300; i++)
    {
      genuine_scores[i] = vigil_detector_score (forest, &genuine[i * D]);
      impostor_scores[i] = vigil_detector_score (forest, &impostors[i * D]);
    }
  return auc (genuine_scores, 300, impostor_scores, 300);
}

static void
test_ranks_impostors (void)
{
  double sum = 0, lowest = 1, highest = 0;

  /* Only a third of the random splits see the shift, so at 1.5 standard
   * deviations one draw's AUC wanders between about 0.85 and 0.95 with
   * 100 trees; at 2 every draw clears 0.9 with room. The mean of 20 data
   * sets is checked too. */
  for (guint64 seed = 1; seed <= 20; seed++)
    {
      double area = impostor_auc (seed);

      sum += area;
      lowest = MIN (lowest, area);
      highest = MAX (highest, area);
    }
  g_test_message ("AUC over 20 data sets: mean %.4f, lowest %.4f, highest %.4f", sum / 20, lowest, highest);
  g_assert_cmpfloat (sum / 20, >, 0.95);
  g_assert_cmpfloat (lowest, >, 0.9);
}

static void
assert_train_fails (const double *rows,
                    gsize         n,
                    gsize         d,
                    const VigilDetectorParams *params,
                    gint          code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilDetector) forest = vigil_detector_train (VIGIL_DETECTOR_IFOREST, rows, n, NULL, 0, d,
                                                          params, &error);

  g_assert_error (error, VIGIL_ML_ERROR, code);
  g_assert_null (forest);
}

static void
test_degenerate (void)
{
  double same[10 * 3];
  double rows[10 * 3];
  VigilDetectorParams params;
  g_autoptr(VigilDetector) forest = NULL;
  const double nan_probe[] = { NAN, INFINITY, -INFINITY };

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    same[i] = 1.5;
  /* Two constant features; only the middle one varies. */
  for (guint i = 0; i < 10; i++)
    {
      rows[i * 3] = 4;
      rows[i * 3 + 1] = i;
      rows[i * 3 + 2] = -1;
    }

  assert_train_fails (rows, 0, 3, NULL, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
  assert_train_fails (rows, 1, 3, NULL, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
  assert_train_fails (rows, 10, 0, NULL, VIGIL_ML_ERROR_DEGENERATE);
  assert_train_fails (same, 10, 3, NULL, VIGIL_ML_ERROR_DEGENERATE);

  vigil_detector_params_init (&params);
  params.trees = 0;
  assert_train_fails (rows, 10, 3, &params, VIGIL_ML_ERROR_UNSUPPORTED);
  vigil_detector_params_init (&params);
  params.subsample = 1;
  assert_train_fails (rows, 10, 3, &params, VIGIL_ML_ERROR_UNSUPPORTED);

  same[4] = NAN;
  assert_train_fails (same, 10, 3, NULL, VIGIL_ML_ERROR_DEGENERATE);
  same[4] = INFINITY;
  assert_train_fails (same, 10, 3, NULL, VIGIL_ML_ERROR_DEGENERATE);

  /* Constant features are never split on; the varying one isolates. */
  forest = train_forest (rows, 10, 3, 100, 256, 42);
    {
      const double middle[] = { 4, 4.5, -1 }, far[] = { 4, 1000, -1 }, other[] = { 0, 4.5, 0 };

      g_assert_cmpfloat (vigil_detector_score (forest, far), >, vigil_detector_score (forest, middle));
      /* The constant features carry no information in the model. */
      g_assert_cmpfloat (vigil_detector_score (forest, other), ==, vigil_detector_score (forest, middle));
    }
  /* Not-a-number goes left at every split: a score, not a crash. */
  g_assert_cmpfloat (vigil_detector_score (forest, nan_probe), >, 0);
  g_assert_cmpfloat (vigil_detector_score (forest, nan_probe), <=, 1);
}

static void
test_unknown_kind (void)
{
  const double rows[] = { 0, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilDetector) detector = vigil_detector_train ((VigilDetectorKind) 99, rows, 2, NULL, 0, 1,
                                                            NULL, &error);

  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED);
  g_assert_null (detector);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ml/detector/params-and-kinds", test_params_and_kinds);
  g_test_add_func ("/ml/detector/byte-order", test_byte_order);
  g_test_add_func ("/ml/detector/unknown-kind", test_unknown_kind);
  g_test_add_func ("/ml/iforest/c", test_c);
  g_test_add_func ("/ml/iforest/path-length/two-rows", test_path_length_two_rows);
  g_test_add_func ("/ml/iforest/path-length/isolated-point", test_path_length_isolated_point);
  g_test_add_func ("/ml/iforest/path-length/two-levels", test_path_length_two_levels);
  g_test_add_func ("/ml/iforest/same-seed-same-bytes", test_same_seed_same_bytes);
  g_test_add_func ("/ml/iforest/roundtrip", test_roundtrip);
  g_test_add_func ("/ml/iforest/corrupt/truncated", test_truncated);
  g_test_add_func ("/ml/iforest/corrupt/header", test_corrupt_header);
  g_test_add_func ("/ml/iforest/corrupt/every-byte", test_corrupt_every_byte);
  g_test_add_func ("/ml/iforest/ranks-impostors", test_ranks_impostors);
  g_test_add_func ("/ml/iforest/degenerate", test_degenerate);

  return g_test_run ();
}
