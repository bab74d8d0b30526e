/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Keystroke dynamics of streamed key events, per window of keys. */
#define G_LOG_DOMAIN "vigil-features"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-event-fields.h"
#include "vigil-keystrokes.h"
#include "vigil-stats.h"

#define N(...) ((const char * const []) { __VA_ARGS__, NULL })

struct _VigilKeystrokeWindow
{
  VigilRunningStats hold;
  VigilRunningStats dd;
  VigilRunningStats ud;
  guint             keys;
  guint             corrections;
  double            speed_sum;      /* keys per second, reported */
  guint             speed_count;
  gboolean          has_previous;
  double            previous_down;
  double            previous_up;    /* NAN when unknown */
};

static void
reset (VigilKeystrokeWindow *window)
{
  vigil_running_stats_init (&window->hold);
  vigil_running_stats_init (&window->dd);
  vigil_running_stats_init (&window->ud);
  window->keys = 0;
  window->corrections = 0;
  window->speed_sum = 0;
  window->speed_count = 0;
}

VigilKeystrokeWindow *
vigil_keystroke_window_new (void)
{
  VigilKeystrokeWindow *window = g_new0 (VigilKeystrokeWindow, 1);

  reset (window);
  return window;
}

void
vigil_keystroke_window_free (VigilKeystrokeWindow *window)
{
  g_free (window);
}

guint
vigil_keystroke_window_get_pending (VigilKeystrokeWindow *window)
{
  return window->keys;
}

static double
as_ms (double value)
{
  return value < 10 ? value * 1000.0 : value;
}

static gboolean
is_correction (const char *key)
{
  return key != NULL && (g_ascii_strcasecmp (key, "Backspace") == 0 || g_ascii_strcasecmp (key, "Delete") == 0 ||
                         g_ascii_strcasecmp (key, "Del") == 0 || strcmp (key, "\b") == 0);
}

static void
maybe_emit (VigilKeystrokeWindow *window,
            GPtrArray            *out)
{
  VigilFeatureVector *vector;
  double speed;

  if (window->keys < VIGIL_KEYSTROKE_WINDOW_KEYS)
    return;
  vector = g_new0 (VigilFeatureVector, 1);
  vector->modality = VIGIL_MODALITY_KEYSTROKE;
  vector->n_features = VIGIL_KEYSTROKE_FEATURES;
  vector->values = g_new0 (double, VIGIL_KEYSTROKE_FEATURES);
  vector->samples = window->keys;
  vector->pairs = (guint) window->dd.count;
  vector->values[0] = window->hold.count ? window->hold.mean : 0;
  vector->values[1] = vigil_running_stats_stddev (&window->hold);
  vector->values[2] = window->dd.count ? window->dd.mean : 0;
  vector->values[3] = vigil_running_stats_stddev (&window->dd);
  vector->values[4] = window->ud.count ? window->ud.mean : 0;
  vector->values[5] = vigil_running_stats_stddev (&window->ud);
  speed = window->dd.count && window->dd.mean > 0 ? 1000.0 / window->dd.mean : 0;
  if (speed == 0 && window->speed_count > 0)
    speed = window->speed_sum / window->speed_count;
  vector->values[6] = speed;
  vector->values[7] = (double) window->corrections / window->keys;
  g_ptr_array_add (out, vector);
  reset (window);
}

/* One key: its press time, and release when known (NAN otherwise). */
static void
add_key (VigilKeystrokeWindow *window,
         const char           *key,
         double                down,
         double                up,
         GPtrArray            *out)
{
  if (!isnan (up) && up >= down)
    vigil_running_stats_add (&window->hold, up - down);
  if (window->has_previous && down >= window->previous_down &&
      down - window->previous_down <= VIGIL_KEYSTROKE_PAUSE_MS)
    {
      vigil_running_stats_add (&window->dd, down - window->previous_down);
      if (!isnan (window->previous_up))
        vigil_running_stats_add (&window->ud, down - window->previous_up);
    }
  window->has_previous = TRUE;
  window->previous_down = down;
  window->previous_up = !isnan (up) && up >= down ? up : NAN;
  window->keys++;
  if (is_correction (key))
    window->corrections++;
  maybe_emit (window, out);
}

static gboolean
add_key_object (VigilKeystrokeWindow *window,
                JsonObject           *object,
                double                time_ms,
                GPtrArray            *out,
                GError              **error)
{
  double down = time_ms, up = NAN, hold = NAN;
  gboolean has_down, has_up, has_hold;
  const char *key = NULL;

  /* A numeric key code names no correction key: no error for it. */
  (void) vigil_event_fields_string (object, N ("key", "code", "key_code", "keyCode"), &key, NULL);
  if (!vigil_event_fields_number (object, N ("down_time", "downTime", "press_time", "keydown_time", "t"), &down,
                                  &has_down, error) ||
      !vigil_event_fields_number (object, N ("up_time", "upTime", "release_time", "keyup_time"), &up, &has_up,
                                  error) ||
      !vigil_event_fields_number (object, N ("hold_time", "dwell_time", "dwell", "hold", "duration"), &hold,
                                  &has_hold, error))
    return FALSE;
  if (!has_down)
    down = time_ms;
  if (!has_up)
    up = has_hold ? down + as_ms (hold) : NAN;
  if (!isnan (up) && up < down)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "a key cannot be released before it is pressed");
      return FALSE;
    }
  add_key (window, key, down, up, out);
  return TRUE;
}

static gboolean
add_key_array (VigilKeystrokeWindow *window,
               JsonArray            *array,
               const char           *name,
               double                time_ms,
               GPtrArray            *out,
               GError              **error)
{
  double t = time_ms;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      double interval;

      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          if (!add_key_object (window, json_node_get_object (node), time_ms, out, error))
            {
              g_prefix_error (error, "%s[%u]: ", name, i);
              return FALSE;
            }
          continue;
        }
      /* Numbers: the intervals between consecutive presses. */
      if (!vigil_event_fields_node_number (node, &interval) || interval < 0)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                       "%s[%u] must be a key event or an interval >= 0", name, i);
          return FALSE;
        }
      if (i == 0)
        add_key (window, NULL, t, NAN, out);
      t += as_ms (interval);
      add_key (window, NULL, t, NAN, out);
    }
  return TRUE;
}

/* {hold_times: [...], flight_times: [...]}: holds and release-to-press. */
static gboolean
add_time_lists (VigilKeystrokeWindow *window,
                JsonObject           *object,
                double                time_ms,
                GPtrArray            *out,
                GError              **error)
{
  JsonArray *holds = NULL, *flights = NULL;
  double t = time_ms;
  guint n;

  if (!vigil_event_fields_array (object, N ("hold_times", "dwell_times", "holds"), &holds, error) ||
      !vigil_event_fields_array (object, N ("flight_times", "flights", "intervals"), &flights, error))
    return FALSE;
  n = holds ? json_array_get_length (holds) : flights ? json_array_get_length (flights) + 1 : 0;
  for (guint i = 0; i < n; i++)
    {
      double hold = NAN, flight = 0;

      if ((holds != NULL && i < json_array_get_length (holds) &&
           (!vigil_event_fields_node_number (json_array_get_element (holds, i), &hold) || hold < 0)) ||
          (flights != NULL && i > 0 && i - 1 < json_array_get_length (flights) &&
           !vigil_event_fields_node_number (json_array_get_element (flights, i - 1), &flight)))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                       "keystroke_dynamics times [%u] must be numbers (holds >= 0)", i);
          return FALSE;
        }
      if (i > 0)
        t = (window->has_previous && !isnan (window->previous_up) ? window->previous_up : t) + as_ms (flight);
      add_key (window, NULL, t, isnan (hold) ? NAN : t + as_ms (hold), out);
    }
  return TRUE;
}

static gboolean
is_key_event (const char *event_type)
{
  g_autofree char *folded = g_ascii_strdown (event_type ? event_type : "", -1);

  return strstr (folded, "key") != NULL || g_str_has_prefix (folded, "type_") || strstr (folded, "typing") != NULL ||
         strstr (folded, "mpin_entry") != NULL || strstr (folded, "pin_entry") != NULL;
}

gboolean
vigil_keystroke_window_add (VigilKeystrokeWindow  *window,
                            const char            *event_type,
                            JsonObject            *data,
                            double                 time_ms,
                            GPtrArray             *out,
                            GError               **error)
{
  JsonArray *keys = NULL;
  JsonNode *dynamics;
  double value;
  gboolean found;

  g_return_val_if_fail (window != NULL && out != NULL, FALSE);

  if (data == NULL || (!is_key_event (event_type) && !json_object_has_member (data, "keyEvents") &&
                       !json_object_has_member (data, "keystroke_dynamics")))
    return TRUE;

  if (!vigil_event_fields_number (data, N ("typing_speed", "wpm"), &value, &found, error))
    return FALSE;
  if (found && value > 0)
    {
      /* Five characters a word. */
      window->speed_sum += value * 5 / 60;
      window->speed_count++;
    }
  if (!vigil_event_fields_number (data, N ("backspace_count", "corrections", "deletions"), &value, &found, error))
    return FALSE;
  if (found && value > 0)
    window->corrections += (guint) MIN (value, 1000);

  if (!vigil_event_fields_array (data, N ("keyEvents", "key_events", "keys"), &keys, error))
    return FALSE;
  if (keys != NULL)
    return add_key_array (window, keys, "keyEvents", time_ms, out, error);

  dynamics = json_object_get_member (data, "keystroke_dynamics");
  if (dynamics == NULL)
    {
      JsonNode *payload = json_object_get_member (data, "payload");

      if (payload != NULL && JSON_NODE_HOLDS_OBJECT (payload))
        dynamics = json_object_get_member (json_node_get_object (payload), "keystroke_dynamics");
    }
  if (dynamics != NULL && JSON_NODE_HOLDS_ARRAY (dynamics))
    return add_key_array (window, json_node_get_array (dynamics), "keystroke_dynamics", time_ms, out, error);
  if (dynamics != NULL && JSON_NODE_HOLDS_OBJECT (dynamics))
    return add_time_lists (window, json_node_get_object (dynamics), time_ms, out, error);
  if (dynamics != NULL && !JSON_NODE_HOLDS_NULL (dynamics))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "keystroke_dynamics must be an array or an object");
      return FALSE;
    }

  /* One key per event, when the event names or times a key. */
  if (json_object_has_member (data, "key") || json_object_has_member (data, "code") ||
      json_object_has_member (data, "down_time") || json_object_has_member (data, "downTime") ||
      json_object_has_member (data, "hold_time") || json_object_has_member (data, "dwell_time") ||
      json_object_has_member (data, "payload"))
    {
      JsonNode *payload = json_object_get_member (data, "payload");
      JsonObject *object = payload && JSON_NODE_HOLDS_OBJECT (payload) ? json_node_get_object (payload) : data;

      if (object != data && !json_object_has_member (object, "key") && !json_object_has_member (object, "code") &&
          !json_object_has_member (object, "down_time") && !json_object_has_member (object, "hold_time"))
        return TRUE;
      return add_key_object (window, object, time_ms, out, error);
    }
  return TRUE;
}
