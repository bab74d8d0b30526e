/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Deterministic pseudo-random numbers for the models. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>

#include "vigil-rng.h"

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

void
vigil_rng_init (VigilRng *rng,
                guint64   seed)
{
  guint64 state = seed;

  for (guint i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&state);
}

guint64
vigil_rng_next (VigilRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
vigil_rng_double (VigilRng *rng)
{
  /* The top 53 bits fill a double's mantissa exactly. */
  return (vigil_rng_next (rng) >> 11) * 0x1.0p-53;
}

guint64
vigil_rng_below (VigilRng *rng,
                 guint64   bound)
{
  guint64 threshold, value;

  g_return_val_if_fail (bound > 0, 0);

  /* Reject the short last run so every value is equally likely. */
  threshold = (0 - bound) % bound;
  do
    value = vigil_rng_next (rng);
  while (value < threshold);
  return value % bound;
}

double
vigil_rng_gaussian (VigilRng *rng)
{
  double u1 = vigil_rng_double (rng);
  double u2 = vigil_rng_double (rng);

  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}
