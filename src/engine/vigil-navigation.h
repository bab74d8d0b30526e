/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-features.h"

G_BEGIN_DECLS

/* Navigation as a modality: the transitions a session makes on the
 * event-flow map (cbsa's format: {"eventFlowMap": {GROUP: {EVENT_ID:
 * {screen?, navigatesTo?, nextEvents}}}}), the dwell per screen, and how
 * surprising each transition is against the user's own history.
 *
 * Symbols: an event whose type is an event of the map (TOUCH_TAB_SAVE,
 * PAGE_ENTER_HOME, ...; without a map, any UPPER_SNAKE_CASE type) is its
 * own symbol; a page_view / screen_view / navigation / page_switch /
 * screen_change event with a screen / page / screen_name / page_name / to
 * member is "screen:NAME". Other events are not navigation. A screen is
 * entered by a map event's screen or navigatesTo, or by a screen event.
 *
 * Surprise. The user's history counts transitions c(a, b). A transition's
 * probability is smoothed towards the map:
 *   p(b | a) = (c(a, b) + A q(b | a)) / (c(a) + A),   A = VIGIL_NAVIGATION_PRIOR_WEIGHT,
 * where q(b | a) = (1 - E) / k for the k events the map allows after a,
 * E / V for any other of the V known symbols (E = VIGIL_NAVIGATION_OFF_MAP),
 * and 1 / V when the map says nothing about a. Surprise = -ln p (nats).
 *
 * Dwell: the time from one step to the next is spent on the screen the
 * user is on, so each step is a dwell sample of that screen (how long this
 * user looks at it before acting), kept per screen as ln (ms).
 *
 * The window vector (every VIGIL_NAVIGATION_WINDOW transitions): mean and
 * largest surprise, the share of transitions the user never made, the
 * share the map does not allow, the mean ln (1 + dwell in s), the mean and
 * mean absolute z-score of those dwells against the user's own on the
 * same screen (0 before VIGIL_NAVIGATION_MIN_DWELLS of them), and
 * ln (1 + transitions per minute). During enrollment the history grows as
 * the windows are made, so each window is judged against what came before
 * it (prequentially), as it will be once the model is trained. */
#define VIGIL_NAVIGATION_FEATURES      8
#define VIGIL_NAVIGATION_WINDOW        10
#define VIGIL_NAVIGATION_PRIOR_WEIGHT  2.0
#define VIGIL_NAVIGATION_OFF_MAP       0.05
#define VIGIL_NAVIGATION_MIN_DWELLS    3

typedef struct _VigilNavigationMap VigilNavigationMap;

VigilNavigationMap *vigil_navigation_map_new_from_data (const char         *data,
                                                        gssize              length,
                                                        GError            **error);
VigilNavigationMap *vigil_navigation_map_ref           (VigilNavigationMap *map);
void                vigil_navigation_map_unref         (VigilNavigationMap *map);
guint               vigil_navigation_map_get_n_events  (VigilNavigationMap *map);
gboolean            vigil_navigation_map_has_event     (VigilNavigationMap *map,
                                                        const char         *event_id);
/* The events the map allows after @event_id (0 when it has no list). */
guint               vigil_navigation_map_get_n_next    (VigilNavigationMap *map,
                                                        const char         *event_id);
gboolean            vigil_navigation_map_allows        (VigilNavigationMap *map,
                                                        const char         *from,
                                                        const char         *to);
/* The screen @event_id enters, or NULL. */
const char         *vigil_navigation_map_get_screen    (VigilNavigationMap *map,
                                                        const char         *event_id);

/* One user's navigation history. */
typedef struct _VigilNavigationModel VigilNavigationModel;

VigilNavigationModel *vigil_navigation_model_new          (VigilNavigationMap   *map);
void                  vigil_navigation_model_free         (VigilNavigationModel *model);
void                  vigil_navigation_model_add          (VigilNavigationModel *model,
                                                           const char           *from,
                                                           const char           *to);
void                  vigil_navigation_model_add_dwell    (VigilNavigationModel *model,
                                                           const char           *screen,
                                                           double                dwell_ms);
guint                 vigil_navigation_model_get_count    (VigilNavigationModel *model,
                                                           const char           *from,
                                                           const char           *to);
guint                 vigil_navigation_model_get_transitions (VigilNavigationModel *model);
double                vigil_navigation_model_probability  (VigilNavigationModel *model,
                                                           const char           *from,
                                                           const char           *to);
double                vigil_navigation_model_surprise     (VigilNavigationModel *model,
                                                           const char           *from,
                                                           const char           *to);
/* FALSE before VIGIL_NAVIGATION_MIN_DWELLS visits of @screen. */
gboolean              vigil_navigation_model_dwell_z      (VigilNavigationModel *model,
                                                           const char           *screen,
                                                           double                dwell_ms,
                                                           double               *out_z);
/* The history as JSON text, and back (the map is not part of it). */
char                 *vigil_navigation_model_to_json      (VigilNavigationModel *model);
VigilNavigationModel *vigil_navigation_model_new_from_json (VigilNavigationMap  *map,
                                                            const char          *json,
                                                            GError             **error);

/* A session's navigation, cut into windows. */
typedef struct _VigilNavigationWindow VigilNavigationWindow;

VigilNavigationWindow *vigil_navigation_window_new  (VigilNavigationMap    *map);
void                   vigil_navigation_window_free (VigilNavigationWindow *window);
/* Adds one event. Transitions are judged against @model (nullable: no
 * history yet); with @learn they then join it. Each completed window's
 * vector (NAVIGATION) is appended to @out. */
gboolean               vigil_navigation_window_add  (VigilNavigationWindow *window,
                                                     VigilNavigationModel  *model,
                                                     gboolean               learn,
                                                     const char            *event_type,
                                                     JsonObject            *data,
                                                     double                 time_ms,
                                                     GPtrArray             *out,
                                                     GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilNavigationMap, vigil_navigation_map_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilNavigationModel, vigil_navigation_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilNavigationWindow, vigil_navigation_window_free)

G_END_DECLS
