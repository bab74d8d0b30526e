/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads keystroke timing data in the CMU benchmark's CSV layout, strictly:
 * a data set that parses half-right would give a wrong EER silently. */
#define G_LOG_DOMAIN "vigil-eval"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-eval-data.h"

#define N_ID_COLUMNS 3

static const char * const id_columns[N_ID_COLUMNS] = { "subject", "sessionIndex", "rep" };

static void
subject_free (gpointer data)
{
  VigilEvalSubject *subject = data;

  g_free (subject->name);
  g_array_unref (subject->values);
  g_free (subject);
}

void
vigil_eval_data_free (VigilEvalData *data)
{
  if (data == NULL)
    return;
  g_strfreev (data->feature_names);
  g_ptr_array_unref (data->subjects);
  g_free (data);
}

const double *
vigil_eval_subject_row (const VigilEvalSubject *subject,
                        guint                   n_features,
                        guint                   rep)
{
  g_return_val_if_fail (rep < subject->n_reps, NULL);

  return &g_array_index (subject->values, double, (gsize) rep * n_features);
}

G_GNUC_PRINTF (3, 4)
static gboolean
fail (GError    **error,
      guint       line,
      const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "line %u: %s", line, message);
  return FALSE;
}

static char **
split_fields (char *line)
{
  gsize length = strlen (line);
  char **fields;

  if (length > 0 && line[length - 1] == '\r')
    line[length - 1] = '\0';
  fields = g_strsplit (line, ",", -1);
  for (guint i = 0; fields[i] != NULL; i++)
    g_strstrip (fields[i]);
  return fields;
}

static gboolean
parse_header (VigilEvalData  *data,
              char           *line,
              GError        **error)
{
  g_auto(GStrv) fields = split_fields (line);
  guint n_fields = g_strv_length (fields);

  for (guint i = 0; i < N_ID_COLUMNS; i++)
    if (i >= n_fields || strcmp (fields[i], id_columns[i]) != 0)
      return fail (error, 1, "expected a header starting with “subject,sessionIndex,rep”");
  if (n_fields == N_ID_COLUMNS)
    return fail (error, 1, "the header names no timing columns after “rep”");
  for (guint i = N_ID_COLUMNS; i < n_fields; i++)
    if (fields[i][0] == '\0')
      return fail (error, 1, "column %u of the header has no name", i + 1);

  data->n_features = n_fields - N_ID_COLUMNS;
  data->feature_names = g_new0 (char *, data->n_features + 1);
  for (guint i = 0; i < data->n_features; i++)
    data->feature_names[i] = g_strdup (fields[N_ID_COLUMNS + i]);
  return TRUE;
}

static gboolean
parse_row (VigilEvalData  *data,
           GHashTable     *by_name,
           guint           line_number,
           char           *line,
           GError        **error)
{
  g_auto(GStrv) fields = split_fields (line);
  guint n_fields = g_strv_length (fields);
  VigilEvalSubject *subject;
  double *row;

  if (n_fields != N_ID_COLUMNS + data->n_features)
    return fail (error, line_number, "expected %u columns as in the header, found %u",
                 N_ID_COLUMNS + data->n_features, n_fields);
  if (fields[0][0] == '\0')
    return fail (error, line_number, "the subject is empty");
  if (!g_utf8_validate (fields[0], -1, NULL))
    return fail (error, line_number, "the subject is not valid UTF-8");
  for (guint i = 1; i < N_ID_COLUMNS; i++)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (fields[i], 10, 0, G_MAXUINT, &value, NULL))
        return fail (error, line_number, "%s “%s” is not a non-negative integer",
                     id_columns[i], g_utf8_validate (fields[i], -1, NULL) ? fields[i] : "?");
    }

  subject = g_hash_table_lookup (by_name, fields[0]);
  if (subject == NULL)
    {
      subject = g_new0 (VigilEvalSubject, 1);
      subject->name = g_strdup (fields[0]);
      subject->values = g_array_new (FALSE, FALSE, sizeof (double));
      g_ptr_array_add (data->subjects, subject);
      g_hash_table_insert (by_name, subject->name, subject);
    }

  g_array_set_size (subject->values, subject->values->len + data->n_features);
  row = &g_array_index (subject->values, double, subject->values->len - data->n_features);
  for (guint i = 0; i < data->n_features; i++)
    {
      const char *text = fields[N_ID_COLUMNS + i];
      char *end = NULL;

      row[i] = g_ascii_strtod (text, &end);
      /* strtod also reads "nan", "inf" and hexadecimal: timings are none. */
      if (text[0] == '\0' || *end != '\0' || !isfinite (row[i]) || strpbrk (text, "xX") != NULL)
        {
          g_array_set_size (subject->values, subject->values->len - data->n_features);
          return fail (error, line_number, "column %u (%s): “%s” is not a number",
                       N_ID_COLUMNS + i + 1, data->feature_names[i],
                       g_utf8_validate (text, -1, NULL) ? text : "?");
        }
    }
  subject->n_reps++;
  data->n_rows++;
  return TRUE;
}

VigilEvalData *
vigil_eval_data_read (GInputStream  *stream,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(VigilEvalData) data = g_new0 (VigilEvalData, 1);
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  guint line_number = 0;
  guint first_blank = 0;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  data->subjects = g_ptr_array_new_with_free_func (subject_free);
  lines = g_data_input_stream_new (stream);
  g_data_input_stream_set_newline_type (lines, G_DATA_STREAM_NEWLINE_TYPE_LF);

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (lines, NULL, cancellable, &local_error);

      if (local_error != NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "line %u: ", line_number + 1);
          return NULL;
        }
      if (line == NULL)
        break;
      line_number++;

      if (line_number == 1)
        {
          if (!parse_header (data, line, error))
            return NULL;
          continue;
        }
      /* Blank lines may end the file, nothing else. */
      if (line[0] == '\0' || (line[0] == '\r' && line[1] == '\0'))
        {
          if (first_blank == 0)
            first_blank = line_number;
          continue;
        }
      if (first_blank != 0)
        {
          fail (error, first_blank, "empty line");
          return NULL;
        }
      if (!parse_row (data, by_name, line_number, line, error))
        return NULL;
    }

  if (line_number == 0)
    {
      fail (error, 1, "the file is empty: expected a header starting with “subject,sessionIndex,rep”");
      return NULL;
    }
  return g_steal_pointer (&data);
}

VigilEvalData *
vigil_eval_data_load (const char  *path,
                      GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, error);

  if (stream == NULL)
    return NULL;
  return vigil_eval_data_read (G_INPUT_STREAM (stream), NULL, error);
}
