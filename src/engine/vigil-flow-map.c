/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-flow-map"

#include "config.h"

#include "vigil-flow-map.h"

#include <json-glib/json-glib.h>

#include "vigil-error.h"

typedef struct
{
  char       *description;
  JsonArray  *next;          /* nullable */
  char       *navigates_to;  /* nullable */
  int         screen;
  gboolean    enters;
} EventInfo;

struct _VigilFlowMap
{
  gatomicrefcount  ref_count;
  GPtrArray       *screens;   /* char * */
  GHashTable      *events;    /* event type → EventInfo */
  GArray          *edges;     /* guint pairs: from, to */
};

G_DEFINE_BOXED_TYPE (VigilFlowMap, vigil_flow_map, vigil_flow_map_ref, vigil_flow_map_unref)

static void
event_info_free (gpointer data)
{
  EventInfo *info = data;

  g_free (info->description);
  g_free (info->navigates_to);
  g_clear_pointer (&info->next, json_array_unref);
  g_free (info);
}

static guint
ensure_screen (VigilFlowMap *self,
               const char   *name)
{
  guint index;

  if (g_ptr_array_find_with_equal_func (self->screens, name, g_str_equal, &index))
    return index;

  g_ptr_array_add (self->screens, g_strdup (name));
  return self->screens->len - 1;
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* First pass: every event, and the screens that entry events name. */
static void
read_events (VigilFlowMap *self,
             JsonObject   *map)
{
  g_autoptr(GList) groups = json_object_get_members (map);

  for (GList *g = groups; g != NULL; g = g->next)
    {
      JsonNode *group_node = json_object_get_member (map, g->data);
      g_autoptr(GList) names = NULL;
      JsonObject *group;

      if (!JSON_NODE_HOLDS_OBJECT (group_node))
        continue;
      group = json_node_get_object (group_node);
      names = json_object_get_members (group);

      for (GList *n = names; n != NULL; n = n->next)
        {
          JsonNode *node = json_object_get_member (group, n->data);
          JsonObject *object;
          JsonNode *next;
          EventInfo *info;
          const char *screen;

          /* An event listed in two groups keeps its first description. */
          if (!JSON_NODE_HOLDS_OBJECT (node) || g_hash_table_contains (self->events, n->data))
            continue;
          object = json_node_get_object (node);

          info = g_new0 (EventInfo, 1);
          info->screen = -1;
          info->description = g_strdup (member_string (object, "description"));
          info->navigates_to = g_strdup (member_string (object, "navigatesTo"));
          next = json_object_get_member (object, "nextEvents");
          if (next != NULL && JSON_NODE_HOLDS_ARRAY (next))
            info->next = json_array_ref (json_node_get_array (next));

          screen = member_string (object, "screen");
          if (screen != NULL && *screen != '\0')
            {
              info->screen = (int) ensure_screen (self, screen);
              info->enters = TRUE;
            }
          g_hash_table_insert (self->events, g_strdup (n->data), info);
        }
    }
}

/* Second pass: breadth first from each entry event through nextEvents,
 * without crossing into another entry; an event joins the first screen
 * that reaches it. */
static void
assign_screens (VigilFlowMap *self)
{
  GHashTableIter iter;
  gpointer key, value;
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->events);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((EventInfo *) value)->enters)
      g_ptr_array_add (entries, value);

  /* Hash order is arbitrary: go through entries in screen order. */
  for (guint s = 0; s < self->screens->len; s++)
    for (guint e = 0; e < entries->len; e++)
      {
        EventInfo *entry = g_ptr_array_index (entries, e);
        g_autoptr(GQueue) queue = NULL;

        if (entry->screen != (int) s)
          continue;
        queue = g_queue_new ();
        g_queue_push_tail (queue, entry);
        while (!g_queue_is_empty (queue))
          {
            EventInfo *info = g_queue_pop_head (queue);
            guint n = info->next ? json_array_get_length (info->next) : 0;

            for (guint i = 0; i < n; i++)
              {
                const char *name = json_array_get_string_element (info->next, i);
                EventInfo *next = name ? g_hash_table_lookup (self->events, name) : NULL;

                if (next == NULL || next->enters || next->screen >= 0)
                  continue;
                next->screen = (int) s;
                g_queue_push_tail (queue, next);
              }
          }
      }
}

static void
add_edge (VigilFlowMap *self,
          guint         from,
          guint         to)
{
  if (from == to || vigil_flow_map_find_edge (self, from, to) >= 0)
    return;

  g_array_append_val (self->edges, from);
  g_array_append_val (self->edges, to);
}

static void
find_edges (VigilFlowMap *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->events);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      EventInfo *info = value;
      guint n = info->next ? json_array_get_length (info->next) : 0;

      if (info->screen < 0)
        continue;
      if (info->navigates_to != NULL && *info->navigates_to != '\0')
        add_edge (self, (guint) info->screen, ensure_screen (self, info->navigates_to));
      for (guint i = 0; i < n; i++)
        {
          const char *name = json_array_get_string_element (info->next, i);
          EventInfo *next = name ? g_hash_table_lookup (self->events, name) : NULL;

          if (next != NULL && next->enters)
            add_edge (self, (guint) info->screen, (guint) next->screen);
        }
    }
}

VigilFlowMap *
vigil_flow_map_new_from_bytes (GBytes  *bytes,
                               GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(VigilFlowMap) self = NULL;
  g_autoptr(GError) local_error = NULL;
  gconstpointer data;
  gsize size;
  JsonNode *root, *map = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (!json_parser_load_from_data (parser, data, (gssize) size, &local_error))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The event-flow map is not JSON: %s", local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    map = json_object_get_member (json_node_get_object (root), "eventFlowMap");
  if (map == NULL || !JSON_NODE_HOLDS_OBJECT (map))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "The event-flow map has no \"eventFlowMap\" object");
      return NULL;
    }

  self = g_new0 (VigilFlowMap, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->screens = g_ptr_array_new_with_free_func (g_free);
  self->events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, event_info_free);
  self->edges = g_array_new (FALSE, FALSE, sizeof (guint));

  read_events (self, json_node_get_object (map));
  if (self->screens->len == 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "The event-flow map names no screen");
      return NULL;
    }
  assign_screens (self);
  find_edges (self);

  return g_steal_pointer (&self);
}

VigilFlowMap *
vigil_flow_map_ref (VigilFlowMap *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
vigil_flow_map_unref (VigilFlowMap *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_ptr_array_unref (self->screens);
  g_hash_table_unref (self->events);
  g_array_unref (self->edges);
  g_free (self);
}

guint
vigil_flow_map_get_n_screens (VigilFlowMap *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->screens->len;
}

const char *
vigil_flow_map_get_screen_name (VigilFlowMap *self,
                                guint         screen)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (screen < self->screens->len, NULL);

  return g_ptr_array_index (self->screens, screen);
}

int
vigil_flow_map_lookup_event (VigilFlowMap *self,
                             const char   *event_type,
                             gboolean     *out_enters)
{
  EventInfo *info;

  g_return_val_if_fail (self != NULL, -1);

  info = event_type ? g_hash_table_lookup (self->events, event_type) : NULL;
  if (out_enters != NULL)
    *out_enters = info != NULL && info->enters;
  return info != NULL ? info->screen : -1;
}

const char *
vigil_flow_map_get_description (VigilFlowMap *self,
                                const char   *event_type)
{
  EventInfo *info;

  g_return_val_if_fail (self != NULL, NULL);

  info = event_type ? g_hash_table_lookup (self->events, event_type) : NULL;
  return info != NULL ? info->description : NULL;
}

guint
vigil_flow_map_get_n_edges (VigilFlowMap *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->edges->len / 2;
}

void
vigil_flow_map_get_edge (VigilFlowMap *self,
                         guint         edge,
                         guint        *out_from,
                         guint        *out_to)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (edge < self->edges->len / 2);

  *out_from = g_array_index (self->edges, guint, 2 * edge);
  *out_to = g_array_index (self->edges, guint, 2 * edge + 1);
}

int
vigil_flow_map_find_edge (VigilFlowMap *self,
                          guint         from,
                          guint         to)
{
  g_return_val_if_fail (self != NULL, -1);

  for (guint i = 0; i + 1 < self->edges->len; i += 2)
    if (g_array_index (self->edges, guint, i) == from &&
        g_array_index (self->edges, guint, i + 1) == to)
      return (int) (i / 2);
  return -1;
}
