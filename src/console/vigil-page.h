/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_PAGE (vigil_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (VigilPage, vigil_page, VIGIL, PAGE, GtkWidget)

struct _VigilPageClass
{
  GtkWidgetClass parent_class;

  /*< private >*/
  gpointer padding[4];
};

VigilEngine *vigil_page_get_engine (VigilPage *self);

G_END_DECLS
