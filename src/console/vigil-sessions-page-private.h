/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-session-detail.h"
#include "vigil-session-list.h"
#include "vigil-sessions-page.h"

G_BEGIN_DECLS

/* For tests: the parts a user works with. */
VigilSessionList   *_vigil_sessions_page_get_session_list (VigilSessionsPage *self);
/* What the column view shows: filtered and sorted. */
GListModel         *_vigil_sessions_page_get_shown        (VigilSessionsPage *self);
GtkColumnView      *_vigil_sessions_page_get_column_view  (VigilSessionsPage *self);
GtkEditable        *_vigil_sessions_page_get_search_entry (VigilSessionsPage *self);
GtkToggleButton    *_vigil_sessions_page_get_risky_toggle (VigilSessionsPage *self);
GtkDropDown        *_vigil_sessions_page_get_state_dropdown (VigilSessionsPage *self);
VigilSessionDetail *_vigil_sessions_page_get_detail       (VigilSessionsPage *self);
const char         *_vigil_sessions_page_get_visible_state (VigilSessionsPage *self);
/* The reason dialog an action opened, or NULL. */
AdwMessageDialog   *_vigil_sessions_page_get_dialog       (VigilSessionsPage *self);
/* Actions under way (sent to the engine, not yet answered). */
guint               _vigil_sessions_page_get_running      (VigilSessionsPage *self);

G_END_DECLS
