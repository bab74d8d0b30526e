/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"
#include "vigil-page.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_SERVER_PAGE (vigil_server_page_get_type ())
G_DECLARE_FINAL_TYPE (VigilServerPage, vigil_server_page, VIGIL, SERVER_PAGE, VigilPage)

VigilServerPage *vigil_server_page_new (VigilEngine *engine);

G_END_DECLS
