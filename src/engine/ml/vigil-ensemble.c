/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Several detectors over the same features, each member's raw score mapped
 * to [0, 1] by the distribution of its out-of-sample scores on the user's
 * own enrollment vectors, and the mapped scores averaged. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigil-detector-private.h"
#include "vigil-ensemble.h"
#include "vigil-rng.h"

#define MAGIC "VGEN"
#define MAGIC_LEN 4
#define FORMAT_VERSION 1
#define CHECKSUM_LEN 8

#define FOLDS 5
/* Every fold holds out at least one row and trains on at least four. A
 * table of so few knots is coarse, but how many vectors make a profile is
 * the profile layer's call, not this one's. */
#define MIN_ROWS FOLDS
/* Kept apart from the seed the members get, so that the fold assignment
 * does not repeat an isolation forest's first subsample. */
#define FOLD_SEED_SALT G_GUINT64_CONSTANT (0x5647454e666f6c64)

/* The discriminative member counts twice: the strongest published mouse-
 * and touch-dynamics results are discriminative, and it is the only
 * member that knows what other users look like. */
#define LOGISTIC_WEIGHT 2.0

typedef struct
{
  VigilDetector *detector;
  double         weight;
  /* The out-of-sample enrollment scores, sorted: knot i sits at i / n. */
  double        *knots;
  guint          n_knots;
  /* Scale of the exponential tail beyond the largest knot. */
  double         spread;
} Member;

struct _VigilEnsemble
{
  gsize   d;
  guint   n_members;
  Member *members;
};

static void
member_clear (Member *member)
{
  g_clear_pointer (&member->detector, vigil_detector_free);
  g_clear_pointer (&member->knots, g_free);
}

void
vigil_ensemble_free (VigilEnsemble *ensemble)
{
  if (ensemble == NULL)
    return;
  for (guint i = 0; i < ensemble->n_members; i++)
    member_clear (&ensemble->members[i]);
  g_free (ensemble->members);
  g_free (ensemble);
}

/* The empirical CDF of the knots, linearly interpolated between them
 * (0 at and below the smallest, (n - 1) / n at the largest), then
 * 1 - (1 / n) exp (-(s - s_max) / spread) beyond: continuous, monotone,
 * and still increasing for scores past everything seen in enrollment. A
 * score that is not a number is treated as the most anomalous. */
static double
calibrate (const Member *member,
           double        score)
{
  const double *knots = member->knots;
  guint n = member->n_knots, lo = 0, hi = n;

  if (isnan (score))
    return 1;

  /* lo = the number of knots <= score. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (knots[mid] <= score)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return 0;
  if (lo == n)
    return 1 - exp (-(score - knots[n - 1]) / member->spread) / n;
  /* knots[lo - 1] <= score < knots[lo]; ties among knots take the top of
   * their step, as the empirical CDF does. */
  return ((lo - 1) + (score - knots[lo - 1]) / (knots[lo] - knots[lo - 1])) / n;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The tail beyond the largest knot as an exponential whose scale is the
 * mean excess of the top tenth of the knots over the knot below them (the
 * maximum-likelihood fit of an exponential to those excesses), so that it
 * falls off about as fast as the enrollment scores' own upper tail. */
static double
tail_spread (const double *knots,
             guint         n)
{
  guint top = MAX (2u, n / 10);
  double threshold, spread = 0;

  if (n < 2)
    return 1;
  top = MIN (top, n - 1);
  threshold = knots[n - 1 - top];
  for (guint i = n - top; i < n; i++)
    spread += knots[i] - threshold;
  spread /= top;

  /* Ties at the top: fall back to the knots' average gap, then to a scale
   * relative to their magnitude. */
  if (!(spread > 0))
    spread = (knots[n - 1] - knots[0]) / n;
  if (!(spread > 0))
    spread = MAX (fabs (knots[n - 1]), 1.0) * 1e-6;
  return spread;
}

static gboolean
is_kind (guint kind)
{
  return kind <= VIGIL_DETECTOR_LOGISTIC;
}

/* Trains @member of @kind: out-of-sample scores for every genuine row from
 * models trained on the other folds, then the final model on all rows. */
static gboolean
train_member (Member                    *member,
              VigilDetectorKind          kind,
              const double              *genuine,
              gsize                      n,
              const double              *negatives,
              gsize                      m,
              gsize                      d,
              const VigilDetectorParams *params,
              const guint               *fold_of,
              double                    *scratch,
              GError                   **error)
{
  g_autofree double *scores = g_new (double, n);

  for (guint f = 0; f < FOLDS; f++)
    {
      g_autoptr(VigilDetector) model = NULL;
      gsize rows = 0;

      for (gsize i = 0; i < n; i++)
        if (fold_of[i] != f)
          memcpy (&scratch[rows++ * d], &genuine[i * d], d * sizeof (double));
      model = vigil_detector_train (kind, scratch, rows, negatives, m, d, params, error);
      if (model == NULL)
        return FALSE;
      for (gsize i = 0; i < n; i++)
        if (fold_of[i] == f)
          scores[i] = vigil_detector_score (model, &genuine[i * d]);
    }

  for (gsize i = 0; i < n; i++)
    if (!isfinite (scores[i]))
      {
        g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                     "The %s detector gave an enrollment vector a score that is not a finite number",
                     vigil_detector_kind_to_string (kind));
        return FALSE;
      }
  qsort (scores, n, sizeof (double), compare_doubles);

  member->detector = vigil_detector_train (kind, genuine, n, negatives, m, d, params, error);
  if (member->detector == NULL)
    return FALSE;
  member->weight = kind == VIGIL_DETECTOR_LOGISTIC ? LOGISTIC_WEIGHT : 1.0;
  member->n_knots = (guint) n;
  member->knots = g_steal_pointer (&scores);
  member->spread = tail_spread (member->knots, member->n_knots);
  return TRUE;
}

VigilEnsemble *
vigil_ensemble_train (const VigilDetectorKind   *kinds,
                      guint                      n_kinds,
                      const double              *genuine,
                      gsize                      n,
                      const double              *negatives,
                      gsize                      m,
                      gsize                      d,
                      const VigilDetectorParams *params,
                      GError                   **error)
{
  g_autoptr(VigilEnsemble) ensemble = NULL;
  g_autofree guint *order = NULL;
  g_autofree guint *fold_of = NULL;
  g_autofree double *scratch = NULL;
  VigilDetectorParams defaults, member_params;
  VigilRng rng;
  guint n_members = 0;

  g_return_val_if_fail (kinds != NULL || n_kinds == 0, NULL);
  g_return_val_if_fail (genuine != NULL || n == 0, NULL);
  g_return_val_if_fail (negatives != NULL || m == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (params == NULL)
    {
      vigil_detector_params_init (&defaults);
      params = &defaults;
    }

  for (guint k = 0; k < n_kinds; k++)
    {
      if (!is_kind (kinds[k]))
        {
          g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                       "Unknown detector kind %u", (guint) kinds[k]);
          return NULL;
        }
      if (kinds[k] != VIGIL_DETECTOR_LOGISTIC || m > 0)
        n_members++;
    }
  if (n_members == 0)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                           "No detector to train (a discriminative one needs other users' vectors)");
      return NULL;
    }
  if (n < MIN_ROWS)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                   "An ensemble needs at least %u enrollment vectors, not %" G_GSIZE_FORMAT,
                   MIN_ROWS, n);
      return NULL;
    }
  if (d == 0 || d > G_MAXUINT32 || n > G_MAXUINT32 || n > G_MAXSIZE / sizeof (double) / d)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "An ensemble cannot train on %" G_GSIZE_FORMAT " vectors of %" G_GSIZE_FORMAT " features",
                   n, d);
      return NULL;
    }

  /* Rows go to folds at random (seeded): enrollment arrives in order, and
   * contiguous folds would calibrate against drift rather than variation. */
  order = g_new (guint, n);
  fold_of = g_new (guint, n);
  for (gsize i = 0; i < n; i++)
    order[i] = (guint) i;
  vigil_rng_init (&rng, params->seed ^ FOLD_SEED_SALT);
  for (gsize i = n - 1; i > 0; i--)
    {
      gsize j = vigil_rng_below (&rng, i + 1);
      guint tmp = order[i];

      order[i] = order[j];
      order[j] = tmp;
    }
  for (gsize i = 0; i < n; i++)
    fold_of[order[i]] = (guint) (i % FOLDS);

  /* The calibration holds for the final member only if it is built like
   * the fold members: an isolation forest on more rows than the folds
   * have would subsample more, and its scores would shift. */
  member_params = *params;
  member_params.subsample = (guint) MIN ((gsize) params->subsample, n - (n + FOLDS - 1) / FOLDS);

  ensemble = g_new0 (VigilEnsemble, 1);
  ensemble->d = d;
  ensemble->members = g_new0 (Member, n_members);
  scratch = g_new (double, n * d);

  for (guint k = 0; k < n_kinds; k++)
    {
      if (kinds[k] == VIGIL_DETECTOR_LOGISTIC && m == 0)
        continue;
      if (!train_member (&ensemble->members[ensemble->n_members], kinds[k],
                         genuine, n, negatives, m, d, &member_params, fold_of, scratch, error))
        {
          /* The half-trained member is cleared with the rest. */
          ensemble->n_members++;
          return NULL;
        }
      ensemble->n_members++;
    }

  return g_steal_pointer (&ensemble);
}

guint
vigil_ensemble_get_n_members (const VigilEnsemble *ensemble)
{
  g_return_val_if_fail (ensemble != NULL, 0);

  return ensemble->n_members;
}

gsize
vigil_ensemble_get_dimension (const VigilEnsemble *ensemble)
{
  g_return_val_if_fail (ensemble != NULL, 0);

  return ensemble->d;
}

const VigilDetector *
vigil_ensemble_get_member (const VigilEnsemble *ensemble,
                           guint                index)
{
  g_return_val_if_fail (ensemble != NULL, NULL);
  g_return_val_if_fail (index < ensemble->n_members, NULL);

  return ensemble->members[index].detector;
}

/* The weighted mean of the calibrated scores. Each is the user's own
 * percentile, so they share a scale and the mean needs no assumption about
 * how the members depend on one another (they see the same features, so
 * they are far from independent, which rules out multiplying p-values);
 * one member fooled by a vector moves the result by its share only, where
 * the maximum would let every member's false alarms through. */
double
vigil_ensemble_score (const VigilEnsemble *ensemble,
                      const double        *x,
                      double              *out_members)
{
  double sum = 0, weights = 0;

  g_return_val_if_fail (ensemble != NULL, NAN);
  g_return_val_if_fail (x != NULL, NAN);

  for (guint i = 0; i < ensemble->n_members; i++)
    {
      const Member *member = &ensemble->members[i];
      double calibrated = calibrate (member, vigil_detector_score (member->detector, x));

      if (out_members != NULL)
        out_members[i] = calibrated;
      sum += member->weight * calibrated;
      weights += member->weight;
    }
  return sum / weights;
}

/* FNV-1a, 64 bits: the blob's last 8 bytes, over all before them. The
 * members' own checks catch what would crash; this catches a flipped bit
 * that would quietly change a score. */
static guint64
checksum (const guint8 *data,
          gsize         len)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (gsize i = 0; i < len; i++)
    {
      hash ^= data[i];
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return hash;
}

/* Layout, little-endian: "VGEN", u32 format version, u32 d, u32 members;
 * per member: double weight, double tail spread, u32 knot count, the
 * knots, the member's framed detector blob; then the u64 checksum. */
GBytes *
vigil_ensemble_serialize (const VigilEnsemble *ensemble)
{
  g_autoptr(GBytes) body = NULL;
  VigilMlWriter writer;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (ensemble != NULL, NULL);

  vigil_ml_writer_init (&writer);
  vigil_ml_writer_bytes (&writer, MAGIC, MAGIC_LEN);
  vigil_ml_writer_u32 (&writer, FORMAT_VERSION);
  vigil_ml_writer_u32 (&writer, (guint32) ensemble->d);
  vigil_ml_writer_u32 (&writer, ensemble->n_members);
  for (guint i = 0; i < ensemble->n_members; i++)
    {
      const Member *member = &ensemble->members[i];

      vigil_ml_writer_double (&writer, member->weight);
      vigil_ml_writer_double (&writer, member->spread);
      vigil_ml_writer_u32 (&writer, member->n_knots);
      vigil_ml_writer_doubles (&writer, member->knots, member->n_knots);
      vigil_detector_write (member->detector, &writer);
    }
  data = writer.bytes->data;
  len = writer.bytes->len;
  vigil_ml_writer_u64 (&writer, checksum (data, len));
  return vigil_ml_writer_finish (&writer);
}

static gboolean
corrupt (GError     **error,
         const char  *what,
         guint        member)
{
  g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
               "Corrupt ensemble: %s of member %u", what, member);
  return FALSE;
}

static gboolean
read_member (VigilMlReader  *reader,
             Member         *member,
             guint           index,
             gsize           d,
             GError        **error)
{
  guint32 n_knots;

  vigil_ml_reader_double (reader, &member->weight);
  vigil_ml_reader_double (reader, &member->spread);
  vigil_ml_reader_count (reader, sizeof (double), &n_knots);
  if (!vigil_ml_reader_ok (reader, error))
    return FALSE;
  if (!(isfinite (member->weight) && member->weight > 0))
    return corrupt (error, "weight", index);
  if (!(isfinite (member->spread) && member->spread > 0))
    return corrupt (error, "tail spread", index);
  if (n_knots == 0)
    return corrupt (error, "calibration", index);

  member->n_knots = n_knots;
  member->knots = g_new (double, n_knots);
  if (!vigil_ml_reader_doubles (reader, member->knots, n_knots))
    return vigil_ml_reader_ok (reader, error);
  for (guint i = 0; i < n_knots; i++)
    if (!isfinite (member->knots[i]) || (i > 0 && member->knots[i] < member->knots[i - 1]))
      return corrupt (error, "calibration", index);

  member->detector = vigil_detector_read (reader, error);
  if (member->detector == NULL)
    return FALSE;
  if (vigil_detector_get_dimension (member->detector) != d)
    return corrupt (error, "dimension", index);
  return TRUE;
}

VigilEnsemble *
vigil_ensemble_deserialize (GBytes  *bytes,
                            GError **error)
{
  g_autoptr(VigilEnsemble) ensemble = NULL;
  VigilMlReader reader;
  const guint8 *data;
  char magic[MAGIC_LEN];
  guint32 version, d, n_members;
  guint64 stored;
  gsize len;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  vigil_ml_reader_init (&reader, data, len);
  vigil_ml_reader_bytes (&reader, magic, MAGIC_LEN);
  vigil_ml_reader_u32 (&reader, &version);
  if (!vigil_ml_reader_ok (&reader, error))
    return NULL;
  if (memcmp (magic, MAGIC, MAGIC_LEN) != 0)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "Not an ensemble model");
      return NULL;
    }
  if (version != FORMAT_VERSION)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "Ensemble model format %u, this build reads format %u",
                   version, FORMAT_VERSION);
      return NULL;
    }

  /* The checksum first: nothing below needs to parse a damaged blob. */
  if (len < MAGIC_LEN + 12 + CHECKSUM_LEN)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "The ensemble model is truncated");
      return NULL;
    }
  len -= CHECKSUM_LEN;
  vigil_ml_reader_init (&reader, data + len, CHECKSUM_LEN);
  vigil_ml_reader_u64 (&reader, &stored);
  if (stored != checksum (data, len))
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "The ensemble model fails its checksum");
      return NULL;
    }

  vigil_ml_reader_init (&reader, data, len);
  vigil_ml_reader_bytes (&reader, magic, MAGIC_LEN);
  vigil_ml_reader_u32 (&reader, &version);
  vigil_ml_reader_u32 (&reader, &d);
  /* A member takes at least its weight, spread, knot count and one knot. */
  vigil_ml_reader_count (&reader, 8 + 8 + 4 + 8, &n_members);
  if (!vigil_ml_reader_ok (&reader, error))
    return NULL;
  if (d == 0 || n_members == 0)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                   "Corrupt ensemble: %u members of %u features", n_members, d);
      return NULL;
    }

  ensemble = g_new0 (VigilEnsemble, 1);
  ensemble->d = d;
  ensemble->members = g_new0 (Member, n_members);
  for (guint i = 0; i < n_members; i++)
    {
      /* Counted first so that a member that fails half way is freed. */
      ensemble->n_members++;
      if (!read_member (&reader, &ensemble->members[i], i, d, error))
        return NULL;
    }
  if (vigil_ml_reader_remaining (&reader) > 0)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                   "%" G_GSIZE_FORMAT " unexpected bytes after the ensemble model",
                   vigil_ml_reader_remaining (&reader));
      return NULL;
    }
  return g_steal_pointer (&ensemble);
}
