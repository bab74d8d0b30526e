/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Accounts as the engine hands them out, and their roles. */
#define G_LOG_DOMAIN "vigil-user"

#include "config.h"

#include "vigil-user.h"

G_DEFINE_BOXED_TYPE (VigilUser, vigil_user, vigil_user_copy, vigil_user_free)

const char *
vigil_role_to_string (VigilRole role)
{
  switch (role)
    {
    case VIGIL_ROLE_USER:
      return "user";
    case VIGIL_ROLE_ANALYST:
      return "analyst";
    case VIGIL_ROLE_ADMIN:
      return "admin";
    default:
      g_return_val_if_reached ("user");
    }
}

gboolean
vigil_role_from_string (const char *text,
                        VigilRole  *out_role)
{
  static const VigilRole roles[] = { VIGIL_ROLE_USER, VIGIL_ROLE_ANALYST, VIGIL_ROLE_ADMIN };

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (roles); i++)
    if (g_str_equal (text, vigil_role_to_string (roles[i])))
      {
        *out_role = roles[i];
        return TRUE;
      }

  return FALSE;
}

VigilUser *
vigil_user_copy (const VigilUser *user)
{
  VigilUser *copy;

  g_return_val_if_fail (user != NULL, NULL);

  copy = g_memdup2 (user, sizeof *user);
  copy->id = g_strdup (user->id);
  copy->phone = g_strdup (user->phone);
  copy->email = g_strdup (user->email);
  copy->profile_id = g_strdup (user->profile_id);
  return copy;
}

void
vigil_user_free (VigilUser *user)
{
  if (user == NULL)
    return;

  g_free (user->id);
  g_free (user->phone);
  g_free (user->email);
  g_free (user->profile_id);
  g_free (user);
}
