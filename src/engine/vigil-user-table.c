/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQL for the users table, with cached statements. */
#define G_LOG_DOMAIN "vigil-accounts"

#include "config.h"

#include "vigil-error.h"
#include "vigil-user-table.h"

#define USER_COLUMNS \
  "id, phone, email, profile_id, role, disabled, created_at, last_login_at, " \
  "mpin_failed_attempts, mpin_locked_until, password_hash, mpin_hash"

void
vigil_user_record_free (VigilUserRecord *record)
{
  if (record == NULL)
    return;

  g_clear_pointer (&record->user, vigil_user_free);
  g_free (record->password_hash);
  g_free (record->mpin_hash);
  g_free (record);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static VigilUserRecord *
record_from_row (sqlite3_stmt *stmt)
{
  VigilUserRecord *record = g_new0 (VigilUserRecord, 1);
  VigilUser *user = g_new0 (VigilUser, 1);
  g_autofree char *role = NULL;

  user->id = column_text (stmt, 0);
  user->phone = column_text (stmt, 1);
  user->email = column_text (stmt, 2);
  user->profile_id = column_text (stmt, 3);
  role = column_text (stmt, 4);
  if (!vigil_role_from_string (role, &user->role))
    user->role = VIGIL_ROLE_USER;
  user->disabled = sqlite3_column_int (stmt, 5) != 0;
  user->created_at_us = sqlite3_column_int64 (stmt, 6);
  user->last_login_at_us = sqlite3_column_int64 (stmt, 7);
  user->mpin_failed_attempts = (guint) sqlite3_column_int (stmt, 8);
  user->mpin_locked_until_us = sqlite3_column_int64 (stmt, 9);

  record->password_hash = column_text (stmt, 10);
  record->mpin_hash = column_text (stmt, 11);
  user->has_password = record->password_hash != NULL;
  user->has_mpin = record->mpin_hash != NULL;
  record->user = user;
  return record;
}

static const char *
find_sql (VigilUserKey key)
{
  /* Column names are fixed here, never taken from input. */
  switch (key)
    {
    case VIGIL_USER_BY_ID:
      return "SELECT " USER_COLUMNS " FROM users WHERE id = ?1";
    case VIGIL_USER_BY_PHONE:
      return "SELECT " USER_COLUMNS " FROM users WHERE phone = ?1";
    case VIGIL_USER_BY_EMAIL:
      return "SELECT " USER_COLUMNS " FROM users WHERE email = ?1";
    case VIGIL_USER_BY_PROFILE:
      return "SELECT " USER_COLUMNS " FROM users WHERE profile_id = ?1";
    default:
      g_assert_not_reached ();
    }
}

VigilUserRecord *
vigil_user_table_find (VigilDb       *db,
                       VigilUserKey   key,
                       const char    *value,
                       GError       **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, find_sql (key), error);
  VigilUserRecord *record;
  int rc;

  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, value, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      record = record_from_row (stmt);
      sqlite3_reset (stmt);
      return record;
    }

  if (rc == SQLITE_DONE)
    g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "No such account");
  else
    vigil_db_set_error (db, error, "Reading an account failed");
  sqlite3_reset (stmt);
  return NULL;
}

static void
bind_nullable (sqlite3_stmt *stmt,
               int           index,
               const char   *value)
{
  if (value != NULL)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

gboolean
vigil_user_table_insert (VigilDb                *db,
                         const VigilUserRecord  *record,
                         GError                **error)
{
  const VigilUser *user = record->user;
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "INSERT INTO users (id, phone, email, profile_id, password_hash, mpin_hash,"
                           "                   role, disabled, created_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, user->id, -1, SQLITE_TRANSIENT);
  bind_nullable (stmt, 2, user->phone);
  bind_nullable (stmt, 3, user->email);
  bind_nullable (stmt, 4, user->profile_id);
  bind_nullable (stmt, 5, record->password_hash);
  bind_nullable (stmt, 6, record->mpin_hash);
  sqlite3_bind_text (stmt, 7, vigil_role_to_string (user->role), -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 8, user->disabled);
  sqlite3_bind_int64 (stmt, 9, user->created_at_us);

  if (vigil_db_step_done (db, stmt, &local_error))
    return TRUE;

  /* Say which identifier is taken, in the client's words. */
  if (g_error_matches (local_error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT))
    {
      const char *what = strstr (local_error->message, "users.phone") ? "phone number"
                       : strstr (local_error->message, "users.email") ? "email address"
                       : strstr (local_error->message, "users.profile_id") ? "profile"
                       : "account";
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_CONFLICT, "This %s is already registered", what);
      return FALSE;
    }

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
expect_one_change (VigilDb  *db,
                   GError  **error)
{
  if (sqlite3_changes (vigil_db_get_handle (db)) == 1)
    return TRUE;

  g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "No such account");
  return FALSE;
}

gboolean
vigil_user_table_set_last_login (VigilDb     *db,
                                 const char  *user_id,
                                 gint64       at_us,
                                 GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "UPDATE users SET last_login_at = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, at_us);
  return vigil_db_step_done (db, stmt, error) && expect_one_change (db, error);
}

gboolean
vigil_user_table_set_role (VigilDb     *db,
                           const char  *user_id,
                           VigilRole    role,
                           GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "UPDATE users SET role = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_role_to_string (role), -1, SQLITE_STATIC);
  return vigil_db_step_done (db, stmt, error) && expect_one_change (db, error);
}

gboolean
vigil_user_table_count_mpin_failure (VigilDb     *db,
                                     const char  *user_id,
                                     guint        max_attempts,
                                     gint64       lock_until_us,
                                     guint       *out_attempts,
                                     gint64      *out_locked_until_us,
                                     GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = vigil_db_prepare (db,
                           "UPDATE users SET"
                           "  mpin_failed_attempts = mpin_failed_attempts + 1,"
                           "  mpin_locked_until = CASE WHEN mpin_failed_attempts + 1 >= ?2"
                           "                           THEN ?3 ELSE mpin_locked_until END"
                           " WHERE id = ?1"
                           " RETURNING mpin_failed_attempts, mpin_locked_until",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, (int) max_attempts);
  sqlite3_bind_int64 (stmt, 3, lock_until_us);

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_NOT_FOUND, "No such account");
      else
        vigil_db_set_error (db, error, "Counting a failed MPIN failed");
      sqlite3_reset (stmt);
      return FALSE;
    }

  *out_attempts = (guint) sqlite3_column_int (stmt, 0);
  *out_locked_until_us = sqlite3_column_int64 (stmt, 1);
  /* Step past the row so the UPDATE completes before the reset. */
  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_user_table_clear_mpin_failures (VigilDb     *db,
                                      const char  *user_id,
                                      GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db,
                                         "UPDATE users SET mpin_failed_attempts = 0, mpin_locked_until = NULL"
                                         " WHERE id = ?1",
                                         error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  return vigil_db_step_done (db, stmt, error);
}

GPtrArray *
vigil_user_table_list (VigilDb  *db,
                       GError  **error)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_user_free);
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT " USER_COLUMNS " FROM users ORDER BY created_at, id", error);
  int rc;

  if (stmt == NULL)
    return NULL;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(VigilUserRecord) record = record_from_row (stmt);

      g_ptr_array_add (users, g_steal_pointer (&record->user));
    }

  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Listing accounts failed");
      sqlite3_reset (stmt);
      return NULL;
    }

  sqlite3_reset (stmt);
  return g_steal_pointer (&users);
}
