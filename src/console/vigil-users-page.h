/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"
#include "vigil-page.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_USERS_PAGE (vigil_users_page_get_type ())
G_DECLARE_FINAL_TYPE (VigilUsersPage, vigil_users_page, VIGIL, USERS_PAGE, VigilPage)

GtkWidget *vigil_users_page_new (VigilEngine *engine);

G_END_DECLS
