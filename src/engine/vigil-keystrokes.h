/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-features.h"

G_BEGIN_DECLS

/* Keystroke dynamics from streamed events, in windows of
 * VIGIL_KEYSTROKE_WINDOW_KEYS keys. Accepted shapes:
 *  - key events (keystroke, key_press, KEYSTROKE_*, TYPE_*, mpin_entry...)
 *    with a key / code and any of down_time / downTime, up_time / upTime,
 *    hold_time / dwell_time; without times the event's own time is the
 *    key's press;
 *  - maxidom's keyEvents [{code, downTime, upTime}];
 *  - canara's typing_pattern {typing_speed, keystroke_dynamics}, where
 *    keystroke_dynamics is the intervals between presses ([0.1, 0.12]),
 *    key events, or {hold_times, flight_times}; corrections from
 *    backspace_count / corrections.
 * The vector: mean and standard deviation of hold, down-down and up-down
 * times (ms), keys per second, and the share of corrections (Backspace,
 * Delete). Presses more than VIGIL_KEYSTROKE_PAUSE_MS apart start a new
 * burst: the pause between them is thinking, not typing rhythm. A time
 * a client never sends is 0 in every vector (a constant to the model). */
#define VIGIL_KEYSTROKE_FEATURES     8
#define VIGIL_KEYSTROKE_WINDOW_KEYS  20
#define VIGIL_KEYSTROKE_PAUSE_MS     2000.0

typedef struct _VigilKeystrokeWindow VigilKeystrokeWindow;

VigilKeystrokeWindow *vigil_keystroke_window_new  (void);
void                  vigil_keystroke_window_free (VigilKeystrokeWindow *window);
/* Adds the keys of one event; each completed window's vector
 * (VigilFeatureVector, KEYSTROKE) is appended to @out. */
gboolean              vigil_keystroke_window_add  (VigilKeystrokeWindow *window,
                                                   const char           *event_type,
                                                   JsonObject           *data,
                                                   double                time_ms,
                                                   GPtrArray            *out,
                                                   GError              **error);
/* Keys in the window not yet complete. */
guint                 vigil_keystroke_window_get_pending (VigilKeystrokeWindow *window);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilKeystrokeWindow, vigil_keystroke_window_free)

G_END_DECLS
