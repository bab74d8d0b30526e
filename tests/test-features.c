/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Feature extraction against hand-computed values. */
#include "config.h"

#include <math.h>

#include "vigil-error.h"
#include "vigil-features.h"
#include "vigil-keystrokes.h"

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
test_typing_hand_computed (void)
{
  /* "there": t h e r e, then a sixth key that is not a letter. */
  g_autoptr(JsonObject) payload = parse_object (
    "{\"keyEvents\": ["
    " {\"code\": \"KeyT\", \"downTime\": 0,   \"upTime\": 100},"
    " {\"code\": \"KeyH\", \"downTime\": 150, \"upTime\": 230},"
    " {\"code\": \"KeyE\", \"downTime\": 300, \"upTime\": 380},"
    " {\"code\": \"r\",    \"downTime\": 420, \"upTime\": 500},"
    " {\"code\": \"E\",    \"downTime\": 560, \"upTime\": 640},"
    " {\"code\": \"Space\", \"downTime\": 700, \"upTime\": 1000}]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilFeatureVector) vector = vigil_features_typing (payload, &error);

  g_assert_no_error (error);
  g_assert_false (vector->abstained);
  g_assert_cmpuint (vector->n_features, ==, VIGIL_TYPING_FEATURES);
  /* Letter dwells 100, 80, 80, 80, 80. */
  g_assert_cmpfloat_with_epsilon (vector->values[0], 84, 1e-9);
  /* th: 150 - 100; he: 300 - 230 (single samples: deviation 0). */
  g_assert_cmpfloat_with_epsilon (vector->values[1], 50, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[2], 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[3], 70, 1e-9);
  /* er: 420 - 380 = 40 and re: 560 - 500 = 60 (slots 4 and 6). */
  g_assert_cmpfloat_with_epsilon (vector->values[1 + 2 * 3], 40, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[1 + 2 * 5], 60, 1e-9);
  /* "in" was not typed: all flights (50, 70, 40, 60) stand in. */
  g_assert_cmpfloat_with_epsilon (vector->values[1 + 2 * 2], 55, 1e-9);
  /* Six keys over one second. */
  g_assert_cmpfloat_with_epsilon (vector->values[17], 6, 1e-9);
}

static void
test_typing_abstains_and_refuses (void)
{
  g_autoptr(JsonObject) few = parse_object (
    "{\"keyEvents\": [{\"code\": \"KeyA\", \"downTime\": 0, \"upTime\": 50}]}");
  g_autoptr(JsonObject) none = parse_object ("{}");
  g_autoptr(JsonObject) bad = parse_object ("{\"keyEvents\": [{\"code\": \"KeyA\", \"downTime\": \"x\"}]}");
  g_autoptr(JsonObject) reversed = parse_object (
    "{\"keyEvents\": [{\"code\": \"KeyA\", \"downTime\": 100, \"upTime\": 50}]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilFeatureVector) a = vigil_features_typing (few, &error);
  g_autoptr(VigilFeatureVector) b = vigil_features_typing (none, &error);

  g_assert_true (a->abstained);
  g_assert_null (a->values);
  g_assert_true (b->abstained);
  g_assert_null (vigil_features_typing (bad, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_null (vigil_features_typing (reversed, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
}

static JsonObject *
straight_line_payload (guint points,
                       double step_ms,
                       double gap_at,
                       double gap_ms)
{
  g_autoptr(GString) text = g_string_new ("{\"mousePaths\": [[");
  double t = 0;

  for (guint i = 0; i < points; i++)
    {
      if (i == gap_at)
        t += gap_ms - step_ms;
      g_string_append_printf (text, "%s{\"t\": %g, \"x\": %u, \"y\": 0}", i ? "," : "", t, i * 3);
      t += step_ms;
    }
  g_string_append (text, "]], \"clicks\": [{\"t\": 1, \"x\": 0, \"y\": 0, \"button\": 0, \"duration\": 90},"
                         " {\"t\": 2, \"x\": 0, \"y\": 0, \"button\": 0, \"duration\": 110}]}");
  return parse_object (text->str);
}

static void
test_mouse_straight_line (void)
{
  g_autoptr(JsonObject) payload = straight_line_payload (40, 10, G_MAXUINT, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilFeatureVector) vector = vigil_features_mouse (payload, &error);

  g_assert_no_error (error);
  g_assert_false (vector->abstained);
  g_assert_cmpuint (vector->n_features, ==, VIGIL_MOUSE_FEATURES);
  /* 3 px every 10 ms: 0.3 px/ms, steady, straight, no turns, no pauses. */
  g_assert_cmpfloat_with_epsilon (vector->values[0], 0.3, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[1], 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[2], 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[4], 1, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[5], 100, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[6], 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[8], 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (vector->values[9], 0.3, 1e-12);
}

static void
test_mouse_pause_and_abstain (void)
{
  g_autoptr(JsonObject) paused = straight_line_payload (40, 10, 20, 500);
  g_autoptr(JsonObject) short_path = straight_line_payload (10, 10, G_MAXUINT, 0);
  g_autoptr(JsonObject) bad = parse_object ("{\"mousePaths\": [[{\"t\": 0, \"x\": \"left\", \"y\": 0}]]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilFeatureVector) vector = vigil_features_mouse (paused, &error);
  g_autoptr(VigilFeatureVector) none = vigil_features_mouse (short_path, &error);

  g_assert_no_error (error);
  /* One pause of 500 ms; the stroke lasts 39 steps of 10 ms plus the
   * 490 ms the pause added: 0.88 s. */
  g_assert_cmpfloat_with_epsilon (vector->values[6], 500, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[7], 1 / 0.88, 1e-9);
  g_assert_true (none->abstained);
  g_assert_null (vigil_features_mouse (bad, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
}

static void
test_fixed_text_columns (void)
{
  const char * const text[] = { "period", "t", "i" };
  const double down[] = { 0, 250, 400 };
  const double up[] = { 100, 330, 470 };
  const char * const wrong[] = { "period", "t", "o" };
  g_autoptr(VigilFeatureVector) vector = vigil_features_fixed_text (text, 3, text, down, up, 3);
  g_autoptr(VigilFeatureVector) refused = vigil_features_fixed_text (text, 3, wrong, down, up, 3);
  const double expected[] = { 0.100, 0.250, 0.150, 0.080, 0.150, 0.070, 0.070 };

  /* H.period DD.period.t UD.period.t H.t DD.t.i UD.t.i H.i */
  g_assert_cmpuint (vector->n_features, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpfloat_with_epsilon (vector->values[i], expected[i], 1e-12);
  g_assert_true (refused->abstained);
}

static gboolean
add_keys (VigilKeystrokeWindow *window,
          const char           *type,
          const char           *json,
          double                time_ms,
          GPtrArray            *out,
          GError              **error)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return vigil_keystroke_window_add (window, type, json_node_get_object (node), time_ms, out, error);
}

/* Twenty streamed key events, one a Backspace: holds alternate 80 / 120
 * ms, presses come every 200 ms; one window, computed by hand. */
static void
test_keystroke_events (void)
{
  g_autoptr(VigilKeystrokeWindow) window = vigil_keystroke_window_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  VigilFeatureVector *vector;

  for (guint i = 0; i < VIGIL_KEYSTROKE_WINDOW_KEYS; i++)
    {
      g_autoptr(GError) error = NULL;
      double down = 10000 + 200.0 * i, hold = i % 2 ? 120 : 80;
      g_autofree char *json = g_strdup_printf ("{\"key\": \"%s\", \"down_time\": %.0f, \"up_time\": %.0f}",
                                               i == 7 ? "Backspace" : "a", down, down + hold);

      g_assert_cmpuint (out->len, ==, 0);
      g_assert_true (add_keys (window, "keystroke", json, 0, out, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (out->len, ==, 1);
  vector = g_ptr_array_index (out, 0);
  g_assert_cmpint (vector->modality, ==, VIGIL_MODALITY_KEYSTROKE);
  g_assert_cmpuint (vector->n_features, ==, VIGIL_KEYSTROKE_FEATURES);
  g_assert_cmpfloat_with_epsilon (vector->values[0], 100, 1e-9);            /* mean hold */
  g_assert_cmpfloat_with_epsilon (vector->values[1], sqrt (20 * 400 / 19.0), 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[2], 200, 1e-9);            /* down-down */
  g_assert_cmpfloat_with_epsilon (vector->values[3], 0, 1e-9);
  /* Up-down: 200 minus the previous hold, 10 times 120 and 9 times 80. */
  g_assert_cmpfloat_with_epsilon (vector->values[4], (10 * 120 + 9 * 80) / 19.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[6], 5, 1e-9);              /* keys per second */
  g_assert_cmpfloat_with_epsilon (vector->values[7], 1 / 20.0, 1e-12);      /* corrections */
  g_assert_cmpuint (vigil_keystroke_window_get_pending (window), ==, 0);
}

/* canara's typing_pattern: intervals in seconds, speed in wpm; and the
 * timing lists variant. A pause of more than two seconds is no rhythm. */
static void
test_keystroke_typing_pattern (void)
{
  g_autoptr(VigilKeystrokeWindow) window = vigil_keystroke_window_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  g_autoptr(GError) error = NULL;
  VigilFeatureVector *vector;

  /* 10 keys from 9 intervals of 0.1 s, then 10 more after a pause. */
  g_assert_true (add_keys (window, "typing_pattern",
                           "{\"field\": \"amount\", \"typing_speed\": 60,"
                           " \"keystroke_dynamics\": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]}",
                           1000, out, &error));
  g_assert_true (add_keys (window, "typing_pattern",
                           "{\"keystroke_dynamics\": {\"hold_times\": [90, 90, 90, 90, 90, 90, 90, 90, 90, 90],"
                           " \"flight_times\": [60, 60, 60, 60, 60, 60, 60, 60, 60]}, \"backspace_count\": 2}",
                           9000, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (out->len, ==, 1);
  vector = g_ptr_array_index (out, 0);
  g_assert_cmpfloat_with_epsilon (vector->values[0], 90, 1e-9);
  /* 9 intervals of 100 ms and 9 of 150 ms (90 held + 60 flight). */
  g_assert_cmpfloat_with_epsilon (vector->values[2], 125, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[4], 60, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[6], 8, 1e-9);
  g_assert_cmpfloat_with_epsilon (vector->values[7], 2 / 20.0, 1e-12);
}

static void
test_keystroke_wrong_types (void)
{
  static const char * const cases[] = {
    "{\"keystroke_dynamics\": [0.1, \"fast\"]}",
    "{\"keystroke_dynamics\": 5}",
    "{\"keystroke_dynamics\": [-0.1]}",
    "{\"key\": \"a\", \"down_time\": 100, \"up_time\": 50}",
    "{\"key\": \"a\", \"hold_time\": {}}",
    "{\"typing_speed\": \"quick\", \"keystroke_dynamics\": []}",
  };
  g_autoptr(VigilKeystrokeWindow) window = vigil_keystroke_window_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (add_keys (window, "typing_pattern", cases[i], 0, out, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
    }
  /* Events that carry no keys add none. */
  g_assert_true (add_keys (window, "typing_pattern", "{\"field\": \"amount\"}", 0, out, NULL));
  g_assert_true (add_keys (window, "button_click", "{\"key\": \"a\"}", 0, out, NULL));
  g_assert_cmpuint (out->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/features/typing/hand-computed", test_typing_hand_computed);
  g_test_add_func ("/features/typing/abstain-and-refuse", test_typing_abstains_and_refuses);
  g_test_add_func ("/features/mouse/straight-line", test_mouse_straight_line);
  g_test_add_func ("/features/mouse/pause-and-abstain", test_mouse_pause_and_abstain);
  g_test_add_func ("/features/fixed-text", test_fixed_text_columns);
  g_test_add_func ("/features/keystroke/events", test_keystroke_events);
  g_test_add_func ("/features/keystroke/typing-pattern", test_keystroke_typing_pattern);
  g_test_add_func ("/features/keystroke/wrong-types", test_keystroke_wrong_types);

  return g_test_run ();
}
