/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The event-flow map, a user's navigation history (smoothed Markov
 * transitions and dwell per screen), and a session's navigation windows. */
#define G_LOG_DOMAIN "vigil-features"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-event-fields.h"
#include "vigil-navigation.h"
#include "vigil-stats.h"

#define N(...) ((const char * const []) { __VA_ARGS__, NULL })
/* An hour on one screen is the app left open, not reading. */
#define MAX_DWELL_MS (3600.0 * 1000.0)

typedef struct
{
  char       *screen;    /* nullable */
  GHashTable *next;      /* set of event ids */
} MapEvent;

struct _VigilNavigationMap
{
  gatomicrefcount  ref_count;
  GHashTable      *events;   /* id → MapEvent */
};

static void
map_event_free (MapEvent *event)
{
  g_free (event->screen);
  g_hash_table_unref (event->next);
  g_free (event);
}

static gboolean
parse_event (VigilNavigationMap *map,
             const char         *id,
             JsonNode           *node,
             GError            **error)
{
  JsonObject *object;
  JsonNode *next;
  MapEvent *event;
  const char *screen;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The map's event %s must be an object", id);
      return FALSE;
    }
  object = json_node_get_object (node);
  event = g_hash_table_lookup (map->events, id);
  if (event == NULL)
    {
      event = g_new0 (MapEvent, 1);
      event->next = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (map->events, g_strdup (id), event);
    }
  screen = json_object_get_string_member_with_default (object, "screen", NULL);
  if (screen == NULL)
    screen = json_object_get_string_member_with_default (object, "navigatesTo", NULL);
  if (event->screen == NULL && screen != NULL)
    event->screen = g_strdup (screen);

  next = json_object_get_member (object, "nextEvents");
  if (next == NULL || JSON_NODE_HOLDS_NULL (next))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (next))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "nextEvents of %s must be an array", id);
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (next)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (next), i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "nextEvents of %s must hold strings", id);
          return FALSE;
        }
      g_hash_table_add (event->next, g_strdup (json_node_get_string (element)));
    }
  return TRUE;
}

VigilNavigationMap *
vigil_navigation_map_new_from_data (const char  *data,
                                    gssize       length,
                                    GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(VigilNavigationMap) map = NULL;
  JsonNode *root, *flow;
  JsonObjectIter groups;
  const char *group_name;
  JsonNode *group;

  if (!json_parser_load_from_data (parser, data, length, error))
    return NULL;
  root = json_parser_get_root (parser);
  flow = root && JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "eventFlowMap")
                                               : NULL;
  if (flow == NULL || !JSON_NODE_HOLDS_OBJECT (flow))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The map needs an eventFlowMap object");
      return NULL;
    }

  map = g_new0 (VigilNavigationMap, 1);
  g_atomic_ref_count_init (&map->ref_count);
  map->events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) map_event_free);
  json_object_iter_init (&groups, json_node_get_object (flow));
  while (json_object_iter_next (&groups, &group_name, &group))
    {
      JsonObjectIter events;
      const char *id;
      JsonNode *event;

      if (!JSON_NODE_HOLDS_OBJECT (group))
        {
          g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The map's group %s must be an object",
                       group_name);
          return NULL;
        }
      json_object_iter_init (&events, json_node_get_object (group));
      while (json_object_iter_next (&events, &id, &event))
        if (!parse_event (map, id, event, error))
          return NULL;
    }
  return g_steal_pointer (&map);
}

VigilNavigationMap *
vigil_navigation_map_ref (VigilNavigationMap *map)
{
  g_atomic_ref_count_inc (&map->ref_count);
  return map;
}

void
vigil_navigation_map_unref (VigilNavigationMap *map)
{
  if (map == NULL || !g_atomic_ref_count_dec (&map->ref_count))
    return;
  g_hash_table_unref (map->events);
  g_free (map);
}

guint
vigil_navigation_map_get_n_events (VigilNavigationMap *map)
{
  return map ? g_hash_table_size (map->events) : 0;
}

gboolean
vigil_navigation_map_has_event (VigilNavigationMap *map,
                                const char         *event_id)
{
  return map != NULL && event_id != NULL && g_hash_table_contains (map->events, event_id);
}

guint
vigil_navigation_map_get_n_next (VigilNavigationMap *map,
                                 const char         *event_id)
{
  MapEvent *event = map && event_id ? g_hash_table_lookup (map->events, event_id) : NULL;

  return event ? g_hash_table_size (event->next) : 0;
}

gboolean
vigil_navigation_map_allows (VigilNavigationMap *map,
                             const char         *from,
                             const char         *to)
{
  MapEvent *event = map && from ? g_hash_table_lookup (map->events, from) : NULL;

  return event != NULL && to != NULL && g_hash_table_contains (event->next, to);
}

const char *
vigil_navigation_map_get_screen (VigilNavigationMap *map,
                                 const char         *event_id)
{
  MapEvent *event = map && event_id ? g_hash_table_lookup (map->events, event_id) : NULL;

  return event ? event->screen : NULL;
}

/* The model */

struct _VigilNavigationModel
{
  VigilNavigationMap *map;          /* nullable */
  GHashTable         *pairs;        /* "from\x1fto" → count */
  GHashTable         *totals;       /* from → count */
  GHashTable         *symbols;      /* symbols not in the map */
  GHashTable         *dwell;        /* screen → VigilRunningStats of ln (dwell ms) */
  guint               transitions;
};

VigilNavigationModel *
vigil_navigation_model_new (VigilNavigationMap *map)
{
  VigilNavigationModel *model = g_new0 (VigilNavigationModel, 1);

  model->map = map ? vigil_navigation_map_ref (map) : NULL;
  model->pairs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  model->totals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  model->symbols = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  model->dwell = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return model;
}

void
vigil_navigation_model_free (VigilNavigationModel *model)
{
  if (model == NULL)
    return;
  g_clear_pointer (&model->map, vigil_navigation_map_unref);
  g_hash_table_unref (model->pairs);
  g_hash_table_unref (model->totals);
  g_hash_table_unref (model->symbols);
  g_hash_table_unref (model->dwell);
  g_free (model);
}

static char *
pair_key (const char *from,
          const char *to)
{
  return g_strconcat (from, "\x1f", to, NULL);
}

static void
note_symbol (VigilNavigationModel *model,
             const char           *symbol)
{
  if (!vigil_navigation_map_has_event (model->map, symbol) && !g_hash_table_contains (model->symbols, symbol))
    g_hash_table_add (model->symbols, g_strdup (symbol));
}

static void
add_count (VigilNavigationModel *model,
           const char           *from,
           const char           *to,
           guint                 count)
{
  char *key = pair_key (from, to);
  guint pair = GPOINTER_TO_UINT (g_hash_table_lookup (model->pairs, key));
  guint total = GPOINTER_TO_UINT (g_hash_table_lookup (model->totals, from));

  g_hash_table_replace (model->pairs, key, GUINT_TO_POINTER (pair + count));
  g_hash_table_replace (model->totals, g_strdup (from), GUINT_TO_POINTER (total + count));
  note_symbol (model, from);
  note_symbol (model, to);
  model->transitions += count;
}

void
vigil_navigation_model_add (VigilNavigationModel *model,
                            const char           *from,
                            const char           *to)
{
  g_return_if_fail (model != NULL && from != NULL && to != NULL);

  add_count (model, from, to, 1);
}

void
vigil_navigation_model_add_dwell (VigilNavigationModel *model,
                                  const char           *screen,
                                  double                dwell_ms)
{
  VigilRunningStats *stats = g_hash_table_lookup (model->dwell, screen);

  if (stats == NULL)
    {
      stats = g_new0 (VigilRunningStats, 1);
      vigil_running_stats_init (stats);
      g_hash_table_insert (model->dwell, g_strdup (screen), stats);
    }
  vigil_running_stats_add (stats, log (CLAMP (dwell_ms, 1.0, MAX_DWELL_MS)));
}

guint
vigil_navigation_model_get_count (VigilNavigationModel *model,
                                  const char           *from,
                                  const char           *to)
{
  g_autofree char *key = pair_key (from, to);

  return GPOINTER_TO_UINT (g_hash_table_lookup (model->pairs, key));
}

guint
vigil_navigation_model_get_transitions (VigilNavigationModel *model)
{
  return model->transitions;
}

double
vigil_navigation_model_probability (VigilNavigationModel *model,
                                    const char           *from,
                                    const char           *to)
{
  double v = MAX (1, vigil_navigation_map_get_n_events (model->map) + g_hash_table_size (model->symbols));
  guint k = vigil_navigation_map_get_n_next (model->map, from);
  double q, count = vigil_navigation_model_get_count (model, from, to);
  double total = GPOINTER_TO_UINT (g_hash_table_lookup (model->totals, from));

  if (k == 0)
    q = 1 / v;
  else if (vigil_navigation_map_allows (model->map, from, to))
    q = (1 - VIGIL_NAVIGATION_OFF_MAP) / k;
  else
    q = VIGIL_NAVIGATION_OFF_MAP / v;
  return (count + VIGIL_NAVIGATION_PRIOR_WEIGHT * q) / (total + VIGIL_NAVIGATION_PRIOR_WEIGHT);
}

double
vigil_navigation_model_surprise (VigilNavigationModel *model,
                                 const char           *from,
                                 const char           *to)
{
  return -log (vigil_navigation_model_probability (model, from, to));
}

gboolean
vigil_navigation_model_dwell_z (VigilNavigationModel *model,
                                const char           *screen,
                                double                dwell_ms,
                                double               *out_z)
{
  VigilRunningStats *stats = g_hash_table_lookup (model->dwell, screen);
  double sd;

  if (stats == NULL || stats->count < VIGIL_NAVIGATION_MIN_DWELLS)
    return FALSE;
  /* A floor of 0.1 (about 10 % in ln-dwell): a user who always stays the
   * same time does not make every other time infinitely odd. */
  sd = MAX (vigil_running_stats_stddev (stats), 0.1);
  *out_z = (log (CLAMP (dwell_ms, 1.0, MAX_DWELL_MS)) - stats->mean) / sd;
  return TRUE;
}

char *
vigil_navigation_model_to_json (VigilNavigationModel *model)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  GHashTableIter iter;
  gpointer key, value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "transitions");
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, model->pairs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_auto(GStrv) parts = g_strsplit (key, "\x1f", 2);

      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, parts[0]);
      json_builder_add_string_value (builder, parts[1]);
      json_builder_add_int_value (builder, GPOINTER_TO_UINT (value));
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "dwell");
  json_builder_begin_array (builder);
  g_hash_table_iter_init (&iter, model->dwell);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const VigilRunningStats *stats = value;

      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, key);
      json_builder_add_int_value (builder, (gint64) stats->count);
      json_builder_add_double_value (builder, stats->mean);
      json_builder_add_double_value (builder, stats->m2);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
corrupt (GError **error)
{
  g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The navigation history is malformed");
  return FALSE;
}

static JsonArray *
array_member (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
load_rows (VigilNavigationModel *model,
           JsonObject           *root,
           GError              **error)
{
  JsonArray *transitions = array_member (root, "transitions");
  JsonArray *dwell = array_member (root, "dwell");

  for (guint i = 0; i < json_array_get_length (transitions); i++)
    {
      JsonNode *node = json_array_get_element (transitions, i);
      JsonArray *row = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
      const char *from, *to;
      double count;

      if (row == NULL || json_array_get_length (row) != 3 ||
          (from = json_node_get_string (json_array_get_element (row, 0))) == NULL ||
          (to = json_node_get_string (json_array_get_element (row, 1))) == NULL ||
          !vigil_event_fields_node_number (json_array_get_element (row, 2), &count) || count < 0)
        return corrupt (error);
      add_count (model, from, to, (guint) MIN (count, G_MAXUINT / 4));
    }
  for (guint i = 0; i < json_array_get_length (dwell); i++)
    {
      JsonNode *node = json_array_get_element (dwell, i);
      JsonArray *row = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
      VigilRunningStats *stats;
      const char *screen;
      double count, mean, m2;

      if (row == NULL || json_array_get_length (row) != 4 ||
          (screen = json_node_get_string (json_array_get_element (row, 0))) == NULL ||
          !vigil_event_fields_node_number (json_array_get_element (row, 1), &count) ||
          !vigil_event_fields_node_number (json_array_get_element (row, 2), &mean) ||
          !vigil_event_fields_node_number (json_array_get_element (row, 3), &m2) || count < 1 || m2 < 0)
        return corrupt (error);
      stats = g_new0 (VigilRunningStats, 1);
      vigil_running_stats_init (stats);
      stats->count = (guint64) count;
      stats->mean = mean;
      stats->m2 = m2;
      g_hash_table_replace (model->dwell, g_strdup (screen), stats);
    }
  return TRUE;
}

VigilNavigationModel *
vigil_navigation_model_new_from_json (VigilNavigationMap  *map,
                                      const char          *json,
                                      GError             **error)
{
  g_autoptr(JsonNode) root = json_from_string (json, error);
  g_autoptr(VigilNavigationModel) model = NULL;
  JsonObject *object;

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root) || array_member (object = json_node_get_object (root), "transitions") == NULL ||
      array_member (object, "dwell") == NULL)
    {
      corrupt (error);
      return NULL;
    }
  model = vigil_navigation_model_new (map);
  if (!load_rows (model, object, error))
    return NULL;
  return g_steal_pointer (&model);
}

/* A session's windows */

struct _VigilNavigationWindow
{
  VigilNavigationMap *map;
  char               *previous;      /* symbol */
  char               *screen;        /* the screen the user is on */
  double              entered_ms;    /* of the previous step */

  guint               transitions;
  double              surprise_sum;
  double              surprise_max;
  guint               never_seen;
  guint               off_map;
  guint               dwells;
  double              log_dwell_sum;
  guint               zs;
  double              z_sum;
  double              abs_z_sum;
  double              first_ms;
  double              last_ms;
};

VigilNavigationWindow *
vigil_navigation_window_new (VigilNavigationMap *map)
{
  VigilNavigationWindow *window = g_new0 (VigilNavigationWindow, 1);

  window->map = map ? vigil_navigation_map_ref (map) : NULL;
  return window;
}

void
vigil_navigation_window_free (VigilNavigationWindow *window)
{
  if (window == NULL)
    return;
  g_clear_pointer (&window->map, vigil_navigation_map_unref);
  g_free (window->previous);
  g_free (window->screen);
  g_free (window);
}

static gboolean
is_upper_snake (const char *text)
{
  if (text == NULL || !g_ascii_isupper (text[0]))
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isupper (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
is_map_event (VigilNavigationMap *map,
              const char         *id)
{
  return vigil_navigation_map_has_event (map, id) || (map == NULL && is_upper_snake (id));
}

/* The event's navigation symbol (owned by the caller) and the screen it
 * shows (nullable), or NULL when the event is not navigation. The map's
 * event is the event's type (cbsa), or its data's event_id when the type
 * is generic (a button_click on TOUCH_TAB_SAVE); a swipe carries the id
 * of what it happened on, and is a gesture, not a step. The screen is the
 * data's own "screen" when it says, else the map's. */
static char *
symbol_of (VigilNavigationMap  *map,
           const char          *event_type,
           JsonObject          *data,
           char               **out_screen,
           GError             **error)
{
  static const char * const screen_types[] = {
    "page_view", "screen_view", "navigation", "page_switch", "screen_change", "page_enter", "navigation_pattern", NULL,
  };
  g_autofree char *folded = g_ascii_strdown (event_type ? event_type : "", -1);
  const char *id = NULL, *screen = NULL, *symbol = NULL;

  *out_screen = NULL;
  /* Read leniently here: only a page event needs its screen (below). */
  if (data != NULL)
    {
      (void) vigil_event_fields_string (data, N ("event_id", "eventId", "event_name"), &id, NULL);
      (void) vigil_event_fields_string (data, N ("screen", "screen_name", "page", "page_name", "to", "route"),
                                        &screen, NULL);
    }
  if (is_map_event (map, event_type))
    symbol = event_type;
  else if (id != NULL && is_map_event (map, id) && strstr (folded, "swipe") == NULL &&
           strstr (folded, "fling") == NULL)
    symbol = id;

  if (symbol != NULL)
    {
      const char *entered = vigil_navigation_map_get_screen (map, symbol);

      /* A page's own name (PAGE_ENTER_HOME) is not the screen's. */
      *out_screen = g_strdup (screen != NULL && !is_map_event (map, screen) ? screen : entered);
      return g_strdup (symbol);
    }
  if (!g_strv_contains (screen_types, event_type) || data == NULL ||
      !vigil_event_fields_string (data, N ("screen", "screen_name", "page", "page_name", "to", "route"), &screen,
                                  error) || screen == NULL || *screen == '\0')
    return NULL;
  *out_screen = g_strdup (screen);
  return g_strconcat ("screen:", screen, NULL);
}

static void
reset_window (VigilNavigationWindow *window)
{
  window->transitions = 0;
  window->surprise_sum = window->surprise_max = 0;
  window->never_seen = window->off_map = 0;
  window->dwells = window->zs = 0;
  window->log_dwell_sum = window->z_sum = window->abs_z_sum = 0;
}

static void
emit (VigilNavigationWindow *window,
      GPtrArray             *out)
{
  VigilFeatureVector *vector = g_new0 (VigilFeatureVector, 1);
  double n = window->transitions, minutes = (window->last_ms - window->first_ms) / 60000.0;

  vector->modality = VIGIL_MODALITY_NAVIGATION;
  vector->n_features = VIGIL_NAVIGATION_FEATURES;
  vector->values = g_new0 (double, VIGIL_NAVIGATION_FEATURES);
  vector->samples = window->transitions;
  vector->values[0] = window->surprise_sum / n;
  vector->values[1] = window->surprise_max;
  vector->values[2] = window->never_seen / n;
  vector->values[3] = window->off_map / n;
  vector->values[4] = window->dwells ? window->log_dwell_sum / window->dwells : 0;
  vector->values[5] = window->zs ? window->z_sum / window->zs : 0;
  vector->values[6] = window->zs ? window->abs_z_sum / window->zs : 0;
  vector->values[7] = log1p (minutes > 0 ? n / minutes : n);
  g_ptr_array_add (out, vector);
  reset_window (window);
}

/* The time since the previous step, spent on the current screen. */
static void
add_dwell (VigilNavigationWindow *window,
           VigilNavigationModel  *model,
           gboolean               learn,
           double                 time_ms)
{
  double dwell = CLAMP (time_ms - window->entered_ms, 1.0, MAX_DWELL_MS), z;

  window->dwells++;
  window->log_dwell_sum += log1p (dwell / 1000.0);
  if (vigil_navigation_model_dwell_z (model, window->screen, dwell, &z))
    {
      window->zs++;
      window->z_sum += z;
      window->abs_z_sum += fabs (z);
    }
  if (learn)
    vigil_navigation_model_add_dwell (model, window->screen, dwell);
}

gboolean
vigil_navigation_window_add (VigilNavigationWindow *window,
                             VigilNavigationModel  *model,
                             gboolean               learn,
                             const char            *event_type,
                             JsonObject            *data,
                             double                 time_ms,
                             GPtrArray             *out,
                             GError               **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *screen = NULL;
  g_autofree char *symbol = symbol_of (window->map, event_type, data, &screen, &local_error);

  g_return_val_if_fail (window != NULL && model != NULL && out != NULL, FALSE);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (symbol == NULL)
    return TRUE;

  if (window->previous != NULL)
    {
      double surprise = vigil_navigation_model_surprise (model, window->previous, symbol);

      if (window->transitions == 0)
        window->first_ms = time_ms;
      window->last_ms = time_ms;
      window->transitions++;
      window->surprise_sum += surprise;
      window->surprise_max = MAX (window->surprise_max, surprise);
      if (vigil_navigation_model_get_count (model, window->previous, symbol) == 0)
        window->never_seen++;
      if (vigil_navigation_map_get_n_next (window->map, window->previous) > 0 &&
          !vigil_navigation_map_allows (window->map, window->previous, symbol))
        window->off_map++;
      if (learn)
        vigil_navigation_model_add (model, window->previous, symbol);
    }
  if (window->screen != NULL && window->previous != NULL)
    add_dwell (window, model, learn, time_ms);
  window->entered_ms = time_ms;
  if (screen != NULL && g_strcmp0 (screen, window->screen) != 0)
    {
      g_free (window->screen);
      window->screen = g_steal_pointer (&screen);
    }
  g_free (window->previous);
  window->previous = g_steal_pointer (&symbol);

  if (window->transitions >= VIGIL_NAVIGATION_WINDOW)
    emit (window, out);
  return TRUE;
}
