/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-detector.h"
#include "vigil-rng.h"

/* The CMU password's timing vector has 31 columns. */
#define D 31

/* A synthetic typist: per-feature mean and spread of timings in seconds,
 * drawn around a population so that typists differ by about one of their
 * own standard deviations per feature. */
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
      double population = 0.08 + 0.01 * j;

      typist->sd[j] = 0.015 + 0.02 * vigil_rng_double (rng);
      typist->mean[j] = population + 0.02 * vigil_rng_gaussian (rng);
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

/* The probability that an impostor outscores a genuine vector (Mann–Whitney,
 * ties counting half). */
static double
auc (const VigilDetector *detector,
     const double        *genuine,
     gsize                n,
     const double        *impostors,
     gsize                m)
{
  g_autofree double *g = g_new (double, n);
  double wins = 0;

  for (gsize i = 0; i < n; i++)
    g[i] = vigil_detector_score (detector, &genuine[i * D]);
  for (gsize k = 0; k < m; k++)
    {
      double s = vigil_detector_score (detector, &impostors[k * D]);

      for (gsize i = 0; i < n; i++)
        wins += s > g[i] ? 1 : s == g[i] ? 0.5 : 0;
    }
  return wins / ((double) n * (double) m);
}

static const VigilDetectorKind all_kinds[] = {
  VIGIL_DETECTOR_IFOREST,
  VIGIL_DETECTOR_MANHATTAN,
  VIGIL_DETECTOR_MAHALANOBIS_NN,
  VIGIL_DETECTOR_LOGISTIC,
};

/* A user, an impostor, and a crowd of other users: the user's enrollment
 * and held-out vectors, the impostor's attempts, and negatives from the
 * crowd plus other attempts by the impostor (who, like a colleague, is
 * also an enrolled user). */
typedef struct
{
  gsize   n_train, n_test, n_impostor, n_negatives;
  double *train;
  double *test;
  double *impostor;
  double *negatives;
} Scenario;

static void
scenario_init (Scenario *s,
               guint64   seed,
               gsize     n_train)
{
  VigilRng rng;
  Typist user, impostor;
  gsize per_other = 40, others = 9;

  vigil_rng_init (&rng, seed);
  typist_init (&user, &rng);
  typist_init (&impostor, &rng);

  s->n_train = n_train;
  s->n_test = 200;
  s->n_impostor = 100;
  s->train = typist_sample (&user, &rng, s->n_train);
  s->test = typist_sample (&user, &rng, s->n_test);
  s->impostor = typist_sample (&impostor, &rng, s->n_impostor);

  s->n_negatives = per_other * (others + 1);
  s->negatives = g_new (double, s->n_negatives * D);
  for (gsize o = 0; o <= others; o++)
    {
      g_autofree double *rows = NULL;
      Typist other;

      if (o < others)
        typist_init (&other, &rng);
      else
        other = impostor;
      rows = typist_sample (&other, &rng, per_other);
      memcpy (&s->negatives[o * per_other * D], rows, per_other * D * sizeof (double));
    }
}

static void
scenario_clear (Scenario *s)
{
  g_free (s->train);
  g_free (s->test);
  g_free (s->impostor);
  g_free (s->negatives);
}

static VigilDetector *
train_scenario (VigilDetectorKind  kind,
                const Scenario    *s,
                guint64            seed)
{
  g_autoptr(GError) error = NULL;
  VigilDetectorParams params;
  VigilDetector *detector;

  vigil_detector_params_init (&params);
  params.seed = seed;
  detector = vigil_detector_train (kind, s->train, s->n_train, s->negatives, s->n_negatives, D,
                                   &params, &error);
  g_assert_no_error (error);
  g_assert_nonnull (detector);
  g_assert_cmpint (vigil_detector_get_kind (detector), ==, kind);
  g_assert_cmpuint (vigil_detector_get_dimension (detector), ==, D);
  return detector;
}

static void
test_ranks_impostors (gconstpointer data)
{
  VigilDetectorKind kind = GPOINTER_TO_UINT (data);

  for (guint64 seed = 1; seed <= 3; seed++)
    {
      g_autoptr(VigilDetector) detector = NULL;
      Scenario s;
      double a;

      scenario_init (&s, seed, 200);
      detector = train_scenario (kind, &s, seed);
      a = auc (detector, s.test, s.n_test, s.impostor, s.n_impostor);
      g_test_message ("%s, seed %" G_GUINT64_FORMAT ": AUC %.4f",
                      vigil_detector_kind_to_string (kind), seed, a);
      g_assert_cmpfloat (a, >, 0.9);
      scenario_clear (&s);
    }
}

static void
test_round_trip (gconstpointer data)
{
  VigilDetectorKind kind = GPOINTER_TO_UINT (data);
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(VigilDetector) loaded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;
  Scenario s;

  scenario_init (&s, 7, 50);
  detector = train_scenario (kind, &s, 7);
  bytes = vigil_detector_serialize (detector);
  loaded = vigil_detector_deserialize (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vigil_detector_get_kind (loaded), ==, kind);
  g_assert_cmpuint (vigil_detector_get_dimension (loaded), ==, D);

  /* Bit for bit: the same parameters, the same arithmetic. */
  for (gsize i = 0; i < s.n_test; i++)
    g_assert_cmpfloat (vigil_detector_score (loaded, &s.test[i * D]), ==,
                       vigil_detector_score (detector, &s.test[i * D]));
  for (gsize i = 0; i < s.n_impostor; i++)
    g_assert_cmpfloat (vigil_detector_score (loaded, &s.impostor[i * D]), ==,
                       vigil_detector_score (detector, &s.impostor[i * D]));

  again = vigil_detector_serialize (loaded);
  g_assert_true (g_bytes_equal (bytes, again));
  scenario_clear (&s);
}

static void
test_deterministic (gconstpointer data)
{
  VigilDetectorKind kind = GPOINTER_TO_UINT (data);
  g_autoptr(VigilDetector) a = NULL;
  g_autoptr(VigilDetector) b = NULL;
  g_autoptr(GBytes) bytes_a = NULL;
  g_autoptr(GBytes) bytes_b = NULL;
  Scenario s;

  scenario_init (&s, 11, 60);
  a = train_scenario (kind, &s, 99);
  b = train_scenario (kind, &s, 99);
  bytes_a = vigil_detector_serialize (a);
  bytes_b = vigil_detector_serialize (b);
  g_assert_true (g_bytes_equal (bytes_a, bytes_b));
  scenario_clear (&s);
}

/* Every prefix and a trailing byte fail with an error, never a crash or a
 * read out of bounds (the sanitizers watch). */
static void
test_truncated (gconstpointer data)
{
  VigilDetectorKind kind = GPOINTER_TO_UINT (data);
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GByteArray) longer = NULL;
  g_autoptr(GBytes) longer_bytes = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *blob;
  gsize len, step;
  Scenario s;

  scenario_init (&s, 5, 12);
  detector = train_scenario (kind, &s, 5);
  bytes = vigil_detector_serialize (detector);
  blob = g_bytes_get_data (bytes, &len);

  /* Every prefix near the ends, a sample of those in between. */
  step = MAX (len / 2000, 1);
  for (gsize cut = 0; cut < len; cut += cut < 64 || cut > len - 64 ? 1 : step)
    {
      g_autoptr(GBytes) prefix = g_bytes_new_static (blob, cut);
      g_autoptr(VigilDetector) loaded = vigil_detector_deserialize (prefix, &error);

      g_assert_null (loaded);
      g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
      g_clear_error (&error);
    }

  longer = g_byte_array_new ();
  g_byte_array_append (longer, blob, len);
  g_byte_array_append (longer, (const guint8 *) "", 1);
  longer_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&longer));
  g_assert_null (vigil_detector_deserialize (longer_bytes, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
  scenario_clear (&s);
}

/* The detector framing: magic, version, kind, d. */
#define PAYLOAD 16

static void
put_double (guint8 *at,
            double  value)
{
  guint64 bits;

  memcpy (&bits, &value, sizeof bits);
  for (guint i = 0; i < 8; i++)
    at[i] = (guint8) (bits >> (8 * i));
}

static void
assert_refused (const guint8 *blob,
                gsize         len,
                gsize         offset,
                double        value)
{
  g_autofree guint8 *copy = g_memdup2 (blob, len);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilDetector) loaded = NULL;

  g_assert_cmpuint (offset + 8, <=, len);
  put_double (copy + offset, value);
  bytes = g_bytes_new_take (g_steal_pointer (&copy), len);
  loaded = vigil_detector_deserialize (bytes, &error);
  g_assert_null (loaded);
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
}

/* Values scoring would divide by or propagate are refused on load. */
static void
test_corrupt_values (void)
{
  g_autoptr(VigilDetector) manhattan = NULL;
  g_autoptr(VigilDetector) mahalanobis = NULL;
  g_autoptr(VigilDetector) logistic = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *blob;
  gsize len;
  Scenario s;

  scenario_init (&s, 3, 20);

  /* Manhattan: D means, then D deviations. */
  manhattan = train_scenario (VIGIL_DETECTOR_MANHATTAN, &s, 1);
  bytes = vigil_detector_serialize (manhattan);
  blob = g_bytes_get_data (bytes, &len);
  assert_refused (blob, len, PAYLOAD, NAN);
  assert_refused (blob, len, PAYLOAD + 8 * D, 0);
  assert_refused (blob, len, PAYLOAD + 8 * D + 8, -1);
  assert_refused (blob, len, PAYLOAD + 8 * D + 16, INFINITY);
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Mahalanobis: n, D means, D scales, L's lower triangle (first its
   * diagonal entry L[0][0]), the whitened rows. */
  mahalanobis = train_scenario (VIGIL_DETECTOR_MAHALANOBIS_NN, &s, 1);
  bytes = vigil_detector_serialize (mahalanobis);
  blob = g_bytes_get_data (bytes, &len);
  assert_refused (blob, len, PAYLOAD + 4 + 8 * D, 0);
  assert_refused (blob, len, PAYLOAD + 4 + 16 * D, 0);
  assert_refused (blob, len, len - 8, NAN);
  {
    /* A row count larger than the rows that follow. */
    g_autofree guint8 *copy = g_memdup2 (blob, len);
    g_autoptr(GBytes) bad = NULL;
    g_autoptr(GError) error = NULL;

    copy[PAYLOAD] = 0xff;
    copy[PAYLOAD + 1] = 0xff;
    bad = g_bytes_new_take (g_steal_pointer (&copy), len);
    g_assert_null (vigil_detector_deserialize (bad, &error));
    g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT);
  }
  g_clear_pointer (&bytes, g_bytes_unref);

  /* Logistic: 2 D means, 2 D scales, the intercept, 2 D weights. */
  logistic = train_scenario (VIGIL_DETECTOR_LOGISTIC, &s, 1);
  bytes = vigil_detector_serialize (logistic);
  blob = g_bytes_get_data (bytes, &len);
  assert_refused (blob, len, PAYLOAD + 16 * D, 0);
  assert_refused (blob, len, PAYLOAD + 32 * D, NAN);
  assert_refused (blob, len, len - 8, INFINITY);

  scenario_clear (&s);
}

/* Araújo et al.'s scaled Manhattan by hand: rows (1, 10), (2, 10), (3, 16)
 * have mean (2, 12) and mean absolute deviations (2/3, 8/3). */
static void
test_manhattan_by_hand (void)
{
  const double rows[] = { 1, 10, 2, 10, 3, 16 };
  const double at_mean[] = { 2, 12 };
  const double a[] = { 4, 12 };
  const double b[] = { 2, 20 };
  const double c[] = { 0, 4 };
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(GError) error = NULL;

  detector = vigil_detector_train (VIGIL_DETECTOR_MANHATTAN, rows, 3, NULL, 0, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (detector, at_mean), 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (detector, a), 2 / (2.0 / 3), 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (detector, b), 8 / (8.0 / 3), 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (detector, c), 3 + 3, 1e-12);
}

/* A feature constant in training borrows the smallest other deviation
 * instead of dividing by zero. */
static void
test_manhattan_constant_feature (void)
{
  const double rows[] = { 1, 5, 2, 5, 3, 5 };
  const double same[] = { 2, 5 };
  const double off[] = { 2, 6 };
  const double identical[] = { 1, 5, 1, 5, 1, 5 };
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(VigilDetector) none = NULL;
  g_autoptr(GError) error = NULL;

  detector = vigil_detector_train (VIGIL_DETECTOR_MANHATTAN, rows, 3, NULL, 0, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (detector, same), 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_detector_score (detector, off), 1 / (2.0 / 3), 1e-12);

  none = vigil_detector_train (VIGIL_DETECTOR_MANHATTAN, identical, 3, NULL, 0, 2, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE);
}

/* Rows whose covariance (population normalisation) is diag (4, 1): the
 * shrinkage has nothing to do, and the Mahalanobis distance is the
 * Euclidean distance after halving the first coordinate. With unit
 * scales it is the plain Euclidean nearest neighbour. */
static void
test_mahalanobis_identity (void)
{
  const double square[] = { 1, 1, 1, -1, -1, 1, -1, -1 };
  const double wide[] = { 2, 1, 2, -1, -2, 1, -2, -1 };
  const struct { double x[2]; double euclidean; } cases[] = {
    { { 3, 1 }, 2 },
    { { 0, 0 }, G_SQRT2 },
    { { 1, 1 }, 0 },
    { { 0.5, -2 }, 1.118033988749895 },  /* sqrt (1.25), to (1, -1) */
    { { -4, 0 }, 3.1622776601683795 },   /* sqrt (10), to (-1, +-1) */
  };
  g_autoptr(VigilDetector) unit = NULL;
  g_autoptr(VigilDetector) scaled = NULL;
  g_autoptr(GError) error = NULL;

  unit = vigil_detector_train (VIGIL_DETECTOR_MAHALANOBIS_NN, square, 4, NULL, 0, 2, NULL, &error);
  g_assert_no_error (error);
  scaled = vigil_detector_train (VIGIL_DETECTOR_MAHALANOBIS_NN, wide, 4, NULL, 0, 2, NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const double wide_x[] = { 2 * cases[i].x[0], cases[i].x[1] };

      g_assert_cmpfloat_with_epsilon (vigil_detector_score (unit, cases[i].x), cases[i].euclidean, 1e-12);
      g_assert_cmpfloat_with_epsilon (vigil_detector_score (scaled, wide_x), cases[i].euclidean, 1e-12);
    }
}

/* Correlated features: a step along the correlation costs less than the
 * same step across it, as a Mahalanobis metric must. */
static void
test_mahalanobis_correlation (void)
{
  g_autofree double *rows = g_new (double, 400 * 2);
  const double along[] = { 3, 3 };
  const double across[] = { 3, -3 };
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(GError) error = NULL;
  VigilRng rng;

  vigil_rng_init (&rng, 4);
  for (guint i = 0; i < 400; i++)
    {
      double common = vigil_rng_gaussian (&rng);

      rows[2 * i] = common + 0.2 * vigil_rng_gaussian (&rng);
      rows[2 * i + 1] = common + 0.2 * vigil_rng_gaussian (&rng);
    }
  detector = vigil_detector_train (VIGIL_DETECTOR_MAHALANOBIS_NN, rows, 400, NULL, 0, 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (vigil_detector_score (detector, along) * 5, <, vigil_detector_score (detector, across));
}

/* Fewer rows than features: the sample covariance is singular, the shrunk
 * one is not, and the detector still ranks impostors above the user. */
static void
test_mahalanobis_few_rows (void)
{
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(GError) error = NULL;
  Scenario s;
  double a;

  scenario_init (&s, 21, 15);
  detector = vigil_detector_train (VIGIL_DETECTOR_MAHALANOBIS_NN, s.train, s.n_train, NULL, 0, D,
                                   NULL, &error);
  g_assert_no_error (error);
  a = auc (detector, s.test, s.n_test, s.impostor, s.n_impostor);
  g_test_message ("15 rows of %u features: AUC %.4f", D, a);
  g_assert_cmpfloat (a, >, 0.9);
  scenario_clear (&s);
}

static void
test_too_little_data (void)
{
  const double one[] = { 1, 2 };
  const double rows[] = { 1, 2, 3, 4 };
  const double identical[] = { 1, 2, 1, 2 };
  g_autoptr(GError) error = NULL;

  g_assert_null (vigil_detector_train (VIGIL_DETECTOR_MANHATTAN, one, 1, NULL, 0, 2, NULL, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
  g_clear_error (&error);
  g_assert_null (vigil_detector_train (VIGIL_DETECTOR_MAHALANOBIS_NN, one, 1, NULL, 0, 2, NULL, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
  g_clear_error (&error);
  g_assert_null (vigil_detector_train (VIGIL_DETECTOR_MAHALANOBIS_NN, identical, 2, NULL, 0, 2, NULL, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE);
  g_clear_error (&error);

  /* The discriminative model has nothing to discriminate against. */
  g_assert_null (vigil_detector_train (VIGIL_DETECTOR_LOGISTIC, rows, 2, NULL, 0, 2, NULL, &error));
  g_assert_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA);
}

/* Balanced class weights: with a hundred times more negatives than
 * genuine vectors the user's own typing still comes out as the user's.
 * And the log-odds rise every way out from the user, not only towards the
 * other users: a linear model would call a vector far out on the user's
 * side of its boundary more genuine than the user. */
static void
test_logistic_balanced (void)
{
  g_autofree double *genuine = NULL;
  g_autofree double *negatives = NULL;
  g_autoptr(VigilDetector) detector = NULL;
  g_autoptr(GError) error = NULL;
  double centre[D];
  Typist user;
  VigilRng rng;
  gsize n = 20, m = 2000;

  vigil_rng_init (&rng, 8);
  typist_init (&user, &rng);
  genuine = typist_sample (&user, &rng, n);
  /* Each negative from another typist of the population. */
  negatives = g_new (double, m * D);
  for (gsize k = 0; k < m; k++)
    {
      Typist crowd;

      typist_init (&crowd, &rng);
      for (guint j = 0; j < D; j++)
        negatives[k * D + j] = crowd.mean[j] + crowd.sd[j] * vigil_rng_gaussian (&rng);
    }

  detector = vigil_detector_train (VIGIL_DETECTOR_LOGISTIC, genuine, n, negatives, m, D, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (vigil_detector_score (detector, user.mean), <, 0);
  for (guint j = 0; j < D; j++)
    centre[j] = 0.08 + 0.01 * j;
  g_assert_cmpfloat (vigil_detector_score (detector, centre), >, 0);

  for (guint trial = 0; trial < 50; trial++)
    {
      double x[D], norm = 0, direction[D];

      for (guint j = 0; j < D; j++)
        {
          direction[j] = vigil_rng_gaussian (&rng);
          norm += direction[j] * direction[j];
        }
      /* Ten of the user's deviations out, in a random direction. */
      for (guint j = 0; j < D; j++)
        x[j] = user.mean[j] + 10 * user.sd[j] * direction[j] * sqrt (D / norm);
      g_assert_cmpfloat (vigil_detector_score (detector, x), >, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (all_kinds); i++)
    {
      const char *name = vigil_detector_kind_to_string (all_kinds[i]);
      gconstpointer kind = GUINT_TO_POINTER (all_kinds[i]);
      g_autofree char *ranks = g_strdup_printf ("/ml/detectors/%s/ranks-impostors", name);
      g_autofree char *round_trip = g_strdup_printf ("/ml/detectors/%s/round-trip", name);
      g_autofree char *deterministic = g_strdup_printf ("/ml/detectors/%s/deterministic", name);
      g_autofree char *truncated = g_strdup_printf ("/ml/detectors/%s/truncated", name);

      g_test_add_data_func (ranks, kind, test_ranks_impostors);
      g_test_add_data_func (round_trip, kind, test_round_trip);
      g_test_add_data_func (deterministic, kind, test_deterministic);
      g_test_add_data_func (truncated, kind, test_truncated);
    }
  g_test_add_func ("/ml/detectors/corrupt-values", test_corrupt_values);
  g_test_add_func ("/ml/detectors/too-little-data", test_too_little_data);
  g_test_add_func ("/ml/detectors/manhattan/by-hand", test_manhattan_by_hand);
  g_test_add_func ("/ml/detectors/manhattan/constant-feature", test_manhattan_constant_feature);
  g_test_add_func ("/ml/detectors/mahalanobis/identity", test_mahalanobis_identity);
  g_test_add_func ("/ml/detectors/mahalanobis/correlation", test_mahalanobis_correlation);
  g_test_add_func ("/ml/detectors/mahalanobis/few-rows", test_mahalanobis_few_rows);
  g_test_add_func ("/ml/detectors/logistic/balanced", test_logistic_balanced);

  return g_test_run ();
}
