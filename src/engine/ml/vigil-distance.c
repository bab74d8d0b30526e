/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The distance detectors of the keystroke-dynamics literature (Killourhy
 * and Maxion 2009): scaled Manhattan distance to the mean, and the nearest
 * training vector under a shrunk Mahalanobis metric. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>

#include "vigil-detector-private.h"

/* Scoring whitens into a stack buffer of this many doubles, so that it
 * never allocates; far above any feature layout we use. */
#define MAHALANOBIS_MAX_D 512

/* A spread this small next to the feature's magnitude is rounding, not
 * variation. */
#define ZERO_SPREAD 1e-9

typedef struct
{
  VigilDetector  parent;
  double        *mean;
  double        *mad;      /* floored: always > 0 */
} VigilManhattan;

typedef struct
{
  VigilDetector  parent;
  gsize          n;
  double        *mean;
  double        *scale;    /* per-feature standard deviation, floored */
  double        *chol;     /* lower triangle of L, row-major, d * d */
  double        *white;    /* the training rows, L^-1 (x - mean) / scale */
} VigilMahalanobis;

static gboolean
is_zero_spread (double spread,
                double center)
{
  return spread <= ZERO_SPREAD * fabs (center);
}

static void
column_means (const double *data,
              gsize         n,
              gsize         d,
              double       *mean)
{
  for (gsize j = 0; j < d; j++)
    mean[j] = 0;
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < d; j++)
      mean[j] += data[i * d + j];
  for (gsize j = 0; j < d; j++)
    mean[j] /= (double) n;
}

/* A feature constant in training gets the smallest spread any other
 * feature has: a deviation in it then counts like a deviation of one unit
 * in the finest-grained feature, large but finite. FALSE when every
 * feature is constant. */
static gboolean
floor_spreads (double       *spread,
               const double *mean,
               gsize         d)
{
  double smallest = INFINITY;

  for (gsize j = 0; j < d; j++)
    if (!is_zero_spread (spread[j], mean[j]) && spread[j] < smallest)
      smallest = spread[j];
  if (!isfinite (smallest))
    return FALSE;
  for (gsize j = 0; j < d; j++)
    if (is_zero_spread (spread[j], mean[j]))
      spread[j] = smallest;
  return TRUE;
}

static gboolean
check_rows (gsize    n,
            GError **error)
{
  if (n < 2)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                   "A distance detector needs at least 2 vectors, not %" G_GSIZE_FORMAT, n);
      return FALSE;
    }
  return TRUE;
}

static gboolean
all_positive_finite (const double *values,
                     gsize         n)
{
  for (gsize i = 0; i < n; i++)
    if (!(isfinite (values[i]) && values[i] > 0))
      return FALSE;
  return TRUE;
}

static gboolean
all_finite (const double *values,
            gsize         n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (values[i]))
      return FALSE;
  return TRUE;
}

static VigilDetector *
corrupt (GError     **error,
         const char  *what)
{
  g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
               "Corrupt distance detector: %s", what);
  return NULL;
}

/* Scaled Manhattan */

static void
manhattan_free (VigilDetector *detector)
{
  VigilManhattan *self = (VigilManhattan *) detector;

  g_free (self->mean);
  g_free (self->mad);
  g_free (self);
}

static VigilDetector *
manhattan_train (const double              *genuine,
                 gsize                      n,
                 const double              *negatives,
                 gsize                      m,
                 gsize                      d,
                 const VigilDetectorParams *params,
                 GError                   **error)
{
  VigilManhattan *self;

  if (!check_rows (n, error))
    return NULL;

  self = g_new0 (VigilManhattan, 1);
  self->mean = g_new (double, d);
  self->mad = g_new0 (double, d);

  /* The mean absolute deviation around the mean, as Araújo et al. */
  column_means (genuine, n, d, self->mean);
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < d; j++)
      self->mad[j] += fabs (genuine[i * d + j] - self->mean[j]);
  for (gsize j = 0; j < d; j++)
    self->mad[j] /= (double) n;

  if (!floor_spreads (self->mad, self->mean, d))
    {
      manhattan_free ((VigilDetector *) self);
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                           "Every feature is constant in the training vectors");
      return NULL;
    }
  return (VigilDetector *) self;
}

static double
manhattan_score (const VigilDetector *detector,
                 const double        *x)
{
  const VigilManhattan *self = (const VigilManhattan *) detector;
  double sum = 0;

  for (gsize j = 0; j < detector->d; j++)
    sum += fabs (x[j] - self->mean[j]) / self->mad[j];
  return sum;
}

/* Payload: d means, then d deviations. */
static void
manhattan_write (const VigilDetector *detector,
                 VigilMlWriter       *writer)
{
  const VigilManhattan *self = (const VigilManhattan *) detector;

  vigil_ml_writer_doubles (writer, self->mean, detector->d);
  vigil_ml_writer_doubles (writer, self->mad, detector->d);
}

static VigilDetector *
manhattan_read (VigilMlReader  *reader,
                gsize           d,
                GError        **error)
{
  VigilManhattan *self;

  /* Checked before allocating: d comes from the blob. */
  if (vigil_ml_reader_remaining (reader) / (2 * sizeof (double)) < d)
    return corrupt (error, "truncated");

  self = g_new0 (VigilManhattan, 1);
  self->mean = g_new (double, d);
  self->mad = g_new (double, d);
  vigil_ml_reader_doubles (reader, self->mean, d);
  vigil_ml_reader_doubles (reader, self->mad, d);
  if (!vigil_ml_reader_ok (reader, error)
      || (!all_finite (self->mean, d) && !corrupt (error, "mean"))
      || (!all_positive_finite (self->mad, d) && !corrupt (error, "deviation")))
    {
      manhattan_free ((VigilDetector *) self);
      return NULL;
    }
  return (VigilDetector *) self;
}

const VigilDetectorClass vigil_manhattan_class = {
  .train = manhattan_train,
  .score = manhattan_score,
  .write = manhattan_write,
  .read = manhattan_read,
  .free = manhattan_free,
};

/* Mahalanobis nearest neighbour */

/* In place: the lower triangle of @a (d * d, symmetric) becomes L with
 * L L^T = a. FALSE when a pivot is not clearly positive. */
static gboolean
cholesky (double *a,
          gsize   d,
          double  min_pivot)
{
  for (gsize j = 0; j < d; j++)
    {
      double pivot = a[j * d + j];

      for (gsize k = 0; k < j; k++)
        pivot -= a[j * d + k] * a[j * d + k];
      if (!(pivot > min_pivot))
        return FALSE;
      pivot = sqrt (pivot);
      a[j * d + j] = pivot;

      for (gsize i = j + 1; i < d; i++)
        {
          double v = a[i * d + j];

          for (gsize k = 0; k < j; k++)
            v -= a[i * d + k] * a[j * d + k];
          a[i * d + j] = v / pivot;
        }
    }
  return TRUE;
}

/* Solves L w = z by forward substitution; @w may be @z. */
static void
forward_solve (const double *chol,
               gsize         d,
               const double *z,
               double       *w)
{
  for (gsize i = 0; i < d; i++)
    {
      double v = z[i];

      for (gsize k = 0; k < i; k++)
        v -= chol[i * d + k] * w[k];
      w[i] = v / chol[i * d + i];
    }
}

static void
mahalanobis_free (VigilDetector *detector)
{
  VigilMahalanobis *self = (VigilMahalanobis *) detector;

  g_free (self->mean);
  g_free (self->scale);
  g_free (self->chol);
  g_free (self->white);
  g_free (self);
}

/* The covariance of the standardised rows @z (their correlation matrix)
 * shrunk towards mu I as Ledoit and Wolf (2004) do, with the intensity
 * estimated from the data: few rows (even fewer than features) give a
 * matrix that is still well conditioned, many rows give almost the sample
 * covariance. Population normalisation (1/n), as in their estimator. */
static void
shrunk_covariance (const double *z,
                   gsize         n,
                   gsize         d,
                   double       *cov)
{
  double mu = 0, dist2 = 0, beta = 0, frob2 = 0, shrink;

  for (gsize j = 0; j < d * d; j++)
    cov[j] = 0;
  for (gsize r = 0; r < n; r++)
    for (gsize i = 0; i < d; i++)
      for (gsize j = 0; j <= i; j++)
        cov[i * d + j] += z[r * d + i] * z[r * d + j];
  for (gsize i = 0; i < d; i++)
    for (gsize j = 0; j <= i; j++)
      {
        cov[i * d + j] /= (double) n;
        cov[j * d + i] = cov[i * d + j];
      }

  for (gsize i = 0; i < d; i++)
    mu += cov[i * d + i];
  mu /= (double) d;
  for (gsize i = 0; i < d; i++)
    for (gsize j = 0; j < d; j++)
      {
        double target = i == j ? mu : 0;

        dist2 += (cov[i * d + j] - target) * (cov[i * d + j] - target);
        frob2 += cov[i * d + j] * cov[i * d + j];
      }

  /* beta = 1/n^2 sum_r ||z_r z_r^T - S||_F^2, expanded so that no d * d
   * matrix per row is needed: ||z||^4 - 2 z^T S z + ||S||_F^2. */
  for (gsize r = 0; r < n; r++)
    {
      const double *zr = &z[r * d];
      double norm2 = 0, quad = 0;

      for (gsize i = 0; i < d; i++)
        {
          double row = 0;

          norm2 += zr[i] * zr[i];
          for (gsize j = 0; j < d; j++)
            row += cov[i * d + j] * zr[j];
          quad += zr[i] * row;
        }
      beta += norm2 * norm2 - 2 * quad + frob2;
    }
  beta /= (double) n * (double) n;

  /* dist2 is 0 when S already is mu I: nothing to shrink. */
  shrink = dist2 > 0 ? MIN (beta, dist2) / dist2 : 0;
  for (gsize i = 0; i < d; i++)
    for (gsize j = 0; j < d; j++)
      cov[i * d + j] = (1 - shrink) * cov[i * d + j] + (i == j ? shrink * mu : 0);
}

static VigilDetector *
mahalanobis_train (const double              *genuine,
                   gsize                      n,
                   const double              *negatives,
                   gsize                      m,
                   gsize                      d,
                   const VigilDetectorParams *params,
                   GError                   **error)
{
  /* Multiples of the mean variance added to the diagonal when rounding
   * leaves the shrunk matrix not quite positive definite. */
  static const double ridges[] = { 0, 1e-9, 1e-6, 1e-3, 1e-1, 1 };
  g_autofree double *cov = NULL;
  VigilMahalanobis *self;
  double mu = 0;
  gboolean factored = FALSE;

  if (!check_rows (n, error))
    return NULL;
  if (d > MAHALANOBIS_MAX_D)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "The Mahalanobis detector takes at most %u features, not %" G_GSIZE_FORMAT,
                   MAHALANOBIS_MAX_D, d);
      return NULL;
    }

  self = g_new0 (VigilMahalanobis, 1);
  self->n = n;
  self->mean = g_new (double, d);
  self->scale = g_new0 (double, d);
  self->chol = g_new (double, d * d);
  self->white = g_new (double, n * d);

  /* Standardising first makes the shrinkage target the correlation
   * matrix's identity, so features in large units do not swamp the rest. */
  column_means (genuine, n, d, self->mean);
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < d; j++)
      {
        double dev = genuine[i * d + j] - self->mean[j];

        self->scale[j] += dev * dev;
      }
  for (gsize j = 0; j < d; j++)
    self->scale[j] = sqrt (self->scale[j] / (double) n);
  if (!floor_spreads (self->scale, self->mean, d))
    {
      mahalanobis_free ((VigilDetector *) self);
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                           "Every feature is constant in the training vectors");
      return NULL;
    }
  for (gsize i = 0; i < n; i++)
    for (gsize j = 0; j < d; j++)
      self->white[i * d + j] = (genuine[i * d + j] - self->mean[j]) / self->scale[j];

  cov = g_new (double, d * d);
  shrunk_covariance (self->white, n, d, cov);
  for (gsize j = 0; j < d; j++)
    mu += cov[j * d + j];
  mu /= (double) d;

  for (guint r = 0; r < G_N_ELEMENTS (ridges) && !factored && mu > 0; r++)
    {
      for (gsize i = 0; i < d * d; i++)
        self->chol[i] = cov[i];
      for (gsize j = 0; j < d; j++)
        self->chol[j * d + j] += ridges[r] * mu;
      factored = cholesky (self->chol, d, 1e-12 * mu);
    }
  if (!factored)
    {
      mahalanobis_free ((VigilDetector *) self);
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                           "The covariance of the training vectors is singular");
      return NULL;
    }
  /* Only the lower triangle is read; zero the rest so blobs are tidy. */
  for (gsize i = 0; i < d; i++)
    for (gsize j = i + 1; j < d; j++)
      self->chol[i * d + j] = 0;

  for (gsize i = 0; i < n; i++)
    forward_solve (self->chol, d, &self->white[i * d], &self->white[i * d]);

  return (VigilDetector *) self;
}

/* The Mahalanobis distance to the nearest training row: a Euclidean
 * distance in whitened space, abandoning a row as soon as its partial sum
 * passes the best so far. */
static double
mahalanobis_score (const VigilDetector *detector,
                   const double        *x)
{
  const VigilMahalanobis *self = (const VigilMahalanobis *) detector;
  gsize d = detector->d;
  double w[MAHALANOBIS_MAX_D];
  double best = INFINITY, check = 0;

  /* Standardise and solve L w = z in one pass. */
  for (gsize i = 0; i < d; i++)
    {
      double v = (x[i] - self->mean[i]) / self->scale[i];

      for (gsize k = 0; k < i; k++)
        v -= self->chol[i * d + k] * w[k];
      w[i] = v / self->chol[i * d + i];
      check += w[i];
    }
  if (isnan (check))
    return NAN;

  for (gsize i = 0; i < self->n; i++)
    {
      const double *row = &self->white[i * d];
      double sum = 0;
      gsize j;

      for (j = 0; j < d && sum < best; j++)
        sum += (w[j] - row[j]) * (w[j] - row[j]);
      if (j == d && sum < best)
        best = sum;
    }
  return sqrt (best);
}

/* Payload: n, then d means, d scales, the d * (d + 1) / 2 entries of L's
 * lower triangle row by row, and the n whitened rows. */
static void
mahalanobis_write (const VigilDetector *detector,
                   VigilMlWriter       *writer)
{
  const VigilMahalanobis *self = (const VigilMahalanobis *) detector;
  gsize d = detector->d;

  vigil_ml_writer_u32 (writer, (guint32) self->n);
  vigil_ml_writer_doubles (writer, self->mean, d);
  vigil_ml_writer_doubles (writer, self->scale, d);
  for (gsize i = 0; i < d; i++)
    vigil_ml_writer_doubles (writer, &self->chol[i * d], i + 1);
  vigil_ml_writer_doubles (writer, self->white, self->n * d);
}

static VigilDetector *
mahalanobis_read (VigilMlReader  *reader,
                  gsize           d,
                  GError        **error)
{
  VigilMahalanobis *self;
  guint32 n;
  gsize fixed;

  if (d > MAHALANOBIS_MAX_D)
    return corrupt (error, "too many features");
  /* Each row takes d doubles; the count is checked against what follows
   * before anything is allocated. */
  if (!vigil_ml_reader_count (reader, d * sizeof (double), &n))
    {
      vigil_ml_reader_ok (reader, error);
      return NULL;
    }
  fixed = (2 * d + d * (d + 1) / 2) * sizeof (double);
  if (n < 2 || vigil_ml_reader_remaining (reader) < fixed
      || (vigil_ml_reader_remaining (reader) - fixed) / sizeof (double) / d < n)
    return corrupt (error, "row count");

  self = g_new0 (VigilMahalanobis, 1);
  self->n = n;
  self->mean = g_new (double, d);
  self->scale = g_new (double, d);
  self->chol = g_new0 (double, d * d);
  self->white = g_new (double, (gsize) n * d);
  vigil_ml_reader_doubles (reader, self->mean, d);
  vigil_ml_reader_doubles (reader, self->scale, d);
  for (gsize i = 0; i < d; i++)
    vigil_ml_reader_doubles (reader, &self->chol[i * d], i + 1);
  vigil_ml_reader_doubles (reader, self->white, (gsize) n * d);

  if (!vigil_ml_reader_ok (reader, error))
    {
      mahalanobis_free ((VigilDetector *) self);
      return NULL;
    }
  if (!all_finite (self->mean, d) || !all_positive_finite (self->scale, d)
      || !all_finite (self->chol, d * d) || !all_finite (self->white, (gsize) n * d))
    {
      mahalanobis_free ((VigilDetector *) self);
      return corrupt (error, "parameter out of range");
    }
  for (gsize j = 0; j < d; j++)
    if (!(self->chol[j * d + j] > 0))
      {
        mahalanobis_free ((VigilDetector *) self);
        return corrupt (error, "factor not positive definite");
      }
  return (VigilDetector *) self;
}

const VigilDetectorClass vigil_mahalanobis_class = {
  .train = mahalanobis_train,
  .score = mahalanobis_score,
  .write = mahalanobis_write,
  .read = mahalanobis_read,
  .free = mahalanobis_free,
};
