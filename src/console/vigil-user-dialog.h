/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

/* "New User": email and/or phone, password (the engine's password policy
 * shown inline while typing), role. Creating runs the engine's admin
 * call; a refusal is shown in the dialog, which stays open. Emits
 * "user-created" (VigilUser) and closes on success. */
#define VIGIL_TYPE_USER_DIALOG (vigil_user_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VigilUserDialog, vigil_user_dialog, VIGIL, USER_DIALOG, AdwWindow)

VigilUserDialog *vigil_user_dialog_new (GtkWindow   *parent,
                                        VigilEngine *engine);

/* For tests: the dialog's own widgets. */
GtkEditable     *_vigil_user_dialog_get_email    (VigilUserDialog *self);
GtkEditable     *_vigil_user_dialog_get_phone    (VigilUserDialog *self);
GtkEditable     *_vigil_user_dialog_get_password (VigilUserDialog *self);
AdwComboRow     *_vigil_user_dialog_get_role     (VigilUserDialog *self);
GtkButton       *_vigil_user_dialog_get_create   (VigilUserDialog *self);
GtkLabel        *_vigil_user_dialog_get_error    (VigilUserDialog *self);

G_END_DECLS
