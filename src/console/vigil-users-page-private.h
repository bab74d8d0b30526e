/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-user-dialog.h"
#include "vigil-user-directory.h"
#include "vigil-users-page.h"

G_BEGIN_DECLS

/* What tests/test-ui-admin.c drives. */
VigilUserDirectory *_vigil_users_page_get_directory (VigilUsersPage *self);
GtkSingleSelection *_vigil_users_page_get_selection (VigilUsersPage *self);
GtkEditable        *_vigil_users_page_get_search    (VigilUsersPage *self);
/* The dialog "users.create" opened last, or NULL. */
VigilUserDialog    *_vigil_users_page_get_dialog    (VigilUsersPage *self);
/* The confirmation "users.delete" opened last, or NULL. */
AdwMessageDialog   *_vigil_users_page_get_delete_dialog (VigilUsersPage *self);
/* Selects @user_id's row; FALSE when it is not shown. */
gboolean            _vigil_users_page_select        (VigilUsersPage *self,
                                                     const char     *user_id);

G_END_DECLS
