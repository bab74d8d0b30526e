/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-clock.h"
#include "vigil-ensemble.h"
#include "vigil-profiles.h"
#include "vigil-store.h"

G_BEGIN_DECLS

typedef struct _VigilProfilesLive VigilProfilesLive;

VigilProfiles *_vigil_profiles_new (VigilStore *store,
                                    VigilClock *clock);

/* Shared with vigil-profiles-live.c. */
GBytes        *_vigil_profiles_vector_to_blob (const double  *values,
                                               gsize          n);
/* Stores one enrollment vector of @user_id (in the writer). */
gboolean       _vigil_profiles_insert_vector (VigilDb                  *db,
                                              const char               *user_id,
                                              const VigilFeatureVector *vector,
                                              gint64                    now_us,
                                              GError                  **error);
/* Starts (or joins) the training of one model; @waiter learns when it is
 * committed. */
void           _vigil_profiles_train       (VigilProfiles *self,
                                            const char    *user_id,
                                            VigilModality  modality,
                                            GTask         *waiter);
/* The cached or stored model, NULL when none (or unreadable: @error). */
VigilEnsemble *_vigil_profiles_load_model  (VigilProfiles *self,
                                            const char    *user_id,
                                            VigilModality  modality,
                                            GError       **error);
VigilStore    *_vigil_profiles_get_store   (VigilProfiles *self);
VigilClock    *_vigil_profiles_get_clock   (VigilProfiles *self);
VigilProfilesLive *_vigil_profiles_get_live (VigilProfiles *self);

/* Shared by vigil-profiles.c and its enrollment, training and scoring
 * (vigil-profiles-enroll.c, -train.c, -score.c). */
GHashTable    *_vigil_profiles_get_models   (VigilProfiles *self);   /* "user/modality" → VigilEnsemble */
GHashTable    *_vigil_profiles_get_training (VigilProfiles *self);   /* "user/modality" → GPtrArray of GTask */
/* "user/modality", the key of both. */
char          *_vigil_profiles_model_key    (const char    *user_id,
                                             VigilModality  modality);

/* vigil-profiles-live.c */
VigilProfilesLive *_vigil_profiles_live_new      (void);
void               _vigil_profiles_live_free     (VigilProfilesLive          *live);
void               _vigil_profiles_live_forget   (VigilProfilesLive          *live,
                                                  const char                 *user_id);
gboolean           _vigil_profiles_live_trainable (const VigilProfileProgress *progress,
                                                   VigilModality               modality);

G_END_DECLS
