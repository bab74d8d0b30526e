/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The part of the detectors every kind shares: arguments, dispatch to the
 * kind's functions, and the framing and byte order of the binary blobs. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-detector-private.h"

#define MAGIC "VGDT"
#define MAGIC_LEN 4

G_DEFINE_QUARK (vigil-ml-error-quark, vigil_ml_error)

static const char * const kind_names[] = {
  [VIGIL_DETECTOR_IFOREST] = "iforest",
  [VIGIL_DETECTOR_MANHATTAN] = "manhattan",
  [VIGIL_DETECTOR_MAHALANOBIS_NN] = "mahalanobis",
  [VIGIL_DETECTOR_LOGISTIC] = "logistic",
};

static const VigilDetectorClass * const classes[] = {
  [VIGIL_DETECTOR_IFOREST] = &vigil_iforest_class,
  [VIGIL_DETECTOR_MANHATTAN] = &vigil_manhattan_class,
  [VIGIL_DETECTOR_MAHALANOBIS_NN] = &vigil_mahalanobis_class,
  [VIGIL_DETECTOR_LOGISTIC] = &vigil_logistic_class,
};
G_STATIC_ASSERT (G_N_ELEMENTS (classes) == G_N_ELEMENTS (kind_names));

static gboolean
kind_is_valid (guint64 kind)
{
  return kind < G_N_ELEMENTS (kind_names);
}

void
vigil_detector_params_init (VigilDetectorParams *params)
{
  g_return_if_fail (params != NULL);

  params->seed = 42;
  params->trees = 100;
  params->subsample = 256;
  params->l2 = 1e-2;
}

const char *
vigil_detector_kind_to_string (VigilDetectorKind kind)
{
  g_return_val_if_fail (kind_is_valid (kind), NULL);

  return kind_names[kind];
}

gboolean
vigil_detector_kind_from_string (const char        *text,
                                 VigilDetectorKind *out_kind)
{
  g_return_val_if_fail (text != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (text, kind_names[i]))
      {
        if (out_kind != NULL)
          *out_kind = (VigilDetectorKind) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
all_finite (const double *values,
            gsize         count)
{
  for (gsize i = 0; i < count; i++)
    if (!isfinite (values[i]))
      return FALSE;
  return TRUE;
}

static const VigilDetectorClass *
lookup_class (guint64   kind,
              GError  **error)
{
  if (!kind_is_valid (kind))
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "Unknown detector kind %" G_GUINT64_FORMAT, kind);
      return NULL;
    }
  return classes[kind];
}

VigilDetector *
vigil_detector_train (VigilDetectorKind          kind,
                      const double              *genuine,
                      gsize                      n,
                      const double              *negatives,
                      gsize                      m,
                      gsize                      d,
                      const VigilDetectorParams *params,
                      GError                   **error)
{
  const VigilDetectorClass *klass;
  VigilDetectorParams defaults;
  VigilDetector *detector;
  gsize genuine_len, negatives_len;

  g_return_val_if_fail (genuine != NULL || n == 0, NULL);
  g_return_val_if_fail (negatives != NULL || m == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((klass = lookup_class (kind, error)) == NULL)
    return NULL;

  if (params == NULL)
    {
      vigil_detector_params_init (&defaults);
      params = &defaults;
    }

  if (d == 0 || d > G_MAXUINT32)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                   "A detector needs between 1 and %u features, not %" G_GSIZE_FORMAT,
                   G_MAXUINT32, d);
      return NULL;
    }
  if (n == 0)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                           "No genuine vectors to train on");
      return NULL;
    }
  if (!g_size_checked_mul (&genuine_len, n, d) || !g_size_checked_mul (&negatives_len, m, d)
      || genuine_len > G_MAXSIZE / sizeof (double) || negatives_len > G_MAXSIZE / sizeof (double))
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                           "The training set is too large");
      return NULL;
    }
  if (!all_finite (genuine, genuine_len) || !all_finite (negatives, negatives_len))
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                           "The training set holds a value that is not a finite number");
      return NULL;
    }

  detector = klass->train (genuine, n, m > 0 ? negatives : NULL, m, d, params, error);
  if (detector == NULL)
    return NULL;

  detector->klass = klass;
  detector->kind = kind;
  detector->d = d;
  return detector;
}

VigilDetectorKind
vigil_detector_get_kind (const VigilDetector *detector)
{
  g_return_val_if_fail (detector != NULL, VIGIL_DETECTOR_IFOREST);

  return detector->kind;
}

gsize
vigil_detector_get_dimension (const VigilDetector *detector)
{
  g_return_val_if_fail (detector != NULL, 0);

  return detector->d;
}

double
vigil_detector_score (const VigilDetector *detector,
                      const double        *x)
{
  g_return_val_if_fail (detector != NULL, NAN);
  g_return_val_if_fail (x != NULL, NAN);

  return detector->klass->score (detector, x);
}

void
vigil_detector_free (VigilDetector *detector)
{
  if (detector != NULL)
    detector->klass->free (detector);
}

void
vigil_detector_write (const VigilDetector *detector,
                      VigilMlWriter       *writer)
{
  g_return_if_fail (detector != NULL);
  g_return_if_fail (writer != NULL);

  vigil_ml_writer_bytes (writer, MAGIC, MAGIC_LEN);
  vigil_ml_writer_u32 (writer, VIGIL_DETECTOR_FORMAT_VERSION);
  vigil_ml_writer_u32 (writer, detector->kind);
  vigil_ml_writer_u32 (writer, (guint32) detector->d);
  detector->klass->write (detector, writer);
}

VigilDetector *
vigil_detector_read (VigilMlReader  *reader,
                     GError        **error)
{
  const VigilDetectorClass *klass;
  VigilDetector *detector;
  char magic[MAGIC_LEN];
  guint32 version, kind, d;

  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  vigil_ml_reader_bytes (reader, magic, MAGIC_LEN);
  vigil_ml_reader_u32 (reader, &version);
  vigil_ml_reader_u32 (reader, &kind);
  vigil_ml_reader_u32 (reader, &d);
  if (!vigil_ml_reader_ok (reader, error))
    return NULL;

  if (memcmp (magic, MAGIC, MAGIC_LEN) != 0)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "Not a detector model");
      return NULL;
    }
  if (version != VIGIL_DETECTOR_FORMAT_VERSION)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "Detector model format %u, this build reads format %u",
                   version, VIGIL_DETECTOR_FORMAT_VERSION);
      return NULL;
    }
  if (!kind_is_valid (kind) || d == 0)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                   "Detector model with kind %u and %u features", kind, d);
      return NULL;
    }
  if ((klass = lookup_class (kind, error)) == NULL)
    return NULL;

  detector = klass->read (reader, d, error);
  if (detector == NULL)
    return NULL;
  /* A kind that forgot to check its last read must not hand back a model
   * built from zeroes. */
  if (!vigil_ml_reader_ok (reader, error))
    {
      klass->free (detector);
      return NULL;
    }

  detector->klass = klass;
  detector->kind = (VigilDetectorKind) kind;
  detector->d = d;
  return detector;
}

GBytes *
vigil_detector_serialize (const VigilDetector *detector)
{
  VigilMlWriter writer;

  g_return_val_if_fail (detector != NULL, NULL);

  vigil_ml_writer_init (&writer);
  vigil_detector_write (detector, &writer);
  return vigil_ml_writer_finish (&writer);
}

VigilDetector *
vigil_detector_deserialize (GBytes  *bytes,
                            GError **error)
{
  g_autoptr(VigilDetector) detector = NULL;
  VigilMlReader reader;
  gconstpointer data;
  gsize len;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (bytes, &len);
  vigil_ml_reader_init (&reader, data, len);
  detector = vigil_detector_read (&reader, error);
  if (detector == NULL)
    return NULL;
  if (vigil_ml_reader_remaining (&reader) > 0)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                   "%" G_GSIZE_FORMAT " unexpected bytes after the detector model",
                   vigil_ml_reader_remaining (&reader));
      return NULL;
    }
  return g_steal_pointer (&detector);
}

/* Writer */

void
vigil_ml_writer_init (VigilMlWriter *writer)
{
  writer->bytes = g_byte_array_sized_new (256);
}

void
vigil_ml_writer_bytes (VigilMlWriter *writer,
                       const void    *data,
                       gsize          len)
{
  g_assert (len <= G_MAXUINT);
  g_byte_array_append (writer->bytes, data, (guint) len);
}

void
vigil_ml_writer_u8 (VigilMlWriter *writer,
                    guint8         value)
{
  g_byte_array_append (writer->bytes, &value, 1);
}

void
vigil_ml_writer_u32 (VigilMlWriter *writer,
                     guint32        value)
{
  guint8 buf[4];

  for (guint i = 0; i < 4; i++)
    buf[i] = (guint8) (value >> (8 * i));
  g_byte_array_append (writer->bytes, buf, sizeof buf);
}

void
vigil_ml_writer_u64 (VigilMlWriter *writer,
                     guint64        value)
{
  guint8 buf[8];

  for (guint i = 0; i < 8; i++)
    buf[i] = (guint8) (value >> (8 * i));
  g_byte_array_append (writer->bytes, buf, sizeof buf);
}

void
vigil_ml_writer_double (VigilMlWriter *writer,
                        double         value)
{
  guint64 bits;

  G_STATIC_ASSERT (sizeof bits == sizeof value);
  memcpy (&bits, &value, sizeof bits);
  vigil_ml_writer_u64 (writer, bits);
}

void
vigil_ml_writer_doubles (VigilMlWriter *writer,
                         const double  *values,
                         gsize          n)
{
  for (gsize i = 0; i < n; i++)
    vigil_ml_writer_double (writer, values[i]);
}

GBytes *
vigil_ml_writer_finish (VigilMlWriter *writer)
{
  return g_byte_array_free_to_bytes (g_steal_pointer (&writer->bytes));
}

void
vigil_ml_writer_clear (VigilMlWriter *writer)
{
  g_clear_pointer (&writer->bytes, g_byte_array_unref);
}

/* Reader */

void
vigil_ml_reader_init (VigilMlReader *reader,
                      const void    *data,
                      gsize          len)
{
  reader->data = data;
  reader->len = data != NULL ? len : 0;
  reader->pos = 0;
  reader->failed = FALSE;
}

gsize
vigil_ml_reader_remaining (const VigilMlReader *reader)
{
  return reader->failed ? 0 : reader->len - reader->pos;
}

/* The next @len bytes, or NULL (and the reader failed) when fewer remain. */
static const guint8 *
take (VigilMlReader *reader,
      gsize          len)
{
  const guint8 *p;

  if (reader->failed || len > reader->len - reader->pos)
    {
      reader->failed = TRUE;
      return NULL;
    }
  p = reader->data + reader->pos;
  reader->pos += len;
  return p;
}

gboolean
vigil_ml_reader_bytes (VigilMlReader *reader,
                       void          *out,
                       gsize          len)
{
  const guint8 *p = take (reader, len);

  if (p == NULL)
    {
      memset (out, 0, len);
      return FALSE;
    }
  if (len > 0)
    memcpy (out, p, len);
  return TRUE;
}

gboolean
vigil_ml_reader_u8 (VigilMlReader *reader,
                    guint8        *out)
{
  const guint8 *p = take (reader, 1);

  *out = p != NULL ? p[0] : 0;
  return p != NULL;
}

gboolean
vigil_ml_reader_u32 (VigilMlReader *reader,
                     guint32       *out)
{
  const guint8 *p = take (reader, 4);
  guint32 value = 0;

  if (p != NULL)
    for (guint i = 0; i < 4; i++)
      value |= (guint32) p[i] << (8 * i);
  *out = value;
  return p != NULL;
}

gboolean
vigil_ml_reader_u64 (VigilMlReader *reader,
                     guint64       *out)
{
  const guint8 *p = take (reader, 8);
  guint64 value = 0;

  if (p != NULL)
    for (guint i = 0; i < 8; i++)
      value |= (guint64) p[i] << (8 * i);
  *out = value;
  return p != NULL;
}

gboolean
vigil_ml_reader_double (VigilMlReader *reader,
                        double        *out)
{
  guint64 bits;
  gboolean ok = vigil_ml_reader_u64 (reader, &bits);

  memcpy (out, &bits, sizeof bits);
  return ok;
}

gboolean
vigil_ml_reader_doubles (VigilMlReader *reader,
                         double        *out,
                         gsize          n)
{
  gboolean ok = TRUE;

  for (gsize i = 0; i < n; i++)
    ok = vigil_ml_reader_double (reader, &out[i]) && ok;
  return ok;
}

gboolean
vigil_ml_reader_count (VigilMlReader *reader,
                       gsize          min_element_size,
                       guint32       *out_count)
{
  guint32 count;

  if (!vigil_ml_reader_u32 (reader, &count))
    {
      *out_count = 0;
      return FALSE;
    }
  if (min_element_size > 0 && count > vigil_ml_reader_remaining (reader) / min_element_size)
    {
      reader->failed = TRUE;
      *out_count = 0;
      return FALSE;
    }
  *out_count = count;
  return TRUE;
}

gboolean
vigil_ml_reader_ok (const VigilMlReader  *reader,
                    GError              **error)
{
  if (reader->failed)
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                           "The detector model is truncated or corrupt");
      return FALSE;
    }
  return TRUE;
}
