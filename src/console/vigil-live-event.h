/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "vigil-event.h"

G_BEGIN_DECLS

/* One row of the Live page's ticker: an engine event and the screen of
 * the event-flow map it happened on. */
#define VIGIL_TYPE_LIVE_EVENT (vigil_live_event_get_type ())
G_DECLARE_FINAL_TYPE (VigilLiveEvent, vigil_live_event, VIGIL, LIVE_EVENT, GObject)

/* @screen (nullable) must be an interned string. */
VigilLiveEvent *vigil_live_event_new        (VigilEvent     *event,
                                             const char     *screen);
VigilEvent     *vigil_live_event_get_event  (VigilLiveEvent *self);
const char     *vigil_live_event_get_screen (VigilLiveEvent *self);

G_END_DECLS
