/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Account administration from the console: create, disable and enable,
 * unlock the MPIN, delete. Each change commits with its audit entry. */
#define G_LOG_DOMAIN "vigil-auth-admin"

#include "config.h"

#include "vigil-auth-admin.h"

#include "vigil-audit.h"
#include "vigil-auth-private.h"
#include "vigil-error.h"
#include "vigil-token-table.h"

char *
vigil_auth_admin_console_actor (void)
{
  return g_strdup_printf ("console:%s", g_get_user_name ());
}

void
vigil_auth_admin_create_user_async (VigilAuth               *self,
                                    const VigilRegistration *registration,
                                    const char              *actor,
                                    GCancellable            *cancellable,
                                    GAsyncReadyCallback      callback,
                                    gpointer                 user_data)
{
  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (registration != NULL);
  g_return_if_fail (actor != NULL);

  _vigil_auth_register_as_async (self, registration, actor, vigil_auth_admin_create_user_async,
                                 cancellable, callback, user_data);
}

VigilUser *
vigil_auth_admin_create_user_finish (VigilAuth     *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* One change to an account, written on the store's writer thread. */

typedef enum
{
  CHANGE_DISABLE,
  CHANGE_ENABLE,
  CHANGE_UNLOCK_MPIN,
  CHANGE_DELETE,
} ChangeKind;

typedef struct
{
  ChangeKind  kind;
  char       *user_id;
  char       *actor;
  gint64      now_us;
} Change;

static void
change_free (Change *change)
{
  g_free (change->user_id);
  g_free (change->actor);
  g_free (change);
}

static const char *
change_action (ChangeKind kind)
{
  switch (kind)
    {
    case CHANGE_DISABLE:     return "admin.user_disabled";
    case CHANGE_ENABLE:      return "admin.user_enabled";
    case CHANGE_UNLOCK_MPIN: return "admin.mpin_unlocked";
    case CHANGE_DELETE:      return "admin.user_deleted";
    default:
      g_return_val_if_reached ("admin.unknown");
    }
}

static gboolean
run_update (VigilDb     *db,
            const char  *sql,
            const char  *user_id,
            GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  return vigil_db_step_done (db, stmt, error);
}

static gboolean
write_change (VigilDb   *db,
              gpointer   user_data,
              GError   **error)
{
  Change *change = user_data;
  g_autoptr(VigilUserRecord) record = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  gint64 revoked = 0;
  gboolean ok;

  record = vigil_user_table_find (db, VIGIL_USER_BY_ID, change->user_id, error);
  if (record == NULL)
    return FALSE;

  switch (change->kind)
    {
    case CHANGE_DISABLE:
      ok = run_update (db, "UPDATE users SET disabled = 1 WHERE id = ?1", change->user_id, error);
      if (ok)
        revoked = vigil_token_table_revoke (db, change->user_id, NULL, NULL, NULL, NULL,
                                            change->now_us, "account_disabled", error);
      ok = ok && revoked >= 0;
      break;
    case CHANGE_ENABLE:
      ok = run_update (db, "UPDATE users SET disabled = 0 WHERE id = ?1", change->user_id, error);
      break;
    case CHANGE_UNLOCK_MPIN:
      ok = vigil_user_table_clear_mpin_failures (db, change->user_id, error);
      break;
    case CHANGE_DELETE:
      /* Tokens, sessions, vectors and models go with the row (ON DELETE
       * CASCADE); a deleted account's tokens no longer verify. */
      ok = run_update (db, "DELETE FROM users WHERE id = ?1", change->user_id, error);
      break;
    default:
      g_assert_not_reached ();
    }
  if (!ok)
    return FALSE;

  if (record->user->email != NULL)
    json_object_set_string_member (details, "email", record->user->email);
  if (record->user->phone != NULL)
    json_object_set_string_member (details, "phone", record->user->phone);
  if (change->kind == CHANGE_DISABLE)
    json_object_set_int_member (details, "tokens_revoked", revoked);
  if (change->kind == CHANGE_UNLOCK_MPIN)
    json_object_set_int_member (details, "failed_attempts", record->user->mpin_failed_attempts);

  return vigil_audit_append_in_transaction (db, change->now_us, change->actor,
                                            change_action (change->kind), change->user_id,
                                            NULL, details, error);
}

static void
on_change_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilAuth *self = g_task_get_source_object (task);
  Change *change = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vigil_store_write_finish (self->store, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The tokens are revoked already; this closes the sockets too. */
  if (change->kind == CHANGE_DISABLE)
    _vigil_sessions_end_matching (self->sessions, change->user_id, NULL, "account_disabled");

  g_task_return_boolean (task, TRUE);
}

static void
queue_change (VigilAuth *self,
              GTask     *task)
{
  Change *change = g_task_get_task_data (task);

  change->now_us = vigil_clock_now_us (self->clock);
  vigil_store_write_async (self->store, write_change, change, NULL,
                           g_task_get_cancellable (task), on_change_written,
                           g_object_ref (task));
}

static GTask *
change_task_new (VigilAuth           *self,
                 ChangeKind           kind,
                 const char          *user_id,
                 const char          *actor,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Change *change = g_new0 (Change, 1);

  change->kind = kind;
  change->user_id = g_strdup (user_id);
  change->actor = g_strdup (actor);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, change, (GDestroyNotify) change_free);
  return task;
}

void
vigil_auth_admin_set_disabled_async (VigilAuth           *self,
                                     const char          *user_id,
                                     gboolean             disabled,
                                     const char          *actor,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (user_id != NULL && actor != NULL);

  task = change_task_new (self, disabled ? CHANGE_DISABLE : CHANGE_ENABLE, user_id, actor,
                          vigil_auth_admin_set_disabled_async, cancellable, callback, user_data);
  queue_change (self, task);
}

gboolean
vigil_auth_admin_set_disabled_finish (VigilAuth     *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vigil_auth_admin_unlock_mpin_async (VigilAuth           *self,
                                    const char          *user_id,
                                    const char          *actor,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (user_id != NULL && actor != NULL);

  task = change_task_new (self, CHANGE_UNLOCK_MPIN, user_id, actor,
                          vigil_auth_admin_unlock_mpin_async, cancellable, callback, user_data);
  queue_change (self, task);
}

gboolean
vigil_auth_admin_unlock_mpin_finish (VigilAuth     *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Deleting: the live sessions end first, so that their logs are written
 * while their rows still exist; then the account goes. */

static void
on_session_ended_for_delete (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *log_path = NULL;
  g_autoptr(GError) error = NULL;
  guint *pending = g_object_get_data (G_OBJECT (task), "pending");

  log_path = vigil_sessions_end_finish (VIGIL_SESSIONS (source), result, &error);
  if (log_path == NULL)
    g_debug ("A session of a deleted account ended with an error: %s", error->message);

  if (--(*pending) == 0)
    queue_change (g_task_get_source_object (task), task);
}

/* The account's sessions that are open or whose ending has not written
 * its log yet: an indexed read by user. */
static GPtrArray *
list_unfinished_sessions (VigilAuth   *self,
                          const char  *user_id,
                          GError     **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  VigilDb *db = vigil_store_get_reader (self->store);
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT id FROM sessions WHERE user_id = ?1"
                                             " AND (ended_at IS NULL OR log_path IS NULL)", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Listing the account's sessions failed");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

void
vigil_auth_admin_delete_user_async (VigilAuth           *self,
                                    const char          *user_id,
                                    const char          *actor,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GError) error = NULL;
  guint *pending;

  g_return_if_fail (VIGIL_IS_AUTH (self));
  g_return_if_fail (user_id != NULL && actor != NULL);

  task = change_task_new (self, CHANGE_DELETE, user_id, actor,
                          vigil_auth_admin_delete_user_async, cancellable, callback, user_data);
  sessions = list_unfinished_sessions (self, user_id, &error);
  if (sessions == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  pending = g_new0 (guint, 1);
  g_object_set_data_full (G_OBJECT (task), "pending", pending, g_free);
  /* Ending an ending session waits for its log; an ended one answers it. */
  for (guint i = 0; i < sessions->len; i++)
    {
      (*pending)++;
      vigil_sessions_end_async (self->sessions, g_ptr_array_index (sessions, i),
                                "account_deleted", NULL, NULL,
                                on_session_ended_for_delete, g_object_ref (task));
    }

  if (*pending == 0)
    queue_change (self, task);
}

gboolean
vigil_auth_admin_delete_user_finish (VigilAuth     *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
