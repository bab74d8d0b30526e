/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A keystroke data set in the CMU benchmark's layout (Killourhy and Maxion
 * 2009): a header `subject,sessionIndex,rep,<timing columns>`, then one
 * repetition per line. */

typedef struct
{
  char   *name;
  /* Row-major, one row of n_features doubles per repetition, file order. */
  GArray *values;
  guint   n_reps;
} VigilEvalSubject;

typedef struct
{
  GStrv      feature_names;
  guint      n_features;
  /* VigilEvalSubject *, in order of first appearance. */
  GPtrArray *subjects;
  guint      n_rows;
} VigilEvalData;

/* Reads the whole stream. Any malformed line fails the read with
 * G_IO_ERROR_INVALID_DATA and a message that starts "line N: ". */
VigilEvalData *vigil_eval_data_read  (GInputStream  *stream,
                                      GCancellable  *cancellable,
                                      GError       **error);
VigilEvalData *vigil_eval_data_load  (const char    *path,
                                      GError       **error);
/* The repetition @rep (0-based, file order) of @subject. */
const double  *vigil_eval_subject_row (const VigilEvalSubject *subject,
                                       guint                   n_features,
                                       guint                   rep);
void           vigil_eval_data_free  (VigilEvalData *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilEvalData, vigil_eval_data_free)

G_END_DECLS
