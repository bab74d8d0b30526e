/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Behavioural signatures: each simulated person gets a typing rhythm,
 * touch pressure and size, gesture speeds, a pace per screen, usual hours
 * and a phone, all drawn from the run's seed so that a rerun meets the
 * same people. The ranges follow published touch and keystroke studies
 * loosely (holds of 70-150 ms, flights of 100-300 ms, pressures 0.2-0.9
 * on Android's normalised scale). */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <math.h>

#include "vigil-sim-user.h"

/* Separate streams, so that adding a field to one kind leaves the others
 * as they were. */
#define STREAM_USER      0x75736572u
#define STREAM_ATTACKER  0x61747461u
#define STREAM_BOT       0x626f7421u

static const struct
{
  const char *model;
  const char *os;
  guint       w, h;
} phones[] = {
  { "Pixel 7", "Android 14", 1080, 2400 },
  { "Galaxy S23", "Android 14", 1080, 2340 },
  { "Galaxy A54", "Android 13", 1080, 2340 },
  { "Redmi Note 12", "Android 13", 1080, 2400 },
  { "OnePlus 11", "Android 14", 1440, 3216 },
  { "iPhone 14", "iOS 17.4", 1170, 2532 },
  { "iPhone 13 mini", "iOS 16.7", 1080, 2340 },
  { "Moto G84", "Android 13", 1080, 2400 },
};

static const struct
{
  const char *name;
  double      latitude, longitude;
} cities[] = {
  { "Bengaluru", 12.9716, 77.5946 },
  { "Mumbai", 19.0760, 72.8777 },
  { "Delhi", 28.7041, 77.1025 },
  { "Chennai", 13.0827, 80.2707 },
  { "Pune", 18.5204, 73.8567 },
  { "Hyderabad", 17.3850, 78.4867 },
};

/* Where stolen credentials get used from. */
static const struct
{
  const char *name;
  double      latitude, longitude;
} far_cities[] = {
  { "Lagos", 6.5244, 3.3792 },
  { "Bucharest", 44.4268, 26.1025 },
  { "Sao Paulo", -23.5505, -46.6333 },
  { "Jakarta", -6.2088, 106.8456 },
};

static const char * const networks[] = { "wifi", "4g", "5g" };

double
vigil_sim_rand_normal (GRand  *rng,
                       double  mean,
                       double  sd)
{
  /* Box-Muller; 1 - u keeps the logarithm finite. */
  double u = 1.0 - g_rand_double (rng);
  double v = g_rand_double (rng);

  return mean + sd * sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

double
vigil_sim_rand_lognormal (GRand  *rng,
                          double  mean,
                          double  cv)
{
  double sigma2, mu;

  if (cv <= 0 || mean <= 0)
    return mean;
  sigma2 = log (1.0 + cv * cv);
  mu = log (mean) - sigma2 / 2.0;
  return exp (vigil_sim_rand_normal (rng, mu, sqrt (sigma2)));
}

static double
uniform (GRand  *rng,
         double  low,
         double  high)
{
  return g_rand_double_range (rng, low, high);
}

static GRand *
rng_for (guint32 seed,
         guint32 stream,
         guint   index)
{
  guint32 array[3] = { seed, stream, index };

  return g_rand_new_with_seed_array (array, G_N_ELEMENTS (array));
}

void
vigil_sim_device_clear (VigilSimDevice *device)
{
  g_clear_pointer (&device->device_id, g_free);
  g_clear_pointer (&device->device_model, g_free);
  g_clear_pointer (&device->os_version, g_free);
  g_clear_pointer (&device->app_version, g_free);
  g_clear_pointer (&device->network_type, g_free);
  g_clear_pointer (&device->city, g_free);
}

void
vigil_sim_device_init_random (VigilSimDevice *device,
                              GRand          *rng)
{
  guint phone = g_rand_int_range (rng, 0, G_N_ELEMENTS (phones));
  guint city = g_rand_int_range (rng, 0, G_N_ELEMENTS (cities));

  vigil_sim_device_clear (device);
  device->device_id = g_strdup_printf ("%08x-%04x-4%03x-a%03x-%08x%04x", g_rand_int (rng),
                                       g_rand_int (rng) & 0xffff, g_rand_int (rng) & 0xfff,
                                       g_rand_int (rng) & 0xfff, g_rand_int (rng), g_rand_int (rng) & 0xffff);
  device->device_model = g_strdup (phones[phone].model);
  device->os_version = g_strdup (phones[phone].os);
  device->app_version = g_strdup_printf ("4.%d.%d", g_rand_int_range (rng, 2, 6), g_rand_int_range (rng, 0, 10));
  device->network_type = g_strdup (networks[g_rand_int_range (rng, 0, G_N_ELEMENTS (networks))]);
  device->city = g_strdup (cities[city].name);
  /* Somewhere in town, not on the city hall. */
  device->latitude = cities[city].latitude + uniform (rng, -0.05, 0.05);
  device->longitude = cities[city].longitude + uniform (rng, -0.05, 0.05);
  device->screen_w = phones[phone].w;
  device->screen_h = phones[phone].h;
}

static VigilSimSignature *
draw_person (GRand      *rng,
             const char *name)
{
  VigilSimSignature *s = g_new0 (VigilSimSignature, 1);

  s->name = g_strdup (name);
  s->habit_seed = g_rand_int (rng);
  s->hold_ms = uniform (rng, 70, 150);
  s->hold_sd = s->hold_ms * uniform (rng, 0.10, 0.25);
  s->flight_ms = uniform (rng, 100, 320);
  s->flight_sd = s->flight_ms * uniform (rng, 0.15, 0.35);
  for (guint i = 0; i < 26; i++)
    {
      s->letter_bias[i] = uniform (rng, 0.8, 1.25);
      s->digraph_bias[i] = uniform (rng, 0.75, 1.3);
    }
  s->pressure = uniform (rng, 0.25, 0.85);
  s->pressure_sd = uniform (rng, 0.03, 0.08);
  s->size = uniform (rng, 0.04, 0.16);
  s->size_sd = s->size * uniform (rng, 0.08, 0.2);
  s->tap_ms = uniform (rng, 55, 170);
  s->tap_sd = s->tap_ms * uniform (rng, 0.12, 0.3);
  s->tap_dx = uniform (rng, -22, 22);
  s->tap_dy = uniform (rng, -18, 26);
  s->tap_spread = uniform (rng, 6, 18);
  s->swipe_px_s = uniform (rng, 700, 2600);
  s->swipe_sd = s->swipe_px_s * uniform (rng, 0.1, 0.25);
  s->swipe_curve = uniform (rng, -60, 60);
  s->scroll_px = uniform (rng, 300, 1100);
  s->scroll_px_s = uniform (rng, 500, 2200);
  s->swipe_share = uniform (rng, 0.15, 0.35);
  s->gap_s = uniform (rng, 0.35, 0.9);
  s->gap_cv = uniform (rng, 0.45, 0.8);
  for (guint i = 0; i < G_N_ELEMENTS (s->dwell_factor); i++)
    s->dwell_factor[i] = uniform (rng, 0.6, 1.5);
  s->hour_from = g_rand_int_range (rng, 6, 12);
  s->hour_to = s->hour_from + g_rand_int_range (rng, 8, 14);
  vigil_sim_device_init_random (&s->device, rng);
  return s;
}

VigilSimSignature *
vigil_sim_signature_new_user (guint32 seed,
                              guint   index)
{
  g_autoptr(GRand) rng = rng_for (seed, STREAM_USER, index);
  g_autofree char *name = g_strdup_printf ("user-%u", index);

  return draw_person (rng, name);
}

VigilSimSignature *
vigil_sim_signature_new_attacker (guint32 seed,
                                  guint   index)
{
  g_autoptr(GRand) rng = rng_for (seed, STREAM_ATTACKER, index);
  g_autofree char *name = g_strdup_printf ("attacker-%u", index);
  VigilSimSignature *s = draw_person (rng, name);
  guint city = g_rand_int_range (rng, 0, G_N_ELEMENTS (far_cities));

  g_free (s->device.city);
  s->device.city = g_strdup (far_cities[city].name);
  s->device.latitude = far_cities[city].latitude;
  s->device.longitude = far_cities[city].longitude;
  /* Up at night, and in a hurry. */
  s->hour_from = 0;
  s->hour_to = 5;
  s->gap_s *= 0.7;
  return s;
}

VigilSimSignature *
vigil_sim_signature_new_bot (guint32 seed,
                             guint   index)
{
  g_autoptr(GRand) rng = rng_for (seed, STREAM_BOT, index);
  g_autofree char *name = g_strdup_printf ("bot-%u", index);
  VigilSimSignature *s = draw_person (rng, name);

  /* A script replays fixed values on a metronome. */
  s->bot = TRUE;
  s->hold_sd = s->flight_sd = 0;
  s->hold_ms = 50;
  s->flight_ms = 80;
  for (guint i = 0; i < 26; i++)
    s->letter_bias[i] = s->digraph_bias[i] = 1;
  s->pressure = 0.5;
  s->pressure_sd = 0;
  s->size = 0.1;
  s->size_sd = 0;
  s->tap_ms = 100;
  s->tap_sd = 0;
  s->tap_dx = s->tap_dy = s->tap_spread = 0;
  s->swipe_sd = 0;
  s->swipe_curve = 0;
  s->gap_s = 0.25;
  s->gap_cv = 0;
  for (guint i = 0; i < G_N_ELEMENTS (s->dwell_factor); i++)
    s->dwell_factor[i] = 1;
  g_free (s->device.device_model);
  s->device.device_model = g_strdup ("Android SDK built for x86_64");
  return s;
}

void
vigil_sim_signature_free (VigilSimSignature *signature)
{
  if (signature == NULL)
    return;
  vigil_sim_device_clear (&signature->device);
  g_free (signature->name);
  g_free (signature);
}

char *
vigil_sim_signature_describe (const VigilSimSignature *s)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "%s%s habits %08x\n", s->name, s->bot ? " (bot)" : "", s->habit_seed);
  g_string_append_printf (out, "typing hold %.2f+-%.2f ms flight %.2f+-%.2f ms\n", s->hold_ms, s->hold_sd,
                          s->flight_ms, s->flight_sd);
  g_string_append (out, "letters");
  for (guint i = 0; i < 26; i++)
    g_string_append_printf (out, " %.3f/%.3f", s->letter_bias[i], s->digraph_bias[i]);
  g_string_append_printf (out, "\ntouch pressure %.3f+-%.3f size %.3f+-%.3f duration %.1f+-%.1f ms"
                               " offset %.1f,%.1f+-%.1f px\n",
                          s->pressure, s->pressure_sd, s->size, s->size_sd, s->tap_ms, s->tap_sd, s->tap_dx,
                          s->tap_dy, s->tap_spread);
  g_string_append_printf (out, "swipe %.0f+-%.0f px/s bow %.1f px share %.2f; scroll %.0f px at %.0f px/s\n",
                          s->swipe_px_s, s->swipe_sd, s->swipe_curve, s->swipe_share, s->scroll_px,
                          s->scroll_px_s);
  g_string_append_printf (out, "pace %.2f s cv %.2f; dwell", s->gap_s, s->gap_cv);
  for (guint i = 0; i < G_N_ELEMENTS (s->dwell_factor); i++)
    g_string_append_printf (out, " %.2f", s->dwell_factor[i]);
  g_string_append_printf (out, "\nhours %02u-%02u\ndevice %s %s %s app %s %s, %s (%.4f, %.4f) %ux%u\n",
                          s->hour_from, s->hour_to % 24, s->device.device_id, s->device.device_model,
                          s->device.os_version, s->device.app_version, s->device.network_type, s->device.city,
                          s->device.latitude, s->device.longitude, s->device.screen_w, s->device.screen_h);
  return g_string_free (out, FALSE);
}
