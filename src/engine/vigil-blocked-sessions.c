/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-blocked-sessions"

#include "config.h"

#include "vigil-blocked-sessions.h"

#include <sqlite3.h>

#include "vigil-db.h"

typedef struct
{
  VigilDb *db;
  gint64   since_us;
} ListData;

static void
list_data_free (gpointer data)
{
  ListData *list = data;

  g_clear_pointer (&list->db, vigil_db_free);
  g_free (list);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ListData *data = task_data;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  GError *error = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = vigil_db_prepare (data->db,
                           "SELECT id FROM sessions WHERE state = 'blocked' AND ended_at >= ?1",
                           &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  sqlite3_bind_int64 (stmt, 1, data->since_us);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (ids, (const char *) sqlite3_column_text (stmt, 0));

  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (data->db, &error, "Cannot read the blocked sessions");
      sqlite3_reset (stmt);
      g_task_return_error (task, error);
      return;
    }

  sqlite3_reset (stmt);
  g_task_return_pointer (task, g_strv_builder_end (ids), (GDestroyNotify) g_strfreev);
}

void
vigil_blocked_sessions_list_since_async (VigilStore          *store,
                                         gint64               since_us,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  ListData *data;
  VigilDb *db;

  g_return_if_fail (VIGIL_IS_STORE (store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* No source object: the worker may drop the task's last reference, and
   * must not finalize the store there. */
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, vigil_blocked_sessions_list_since_async);

  db = vigil_store_open_reader (store, &error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  data = g_new0 (ListData, 1);
  data->db = db;
  data->since_us = since_us;
  g_task_set_task_data (task, data, list_data_free);
  g_task_run_in_thread (task, list_thread);
}

GStrv
vigil_blocked_sessions_list_since_finish (GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_blocked_sessions_list_since_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
