/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the risk engine accepts as a remote ML engine's verdict: the
 * guide's /analyze-mobile reply, with every malformed shape refused as
 * "unavailable" (so local analysis decides) rather than read as allow. */
#include "config.h"

#include "vigil-analyzer.h"
#include "vigil-error.h"

static VigilAnalyzerVerdict *
parse (const char  *json,
       GError     **error)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return vigil_analyzer_verdict_from_json (node, error);
}

static void
test_verdicts (void)
{
  g_autoptr(VigilAnalyzerVerdict) full = NULL;
  g_autoptr(VigilAnalyzerVerdict) reauth = NULL;
  g_autoptr(VigilAnalyzerVerdict) bare = NULL;
  g_autoptr(GError) error = NULL;

  full = parse ("{\"decision\":\"block\",\"confidence\":0.95,\"risk_score\":1,\"decision_id\":\"d-1\","
                "\"reasons\":[\"Device changed\",7,\"Bot timing\"]}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (full->decision, ==, VIGIL_DECISION_BLOCK);
  g_assert_cmpfloat (full->confidence, ==, 0.95);
  g_assert_cmpfloat (full->risk, ==, 1.0);
  g_assert_cmpstr (full->decision_id, ==, "d-1");
  /* Only text reasons are kept. */
  g_assert_cmpuint (full->reasons->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (full->reasons, 1), ==, "Bot timing");

  /* The seed's engine asks re-authentication on an IP change. */
  reauth = parse ("{\"decision\":\"reauth\",\"confidence\":0.7}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (reauth->decision, ==, VIGIL_DECISION_STEP_UP);

  /* No confidence is none; no risk is unknown. */
  bare = parse ("{\"decision\":\"monitor\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpint (bare->decision, ==, VIGIL_DECISION_MONITOR);
  g_assert_cmpfloat (bare->confidence, ==, 0);
  g_assert_cmpfloat (bare->risk, ==, -1);
  g_assert_null (bare->decision_id);
}

static void
test_malformed (void)
{
  static const char *replies[] = {
    "[]",
    "\"allow\"",
    "{}",
    "{\"decision\":\"approve\"}",
    "{\"decision\":7}",
    "{\"decision\":\"allow\",\"confidence\":\"high\"}",
    "{\"decision\":\"allow\",\"confidence\":1.5}",
    "{\"decision\":\"block\",\"confidence\":0.9,\"risk_score\":-0.1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilAnalyzerVerdict) verdict = parse (replies[i], &error);

      g_test_message ("%s", replies[i]);
      g_assert_null (verdict);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE);
      g_assert_true (g_str_has_prefix (error->message, "Malformed reply"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/analyzer/verdicts", test_verdicts);
  g_test_add_func ("/analyzer/malformed", test_malformed);

  return g_test_run ();
}
