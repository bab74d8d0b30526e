/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-db.h"
#include "vigil-profiles-private.h"

G_BEGIN_DECLS

/* Engine-internal seams between VigilProfiles (vigil-profiles.c), its
 * retraining pool (vigil-profile-pool.c) and the analyst-driven
 * thresholds (vigil-profile-thresholds.c). */

/* vigil-profiles.c (and vigil-profiles-private.h) */
GHashTable    *_vigil_profiles_get_adjustments  (VigilProfiles  *self);   /* user id → double* */
GHashTable    *_vigil_profiles_get_harvests     (VigilProfiles  *self);   /* "session/kind" → GPtrArray of GTask */
VigilPoolConfig *_vigil_profiles_get_pool_config (VigilProfiles *self);
/* Emits "status-changed" for @user_id. */
void           _vigil_profiles_status_changed   (VigilProfiles  *self,
                                                 const char     *user_id);
gboolean       _vigil_profiles_blob_to_values   (const guint8   *data,
                                                 gsize           size,
                                                 gsize           expected,
                                                 double         *out);

/* vigil-profile-pool.c */
/* One vector offered to the pool with the score that admits it or not
 * (at most VigilPoolConfig.admit_below): the harvest scores maxidom's
 * stored payloads itself, one score per vector; the live modalities
 * (touch, swipe, pointer, keystroke) hand over the newest vectors their
 * session scored, each with its modality's window score over them
 * (vigil-risk-behavior.c says why). */
typedef struct
{
  VigilModality  modality;
  double         score;
  GBytes        *vector;
} VigilPoolCandidate;

VigilPoolCandidate *_vigil_pool_candidate_new   (VigilModality   modality,
                                                 double          score,
                                                 const double   *values,
                                                 gsize           n_values);
void           _vigil_pool_candidate_free       (VigilPoolCandidate *candidate);
/* How many pool vectors a training set of @foundation enrollment vectors
 * takes at most so that they are at most @max_share of it. */
guint          _vigil_pool_quota                (guint           foundation,
                                                 double          max_share);
/* Appends the newest @quota pool vectors of @user_id's @modality to
 * @values (rows of @d); @out_last_id gets the newest pool row's id (0
 * when the pool is empty), whether taken or not. */
gboolean       _vigil_pool_load_for_training    (VigilDb        *db,
                                                 const char     *user_id,
                                                 const char     *modality,
                                                 gsize           d,
                                                 guint           quota,
                                                 GArray         *values,
                                                 guint          *out_rows,
                                                 gint64         *out_last_id,
                                                 GError        **error);
/* Within the caller's transaction: an analyst's fraud label takes the
 * session's vectors out of the pool. */
gboolean       _vigil_pool_forget_session       (VigilDb        *db,
                                                 const char     *session_id,
                                                 gint64         *out_removed,
                                                 GError        **error);
/* The session-changed hook: a session of @user_id ended, having scored
 * @scored (VigilPoolCandidate of live modalities, nullable; those that
 * join the pool are taken out of it). The same check as for the payloads
 * decides whether they may: ended, never stepped up or blocked, no fraud
 * label. */
void           _vigil_profiles_session_ended    (VigilProfiles  *self,
                                                 const char     *user_id,
                                                 const char     *session_id,
                                                 GPtrArray      *scored);

/* vigil-profile-thresholds.c */
/* Within the caller's transaction: moves @user_id's step-up adjustment for
 * an analyst's @label ("allow" / "block", nullable) on a @decision, within
 * the bounds; audits a move as @actor's "risk.threshold_adjusted".
 * @out_adjustment (nullable) gets the adjustment after. */
gboolean       _vigil_thresholds_apply          (VigilDb        *db,
                                                 const char     *user_id,
                                                 const char     *decision,
                                                 const char     *label,
                                                 const char     *actor,
                                                 const char     *decision_id,
                                                 gint64          at_us,
                                                 double         *out_adjustment,
                                                 GError        **error);
/* After the feedback committed: drops the cached adjustment and, for a
 * session confirmed genuine, offers it to the pool. */
void           _vigil_profiles_label_applied    (VigilProfiles  *self,
                                                 const char     *user_id,
                                                 const char     *session_id,
                                                 const char     *label);

G_END_DECLS
