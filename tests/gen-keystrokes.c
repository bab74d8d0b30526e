/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes a synthetic keystroke data set in the exact layout of the CMU
 * benchmark (DSL-StrongPasswordData.csv, Killourhy and Maxion 2009): each
 * subject types ".tie5Roanl" and Return 50 times in each of 8 sessions,
 * with a rhythm of its own, noise, day-to-day shifts, and practice that
 * speeds it up. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "vigil-rng.h"

#define N_KEYS 11

static const char * const keys[N_KEYS] = {
  "period", "t", "i", "e", "five", "Shift.r", "o", "a", "n", "l", "Return",
};

/* Typical means in the real data (seconds): holds near 0.09 s; reaching
 * the digit and the shifted R takes longest. */
static const double hold_base[N_KEYS] = {
  0.090, 0.085, 0.080, 0.085, 0.085, 0.095, 0.080, 0.085, 0.080, 0.080, 0.090,
};
static const double down_down_base[N_KEYS - 1] = {
  0.25, 0.20, 0.15, 0.30, 0.42, 0.26, 0.17, 0.15, 0.17, 0.30,
};

typedef struct
{
  double hold[N_KEYS];
  double down_down[N_KEYS - 1];
  double hold_noise;
  double down_down_noise;
  double tempo_noise;
  double session_noise;  /* day-to-day change of each latency's mean */
  double practice;       /* how much slower the first session is */
  double practice_scale; /* sessions for practice to fade by 1/e */
} Rhythm;

static double
log_normal (VigilRng *rng,
            double    sigma)
{
  /* Mean 1: the noise stretches a latency without moving its mean. */
  return exp (sigma * vigil_rng_gaussian (rng) - sigma * sigma / 2);
}

static double
uniform (VigilRng *rng,
         double    low,
         double    high)
{
  return low + (high - low) * vigil_rng_double (rng);
}

static double
round4 (double value)
{
  return round (value * 1e4) / 1e4;
}

static void
draw_rhythm (VigilRng *rng,
             Rhythm   *rhythm)
{
  double speed = log_normal (rng, 0.25);

  for (guint k = 0; k < N_KEYS; k++)
    rhythm->hold[k] = hold_base[k] * log_normal (rng, 0.20);
  for (guint k = 0; k < N_KEYS - 1; k++)
    rhythm->down_down[k] = down_down_base[k] * speed * log_normal (rng, 0.20);
  rhythm->hold_noise = uniform (rng, 0.10, 0.20);
  rhythm->down_down_noise = uniform (rng, 0.15, 0.30);
  rhythm->tempo_noise = uniform (rng, 0.05, 0.12);
  rhythm->session_noise = uniform (rng, 0.04, 0.10);
  rhythm->practice = uniform (rng, 0.10, 0.40);
  rhythm->practice_scale = uniform (rng, 1.5, 3.0);
}

static void
append_number (GString *out,
               double   value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (out, ',');
  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, "%.4f", value));
}

/* A session's means: the rhythm, slower while unpractised, and shifted a
 * little from one day to the next. */
static void
draw_session (VigilRng     *rng,
              const Rhythm *rhythm,
              guint         session,
              Rhythm       *today)
{
  double unpractised = exp (-(double) (session - 1) / rhythm->practice_scale);

  *today = *rhythm;
  for (guint k = 0; k < N_KEYS; k++)
    today->hold[k] *= (1 + rhythm->practice / 3 * unpractised) * log_normal (rng, rhythm->session_noise);
  for (guint k = 0; k < N_KEYS - 1; k++)
    today->down_down[k] *= (1 + rhythm->practice * unpractised) * log_normal (rng, rhythm->session_noise);
}

static void
append_repetition (GString      *out,
                   VigilRng     *rng,
                   const Rhythm *today)
{
  double tempo = log_normal (rng, today->tempo_noise);
  double holds[N_KEYS];

  for (guint k = 0; k < N_KEYS; k++)
    holds[k] = round4 (today->hold[k] * log_normal (rng, today->hold_noise));

  append_number (out, holds[0]);
  for (guint k = 1; k < N_KEYS; k++)
    {
      double down_down = today->down_down[k - 1] * tempo * log_normal (rng, today->down_down_noise);

      /* Now and then a typist hesitates before a key. */
      if (vigil_rng_double (rng) < 0.02)
        down_down *= uniform (rng, 1.5, 3.5);
      down_down = round4 (down_down);
      append_number (out, down_down);
      /* Up-down is down-down less the previous key's hold: negative when
       * the next key goes down before the previous one comes up. */
      append_number (out, down_down - holds[k - 1]);
      append_number (out, holds[k]);
    }
}

int
main (int   argc,
      char *argv[])
{
  int subjects = 20, sessions = 8, reps = 50;
  gint64 seed = 1;
  g_autofree char *output = NULL;
  const GOptionEntry entries[] = {
    { "subjects", 'n', 0, G_OPTION_ARG_INT, &subjects, "Subjects (default 20)", "N" },
    { "sessions", 0, 0, G_OPTION_ARG_INT, &sessions, "Sessions per subject (default 8)", "N" },
    { "reps", 0, 0, G_OPTION_ARG_INT, &reps, "Repetitions per session (default 50)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed (default 1)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE instead of standard output", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— write a synthetic keystroke data set in the CMU layout");
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new ("subject,sessionIndex,rep");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 1 ||
      subjects < 1 || subjects > 999 || sessions < 1 || reps < 1 || seed < 0)
    {
      g_printerr ("gen-keystrokes: %s\n", error != NULL ? error->message
                  : "unexpected arguments, or a count out of range (1 to 999 subjects)");
      return 2;
    }

  g_string_append_printf (out, ",H.%s", keys[0]);
  for (guint k = 1; k < N_KEYS; k++)
    g_string_append_printf (out, ",DD.%s.%s,UD.%s.%s,H.%s",
                            keys[k - 1], keys[k], keys[k - 1], keys[k], keys[k]);
  g_string_append_c (out, '\n');

  for (int s = 0; s < subjects; s++)
    {
      VigilRng rng;
      Rhythm rhythm;

      /* One stream per subject: a subject's rows do not depend on how
       * many subjects come after it. */
      vigil_rng_init (&rng, (guint64) seed * 1000 + (guint64) s);
      draw_rhythm (&rng, &rhythm);
      for (int session = 1; session <= sessions; session++)
        {
          Rhythm today;

          draw_session (&rng, &rhythm, (guint) session, &today);
          for (int rep = 1; rep <= reps; rep++)
            {
              g_string_append_printf (out, "s%03d,%d,%d", s + 1, session, rep);
              append_repetition (out, &rng, &today);
              g_string_append_c (out, '\n');
            }
        }
    }

  if (output != NULL)
    {
      if (!g_file_set_contents (output, out->str, (gssize) out->len, &error))
        {
          g_printerr ("gen-keystrokes: %s\n", error->message);
          return 1;
        }
    }
  else if (fwrite (out->str, 1, out->len, stdout) != out->len || fflush (stdout) != 0)
    {
      g_printerr ("gen-keystrokes: writing to standard output failed\n");
      return 1;
    }
  return 0;
}
