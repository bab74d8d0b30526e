/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the detector kinds share with vigil-detector.c: the common header
 * every kind's struct embeds first, the table of per-kind functions, and a
 * little-endian writer and bounds-checked reader for the binary blobs. */

#include "vigil-detector.h"

G_BEGIN_DECLS

typedef struct _VigilMlWriter VigilMlWriter;
typedef struct _VigilMlReader VigilMlReader;

/* One per kind, defined in the kind's .c file (vigil_iforest_class in
 * vigil-iforest.c, and so on). vigil-detector.c validates the arguments,
 * calls these, and fills in the returned detector's header (klass, kind, d)
 * itself, so the kinds only allocate their own struct and fill its body.
 *
 * train:  called with d >= 1, n >= 1, n * d doubles all finite, @negatives
 *         finite (NULL when m == 0), @params non-NULL (defaults applied).
 *         Returns NULL and sets @error (VIGIL_ML_ERROR) on failure.
 * score:  @x has d doubles (not necessarily finite); must not allocate.
 * write:  appends the kind's payload only; the framing (magic, version,
 *         kind, d) is written by vigil-detector.c.
 * read:   reads the payload written by write, with d already known. Must
 *         validate everything scoring relies on (indexes, counts, finite
 *         values), so that a corrupt blob is refused here with
 *         VIGIL_ML_ERROR_CORRUPT rather than read out of bounds later.
 *         Trailing bytes are checked by the caller.
 * free:   frees the whole struct. */
typedef struct
{
  VigilDetector *(*train) (const double              *genuine,
                           gsize                      n,
                           const double              *negatives,
                           gsize                      m,
                           gsize                      d,
                           const VigilDetectorParams *params,
                           GError                   **error);
  double         (*score) (const VigilDetector       *detector,
                           const double              *x);
  void           (*write) (const VigilDetector       *detector,
                           VigilMlWriter             *writer);
  VigilDetector *(*read)  (VigilMlReader             *reader,
                           gsize                      d,
                           GError                   **error);
  void           (*free)  (VigilDetector             *detector);
} VigilDetectorClass;

/* The first member of every kind's struct, e.g.
 *   typedef struct { VigilDetector parent; double *mean; ... } VigilManhattan; */
struct _VigilDetector
{
  const VigilDetectorClass *klass;
  VigilDetectorKind         kind;
  gsize                     d;
};

extern const VigilDetectorClass vigil_iforest_class;
extern const VigilDetectorClass vigil_manhattan_class;
extern const VigilDetectorClass vigil_mahalanobis_class;
extern const VigilDetectorClass vigil_logistic_class;

/* A growing little-endian byte buffer. Integers and IEEE doubles are
 * written byte by byte, so blobs are identical on every machine. */
struct _VigilMlWriter
{
  GByteArray *bytes;
};

void    vigil_ml_writer_init    (VigilMlWriter *writer);
void    vigil_ml_writer_bytes   (VigilMlWriter *writer,
                                 const void    *data,
                                 gsize          len);
void    vigil_ml_writer_u8      (VigilMlWriter *writer,
                                 guint8         value);
void    vigil_ml_writer_u32     (VigilMlWriter *writer,
                                 guint32        value);
void    vigil_ml_writer_u64     (VigilMlWriter *writer,
                                 guint64        value);
void    vigil_ml_writer_double  (VigilMlWriter *writer,
                                 double         value);
void    vigil_ml_writer_doubles (VigilMlWriter *writer,
                                 const double  *values,
                                 gsize          n);
/* Hands over the bytes written and releases the writer (init it again to
 * reuse it; clearing it afterwards is harmless). */
GBytes *vigil_ml_writer_finish  (VigilMlWriter *writer);
/* Drops the bytes written (for a writer abandoned half way). */
void    vigil_ml_writer_clear   (VigilMlWriter *writer);

/* Reads back what the writer wrote. Every read past the end fails, returns
 * FALSE, zeroes its output and leaves the reader failed, so a kind may read
 * several fields and check once with vigil_ml_reader_ok(). */
struct _VigilMlReader
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
  gboolean      failed;
};

void     vigil_ml_reader_init      (VigilMlReader *reader,
                                    const void    *data,
                                    gsize          len);
gboolean vigil_ml_reader_bytes     (VigilMlReader *reader,
                                    void          *out,
                                    gsize          len);
gboolean vigil_ml_reader_u8        (VigilMlReader *reader,
                                    guint8        *out);
gboolean vigil_ml_reader_u32       (VigilMlReader *reader,
                                    guint32       *out);
gboolean vigil_ml_reader_u64       (VigilMlReader *reader,
                                    guint64       *out);
gboolean vigil_ml_reader_double    (VigilMlReader *reader,
                                    double        *out);
gboolean vigil_ml_reader_doubles   (VigilMlReader *reader,
                                    double        *out,
                                    gsize          n);
/* Reads a u32 element count and checks that @count elements of at least
 * @min_element_size bytes each can still follow, so that a corrupt count
 * fails here instead of causing a huge allocation. */
gboolean vigil_ml_reader_count     (VigilMlReader *reader,
                                    gsize          min_element_size,
                                    guint32       *out_count);
gsize    vigil_ml_reader_remaining (const VigilMlReader *reader);
/* FALSE, with VIGIL_ML_ERROR_CORRUPT, when any read so far failed. */
gboolean vigil_ml_reader_ok        (const VigilMlReader *reader,
                                    GError             **error);

/* A whole framed detector (the same bytes as vigil_detector_serialize())
 * into a writer, and back; for containers such as the ensemble's blob. */
void           vigil_detector_write (const VigilDetector *detector,
                                     VigilMlWriter       *writer);
VigilDetector *vigil_detector_read  (VigilMlReader       *reader,
                                     GError             **error);

G_END_DECLS
