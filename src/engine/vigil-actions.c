/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Segmentation of mouse and touch streams into actions, the actions'
 * feature vectors, and the tail aggregation of their scores. */
#define G_LOG_DOMAIN "vigil-features"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-actions.h"
#include "vigil-error.h"
#include "vigil-event-fields.h"
#include "vigil-stats.h"
#include "vigil-tail.h"

#define N(...) ((const char * const []) { __VA_ARGS__, NULL })

static const char * const *pressure_names = N ("pressure", "touch_pressure", "force");
static const char * const *size_names = N ("size", "touch_size", "touch_area", "contact_size", "area", "radius");
static const char * const *duration_names = N ("duration", "duration_ms", "touch_duration", "press_duration",
                                               "hold_time");
static const char * const *points_names = N ("points", "path", "trajectory", "touches", "samples");

struct _VigilActionSegmenter
{
  GArray   *stroke;        /* TouchPoint of an open touch_start ... touch_end */
  gboolean  in_stroke;
  gboolean  stroke_scroll;
};

typedef struct
{
  double t;
  double x;
  double y;
  double pressure;
  double size;
} TouchPoint;

const char *
vigil_action_kind_to_string (VigilActionKind kind)
{
  static const char * const names[] = {
    "mouse_move", "point_click", "drag_drop", "tap", "swipe", "scroll",
  };

  g_return_val_if_fail (kind <= VIGIL_ACTION_SCROLL, "unknown");
  return names[kind];
}

VigilModality
vigil_action_kind_modality (VigilActionKind kind)
{
  switch (kind)
    {
    case VIGIL_ACTION_TAP:
      return VIGIL_MODALITY_TOUCH;
    case VIGIL_ACTION_SWIPE:
    case VIGIL_ACTION_SCROLL:
      return VIGIL_MODALITY_SWIPE;
    case VIGIL_ACTION_MOUSE_MOVE:
    case VIGIL_ACTION_POINT_CLICK:
    case VIGIL_ACTION_DRAG_DROP:
    default:
      return VIGIL_MODALITY_POINTER;
    }
}

VigilActionSegmenter *
vigil_action_segmenter_new (void)
{
  VigilActionSegmenter *segmenter = g_new0 (VigilActionSegmenter, 1);

  segmenter->stroke = g_array_new (FALSE, FALSE, sizeof (TouchPoint));
  return segmenter;
}

void
vigil_action_segmenter_free (VigilActionSegmenter *segmenter)
{
  if (segmenter == NULL)
    return;
  g_array_unref (segmenter->stroke);
  g_free (segmenter);
}

static double
duration_ms (double value)
{
  return value < 10 ? value * 1000.0 : value;
}

/* Geometry shared by touch strokes and mouse movements. */
typedef struct
{
  double path;
  double straightness;
  double cos_dir;
  double sin_dir;
  double mean_speed;
  double peak_speed;
  double speed_sd;
  double mean_abs_accel;
  double mean_pressure;
  double mean_size;
  double duration;
} Geometry;

static void
measure (const TouchPoint *points,
         guint             n,
         Geometry         *g)
{
  VigilRunningStats speed, accel;
  double previous_speed = NAN, dx, dy, chord;

  memset (g, 0, sizeof *g);
  vigil_running_stats_init (&speed);
  vigil_running_stats_init (&accel);
  for (guint i = 0; i < n; i++)
    {
      double dt, step;

      g->mean_pressure += points[i].pressure / n;
      g->mean_size += points[i].size / n;
      if (i == 0)
        continue;

      dt = points[i].t - points[i - 1].t;
      step = hypot (points[i].x - points[i - 1].x, points[i].y - points[i - 1].y);
      g->path += step;
      if (dt <= 0)
        continue;
      vigil_running_stats_add (&speed, step / dt);
      if (!isnan (previous_speed))
        vigil_running_stats_add (&accel, fabs (step / dt - previous_speed) / dt);
      previous_speed = step / dt;
    }
  dx = points[n - 1].x - points[0].x;
  dy = points[n - 1].y - points[0].y;
  chord = hypot (dx, dy);
  g->duration = points[n - 1].t - points[0].t;
  g->straightness = g->path > 0 ? chord / g->path : 1;
  g->cos_dir = chord > 0 ? dx / chord : 0;
  g->sin_dir = chord > 0 ? dy / chord : 0;
  g->mean_speed = g->duration > 0 ? g->path / g->duration : 0;
  g->peak_speed = speed.count > 0 ? speed.max : g->mean_speed;
  g->speed_sd = vigil_running_stats_stddev (&speed);
  g->mean_abs_accel = accel.count > 0 ? accel.mean : 0;
}

static void
swipe_from_geometry (VigilAction    *action,
                     gboolean        scroll,
                     const Geometry *g)
{
  action->kind = scroll ? VIGIL_ACTION_SCROLL : VIGIL_ACTION_SWIPE;
  action->values[0] = scroll ? 1 : 0;
  action->values[1] = g->duration;
  action->values[2] = g->path;
  action->values[3] = g->mean_speed;
  action->values[4] = g->peak_speed;
  action->values[5] = g->straightness;
  action->values[6] = g->cos_dir;
  action->values[7] = g->sin_dir;
  action->values[8] = g->mean_pressure;
  action->values[9] = g->mean_size;
  action->values[10] = g->mean_abs_accel;
}

/* A finished stroke: a tap when it stayed where it began. */
static void
classify_stroke (const TouchPoint *points,
                 guint             n,
                 gboolean          scroll,
                 GArray           *out)
{
  VigilAction action = { 0 };
  double reach = 0;
  Geometry g;

  if (n == 0)
    return;
  for (guint i = 1; i < n; i++)
    reach = MAX (reach, hypot (points[i].x - points[0].x, points[i].y - points[0].y));
  measure (points, n, &g);
  action.start_ms = points[0].t;
  action.end_ms = points[n - 1].t;
  action.points = n;
  if (reach < VIGIL_ACTION_TAP_SLOP_PX && !scroll)
    {
      action.kind = VIGIL_ACTION_TAP;
      action.values[0] = g.duration;
      action.values[1] = g.mean_pressure;
      action.values[2] = g.mean_size;
    }
  else
    swipe_from_geometry (&action, scroll, &g);
  g_array_append_val (out, action);
}

/* A point of a touch stream: x / y (or coordinates), t when given. */
static gboolean
read_touch_point (JsonObject  *object,
                  double       fallback_t,
                  TouchPoint  *point,
                  GError     **error)
{
  gboolean found_xy = FALSE, found;

  memset (point, 0, sizeof *point);
  point->t = fallback_t;
  if (!vigil_event_fields_point (object, N ("coordinates", "position", "point"), &point->x, &point->y,
                                 &found_xy, error))
    return FALSE;
  if (!found_xy)
    {
      gboolean has_x, has_y;

      if (!vigil_event_fields_number (object, N ("x", "touch_x", "clientX"), &point->x, &has_x, error) ||
          !vigil_event_fields_number (object, N ("y", "touch_y", "clientY"), &point->y, &has_y, error))
        return FALSE;
      found_xy = has_x && has_y;
    }
  if (!found_xy)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "a touch point needs x and y");
      return FALSE;
    }
  if (!vigil_event_fields_number (object, N ("t", "time", "timestamp"), &point->t, &found, error) ||
      !vigil_event_fields_number (object, pressure_names, &point->pressure, &found, error) ||
      !vigil_event_fields_number (object, size_names, &point->size, &found, error))
    return FALSE;
  return TRUE;
}

static gboolean
read_points (JsonArray  *array,
             double      time_ms,
             GArray     *points,
             GError    **error)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      TouchPoint point;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "points[%u] must be an object", i);
          return FALSE;
        }
      if (!read_touch_point (json_node_get_object (node), time_ms, &point, error))
        {
          g_prefix_error (error, "points[%u]: ", i);
          return FALSE;
        }
      g_array_append_val (points, point);
    }
  return TRUE;
}

typedef enum
{
  INPUT_NONE,
  INPUT_TAP,
  INPUT_SWIPE,
  INPUT_SCROLL,
  INPUT_STROKE_START,
  INPUT_STROKE_MOVE,
  INPUT_STROKE_END,
  INPUT_MOUSE,
} InputKind;

static gboolean
type_has (const char *folded,
          const char *word)
{
  return strstr (folded, word) != NULL;
}

static InputKind
input_kind (const char *event_type,
            JsonObject *data)
{
  g_autofree char *folded = g_ascii_strdown (event_type ? event_type : "", -1);
  const char *phase = NULL;

  if (data != NULL &&
      (vigil_event_fields_string (data, N ("phase", "action", "touch_phase"), &phase, NULL) && phase != NULL))
    {
      if (g_ascii_strcasecmp (phase, "down") == 0 || g_ascii_strcasecmp (phase, "start") == 0 ||
          g_ascii_strcasecmp (phase, "began") == 0)
        return INPUT_STROKE_START;
      if (g_ascii_strcasecmp (phase, "move") == 0 || g_ascii_strcasecmp (phase, "moved") == 0)
        return INPUT_STROKE_MOVE;
      if (g_ascii_strcasecmp (phase, "up") == 0 || g_ascii_strcasecmp (phase, "end") == 0 ||
          g_ascii_strcasecmp (phase, "ended") == 0)
        return INPUT_STROKE_END;
    }
  if (type_has (folded, "touch_start") || type_has (folded, "touchstart") || type_has (folded, "touch_down"))
    return INPUT_STROKE_START;
  if (type_has (folded, "touch_move") || type_has (folded, "touchmove"))
    return INPUT_STROKE_MOVE;
  if (type_has (folded, "touch_end") || type_has (folded, "touchend") || type_has (folded, "touch_up"))
    return INPUT_STROKE_END;
  if (type_has (folded, "mouse"))
    return INPUT_MOUSE;
  if (type_has (folded, "scroll"))
    return INPUT_SCROLL;
  if (type_has (folded, "swipe") || type_has (folded, "fling"))
    return INPUT_SWIPE;
  /* key_press, keystroke: keys, not touches (vigil-keystrokes.h). */
  if (type_has (folded, "key") || type_has (folded, "typ"))
    return INPUT_NONE;
  if (type_has (folded, "touch") || type_has (folded, "tap") || type_has (folded, "click") ||
      type_has (folded, "button") || type_has (folded, "press"))
    return INPUT_TAP;
  return INPUT_NONE;
}

/* A tap event: measured when it has pressure, size or duration. */
static gboolean
add_tap (JsonObject  *data,
         double       time_ms,
         GArray      *out,
         GError     **error)
{
  VigilAction action = { .kind = VIGIL_ACTION_TAP, .start_ms = time_ms, .end_ms = time_ms, .points = 1 };
  gboolean has_duration, has_pressure, has_size;
  double duration = 0;

  if (!vigil_event_fields_number (data, duration_names, &duration, &has_duration, error) ||
      !vigil_event_fields_number (data, pressure_names, &action.values[1], &has_pressure, error) ||
      !vigil_event_fields_number (data, size_names, &action.values[2], &has_size, error))
    return FALSE;
  if (!has_duration && !has_pressure && !has_size)
    return TRUE;
  if (duration < 0 || action.values[1] < 0 || action.values[2] < 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "touch duration, pressure and size cannot be negative");
      return FALSE;
    }
  action.values[0] = duration_ms (duration);
  action.end_ms = time_ms + action.values[0];
  g_array_append_val (out, action);
  return TRUE;
}

static void
direction_of (const char *direction,
              double     *cos_dir,
              double     *sin_dir)
{
  static const struct { const char *name; double c, s; } table[] = {
    { "left", -1, 0 }, { "right", 1, 0 }, { "up", 0, -1 }, { "down", 0, 1 },
  };

  for (guint i = 0; direction != NULL && i < G_N_ELEMENTS (table); i++)
    if (g_ascii_strcasecmp (direction, table[i].name) == 0)
      {
        *cos_dir = table[i].c;
        *sin_dir = table[i].s;
      }
}

typedef struct
{
  double      dx, dy, distance, velocity, duration, pressure, size;
  gboolean    has_dx, has_dy, has_distance, has_velocity, has_duration;
  const char *direction;
} SwipeFields;

/* start / end as points or start_x ... end_y, deltas, totals. */
static gboolean
read_swipe (JsonObject   *data,
            SwipeFields  *f,
            GError      **error)
{
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  gboolean has_start, has_end, has_x, has_y, found;

  memset (f, 0, sizeof *f);
  if (!vigil_event_fields_point (data, N ("start", "from", "start_coordinates", "startPoint"), &x0, &y0,
                                 &has_start, error) ||
      !vigil_event_fields_point (data, N ("end", "to", "end_coordinates", "endPoint"), &x1, &y1, &has_end, error) ||
      !vigil_event_fields_number (data, N ("delta_x", "dx", "deltaX", "scroll_x"), &f->dx, &f->has_dx, error) ||
      !vigil_event_fields_number (data, N ("delta_y", "dy", "deltaY", "delta", "scroll_delta", "scroll_y"), &f->dy,
                                  &f->has_dy, error) ||
      !vigil_event_fields_number (data, N ("distance", "scroll_distance", "length"), &f->distance,
                                  &f->has_distance, error) ||
      !vigil_event_fields_number (data, N ("velocity", "speed", "swipe_velocity", "swipe_speed",
                                           "scroll_velocity", "scroll_speed", "touch_velocity"),
                                  &f->velocity, &f->has_velocity, error) ||
      !vigil_event_fields_number (data, duration_names, &f->duration, &f->has_duration, error) ||
      !vigil_event_fields_number (data, pressure_names, &f->pressure, &found, error) ||
      !vigil_event_fields_number (data, size_names, &f->size, &found, error) ||
      !vigil_event_fields_string (data, N ("direction", "swipe_direction", "scroll_direction"), &f->direction,
                                  error))
    return FALSE;
  if (!has_start)
    {
      if (!vigil_event_fields_number (data, N ("start_x"), &x0, &has_x, error) ||
          !vigil_event_fields_number (data, N ("start_y"), &y0, &has_y, error))
        return FALSE;
      has_start = has_x && has_y;
    }
  if (!has_end)
    {
      if (!vigil_event_fields_number (data, N ("end_x"), &x1, &has_x, error) ||
          !vigil_event_fields_number (data, N ("end_y"), &y1, &has_y, error))
        return FALSE;
      has_end = has_x && has_y;
    }
  if (has_start && has_end)
    {
      f->dx = x1 - x0;
      f->dy = y1 - y0;
      f->has_dx = f->has_dy = TRUE;
    }
  if (!f->has_distance && (f->has_dx || f->has_dy))
    {
      f->distance = hypot (f->dx, f->dy);
      f->has_distance = TRUE;
    }
  /* A scroll's distance may come signed; its direction is kept apart. */
  if (!(f->has_dx || f->has_dy))
    f->distance = fabs (f->distance);
  if (f->duration < 0 || f->velocity < 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "swipe velocity and duration cannot be negative");
      return FALSE;
    }
  return TRUE;
}

/* A swipe or scroll event described by its endpoints or its totals. */
static gboolean
add_swipe_fields (JsonObject  *data,
                  gboolean     scroll,
                  double       time_ms,
                  GArray      *out,
                  GError     **error)
{
  VigilAction action = { .start_ms = time_ms, .end_ms = time_ms, .points = 2 };
  Geometry g = { .straightness = 1 };
  SwipeFields f;

  if (!read_swipe (data, &f, error))
    return FALSE;
  if (!f.has_distance && !f.has_velocity && !f.has_duration)
    return TRUE;   /* a swipe we know nothing about */

  g.duration = f.has_duration ? duration_ms (f.duration) : 0;
  g.path = f.distance;
  g.mean_pressure = f.pressure;
  g.mean_size = f.size;
  if (f.has_dx || f.has_dy)
    {
      double chord = hypot (f.dx, f.dy);

      g.cos_dir = chord > 0 ? f.dx / chord : 0;
      g.sin_dir = chord > 0 ? f.dy / chord : 0;
    }
  else
    direction_of (f.direction, &g.cos_dir, &g.sin_dir);
  if (g.duration > 0 && f.has_distance)
    g.mean_speed = f.distance / g.duration;
  else if (f.has_velocity)
    g.mean_speed = f.velocity / 1000.0;
  if (g.duration == 0 && f.has_velocity && f.has_distance && f.velocity > 0)
    g.duration = f.distance / (f.velocity / 1000.0);
  g.peak_speed = f.has_velocity ? MAX (f.velocity / 1000.0, g.mean_speed) : g.mean_speed;
  action.end_ms = time_ms + g.duration;
  swipe_from_geometry (&action, scroll, &g);
  g_array_append_val (out, action);
  return TRUE;
}

static gboolean
add_stroke_point (VigilActionSegmenter *segmenter,
                  JsonObject           *data,
                  double                time_ms,
                  GError              **error)
{
  TouchPoint point;

  if (data == NULL)
    return TRUE;
  if (!read_touch_point (data, time_ms, &point, error))
    return FALSE;
  g_array_append_val (segmenter->stroke, point);
  return TRUE;
}

gboolean
vigil_action_segmenter_add (VigilActionSegmenter  *segmenter,
                            const char            *event_type,
                            JsonObject            *data,
                            double                 time_ms,
                            GArray                *out,
                            GError               **error)
{
  InputKind kind = input_kind (event_type, data);
  JsonArray *points = NULL;

  g_return_val_if_fail (segmenter != NULL && out != NULL, FALSE);

  if (data != NULL && (json_object_has_member (data, "mousePaths") || json_object_has_member (data, "clicks")))
    return vigil_actions_from_mouse (data, out, error);
  if (kind == INPUT_NONE)
    return TRUE;

  switch (kind)
    {
    case INPUT_STROKE_START:
      g_array_set_size (segmenter->stroke, 0);
      segmenter->in_stroke = TRUE;
      segmenter->stroke_scroll = FALSE;
      return add_stroke_point (segmenter, data, time_ms, error);
    case INPUT_STROKE_MOVE:
      return !segmenter->in_stroke || add_stroke_point (segmenter, data, time_ms, error);
    case INPUT_STROKE_END:
      if (!segmenter->in_stroke)
        return TRUE;
      segmenter->in_stroke = FALSE;
      if (!add_stroke_point (segmenter, data, time_ms, error))
        return FALSE;
      classify_stroke ((TouchPoint *) (gpointer) segmenter->stroke->data, segmenter->stroke->len,
                       segmenter->stroke_scroll, out);
      g_array_set_size (segmenter->stroke, 0);
      return TRUE;
    case INPUT_NONE:
    case INPUT_TAP:
    case INPUT_SWIPE:
    case INPUT_SCROLL:
    case INPUT_MOUSE:
    default:
      break;
    }

  if (data == NULL)
    return TRUE;
  if (!vigil_event_fields_array (data, points_names, &points, error))
    return FALSE;
  if (points != NULL && json_array_get_length (points) > 0)
    {
      g_autoptr(GArray) stroke = g_array_new (FALSE, FALSE, sizeof (TouchPoint));
      double pressure = 0, size = 0;
      gboolean found;

      if (!read_points (points, time_ms, stroke, error) ||
          !vigil_event_fields_number (data, pressure_names, &pressure, &found, error) ||
          !vigil_event_fields_number (data, size_names, &size, &found, error))
        return FALSE;
      /* A trajectory's points without their own pressure or size (the
       * sim's, many web clients') have the gesture's. */
      for (guint i = 0; i < stroke->len; i++)
        {
          TouchPoint *point = &g_array_index (stroke, TouchPoint, i);

          point->pressure = point->pressure > 0 ? point->pressure : pressure;
          point->size = point->size > 0 ? point->size : size;
        }
      if (kind == INPUT_MOUSE)
        {
          g_autoptr(JsonObject) payload = json_object_new ();
          g_autoptr(JsonArray) paths = json_array_new ();

          json_array_add_array_element (paths, json_array_ref (points));
          json_object_set_array_member (payload, "mousePaths", g_steal_pointer (&paths));
          return vigil_actions_from_mouse (payload, out, error);
        }
      classify_stroke ((TouchPoint *) (gpointer) stroke->data, stroke->len, kind == INPUT_SCROLL, out);
      return TRUE;
    }

  switch (kind)
    {
    case INPUT_TAP:
      return add_tap (data, time_ms, out, error);
    case INPUT_SWIPE:
    case INPUT_SCROLL:
      return add_swipe_fields (data, kind == INPUT_SCROLL, time_ms, out, error);
    case INPUT_NONE:
    case INPUT_STROKE_START:
    case INPUT_STROKE_MOVE:
    case INPUT_STROKE_END:
    case INPUT_MOUSE:
    default:
      return TRUE;
    }
}

/* Mouse actions */

typedef struct
{
  double   t;
  double   x;
  double   y;
  double   duration;
  gboolean used;
} Click;

static gboolean
read_mouse_point (JsonNode    *node,
                  TouchPoint  *point)
{
  JsonObject *object;

  memset (point, 0, sizeof *point);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  return vigil_event_fields_node_number (json_object_get_member (object, "t"), &point->t) &&
         vigil_event_fields_node_number (json_object_get_member (object, "x"), &point->x) &&
         vigil_event_fields_node_number (json_object_get_member (object, "y"), &point->y);
}

static void
emit_mouse_action (const TouchPoint *points,
                   guint             n,
                   GArray           *clicks,
                   GArray           *out)
{
  VigilAction action = { .kind = VIGIL_ACTION_MOUSE_MOVE, .points = n };
  double start = points[0].t, end = points[n - 1].t;
  Click *drag = NULL, *click = NULL;
  Geometry g;

  measure (points, n, &g);
  if (g.path <= 0)
    return;   /* the pointer did not move: no action */

  for (guint i = 0; i < clicks->len; i++)
    {
      Click *c = &g_array_index (clicks, Click, i);
      double overlap = MIN (c->t + c->duration, end) - MAX (c->t, start);

      if (c->used)
        continue;
      /* Held for most of the movement: the button dragged something. */
      if (drag == NULL && end > start && c->duration > 0 && overlap >= 0.8 * (end - start))
        drag = c;
      else if (click == NULL && c->t >= start && c->t <= end + VIGIL_ACTION_CLICK_LINK_MS)
        click = c;
    }
  if (drag != NULL)
    {
      action.kind = VIGIL_ACTION_DRAG_DROP;
      drag->used = TRUE;
    }
  else if (click != NULL)
    {
      action.kind = VIGIL_ACTION_POINT_CLICK;
      click->used = TRUE;
    }

  action.start_ms = start;
  action.end_ms = end;
  action.values[0] = action.kind == VIGIL_ACTION_POINT_CLICK;
  action.values[1] = action.kind == VIGIL_ACTION_DRAG_DROP;
  action.values[2] = g.duration;
  action.values[3] = g.path;
  action.values[4] = g.straightness;
  action.values[5] = g.mean_speed;
  action.values[6] = g.speed_sd;
  action.values[7] = g.peak_speed;
  action.values[8] = g.mean_abs_accel;
  action.values[9] = drag ? drag->duration : click ? click->duration : 0;
  action.values[10] = g.cos_dir;
  action.values[11] = g.sin_dir;
  g_array_append_val (out, action);
}

static gboolean
read_clicks (JsonArray  *array,
             GArray     *clicks,
             GError    **error)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *object;
      Click click = { 0 };

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !vigil_event_fields_node_number (json_object_get_member (object = json_node_get_object (node), "t"),
                                           &click.t))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "clicks[%u] must be an object with a numeric t", i);
          return FALSE;
        }
      if (json_object_has_member (object, "duration") &&
          (!vigil_event_fields_node_number (json_object_get_member (object, "duration"), &click.duration) ||
           click.duration < 0))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "clicks[%u].duration must be a number >= 0", i);
          return FALSE;
        }
      g_array_append_val (clicks, click);
    }
  return TRUE;
}

gboolean
vigil_actions_from_mouse (JsonObject  *payload,
                          GArray      *out,
                          GError     **error)
{
  g_autoptr(GArray) clicks = g_array_new (FALSE, FALSE, sizeof (Click));
  g_autoptr(GArray) segment = g_array_new (FALSE, FALSE, sizeof (TouchPoint));
  JsonArray *paths = NULL, *click_array = NULL;

  if (!vigil_event_fields_array (payload, N ("mousePaths"), &paths, error) ||
      !vigil_event_fields_array (payload, N ("clicks"), &click_array, error) ||
      !read_clicks (click_array, clicks, error))
    return FALSE;

  for (guint i = 0; paths != NULL && i < json_array_get_length (paths); i++)
    {
      JsonNode *node = json_array_get_element (paths, i);
      JsonArray *stroke;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "mousePaths[%u] must be an array", i);
          return FALSE;
        }
      stroke = json_node_get_array (node);
      g_array_set_size (segment, 0);
      for (guint j = 0; j < json_array_get_length (stroke); j++)
        {
          TouchPoint point;

          if (!read_mouse_point (json_array_get_element (stroke, j), &point))
            {
              g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "mousePaths[%u][%u] must be {t, x, y} with numbers", i, j);
              return FALSE;
            }
          /* A rest splits the stroke into two actions. */
          if (segment->len > 0 &&
              point.t - g_array_index (segment, TouchPoint, segment->len - 1).t > VIGIL_ACTION_MOUSE_GAP_MS)
            {
              if (segment->len >= 2)
                emit_mouse_action ((TouchPoint *) (gpointer) segment->data, segment->len, clicks, out);
              g_array_set_size (segment, 0);
            }
          g_array_append_val (segment, point);
        }
      if (segment->len >= 2)
        emit_mouse_action ((TouchPoint *) (gpointer) segment->data, segment->len, clicks, out);
    }
  return TRUE;
}

/* Aggregation */

double
vigil_actions_tail_mean (const double *scores,
                         gsize         n,
                         double        share)
{
  return vigil_tail_mean (scores, n, share);
}

double
vigil_actions_window_score (const double *scores,
                            gsize         n)
{
  g_return_val_if_fail (n > 0, NAN);

  return vigil_tail_uniform_cdf (vigil_tail_mean (scores, n, VIGIL_ACTIONS_TAIL_SHARE), n,
                                 VIGIL_ACTIONS_TAIL_SHARE);
}
