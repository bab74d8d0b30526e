/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-navigation.h"
#include "vigil-profiles.h"

G_BEGIN_DECLS

/* Profiles of the live modalities (touch, swipe, pointer, keystroke,
 * navigation): vectors made from a user's streamed events enroll until
 * the modality has a model, trained on a worker thread by the same
 * machinery and calibrated the same way as maxidom's; from then on they
 * are scored against it, and the newest of undisputed sessions feed the
 * retraining pool as maxidom's do (all but navigation, whose history
 * stops with its model). Each modality needs its own minimum before it
 * trains; until then it abstains. */
#define VIGIL_PROFILE_MIN_TAPS                60
#define VIGIL_PROFILE_MIN_SWIPES              40
#define VIGIL_PROFILE_MIN_POINTER_ACTIONS     60
#define VIGIL_PROFILE_MIN_KEYSTROKE_WINDOWS   10
#define VIGIL_PROFILE_MIN_NAVIGATION_WINDOWS  10

/* The vectors @modality needs before it trains (0 for maxidom's). */
guint                 vigil_profiles_live_min_vectors   (VigilModality   modality);

/* Stores @vectors (VigilFeatureVector of live modalities) as @user_id's
 * enrollment, with the user's navigation history when @save_navigation,
 * then starts training every modality that became trainable. Answers
 * once the vectors are committed (training goes on in the background). */
void                  vigil_profiles_enroll_live_async  (VigilProfiles        *self,
                                                         const char           *user_id,
                                                         GPtrArray            *vectors,
                                                         gboolean              save_navigation,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean              vigil_profiles_enroll_live_finish (VigilProfiles        *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* Whether @user_id has a model for @modality (a store read the first
 * time, cached after). */
gboolean              vigil_profiles_has_model          (VigilProfiles        *self,
                                                         const char           *user_id,
                                                         VigilModality         modality);
/* The calibrated score in [0, 1] of one vector; FALSE without @error when
 * there is no model (the modality abstains). */
gboolean              vigil_profiles_score_vector       (VigilProfiles        *self,
                                                         const char           *user_id,
                                                         VigilModality         modality,
                                                         const double         *values,
                                                         gsize                 n_values,
                                                         double               *out_score,
                                                         GError              **error);

/* The event-flow map navigation is judged on (nullable: none). */
void                  vigil_profiles_set_event_flow_map (VigilProfiles        *self,
                                                         VigilNavigationMap   *map);
VigilNavigationMap   *vigil_profiles_get_event_flow_map (VigilProfiles        *self);
/* @user_id's navigation history, loaded or new; owned by @self. */
VigilNavigationModel *vigil_profiles_get_navigation     (VigilProfiles        *self,
                                                         const char           *user_id,
                                                         GError              **error);

G_END_DECLS
