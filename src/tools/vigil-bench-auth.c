/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Logins and MPIN verifications per second with the production argon2id
 * parameters, next to the bare hash verification rate on one thread as a
 * baseline, and the main loop's longest stall while 20 logins run at once. */
#define G_LOG_DOMAIN "vigil-bench-auth"

#include "config.h"

#include <sodium.h>

#include "vigil-bench-util.h"
#include "vigil-engine.h"
#include "vigil-hasher.h"

#define PASSWORD "SecurePassword123"
#define MPIN "483920"
#define CONCURRENCY 20

typedef struct
{
  VigilAuth  *auth;
  GPtrArray  *phones;
  GPtrArray  *access_tokens;
  guint       started;
  guint       finished;
  guint       failures;
  guint       total;
  gboolean    mpin;
  GMainLoop  *loop;
  gint64      last_tick_us;
  gint64      longest_stall_us;
} Run;

/* One client: it runs its account's operations one after another, as an
 * app would (an account allows one MPIN check at a time). */
typedef struct
{
  Run   *run;
  guint  index;
} Client;

static void start_one (Client *client);

static void
on_finished (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Client *client = user_data;
  Run *run = client->run;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAuthResult) outcome = NULL;

  outcome = run->mpin ? vigil_auth_verify_mpin_finish (run->auth, result, &error)
                      : vigil_auth_login_finish (run->auth, result, &error);
  if (outcome == NULL)
    {
      run->failures++;
      g_printerr ("failed: %s\n", error->message);
    }
  else if (!run->mpin && run->access_tokens->pdata[client->index] == NULL)
    run->access_tokens->pdata[client->index] = g_strdup (outcome->access_token);

  if (++run->finished == run->total)
    g_main_loop_quit (run->loop);
  else if (run->started < run->total)
    start_one (client);
}

static void
start_one (Client *client)
{
  Run *run = client->run;
  guint index = client->index;

  run->started++;

  if (run->mpin)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VigilTokenClaims) caller = vigil_auth_authenticate (run->auth, run->access_tokens->pdata[index],
                                                                    VIGIL_TOKEN_ACCESS, &error);
      if (caller == NULL)
        g_error ("authenticate: %s", error->message);
      vigil_auth_verify_mpin_async (run->auth, caller, MPIN, NULL, "127.0.0.1", NULL, on_finished, client);
    }
  else
    vigil_auth_login_async (run->auth, VIGIL_LOGIN_PHONE, run->phones->pdata[index], PASSWORD,
                            "bench-device", TRUE, "127.0.0.1", NULL, on_finished, client);
}

/* A 1 ms heartbeat: any gap beyond it is time the loop could not run. */
static gboolean
on_tick (gpointer user_data)
{
  Run *run = user_data;
  gint64 now = g_get_monotonic_time ();

  if (run->last_tick_us > 0)
    run->longest_stall_us = MAX (run->longest_stall_us, now - run->last_tick_us - 1000);
  run->last_tick_us = now;
  return G_SOURCE_CONTINUE;
}

static double
measure (Run      *run,
         gboolean  mpin,
         guint     total)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Client clients[CONCURRENCY];
  guint tick_id;
  gint64 start;

  run->loop = loop;
  run->mpin = mpin;
  run->total = total;
  run->started = run->finished = run->failures = 0;
  run->last_tick_us = 0;
  run->longest_stall_us = 0;

  tick_id = g_timeout_add (1, on_tick, run);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < CONCURRENCY && i < total; i++)
    {
      clients[i].run = run;
      clients[i].index = i;
      start_one (&clients[i]);
    }
  g_main_loop_run (loop);
  g_source_remove (tick_id);
  if (run->failures > 0)
    g_error ("%u operations failed", run->failures);
  return total / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
}

static void
on_registered (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = vigil_auth_register_finish (run->auth, result, &error);

  if (user == NULL)
    g_error ("register: %s", error->message);
  if (++run->finished == run->total)
    g_main_loop_quit (run->loop);
}

static double
measure_baseline (guint verifications)
{
  char hash[crypto_pwhash_STRBYTES];
  gint64 start;

  if (crypto_pwhash_str (hash, PASSWORD, strlen (PASSWORD), VIGIL_HASHER_DEFAULT_OPSLIMIT,
                         VIGIL_HASHER_DEFAULT_MEMLIMIT) != 0)
    g_error ("out of memory");

  start = g_get_monotonic_time ();
  for (guint i = 0; i < verifications; i++)
    if (crypto_pwhash_str_verify (hash, PASSWORD, strlen (PASSWORD)) != 0)
      g_error ("baseline verification failed");
  return verifications / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
}

int
main (int   argc,
      char *argv[])
{
  int operations = 200;
  const GOptionEntry entries[] = {
    { "operations", 'n', 0, G_OPTION_ARG_INT, &operations, "Logins and MPIN checks to time", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— benchmark logins and MPIN checks");
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *dir = NULL;
  g_autoptr(GPtrArray) phones = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_full (CONCURRENCY, g_free);
  VigilEngineOptions options;
  Run run = { 0 };
  double baseline, logins, mpins;
  gint64 login_stall, mpin_stall;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || operations < CONCURRENCY)
    {
      g_printerr ("vigil-bench-auth: %s\n", error ? error->message : "--operations must be at least 20");
      return 2;
    }

  dir = g_dir_make_tmp ("vigil-bench-auth-XXXXXX", &error);
  g_assert_no_error (error);
  vigil_engine_options_init (&options);
  options.secrets = VIGIL_SECRETS_FILE_ONLY;
  /* Measuring throughput, not the rate limiter. */
  options.rate_limit_burst = 1e9;
  options.rate_limit_per_minute = 1e9;
  engine = vigil_engine_new_with_options (dir, &options, &error);
  g_assert_no_error (error);

  run.auth = vigil_engine_get_auth (engine);
  run.phones = phones;
  run.access_tokens = tokens;
  run.loop = loop;
  run.total = CONCURRENCY;
  g_ptr_array_set_size (tokens, CONCURRENCY);
  for (guint i = 0; i < CONCURRENCY; i++)
    {
      VigilRegistration registration = { .password = PASSWORD, .mpin = MPIN };

      g_ptr_array_add (phones, g_strdup_printf ("98765%05u", i));
      registration.phone = phones->pdata[i];
      vigil_auth_register_async (run.auth, &registration, "127.0.0.1", NULL, on_registered, &run);
    }
  g_main_loop_run (loop);

  baseline = measure_baseline (20);
  logins = measure (&run, FALSE, (guint) operations);
  login_stall = run.longest_stall_us;
  mpins = measure (&run, TRUE, (guint) operations);
  mpin_stall = run.longest_stall_us;

  g_print ("auth benchmark: argon2id opslimit %d, memlimit %u MiB, %u processors, %d concurrent\n",
           VIGIL_HASHER_DEFAULT_OPSLIMIT, VIGIL_HASHER_DEFAULT_MEMLIMIT / (1024 * 1024),
           g_get_num_processors (), CONCURRENCY);
  g_print ("  baseline (one hash verification at a time, one thread): %7.1f /s  (%.1f ms each)\n",
           baseline, 1000.0 / baseline);
  g_print ("  logins (verify + tokens + audit, committed):            %7.1f /s  ratio %.2f\n",
           logins, logins / baseline);
  g_print ("  MPIN verifications (verify + session + audit):          %7.1f /s  ratio %.2f\n",
           mpins, mpins / baseline);
  g_print ("  main loop longest stall: %.2f ms during logins, %.2f ms during MPIN checks\n",
           login_stall / 1000.0, mpin_stall / 1000.0);

  vigil_engine_shutdown (engine);
  vigil_bench_remove_flat_directory (dir);
  return 0;
}
