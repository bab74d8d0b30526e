/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Measures the store's writer thread against a baseline of one synchronous
 * transaction per write on a plain connection, in the same run and on the
 * same disk, so that the figures are comparable across machines as ratios. */
#define G_LOG_DOMAIN "vigil-bench-store"

#include "config.h"

#include <glib/gstdio.h>

#include "vigil-bench-util.h"
#include "vigil-db.h"
#include "vigil-error.h"
#include "vigil-stats.h"
#include "vigil-store.h"

#define ROW_SQL "INSERT INTO bench_events (session, payload) VALUES (?1, ?2)"
#define PAYLOAD "{\"event_type\":\"touch\",\"data\":{\"x\":120.5,\"y\":640.25,\"pressure\":0.42}}"

typedef struct
{
  GMainLoop *loop;
  guint      remaining;
  guint      next;
  guint      total;
  gboolean   serial;
  VigilStore *store;
  double    *latencies_ms;
  gint64    *queued_at;
  guint      failures;
} Run;

typedef struct
{
  Run  *run;
  guint index;
} WriteContext;

static gboolean
insert_row (VigilDb   *db,
            gpointer   data,
            GError   **error)
{
  WriteContext *context = data;
  sqlite3_stmt *stmt = vigil_db_prepare (db, ROW_SQL, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, (int) (context->index % 64));
  sqlite3_bind_text (stmt, 2, PAYLOAD, -1, SQLITE_STATIC);
  return vigil_db_step_done (db, stmt, error);
}

static gboolean
create_table (VigilDb   *db,
              gpointer   data,
              GError   **error)
{
  return vigil_db_exec (db,
                        "CREATE TABLE IF NOT EXISTS bench_events ("
                        "  id INTEGER PRIMARY KEY, session INTEGER NOT NULL, payload TEXT NOT NULL)",
                        error);
}

static void queue_next (Run *run);

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  WriteContext *context = user_data;
  Run *run = context->run;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (run->store, result, &error))
    {
      run->failures++;
      g_printerr ("write failed: %s\n", error->message);
    }

  run->latencies_ms[context->index] = (g_get_monotonic_time () - run->queued_at[context->index]) / 1000.0;
  g_free (context);

  if (--run->remaining == 0)
    g_main_loop_quit (run->loop);
  else if (run->serial)
    queue_next (run);
}

static void
queue_next (Run *run)
{
  WriteContext *context = g_new0 (WriteContext, 1);

  context->run = run;
  context->index = run->next++;
  run->queued_at[context->index] = g_get_monotonic_time ();
  vigil_store_write_async (run->store, insert_row, context, NULL, NULL, on_written, context);
}

static void
on_table_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (run->store, result, &error))
    g_error ("Cannot create the bench table: %s", error->message);
  g_main_loop_quit (run->loop);
}

static double
measure_store (VigilStore *store,
               guint       writes,
               gboolean    serial,
               double     *p50,
               double     *p99)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run run = { 0 };
  gint64 start;
  double seconds;

  run.loop = loop;
  run.store = store;
  run.total = writes;
  run.remaining = writes;
  run.serial = serial;
  run.latencies_ms = g_new0 (double, writes);
  run.queued_at = g_new0 (gint64, writes);

  start = g_get_monotonic_time ();
  if (serial)
    queue_next (&run);
  else
    for (guint i = 0; i < writes; i++)
      queue_next (&run);
  g_main_loop_run (loop);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  *p50 = vigil_stats_quantile (run.latencies_ms, writes, 0.50);
  *p99 = vigil_stats_quantile (run.latencies_ms, writes, 0.99);
  g_free (run.latencies_ms);
  g_free (run.queued_at);
  if (run.failures > 0)
    g_error ("%u writes failed", run.failures);
  return writes / seconds;
}

/* The baseline: what a naive server does, one committed transaction per
 * event on the thread that received it. */
static double
measure_baseline (const char *path,
                  guint       writes,
                  gboolean    full_sync)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilDb) db = vigil_db_open (path, &error);
  gint64 start;

  if (db == NULL ||
      !vigil_db_exec (db, full_sync ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL"
                                    : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", &error) ||
      !create_table (db, NULL, &error))
    g_error ("baseline: %s", error->message);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < writes; i++)
    {
      WriteContext context = { NULL, i };

      if (!vigil_db_exec (db, "BEGIN IMMEDIATE", &error) ||
          !insert_row (db, &context, &error) ||
          !vigil_db_exec (db, "COMMIT", &error))
        g_error ("baseline: %s", error->message);
    }
  return writes / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
}

int
main (int   argc,
      char *argv[])
{
  int writes = 20000;
  gboolean full_sync = FALSE;
  const GOptionEntry entries[] = {
    { "writes", 'n', 0, G_OPTION_ARG_INT, &writes, "Writes per measurement", "N" },
    { "full-sync", 0, 0, G_OPTION_ARG_NONE, &full_sync, "Use synchronous=FULL", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) option_context = g_option_context_new ("— benchmark the store's writer");
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *dir = NULL;
  g_autofree char *baseline_path = NULL;
  g_autofree char *store_path = NULL;
  Run setup = { 0 };
  VigilStoreStats stats;
  double baseline, serial, flood, serial_p50, serial_p99, flood_p50, flood_p99;

  g_option_context_add_main_entries (option_context, entries, NULL);
  if (!g_option_context_parse (option_context, &argc, &argv, &error) || writes <= 0)
    {
      g_printerr ("vigil-bench-store: %s\n", error ? error->message : "--writes must be positive");
      return 2;
    }

  dir = g_dir_make_tmp ("vigil-bench-XXXXXX", &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  baseline_path = g_build_filename (dir, "baseline.db", NULL);
  store_path = g_build_filename (dir, "store.db", NULL);

  baseline = measure_baseline (baseline_path, (guint) writes, full_sync);

  store = vigil_store_open (store_path, full_sync ? VIGIL_STORE_SYNC_FULL : VIGIL_STORE_SYNC_NORMAL, &error);
  if (store == NULL)
    g_error ("%s", error->message);
  setup.store = store;
  setup.loop = loop;
  vigil_store_write_async (store, create_table, NULL, NULL, NULL, on_table_created, &setup);
  g_main_loop_run (loop);

  serial = measure_store (store, (guint) writes, TRUE, &serial_p50, &serial_p99);
  flood = measure_store (store, (guint) writes, FALSE, &flood_p50, &flood_p99);
  vigil_store_get_stats (store, &stats);
  vigil_store_close (store);

  g_print ("store writer benchmark: %d writes each, synchronous=%s\n", writes, full_sync ? "FULL" : "NORMAL");
  g_print ("  baseline (one transaction per write, caller's thread): %9.0f writes/s\n", baseline);
  g_print ("  writer, serial (each waits for its ack):             %9.0f writes/s  ratio %.2f  ack p50 %.3f ms p99 %.3f ms\n",
           serial, serial / baseline, serial_p50, serial_p99);
  g_print ("  writer, flood (all queued at once):                  %9.0f writes/s  ratio %.2f  ack p50 %.1f ms p99 %.1f ms\n",
           flood, flood / baseline, flood_p50, flood_p99);
  g_print ("  group commit: %" G_GUINT64_FORMAT " writes in %" G_GUINT64_FORMAT " commits, largest group %u\n",
           stats.writes, stats.commits, stats.largest_group);

  vigil_bench_remove_flat_directory (dir);
  return 0;
}
