/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Navigation: the shipped event-flow map is read; transition
 * probabilities and surprise match hand-computed values, before and after
 * the user's history; dwell z-scores; a session's windows; the history
 * survives JSON; mistyped fields are errors. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-navigation.h"

/* A: screen home, then B or C; B: then A; C: navigates to pay, no list. */
static const char small_map[] =
  "{\"eventFlowMap\": {\"G\": {"
  "  \"A\": {\"screen\": \"home\", \"nextEvents\": [\"B\", \"C\"]},"
  "  \"B\": {\"nextEvents\": [\"A\"]},"
  "  \"C\": {\"navigatesTo\": \"pay\", \"nextEvents\": []}}}}";

static VigilNavigationMap *
load_small_map (void)
{
  g_autoptr(GError) error = NULL;
  VigilNavigationMap *map = vigil_navigation_map_new_from_data (small_map, -1, &error);

  g_assert_no_error (error);
  return map;
}

static void
test_shipped_map (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "event-flow-map.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(VigilNavigationMap) map = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  map = vigil_navigation_map_new_from_data (contents, (gssize) length, &error);
  g_assert_no_error (error);
  /* 120 events listed, TOUCH_LOGOUT twice (two groups): one event. */
  g_assert_cmpuint (vigil_navigation_map_get_n_events (map), ==, 119);
  g_assert_cmpstr (vigil_navigation_map_get_screen (map, "PAGE_ENTER_HOME"), ==, "dashboard");
  g_assert_cmpstr (vigil_navigation_map_get_screen (map, "TOUCH_BALANCE_CARD"), ==, "account");
  g_assert_true (vigil_navigation_map_allows (map, "PAGE_ENTER_HOME", "TOUCH_TAB_SAVE"));
  g_assert_false (vigil_navigation_map_allows (map, "PAGE_ENTER_HOME", "TOUCH_LOCK_CARD"));
  g_assert_cmpuint (vigil_navigation_map_get_n_next (map, "PAGE_ENTER_PAY"), ==, 8);
}

static void
test_bad_maps (void)
{
  static const char * const bad[] = {
    "[1, 2]", "{\"eventFlowMap\": 3}", "{\"eventFlowMap\": {\"G\": [1]}}",
    "{\"eventFlowMap\": {\"G\": {\"A\": {\"nextEvents\": \"B\"}}}}",
    "{\"eventFlowMap\": {\"G\": {\"A\": {\"nextEvents\": [1]}}}}", "{not json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilNavigationMap) map = vigil_navigation_map_new_from_data (bad[i], -1, &error);

      g_assert_null (map);
      g_assert_nonnull (error);
    }
}

/* p(b | a) = (c(a, b) + 2 q(b | a)) / (c(a) + 2), by hand. */
static void
test_surprise_by_hand (void)
{
  g_autoptr(VigilNavigationMap) map = load_small_map ();
  g_autoptr(VigilNavigationModel) model = vigil_navigation_model_new (map);

  /* No history: the map's own prior. V = 3 symbols. */
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "A", "B"), 0.95 / 2, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_surprise (model, "A", "B"), -log (0.475), 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "B", "C"), 0.05 / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "C", "A"), 1.0 / 3, 1e-12);

  for (guint i = 0; i < 3; i++)
    vigil_navigation_model_add (model, "A", "B");
  vigil_navigation_model_add (model, "A", "C");
  g_assert_cmpuint (vigil_navigation_model_get_count (model, "A", "B"), ==, 3);
  g_assert_cmpuint (vigil_navigation_model_get_transitions (model), ==, 4);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "A", "B"), (3 + 2 * 0.475) / 6, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "A", "C"), (1 + 2 * 0.475) / 6, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_surprise (model, "A", "A"),
                                  -log (2 * 0.05 / 3 / 6), 1e-12);
  /* The user's habit is less surprising than the map's other way. */
  g_assert_cmpfloat (vigil_navigation_model_surprise (model, "A", "B"), <,
                     vigil_navigation_model_surprise (model, "A", "C"));

  /* A screen the map does not know joins the symbols: V = 4. */
  vigil_navigation_model_add (model, "B", "screen:help");
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "B", "C"),
                                  (0 + 2 * 0.05 / 4) / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (vigil_navigation_model_probability (model, "screen:help", "A"),
                                  (2 * 1.0 / 4) / 2, 1e-12);
}

static void
test_dwell_and_json (void)
{
  g_autoptr(VigilNavigationMap) map = load_small_map ();
  g_autoptr(VigilNavigationModel) model = vigil_navigation_model_new (map);
  g_autoptr(VigilNavigationModel) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  double z, copy_z, sd;

  vigil_navigation_model_add_dwell (model, "home", 1000);
  vigil_navigation_model_add_dwell (model, "home", 2000);
  g_assert_false (vigil_navigation_model_dwell_z (model, "home", 1000, &z));
  vigil_navigation_model_add_dwell (model, "home", 4000);
  g_assert_true (vigil_navigation_model_dwell_z (model, "home", 2000, &z));
  /* ln 2000 is the mean of ln 1000, ln 2000, ln 4000. */
  g_assert_cmpfloat_with_epsilon (z, 0, 1e-9);
  g_assert_true (vigil_navigation_model_dwell_z (model, "home", 8000, &z));
  sd = sqrt ((2 * log (2) * log (2)) / 2);   /* sample sd of ln 1000, ln 2000, ln 4000 */
  g_assert_cmpfloat_with_epsilon (z, 2 * log (2) / sd, 1e-9);

  vigil_navigation_model_add (model, "A", "B");
  vigil_navigation_model_add (model, "B", "screen:x");
  json = vigil_navigation_model_to_json (model);
  copy = vigil_navigation_model_new_from_json (map, json, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (vigil_navigation_model_probability (copy, "A", "B"), ==,
                     vigil_navigation_model_probability (model, "A", "B"));
  g_assert_cmpfloat (vigil_navigation_model_probability (copy, "B", "C"), ==,
                     vigil_navigation_model_probability (model, "B", "C"));
  g_assert_true (vigil_navigation_model_dwell_z (copy, "home", 8000, &copy_z));
  g_assert_cmpfloat_with_epsilon (copy_z, z, 1e-12);

  g_assert_null (vigil_navigation_model_new_from_json (map, "{\"transitions\": [[1, 2, 3]], \"dwell\": []}", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
}

static gboolean
add (VigilNavigationWindow *window,
     VigilNavigationModel  *model,
     gboolean               learn,
     const char            *type,
     const char            *json,
     double                 time_ms,
     GPtrArray             *out,
     GError               **error)
{
  g_autoptr(JsonNode) node = json ? json_from_string (json, NULL) : NULL;

  return vigil_navigation_window_add (window, model, learn, type, node ? json_node_get_object (node) : NULL, time_ms,
                                      out, error);
}

/* Ten transitions make a window; a route the user knows is less
 * surprising the second time; screen events and map events mix. */
static void
test_windows (void)
{
  static const char * const route[] = { "A", "B", "C", "page_view", "A", "B", "A", "B", "A", "C", "A" };
  g_autoptr(VigilNavigationMap) map = load_small_map ();
  g_autoptr(VigilNavigationModel) model = vigil_navigation_model_new (map);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  double time_ms = 0;

  for (guint pass = 0; pass < 2; pass++)
    {
      g_autoptr(VigilNavigationWindow) window = vigil_navigation_window_new (map);

      for (guint i = 0; i < G_N_ELEMENTS (route); i++)
        {
          g_autoptr(GError) error = NULL;

          time_ms += 3000;
          g_assert_true (add (window, model, TRUE, route[i], "{\"screen\": \"help\"}", time_ms, out, &error));
          g_assert_no_error (error);
          /* Events that are not navigation change nothing. */
          g_assert_true (add (window, model, TRUE, "button_click", "{\"screen\": 5}", time_ms, out, &error));
        }
    }
  g_assert_cmpuint (out->len, ==, 2);
  for (guint w = 0; w < 2; w++)
    {
      VigilFeatureVector *vector = g_ptr_array_index (out, w);

      g_assert_cmpint (vector->modality, ==, VIGIL_MODALITY_NAVIGATION);
      g_assert_cmpuint (vector->n_features, ==, VIGIL_NAVIGATION_FEATURES);
      g_assert_cmpuint (vector->samples, ==, VIGIL_NAVIGATION_WINDOW);
    }
  /* First pass: 7 of the 10 transitions are new; second: none. */
  g_assert_cmpfloat_with_epsilon (((VigilFeatureVector *) out->pdata[0])->values[2], 0.7, 1e-12);
  g_assert_cmpfloat (((VigilFeatureVector *) out->pdata[1])->values[2], <, 0.2);
  g_assert_cmpfloat (((VigilFeatureVector *) out->pdata[1])->values[0], <,
                     ((VigilFeatureVector *) out->pdata[0])->values[0]);
  /* B → C is off the map, once in each window. */
  g_assert_cmpfloat_with_epsilon (((VigilFeatureVector *) out->pdata[0])->values[3], 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (((VigilFeatureVector *) out->pdata[1])->values[3], 0.1, 1e-12);
  /* The screens left: home (A) and pay (C), and help; dwell known only
   * once a screen was left three times. */
  g_assert_cmpfloat (((VigilFeatureVector *) out->pdata[0])->values[4], >, 0);
  /* 10 transitions in 27 s. */
  g_assert_cmpfloat_with_epsilon (((VigilFeatureVector *) out->pdata[0])->values[7], log1p (10 / 0.45), 1e-9);
}

/* canara's generic events name the map's event in data.event_id; a
 * swipe names what it happened on but is no step. */
static void
test_event_id (void)
{
  g_autoptr(VigilNavigationMap) map = load_small_map ();
  g_autoptr(VigilNavigationModel) model = vigil_navigation_model_new (map);
  g_autoptr(VigilNavigationWindow) window = vigil_navigation_window_new (map);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  g_autoptr(GError) error = NULL;

  g_assert_true (add (window, model, TRUE, "page_view", "{\"event_id\": \"A\", \"screen\": \"home\"}", 0, out,
                      &error));
  g_assert_true (add (window, model, TRUE, "swipe", "{\"event_id\": \"A\", \"screen\": \"home\"}", 500, out,
                      &error));
  g_assert_true (add (window, model, TRUE, "button_click", "{\"event_id\": \"B\", \"screen\": 7}", 1000, out,
                      &error));
  g_assert_true (add (window, model, TRUE, "button_click", "{\"event_id\": \"NOT_ON_MAP\"}", 1500, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_navigation_model_get_transitions (model), ==, 1);
  g_assert_cmpuint (vigil_navigation_model_get_count (model, "A", "B"), ==, 1);
}

static void
test_wrong_types (void)
{
  g_autoptr(VigilNavigationMap) map = load_small_map ();
  g_autoptr(VigilNavigationModel) model = vigil_navigation_model_new (map);
  g_autoptr(VigilNavigationWindow) window = vigil_navigation_window_new (map);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_feature_vector_free);
  g_autoptr(GError) error = NULL;

  g_assert_false (add (window, model, TRUE, "page_view", "{\"screen\": [\"home\"]}", 0, out, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "screen"));
  g_clear_error (&error);
  /* Without a screen, a page view is no navigation. */
  g_assert_true (add (window, model, TRUE, "page_view", "{}", 0, out, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vigil_navigation_model_get_transitions (model), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/navigation/shipped-map", test_shipped_map);
  g_test_add_func ("/navigation/bad-maps", test_bad_maps);
  g_test_add_func ("/navigation/surprise-by-hand", test_surprise_by_hand);
  g_test_add_func ("/navigation/dwell-and-json", test_dwell_and_json);
  g_test_add_func ("/navigation/windows", test_windows);
  g_test_add_func ("/navigation/event-id", test_event_id);
  g_test_add_func ("/navigation/wrong-types", test_wrong_types);

  return g_test_run ();
}
