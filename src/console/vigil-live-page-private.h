/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-flow-graph.h"
#include "vigil-live-page.h"

G_BEGIN_DECLS

/* What tests/test-ui-live.c reads, so that it checks what the user sees
 * without walking the widget tree. */
typedef enum
{
  VIGIL_LIVE_PAGE_FIELD_EVENTS_PER_SECOND,
  VIGIL_LIVE_PAGE_FIELD_CONNECTIONS,
  VIGIL_LIVE_PAGE_FIELD_ACTIVE_SESSIONS,
  VIGIL_LIVE_PAGE_FIELD_BLOCKED_TODAY,
} VigilLivePageField;

GtkLabel       *_vigil_live_page_get_field_label (VigilLivePage      *self,
                                                  VigilLivePageField  field);
/* The ticker's model (VigilTickerSlot, newest first) and view. */
GListModel     *_vigil_live_page_get_ticker      (VigilLivePage      *self);
GtkWidget      *_vigil_live_page_get_ticker_view (VigilLivePage      *self);
GtkWidget      *_vigil_live_page_get_pause_button (VigilLivePage     *self);
VigilFlowGraph *_vigil_live_page_get_graph       (VigilLivePage      *self);
VigilFlowMap   *_vigil_live_page_get_map         (VigilLivePage      *self);
/* "empty" until the first event, then "live". */
const char     *_vigil_live_page_get_state       (VigilLivePage      *self);

G_END_DECLS
