/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-sim-user.h"

G_BEGIN_DECLS

/* The event-flow map (the CBSA format the server serves at
 * GET /event-flow-map) and a walk over it that turns a signature into the
 * seeds' event shapes: page_view, button_click (coordinates, pressure,
 * size, duration), swipe, scroll and typing_pattern (keystroke_dynamics
 * with maxidom keyEvents). */
typedef struct _VigilSimMap VigilSimMap;

VigilSimMap  *vigil_sim_map_new        (const char   *json,
                                        gsize         length,
                                        GError      **error);
void          vigil_sim_map_free       (VigilSimMap  *map);
guint         vigil_sim_map_get_size   (VigilSimMap  *map);

typedef struct
{
  const VigilSimMap       *map;
  const VigilSimSignature *signature;   /* whose hands: may change mid-session */
  const VigilSimDevice    *device;      /* which phone: may change mid-session */
  const char              *ip_address;
  GRand                   *rng;
  const char              *node;        /* the map's event id last emitted */
  const char              *screen;
  const char              *previous_screen;
  gint64                   screen_since_us;
  gboolean                 swipe_next;
  gboolean                 context_next; /* tell the device context with the next event */
} VigilSimWalk;

void          vigil_sim_walk_init      (VigilSimWalk            *walk,
                                        const VigilSimMap       *map,
                                        const VigilSimSignature *signature,
                                        const VigilSimDevice    *device,
                                        const char              *ip_address,
                                        guint32                  seed);
void          vigil_sim_walk_clear     (VigilSimWalk            *walk);
/* The next event as the JSON text of {event_type, timestamp, data} at
 * @now_us (wall clock), and the pause the person takes before the one
 * after it. */
char         *vigil_sim_walk_next      (VigilSimWalk            *walk,
                                        gint64                   now_us,
                                        double                  *out_gap_s);

/* ISO 8601 in UTC with microseconds. */
char         *vigil_sim_format_time    (gint64                   unix_us);
/* The device context of verify-mpin and page views. */
void          vigil_sim_add_context    (JsonBuilder             *builder,
                                        const VigilSimDevice    *device,
                                        const char              *ip_address);

G_END_DECLS
