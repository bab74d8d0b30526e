/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vigil-eval end to end: gen-keystrokes writes a synthetic data set in the
 * CMU layout, vigil-eval runs the standard evaluation on it, and both the
 * figures and the strictness of the CSV reader are checked. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "vigil-eval-data.h"
#include "vigil-eval-eer.h"
#include "vigil-test-util.h"

#define N_SUBJECTS 20

static const char * const cmu_columns[] = {
  "H.period", "DD.period.t", "UD.period.t", "H.t", "DD.t.i", "UD.t.i", "H.i",
  "DD.i.e", "UD.i.e", "H.e", "DD.e.five", "UD.e.five", "H.five",
  "DD.five.Shift.r", "UD.five.Shift.r", "H.Shift.r", "DD.Shift.r.o",
  "UD.Shift.r.o", "H.o", "DD.o.a", "UD.o.a", "H.a", "DD.a.n", "UD.a.n", "H.n",
  "DD.n.l", "UD.n.l", "H.l", "DD.l.Return", "UD.l.Return", "H.Return",
};

static const char * const all_detectors[] = {
  "iforest", "manhattan", "mahalanobis", "logistic", "ensemble",
};

static char *tmp_dir;
static char *synthetic_csv;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static const char *
binary (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set: run the tests through meson", variable);
  return path;
}

/* Runs @variable's binary with the NULL-terminated arguments to the end. */
G_GNUC_NULL_TERMINATED
static void
run_binary (Run        *run,
            const char *variable,
            ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, (gpointer) binary (variable));
  va_start (args, variable);
  for (const char *arg = va_arg (args, const char *); arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* UTF-8 whatever the caller's locale, so messages compare exactly. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* The default data set (20 subjects, seed 1), written once. */
static const char *
get_synthetic_csv (void)
{
  if (synthetic_csv == NULL)
    {
      g_auto(Run) run = { 0 };
      g_autofree char *path = tmp_path ("synthetic.csv");

      run_binary (&run, "VIGIL_GEN_KEYSTROKES", "--output", path, NULL);
      g_assert_cmpstr (run.err, ==, "");
      g_assert_cmpint (run.status, ==, 0);
      synthetic_csv = g_steal_pointer (&path);
    }
  return synthetic_csv;
}

static void
test_eer_hand_computed (void)
{
  const double low[] = { 1, 2, 3 };
  const double high[] = { 4, 5 };
  const double tied[] = { 1, 1 };
  const double genuine[] = { 1, 2, 3, 4 };
  const double crossing[] = { 2.5, 5 };
  const double odd_impostor[] = { 2.5, 4 };

  /* Separated: a threshold between them makes no error. */
  g_assert_cmpfloat (vigil_eval_eer (low, 3, high, 2), ==, 0);
  /* Reversed: every impostor below every genuine vector. */
  g_assert_cmpfloat (vigil_eval_eer (high, 2, low, 3), ==, 1);
  /* All tied: only "reject all" (FA 1, miss 0) and "accept all" (FA 0,
   * miss 1) exist; they meet halfway. */
  g_assert_cmpfloat_with_epsilon (vigil_eval_eer (tied, 2, tied, 2), 0.5, 1e-12);
  /* At threshold 3, genuine 3 and 4 alarm (FA 2/4) and impostor 2.5
   * passes (miss 1/2): the rates meet at an observed operating point. */
  g_assert_cmpfloat_with_epsilon (vigil_eval_eer (genuine, 4, crossing, 2), 0.5, 1e-12);
  /* Genuine {1, 2, 3}, impostors {2.5, 4}: threshold 2.5 gives (FA 1/3,
   * miss 0), threshold 3 gives (FA 1/3, miss 1/2); FA - miss goes from
   * 1/3 to -1/6, so the crossing is 2/3 of the way, at 1/3. */
  g_assert_cmpfloat_with_epsilon (vigil_eval_eer (low, 3, odd_impostor, 2), 1.0 / 3, 1e-12);
}

static void
test_eer_interpolates_between_points (void)
{
  const double genuine[] = { 1, 2 };
  const double impostor[] = { 2, 3 };
  const double spread[] = { 1, 3 };
  const double middle[] = { 2 };

  /* A genuine and an impostor tie at 2, so both rates move on the same
   * step: threshold 2 gives (FA 1/2, miss 0), threshold 3 (FA 0, miss
   * 1/2). Halfway along, both are 1/4. */
  g_assert_cmpfloat_with_epsilon (vigil_eval_eer (genuine, 2, impostor, 2), 0.25, 1e-12);
  /* Genuine {1, 3}, impostor {2}: (1/2, 0) at 2, then (1/2, 1) at 3. */
  g_assert_cmpfloat_with_epsilon (vigil_eval_eer (spread, 2, middle, 1), 0.5, 1e-12);
  /* The same computed with the labels' sizes swapped stays in [0, 1]. */
  g_assert_cmpfloat_with_epsilon (vigil_eval_eer (middle, 1, spread, 2), 0.5, 1e-12);
}

static void
test_generator_layout (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEvalData) data = vigil_eval_data_load (get_synthetic_csv (), &error);
  guint negative_up_down = 0;

  g_assert_no_error (error);
  g_assert_nonnull (data);
  g_assert_cmpuint (data->n_features, ==, G_N_ELEMENTS (cmu_columns));
  for (guint i = 0; i < G_N_ELEMENTS (cmu_columns); i++)
    g_assert_cmpstr (data->feature_names[i], ==, cmu_columns[i]);
  g_assert_cmpuint (data->subjects->len, ==, N_SUBJECTS);
  g_assert_cmpuint (data->n_rows, ==, N_SUBJECTS * 400);

  for (guint s = 0; s < data->subjects->len; s++)
    {
      const VigilEvalSubject *subject = data->subjects->pdata[s];
      g_autofree char *name = g_strdup_printf ("s%03u", s + 1);

      g_assert_cmpstr (subject->name, ==, name);
      g_assert_cmpuint (subject->n_reps, ==, 400);
      for (guint r = 0; r < subject->n_reps; r++)
        {
          const double *row = vigil_eval_subject_row (subject, data->n_features, r);

          /* Holds and down-down latencies are positive; each UD is its DD
           * less the previous key's hold, to the data's 4 decimals. */
          for (guint c = 0; c < data->n_features; c += 3)
            g_assert_cmpfloat (row[c], >, 0);
          for (guint c = 1; c < data->n_features; c += 3)
            {
              g_assert_cmpfloat (row[c], >, 0);
              g_assert_cmpfloat_with_epsilon (row[c + 1], row[c] - row[c - 1], 1e-9);
              negative_up_down += row[c + 1] < 0;
            }
        }
    }
  /* Overlapping keys happen, as in the real data. */
  g_assert_cmpuint (negative_up_down, >, 0);
}

static void
test_generator_is_deterministic (void)
{
  g_autofree char *again = tmp_path ("again.csv");
  g_autofree char *other = tmp_path ("other-seed.csv");
  g_autofree char *expected = NULL, *same = NULL, *different = NULL;
  g_auto(Run) first = { 0 };
  g_auto(Run) second = { 0 };
  g_auto(Run) fewer = { 0 };

  run_binary (&first, "VIGIL_GEN_KEYSTROKES", "--output", again, NULL);
  g_assert_cmpint (first.status, ==, 0);
  run_binary (&second, "VIGIL_GEN_KEYSTROKES", "--seed", "2", "--output", other, NULL);
  g_assert_cmpint (second.status, ==, 0);
  g_assert_true (g_file_get_contents (get_synthetic_csv (), &expected, NULL, NULL));
  g_assert_true (g_file_get_contents (again, &same, NULL, NULL));
  g_assert_true (g_file_get_contents (other, &different, NULL, NULL));
  g_assert_cmpstr (same, ==, expected);
  g_assert_cmpstr (different, !=, expected);

  /* A subject's rows do not depend on how many subjects follow it. */
  run_binary (&fewer, "VIGIL_GEN_KEYSTROKES", "--subjects", "3", NULL);
  g_assert_cmpint (fewer.status, ==, 0);
  g_assert_true (g_str_has_prefix (expected, fewer.out));
}

static void
assert_detector (JsonObject *detectors,
                 const char *name)
{
  JsonObject *detector, *eer;
  double mean, sd;
  g_autoptr(GList) members = NULL;

  g_assert_true (json_object_has_member (detectors, name));
  detector = json_object_get_object_member (detectors, name);
  g_assert_nonnull (detector);
  mean = json_object_get_double_member_with_default (detector, "mean", -1);
  sd = json_object_get_double_member_with_default (detector, "sd", -1);
  g_test_message ("%s: mean EER %.4f, sd %.4f", name, mean, sd);
  /* Better than chance by far, yet not trivially perfect. */
  g_assert_cmpfloat (mean, >, 0);
  g_assert_cmpfloat (mean, <, 0.15);
  g_assert_cmpfloat (sd, >=, 0);
  g_assert_cmpint (json_object_get_int_member_with_default (detector, "subjects", -1), ==, N_SUBJECTS);

  eer = json_object_get_object_member (detector, "eer");
  g_assert_nonnull (eer);
  members = json_object_get_members (eer);
  g_assert_cmpuint (g_list_length (members), ==, N_SUBJECTS);
  for (GList *l = members; l != NULL; l = l->next)
    {
      double value = json_object_get_double_member_with_default (eer, l->data, -1);

      g_assert_cmpfloat (value, >=, 0);
      g_assert_cmpfloat (value, <=, 1);
    }
}

static JsonObject *
parse_detectors (JsonParser *parser,
                 const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member_with_default (root, "subjects", -1), ==, N_SUBJECTS);
  g_assert_cmpint (json_object_get_int_member_with_default (root, "features", -1), ==, 31);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "detectors")));
  return json_object_get_object_member (root, "detectors");
}

static void
test_eval_all_detectors_json (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(Run) run = { 0 };
  JsonObject *detectors;

  run_binary (&run, "VIGIL_EVAL", "--json", get_synthetic_csv (), NULL);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_cmpint (run.status, ==, 0);

  detectors = parse_detectors (parser, run.out);
  g_assert_cmpuint (json_object_get_size (detectors), ==, G_N_ELEMENTS (all_detectors));
  for (guint i = 0; i < G_N_ELEMENTS (all_detectors); i++)
    assert_detector (detectors, all_detectors[i]);
}

static void
test_eval_selected_detectors (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(Run) table = { 0 };
  g_auto(Run) json = { 0 };
  g_auto(Run) unknown = { 0 };
  JsonObject *detectors;

  /* Repeated and comma-separated, in any order: the table's order out. */
  run_binary (&json, "VIGIL_EVAL", "--json", "--detector", "manhattan", "--detector", "mahalanobis,manhattan",
              get_synthetic_csv (), NULL);
  g_assert_cmpint (json.status, ==, 0);
  detectors = parse_detectors (parser, json.out);
  g_assert_cmpuint (json_object_get_size (detectors), ==, 2);
  assert_detector (detectors, "manhattan");
  assert_detector (detectors, "mahalanobis");

  run_binary (&table, "VIGIL_EVAL", "--detector", "manhattan", get_synthetic_csv (), NULL);
  g_assert_cmpint (table.status, ==, 0);
  g_assert_nonnull (strstr (table.out, "20 subjects, 31 timing columns"));
  g_assert_nonnull (strstr (table.out, "manhattan"));
  g_assert_nonnull (strstr (table.out, "±"));
  g_assert_null (strstr (table.out, "iforest"));

  run_binary (&unknown, "VIGIL_EVAL", "--detector", "svm", get_synthetic_csv (), NULL);
  g_assert_cmpint (unknown.status, ==, 2);
  g_assert_nonnull (strstr (unknown.err, "unknown detector “svm”"));
}

/* A small well-formed data set: 2 subjects × @reps rows. */
static GString *
small_csv (guint reps)
{
  GString *csv = g_string_new ("subject,sessionIndex,rep");

  for (guint i = 0; i < G_N_ELEMENTS (cmu_columns); i++)
    g_string_append_printf (csv, ",%s", cmu_columns[i]);
  g_string_append_c (csv, '\n');
  for (guint s = 0; s < 2; s++)
    for (guint r = 0; r < reps; r++)
      {
        g_string_append_printf (csv, "s%03u,1,%u", s + 2, r + 1);
        for (guint i = 0; i < G_N_ELEMENTS (cmu_columns); i++)
          g_string_append_printf (csv, ",0.%04u", 1000 + 37 * i + 11 * r + 500 * s);
        g_string_append_c (csv, '\n');
      }
  return csv;
}

typedef struct
{
  const char *name;
  guint       line;         /* 1-based, in small_csv (6) */
  int         field;        /* 0-based; -1 for the whole line */
  const char *replacement;  /* NULL to drop the line */
  const char *message;
} Malformed;

static const Malformed malformed[] = {
  { "column-count", 3, -1, "s002,1,2,0.1,0.2", "line 3: expected 34 columns as in the header, found 5" },
  { "non-number", 4, 4, "0.2x", "line 4: column 5 (DD.period.t): “0.2x” is not a number" },
  { "not-finite", 4, 4, "nan", "line 4: column 5 (DD.period.t): “nan” is not a number" },
  { "missing-header", 1, -1, NULL, "line 1: expected a header starting with “subject,sessionIndex,rep”" },
  { "bad-rep", 5, 2, "two", "line 5: rep “two” is not a non-negative integer" },
  { "empty-line", 6, -1, "", "line 6: empty line" },
};

static char *
malformed_text (const Malformed *m)
{
  g_autoptr(GString) csv = small_csv (6);
  g_auto(GStrv) lines = g_strsplit (csv->str, "\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (i > 0 && (i != m->line || m->replacement != NULL))
        g_string_append_c (out, '\n');
      if (i + 1 != m->line)
        g_string_append (out, lines[i]);
      else if (m->field >= 0)
        {
          g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);
          g_autofree char *joined = NULL;

          g_free (fields[m->field]);
          fields[m->field] = g_strdup (m->replacement);
          joined = g_strjoinv (",", fields);
          g_string_append (out, joined);
        }
      else if (m->replacement != NULL)
        g_string_append (out, m->replacement);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_malformed (gconstpointer user_data)
{
  const Malformed *m = user_data;
  g_autofree char *text = malformed_text (m);
  g_autofree char *name = g_strdup_printf ("%s.csv", m->name);
  g_autofree char *path = tmp_path (name);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (g_strdup (text), -1, g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEvalData) data = NULL;
  g_autofree char *expected = NULL;
  g_auto(Run) run = { 0 };

  data = vigil_eval_data_read (stream, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (data);
  g_assert_cmpstr (error->message, ==, m->message);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  run_binary (&run, "VIGIL_EVAL", path, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpstr (run.out, ==, "");
  expected = g_strdup_printf ("vigil-eval: %s: %s\n", path, m->message);
  g_assert_cmpstr (run.err, ==, expected);
}

static void
test_well_formed_small (void)
{
  g_autoptr(GString) csv = small_csv (6);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEvalData) data = NULL;
  g_autofree char *path = tmp_path ("short.csv");
  g_auto(Run) run = { 0 };

  /* Windows line ends and a blank line at the end are fine. */
  g_string_replace (csv, "\n", "\r\n", 0);
  g_string_append (csv, "\r\n\n");
  stream = g_memory_input_stream_new_from_data (g_strdup (csv->str), -1, g_free);
  data = vigil_eval_data_read (stream, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data->subjects->len, ==, 2);
  g_assert_cmpuint (data->n_rows, ==, 12);
  g_assert_cmpfloat_with_epsilon (vigil_eval_subject_row (data->subjects->pdata[1], 31, 5)[1],
                                  0.1000 + 0.0037 + 0.0055 + 0.05, 1e-12);

  /* Well-formed, but 6 repetitions cannot hold 200 + 200. */
  g_assert_true (g_file_set_contents (path, csv->str, -1, NULL));
  run_binary (&run, "VIGIL_EVAL", path, NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "subject s002 has 6 repetitions, fewer than --train 200 + --test 200"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  tmp_dir = vigil_test_make_tmp_dir ();

  g_test_add_func ("/eval/eer/hand-computed", test_eer_hand_computed);
  g_test_add_func ("/eval/eer/interpolates", test_eer_interpolates_between_points);
  g_test_add_func ("/eval/generator/layout", test_generator_layout);
  g_test_add_func ("/eval/generator/deterministic", test_generator_is_deterministic);
  g_test_add_func ("/eval/csv/well-formed", test_well_formed_small);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("/eval/csv/malformed/%s", malformed[i].name);

      g_test_add_data_func (path, &malformed[i], test_malformed);
    }
  g_test_add_func ("/eval/run/all-detectors-json", test_eval_all_detectors_json);
  g_test_add_func ("/eval/run/selected-detectors", test_eval_selected_detectors);

  status = g_test_run ();
  vigil_test_rm_rf (tmp_dir);
  g_free (tmp_dir);
  g_free (synthetic_csv);
  return status;
}
