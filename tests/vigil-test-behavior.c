/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Synthetic behaviour for the profile tests: stable habits plus noise,
 * as maxidom windows and as live taps. */
#define G_LOG_DOMAIN "vigil-test"

#include "config.h"

#include <math.h>

#include "vigil-test-behavior.h"

#define TEXT "the other one is here at the heart of an interesting theory"

const VigilTestPerson vigil_test_alice = { 95, 120, 0.12, 0.45, 0.2 };
const VigilTestPerson vigil_test_mallory = { 140, 60, 0.25, 1.4, 2.5 };

static double
noisy (VigilRng *rng,
       double    mean,
       double    jitter)
{
  return MAX (1.0, mean * exp (jitter * vigil_rng_gaussian (rng)));
}

char *
vigil_test_behavior_window (VigilRng              *rng,
                            const VigilTestPerson *person)
{
  GString *text = g_string_new ("{\"keyEvents\": [");
  gboolean first = TRUE;
  double t = 0;

  for (const char *c = TEXT; *c != '\0'; c++)
    {
      double hold = noisy (rng, person->dwell_ms, person->jitter);

      if (*c == ' ')
        {
          t += noisy (rng, person->flight_ms * 2, person->jitter);
          continue;
        }
      g_string_append_printf (text, "%s{\"code\": \"Key%c\", \"downTime\": %.1f, \"upTime\": %.1f}",
                              first ? "" : ",", g_ascii_toupper (*c), t, t + hold);
      first = FALSE;
      t += hold + noisy (rng, person->flight_ms, person->jitter);
    }

  g_string_append (text, "], \"mousePaths\": [");
  for (guint stroke = 0; stroke < 3; stroke++)
    {
      double x = 100, y = 100 + stroke * 50, time = stroke * 2000;

      g_string_append_printf (text, "%s[", stroke ? "," : "");
      for (guint i = 0; i < 25; i++)
        {
          double step_ms = noisy (rng, 12, person->jitter);

          g_string_append_printf (text, "%s{\"t\": %.1f, \"x\": %.2f, \"y\": %.2f}", i ? "," : "", time, x, y);
          time += step_ms;
          x += person->speed * step_ms;
          y += person->curve * vigil_rng_gaussian (rng) + person->curve * 0.5;
        }
      g_string_append (text, "]");
    }
  g_string_append_printf (text, "], \"clicks\": [{\"t\": 1, \"x\": 0, \"y\": 0, \"button\": 0, \"duration\": %.1f}]}",
                          noisy (rng, person->dwell_ms, person->jitter));
  return g_string_free (text, FALSE);
}

/* Touch values below 1 (pressure, size) are not clamped as times are. */
static double
spread (VigilRng *rng,
        double    mean,
        double    jitter)
{
  return mean * exp (jitter * vigil_rng_gaussian (rng));
}

char *
vigil_test_behavior_tap (VigilRng             *rng,
                         const VigilTestTouch *touch)
{
  return g_strdup_printf ("{\"coordinates\": [%.0f, %.0f], \"pressure\": %.3f, \"size\": %.3f, \"duration\": %.1f}",
                          40 + 300 * vigil_rng_double (rng), 100 + 600 * vigil_rng_double (rng),
                          spread (rng, touch->pressure, 0.08), spread (rng, touch->size, 0.08),
                          spread (rng, touch->duration_ms, 0.15));
}
