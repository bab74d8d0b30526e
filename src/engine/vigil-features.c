/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Feature extraction for the typing and mouse modalities. */
#define G_LOG_DOMAIN "vigil-features"

#include "config.h"

#include <math.h>

#include "vigil-error.h"
#include "vigil-features.h"
#include "vigil-actions.h"
#include "vigil-keystrokes.h"
#include "vigil-navigation.h"
#include "vigil-stats.h"

/* A gap between two samples of a stroke longer than this is a pause. */
#define PAUSE_MS 100.0

static const char * const digraphs[] = { "th", "he", "in", "er", "an", "re", "on", "at" };

const char *
vigil_modality_to_string (VigilModality modality)
{
  switch (modality)
    {
    case VIGIL_MODALITY_TYPING:
      return "typing";
    case VIGIL_MODALITY_MOUSE:
      return "mouse";
    case VIGIL_MODALITY_TOUCH:
      return "touch";
    case VIGIL_MODALITY_SWIPE:
      return "swipe";
    case VIGIL_MODALITY_POINTER:
      return "pointer";
    case VIGIL_MODALITY_KEYSTROKE:
      return "keystroke";
    case VIGIL_MODALITY_NAVIGATION:
      return "navigation";
    case VIGIL_N_MODALITIES:
    default:
      g_return_val_if_reached ("unknown");
    }
}

gboolean
vigil_modality_from_string (const char    *name,
                            VigilModality *out_modality)
{
  for (guint m = 0; m < VIGIL_N_MODALITIES; m++)
    if (g_strcmp0 (name, vigil_modality_to_string (m)) == 0)
      {
        *out_modality = m;
        return TRUE;
      }
  return FALSE;
}

gsize
vigil_modality_get_dimension (VigilModality modality)
{
  switch (modality)
    {
    case VIGIL_MODALITY_TYPING:
      return VIGIL_TYPING_FEATURES;
    case VIGIL_MODALITY_MOUSE:
      return VIGIL_MOUSE_FEATURES;
    case VIGIL_MODALITY_TOUCH:
      return VIGIL_TAP_FEATURES;
    case VIGIL_MODALITY_SWIPE:
      return VIGIL_SWIPE_FEATURES;
    case VIGIL_MODALITY_POINTER:
      return VIGIL_POINTER_FEATURES;
    case VIGIL_MODALITY_KEYSTROKE:
      return VIGIL_KEYSTROKE_FEATURES;
    case VIGIL_MODALITY_NAVIGATION:
      return VIGIL_NAVIGATION_FEATURES;
    case VIGIL_N_MODALITIES:
    default:
      g_return_val_if_reached (0);
    }
}

void
vigil_feature_vector_free (VigilFeatureVector *vector)
{
  if (vector == NULL)
    return;

  g_free (vector->reason);
  g_free (vector->values);
  g_free (vector);
}

static VigilFeatureVector *
abstain (VigilModality  modality,
         guint          samples,
         const char    *reason)
{
  VigilFeatureVector *vector = g_new0 (VigilFeatureVector, 1);

  vector->modality = modality;
  vector->abstained = TRUE;
  vector->reason = g_strdup (reason);
  vector->samples = samples;
  return vector;
}

static VigilFeatureVector *
vector_new (VigilModality  modality,
            gsize          n_features,
            guint          samples)
{
  VigilFeatureVector *vector = g_new0 (VigilFeatureVector, 1);

  vector->modality = modality;
  vector->n_features = n_features;
  vector->values = g_new0 (double, n_features);
  vector->samples = samples;
  return vector;
}

static gboolean
member_number (JsonObject  *object,
               const char  *name,
               double      *out_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out_value = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out_value = json_node_get_double (node);
      return isfinite (*out_value);
    default:
      return FALSE;
    }
}

static JsonArray *
optional_array (JsonObject  *payload,
                const char  *name,
                GError     **error)
{
  JsonNode *node = json_object_get_member (payload, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "%s must be an array", name);
      return NULL;
    }
  return json_node_get_array (node);
}

/* "KeyT", "t" and "T" are all the letter t; anything else is not a letter. */
static char
letter_of (const char *code)
{
  if (code == NULL)
    return 0;
  if (g_str_has_prefix (code, "Key") && strlen (code) == 4 && g_ascii_isalpha (code[3]))
    return g_ascii_tolower (code[3]);
  if (strlen (code) == 1 && g_ascii_isalpha (code[0]))
    return g_ascii_tolower (code[0]);
  return 0;
}

typedef struct
{
  char   letter;
  double down;
  double up;
} Key;

static int
compare_down (gconstpointer a,
              gconstpointer b)
{
  const Key *x = a, *y = b;

  return (x->down > y->down) - (x->down < y->down);
}

VigilFeatureVector *
vigil_features_typing (JsonObject  *payload,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) keys = g_array_new (FALSE, FALSE, sizeof (Key));
  JsonArray *events = optional_array (payload, "keyEvents", &local_error);
  VigilRunningStats dwell, flight, per_digraph[G_N_ELEMENTS (digraphs)];
  VigilFeatureVector *vector;
  double span_ms;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonNode *node = json_array_get_element (events, i);
      JsonObject *event;
      Key key = { 0 };

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "keyEvents[%u] must be an object", i);
          return NULL;
        }
      event = json_node_get_object (node);
      if (!member_number (event, "downTime", &key.down) || !member_number (event, "upTime", &key.up) ||
          key.up < key.down)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                       "keyEvents[%u] needs numeric downTime ≤ upTime", i);
          return NULL;
        }
      key.letter = letter_of (json_object_get_string_member_with_default (event, "code", NULL));
      g_array_append_val (keys, key);
    }

  if (keys->len < VIGIL_TYPING_MIN_KEYS)
    return abstain (VIGIL_MODALITY_TYPING, keys->len, "too few keys");

  g_array_sort (keys, compare_down);
  vigil_running_stats_init (&dwell);
  vigil_running_stats_init (&flight);
  for (guint i = 0; i < G_N_ELEMENTS (digraphs); i++)
    vigil_running_stats_init (&per_digraph[i]);

  for (guint i = 0; i < keys->len; i++)
    {
      const Key *key = &g_array_index (keys, Key, i);
      const Key *previous = i > 0 ? &g_array_index (keys, Key, i - 1) : NULL;

      if (key->letter != 0)
        vigil_running_stats_add (&dwell, key->up - key->down);
      if (previous == NULL || previous->letter == 0 || key->letter == 0)
        continue;

      /* Flight: from releasing one letter to pressing the next; negative
       * when they overlap, which fast typists do. */
      vigil_running_stats_add (&flight, key->down - previous->up);
      for (guint d = 0; d < G_N_ELEMENTS (digraphs); d++)
        if (digraphs[d][0] == previous->letter && digraphs[d][1] == key->letter)
          vigil_running_stats_add (&per_digraph[d], key->down - previous->up);
    }

  if (dwell.count == 0 || flight.count == 0)
    return abstain (VIGIL_MODALITY_TYPING, keys->len, "no consecutive letters");

  vector = vector_new (VIGIL_MODALITY_TYPING, VIGIL_TYPING_FEATURES, keys->len);
  vector->pairs = (guint) flight.count;
  vector->values[0] = dwell.mean;
  for (guint d = 0; d < G_N_ELEMENTS (digraphs); d++)
    {
      /* A digraph not typed in this window falls back to all flights, so
       * the vector keeps its size without inventing a rhythm. */
      const VigilRunningStats *stats = per_digraph[d].count > 0 ? &per_digraph[d] : &flight;

      vector->values[1 + 2 * d] = stats->mean;
      vector->values[2 + 2 * d] = vigil_running_stats_stddev (stats);
    }
  span_ms = g_array_index (keys, Key, keys->len - 1).up - g_array_index (keys, Key, 0).down;
  vector->values[17] = span_ms > 0 ? keys->len / (span_ms / 1000.0) : 0;
  return vector;
}

typedef struct
{
  double t;
  double x;
  double y;
} Point;

static gboolean
read_stroke (JsonArray  *stroke,
             guint       index,
             GArray     *points,
             GError    **error)
{
  for (guint i = 0; i < json_array_get_length (stroke); i++)
    {
      JsonNode *node = json_array_get_element (stroke, i);
      Point point;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !member_number (json_node_get_object (node), "t", &point.t) ||
          !member_number (json_node_get_object (node), "x", &point.x) ||
          !member_number (json_node_get_object (node), "y", &point.y))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                       "mousePaths[%u][%u] must be {t, x, y} with numbers", index, i);
          return FALSE;
        }
      g_array_append_val (points, point);
    }
  return TRUE;
}

typedef struct
{
  VigilRunningStats speed;
  VigilRunningStats acceleration;
  VigilRunningStats straightness;
  VigilRunningStats pause;
  VigilRunningStats turn;
  VigilRunningStats stroke_velocity;
  double            moving_ms;
  guint             points;
} MouseStats;

static void
add_stroke (MouseStats *stats,
            GArray     *points)
{
  double path = 0, previous_speed = NAN, previous_angle = NAN, duration;
  const Point *first, *last;

  stats->points += points->len;
  if (points->len < 2)
    return;

  for (guint i = 1; i < points->len; i++)
    {
      const Point *a = &g_array_index (points, Point, i - 1);
      const Point *b = &g_array_index (points, Point, i);
      double dt = b->t - a->t;
      double distance = hypot (b->x - a->x, b->y - a->y);
      double speed, angle;

      path += distance;
      if (dt <= 0)
        continue;
      if (dt > PAUSE_MS)
        {
          vigil_running_stats_add (&stats->pause, dt);
          continue;
        }

      speed = distance / dt;
      vigil_running_stats_add (&stats->speed, speed);
      if (!isnan (previous_speed))
        vigil_running_stats_add (&stats->acceleration, (speed - previous_speed) / dt);
      previous_speed = speed;

      if (distance > 0)
        {
          angle = atan2 (b->y - a->y, b->x - a->x);
          if (!isnan (previous_angle))
            {
              double turn = fabs (angle - previous_angle);

              vigil_running_stats_add (&stats->turn, turn > G_PI ? 2 * G_PI - turn : turn);
            }
          previous_angle = angle;
        }
    }

  first = &g_array_index (points, Point, 0);
  last = &g_array_index (points, Point, points->len - 1);
  duration = last->t - first->t;
  if (path > 0)
    vigil_running_stats_add (&stats->straightness, hypot (last->x - first->x, last->y - first->y) / path);
  if (duration > 0)
    {
      vigil_running_stats_add (&stats->stroke_velocity, path / duration);
      stats->moving_ms += duration;
    }
}

static double
mean_or_zero (const VigilRunningStats *stats)
{
  return stats->count > 0 ? stats->mean : 0;
}

VigilFeatureVector *
vigil_features_mouse (JsonObject  *payload,
                      GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  JsonArray *paths = optional_array (payload, "mousePaths", &local_error);
  JsonArray *clicks = NULL;
  VigilRunningStats click_duration;
  VigilFeatureVector *vector;
  MouseStats stats = { 0 };

  if (local_error == NULL)
    clicks = optional_array (payload, "clicks", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  vigil_running_stats_init (&stats.speed);
  vigil_running_stats_init (&stats.acceleration);
  vigil_running_stats_init (&stats.straightness);
  vigil_running_stats_init (&stats.pause);
  vigil_running_stats_init (&stats.turn);
  vigil_running_stats_init (&stats.stroke_velocity);
  vigil_running_stats_init (&click_duration);

  for (guint i = 0; paths != NULL && i < json_array_get_length (paths); i++)
    {
      JsonNode *node = json_array_get_element (paths, i);
      g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (Point));

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "mousePaths[%u] must be an array", i);
          return NULL;
        }
      if (!read_stroke (json_node_get_array (node), i, points, error))
        return NULL;
      add_stroke (&stats, points);
    }

  for (guint i = 0; clicks != NULL && i < json_array_get_length (clicks); i++)
    {
      JsonNode *node = json_array_get_element (clicks, i);
      double duration;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "clicks[%u] must be an object", i);
          return NULL;
        }
      if (member_number (json_node_get_object (node), "duration", &duration) && duration >= 0)
        vigil_running_stats_add (&click_duration, duration);
    }

  if (stats.points < VIGIL_MOUSE_MIN_POINTS || stats.speed.count < 2)
    return abstain (VIGIL_MODALITY_MOUSE, stats.points, "too few mouse points");

  vector = vector_new (VIGIL_MODALITY_MOUSE, VIGIL_MOUSE_FEATURES, stats.points);
  vector->values[0] = stats.speed.mean;
  vector->values[1] = vigil_running_stats_stddev (&stats.speed);
  vector->values[2] = mean_or_zero (&stats.acceleration);
  vector->values[3] = vigil_running_stats_stddev (&stats.acceleration);
  vector->values[4] = mean_or_zero (&stats.straightness);
  vector->values[5] = mean_or_zero (&click_duration);
  vector->values[6] = mean_or_zero (&stats.pause);
  vector->values[7] = stats.moving_ms > 0 ? stats.pause.count / (stats.moving_ms / 1000.0) : 0;
  vector->values[8] = mean_or_zero (&stats.turn);
  vector->values[9] = mean_or_zero (&stats.stroke_velocity);
  return vector;
}

VigilFeatureVector *
vigil_features_fixed_text (const char * const *expected_keys,
                           guint               n_expected,
                           const char * const *typed_keys,
                           const double       *down_ms,
                           const double       *up_ms,
                           guint               n_typed)
{
  VigilFeatureVector *vector;
  guint column = 0;

  g_return_val_if_fail (n_expected > 0, NULL);

  /* A correction or a different text makes the timing columns mean
   * something else: no vector rather than a wrong one. */
  if (n_typed != n_expected)
    return abstain (VIGIL_MODALITY_TYPING, n_typed, "typed keys differ from the text");
  for (guint i = 0; i < n_typed; i++)
    if (g_strcmp0 (expected_keys[i], typed_keys[i]) != 0 || up_ms[i] < down_ms[i])
      return abstain (VIGIL_MODALITY_TYPING, n_typed, "typed keys differ from the text");

  vector = vector_new (VIGIL_MODALITY_TYPING, 3 * n_typed - 2, n_typed);
  for (guint i = 0; i < n_typed; i++)
    {
      /* The benchmark's column order: H.k, then DD.k.next, UD.k.next. */
      vector->values[column++] = (up_ms[i] - down_ms[i]) / 1000.0;
      if (i + 1 < n_typed)
        {
          vector->values[column++] = (down_ms[i + 1] - down_ms[i]) / 1000.0;
          vector->values[column++] = (down_ms[i + 1] - up_ms[i]) / 1000.0;
        }
    }
  g_assert (column == vector->n_features);
  return vector;
}
