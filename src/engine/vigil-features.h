/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Raw behavioral input → fixed-size feature vectors. A modality with too
 * little data abstains: it says so instead of producing a vector, and
 * never votes "normal" by default. */

typedef enum
{
  /* maxidom's payload windows (/train, /score): always the first two. */
  VIGIL_MODALITY_TYPING,
  VIGIL_MODALITY_MOUSE,
  /* Learnt from live streamed events (vigil-actions.h, vigil-keystrokes.h,
   * vigil-navigation.h): one vector per action for the first three, one
   * per window for the last two. */
  VIGIL_MODALITY_TOUCH,
  VIGIL_MODALITY_SWIPE,
  VIGIL_MODALITY_POINTER,
  VIGIL_MODALITY_KEYSTROKE,
  VIGIL_MODALITY_NAVIGATION,
  VIGIL_N_MODALITIES,
} VigilModality;

/* The modalities maxidom's API scores; the others never appear in it. */
#define VIGIL_N_MAXIDOM_MODALITIES 2

const char *vigil_modality_to_string     (VigilModality  modality);
/* FALSE for a name no modality has. */
gboolean    vigil_modality_from_string   (const char    *name,
                                          VigilModality *out_modality);
/* The length of the modality's vectors. */
gsize       vigil_modality_get_dimension (VigilModality  modality);

/* The maxidom payload's typing vector: mean dwell of letter keys, mean and
 * standard deviation of the flight time of the digraphs th he in er an re
 * on at, and keys per second. Times in milliseconds. */
#define VIGIL_TYPING_FEATURES 18
#define VIGIL_TYPING_MIN_KEYS 6

/* The mouse vector: mean and standard deviation of speed and of
 * acceleration, path straightness, mean click duration, mean pause
 * duration, pause frequency, mean turn angle, mean stroke velocity. */
#define VIGIL_MOUSE_FEATURES 10
#define VIGIL_MOUSE_MIN_POINTS 30

typedef struct
{
  VigilModality  modality;
  gboolean       abstained;     /* too little data: no vector */
  char          *reason;        /* why it abstained; NULL otherwise */
  gsize          n_features;
  double        *values;        /* n_features values, NULL when abstained */
  guint          samples;       /* keys or points it was computed from */
  guint          pairs;         /* typing: consecutive letter pairs (digraphs) */
} VigilFeatureVector;

void                vigil_feature_vector_free (VigilFeatureVector *vector);

/* From the maxidom payload {startTimestamp, endTimestamp, keyEvents:
 * [{code, downTime, upTime}], mousePaths: [[{t, x, y}]], clicks: [{t, x,
 * y, button, duration}]}. VIGIL_ERROR_INVALID_INPUT when a member has the
 * wrong shape; a missing member just leaves its modality without data. */
VigilFeatureVector *vigil_features_typing    (JsonObject         *payload,
                                              GError            **error);
VigilFeatureVector *vigil_features_mouse     (JsonObject         *payload,
                                              GError            **error);

/* The CMU keystroke benchmark's vector for a fixed text (Killourhy and
 * Maxion 2009): for each key its hold time (H.k) and, for each
 * consecutive pair, down-down (DD.k1.k2) and up-down (UD.k1.k2) latencies,
 * in seconds; 3n - 2 values for n keys. @keys are the key codes typed, in
 * order, with their down and up times in milliseconds. Abstains when the
 * typed keys are not @text's. */
VigilFeatureVector *vigil_features_fixed_text (const char * const *expected_keys,
                                               guint               n_expected,
                                               const char * const *typed_keys,
                                               const double       *down_ms,
                                               const double       *up_ms,
                                               guint               n_typed);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilFeatureVector, vigil_feature_vector_free)

G_END_DECLS
