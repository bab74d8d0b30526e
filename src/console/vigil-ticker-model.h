/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-live-event.h"

G_BEGIN_DECLS

/* The Live page's ticker: the newest @capacity events, newest first, as a
 * GListModel of slots. A slot is a position, not an event: when events
 * arrive every slot shows the event that is now at its position and says
 * so with "notify::event", while the list's items stay the same. So a
 * list view over it rebinds nothing and creates no rows when thousands of
 * events arrive a second; only the rows on screen update their text.
 * "items-changed" is emitted only while the ticker fills up. */
#define VIGIL_TYPE_TICKER_SLOT (vigil_ticker_slot_get_type ())
G_DECLARE_FINAL_TYPE (VigilTickerSlot, vigil_ticker_slot, VIGIL, TICKER_SLOT, GObject)

/* The event at this slot's position, or NULL once the model is gone. */
VigilLiveEvent    *vigil_ticker_slot_get_event    (VigilTickerSlot  *self);

#define VIGIL_TYPE_TICKER_MODEL (vigil_ticker_model_get_type ())
G_DECLARE_FINAL_TYPE (VigilTickerModel, vigil_ticker_model, VIGIL, TICKER_MODEL, GObject)

VigilTickerModel  *vigil_ticker_model_new          (guint             capacity);
guint              vigil_ticker_model_get_capacity (VigilTickerModel *self);
/* Adds @events (VigilLiveEvent, oldest first) in front. */
void               vigil_ticker_model_push         (VigilTickerModel *self,
                                                    GPtrArray        *events);
/* The event at @position (0: the newest), or NULL. */
VigilLiveEvent    *vigil_ticker_model_peek         (VigilTickerModel *self,
                                                    guint             position);

G_END_DECLS
