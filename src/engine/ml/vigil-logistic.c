/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A discriminative per-user detector: L2-regularised logistic regression
 * of "not this user" against the user's own vectors, with other users'
 * vectors as the negatives, fitted by Newton's method. Each feature enters
 * with its square as well: a linear boundary has a side that is "more this
 * user than the user", and a vector far out on that side would pass; with
 * the squares the log-odds can be an ellipsoid around the user (the
 * boundary between two Gaussians of different spreads), rising every way
 * out. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>

#include "vigil-detector-private.h"

#define MAX_ITERATIONS 100
/* Below this the penalty no longer keeps separable data from driving the
 * weights to infinity within the iterations we allow. */
#define MIN_L2 1e-8
#define ZERO_SPREAD 1e-9
/* The Newton system has 2 d + 1 unknowns. */
#define MAX_FEATURES 1024

/* The model's inputs are p = 2 d terms: z_j, feature j standardised on the
 * training rows, then the squares z_j^2, themselves standardised. mean and
 * scale hold both halves' statistics; a term constant over the training
 * rows has scale 1 (and ends with weight 0: it carries no information). */
typedef struct
{
  VigilDetector  parent;
  double        *mean;      /* p */
  double        *scale;     /* p */
  double         intercept;
  double        *weights;   /* p */
} VigilLogistic;

typedef struct
{
  const double *genuine;
  gsize         n;
  const double *negatives;
  gsize         m;
  gsize         d;
  const double *mean;
  const double *scale;
  double        class_weight[2];
  double        l2;
  double       *z;          /* scratch: one row's p terms */
} Problem;

static void
logistic_free (VigilDetector *detector)
{
  VigilLogistic *self = (VigilLogistic *) detector;

  g_free (self->mean);
  g_free (self->scale);
  g_free (self->weights);
  g_free (self);
}

/* log (1 + e^t) without overflow. */
static double
softplus (double t)
{
  return t > 0 ? t + log1p (exp (-t)) : log1p (exp (t));
}

static double
sigmoid (double t)
{
  if (t >= 0)
    return 1 / (1 + exp (-t));
  return exp (t) / (1 + exp (t));
}

/* The 2 d standardised terms of @x. */
static void
expand (const double *x,
        gsize         d,
        const double *mean,
        const double *scale,
        double       *z)
{
  for (gsize j = 0; j < d; j++)
    {
      double v = (x[j] - mean[j]) / scale[j];

      z[j] = v;
      z[d + j] = (v * v - mean[d + j]) / scale[d + j];
    }
}

static const double *
stacked_row (const Problem *p,
             gsize          r)
{
  return r < p->n ? &p->genuine[r * p->d] : &p->negatives[(r - p->n) * p->d];
}

/* Row @r of the stacked data set (genuine first), expanded into p->z;
 * returns its label: 0 genuine, 1 another user. */
static guint
load_row (const Problem *p,
          gsize          r)
{
  expand (stacked_row (p, r), p->d, p->mean, p->scale, p->z);
  return r < p->n ? 0 : 1;
}

static double
linear (const double *beta,
        const double *z,
        gsize         d)
{
  double t = beta[0];

  for (gsize j = 0; j < d; j++)
    t += beta[j + 1] * z[j];
  return t;
}

/* The class-weighted mean log loss plus the penalty on the weights (not
 * on the intercept). beta = (intercept, weights). */
static double
objective (const Problem *p,
           const double  *beta)
{
  double loss = 0, penalty = 0;

  for (gsize r = 0; r < p->n + p->m; r++)
    {
      guint y = load_row (p, r);
      double t = linear (beta, p->z, 2 * p->d);

      loss += p->class_weight[y] * (softplus (t) - (y ? t : 0));
    }
  for (gsize j = 1; j <= 2 * p->d; j++)
    penalty += beta[j] * beta[j];
  return loss / (double) (p->n + p->m) + 0.5 * p->l2 * penalty;
}

/* Gradient and Hessian (lower triangle) of the objective at @beta. */
static void
derivatives (const Problem *p,
             const double  *beta,
             double        *grad,
             double        *hess)
{
  gsize k = 2 * p->d + 1;
  double total = (double) (p->n + p->m);

  for (gsize i = 0; i < k; i++)
    grad[i] = 0;
  for (gsize i = 0; i < k * k; i++)
    hess[i] = 0;

  for (gsize r = 0; r < p->n + p->m; r++)
    {
      guint y = load_row (p, r);
      double prob = sigmoid (linear (beta, p->z, 2 * p->d));
      double c = p->class_weight[y];
      double g = c * (prob - y);
      double h = c * prob * (1 - prob);

      grad[0] += g;
      hess[0] += h;
      for (gsize i = 1; i < k; i++)
        {
          double hz = h * p->z[i - 1];

          grad[i] += g * p->z[i - 1];
          hess[i * k] += hz;
          for (gsize j = 1; j <= i; j++)
            hess[i * k + j] += hz * p->z[j - 1];
        }
    }

  for (gsize i = 0; i < k; i++)
    {
      grad[i] /= total;
      for (gsize j = 0; j <= i; j++)
        hess[i * k + j] /= total;
    }
  for (gsize i = 1; i < k; i++)
    {
      grad[i] += p->l2 * beta[i];
      hess[i * k + i] += p->l2;
    }
  /* The intercept is not penalised; when every probability saturates its
   * curvature vanishes, and a trace of it keeps the system solvable. */
  hess[0] += 1e-12;
}

/* Solves H x = b in place in @b for a symmetric positive definite H given
 * by its lower triangle (destroyed). FALSE when H is not. */
static gboolean
cholesky_solve (double *h,
                gsize   k,
                double *b)
{
  for (gsize j = 0; j < k; j++)
    {
      double pivot = h[j * k + j];

      for (gsize t = 0; t < j; t++)
        pivot -= h[j * k + t] * h[j * k + t];
      if (!(pivot > 0))
        return FALSE;
      pivot = sqrt (pivot);
      h[j * k + j] = pivot;
      for (gsize i = j + 1; i < k; i++)
        {
          double v = h[i * k + j];

          for (gsize t = 0; t < j; t++)
            v -= h[i * k + t] * h[j * k + t];
          h[i * k + j] = v / pivot;
        }
    }
  for (gsize i = 0; i < k; i++)
    {
      for (gsize t = 0; t < i; t++)
        b[i] -= h[i * k + t] * b[t];
      b[i] /= h[i * k + i];
    }
  for (gsize i = k; i-- > 0;)
    {
      for (gsize t = i + 1; t < k; t++)
        b[i] -= h[t * k + i] * b[t];
      b[i] /= h[i * k + i];
    }
  return TRUE;
}

/* Newton's method with a backtracking line search: the objective is
 * strictly convex, so this converges in a handful of iterations for the
 * tens of features and thousands of rows we train on. */
static gboolean
fit (const Problem *p,
     double        *beta)
{
  gsize k = 2 * p->d + 1;
  g_autofree double *grad = g_new (double, k);
  g_autofree double *hess = g_new (double, k * k);
  g_autofree double *step = g_new (double, k);
  g_autofree double *trial = g_new (double, k);
  double value = objective (p, beta);

  for (guint iteration = 0; iteration < MAX_ITERATIONS; iteration++)
    {
      double decrease = 0, t = 1, largest = 0;
      gboolean accepted = FALSE;

      derivatives (p, beta, grad, hess);
      for (gsize i = 0; i < k; i++)
        step[i] = grad[i];
      if (!cholesky_solve (hess, k, step))
        return FALSE;
      for (gsize i = 0; i < k; i++)
        {
          decrease += grad[i] * step[i];
          largest = MAX (largest, fabs (step[i]));
        }
      /* Half the Newton decrement squared: the objective's distance from
       * its minimum, to second order. */
      if (decrease / 2 < 1e-14 || largest < 1e-10)
        return TRUE;

      for (guint halvings = 0; halvings < 40 && !accepted; halvings++, t /= 2)
        {
          double trial_value;

          for (gsize i = 0; i < k; i++)
            trial[i] = beta[i] - t * step[i];
          trial_value = objective (p, trial);
          if (trial_value <= value - 1e-4 * t * decrease)
            {
              for (gsize i = 0; i < k; i++)
                beta[i] = trial[i];
              value = trial_value;
              accepted = TRUE;
            }
        }
      if (!accepted)
        return TRUE;  /* as far as double precision goes */
    }
  return TRUE;
}

static VigilDetector *
logistic_train (const double              *genuine,
                gsize                      n,
                const double              *negatives,
                gsize                      m,
                gsize                      d,
                const VigilDetectorParams *params,
                GError                   **error)
{
  g_autofree double *beta = NULL;
  g_autofree double *z = NULL;
  VigilLogistic *self;
  Problem p;
  gsize total = n + m;

  if (negatives == NULL || m == 0)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                           "Logistic regression needs other users' vectors as negatives");
      return NULL;
    }
  if (n < 2)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                   "Logistic regression needs at least 2 genuine vectors, not %" G_GSIZE_FORMAT, n);
      return NULL;
    }
  if (!(params->l2 >= 0) || !isfinite (params->l2))
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "Logistic regression needs a finite, non-negative L2 penalty, not %g", params->l2);
      return NULL;
    }
  /* The Hessian is (2 d + 1)^2 doubles. */
  if (d > MAX_FEATURES)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "Logistic regression takes at most %u features, not %" G_GSIZE_FORMAT,
                   MAX_FEATURES, d);
      return NULL;
    }

  self = g_new0 (VigilLogistic, 1);
  self->mean = g_new0 (double, 2 * d);
  self->scale = g_new0 (double, 2 * d);
  self->weights = g_new (double, 2 * d);

  /* Standardised on all training rows, both classes, so that one penalty
   * treats every term alike: first the features, then their squares. */
  z = g_new (double, 2 * d);
  p.genuine = genuine;
  p.n = n;
  p.negatives = negatives;
  p.m = m;
  p.d = d;
  for (gsize j = 0; j < 2 * d; j++)
    {
      self->mean[j] = 0;
      self->scale[j] = 1;
    }
  /* With a half's mean 0 and scale 1, expand () hands out that half's raw
   * terms: the features first, then, with their statistics known, the
   * squares of the standardised features. Two passes each, for a stable
   * variance. */
  for (gsize lo = 0; lo < 2 * d; lo += d)
    {
      g_autofree double *mean = g_new0 (double, d);
      g_autofree double *var = g_new0 (double, d);

      for (gsize r = 0; r < total; r++)
        {
          expand (stacked_row (&p, r), d, self->mean, self->scale, z);
          for (gsize j = 0; j < d; j++)
            mean[j] += z[lo + j];
        }
      for (gsize j = 0; j < d; j++)
        mean[j] /= (double) total;
      for (gsize r = 0; r < total; r++)
        {
          expand (stacked_row (&p, r), d, self->mean, self->scale, z);
          for (gsize j = 0; j < d; j++)
            var[j] += (z[lo + j] - mean[j]) * (z[lo + j] - mean[j]);
        }
      for (gsize j = 0; j < d; j++)
        {
          double sd = sqrt (var[j] / (double) total);

          self->mean[lo + j] = mean[j];
          self->scale[lo + j] = sd > ZERO_SPREAD * fabs (mean[j]) && sd > 0 ? sd : 1;
        }
    }

  p.mean = self->mean;
  p.scale = self->scale;
  /* Balanced classes: each weighs half of the loss however many vectors
   * it has, so thousands of negatives do not drown one user's dozens. */
  p.class_weight[0] = (double) total / (2.0 * (double) n);
  p.class_weight[1] = (double) total / (2.0 * (double) m);
  p.l2 = MAX (params->l2, MIN_L2);
  p.z = z;

  beta = g_new0 (double, 2 * d + 1);
  if (!fit (&p, beta) || !isfinite (beta[0]))
    {
      logistic_free ((VigilDetector *) self);
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                           "Logistic regression did not converge");
      return NULL;
    }
  self->intercept = beta[0];
  for (gsize j = 0; j < 2 * d; j++)
    self->weights[j] = beta[j + 1];
  return (VigilDetector *) self;
}

/* The log-odds that @x is not this user's. Not the probability: that
 * rounds to exactly 1 for every vector far enough away, and the ensemble
 * needs far and farther to stay ordered. */
static double
logistic_score (const VigilDetector *detector,
                const double        *x)
{
  const VigilLogistic *self = (const VigilLogistic *) detector;
  gsize d = detector->d;
  double t = self->intercept;

  /* expand () and linear () inlined: scoring may not allocate a row. */
  for (gsize j = 0; j < d; j++)
    {
      double v = (x[j] - self->mean[j]) / self->scale[j];

      t += self->weights[j] * v;
      t += self->weights[d + j] * (v * v - self->mean[d + j]) / self->scale[d + j];
    }
  return t;
}

/* Payload: 2 d means, 2 d scales, the intercept, 2 d weights (each the
 * features' terms, then the squares'). */
static void
logistic_write (const VigilDetector *detector,
                VigilMlWriter       *writer)
{
  const VigilLogistic *self = (const VigilLogistic *) detector;
  gsize p = 2 * detector->d;

  vigil_ml_writer_doubles (writer, self->mean, p);
  vigil_ml_writer_doubles (writer, self->scale, p);
  vigil_ml_writer_double (writer, self->intercept);
  vigil_ml_writer_doubles (writer, self->weights, p);
}

static VigilDetector *
logistic_read (VigilMlReader  *reader,
               gsize           d,
               GError        **error)
{
  VigilLogistic *self;
  gboolean valid = TRUE;
  gsize p = 2 * d;

  /* Checked before allocating: d comes from the blob. */
  if (d > MAX_FEATURES || vigil_ml_reader_remaining (reader) / (6 * sizeof (double)) < d)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "Corrupt logistic regression: truncated");
      return NULL;
    }

  self = g_new0 (VigilLogistic, 1);
  self->mean = g_new (double, p);
  self->scale = g_new (double, p);
  self->weights = g_new (double, p);
  vigil_ml_reader_doubles (reader, self->mean, p);
  vigil_ml_reader_doubles (reader, self->scale, p);
  vigil_ml_reader_double (reader, &self->intercept);
  vigil_ml_reader_doubles (reader, self->weights, p);
  if (!vigil_ml_reader_ok (reader, error))
    {
      logistic_free ((VigilDetector *) self);
      return NULL;
    }

  valid = isfinite (self->intercept);
  for (gsize j = 0; j < p && valid; j++)
    valid = isfinite (self->mean[j]) && isfinite (self->scale[j]) && self->scale[j] > 0
            && isfinite (self->weights[j]);
  if (!valid)
    {
      logistic_free ((VigilDetector *) self);
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "Corrupt logistic regression: parameter out of range");
      return NULL;
    }
  return (VigilDetector *) self;
}

const VigilDetectorClass vigil_logistic_class = {
  .train = logistic_train,
  .score = logistic_score,
  .write = logistic_write,
  .read = logistic_read,
  .free = logistic_free,
};
