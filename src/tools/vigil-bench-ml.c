/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How long the models take on this machine: scoring one vector and
 * training on 200 vectors of 31 features, each next to a baseline that
 * touches every input value once, timed the same way in the same run. */
#define G_LOG_DOMAIN "vigil-bench-ml"

#include "config.h"

#include <math.h>
#include <time.h>

#include "vigil-detector.h"
#include "vigil-ensemble.h"
#include "vigil-iforest-private.h"
#include "vigil-rng.h"
#include "vigil-stats.h"

#ifndef VIGIL_BENCH_BUILD
#define VIGIL_BENCH_BUILD "unknown"
#endif

#define D 31
#define N_TRAIN 200
#define N_PROBES 1000

typedef double (*ScoreFunc) (gconstpointer model,
                             const double *x);

typedef struct
{
  double median;
  double p99;
} Timing;

/* Keeps the compiler from dropping work whose result is unused. */
static volatile double sink;

static inline gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static double
score_nothing (gconstpointer model,
               const double *x)
{
  return x[0];
}

/* The floor: read each feature once. */
static double
score_norm (gconstpointer model,
            const double *x)
{
  double sum = 0;

  for (guint j = 0; j < D; j++)
    sum += x[j] * x[j];
  return sqrt (sum);
}

static double
score_detector (gconstpointer model,
                const double *x)
{
  return vigil_detector_score (model, x);
}

static double
score_ensemble (gconstpointer model,
                const double *x)
{
  return vigil_ensemble_score (model, x, NULL);
}

/* Each call timed on its own (the clock's cost is in every figure, and
 * shows alone in the "clock" line), cycling through the probe vectors. */
static Timing
time_scoring (ScoreFunc     func,
              gconstpointer model,
              const double *probes,
              guint         calls)
{
  g_autofree double *samples = g_new (double, calls);
  double total = 0;
  Timing timing;

  for (guint i = 0; i < N_PROBES; i++)
    total += func (model, &probes[i * D]);
  for (guint i = 0; i < calls; i++)
    {
      const double *x = &probes[(i % N_PROBES) * D];
      gint64 start = now_ns ();

      total += func (model, x);
      samples[i] = (double) (now_ns () - start);
    }
  sink = total;
  timing.p99 = vigil_stats_quantile (samples, calls, 0.99);
  timing.median = vigil_stats_median (samples, calls);
  return timing;
}

typedef gpointer (*TrainFunc) (const double *rows);

static gpointer
train_baseline (const double *rows)
{
  double means[D] = { 0 };
  double total = 0;

  for (guint i = 0; i < N_TRAIN; i++)
    for (guint j = 0; j < D; j++)
      means[j] += rows[i * D + j];
  for (guint j = 0; j < D; j++)
    total += means[j] / N_TRAIN;
  sink = total;
  return NULL;
}

static gpointer
train_iforest (const double *rows)
{
  g_autoptr(GError) error = NULL;
  VigilDetector *forest = vigil_detector_train (VIGIL_DETECTOR_IFOREST, rows, N_TRAIN, NULL, 0, D, NULL, &error);

  if (forest == NULL)
    g_error ("training the isolation forest: %s", error->message);
  return forest;
}

static const VigilDetectorKind one_class_kinds[] = {
  VIGIL_DETECTOR_IFOREST,
  VIGIL_DETECTOR_MANHATTAN,
  VIGIL_DETECTOR_MAHALANOBIS_NN,
};

static gpointer
train_ensemble (const double *rows)
{
  g_autoptr(GError) error = NULL;
  VigilEnsemble *ensemble = vigil_ensemble_train (one_class_kinds, G_N_ELEMENTS (one_class_kinds),
                                                  rows, N_TRAIN, NULL, 0, D, NULL, &error);

  if (ensemble == NULL)
    g_error ("training the ensemble: %s", error->message);
  return ensemble;
}

/* The median wall time of @runs trainings, in milliseconds. */
static double
time_training (TrainFunc       func,
               GDestroyNotify  free_func,
               const double   *rows,
               guint           runs)
{
  g_autofree double *samples = g_new (double, runs);

  for (guint r = 0; r < runs; r++)
    {
      gint64 start = now_ns ();
      gpointer model = func (rows);

      samples[r] = (now_ns () - start) / 1e6;
      if (model != NULL)
        free_func (model);
    }
  return vigil_stats_median (samples, runs);
}

static void
print_scoring (const char *label,
               Timing      timing,
               Timing      baseline)
{
  g_print ("  %-46s median %8.3f us  p99 %8.3f us  ratio %6.1f\n",
           label, timing.median / 1000, timing.p99 / 1000, timing.median / baseline.median);
}

int
main (int   argc,
      char *argv[])
{
  int calls = 20000;
  int runs = 9;
  const GOptionEntry entries[] = {
    { "calls", 'n', 0, G_OPTION_ARG_INT, &calls, "Vectors scored per measurement", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Trainings per measurement", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark the anomaly detectors");
  g_autoptr(GError) error = NULL;
  g_autofree double *rows = g_new (double, N_TRAIN * D);
  g_autofree double *probes = g_new (double, N_PROBES * D);
  g_autoptr(VigilDetector) forest = NULL;
  g_autoptr(VigilEnsemble) ensemble = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *label = NULL;
  VigilRng rng;
  Timing clock, norm, scored;
  double baseline_ms, forest_ms, ensemble_ms;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || calls < 100 || runs < 1)
    {
      g_printerr ("vigil-bench-ml: %s\n", error ? error->message : "--calls must be at least 100 and --runs at least 1");
      return 2;
    }

  /* Genuine N(0, 1) vectors; the probes are half genuine and half shifted,
   * so scoring walks both ordinary and short isolating paths. */
  vigil_rng_init (&rng, 1);
  for (guint i = 0; i < N_TRAIN * D; i++)
    rows[i] = vigil_rng_gaussian (&rng);
  for (guint i = 0; i < N_PROBES; i++)
    for (guint j = 0; j < D; j++)
      probes[i * D + j] = vigil_rng_gaussian (&rng) + (i % 2 == 1 && j < D / 3 ? 1.5 : 0);

  forest = train_iforest (rows);
  bytes = vigil_detector_serialize (forest);
  ensemble = train_ensemble (rows);
  label = g_strdup_printf ("ensemble (%u one-class members, 100 trees)", vigil_ensemble_get_n_members (ensemble));

  g_print ("ml benchmark: %u vectors of %u features, %u processors, build %s\n",
           N_TRAIN, D, g_get_num_processors (), VIGIL_BENCH_BUILD);
  g_print ("  isolation forest: %u trees, psi %u, %" G_GSIZE_FORMAT " nodes, %" G_GSIZE_FORMAT " bytes serialized\n",
           vigil_iforest_get_n_trees (forest), vigil_iforest_get_subsample (forest),
           vigil_iforest_get_n_nodes (forest), g_bytes_get_size (bytes));

  g_print (" scoring one vector (%d calls each, each timed alone):\n", calls);
  clock = time_scoring (score_nothing, NULL, probes, (guint) calls);
  norm = time_scoring (score_norm, NULL, probes, (guint) calls);
  print_scoring ("clock alone (read two clocks)", clock, norm);
  print_scoring ("baseline (Euclidean norm, every feature once)", norm, norm);
  scored = time_scoring (score_detector, forest, probes, (guint) calls);
  print_scoring ("isolation forest (100 trees)", scored, norm);
  scored = time_scoring (score_ensemble, ensemble, probes, (guint) calls);
  print_scoring (label, scored, norm);
  g_print ("  %-46s %s (target: under 50 us median)\n", "",
           scored.median < 50000 ? "meets the target" : "MISSES the target");

  g_print (" training on %u vectors of %u features (median of %d runs):\n", N_TRAIN, D, runs);
  baseline_ms = time_training (train_baseline, NULL, rows, (guint) runs);
  forest_ms = time_training (train_iforest, (GDestroyNotify) vigil_detector_free, rows, (guint) runs);
  ensemble_ms = time_training (train_ensemble, (GDestroyNotify) vigil_ensemble_free, rows, (guint) runs);
  g_print ("  %-46s %10.4f ms\n", "baseline (column means, every value once)", baseline_ms);
  g_print ("  %-46s %10.3f ms  ratio %8.0f\n", "isolation forest (100 trees)", forest_ms, forest_ms / baseline_ms);
  g_print ("  %-46s %10.3f ms  ratio %8.0f\n", "ensemble (members + calibration)", ensemble_ms,
           ensemble_ms / baseline_ms);
  g_print ("  %-46s %s (target: under 200 ms)\n", "", ensemble_ms < 200 ? "meets the target" : "MISSES the target");

  return 0;
}
