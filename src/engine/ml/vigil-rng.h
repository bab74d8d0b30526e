/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* xoshiro256** seeded through splitmix64: fast, and the same seed gives
 * the same sequence on every machine, so models train reproducibly. */
typedef struct
{
  guint64 s[4];
} VigilRng;

void    vigil_rng_init       (VigilRng *rng,
                              guint64   seed);
guint64 vigil_rng_next       (VigilRng *rng);
/* Uniform in [0, 1). */
double  vigil_rng_double     (VigilRng *rng);
/* Uniform in [0, bound), without modulo bias; @bound > 0. */
guint64 vigil_rng_below      (VigilRng *rng,
                              guint64   bound);
/* Standard normal (Box–Muller). */
double  vigil_rng_gaussian   (VigilRng *rng);

G_END_DECLS
