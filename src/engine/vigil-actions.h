/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-features.h"

G_BEGIN_DECLS

/* Mouse and touch streams segmented into actions, one feature vector per
 * action (Ahmed and Traore 2007 for the mouse; Frank et al. 2013,
 * "Touchalytics", for strokes).
 *
 * Mouse (maxidom's mousePaths + clicks, or a mouse_movement event's
 * points): a stroke is split where the pointer rests longer than
 * VIGIL_ACTION_MOUSE_GAP_MS; a movement during which a button is held for
 * most of its time is a drag-and-drop, one followed by a click within
 * VIGIL_ACTION_CLICK_LINK_MS a point-and-click, any other a move.
 * Touch: a tap (button_click, touch, tap, TOUCH_* ... with at least one of
 * pressure, size or duration measured), a swipe (swipe, fling, SWIPE_*)
 * or a scroll (scroll, SCROLL_*) from the fields the event carries; an
 * event with a points array, and touch_start / touch_move / touch_end
 * streams, are classified by their own geometry: a stroke that stays
 * within VIGIL_ACTION_TAP_SLOP_PX of where it began is a tap, any other a
 * swipe (or a scroll when the event says so).
 *
 * Units: times in ms, distances in px, velocities in px/ms. A duration
 * under 10 is read as seconds (clients send 0.12 as often as 120); a
 * velocity a client reports itself is read as px/s. A field the event
 * lacks is 0 in the vector: a client that never measures pressure gives a
 * constant the model learns as such, and a change of client shows.
 *
 * Scoring: every action is scored on its own (calibrated to [0, 1] against
 * the user's own enrollment), and a window's score is the mean of its
 * most anomalous share, VIGIL_ACTIONS_TAIL_SHARE of its actions and at
 * least one (vigil_actions_window_score). A plain mean lets many ordinary
 * actions hide a few foreign ones; the maximum turns every window of a
 * genuine user anomalous once it is long enough. That tail mean is then
 * mapped to [0, 1] by its distribution under the genuine hypothesis, where
 * calibrated scores are uniform, so that the window score is on the same
 * scale as a single action's and the profiles' threshold applies to both
 * (vigil-tail.h). */

typedef enum
{
  VIGIL_ACTION_MOUSE_MOVE,
  VIGIL_ACTION_POINT_CLICK,
  VIGIL_ACTION_DRAG_DROP,
  VIGIL_ACTION_TAP,
  VIGIL_ACTION_SWIPE,
  VIGIL_ACTION_SCROLL,
} VigilActionKind;

#define VIGIL_ACTION_MOUSE_GAP_MS    500.0
#define VIGIL_ACTION_CLICK_LINK_MS   500.0
#define VIGIL_ACTION_TAP_SLOP_PX     16.0
#define VIGIL_ACTIONS_TAIL_SHARE     0.2

/* Taps: duration, pressure, size. */
#define VIGIL_TAP_FEATURES      3
/* Swipes and scrolls: is-scroll, duration, distance, mean and peak
 * velocity, straightness, direction (cos, sin), pressure, size, mean
 * absolute acceleration. */
#define VIGIL_SWIPE_FEATURES    11
/* Mouse actions: is-point-and-click, is-drag-and-drop, duration, path
 * length, straightness, mean / standard deviation / peak speed, mean
 * absolute acceleration, click duration, direction (cos, sin). */
#define VIGIL_POINTER_FEATURES  12
#define VIGIL_ACTION_MAX_FEATURES 12

typedef struct
{
  VigilActionKind kind;
  double          start_ms;
  double          end_ms;
  guint           points;
  double          values[VIGIL_ACTION_MAX_FEATURES];
} VigilAction;

const char    *vigil_action_kind_to_string (VigilActionKind kind);
/* TOUCH for taps, SWIPE for swipes and scrolls, POINTER for the mouse. */
VigilModality  vigil_action_kind_modality  (VigilActionKind kind);

typedef struct _VigilActionSegmenter VigilActionSegmenter;

VigilActionSegmenter *vigil_action_segmenter_new  (void);
void                  vigil_action_segmenter_free (VigilActionSegmenter *segmenter);
/* Feeds one streamed event: its type, its data (nullable) and its time.
 * Completed actions are appended to @out (VigilAction). An event that is
 * no touch or mouse input adds nothing; one with a field of the wrong type
 * fails with VIGIL_ERROR_INVALID_INPUT and adds nothing. */
gboolean              vigil_action_segmenter_add  (VigilActionSegmenter *segmenter,
                                                   const char           *event_type,
                                                   JsonObject           *data,
                                                   double                time_ms,
                                                   GArray               *out,
                                                   GError              **error);

/* maxidom's mousePaths and clicks as mouse actions, appended to @out. */
gboolean              vigil_actions_from_mouse    (JsonObject           *payload,
                                                   GArray               *out,
                                                   GError              **error);

/* The mean of the largest max (1, ceil (@share * @n)) of @scores. */
double                vigil_actions_tail_mean     (const double         *scores,
                                                   gsize                 n,
                                                   double                share);
/* The window score of @n calibrated action scores (see above). */
double                vigil_actions_window_score  (const double         *scores,
                                                   gsize                 n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilActionSegmenter, vigil_action_segmenter_free)

G_END_DECLS
