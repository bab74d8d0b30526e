/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-db.h"
#include "vigil-user.h"

G_BEGIN_DECLS

/* The users table. Callers choose the connection: the store's reader on the
 * main context, or the writer's inside a write function. */

typedef enum
{
  VIGIL_USER_BY_ID,
  VIGIL_USER_BY_PHONE,
  VIGIL_USER_BY_EMAIL,
  VIGIL_USER_BY_PROFILE,
} VigilUserKey;

/* A row with its hashes: engine-internal, never handed to the API. */
typedef struct
{
  VigilUser *user;
  char      *password_hash;   /* nullable */
  char      *mpin_hash;       /* nullable */
} VigilUserRecord;

void             vigil_user_record_free               (VigilUserRecord  *record);

/* NULL with VIGIL_ERROR_NOT_FOUND when no row matches. */
VigilUserRecord *vigil_user_table_find                (VigilDb          *db,
                                                       VigilUserKey      key,
                                                       const char       *value,
                                                       GError          **error);
/* VIGIL_ERROR_CONFLICT when the phone, email or profile id is taken. */
gboolean         vigil_user_table_insert              (VigilDb          *db,
                                                       const VigilUserRecord *record,
                                                       GError          **error);
gboolean         vigil_user_table_set_last_login      (VigilDb          *db,
                                                       const char       *user_id,
                                                       gint64            at_us,
                                                       GError          **error);
gboolean         vigil_user_table_set_role            (VigilDb          *db,
                                                       const char       *user_id,
                                                       VigilRole         role,
                                                       GError          **error);
/* Counts one failed MPIN in the same statement that reads the count, so
 * concurrent failures cannot both see "attempt 1"; locks until
 * @lock_until_us when the count reaches @max_attempts. */
gboolean         vigil_user_table_count_mpin_failure  (VigilDb          *db,
                                                       const char       *user_id,
                                                       guint             max_attempts,
                                                       gint64            lock_until_us,
                                                       guint            *out_attempts,
                                                       gint64           *out_locked_until_us,
                                                       GError          **error);
gboolean         vigil_user_table_clear_mpin_failures (VigilDb          *db,
                                                       const char       *user_id,
                                                       GError          **error);
/* Every account, oldest first; elements are VigilUser. */
GPtrArray       *vigil_user_table_list                (VigilDb          *db,
                                                       GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilUserRecord, vigil_user_record_free)

G_END_DECLS
