/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The accounts with their activity and model state, as a GListModel the
 * console binds to. Reads run on a worker thread with their own
 * connection; the rows are swapped in on the main context. */
#define G_LOG_DOMAIN "vigil-user-directory"

#include "config.h"

#include "vigil-user-directory.h"

#include "vigil-user-table.h"

struct _VigilUserRow
{
  GObject    parent_instance;

  VigilUser *user;
  gint64     last_seen_us;
  guint      vectors;
  guint64    samples;
  guint      models;
  gint64     model_version;
  gint64     trained_at_us;
};

G_DEFINE_FINAL_TYPE (VigilUserRow, vigil_user_row, G_TYPE_OBJECT)

static void
vigil_user_row_finalize (GObject *object)
{
  VigilUserRow *self = VIGIL_USER_ROW (object);

  g_clear_pointer (&self->user, vigil_user_free);

  G_OBJECT_CLASS (vigil_user_row_parent_class)->finalize (object);
}

static void
vigil_user_row_class_init (VigilUserRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_user_row_finalize;
}

static void
vigil_user_row_init (VigilUserRow *self)
{
}

const VigilUser *
vigil_user_row_get_user (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), NULL);
  return self->user;
}

const char *
vigil_user_row_get_id (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), NULL);
  return self->user->id;
}

const char *
vigil_user_row_get_name (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), NULL);

  if (self->user->email != NULL)
    return self->user->email;
  if (self->user->phone != NULL)
    return self->user->phone;
  if (self->user->profile_id != NULL)
    return self->user->profile_id;
  return self->user->id;
}

gint64
vigil_user_row_get_last_seen (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), 0);
  return MAX (self->last_seen_us, self->user->last_login_at_us);
}

guint
vigil_user_row_get_vectors (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), 0);
  return self->vectors;
}

guint64
vigil_user_row_get_samples (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), 0);
  return self->samples;
}

guint
vigil_user_row_get_models (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), 0);
  return self->models;
}

gint64
vigil_user_row_get_model_version (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), 0);
  return self->model_version;
}

gint64
vigil_user_row_get_trained_at (VigilUserRow *self)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), 0);
  return self->trained_at_us;
}

gboolean
vigil_user_row_is_mpin_locked (VigilUserRow *self,
                               gint64        now_us)
{
  g_return_val_if_fail (VIGIL_IS_USER_ROW (self), FALSE);
  return self->user->mpin_locked_until_us > now_us;
}

/* The directory */

struct _VigilUserDirectory
{
  GObject     parent_instance;

  VigilStore *store;
  GPtrArray  *rows;      /* VigilUserRow */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilUserDirectory, vigil_user_directory, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return VIGIL_TYPE_USER_ROW;
}

static guint
get_n_items (GListModel *model)
{
  return VIGIL_USER_DIRECTORY (model)->rows->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  VigilUserDirectory *self = VIGIL_USER_DIRECTORY (model);

  if (position >= self->rows->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->rows, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
vigil_user_directory_finalize (GObject *object)
{
  VigilUserDirectory *self = VIGIL_USER_DIRECTORY (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (vigil_user_directory_parent_class)->finalize (object);
}

static void
vigil_user_directory_class_init (VigilUserDirectoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_user_directory_finalize;
}

static void
vigil_user_directory_init (VigilUserDirectory *self)
{
  self->rows = g_ptr_array_new_with_free_func (g_object_unref);
}

VigilUserDirectory *
vigil_user_directory_new (VigilStore *store)
{
  VigilUserDirectory *self;

  g_return_val_if_fail (VIGIL_IS_STORE (store), NULL);

  self = g_object_new (VIGIL_TYPE_USER_DIRECTORY, NULL);
  self->store = g_object_ref (store);
  return self;
}

/* Runs @sql (rows of user_id then up to four integers) and hands each row
 * to @apply with the row object of that user. */
typedef void (*ApplyFunc) (VigilUserRow *row, sqlite3_stmt *stmt);

static gboolean
apply_query (VigilDb      *db,
             GHashTable   *by_id,
             const char   *sql,
             ApplyFunc     apply,
             GError      **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilUserRow *row = g_hash_table_lookup (by_id, (const char *) sqlite3_column_text (stmt, 0));

      if (row != NULL)
        apply (row, stmt);
    }
  sqlite3_reset (stmt);

  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Reading account activity failed");
      return FALSE;
    }
  return TRUE;
}

static void
apply_last_seen (VigilUserRow *row, sqlite3_stmt *stmt)
{
  row->last_seen_us = sqlite3_column_int64 (stmt, 1);
}

static void
apply_vectors (VigilUserRow *row, sqlite3_stmt *stmt)
{
  row->vectors = (guint) sqlite3_column_int64 (stmt, 1);
  row->samples = (guint64) sqlite3_column_int64 (stmt, 2);
}

static void
apply_models (VigilUserRow *row, sqlite3_stmt *stmt)
{
  row->models = (guint) sqlite3_column_int64 (stmt, 1);
  row->model_version = sqlite3_column_int64 (stmt, 2);
  row->trained_at_us = sqlite3_column_int64 (stmt, 3);
}

static GPtrArray *
read_rows (VigilDb  *db,
           GError  **error)
{
  g_autoptr(GPtrArray) users = vigil_user_table_list (db, error);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) by_id = NULL;

  if (users == NULL)
    return NULL;

  rows = g_ptr_array_new_full (users->len, g_object_unref);
  by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < users->len; i++)
    {
      VigilUserRow *row = g_object_new (VIGIL_TYPE_USER_ROW, NULL);

      row->user = g_steal_pointer (&users->pdata[i]);
      g_ptr_array_add (rows, row);
      g_hash_table_insert (by_id, row->user->id, row);
    }

  if (!apply_query (db, by_id,
                    "SELECT user_id, MAX(COALESCE(last_event_at, started_at)) FROM sessions"
                    " WHERE user_id IS NOT NULL GROUP BY user_id",
                    apply_last_seen, error) ||
      !apply_query (db, by_id,
                    "SELECT user_id, COUNT(*), SUM(samples) FROM profile_vectors GROUP BY user_id",
                    apply_vectors, error) ||
      !apply_query (db, by_id,
                    "SELECT user_id, COUNT(*), MAX(version), MAX(trained_at) FROM profile_models"
                    " GROUP BY user_id",
                    apply_models, error))
    return NULL;

  return g_steal_pointer (&rows);
}

static void
refresh_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  rows = read_rows (task_data, &error);
  if (rows == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
vigil_user_directory_refresh_async (VigilUserDirectory  *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  VigilDb *db;

  g_return_if_fail (VIGIL_IS_USER_DIRECTORY (self));

  /* No source object and no store reference in the task: the worker may
   * drop the task's last reference, and must not finalize them there. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_user_directory_refresh_async);
  db = vigil_store_open_reader (self->store, &error);
  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, db, (GDestroyNotify) vigil_db_free);
  g_task_run_in_thread (task, refresh_thread);
}

gboolean
vigil_user_directory_refresh_finish (VigilUserDirectory  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  guint removed;

  g_return_val_if_fail (VIGIL_IS_USER_DIRECTORY (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  rows = g_task_propagate_pointer (G_TASK (result), error);
  if (rows == NULL)
    return FALSE;

  removed = self->rows->len;
  g_ptr_array_unref (self->rows);
  self->rows = g_steal_pointer (&rows);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, self->rows->len);
  return TRUE;
}

VigilUserRow *
vigil_user_directory_lookup (VigilUserDirectory *self,
                             const char         *user_id)
{
  g_return_val_if_fail (VIGIL_IS_USER_DIRECTORY (self), NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      VigilUserRow *row = g_ptr_array_index (self->rows, i);

      if (g_strcmp0 (row->user->id, user_id) == 0)
        return row;
    }
  return NULL;
}
