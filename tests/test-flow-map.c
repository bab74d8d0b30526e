/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Live page reads from the engine: the event-flow map as a graph
 * of screens, and the sessions blocked since a moment. */
#define G_LOG_DOMAIN "test-flow-map"

#include "config.h"

#include "vigil-blocked-sessions.h"
#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-flow-map.h"
#include "vigil-test-util.h"

static VigilFlowMap *
map_from_string (const char  *json,
                 GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));

  return vigil_flow_map_new_from_bytes (bytes, error);
}

static int
screen_index (VigilFlowMap *map,
              const char   *name)
{
  for (guint i = 0; i < vigil_flow_map_get_n_screens (map); i++)
    if (g_strcmp0 (vigil_flow_map_get_screen_name (map, i), name) == 0)
      return (int) i;
  return -1;
}

static void
test_shipped_map (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "event-flow-map.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilFlowMap) map = NULL;
  gsize length;
  gboolean enters = TRUE;
  int dashboard, account, pin;

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  bytes = g_bytes_new (contents, length);
  map = vigil_flow_map_new_from_bytes (bytes, &error);
  g_assert_no_error (error);

  /* The seven screens entry events name, plus what navigatesTo adds. */
  dashboard = screen_index (map, "dashboard");
  account = screen_index (map, "account");
  pin = screen_index (map, "pin-change");
  g_assert_cmpint (dashboard, ==, 0);
  g_assert_cmpint (account, >=, 0);
  g_assert_cmpint (pin, >=, 0);
  g_assert_cmpint (screen_index (map, "transaction"), >=, 0);
  g_assert_cmpuint (vigil_flow_map_get_n_screens (map), ==, 8);

  g_assert_cmpint (vigil_flow_map_lookup_event (map, "PAGE_ENTER_HOME", &enters), ==, dashboard);
  g_assert_true (enters);
  g_assert_cmpint (vigil_flow_map_lookup_event (map, "TYPE_PIN_STEP_1", &enters), ==, pin);
  g_assert_false (enters);
  g_assert_cmpint (vigil_flow_map_lookup_event (map, "no_such_event", &enters), ==, -1);
  g_assert_false (enters);
  g_assert_cmpstr (vigil_flow_map_get_description (map, "PAGE_ENTER_HOME"), ==, "Entering Home/Dashboard tab");

  /* TOUCH_BALANCE_CARD navigates from the dashboard to the account. */
  g_assert_cmpint (vigil_flow_map_find_edge (map, (guint) dashboard, (guint) account), >=, 0);
  g_assert_cmpint (vigil_flow_map_find_edge (map, (guint) account, (guint) pin), >=, 0);
  g_assert_cmpint (vigil_flow_map_find_edge (map, (guint) dashboard, (guint) dashboard), ==, -1);
}

static void
test_small_map (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilFlowMap) map =
    map_from_string ("{\"eventFlowMap\": {"
                     " \"NAV\": {\"ENTER_A\": {\"screen\": \"a\", \"nextEvents\": [\"TAP\"]},"
                     "           \"ENTER_B\": {\"screen\": \"b\", \"nextEvents\": []}},"
                     " \"A\": {\"TAP\": {\"nextEvents\": [\"ENTER_B\", \"DEEP\"]},"
                     "         \"DEEP\": {\"navigatesTo\": \"c\"}}}}", &error);
  guint from, to;

  g_assert_no_error (error);
  g_assert_cmpuint (vigil_flow_map_get_n_screens (map), ==, 3);
  /* Reached through nextEvents from a's entry, two steps deep. */
  g_assert_cmpint (vigil_flow_map_lookup_event (map, "DEEP", NULL), ==, 0);
  /* a → b (TAP is followed by b's entry) and a → c (DEEP navigates). */
  g_assert_cmpuint (vigil_flow_map_get_n_edges (map), ==, 2);
  g_assert_cmpint (vigil_flow_map_find_edge (map, 0, 1), >=, 0);
  g_assert_cmpint (vigil_flow_map_find_edge (map, 0, 2), >=, 0);
  vigil_flow_map_get_edge (map, 0, &from, &to);
  g_assert_cmpuint (from, ==, 0);
}

static void
test_bad_maps (void)
{
  const char *bad[] = {
    "not json",
    "[1, 2]",
    "{\"events\": {}}",
    "{\"eventFlowMap\": {\"G\": {\"X\": {\"nextEvents\": []}}}}",   /* no screen */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilFlowMap) map = map_from_string (bad[i], &error);

      g_assert_null (map);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
    }
}

static void
on_listed (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GStrv *out = user_data;
  g_autoptr(GError) error = NULL;

  *out = vigil_blocked_sessions_list_since_finish (result, &error);
  g_assert_no_error (error);
}

static GStrv
list_blocked (VigilEngine *engine,
              gint64       since_us)
{
  GStrv ids = NULL;

  /* The callback asserts success, so it always sets @ids. */
  vigil_blocked_sessions_list_since_async (vigil_engine_get_store (engine), since_us, NULL, on_listed, &ids);
  while (ids == NULL)
    g_main_context_iteration (NULL, TRUE);
  return ids;
}

static void
test_blocked_since (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  VigilSessions *sessions;
  gint64 before;
  g_auto(GStrv) all = NULL;
  g_auto(GStrv) later = NULL;

  g_assert_no_error (error);
  sessions = vigil_engine_get_sessions (engine);
  before = vigil_clock_now_us (vigil_engine_get_clock (engine));

  g_assert_nonnull (vigil_sessions_ensure_stream (sessions, "stream-kept", "someone", &error));
  g_assert_no_error (error);
  g_assert_nonnull (vigil_sessions_ensure_stream (sessions, "stream-blocked", "someone", &error));
  g_assert_no_error (error);
  g_assert_true (vigil_sessions_block (sessions, "stream-blocked", "test", &error));
  g_assert_no_error (error);
  vigil_store_flush (vigil_engine_get_store (engine));

  /* Only the blocked one, and only since before it was blocked. */
  all = list_blocked (engine, before);
  g_assert_cmpuint (g_strv_length (all), ==, 1);
  g_assert_cmpstr (all[0], ==, "stream-blocked");
  later = list_blocked (engine, vigil_clock_now_us (vigil_engine_get_clock (engine)) + G_USEC_PER_SEC);
  g_assert_cmpuint (g_strv_length (later), ==, 0);

  vigil_engine_shutdown (engine);
  vigil_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flow-map/shipped", test_shipped_map);
  g_test_add_func ("/flow-map/small", test_small_map);
  g_test_add_func ("/flow-map/bad", test_bad_maps);
  g_test_add_func ("/flow-map/blocked-since", test_blocked_since);

  return g_test_run ();
}
