/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vigil-eval: the standard keystroke-dynamics evaluation (Killourhy and
 * Maxion 2009) of the engine's own detectors on a CSV in the CMU
 * benchmark's layout, so the server's models are measured, not guessed. */
#define G_LOG_DOMAIN "vigil-eval"

#include "config.h"

#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "vigil-detector.h"
#include "vigil-ensemble.h"
#include "vigil-eval-data.h"
#include "vigil-eval-eer.h"
#include "vigil-stats.h"

#define EXIT_USAGE 2

typedef struct
{
  gboolean           ensemble;
  VigilDetectorKind  kind;
} Method;

/* The table's rows, in order; detectors go by the engine's own names. */
static const Method methods[] = {
  { FALSE, VIGIL_DETECTOR_IFOREST },
  { FALSE, VIGIL_DETECTOR_MANHATTAN },
  { FALSE, VIGIL_DETECTOR_MAHALANOBIS_NN },
  { FALSE, VIGIL_DETECTOR_LOGISTIC },
  /* Every kind above as members, calibrated and combined. */
  { TRUE,  VIGIL_DETECTOR_IFOREST },
};

static const VigilDetectorKind ensemble_kinds[] = {
  VIGIL_DETECTOR_IFOREST,
  VIGIL_DETECTOR_MANHATTAN,
  VIGIL_DETECTOR_MAHALANOBIS_NN,
  VIGIL_DETECTOR_LOGISTIC,
};

static const char *
method_name (const Method *method)
{
  return method->ensemble ? "ensemble" : vigil_detector_kind_to_string (method->kind);
}

typedef struct
{
  const VigilEvalData  *data;
  const Method        **selected;
  guint                 n_selected;
  guint                 train;
  guint                 test;
  guint                 impostor_reps;
  guint64               seed;
  gboolean              needs_negatives;
  /* n_selected rows of one EER per subject. */
  double               *eer;
  gint                  next_subject;
  GMutex                lock;
  GError               *error;
} Eval;

/* The rows @first to @last (exclusive) of every subject but @skip, stacked. */
static double *
gather_others (const VigilEvalData *data,
               guint                skip,
               guint                first,
               guint                last,
               gsize               *out_rows)
{
  guint d = data->n_features;
  guint per_subject = last > first ? last - first : 0;
  double *rows = g_new (double, (gsize) per_subject * d * (data->subjects->len - 1) + 1);
  gsize n = 0;

  for (guint s = 0; s < data->subjects->len; s++)
    {
      const VigilEvalSubject *other = data->subjects->pdata[s];

      if (s == skip || per_subject == 0)
        continue;
      memcpy (rows + n * d, vigil_eval_subject_row (other, d, first), sizeof (double) * per_subject * d);
      n += per_subject;
    }
  *out_rows = n;
  return rows;
}

typedef struct
{
  const VigilDetector *detector;
  const VigilEnsemble *ensemble;
} Model;

static gboolean
score_rows (Model          model,
            const double  *rows,
            gsize          n,
            guint          d,
            double        *out,
            const char    *method,
            const char    *subject,
            GError       **error)
{
  for (gsize i = 0; i < n; i++)
    {
      out[i] = model.ensemble != NULL ? vigil_ensemble_score (model.ensemble, rows + i * d, NULL)
                                      : vigil_detector_score (model.detector, rows + i * d);
      if (!isfinite (out[i]))
        {
          g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                       "subject %s: %s gave a score that is not a finite number", subject, method);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
evaluate_subject (Eval    *eval,
                  guint    index,
                  GError **error)
{
  const VigilEvalData *data = eval->data;
  const VigilEvalSubject *subject = data->subjects->pdata[index];
  guint d = data->n_features;
  const double *training = vigil_eval_subject_row (subject, d, 0);
  const double *genuine = vigil_eval_subject_row (subject, d, subject->n_reps - eval->test);
  g_autofree double *impostors = NULL;
  g_autofree double *negatives = NULL;
  g_autofree double *genuine_scores = g_new (double, eval->test);
  g_autofree double *impostor_scores = NULL;
  gsize n_impostors, n_negatives = 0;
  VigilDetectorParams params;

  impostors = gather_others (data, index, 0, eval->impostor_reps, &n_impostors);
  impostor_scores = g_new (double, n_impostors);
  /* Other subjects' training repetitions, less the ones scored as
   * impostors: a discriminative model must not have seen its test rows. */
  if (eval->needs_negatives)
    negatives = gather_others (data, index, eval->impostor_reps, eval->train, &n_negatives);

  vigil_detector_params_init (&params);
  params.seed = eval->seed + index;

  for (guint m = 0; m < eval->n_selected; m++)
    {
      const Method *method = eval->selected[m];
      g_autoptr(VigilDetector) detector = NULL;
      g_autoptr(VigilEnsemble) ensemble = NULL;
      g_autoptr(GError) local_error = NULL;
      Model model;

      if (method->ensemble)
        ensemble = vigil_ensemble_train (ensemble_kinds, G_N_ELEMENTS (ensemble_kinds),
                                         training, eval->train, negatives, n_negatives, d,
                                         &params, &local_error);
      else
        detector = vigil_detector_train (method->kind, training, eval->train,
                                         negatives, n_negatives, d, &params, &local_error);
      if (detector == NULL && ensemble == NULL)
        {
          if (local_error == NULL)
            local_error = g_error_new_literal (VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE, "failed");
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "subject %s: training %s: ", subject->name, method_name (method));
          return FALSE;
        }

      model = (Model) { detector, ensemble };
      if (!score_rows (model, genuine, eval->test, d, genuine_scores, method_name (method), subject->name, error) ||
          !score_rows (model, impostors, n_impostors, d, impostor_scores, method_name (method), subject->name, error))
        return FALSE;
      eval->eer[m * data->subjects->len + index] =
        vigil_eval_eer (genuine_scores, eval->test, impostor_scores, n_impostors);
    }
  return TRUE;
}

static gpointer
worker (gpointer user_data)
{
  Eval *eval = user_data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      guint index = (guint) g_atomic_int_add (&eval->next_subject, 1);
      gboolean failed;

      g_mutex_lock (&eval->lock);
      failed = eval->error != NULL;
      g_mutex_unlock (&eval->lock);
      if (failed || index >= eval->data->subjects->len)
        return NULL;

      if (!evaluate_subject (eval, index, &error))
        {
          g_mutex_lock (&eval->lock);
          if (eval->error == NULL)
            eval->error = g_steal_pointer (&error);
          g_mutex_unlock (&eval->lock);
        }
    }
}

static gboolean
select_methods (char        **names,
                GPtrArray    *selected,
                GError      **error)
{
  gboolean chosen[G_N_ELEMENTS (methods)] = { FALSE };

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (names[i], ",", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          const char *name = g_strstrip (parts[j]);
          gboolean found = FALSE;

          if (name[0] == '\0')
            continue;
          for (guint k = 0; k < G_N_ELEMENTS (methods); k++)
            if (g_str_equal (name, method_name (&methods[k])) || g_str_equal (name, "all"))
              found = chosen[k] = TRUE;
          if (!found)
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "unknown detector “%s” (known: iforest, manhattan, mahalanobis, logistic, ensemble, all)",
                           name);
              return FALSE;
            }
        }
    }

  /* Always in the table's order, whatever the order on the command line. */
  for (guint k = 0; k < G_N_ELEMENTS (methods); k++)
    if (chosen[k] || names == NULL)
      g_ptr_array_add (selected, (gpointer) &methods[k]);
  if (selected->len == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--detector names no detector");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_data (const VigilEvalData  *data,
            guint                 train,
            guint                 test,
            guint                 impostor_reps,
            GError              **error)
{
  if (data->subjects->len < 2)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%u subject%s: the evaluation needs at least two, since other subjects are the impostors",
                   data->subjects->len, data->subjects->len == 1 ? "" : "s");
      return FALSE;
    }
  for (guint s = 0; s < data->subjects->len; s++)
    {
      const VigilEvalSubject *subject = data->subjects->pdata[s];

      /* Training and test rows never overlap. */
      if (subject->n_reps < (guint64) train + test)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "subject %s has %u repetitions, fewer than --train %u + --test %u",
                       subject->name, subject->n_reps, train, test);
          return FALSE;
        }
      if (subject->n_reps < impostor_reps)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "subject %s has %u repetitions, fewer than --impostor-reps %u",
                       subject->name, subject->n_reps, impostor_reps);
          return FALSE;
        }
    }
  return TRUE;
}

static void
summarise (const double *eer,
           guint         n,
           double       *out_mean,
           double       *out_sd)
{
  VigilRunningStats stats;

  vigil_running_stats_init (&stats);
  for (guint i = 0; i < n; i++)
    vigil_running_stats_add (&stats, eer[i]);
  *out_mean = stats.mean;
  *out_sd = vigil_running_stats_stddev (&stats);
}

static void
print_json (const Eval *eval,
            const char *path)
{
  const VigilEvalData *data = eval->data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "subjects");
  json_builder_add_int_value (builder, data->subjects->len);
  json_builder_set_member_name (builder, "features");
  json_builder_add_int_value (builder, data->n_features);
  json_builder_set_member_name (builder, "train");
  json_builder_add_int_value (builder, eval->train);
  json_builder_set_member_name (builder, "test");
  json_builder_add_int_value (builder, eval->test);
  json_builder_set_member_name (builder, "impostor_reps");
  json_builder_add_int_value (builder, eval->impostor_reps);
  json_builder_set_member_name (builder, "seed");
  json_builder_add_int_value (builder, (gint64) eval->seed);

  json_builder_set_member_name (builder, "detectors");
  json_builder_begin_object (builder);
  for (guint m = 0; m < eval->n_selected; m++)
    {
      const double *eer = eval->eer + (gsize) m * data->subjects->len;
      double mean, sd;

      summarise (eer, data->subjects->len, &mean, &sd);
      json_builder_set_member_name (builder, method_name (eval->selected[m]));
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "mean");
      json_builder_add_double_value (builder, mean);
      json_builder_set_member_name (builder, "sd");
      json_builder_add_double_value (builder, sd);
      json_builder_set_member_name (builder, "subjects");
      json_builder_add_int_value (builder, data->subjects->len);
      json_builder_set_member_name (builder, "eer");
      json_builder_begin_object (builder);
      for (guint s = 0; s < data->subjects->len; s++)
        {
          const VigilEvalSubject *subject = data->subjects->pdata[s];

          json_builder_set_member_name (builder, subject->name);
          json_builder_add_double_value (builder, eer[s]);
        }
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_table (const Eval *eval,
             const char *path,
             double      seconds,
             guint       jobs)
{
  const VigilEvalData *data = eval->data;
  guint others = data->subjects->len - 1;

  g_print ("%s: %u subjects, %u timing columns, seed %" G_GUINT64_FORMAT "\n",
           path, data->subjects->len, data->n_features, eval->seed);
  g_print ("per subject: trained on its first %u repetitions; scored on its last %u (genuine)\n"
           "and the first %u of each of the %u others (%u impostor)\n\n",
           eval->train, eval->test, eval->impostor_reps, others, others * eval->impostor_reps);
  g_print ("detector      mean EER ±    sd   subjects\n");
  for (guint m = 0; m < eval->n_selected; m++)
    {
      double mean, sd;

      summarise (eval->eer + (gsize) m * data->subjects->len, data->subjects->len, &mean, &sd);
      g_print ("%-12s     %5.3f ± %5.3f %10u\n", method_name (eval->selected[m]), mean, sd, data->subjects->len);
    }
  g_print ("\nevaluated in %.1f s on %u thread%s\n", seconds, jobs, jobs == 1 ? "" : "s");
}

int
main (int   argc,
      char *argv[])
{
  g_auto(GStrv) detector_names = NULL;
  gboolean json = FALSE;
  gint64 seed = 42;
  int train = 200, test = 200, impostor_reps = 5;
  int jobs = (int) g_get_num_processors ();
  const GOptionEntry entries[] = {
    { "detector", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &detector_names,
      "iforest, manhattan, mahalanobis, logistic, ensemble or all; repeatable or a comma list (default: all)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Machine-readable output", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of the detectors that sample (default 42)", "N" },
    { "train", 0, 0, G_OPTION_ARG_INT, &train, "Training repetitions per subject (default 200)", "N" },
    { "test", 0, 0, G_OPTION_ARG_INT, &test, "Genuine test repetitions per subject (default 200)", "N" },
    { "impostor-reps", 0, 0, G_OPTION_ARG_INT, &impostor_reps,
      "Impostor repetitions from each other subject (default 5)", "N" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Subjects evaluated at once (default: processors)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE.csv — evaluate the detectors on keystroke data");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) selected = g_ptr_array_new ();
  g_autoptr(VigilEvalData) data = NULL;
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  g_autofree double *eer = NULL;
  Eval eval = { 0 };
  gint64 start;

  /* So that g_print writes "±" and the quotes in the terminal's charset. */
  setlocale (LC_ALL, "");
  g_option_context_set_summary (context,
    "For each subject: train on its first --train repetitions, score its last --test\n"
    "as genuine and the first --impostor-reps of every other subject as impostors;\n"
    "report the mean and standard deviation of the per-subject equal error rates.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      !select_methods (detector_names, selected, &error))
    {
      g_printerr ("vigil-eval: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (argc != 2 || seed < 0 || train < 1 || test < 1 || impostor_reps < 1 || jobs < 1)
    {
      g_printerr ("vigil-eval: %s\n", argc != 2 ? "expected one CSV file (see --help)"
                                                : "--seed must be non-negative; --train, --test, --impostor-reps and --jobs positive");
      return EXIT_USAGE;
    }

  for (guint m = 0; m < selected->len; m++)
    {
      const Method *method = selected->pdata[m];

      if (!method->ensemble && method->kind == VIGIL_DETECTOR_LOGISTIC && impostor_reps >= train)
        {
          g_printerr ("vigil-eval: logistic takes other subjects' training repetitions after the first "
                      "--impostor-reps as negatives: --train must be larger than --impostor-reps\n");
          return EXIT_USAGE;
        }
    }

  data = vigil_eval_data_load (argv[1], &error);
  if (data == NULL || !check_data (data, train, test, impostor_reps, &error))
    {
      g_printerr ("vigil-eval: %s: %s\n", argv[1], error->message);
      return EXIT_FAILURE;
    }

  eval.data = data;
  eval.selected = (const Method **) selected->pdata;
  eval.n_selected = selected->len;
  eval.train = train;
  eval.test = test;
  eval.impostor_reps = impostor_reps;
  eval.seed = (guint64) seed;
  for (guint m = 0; m < selected->len; m++)
    if (eval.selected[m]->ensemble || eval.selected[m]->kind == VIGIL_DETECTOR_LOGISTIC)
      eval.needs_negatives = TRUE;
  eer = g_new0 (double, (gsize) selected->len * data->subjects->len);
  eval.eer = eer;
  g_mutex_init (&eval.lock);

  jobs = MIN ((guint) jobs, data->subjects->len);
  start = g_get_monotonic_time ();
  for (int i = 0; i < jobs; i++)
    g_ptr_array_add (threads, g_thread_new ("vigil-eval", worker, &eval));
  for (guint i = 0; i < threads->len; i++)
    g_thread_join (threads->pdata[i]);
  g_mutex_clear (&eval.lock);

  if (eval.error != NULL)
    {
      g_printerr ("vigil-eval: %s: %s\n", argv[1], eval.error->message);
      g_error_free (eval.error);
      return EXIT_FAILURE;
    }

  if (json)
    print_json (&eval, argv[1]);
  else
    print_table (&eval, argv[1], (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC, (guint) jobs);
  return EXIT_SUCCESS;
}
