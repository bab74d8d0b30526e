/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  VIGIL_ROLE_USER,
  VIGIL_ROLE_ANALYST,
  VIGIL_ROLE_ADMIN,
} VigilRole;

const char *vigil_role_to_string   (VigilRole   role);
gboolean    vigil_role_from_string (const char *text,
                                    VigilRole  *out_role);

/* An account as the engine reads it. The hashes never leave the engine:
 * vigil_user_copy () used for results drops them. */
typedef struct
{
  char      *id;                    /* UUID */
  char      *phone;                 /* nullable */
  char      *email;                 /* nullable */
  char      *profile_id;            /* nullable */
  VigilRole  role;
  gboolean   disabled;
  gboolean   has_password;
  gboolean   has_mpin;
  gint64     created_at_us;
  gint64     last_login_at_us;      /* 0 when never */
  guint      mpin_failed_attempts;
  gint64     mpin_locked_until_us;  /* 0 when not locked */
} VigilUser;

#define VIGIL_TYPE_USER (vigil_user_get_type ())
GType      vigil_user_get_type (void) G_GNUC_CONST;
VigilUser *vigil_user_copy     (const VigilUser *user);
void       vigil_user_free     (VigilUser       *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilUser, vigil_user_free)

G_END_DECLS
