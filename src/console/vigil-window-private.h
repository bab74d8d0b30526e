/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-decision-notifier.h"
#include "vigil-preferences-window.h"
#include "vigil-window.h"

G_BEGIN_DECLS

AdwViewStack *_vigil_window_get_view_stack  (VigilWindow *self);

/* The window's own interactive widgets (not its pages'), in focus order. */
GPtrArray    *_vigil_window_list_controls   (VigilWindow *self);

VigilDecisionNotifier  *_vigil_window_get_notifier    (VigilWindow *self);
VigilPreferencesWindow *_vigil_window_get_preferences (VigilWindow *self);

G_END_DECLS
