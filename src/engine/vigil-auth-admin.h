/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-auth.h"

G_BEGIN_DECLS

/* What an administrator does to accounts from the console. Every action
 * is one transaction with its audit entry, made in the name of @actor
 * (vigil_auth_admin_console_actor () for the desktop console). */

/* "console:<unix user>": who acts from the desktop console. */
char       *vigil_auth_admin_console_actor      (void);

/* Creates an account with the registration rules of the API (password
 * policy errors as VIGIL_ERROR_INVALID_INPUT, duplicates as _CONFLICT),
 * audited as "auth.register" with @actor as the actor. */
void        vigil_auth_admin_create_user_async  (VigilAuth               *self,
                                                 const VigilRegistration *registration,
                                                 const char              *actor,
                                                 GCancellable            *cancellable,
                                                 GAsyncReadyCallback      callback,
                                                 gpointer                 user_data);
VigilUser  *vigil_auth_admin_create_user_finish (VigilAuth               *self,
                                                 GAsyncResult            *result,
                                                 GError                 **error);

/* A disabled account cannot log in and its tokens stop working: disabling
 * revokes them and ends its live sessions. */
void        vigil_auth_admin_set_disabled_async  (VigilAuth           *self,
                                                  const char          *user_id,
                                                  gboolean             disabled,
                                                  const char          *actor,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean    vigil_auth_admin_set_disabled_finish (VigilAuth           *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Forgets the failed MPIN attempts and lifts an MPIN lock. */
void        vigil_auth_admin_unlock_mpin_async   (VigilAuth           *self,
                                                  const char          *user_id,
                                                  const char          *actor,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean    vigil_auth_admin_unlock_mpin_finish  (VigilAuth           *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

/* Ends the account's live sessions (their logs are written), then deletes
 * it with its tokens, sessions and models; the audit log keeps the entry
 * "admin.user_deleted". */
void        vigil_auth_admin_delete_user_async   (VigilAuth           *self,
                                                  const char          *user_id,
                                                  const char          *actor,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean    vigil_auth_admin_delete_user_finish  (VigilAuth           *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

G_END_DECLS
