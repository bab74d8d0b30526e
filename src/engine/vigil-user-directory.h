/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-store.h"
#include "vigil-user.h"

G_BEGIN_DECLS

/* One account as the console's Users page lists it: the account, when it
 * was last seen, and the state of its behavioral model. */
#define VIGIL_TYPE_USER_ROW (vigil_user_row_get_type ())
G_DECLARE_FINAL_TYPE (VigilUserRow, vigil_user_row, VIGIL, USER_ROW, GObject)

const VigilUser *vigil_user_row_get_user           (VigilUserRow *self);
const char      *vigil_user_row_get_id             (VigilUserRow *self);
/* The email, else the phone, else the profile id. */
const char      *vigil_user_row_get_name           (VigilUserRow *self);
/* The latest login or session activity, 0 when never. */
gint64           vigil_user_row_get_last_seen      (VigilUserRow *self);
/* Enrollment vectors and the raw samples in them. */
guint            vigil_user_row_get_vectors        (VigilUserRow *self);
guint64          vigil_user_row_get_samples        (VigilUserRow *self);
/* Modalities with a model, the newest version and when it was trained
 * (0 when none). */
guint            vigil_user_row_get_models         (VigilUserRow *self);
gint64           vigil_user_row_get_model_version  (VigilUserRow *self);
gint64           vigil_user_row_get_trained_at     (VigilUserRow *self);
/* TRUE when MPIN verification is locked at @now_us. */
gboolean         vigil_user_row_is_mpin_locked     (VigilUserRow *self,
                                                    gint64        now_us);

/* Every account as a GListModel of VigilUserRow, oldest first. Filled by
 * vigil_user_directory_refresh_async (), which reads on a worker thread
 * with its own connection and replaces the rows in one items-changed. */
#define VIGIL_TYPE_USER_DIRECTORY (vigil_user_directory_get_type ())
G_DECLARE_FINAL_TYPE (VigilUserDirectory, vigil_user_directory, VIGIL, USER_DIRECTORY, GObject)

VigilUserDirectory *vigil_user_directory_new            (VigilStore          *store);
void                vigil_user_directory_refresh_async  (VigilUserDirectory  *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean            vigil_user_directory_refresh_finish (VigilUserDirectory  *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/* The row of @user_id, or NULL. */
VigilUserRow       *vigil_user_directory_lookup         (VigilUserDirectory  *self,
                                                         const char          *user_id);

G_END_DECLS
