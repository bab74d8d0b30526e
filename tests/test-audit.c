/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit log: appends chain and commit with the writes they describe,
 * and the verifier finds each kind of tampering at the entry it hit. */
#include "config.h"

#include "vigil-audit.h"
#include "vigil-error.h"
#include "vigil-store.h"
#include "vigil-test-util.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define AT_US G_GINT64_CONSTANT (1700000000000000)

typedef struct
{
  char       *dir;
  char       *path;
  VigilStore *store;
} Fixture;

/* Counts acknowledgements from any number of queued writes. */
typedef struct
{
  guint     completed;
  guint     expected;
  guint     failed;
  gboolean  done;
  GError   *last_error;
} Tally;

typedef struct
{
  int       value;
  gboolean  fail;
} Change;

typedef struct
{
  VigilStore              *store;
  gboolean                 done;
  VigilAuditVerification  *verification;
  GError                  *error;
} VerifyWait;

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

static void
tally_init (Tally *tally,
            guint  expected)
{
  memset (tally, 0, sizeof *tally);
  tally->expected = expected;
}

static void
tally_count (Tally  *tally,
             GError *error)
{
  if (error != NULL)
    {
      tally->failed++;
      g_clear_error (&tally->last_error);
      tally->last_error = error;
    }
  if (++tally->completed == tally->expected)
    tally->done = TRUE;
}

static void
on_appended (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError *error = NULL;

  g_assert_true (VIGIL_IS_STORE (source));
  if (!vigil_audit_append_finish (VIGIL_STORE (source), result, &error))
    g_assert_nonnull (error);
  tally_count (user_data, error);
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_assert_nonnull (error);
  tally_count (user_data, error);
}

static void
append_one (Fixture    *fixture,
            Tally      *tally,
            gint64      at_us,
            const char *actor,
            const char *action,
            const char *target,
            const char *client_address,
            JsonObject *details)
{
  vigil_audit_append_async (fixture->store, at_us, actor, action, target, client_address,
                            details, NULL, on_appended, tally);
}

/* Appends @count entries "event.N", all queued before any is written. */
static void
append_many (Fixture *fixture,
             guint    count)
{
  Tally tally;

  tally_init (&tally, count);
  for (guint i = 1; i <= count; i++)
    {
      g_autofree char *action = g_strdup_printf ("event.%u", i);

      append_one (fixture, &tally, AT_US + i, "system", action, NULL, "127.0.0.1", NULL);
    }
  g_assert_true (vigil_test_wait_for (&tally.done, 60000));
  g_assert_no_error (tally.last_error);
  g_assert_cmpuint (tally.failed, ==, 0);
}

static GPtrArray *
list_all (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = vigil_audit_list_recent (fixture->store, G_MAXUINT, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entries);
  return entries;
}

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  VerifyWait *wait = user_data;

  /* The task holds no reference on the store, so it has no source. */
  g_assert_null (source);
  wait->verification = vigil_audit_verify_finish (wait->store, result, &wait->error);
  wait->done = TRUE;
}

static VigilAuditVerification *
verify_with (VigilStore   *store,
             GCancellable *cancellable,
             GError      **error)
{
  VerifyWait wait = { store, FALSE, NULL, NULL };

  vigil_audit_verify_async (store, cancellable, on_verified, &wait);
  g_assert_true (vigil_test_wait_for (&wait.done, 60000));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.verification;
}

static VigilAuditVerification *
verify (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  VigilAuditVerification *verification = verify_with (fixture->store, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (verification);
  return verification;
}

static void
exec_sql (Fixture    *fixture,
          const char *sql)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (vigil_db_exec (vigil_store_get_reader (fixture->store), sql, &error));
  g_assert_no_error (error);
}

/* What an attacker with write access to the file does first. */
static void
drop_append_only_triggers (Fixture *fixture)
{
  exec_sql (fixture, "DROP TRIGGER audit_log_append_only_update;"
                     "DROP TRIGGER audit_log_append_only_delete;");
}

static gint64
query_int (Fixture    *fixture,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  gint64 value = -1;

  g_assert_true (vigil_db_query_int (vigil_store_get_reader (fixture->store), sql, &value, &error));
  g_assert_no_error (error);
  return value;
}

static void
assert_broken_at (VigilAuditVerification *verification,
                  gint64                  broken_id,
                  const char             *reason)
{
  g_assert_cmpint (verification->first_broken_id, ==, broken_id);
  g_assert_cmpint (verification->verified_up_to, ==, broken_id - 1);
  g_assert_cmpstr (verification->reason, ==, reason);
}

static void
assert_intact (VigilAuditVerification *verification,
               gint64                  entries)
{
  g_assert_cmpint (verification->entries, ==, entries);
  g_assert_cmpint (verification->verified_up_to, ==, entries);
  g_assert_cmpint (verification->first_broken_id, ==, 0);
  g_assert_null (verification->reason);
}

static gboolean
is_hex_hash (const char *hash)
{
  if (hash == NULL || strlen (hash) != 64)
    return FALSE;
  for (const char *p = hash; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* @entries newest first: ids count down to 1 and each entry names its
 * predecessor's hash. */
static void
assert_chain (GPtrArray *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      VigilAuditEntry *entry = g_ptr_array_index (entries, i);

      g_assert_cmpint (entry->id, ==, entries->len - i);
      g_assert_true (is_hex_hash (entry->hash));
      if (i + 1 < entries->len)
        {
          VigilAuditEntry *older = g_ptr_array_index (entries, i + 1);

          g_assert_cmpstr (entry->prev_hash, ==, older->hash);
        }
      else
        g_assert_cmpstr (entry->prev_hash, ==, ZERO_HASH);
    }
}

static void
test_append_chains (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(VigilAuditVerification) verification = NULL;
  VigilAuditEntry *entry;
  Tally tally;

  tally_init (&tally, 3);
  {
    /* Freed before the writer runs: the append must have copied them. */
    g_autofree char *actor = g_strdup ("user-1");
    g_autofree char *action = g_strdup ("auth.login_failed");
    g_autofree char *target = g_strdup ("user-1");
    g_autofree char *client = g_strdup ("192.0.2.7");
    g_autoptr(JsonObject) details = json_object_new ();

    json_object_set_int_member (details, "attempts", 3);
    json_object_set_string_member (details, "method", "password");
    append_one (fixture, &tally, AT_US, actor, action, target, client, details);
  }
  append_one (fixture, &tally, AT_US + 1, "system", "store.opened", NULL, NULL, NULL);
  append_one (fixture, &tally, AT_US + 2, "anonymous", "auth.register", "", "198.51.100.1", NULL);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_no_error (tally.last_error);

  entries = list_all (fixture);
  g_assert_cmpuint (entries->len, ==, 3);
  assert_chain (entries);

  entry = g_ptr_array_index (entries, 2);
  g_assert_cmpint (entry->at_us, ==, AT_US);
  g_assert_cmpstr (entry->actor, ==, "user-1");
  g_assert_cmpstr (entry->action, ==, "auth.login_failed");
  g_assert_cmpstr (entry->target, ==, "user-1");
  g_assert_cmpstr (entry->client_address, ==, "192.0.2.7");
  g_assert_cmpstr (entry->details, ==, "{\"attempts\":3,\"method\":\"password\"}");

  entry = g_ptr_array_index (entries, 1);
  g_assert_cmpstr (entry->action, ==, "store.opened");
  g_assert_null (entry->target);
  g_assert_null (entry->client_address);
  g_assert_null (entry->details);

  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (entry->target, ==, "");

  verification = verify (fixture);
  assert_intact (verification, 3);
}

static void
test_append_refuses_invalid (Fixture       *fixture,
                             gconstpointer  data)
{
  Tally tally;

  tally_init (&tally, 1);
  append_one (fixture, &tally, AT_US, "", "auth.login", NULL, NULL, NULL);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_error (tally.last_error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&tally.last_error);

  tally_init (&tally, 1);
  append_one (fixture, &tally, AT_US, "system", NULL, NULL, NULL, NULL);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_error (tally.last_error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&tally.last_error);

  tally_init (&tally, 1);
  append_one (fixture, &tally, AT_US, "system", "auth.login", "\xff\xfe", NULL, NULL);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_error (tally.last_error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&tally.last_error);

  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log"), ==, 0);
}

/* A change and its audit entry in one write; fails after both ran when
 * asked to, so that the rollback has both to undo. */
static gboolean
change_with_audit (VigilDb   *db,
                   gpointer   data,
                   GError   **error)
{
  Change *change = data;
  g_autofree char *target = g_strdup_printf ("row-%d", change->value);
  g_autoptr(JsonObject) details = json_object_new ();
  sqlite3_stmt *stmt = vigil_db_prepare (db, "INSERT INTO rows (value) VALUES (?1)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, change->value);
  if (!vigil_db_step_done (db, stmt, error))
    return FALSE;

  json_object_set_int_member (details, "value", change->value);
  if (!vigil_audit_append_in_transaction (db, AT_US + change->value, "user-1", "row.insert",
                                          target, NULL, details, error))
    return FALSE;

  if (change->fail)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "row %d refused", change->value);
      return FALSE;
    }
  return TRUE;
}

static void
queue_change (Fixture  *fixture,
              Tally    *tally,
              int       value,
              gboolean  fail)
{
  Change *change = g_new0 (Change, 1);

  change->value = value;
  change->fail = fail;
  vigil_store_write_async (fixture->store, change_with_audit, change, g_free, NULL, on_written, tally);
}

static void
test_transaction_commits_together (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  VigilAuditEntry *entry;
  Tally tally;

  tally_init (&tally, 1);
  queue_change (fixture, &tally, 7, FALSE);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_no_error (tally.last_error);

  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM rows WHERE value = 7"), ==, 1);
  entries = list_all (fixture);
  g_assert_cmpuint (entries->len, ==, 1);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpint (entry->id, ==, 1);
  g_assert_cmpstr (entry->target, ==, "row-7");
  g_assert_cmpstr (entry->details, ==, "{\"value\":7}");
  g_assert_cmpstr (entry->prev_hash, ==, ZERO_HASH);
}

static void
test_transaction_rolls_back_together (Fixture       *fixture,
                                      gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(VigilAuditVerification) verification = NULL;
  Tally tally;

  /* Queued together, so they most likely share one transaction: the
   * failed write's savepoint must take its entry away and nothing else. */
  tally_init (&tally, 4);
  queue_change (fixture, &tally, 1, FALSE);
  queue_change (fixture, &tally, 2, TRUE);
  queue_change (fixture, &tally, 3, FALSE);
  queue_change (fixture, &tally, 4, TRUE);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_cmpuint (tally.failed, ==, 2);
  g_assert_error (tally.last_error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  g_clear_error (&tally.last_error);

  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM rows"), ==, 2);
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM rows WHERE value IN (2, 4)"), ==, 0);

  entries = list_all (fixture);
  g_assert_cmpuint (entries->len, ==, 2);
  assert_chain (entries);
  g_assert_cmpstr (((VigilAuditEntry *) g_ptr_array_index (entries, 0))->target, ==, "row-3");
  g_assert_cmpstr (((VigilAuditEntry *) g_ptr_array_index (entries, 1))->target, ==, "row-1");

  verification = verify (fixture);
  assert_intact (verification, 2);
}

static void
test_append_concurrent_writes (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(VigilAuditVerification) verification = NULL;
  VigilStoreStats stats;
  const guint count = 500;

  append_many (fixture, count);

  entries = list_all (fixture);
  g_assert_cmpuint (entries->len, ==, count);
  assert_chain (entries);
  /* The writer keeps the queue's order. */
  for (guint i = 0; i < count; i++)
    {
      VigilAuditEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *action = g_strdup_printf ("event.%" G_GINT64_FORMAT, entry->id);

      g_assert_cmpstr (entry->action, ==, action);
    }

  vigil_store_get_stats (fixture->store, &stats);
  g_assert_cmpuint (stats.largest_group, >, 1);

  verification = verify (fixture);
  assert_intact (verification, count);
}

static void
test_verify_empty (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = verify (fixture);

  assert_intact (verification, 0);
}

static void
test_verify_intact (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;

  append_many (fixture, 1000);
  verification = verify (fixture);
  assert_intact (verification, 1000);
}

static void
test_verify_altered_action (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;

  append_many (fixture, 10);
  drop_append_only_triggers (fixture);
  exec_sql (fixture, "UPDATE audit_log SET action = 'event.harmless' WHERE id = 5");

  verification = verify (fixture);
  g_assert_cmpint (verification->entries, ==, 5);
  assert_broken_at (verification, 5, "entry 5 was altered");
}

static void
test_verify_altered_details (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;

  append_many (fixture, 10);
  drop_append_only_triggers (fixture);
  exec_sql (fixture, "UPDATE audit_log SET details = '{\"note\":\"nothing to see\"}' WHERE id = 7");

  verification = verify (fixture);
  assert_broken_at (verification, 7, "entry 7 was altered");
}

static void
test_verify_altered_to_null (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;

  /* A value becoming NULL and a NULL becoming "" are both changes, and
   * putting the value back makes the chain whole again. */
  append_many (fixture, 4);
  drop_append_only_triggers (fixture);
  exec_sql (fixture, "UPDATE audit_log SET client_address = NULL WHERE id = 3");
  verification = verify (fixture);
  assert_broken_at (verification, 3, "entry 3 was altered");

  exec_sql (fixture, "UPDATE audit_log SET client_address = '127.0.0.1' WHERE id = 3");
  g_clear_pointer (&verification, vigil_audit_verification_free);
  verification = verify (fixture);
  assert_intact (verification, 4);

  exec_sql (fixture, "UPDATE audit_log SET target = '' WHERE id = 2");
  g_clear_pointer (&verification, vigil_audit_verification_free);
  verification = verify (fixture);
  assert_broken_at (verification, 2, "entry 2 was altered");
}

static void
test_verify_deleted (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;

  append_many (fixture, 10);
  drop_append_only_triggers (fixture);
  exec_sql (fixture, "DELETE FROM audit_log WHERE id = 6");

  verification = verify (fixture);
  assert_broken_at (verification, 6, "entry 6 is missing");

  exec_sql (fixture, "DELETE FROM audit_log WHERE id = 1");
  g_clear_pointer (&verification, vigil_audit_verification_free);
  verification = verify (fixture);
  assert_broken_at (verification, 1, "entry 1 is missing");
}

static void
test_verify_swapped (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;

  append_many (fixture, 10);
  drop_append_only_triggers (fixture);
  /* Everything but the ids, hashes included: only the id in the hash
   * gives the swap away. */
  exec_sql (fixture,
            "CREATE TEMP TABLE saved AS SELECT * FROM audit_log WHERE id IN (3, 4);"
            "UPDATE audit_log SET (at, actor, action, target, client_address, details, prev_hash, hash) ="
            "  (SELECT at, actor, action, target, client_address, details, prev_hash, hash"
            "   FROM saved WHERE saved.id = 7 - audit_log.id)"
            " WHERE id IN (3, 4);"
            "DROP TABLE saved;");
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log WHERE id = 3 AND action = 'event.4'"), ==, 1);

  verification = verify (fixture);
  assert_broken_at (verification, 3, "entry 3 was altered");
}

static void
test_verify_spliced (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) other = NULL;
  g_autoptr(VigilAuditVerification) verification = NULL;
  g_autofree char *other_path = g_build_filename (fixture->dir, "other.db", NULL);
  g_autofree char *attach = NULL;
  Tally tally;

  append_many (fixture, 3);

  /* Another log that differs only at entry 2: its entry 3 is internally
   * consistent but follows a different entry 2. */
  other = vigil_store_open (other_path, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  tally_init (&tally, 3);
  vigil_audit_append_async (other, AT_US + 1, "system", "event.1", NULL, "127.0.0.1", NULL, NULL, on_appended, &tally);
  vigil_audit_append_async (other, AT_US + 2, "system", "event.forged", NULL, "127.0.0.1", NULL, NULL, on_appended, &tally);
  vigil_audit_append_async (other, AT_US + 3, "system", "event.3", NULL, "127.0.0.1", NULL, NULL, on_appended, &tally);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_no_error (tally.last_error);
  vigil_store_close (other);

  drop_append_only_triggers (fixture);
  attach = g_strdup_printf ("ATTACH DATABASE '%s' AS other", other_path);
  exec_sql (fixture, attach);
  /* Same first entry in both logs: the encoding is deterministic. */
  g_assert_cmpint (query_int (fixture, "SELECT count(*) FROM audit_log a JOIN other.audit_log b"
                                       " ON a.id = b.id AND a.hash = b.hash"), ==, 1);
  exec_sql (fixture, "DELETE FROM audit_log WHERE id = 3;"
                     "INSERT INTO audit_log SELECT * FROM other.audit_log WHERE id = 3;"
                     "DETACH DATABASE other;");

  verification = verify (fixture);
  assert_broken_at (verification, 3, "entry 3 does not follow entry 2");
}

static void
test_triggers_refuse_changes (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(VigilAuditVerification) verification = NULL;
  g_autoptr(GError) error = NULL;
  VigilDb *reader = vigil_store_get_reader (fixture->store);

  append_many (fixture, 3);

  g_assert_false (vigil_db_exec (reader, "UPDATE audit_log SET action = 'event.harmless' WHERE id = 2", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "append-only"));
  g_clear_error (&error);

  g_assert_false (vigil_db_exec (reader, "DELETE FROM audit_log WHERE id = 2", &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, "append-only"));

  verification = verify (fixture);
  assert_intact (verification, 3);
}

static void
test_list_recent_limit (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) five = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GPtrArray) all = NULL;

  append_many (fixture, 20);

  five = vigil_audit_list_recent (fixture->store, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (five->len, ==, 5);
  for (guint i = 0; i < five->len; i++)
    {
      VigilAuditEntry *entry = g_ptr_array_index (five, i);
      g_autofree char *action = g_strdup_printf ("event.%u", 20 - i);

      g_assert_cmpint (entry->id, ==, 20 - i);
      g_assert_cmpstr (entry->action, ==, action);
      g_assert_cmpint (entry->at_us, ==, AT_US + 20 - i);
    }

  none = vigil_audit_list_recent (fixture->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  all = vigil_audit_list_recent (fixture->store, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 20);
  assert_chain (all);
}

/* The hash of a first entry appended to a fresh store. */
static char *
first_hash (Fixture    *fixture,
            const char *name,
            const char *actor,
            const char *action,
            const char *target,
            JsonObject *details)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilStore) store = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
  Tally tally;

  store = vigil_store_open (path, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  tally_init (&tally, 1);
  vigil_audit_append_async (store, AT_US, actor, action, target, NULL, details, NULL, on_appended, &tally);
  g_assert_true (vigil_test_wait_for (&tally.done, 30000));
  g_assert_no_error (tally.last_error);

  entries = vigil_audit_list_recent (store, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 1);
  vigil_store_close (store);
  return g_strdup (((VigilAuditEntry *) g_ptr_array_index (entries, 0))->hash);
}

static void
test_hash_distinguishes_null (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(JsonObject) empty_details = json_object_new ();
  g_autofree char *null_target = first_hash (fixture, "a.db", "system", "probe", NULL, NULL);
  g_autofree char *null_again = first_hash (fixture, "b.db", "system", "probe", NULL, NULL);
  g_autofree char *empty_target = first_hash (fixture, "c.db", "system", "probe", "", NULL);
  g_autofree char *empty_object = first_hash (fixture, "d.db", "system", "probe", NULL, empty_details);
  g_autofree char *split_one = first_hash (fixture, "e.db", "ab", "c", NULL, NULL);
  g_autofree char *split_two = first_hash (fixture, "f.db", "a", "bc", NULL, NULL);

  g_assert_cmpstr (null_target, ==, null_again);
  g_assert_cmpstr (null_target, !=, empty_target);
  g_assert_cmpstr (null_target, !=, empty_object);
  /* Field boundaries are part of the encoding. */
  g_assert_cmpstr (split_one, !=, split_two);
}

static void
test_verify_cancelled (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(VigilAuditVerification) verification = NULL;
  g_autoptr(GError) error = NULL;

  append_many (fixture, 3);
  g_cancellable_cancel (cancellable);
  verification = verify_with (fixture->store, cancellable, &error);
  g_assert_null (verification);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/audit/append/chain", test_append_chains);
  ADD ("/audit/append/invalid", test_append_refuses_invalid);
  ADD ("/audit/append/concurrent", test_append_concurrent_writes);
  ADD ("/audit/transaction/commit", test_transaction_commits_together);
  ADD ("/audit/transaction/rollback", test_transaction_rolls_back_together);
  ADD ("/audit/verify/empty", test_verify_empty);
  ADD ("/audit/verify/intact", test_verify_intact);
  ADD ("/audit/verify/altered-action", test_verify_altered_action);
  ADD ("/audit/verify/altered-details", test_verify_altered_details);
  ADD ("/audit/verify/altered-null", test_verify_altered_to_null);
  ADD ("/audit/verify/deleted", test_verify_deleted);
  ADD ("/audit/verify/swapped", test_verify_swapped);
  ADD ("/audit/verify/spliced", test_verify_spliced);
  ADD ("/audit/verify/cancelled", test_verify_cancelled);
  ADD ("/audit/triggers/append-only", test_triggers_refuse_changes);
  ADD ("/audit/list-recent/limit", test_list_recent_limit);
  ADD ("/audit/hash/null-vs-empty", test_hash_distinguishes_null);
#undef ADD

  return g_test_run ();
}
