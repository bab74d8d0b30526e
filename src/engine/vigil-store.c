/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SQLite store: a reader connection for the main context and a writer
 * thread that group-commits queued writes. The writer commits as soon as it
 * is idle and batches only what arrived while its previous commit ran, so a
 * client waiting for each acknowledgement never waits on a timer. After
 * each commit it tells the main context which tables changed. */
#define G_LOG_DOMAIN "vigil-store"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-store.h"
#include "vigil-store-private.h"

/* Bounds one transaction so that a flood cannot delay its first write's
 * acknowledgement without limit. */
#define MAX_GROUP_SIZE 1024

/* What vigil_store_flush () waits on: signalled once its group committed. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean reached;
} Barrier;

typedef struct
{
  VigilStoreWriteFunc  func;     /* NULL marks the end of the queue */
  gpointer             data;
  GDestroyNotify       data_destroy;
  GTask               *task;     /* NULL for a barrier */
  Barrier             *barrier;
  GError              *error;
} WriteJob;

struct _VigilStore
{
  GObject          parent_instance;

  char            *path;
  char            *journal_mode;
  int              schema_version;
  VigilStoreSync   sync;

  VigilDb         *reader;
  VigilDb         *writer;       /* owned by the writer thread once started */
  GThread         *thread;
  GAsyncQueue     *queue;
  gboolean         closed;

  gint             pending;      /* atomic */
  GMutex           stats_lock;
  VigilStoreStats  stats;

  /* Tables committed but not yet announced; the writer adds, the main
   * context takes them all in one emission. */
  GMainContext    *context;
  GMutex           notify_lock;
  GHashTable      *notify_tables;
  GSource         *notify_source;
};

G_DEFINE_FINAL_TYPE (VigilStore, vigil_store, G_TYPE_OBJECT)

enum {
  TABLES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
write_job_free (WriteJob *job)
{
  if (job->data_destroy != NULL)
    job->data_destroy (job->data);
  g_clear_object (&job->task);
  g_clear_error (&job->error);
  g_free (job);
}

static gboolean
configure_connection (VigilDb         *db,
                      VigilStoreSync   sync,
                      GError         **error)
{
  const char *synchronous = sync == VIGIL_STORE_SYNC_FULL
                          ? "PRAGMA synchronous = FULL"
                          : "PRAGMA synchronous = NORMAL";

  return vigil_db_exec (db, synchronous, error) &&
         vigil_db_exec (db, "PRAGMA foreign_keys = ON", error);
}

static void
add_tables (GHashTable *into,
            GHashTable *tables)
{
  GHashTableIter iter;
  gpointer table;

  g_hash_table_iter_init (&iter, tables);
  while (g_hash_table_iter_next (&iter, &table, NULL))
    if (!g_hash_table_contains (into, table))
      g_hash_table_add (into, g_strdup (table));
}

/* Adds the tables the job changed to @changes unless its savepoint was
 * rolled back: the update hook cannot tell, the writer can. */
static void
run_job (VigilDb    *db,
         WriteJob   *job,
         GHashTable *changes)
{
  GCancellable *cancellable = job->task ? g_task_get_cancellable (job->task) : NULL;
  g_autoptr(GError) rollback_error = NULL;

  vigil_db_take_changes (db, NULL);
  if (g_cancellable_set_error_if_cancelled (cancellable, &job->error))
    return;

  if (!vigil_db_exec (db, "SAVEPOINT vigil_write", &job->error))
    return;

  if (job->func (db, job->data, &job->error))
    {
      /* Even when the release fails, what it wrote may commit: a spurious
       * notification is harmless, a missed one is not. */
      vigil_db_take_changes (db, changes);
      if (!vigil_db_exec (db, "RELEASE vigil_write", &job->error))
        return;
      return;
    }

  if (job->error == NULL)
    g_set_error_literal (&job->error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "The write failed");

  if (!vigil_db_exec (db, "ROLLBACK TO vigil_write", &rollback_error) ||
      !vigil_db_exec (db, "RELEASE vigil_write", &rollback_error))
    {
      g_warning ("Rolling back a failed write failed: %s", rollback_error->message);
      vigil_db_take_changes (db, changes);
      return;
    }
  vigil_db_take_changes (db, NULL);
}

static int
compare_names (const void *a,
               const void *b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
deliver_changes (gpointer user_data)
{
  VigilStore *self = user_data;
  g_autoptr(GHashTable) tables = NULL;
  g_autofree const char **names = NULL;
  guint n;

  g_mutex_lock (&self->notify_lock);
  tables = g_steal_pointer (&self->notify_tables);
  self->notify_tables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_clear_pointer (&self->notify_source, g_source_unref);
  g_mutex_unlock (&self->notify_lock);

  names = (const char **) g_hash_table_get_keys_as_array (tables, &n);
  qsort (names, n, sizeof *names, compare_names);
  /* A handler may drop the last reference to the store. */
  g_object_ref (self);
  g_signal_emit (self, signals[TABLES_CHANGED], 0, names);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Runs on the writer thread after a commit. Groups that commit before the
 * main context gets round to it share its one emission. */
static void
post_changes (VigilStore *self,
              GHashTable *changes)
{
  g_mutex_lock (&self->notify_lock);
  add_tables (self->notify_tables, changes);
  if (self->notify_source == NULL)
    {
      self->notify_source = g_idle_source_new ();
      g_source_set_priority (self->notify_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->notify_source, deliver_changes, self, NULL);
      g_source_set_static_name (self->notify_source, "[vigil] store tables-changed");
      g_source_attach (self->notify_source, self->context);
    }
  g_mutex_unlock (&self->notify_lock);
}

static void
commit_group (VigilStore *self,
              GPtrArray  *group)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) changes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint failed = 0;

  if (vigil_db_exec (self->writer, "BEGIN IMMEDIATE", &error))
    {
      for (guint i = 0; i < group->len; i++)
        run_job (self->writer, g_ptr_array_index (group, i), changes);

      if (!vigil_db_exec (self->writer, "COMMIT", &error))
        {
          g_autoptr(GError) rollback_error = NULL;

          if (!vigil_db_exec (self->writer, "ROLLBACK", &rollback_error))
            g_warning ("Rollback after a failed commit failed: %s", rollback_error->message);
        }
      else if (g_hash_table_size (changes) > 0)
        post_changes (self, changes);
    }

  for (guint i = 0; i < group->len; i++)
    {
      WriteJob *job = g_ptr_array_index (group, i);

      /* A failed transaction takes every write in it down, even those
       * whose own statements succeeded. */
      if (error != NULL || job->error != NULL)
        failed++;
    }

  if (error != NULL)
    g_warning ("A group of %u writes failed: %s", group->len, error->message);

  /* Figures first, so that whoever receives an acknowledgement already
   * sees them. */
  g_mutex_lock (&self->stats_lock);
  self->stats.writes += group->len;
  self->stats.failed += failed;
  if (error == NULL)
    self->stats.commits++;
  self->stats.largest_group = MAX (self->stats.largest_group, group->len);
  g_mutex_unlock (&self->stats_lock);
  g_atomic_int_add (&self->pending, -(gint) group->len);

  for (guint i = 0; i < group->len; i++)
    {
      WriteJob *job = g_ptr_array_index (group, i);

      if (job->barrier != NULL)
        {
          g_mutex_lock (&job->barrier->lock);
          job->barrier->reached = TRUE;
          g_cond_signal (&job->barrier->cond);
          g_mutex_unlock (&job->barrier->lock);
          continue;
        }
      if (error != NULL)
        g_task_return_error (job->task, g_error_copy (error));
      else if (job->error != NULL)
        g_task_return_error (job->task, g_steal_pointer (&job->error));
      else
        g_task_return_boolean (job->task, TRUE);
    }
}

static gpointer
writer_thread (gpointer user_data)
{
  VigilStore *self = user_data;
  g_autoptr(GPtrArray) group = g_ptr_array_new_with_free_func ((GDestroyNotify) write_job_free);
  gboolean stopping = FALSE;

  while (!stopping)
    {
      WriteJob *job = g_async_queue_pop (self->queue);

      /* Take whatever else queued up while we were busy, without waiting
       * for more. */
      while (job != NULL)
        {
          if (job->func == NULL)
            {
              write_job_free (job);
              stopping = TRUE;
              break;
            }

          g_ptr_array_add (group, job);
          if (group->len >= MAX_GROUP_SIZE)
            break;
          job = g_async_queue_try_pop (self->queue);
        }

      if (group->len > 0)
        commit_group (self, group);
      g_ptr_array_set_size (group, 0);
    }

  return NULL;
}

static void
vigil_store_finalize (GObject *object)
{
  VigilStore *self = VIGIL_STORE (object);

  vigil_store_close (self);

  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->journal_mode, g_free);
  g_clear_pointer (&self->notify_tables, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->notify_lock);
  g_mutex_clear (&self->stats_lock);

  G_OBJECT_CLASS (vigil_store_parent_class)->finalize (object);
}

static void
vigil_store_class_init (VigilStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vigil_store_finalize;

  /* The sorted names of the tables a commit changed (a NULL-terminated
   * array of strings). See vigil-store.h. */
  signals[TABLES_CHANGED] =
    g_signal_new ("tables-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRV | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
vigil_store_init (VigilStore *self)
{
  g_mutex_init (&self->stats_lock);
  g_mutex_init (&self->notify_lock);
  self->queue = g_async_queue_new ();
  self->notify_tables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->context = g_main_context_ref_thread_default ();
}

VigilStore *
vigil_store_open (const char      *path,
                  VigilStoreSync   sync,
                  GError         **error)
{
  g_autoptr(VigilStore) self = NULL;
  gint64 version;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->sync = sync;

  self->reader = vigil_db_open (path, error);
  if (self->reader == NULL)
    return NULL;

  /* WAL lets the main context read while the writer thread commits. */
  if (!vigil_db_query_text (self->reader, "PRAGMA journal_mode = WAL", &self->journal_mode, error))
    return NULL;
  if (g_ascii_strcasecmp (self->journal_mode, "wal") != 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_DATABASE,
                   "The database %s cannot use write-ahead logging (journal mode %s)",
                   path, self->journal_mode);
      return NULL;
    }

  if (!configure_connection (self->reader, sync, error) ||
      !_vigil_store_migrate (self->reader, error) ||
      !vigil_db_query_int (self->reader, "PRAGMA user_version", &version, error))
    return NULL;
  self->schema_version = (int) version;

  self->writer = vigil_db_open (path, error);
  if (self->writer == NULL || !configure_connection (self->writer, sync, error))
    return NULL;
  vigil_db_track_changes (self->writer);

  self->thread = g_thread_try_new ("vigil-writer", writer_thread, self, error);
  if (self->thread == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

const char *
vigil_store_get_path (VigilStore *self)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), NULL);

  return self->path;
}

gboolean
vigil_store_is_closed (VigilStore *self)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), TRUE);

  return self->closed;
}

int
vigil_store_get_schema_version (VigilStore *self)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), 0);

  return self->schema_version;
}

int
vigil_store_get_latest_schema_version (void)
{
  return _vigil_store_latest_version ();
}

const char *
vigil_store_get_journal_mode (VigilStore *self)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), NULL);

  return self->journal_mode;
}

VigilDb *
vigil_store_get_reader (VigilStore *self)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), NULL);
  g_return_val_if_fail (!self->closed, NULL);

  return self->reader;
}

VigilDb *
vigil_store_open_reader (VigilStore  *self,
                         GError     **error)
{
  g_autoptr(VigilDb) db = NULL;

  g_return_val_if_fail (VIGIL_IS_STORE (self), NULL);

  if (self->closed)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return NULL;
    }

  db = vigil_db_open (self->path, error);
  if (db == NULL || !configure_connection (db, self->sync, error) ||
      !vigil_db_exec (db, "PRAGMA query_only = ON", error))
    return NULL;

  return g_steal_pointer (&db);
}

void
vigil_store_write_async (VigilStore          *self,
                         VigilStoreWriteFunc  func,
                         gpointer             data,
                         GDestroyNotify       data_destroy,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  WriteJob *job;

  g_return_if_fail (VIGIL_IS_STORE (self));
  g_return_if_fail (func != NULL);

  /* No source object: a task must not keep the store alive, or its last
   * reference could drop on the writer thread, which cannot join itself.
   * Closing, and so finalizing, the store flushes what is queued. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_store_write_async);
  /* Once committed, a write reports success even if the caller cancelled
   * meanwhile: the caller must not believe committed data was dropped. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->closed)
    {
      if (data_destroy != NULL)
        data_destroy (data);
      g_task_return_new_error (task, VIGIL_ERROR, VIGIL_ERROR_CLOSED,
                               "The store is closed");
      return;
    }

  job = g_new0 (WriteJob, 1);
  job->func = func;
  job->data = data;
  job->data_destroy = data_destroy;
  job->task = g_steal_pointer (&task);

  g_atomic_int_inc (&self->pending);
  g_async_queue_push (self->queue, job);
}

gboolean
vigil_store_write_finish (VigilStore    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_store_write_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
vigil_store_ping (VigilStore  *self,
                  GError     **error)
{
  g_autofree char *instance_id = NULL;

  g_return_val_if_fail (VIGIL_IS_STORE (self), FALSE);

  if (self->closed)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED, "The store is closed");
      return FALSE;
    }

  return vigil_db_query_text (self->reader,
                              "SELECT value FROM meta WHERE key = 'instance_id'",
                              &instance_id, error);
}

static gboolean
pass_barrier (VigilDb   *db,
              gpointer   data,
              GError   **error)
{
  return TRUE;
}

void
vigil_store_flush (VigilStore *self)
{
  Barrier barrier = { .reached = FALSE };
  WriteJob *job;

  g_return_if_fail (VIGIL_IS_STORE (self));

  if (self->closed || self->thread == NULL)
    return;

  g_mutex_init (&barrier.lock);
  g_cond_init (&barrier.cond);

  job = g_new0 (WriteJob, 1);
  job->func = pass_barrier;
  job->barrier = &barrier;
  g_atomic_int_inc (&self->pending);
  g_async_queue_push (self->queue, job);

  /* FIFO: once the barrier's group committed, so did everything before. */
  g_mutex_lock (&barrier.lock);
  while (!barrier.reached)
    g_cond_wait (&barrier.cond, &barrier.lock);
  g_mutex_unlock (&barrier.lock);

  g_cond_clear (&barrier.cond);
  g_mutex_clear (&barrier.lock);
}

guint
vigil_store_get_pending_writes (VigilStore *self)
{
  g_return_val_if_fail (VIGIL_IS_STORE (self), 0);

  return (guint) g_atomic_int_get (&self->pending);
}

void
vigil_store_get_stats (VigilStore      *self,
                       VigilStoreStats *stats)
{
  g_return_if_fail (VIGIL_IS_STORE (self));
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&self->stats_lock);
  *stats = self->stats;
  g_mutex_unlock (&self->stats_lock);
}

void
vigil_store_close (VigilStore *self)
{
  g_return_if_fail (VIGIL_IS_STORE (self));

  if (self->closed)
    return;
  self->closed = TRUE;

  if (self->thread != NULL)
    {
      /* The end marker queues behind every pending write, so all of them
       * commit before the thread returns. */
      g_async_queue_push (self->queue, g_new0 (WriteJob, 1));
      g_thread_join (g_steal_pointer (&self->thread));
    }

  /* Listeners read through the store, which is gone: what committed
   * during the close is not announced. */
  g_mutex_lock (&self->notify_lock);
  if (self->notify_source != NULL)
    g_source_destroy (self->notify_source);
  g_clear_pointer (&self->notify_source, g_source_unref);
  g_hash_table_remove_all (self->notify_tables);
  g_mutex_unlock (&self->notify_lock);

  g_clear_pointer (&self->writer, vigil_db_free);
  g_clear_pointer (&self->reader, vigil_db_free);
  g_debug ("Store %s closed", self->path);
}
