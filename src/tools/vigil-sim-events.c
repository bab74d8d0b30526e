/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A walk over the event-flow map in a person's manner. Each step follows
 * the map's nextEvents, weighted by the person's habits; now and then the
 * person jumps to a bottom tab the map allows from the current screen. The
 * event kind comes from the map's event id (PAGE_ENTER_, TOUCH_, SCROLL_,
 * KEYSTROKE_ / TYPE_ / PAY_ fields). */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-sim-events.h"

#define TAB_JUMP_SHARE 0.08

typedef struct
{
  char      *id;
  char      *screen;        /* PAGE_ENTER_ events only */
  char      *navigates_to;  /* nullable */
  GPtrArray *next;          /* char *, borrowed from the map's ids */
} MapNode;

struct _VigilSimMap
{
  GHashTable *nodes;          /* id → MapNode */
  GHashTable *enter_by_screen; /* screen → PAGE_ENTER_ id */
  GHashTable *transitions;    /* "home" → GPtrArray of screens */
  char       *home;           /* the PAGE_ENTER_ of the first screen */
};

static const char * const home_words[] = {
  "the", "there", "other", "another", "thanks", "weather", "internet", "rent", "transfer",
  "statement", "account", "balance", "interest", "heather", "anthony", "catherine", "jonathan",
  "martin", "reena", "ronan", "karan", "anand", "sharath", "hemanth", "bharat", "electricity",
  "recharge", "insurance", "mother", "brother", "gold", "loan", "fixed deposit", "credit card",
};

static void
map_node_free (gpointer data)
{
  MapNode *node = data;

  g_free (node->id);
  g_free (node->screen);
  g_free (node->navigates_to);
  g_ptr_array_unref (node->next);
  g_free (node);
}

void
vigil_sim_map_free (VigilSimMap *map)
{
  if (map == NULL)
    return;
  g_hash_table_unref (map->nodes);
  g_hash_table_unref (map->enter_by_screen);
  g_hash_table_unref (map->transitions);
  g_free (map->home);
  g_free (map);
}

guint
vigil_sim_map_get_size (VigilSimMap *map)
{
  return g_hash_table_size (map->nodes);
}

static const char *
string_or_null (JsonObject *object,
                const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static void
add_group (VigilSimMap *map,
           JsonObject  *group)
{
  JsonObjectIter iter;
  const char *id;
  JsonNode *value;

  json_object_iter_init (&iter, group);
  while (json_object_iter_next (&iter, &id, &value))
    {
      MapNode *node;
      JsonNode *next;

      if (!JSON_NODE_HOLDS_OBJECT (value))
        continue;
      node = g_new0 (MapNode, 1);
      node->id = g_strdup (id);
      node->screen = g_strdup (string_or_null (json_node_get_object (value), "screen"));
      node->navigates_to = g_strdup (string_or_null (json_node_get_object (value), "navigatesTo"));
      node->next = g_ptr_array_new_with_free_func (g_free);
      next = json_object_get_member (json_node_get_object (value), "nextEvents");
      if (next != NULL && JSON_NODE_HOLDS_ARRAY (next))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (next)); i++)
          {
            JsonNode *element = json_array_get_element (json_node_get_array (next), i);

            if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
              g_ptr_array_add (node->next, g_strdup (json_node_get_string (element)));
          }
      if (g_str_has_prefix (id, "PAGE_ENTER_") && node->screen != NULL)
        {
          g_hash_table_replace (map->enter_by_screen, g_strdup (node->screen), g_strdup (id));
          if (map->home == NULL || g_strcmp0 (node->screen, "dashboard") == 0)
            {
              g_free (map->home);
              map->home = g_strdup (id);
            }
        }
      g_hash_table_replace (map->nodes, node->id, node);
    }
}

static void
add_transitions (VigilSimMap *map,
                 JsonObject  *patterns)
{
  JsonNode *node = patterns ? json_object_get_member (patterns, "pageTransitions") : NULL;
  JsonObjectIter iter;
  const char *from;
  JsonNode *value;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &from, &value))
    {
      GPtrArray *targets = g_ptr_array_new_with_free_func (g_free);

      if (JSON_NODE_HOLDS_ARRAY (value))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (value)); i++)
          {
            JsonNode *element = json_array_get_element (json_node_get_array (value), i);

            if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
              g_ptr_array_add (targets, g_strdup (json_node_get_string (element)));
          }
      /* "from_pin_change" → "pin-change", the screens' own spelling. */
      g_hash_table_replace (map->transitions, g_strdelimit (g_strdup (from + (g_str_has_prefix (from, "from_") ? 5 : 0)), "_", '-'),
                            targets);
    }
}

VigilSimMap *
vigil_sim_map_new (const char  *json,
                   gsize        length,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  VigilSimMap *map;
  JsonNode *root, *flow, *patterns;
  JsonObjectIter iter;
  const char *name;
  JsonNode *group;

  if (!json_parser_load_from_data (parser, json, (gssize) length, error))
    return NULL;
  root = json_parser_get_root (parser);
  flow = root && JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "eventFlowMap")
                                               : NULL;
  if (flow == NULL || !JSON_NODE_HOLDS_OBJECT (flow))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the event-flow map has no eventFlowMap object");
      return NULL;
    }

  map = g_new0 (VigilSimMap, 1);
  map->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, map_node_free);
  map->enter_by_screen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  map->transitions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  json_object_iter_init (&iter, json_node_get_object (flow));
  while (json_object_iter_next (&iter, &name, &group))
    if (JSON_NODE_HOLDS_OBJECT (group))
      add_group (map, json_node_get_object (group));
  patterns = json_object_get_member (json_node_get_object (root), "navigationPatterns");
  add_transitions (map, patterns && JSON_NODE_HOLDS_OBJECT (patterns) ? json_node_get_object (patterns) : NULL);

  if (map->home == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the event-flow map has no PAGE_ENTER_ event with a screen to start on");
      vigil_sim_map_free (map);
      return NULL;
    }
  return map;
}

char *
vigil_sim_format_time (gint64 unix_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) precise = g_date_time_add (time, unix_us % G_USEC_PER_SEC);

  return g_date_time_format (precise, "%Y-%m-%dT%H:%M:%S.%fZ");
}

void
vigil_sim_add_context (JsonBuilder          *b,
                       const VigilSimDevice *device,
                       const char           *ip_address)
{
  json_builder_set_member_name (b, "device_id");
  json_builder_add_string_value (b, device->device_id);
  json_builder_set_member_name (b, "device_type");
  json_builder_add_string_value (b, g_str_has_prefix (device->os_version, "iOS") ? "ios" : "android");
  json_builder_set_member_name (b, "device_model");
  json_builder_add_string_value (b, device->device_model);
  json_builder_set_member_name (b, "os_version");
  json_builder_add_string_value (b, device->os_version);
  json_builder_set_member_name (b, "app_version");
  json_builder_add_string_value (b, device->app_version);
  json_builder_set_member_name (b, "network_type");
  json_builder_add_string_value (b, device->network_type);
  json_builder_set_member_name (b, "ip_address");
  json_builder_add_string_value (b, ip_address);
  json_builder_set_member_name (b, "location_data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "latitude");
  json_builder_add_double_value (b, device->latitude);
  json_builder_set_member_name (b, "longitude");
  json_builder_add_double_value (b, device->longitude);
  json_builder_set_member_name (b, "city");
  json_builder_add_string_value (b, device->city);
  json_builder_end_object (b);
}

void
vigil_sim_walk_init (VigilSimWalk            *walk,
                     const VigilSimMap       *map,
                     const VigilSimSignature *signature,
                     const VigilSimDevice    *device,
                     const char              *ip_address,
                     guint32                  seed)
{
  *walk = (VigilSimWalk) {
    .map = map,
    .signature = signature,
    .device = device,
    .ip_address = ip_address,
    .rng = g_rand_new_with_seed (seed),
    .context_next = TRUE,
  };
}

void
vigil_sim_walk_clear (VigilSimWalk *walk)
{
  g_clear_pointer (&walk->rng, g_rand_free);
}

/* The person's fondness for one event: stable, from the habit seed. */
static double
habit_weight (const VigilSimSignature *signature,
              const char              *id)
{
  guint32 h = g_str_hash (id) ^ (signature->habit_seed * 2654435761u);

  if (signature->bot)
    return 1;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  /* 0.1 to 10, most near 1: a taste, not a rule. */
  return exp (((h % 10000) / 10000.0 - 0.5) * 4.6);
}

static const char *
pick_weighted (VigilSimWalk *walk,
               GPtrArray    *ids)
{
  double sum = 0, target;

  for (guint i = 0; i < ids->len; i++)
    sum += habit_weight (walk->signature, ids->pdata[i]);
  target = g_rand_double (walk->rng) * sum;
  for (guint i = 0; i < ids->len; i++)
    {
      target -= habit_weight (walk->signature, ids->pdata[i]);
      if (target <= 0)
        return ids->pdata[i];
    }
  return ids->pdata[ids->len - 1];
}

static const char *
tab_jump (VigilSimWalk *walk)
{
  const char *from = g_strcmp0 (walk->screen, "dashboard") == 0 ? "home" : walk->screen;
  GPtrArray *targets = from ? g_hash_table_lookup (walk->map->transitions, from) : NULL;
  const char *screen;

  if (targets == NULL || targets->len == 0)
    return NULL;
  screen = pick_weighted (walk, targets);
  return g_hash_table_lookup (walk->map->enter_by_screen, g_strcmp0 (screen, "home") == 0 ? "dashboard" : screen);
}

static const char *
step (VigilSimWalk *walk)
{
  MapNode *node = walk->node ? g_hash_table_lookup (walk->map->nodes, walk->node) : NULL;
  const char *next = NULL;

  if (node == NULL)
    return walk->map->home;
  if (!g_str_has_prefix (node->id, "PAGE_ENTER_") && g_rand_double (walk->rng) < TAB_JUMP_SHARE)
    next = tab_jump (walk);
  if (next == NULL && node->next->len > 0)
    next = pick_weighted (walk, node->next);
  if (next == NULL || !g_hash_table_contains (walk->map->nodes, next))
    next = walk->map->home;
  return next;
}

static guint
screen_kind (const char *screen)
{
  return screen ? g_str_hash (screen) % 8 : 0;
}

static double
draw (VigilSimWalk *walk,
      double        mean,
      double        sd)
{
  if (sd <= 0)
    return mean;
  return vigil_sim_rand_lognormal (walk->rng, mean, sd / mean);
}

static void
add_double (JsonBuilder *b,
            const char  *name,
            double       value,
            double       unit)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, round (value / unit) * unit);
}

static void
add_point (JsonBuilder *b,
           const char  *name,
           double       x,
           double       y)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  json_builder_add_int_value (b, (gint64) round (x));
  json_builder_add_int_value (b, (gint64) round (y));
  json_builder_end_array (b);
}

/* A button's place on the screen: fixed per event id. */
static void
button_centre (const VigilSimWalk *walk,
               const char         *id,
               double             *x,
               double             *y)
{
  guint32 h = g_str_hash (id);

  *x = 80 + (h % 1000) / 1000.0 * (walk->device->screen_w - 160);
  *y = 260 + ((h / 1000) % 1000) / 1000.0 * (walk->device->screen_h - 520);
}

static void
build_touch (VigilSimWalk *walk,
             JsonBuilder  *b,
             const char   *id)
{
  const VigilSimSignature *s = walk->signature;
  double x, y;

  button_centre (walk, id, &x, &y);
  x += s->tap_dx + (s->tap_spread > 0 ? vigil_sim_rand_normal (walk->rng, 0, s->tap_spread) : 0);
  y += s->tap_dy + (s->tap_spread > 0 ? vigil_sim_rand_normal (walk->rng, 0, s->tap_spread) : 0);
  json_builder_set_member_name (b, "button_id");
  json_builder_add_string_value (b, id);
  add_point (b, "coordinates", x, y);
  add_double (b, "pressure", CLAMP (vigil_sim_rand_normal (walk->rng, s->pressure, s->pressure_sd), 0.05, 1), 0.001);
  add_double (b, "size", CLAMP (vigil_sim_rand_normal (walk->rng, s->size, s->size_sd), 0.01, 1), 0.001);
  add_double (b, "duration", draw (walk, s->tap_ms, s->tap_sd), 0.1);
}

static void
build_swipe (VigilSimWalk *walk,
             JsonBuilder  *b,
             double        length,
             gboolean      vertical)
{
  const VigilSimSignature *s = walk->signature;
  double speed = draw (walk, s->swipe_px_s, s->swipe_sd);
  double duration_ms = length / speed * 1000;
  double sign = g_rand_boolean (walk->rng) ? 1 : -1;
  double x0 = walk->device->screen_w * (vertical ? 0.5 : (sign > 0 ? 0.2 : 0.8));
  double y0 = walk->device->screen_h * (vertical ? (sign > 0 ? 0.7 : 0.3) : 0.45);
  double dx = vertical ? 0 : sign * length, dy = vertical ? -sign * length : 0;
  const char *direction = vertical ? (sign > 0 ? "up" : "down") : (sign > 0 ? "right" : "left");

  x0 += s->tap_dx * 2;
  y0 += s->tap_dy * 2;
  add_point (b, "start_coordinates", x0, y0);
  add_point (b, "end_coordinates", x0 + dx, y0 + dy);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, direction);
  add_double (b, "velocity", speed, 0.1);
  add_double (b, "duration", duration_ms, 0.1);
  add_double (b, "pressure", CLAMP (vigil_sim_rand_normal (walk->rng, s->pressure, s->pressure_sd), 0.05, 1), 0.001);
  /* The finger's path, bowed sideways the person's way, faster mid-way. */
  json_builder_set_member_name (b, "trajectory");
  json_builder_begin_array (b);
  for (guint i = 0; i <= 8; i++)
    {
      double f = i / 8.0, eased = (1 - cos (G_PI * f)) / 2, bow = sin (G_PI * f) * s->swipe_curve;

      json_builder_begin_object (b);
      add_double (b, "x", x0 + dx * eased + (vertical ? bow : 0), 1);
      add_double (b, "y", y0 + dy * eased + (vertical ? 0 : bow), 1);
      add_double (b, "t", f * duration_ms, 0.1);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static const char *
typing_field (const char *id)
{
  if (g_str_has_prefix (id, "KEYSTROKE_SEARCH"))
    return "search";
  if (g_str_has_prefix (id, "PAY_RECIPIENT"))
    return "recipient";
  if (g_str_has_prefix (id, "PAY_AMOUNT"))
    return "amount";
  return "pin";
}

static char *
typing_text (VigilSimWalk *walk,
             const char   *field)
{
  if (g_str_equal (field, "amount") || g_str_equal (field, "pin"))
    {
      guint n = g_str_equal (field, "pin") ? 6 : g_rand_int_range (walk->rng, 3, 6);
      GString *digits = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        g_string_append_c (digits, '0' + g_rand_int_range (walk->rng, i == 0 ? 1 : 0, 10));
      return g_string_free (digits, FALSE);
    }
  /* Each person has favourite words: a habit-weighted pick. */
  {
    g_autoptr(GPtrArray) words = g_ptr_array_new ();

    for (guint i = 0; i < G_N_ELEMENTS (home_words); i++)
      g_ptr_array_add (words, (gpointer) home_words[i]);
    return g_strdup (pick_weighted (walk, words));
  }
}

static char *
key_code (char c)
{
  if (g_ascii_isalpha (c))
    return g_strdup_printf ("Key%c", g_ascii_toupper (c));
  if (g_ascii_isdigit (c))
    return g_strdup_printf ("Digit%c", c);
  return g_strdup ("Space");
}

/* Returns how long the typing took, in seconds. */
static double
build_typing (VigilSimWalk *walk,
              JsonBuilder  *b,
              const char   *id,
              gint64        now_us)
{
  const VigilSimSignature *s = walk->signature;
  const char *field = typing_field (id);
  g_autofree char *text = typing_text (walk, field);
  double start_ms = now_us / 1000.0, down = start_ms, last_up = start_ms;
  g_autoptr(GArray) holds = g_array_new (FALSE, FALSE, sizeof (double));
  gsize n = strlen (text);
  int previous = -1;

  json_builder_set_member_name (b, "field");
  json_builder_add_string_value (b, field);
  json_builder_set_member_name (b, "text_length");
  json_builder_add_int_value (b, (gint64) n);
  json_builder_set_member_name (b, "keyEvents");
  json_builder_begin_array (b);
  for (gsize i = 0; i < n; i++)
    {
      int letter = g_ascii_isalpha (text[i]) ? g_ascii_tolower (text[i]) - 'a' : -1;
      double hold = draw (walk, s->hold_ms * (letter >= 0 ? s->letter_bias[letter] : 1), s->hold_sd);
      g_autofree char *code = key_code (text[i]);

      if (i > 0)
        down += MAX (draw (walk, s->flight_ms * (previous >= 0 ? s->digraph_bias[previous] : 1), s->flight_sd), 15);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, code);
      add_double (b, "downTime", down, 0.1);
      add_double (b, "upTime", down + hold, 0.1);
      json_builder_end_object (b);
      g_array_append_val (holds, hold);
      last_up = MAX (last_up, down + hold);
      previous = letter;
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "keystroke_dynamics");
  json_builder_begin_array (b);
  for (guint i = 0; i < holds->len; i++)
    json_builder_add_double_value (b, round (g_array_index (holds, double, i)) / 1000);
  json_builder_end_array (b);
  /* Words of five characters per minute. */
  add_double (b, "typing_speed", last_up > start_ms ? (n / 5.0) / ((last_up - start_ms) / 60000.0) : 0, 0.1);
  return (last_up - start_ms) / 1000.0;
}

static void
build_scroll (VigilSimWalk *walk,
              JsonBuilder  *b)
{
  const VigilSimSignature *s = walk->signature;
  double distance = draw (walk, s->scroll_px, s->scroll_px * 0.25 * (s->bot ? 0 : 1));
  double speed = draw (walk, s->scroll_px_s, s->scroll_px_s * 0.2 * (s->bot ? 0 : 1));

  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, g_rand_double (walk->rng) < 0.75 ? "down" : "up");
  add_double (b, "distance", distance, 1);
  add_double (b, "velocity", speed, 0.1);
  add_double (b, "duration", distance / speed * 1000, 0.1);
}

static const char *
event_type_of (const char *id)
{
  if (g_str_has_prefix (id, "PAGE_ENTER_"))
    return "page_view";
  if (g_str_has_prefix (id, "SCROLL_"))
    return "scroll";
  if (g_str_has_prefix (id, "KEYSTROKE_") || g_str_has_prefix (id, "TYPE_") ||
      g_str_equal (id, "PAY_RECIPIENT") || g_str_equal (id, "PAY_AMOUNT"))
    return "typing_pattern";
  return "button_click";
}

static double
build_data (VigilSimWalk *walk,
            JsonBuilder  *b,
            const char   *event_type,
            gint64        now_us)
{
  const char *id = walk->node;
  double busy_s = 0;

  if (g_str_equal (event_type, "swipe"))
    build_swipe (walk, b, walk->device->screen_w * g_rand_double_range (walk->rng, 0.35, 0.7), FALSE);
  else if (g_str_equal (event_type, "scroll"))
    build_scroll (walk, b);
  else if (g_str_equal (event_type, "typing_pattern"))
    busy_s = build_typing (walk, b, id, now_us);
  else if (g_str_equal (event_type, "button_click"))
    build_touch (walk, b, id);
  else
    {
      json_builder_set_member_name (b, "page_name");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "previous_screen");
      json_builder_add_string_value (b, walk->previous_screen ? walk->previous_screen : "login");
      add_double (b, "dwell_time", walk->screen_since_us ? (now_us - walk->screen_since_us) / 1e6 : 0, 0.001);
      walk->context_next = TRUE;
    }
  if (walk->context_next)
    {
      json_builder_set_member_name (b, "device_info");
      json_builder_begin_object (b);
      vigil_sim_add_context (b, walk->device, walk->ip_address);
      json_builder_end_object (b);
      walk->context_next = FALSE;
    }
  return busy_s;
}

char *
vigil_sim_walk_next (VigilSimWalk *walk,
                     gint64        now_us,
                     double       *out_gap_s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *timestamp = vigil_sim_format_time (now_us);
  const VigilSimSignature *s = walk->signature;
  const char *event_type;
  double busy_s, gap;

  if (walk->swipe_next)
    {
      event_type = "swipe";
      walk->swipe_next = FALSE;
    }
  else
    {
      MapNode *node;

      walk->node = step (walk);
      node = g_hash_table_lookup (walk->map->nodes, walk->node);
      event_type = event_type_of (walk->node);
      if (node->screen != NULL && g_strcmp0 (node->screen, walk->screen) != 0)
        {
          walk->previous_screen = walk->screen;
          walk->screen = node->screen;
        }
      walk->swipe_next = g_str_equal (event_type, "button_click") && g_rand_double (walk->rng) < s->swipe_share;
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event_type");
  json_builder_add_string_value (b, event_type);
  json_builder_set_member_name (b, "timestamp");
  json_builder_add_string_value (b, timestamp);
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event_id");
  json_builder_add_string_value (b, walk->node);
  json_builder_set_member_name (b, "screen");
  json_builder_add_string_value (b, walk->screen);
  busy_s = build_data (walk, b, event_type, now_us);
  json_builder_end_object (b);
  json_builder_end_object (b);
  if (g_str_equal (event_type, "page_view"))
    walk->screen_since_us = now_us;

  gap = s->gap_s * s->dwell_factor[screen_kind (walk->screen)];
  if (s->bot)
    gap = s->gap_s;
  else
    gap = vigil_sim_rand_lognormal (walk->rng, gap, s->gap_cv);
  /* A script's clock does not wait for its own typing. */
  *out_gap_s = s->bot ? gap : busy_s + gap;

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}
