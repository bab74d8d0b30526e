/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

/* Tells the analyst about automatic blocks: a toast in @overlay and, when
 * @window is not focused, a desktop notification. Follows the engine's
 * "decision-made" until @window is destroyed. */
#define VIGIL_TYPE_DECISION_NOTIFIER (vigil_decision_notifier_get_type ())
G_DECLARE_FINAL_TYPE (VigilDecisionNotifier, vigil_decision_notifier, VIGIL, DECISION_NOTIFIER, GObject)

VigilDecisionNotifier *vigil_decision_notifier_new (GtkWindow       *window,
                                                    AdwToastOverlay *overlay,
                                                    VigilEngine     *engine);

/* How many blocks it announced, and how many of those as notifications. */
guint vigil_decision_notifier_get_toasts        (VigilDecisionNotifier *self);
guint vigil_decision_notifier_get_notifications (VigilDecisionNotifier *self);

G_END_DECLS
