/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vigil-error.h"
#include "vigil-store.h"
#include "vigil-test-util.h"

typedef struct
{
  char       *dir;
  char       *path;
  VigilStore *store;
} Fixture;

typedef struct
{
  Fixture  *fixture;
  int       value;
  gboolean  fail;
} Row;

typedef struct
{
  guint     completed;
  guint     failed;
  guint     expected;
  gboolean  done;
  gboolean  visible_at_ack;
  GThread  *main_thread;
  gboolean  on_main_thread;
  GError   *last_error;
} Tally;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->path = g_build_filename (fixture->dir, "vigil.db", NULL);
  fixture->store = vigil_store_open (fixture->path, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_true (vigil_db_exec (vigil_store_get_reader (fixture->store),
                                "CREATE TABLE rows (value INTEGER NOT NULL UNIQUE)", &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->store != NULL)
    {
      vigil_store_close (fixture->store);
      g_assert_finalize_object (g_steal_pointer (&fixture->store));
    }
  vigil_test_rm_rf (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static gboolean
insert_row (VigilDb   *db,
            gpointer   data,
            GError   **error)
{
  Row *row = data;
  sqlite3_stmt *stmt = vigil_db_prepare (db, "INSERT INTO rows (value) VALUES (?1)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, row->value);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;

  /* Fails after its insert ran, so the rollback has something to undo. */
  if (row->fail)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "row %d refused", row->value);
      return FALSE;
    }
  return TRUE;
}

static gint64
count_rows (Fixture    *fixture,
            const char *sql)
{
  g_autoptr(GError) error = NULL;
  gint64 count = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (fixture->store), sql, &count, &error));
  g_assert_no_error (error);
  return count;
}

static gboolean
row_visible (Fixture *fixture,
             int      value)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM rows WHERE value = %d", value);

  return count_rows (fixture, sql) == 1;
}

static void
tally_init (Tally *tally,
            guint  expected)
{
  memset (tally, 0, sizeof *tally);
  tally->expected = expected;
  tally->main_thread = g_thread_self ();
  tally->on_main_thread = TRUE;
}

static void
test_migrations_create_schema (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) reopened = NULL;
  g_autofree char *instance_id = NULL;
  g_autofree char *instance_again = NULL;
  gint64 version = 0;

  g_assert_cmpint (vigil_store_get_schema_version (fixture->store), ==,
                   vigil_store_get_latest_schema_version ());
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (fixture->store),
                                     "PRAGMA user_version", &version, &error));
  g_assert_cmpint (version, ==, vigil_store_get_latest_schema_version ());
  g_assert_cmpstr (vigil_store_get_journal_mode (fixture->store), ==, "wal");

  g_assert_true (vigil_db_query_text (vigil_store_get_reader (fixture->store),
                                      "SELECT value FROM meta WHERE key = 'instance_id'",
                                      &instance_id, &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (instance_id));

  /* Reopening runs no migration again: the facts stay. */
  vigil_store_close (fixture->store);
  g_clear_object (&fixture->store);
  reopened = vigil_store_open (fixture->path, VIGIL_STORE_SYNC_FULL, &error);
  g_assert_no_error (error);
  g_assert_true (vigil_db_query_text (vigil_store_get_reader (reopened),
                                      "SELECT value FROM meta WHERE key = 'instance_id'",
                                      &instance_again, &error));
  g_assert_cmpstr (instance_again, ==, instance_id);
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (reopened),
                                     "SELECT count(*) FROM meta", &version, &error));
  g_assert_cmpint (version, ==, 2);
  vigil_store_close (reopened);
}

static void
test_migrations_refuse_newer_schema (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) reopened = NULL;
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d",
                                           vigil_store_get_latest_schema_version () + 1);

  g_assert_true (vigil_db_exec (vigil_store_get_reader (fixture->store), bump, &error));
  vigil_store_close (fixture->store);
  g_clear_object (&fixture->store);

  reopened = vigil_store_open (fixture->path, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_null (reopened);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_SCHEMA_TOO_NEW);
}

static void
test_statement_cache_reuses (Fixture       *fixture,
                             gconstpointer  data)
{
  VigilDb *db = vigil_store_get_reader (fixture->store);
  guint before = vigil_db_get_cached_statements (db);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *first = vigil_db_prepare (db, "SELECT count(*) FROM rows", &error);
  sqlite3_stmt *second = vigil_db_prepare (db, "SELECT count(*) FROM rows", &error);

  g_assert_no_error (error);
  g_assert_true (first == second);
  g_assert_cmpuint (vigil_db_get_cached_statements (db), ==, before + 1);

  g_assert_null (vigil_db_prepare (db, "SELECT nonsense FROM nowhere", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE);
}

static void
on_serial_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data);

typedef struct
{
  Fixture *fixture;
  Tally    tally;
  int      next;
} Serial;

static void
queue_serial (Serial *serial)
{
  Row *row = g_new0 (Row, 1);

  row->fixture = serial->fixture;
  row->value = serial->next;
  vigil_store_write_async (serial->fixture->store, insert_row, row, g_free, NULL, on_serial_written, serial);
}

static void
on_serial_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Serial *serial = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (vigil_store_write_finish (serial->fixture->store, result, &error));
  g_assert_no_error (error);

  /* Acknowledged means committed: another connection already sees it. */
  if (!row_visible (serial->fixture, serial->next))
    serial->tally.visible_at_ack = FALSE;

  serial->tally.completed++;
  serial->next++;
  if (serial->tally.completed == serial->tally.expected)
    serial->tally.done = TRUE;
  else
    queue_serial (serial);
}

static void
test_writer_acks_after_commit (Fixture       *fixture,
                               gconstpointer  data)
{
  Serial serial = { fixture };
  VigilStoreStats stats;

  tally_init (&serial.tally, 200);
  serial.tally.visible_at_ack = TRUE;
  queue_serial (&serial);
  g_assert_true (vigil_test_wait_for (&serial.tally.done, 30000));

  g_assert_true (serial.tally.visible_at_ack);
  vigil_store_get_stats (fixture->store, &stats);
  /* A client that waits for each ack is never held back for a batch. */
  g_assert_cmpuint (stats.writes, ==, 200);
  g_assert_cmpuint (stats.commits, ==, 200);
  g_assert_cmpuint (vigil_store_get_pending_writes (fixture->store), ==, 0);
}

static void
on_flood_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Tally *tally = user_data;
  g_autoptr(GError) error = NULL;

  tally->on_main_thread = tally->on_main_thread && g_thread_self () == tally->main_thread;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      tally->failed++;
      g_clear_error (&tally->last_error);
      tally->last_error = g_steal_pointer (&error);
    }
  if (++tally->completed == tally->expected)
    tally->done = TRUE;
}

static void
queue_flood_row (Fixture  *fixture,
                 Tally    *tally,
                 int       value,
                 gboolean  fail)
{
  Row *row = g_new0 (Row, 1);

  row->value = value;
  row->fail = fail;
  vigil_store_write_async (fixture->store, insert_row, row, g_free, NULL, on_flood_written, tally);
}

static void
test_writer_groups_concurrent_writes (Fixture       *fixture,
                                      gconstpointer  data)
{
  Tally tally;
  VigilStoreStats stats;

  tally_init (&tally, 2000);
  for (int i = 0; i < 2000; i++)
    queue_flood_row (fixture, &tally, i, FALSE);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));

  g_assert_cmpuint (tally.failed, ==, 0);
  g_assert_true (tally.on_main_thread);
  g_assert_cmpint (count_rows (fixture, "SELECT count(*) FROM rows"), ==, 2000);

  vigil_store_get_stats (fixture->store, &stats);
  g_assert_cmpuint (stats.writes, ==, 2000);
  g_assert_cmpuint (stats.commits, <, 2000);
  g_assert_cmpuint (stats.largest_group, >, 1);
}

static void
test_writer_failure_is_isolated (Fixture       *fixture,
                                 gconstpointer  data)
{
  Tally tally;
  VigilStoreStats stats;

  tally_init (&tally, 5);
  queue_flood_row (fixture, &tally, 1, FALSE);
  queue_flood_row (fixture, &tally, 2, TRUE);   /* its own error */
  queue_flood_row (fixture, &tally, 1, FALSE);  /* a constraint violation */
  queue_flood_row (fixture, &tally, 3, FALSE);
  queue_flood_row (fixture, &tally, 4, FALSE);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));

  g_assert_cmpuint (tally.failed, ==, 2);
  g_assert_true (row_visible (fixture, 1));
  g_assert_false (row_visible (fixture, 2));
  g_assert_true (row_visible (fixture, 3));
  g_assert_true (row_visible (fixture, 4));
  g_assert_cmpint (count_rows (fixture, "SELECT count(*) FROM rows"), ==, 3);

  vigil_store_get_stats (fixture->store, &stats);
  g_assert_cmpuint (stats.failed, ==, 2);
  g_clear_error (&tally.last_error);
}

static void
test_close_flushes_queue (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) reopened = NULL;
  Tally tally;
  Tally late;
  gint64 count = 0;

  tally_init (&tally, 500);
  for (int i = 0; i < 500; i++)
    queue_flood_row (fixture, &tally, i, FALSE);

  /* Close at once: every write already accepted still commits. */
  vigil_store_close (fixture->store);
  g_assert_cmpuint (vigil_store_get_pending_writes (fixture->store), ==, 0);

  tally_init (&late, 1);
  queue_flood_row (fixture, &late, 9999, FALSE);

  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_cmpuint (tally.failed, ==, 0);
  g_assert_true (vigil_test_wait_for (&late.done, 30000));
  g_assert_cmpuint (late.failed, ==, 1);
  g_assert_error (late.last_error, VIGIL_ERROR, VIGIL_ERROR_CLOSED);
  g_clear_error (&late.last_error);

  g_clear_object (&fixture->store);
  reopened = vigil_store_open (fixture->path, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_true (vigil_db_query_int (vigil_store_get_reader (reopened),
                                     "SELECT count(*) FROM rows", &count, &error));
  g_assert_cmpint (count, ==, 500);
  vigil_store_close (reopened);
}

/* What "tables-changed" told, and where. */
typedef struct
{
  guint      emissions;
  GPtrArray *tables;       /* every name heard, in order */
  GThread   *main_thread;
  gboolean   on_main_thread;
} Heard;

static void
on_tables_changed (VigilStore         *store,
                   const char * const *tables,
                   gpointer            user_data)
{
  Heard *heard = user_data;

  heard->emissions++;
  heard->on_main_thread = heard->on_main_thread && g_thread_self () == heard->main_thread;
  for (guint i = 0; tables[i] != NULL; i++)
    g_ptr_array_add (heard->tables, g_strdup (tables[i]));
}

static void
heard_init (Heard      *heard,
            VigilStore *store)
{
  heard->emissions = 0;
  heard->tables = g_ptr_array_new_with_free_func (g_free);
  heard->main_thread = g_thread_self ();
  heard->on_main_thread = TRUE;
  g_signal_connect (store, "tables-changed", G_CALLBACK (on_tables_changed), heard);
}

static gboolean
heard_table (Heard      *heard,
             const char *table)
{
  for (guint i = 0; i < heard->tables->len; i++)
    if (g_str_equal (g_ptr_array_index (heard->tables, i), table))
      return TRUE;
  return FALSE;
}

static gboolean
exec_write (VigilDb   *db,
            gpointer   data,
            GError   **error)
{
  return vigil_db_exec (db, data, error);
}

static void
test_tables_changed_after_commit (Fixture       *fixture,
                                  gconstpointer  data)
{
  Heard heard;
  Tally tally;
  VigilStoreStats stats;

  heard_init (&heard, fixture->store);
  tally_init (&tally, 500);
  for (int i = 0; i < 500; i++)
    queue_flood_row (fixture, &tally, i, FALSE);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  /* The notification may still be queued behind the acknowledgements. */
  vigil_test_drain_main_context ();

  vigil_store_get_stats (fixture->store, &stats);
  g_assert_cmpuint (heard.emissions, >=, 1);
  g_assert_cmpuint (heard.emissions, <=, stats.commits);
  g_assert_true (heard.on_main_thread);
  g_assert_cmpuint (heard.tables->len, ==, heard.emissions);
  g_assert_true (heard_table (&heard, "rows"));

  /* Nothing written, nothing told. */
  vigil_test_drain_main_context ();
  g_assert_cmpuint (heard.tables->len, ==, heard.emissions);
  g_ptr_array_unref (heard.tables);
}

static void
test_tables_changed_skips_rollback (Fixture       *fixture,
                                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  Heard heard;
  Tally tally;

  g_assert_true (vigil_db_exec (vigil_store_get_reader (fixture->store),
                                "CREATE TABLE others (value INTEGER)", &error));
  g_assert_no_error (error);
  heard_init (&heard, fixture->store);

  /* The failed insert into rows shares its group with the insert into
   * others, or has a group of its own: either way rows is not named. */
  tally_init (&tally, 2);
  queue_flood_row (fixture, &tally, 7, TRUE);
  vigil_store_write_async (fixture->store, exec_write, (gpointer) "INSERT INTO others VALUES (1)", NULL,
                           NULL, on_flood_written, &tally);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_cmpuint (tally.failed, ==, 1);
  g_clear_error (&tally.last_error);
  vigil_test_drain_main_context ();

  g_assert_true (heard_table (&heard, "others"));
  g_assert_false (heard_table (&heard, "rows"));
  g_assert_false (row_visible (fixture, 7));

  /* A write that fails alone is not announced at all. */
  heard.emissions = 0;
  tally_init (&tally, 1);
  queue_flood_row (fixture, &tally, 8, TRUE);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_clear_error (&tally.last_error);
  vigil_test_drain_main_context ();
  g_assert_cmpuint (heard.emissions, ==, 0);
  g_ptr_array_unref (heard.tables);
}

static void
test_tables_changed_not_after_close (Fixture       *fixture,
                                     gconstpointer  data)
{
  Heard heard;
  Tally tally;

  heard_init (&heard, fixture->store);
  tally_init (&tally, 50);
  for (int i = 0; i < 50; i++)
    queue_flood_row (fixture, &tally, i, FALSE);
  /* They commit during the close; whatever was told is dropped with it. */
  vigil_store_close (fixture->store);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_cmpuint (tally.failed, ==, 0);
  vigil_test_drain_main_context ();

  g_assert_cmpuint (heard.emissions, ==, 0);
  g_ptr_array_unref (heard.tables);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/store/migrations/create", test_migrations_create_schema);
  ADD ("/store/migrations/too-new", test_migrations_refuse_newer_schema);
  ADD ("/store/statements/cache", test_statement_cache_reuses);
  ADD ("/store/writer/ack-after-commit", test_writer_acks_after_commit);
  ADD ("/store/writer/group-commit", test_writer_groups_concurrent_writes);
  ADD ("/store/writer/failure-isolated", test_writer_failure_is_isolated);
  ADD ("/store/writer/close-flushes", test_close_flushes_queue);
  ADD ("/store/tables-changed/commit", test_tables_changed_after_commit);
  ADD ("/store/tables-changed/rollback", test_tables_changed_skips_rollback);
  ADD ("/store/tables-changed/closed", test_tables_changed_not_after_close);
#undef ADD

  return g_test_run ();
}
