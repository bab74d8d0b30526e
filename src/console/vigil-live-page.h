/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"
#include "vigil-page.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_LIVE_PAGE (vigil_live_page_get_type ())
G_DECLARE_FINAL_TYPE (VigilLivePage, vigil_live_page, VIGIL, LIVE_PAGE, VigilPage)

VigilLivePage *vigil_live_page_new        (VigilEngine   *engine);

gboolean       vigil_live_page_get_paused (VigilLivePage *self);
void           vigil_live_page_set_paused (VigilLivePage *self,
                                           gboolean       paused);

G_END_DECLS
