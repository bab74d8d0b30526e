/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Action segmentation of hand-built mouse and touch streams, the actions'
 * features, robustness to missing and mistyped fields, and why a
 * window's score is the mean of its most anomalous share: it finds a few
 * foreign actions among many ordinary ones that a plain mean misses. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-actions.h"
#include "vigil-error.h"
#include "vigil-rng.h"
#include "vigil-stats.h"
#include "vigil-tail.h"

static JsonObject *
object_from (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static GArray *
segment (VigilActionSegmenter *segmenter,
         const char           *type,
         const char           *json,
         double                time_ms)
{
  g_autoptr(JsonObject) data = json ? object_from (json) : NULL;
  g_autoptr(GError) error = NULL;
  GArray *actions = g_array_new (FALSE, FALSE, sizeof (VigilAction));

  g_assert_true (vigil_action_segmenter_add (segmenter, type, data, time_ms, actions, &error));
  g_assert_no_error (error);
  return actions;
}

static const VigilAction *
action_at (GArray *actions,
           guint   index)
{
  return &g_array_index (actions, VigilAction, index);
}

/* A straight stroke ending in a click, a stroke with the button held
 * throughout, a wandering stroke without a click, and a rest that splits
 * the last one in two. */
static void
test_mouse_segmentation (void)
{
  g_autoptr(VigilActionSegmenter) segmenter = vigil_action_segmenter_new ();
  g_autoptr(GArray) actions = NULL;
  g_autoptr(GString) json = g_string_new ("{\"mousePaths\": [[");

  for (guint i = 0; i <= 10; i++)
    g_string_append_printf (json, "%s{\"t\": %u, \"x\": %u, \"y\": 100}", i ? "," : "", 1000 + 20 * i, 10 * i);
  g_string_append (json, "], [");
  for (guint i = 0; i <= 10; i++)
    g_string_append_printf (json, "%s{\"t\": %u, \"x\": 300, \"y\": %u}", i ? "," : "", 3000 + 30 * i, 5 * i);
  g_string_append (json, "], [");
  for (guint i = 0; i <= 10; i++)
    g_string_append_printf (json, "%s{\"t\": %u, \"x\": %u, \"y\": %u}", i ? "," : "", 5000 + 20 * i, 4 * i,
                            i % 2 ? 10 : 0);
  /* 700 ms of rest, then on: a second action. */
  for (guint i = 0; i <= 5; i++)
    g_string_append_printf (json, ",{\"t\": %u, \"x\": %u, \"y\": 0}", 5900 + 20 * i, 40 + 8 * i);
  g_string_append (json, "]], \"clicks\": [{\"t\": 1230, \"x\": 100, \"y\": 100, \"button\": 0, \"duration\": 90},"
                         " {\"t\": 2990, \"x\": 300, \"y\": 0, \"button\": 0, \"duration\": 330}]}");

  actions = segment (segmenter, "mouse_activity", json->str, 0);
  g_assert_cmpuint (actions->len, ==, 4);
  g_assert_cmpint (action_at (actions, 0)->kind, ==, VIGIL_ACTION_POINT_CLICK);
  g_assert_cmpint (action_at (actions, 1)->kind, ==, VIGIL_ACTION_DRAG_DROP);
  g_assert_cmpint (action_at (actions, 2)->kind, ==, VIGIL_ACTION_MOUSE_MOVE);
  g_assert_cmpint (action_at (actions, 3)->kind, ==, VIGIL_ACTION_MOUSE_MOVE);

  /* The point-and-click: 100 px in 200 ms, straight, to the right, its
   * click held 90 ms. */
  g_assert_cmpfloat_with_epsilon (action_at (actions, 0)->values[2], 200, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (actions, 0)->values[3], 100, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (actions, 0)->values[4], 1, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (actions, 0)->values[5], 0.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (actions, 0)->values[9], 90, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (actions, 0)->values[10], 1, 1e-9);
  /* The drag went down. */
  g_assert_cmpfloat_with_epsilon (action_at (actions, 1)->values[11], 1, 1e-9);
  /* The zigzag is far from straight. */
  g_assert_cmpfloat (action_at (actions, 2)->values[4], <, 0.5);
  for (guint i = 0; i < actions->len; i++)
    g_assert_cmpint (vigil_action_kind_modality (action_at (actions, i)->kind), ==, VIGIL_MODALITY_POINTER);
}

/* Taps, swipes and scrolls from the fields the seeds' events carry. */
static void
test_touch_events (void)
{
  g_autoptr(VigilActionSegmenter) segmenter = vigil_action_segmenter_new ();
  g_autoptr(GArray) tap = segment (segmenter, "button_click",
                                   "{\"button_id\": \"transfer_btn\", \"coordinates\": [150, 200],"
                                   " \"pressure\": 0.8, \"size\": 0.3, \"duration\": 0.12}", 1000);
  g_autoptr(GArray) cbsa_tap = segment (segmenter, "TOUCH_TAB_SAVE",
                                        "{\"eventType\": \"TOUCH_TAB_SAVE\", \"payload\": {\"x\": 10, \"y\": 20,"
                                        " \"pressure\": \"0.5\", \"touch_size\": 0.2, \"duration_ms\": 95}}", 2000);
  g_autoptr(GArray) swipe = segment (segmenter, "swipe",
                                     "{\"start\": {\"x\": 300, \"y\": 500}, \"end\": {\"x\": 0, \"y\": 100},"
                                     " \"duration\": 250, \"pressure\": 0.6}", 3000);
  g_autoptr(GArray) scroll = segment (segmenter, "SCROLL_DASHBOARD",
                                      "{\"payload\": {\"delta_y\": -600, \"velocity\": 2400}}", 4000);
  g_autoptr(GArray) bare = segment (segmenter, "button_click", "{\"button_id\": \"transfer_btn\"}", 5000);
  g_autoptr(GArray) page = segment (segmenter, "PAGE_ENTER_HOME", "{}", 6000);

  g_assert_cmpuint (tap->len, ==, 1);
  g_assert_cmpint (action_at (tap, 0)->kind, ==, VIGIL_ACTION_TAP);
  g_assert_cmpfloat_with_epsilon (action_at (tap, 0)->values[0], 120, 1e-9);   /* 0.12 s */
  g_assert_cmpfloat_with_epsilon (action_at (tap, 0)->values[1], 0.8, 1e-12);
  g_assert_cmpfloat_with_epsilon (action_at (tap, 0)->values[2], 0.3, 1e-12);

  g_assert_cmpuint (cbsa_tap->len, ==, 1);
  g_assert_cmpfloat_with_epsilon (action_at (cbsa_tap, 0)->values[0], 95, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (cbsa_tap, 0)->values[1], 0.5, 1e-12);

  g_assert_cmpuint (swipe->len, ==, 1);
  g_assert_cmpint (action_at (swipe, 0)->kind, ==, VIGIL_ACTION_SWIPE);
  g_assert_cmpint (vigil_action_kind_modality (VIGIL_ACTION_SWIPE), ==, VIGIL_MODALITY_SWIPE);
  g_assert_cmpfloat_with_epsilon (action_at (swipe, 0)->values[2], 500, 1e-9);   /* a 3-4-5 triangle */
  g_assert_cmpfloat_with_epsilon (action_at (swipe, 0)->values[3], 2, 1e-9);     /* 500 px / 250 ms */
  g_assert_cmpfloat_with_epsilon (action_at (swipe, 0)->values[6], -0.6, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (swipe, 0)->values[7], -0.8, 1e-9);

  g_assert_cmpuint (scroll->len, ==, 1);
  g_assert_cmpint (action_at (scroll, 0)->kind, ==, VIGIL_ACTION_SCROLL);
  g_assert_cmpfloat (action_at (scroll, 0)->values[0], ==, 1);
  g_assert_cmpfloat_with_epsilon (action_at (scroll, 0)->values[2], 600, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (scroll, 0)->values[3], 2.4, 1e-9);  /* 2400 px/s */
  g_assert_cmpfloat_with_epsilon (action_at (scroll, 0)->values[1], 250, 1e-9);  /* 600 px at 2.4 px/ms */

  /* Nothing measured, nothing made up. */
  g_assert_cmpuint (bare->len, ==, 0);
  g_assert_cmpuint (page->len, ==, 0);
}

/* touch_start / touch_move / touch_end streams and points arrays are
 * classified by their geometry. */
static void
test_touch_strokes (void)
{
  g_autoptr(VigilActionSegmenter) segmenter = vigil_action_segmenter_new ();
  g_autoptr(GArray) start = segment (segmenter, "touch_start", "{\"x\": 100, \"y\": 100, \"pressure\": 0.4}", 0);
  g_autoptr(GArray) move = segment (segmenter, "touch_move", "{\"x\": 104, \"y\": 103, \"pressure\": 0.6}", 40);
  g_autoptr(GArray) end = segment (segmenter, "touch_end", "{\"x\": 105, \"y\": 103, \"pressure\": 0.5}", 90);
  g_autoptr(GArray) begin2 = segment (segmenter, "touch", "{\"phase\": \"down\", \"x\": 100, \"y\": 600}", 1000);
  g_autoptr(GArray) move2 = segment (segmenter, "touch", "{\"phase\": \"move\", \"x\": 100, \"y\": 400}", 1050);
  g_autoptr(GArray) end2 = segment (segmenter, "touch", "{\"phase\": \"up\", \"x\": 100, \"y\": 200}", 1100);
  g_autoptr(GArray) stray_end = segment (segmenter, "touch_end", "{\"x\": 1, \"y\": 1}", 1200);
  g_autoptr(GArray) points = segment (segmenter, "swipe",
                                      "{\"points\": [{\"x\": 0, \"y\": 0, \"t\": 0}, {\"x\": 50, \"y\": 0, \"t\": 10},"
                                      " {\"x\": 150, \"y\": 0, \"t\": 20}]}", 2000);

  g_assert_cmpuint (start->len + move->len + begin2->len + move2->len + stray_end->len, ==, 0);
  g_assert_cmpuint (end->len, ==, 1);
  g_assert_cmpint (action_at (end, 0)->kind, ==, VIGIL_ACTION_TAP);
  g_assert_cmpfloat_with_epsilon (action_at (end, 0)->values[0], 90, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (end, 0)->values[1], 0.5, 1e-9);
  g_assert_cmpuint (end2->len, ==, 1);
  g_assert_cmpint (action_at (end2, 0)->kind, ==, VIGIL_ACTION_SWIPE);
  g_assert_cmpfloat_with_epsilon (action_at (end2, 0)->values[2], 400, 1e-9);
  g_assert_cmpfloat_with_epsilon (action_at (end2, 0)->values[3], 4, 1e-9);
  g_assert_cmpuint (points->len, ==, 1);
  g_assert_cmpint (action_at (points, 0)->kind, ==, VIGIL_ACTION_SWIPE);
  g_assert_cmpfloat_with_epsilon (action_at (points, 0)->values[4], 10, 1e-9);   /* peak 100 px in 10 ms */
  g_assert_cmpfloat_with_epsilon (action_at (points, 0)->values[10], 0.5, 1e-9); /* (10 - 5) / 10 */
}

/* A field of the wrong type is an error naming it; the segmenter goes on. */
static void
test_wrong_types (void)
{
  static const struct { const char *type; const char *json; const char *field; } cases[] = {
    { "button_click", "{\"pressure\": \"hard\"}", "pressure" },
    { "touch", "{\"duration\": [1, 2]}", "duration" },
    { "swipe", "{\"start\": \"top\", \"end\": [1, 2]}", "start" },
    { "scroll", "{\"delta_y\": true}", "delta_y" },
    { "swipe", "{\"points\": 5}", "points" },
    { "swipe", "{\"points\": [{\"x\": 1}]}", "x and y" },
    { "mouse", "{\"mousePaths\": [[{\"t\": 0, \"x\": \"a\", \"y\": 0}]]}", "mousePaths[0][0]" },
    { "mouse", "{\"mousePaths\": {}}", "mousePaths" },
    { "mouse", "{\"clicks\": [{\"t\": 5, \"duration\": -1}]}", "clicks[0]" },
    { "button_click", "{\"pressure\": -0.5}", "negative" },
  };
  g_autoptr(VigilActionSegmenter) segmenter = vigil_action_segmenter_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) data = object_from (cases[i].json);
      g_autoptr(GArray) actions = g_array_new (FALSE, FALSE, sizeof (VigilAction));
      g_autoptr(GError) error = NULL;

      g_assert_false (vigil_action_segmenter_add (segmenter, cases[i].type, data, 0, actions, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
      g_assert_nonnull (strstr (error->message, cases[i].field));
      g_assert_cmpuint (actions->len, ==, 0);
    }
  {
    g_autoptr(GArray) tap = segment (segmenter, "tap", "{\"pressure\": 0.7}", 0);

    g_assert_cmpuint (tap->len, ==, 1);
  }
}

static void
test_tail_mean (void)
{
  const double scores[] = { 0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 1.0 };

  /* The top 20 % of 10 is 2: (1.0 + 0.9) / 2. */
  g_assert_cmpfloat_with_epsilon (vigil_actions_tail_mean (scores, 10, 0.2), 0.95, 1e-12);
  /* At least one. */
  g_assert_cmpfloat_with_epsilon (vigil_actions_tail_mean (scores, 3, 0.2), 0.9, 1e-12);
  /* One score is its own window score. */
  g_assert_cmpfloat_with_epsilon (vigil_actions_window_score (scores, 1), 0.1, 1e-12);
  /* The null map is monotone. */
  for (double t = 0.5; t < 1; t += 0.05)
    g_assert_cmpfloat (vigil_tail_uniform_cdf (t, 20, 0.2), <=, vigil_tail_uniform_cdf (t + 0.05, 20, 0.2));
}

/* Genuine windows: 20 calibrated scores, uniform. Windows with a few
 * foreign actions: 16 of those and 4 scoring near 1. At the same 5 %
 * false-alarm rate, the tail mean finds nearly all mixed windows; the
 * plain mean, which the ordinary majority dilutes, well under half. The
 * window score keeps the genuine false-alarm rate where the calibration
 * promises it. */
static void
test_tail_beats_mean (void)
{
  enum { TRIALS = 2000, WINDOW = 20, FOREIGN = 4 };
  g_autofree double *genuine_mean = g_new (double, TRIALS);
  g_autofree double *genuine_tail = g_new (double, TRIALS);
  double mean_threshold, tail_threshold, window[WINDOW];
  guint mean_hits = 0, tail_hits = 0, window_alarms = 0;
  VigilRng rng;

  vigil_rng_init (&rng, 5);
  for (guint t = 0; t < TRIALS; t++)
    {
      double sum = 0;

      for (guint i = 0; i < WINDOW; i++)
        sum += window[i] = vigil_rng_double (&rng);
      genuine_mean[t] = sum / WINDOW;
      genuine_tail[t] = vigil_actions_tail_mean (window, WINDOW, VIGIL_ACTIONS_TAIL_SHARE);
      window_alarms += vigil_actions_window_score (window, WINDOW) > 0.95;
    }
  mean_threshold = vigil_stats_quantile (genuine_mean, TRIALS, 0.95);
  tail_threshold = vigil_stats_quantile (genuine_tail, TRIALS, 0.95);

  for (guint t = 0; t < TRIALS; t++)
    {
      double sum = 0;

      for (guint i = 0; i < WINDOW; i++)
        sum += window[i] = i < FOREIGN ? 0.97 + 0.03 * vigil_rng_double (&rng) : vigil_rng_double (&rng);
      mean_hits += sum / WINDOW > mean_threshold;
      tail_hits += vigil_actions_tail_mean (window, WINDOW, VIGIL_ACTIONS_TAIL_SHARE) > tail_threshold;
    }

  g_test_message ("detection at 5%% false alarms: tail mean %.3f, plain mean %.3f; genuine window scores"
                  " above 0.95: %.3f", tail_hits / (double) TRIALS, mean_hits / (double) TRIALS,
                  window_alarms / (double) TRIALS);
  g_assert_cmpfloat (tail_hits / (double) TRIALS, >, 0.9);
  g_assert_cmpfloat (mean_hits / (double) TRIALS, <, 0.6);
  g_assert_cmpfloat (window_alarms / (double) TRIALS, >, 0.03);
  g_assert_cmpfloat (window_alarms / (double) TRIALS, <, 0.07);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/actions/mouse-segmentation", test_mouse_segmentation);
  g_test_add_func ("/actions/touch-events", test_touch_events);
  g_test_add_func ("/actions/touch-strokes", test_touch_strokes);
  g_test_add_func ("/actions/wrong-types", test_wrong_types);
  g_test_add_func ("/actions/tail-mean", test_tail_mean);
  g_test_add_func ("/actions/tail-beats-mean", test_tail_beats_mean);

  return g_test_run ();
}
