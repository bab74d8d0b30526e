/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-decision-notifier.h"
#include "vigil-preferences-window.h"
#include "vigil-window.h"

G_BEGIN_DECLS

/* What tests/test-window.c reads, so that it checks what the user sees
 * without walking the widget tree. */
typedef enum
{
  VIGIL_WINDOW_FIELD_LISTEN_URL,
  VIGIL_WINDOW_FIELD_STATUS,
  VIGIL_WINDOW_FIELD_UPTIME,
  VIGIL_WINDOW_FIELD_REQUESTS_PER_SECOND,
  VIGIL_WINDOW_FIELD_REQUESTS_TOTAL,
  VIGIL_WINDOW_FIELD_STREAM_CONNECTIONS,
  VIGIL_WINDOW_FIELD_MONITOR_CONNECTIONS,
  VIGIL_WINDOW_FIELD_ACTIVE_SESSIONS,
  VIGIL_WINDOW_FIELD_DATABASE_PATH,
  VIGIL_WINDOW_FIELD_DATA_DIR,
  VIGIL_WINDOW_FIELD_SCHEMA_VERSION,
  VIGIL_WINDOW_FIELD_JOURNAL_MODE,
  VIGIL_WINDOW_FIELD_PENDING_WRITES,
} VigilWindowField;

GtkLabel     *_vigil_window_get_field_label (VigilWindow      *self,
                                             VigilWindowField  field);
AdwViewStack *_vigil_window_get_view_stack  (VigilWindow      *self);

/* The window's own interactive widgets, in focus order. */
GPtrArray    *_vigil_window_list_controls   (VigilWindow      *self);

VigilDecisionNotifier  *_vigil_window_get_notifier    (VigilWindow *self);
VigilPreferencesWindow *_vigil_window_get_preferences (VigilWindow *self);

G_END_DECLS
