/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

/* What an analyst does to a session by hand, always with a reason, and
 * audited as the analyst ("session.block", "session.allow",
 * "session.require_mpin", "session.end"; the reason in the details).
 *
 * - block: the client hears session_blocked at once and the session ends
 *   blocked (as an automatic block does);
 * - require_mpin: the client hears mpin_required at once (step-up);
 * - end: the session ends with the reason "ended_by_analyst";
 * - allow: marks the session safe; its latest stored decision gets the
 *   analyst's feedback (vigil_risk_feedback_async), so a decision to
 *   allow or block becomes an "allow" label for the user's model.
 *
 * block, require_mpin and end need an open session (VIGIL_ERROR_NOT_FOUND,
 * VIGIL_ERROR_CLOSED otherwise); allow works on ended ones too. An empty
 * @reason or @actor is VIGIL_ERROR_INVALID_INPUT. The callback runs once
 * the audit entry has committed. Main context only. */
typedef enum
{
  VIGIL_SESSION_ACTION_BLOCK,
  VIGIL_SESSION_ACTION_ALLOW,
  VIGIL_SESSION_ACTION_REQUIRE_MPIN,
  VIGIL_SESSION_ACTION_END,
} VigilSessionAction;

#define VIGIL_END_REASON_ANALYST "ended_by_analyst"

/* The audit action: "session.block", ... */
const char *vigil_session_action_to_audit  (VigilSessionAction   action);

void        vigil_session_action_run_async (VigilEngine         *engine,
                                            const char          *session_id,
                                            VigilSessionAction   action,
                                            const char          *actor,
                                            const char          *reason,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean    vigil_session_action_run_finish (VigilEngine        *engine,
                                             GAsyncResult       *result,
                                             GError            **error);

G_END_DECLS
