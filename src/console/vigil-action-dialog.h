/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-session-actions.h"

G_BEGIN_DECLS

/* The question before an analyst acts on a session: what will happen, and
 * a reason (required: the "apply" response stays disabled until one is
 * typed; Enter in the entry applies). */
#define VIGIL_ACTION_DIALOG_APPLY "apply"

AdwMessageDialog *vigil_action_dialog_new        (GtkWindow          *parent,
                                                  VigilSessionAction  action,
                                                  const char         *who);
GtkEditable      *vigil_action_dialog_get_entry  (AdwMessageDialog   *dialog);
VigilSessionAction vigil_action_dialog_get_action (AdwMessageDialog  *dialog);

G_END_DECLS
