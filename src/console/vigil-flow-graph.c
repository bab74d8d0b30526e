/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-flow-graph"

#include "config.h"

#include "vigil-flow-graph.h"

#include <glib/gi18n.h>
#include <math.h>

#include "vigil-rate-window.h"

#define NODE_WIDTH      128.0
#define NODE_HEIGHT      52.0
#define NODE_RADIUS      10.0
#define DOT_RADIUS        4.0
#define MAX_DOTS        128
#define TRAVEL_US       (700 * 1000)
#define PULSE_US        (400 * 1000)
#define RATE_SPAN_US    (5 * G_USEC_PER_SEC)

typedef struct
{
  double           x, y;          /* centre, in [0, 1] of the drawing area */
  VigilRateWindow  rate;
  char            *rate_text;
  double           risk;          /* < 0: no session there */
  gint64           last_event_us;
  PangoLayout     *title_layout;
  PangoLayout     *rate_layout;
} Node;

typedef struct
{
  guint  from, to;
  gint64 start_us;
} Dot;

struct _VigilFlowGraph
{
  GtkWidget     parent_instance;

  VigilFlowMap *map;
  Node         *nodes;
  guint         n_nodes;
  GArray       *edges;           /* guint pairs: the map's and those seen */
  Dot           dots[MAX_DOTS];
  guint         dots_head;       /* next slot to write */
  guint         dots_live;
  gboolean      dirty;
  guint         tick_id;
  gint64        last_description_us;
  GskRenderNode *edges_node;     /* the curves, redrawn on resize or new edges */
  int           edges_width, edges_height;
};

G_DEFINE_FINAL_TYPE (VigilFlowGraph, vigil_flow_graph, GTK_TYPE_WIDGET)

/* Screens around an ellipse, the first at the top: computed once. */
static void
layout_nodes (VigilFlowGraph *self)
{
  for (guint i = 0; i < self->n_nodes; i++)
    {
      double angle = -G_PI / 2 + 2 * G_PI * i / self->n_nodes;

      self->nodes[i].x = 0.5 + 0.5 * cos (angle);
      self->nodes[i].y = 0.5 + 0.5 * sin (angle);
    }
}

static void
node_centre (VigilFlowGraph *self,
             guint           index,
             double         *x,
             double         *y)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));
  double mx = NODE_WIDTH / 2 + 12, my = NODE_HEIGHT / 2 + 12;

  *x = mx + self->nodes[index].x * MAX (w - 2 * mx, 0);
  *y = my + self->nodes[index].y * MAX (h - 2 * my, 0);
}

/* A curve bowed to one side, so that A→B and B→A are two curves. */
static void
edge_controls (VigilFlowGraph *self,
               guint           from,
               guint           to,
               double          p[8])
{
  double dx, dy, nx, ny;

  node_centre (self, from, &p[0], &p[1]);
  node_centre (self, to, &p[6], &p[7]);
  dx = p[6] - p[0];
  dy = p[7] - p[1];
  nx = -dy * 0.18;
  ny = dx * 0.18;
  p[2] = p[0] + dx / 3 + nx;
  p[3] = p[1] + dy / 3 + ny;
  p[4] = p[0] + 2 * dx / 3 + nx;
  p[5] = p[1] + 2 * dy / 3 + ny;
}

static void
bezier_point (const double p[8],
              double       t,
              double      *x,
              double      *y)
{
  double u = 1 - t;
  double a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;

  *x = a * p[0] + b * p[2] + c * p[4] + d * p[6];
  *y = a * p[1] + b * p[3] + c * p[5] + d * p[7];
}

static gboolean
has_edge (VigilFlowGraph *self,
          guint           from,
          guint           to)
{
  for (guint i = 0; i + 1 < self->edges->len; i += 2)
    if (g_array_index (self->edges, guint, i) == from &&
        g_array_index (self->edges, guint, i + 1) == to)
      return TRUE;
  return FALSE;
}

static void
get_foreground (VigilFlowGraph *self,
                GdkRGBA        *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), color);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
risk_colour (double   risk,
             GdkRGBA *color)
{
  /* The GNOME palette's green, yellow, orange and red at the engine's
   * thresholds. */
  if (risk >= 0.9)
    gdk_rgba_parse (color, "#e01b24");
  else if (risk >= 0.7)
    gdk_rgba_parse (color, "#ff7800");
  else if (risk >= 0.4)
    gdk_rgba_parse (color, "#e5a50a");
  else
    gdk_rgba_parse (color, "#2ec27e");
}

static GskRenderNode *
build_edges_node (VigilFlowGraph *self,
                  int             width,
                  int             height)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  cairo_t *cr;
  GdkRGBA fg;

  get_foreground (self, &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_width (cr, 1.5);
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * 0.22);

  for (guint i = 0; i + 1 < self->edges->len; i += 2)
    {
      double p[8], ax, ay, bx, by, angle;

      edge_controls (self, g_array_index (self->edges, guint, i),
                     g_array_index (self->edges, guint, i + 1), p);
      cairo_move_to (cr, p[0], p[1]);
      cairo_curve_to (cr, p[2], p[3], p[4], p[5], p[6], p[7]);
      cairo_stroke (cr);

      /* An arrow head where the curve meets the target's box. */
      bezier_point (p, 0.78, &ax, &ay);
      bezier_point (p, 0.74, &bx, &by);
      angle = atan2 (ay - by, ax - bx);
      cairo_move_to (cr, ax, ay);
      cairo_line_to (cr, ax - 8 * cos (angle - 0.4), ay - 8 * sin (angle - 0.4));
      cairo_move_to (cr, ax, ay);
      cairo_line_to (cr, ax - 8 * cos (angle + 0.4), ay - 8 * sin (angle + 0.4));
      cairo_stroke (cr);
    }
  cairo_destroy (cr);

  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

static void
snapshot_node (VigilFlowGraph *self,
               GtkSnapshot    *snapshot,
               guint           index,
               const GdkRGBA  *fg,
               gint64          now_us)
{
  Node *node = &self->nodes[index];
  double cx, cy;
  GskRoundedRect outline;
  GdkRGBA base, fill = *fg, border, text = *fg;
  float widths[4] = { 2, 2, 2, 2 };
  double pulse = 0;
  int lw, lh;

  node_centre (self, index, &cx, &cy);
  gsk_rounded_rect_init_from_rect (&outline,
                                   &GRAPHENE_RECT_INIT (cx - NODE_WIDTH / 2, cy - NODE_HEIGHT / 2,
                                                        NODE_WIDTH, NODE_HEIGHT),
                                   NODE_RADIUS);

  if (node->risk >= 0)
    risk_colour (node->risk, &border);
  else
    border = (GdkRGBA) { fg->red, fg->green, fg->blue, fg->alpha * 0.3f };

  if (node->last_event_us > 0 && now_us - node->last_event_us < PULSE_US)
    pulse = 1.0 - (double) (now_us - node->last_event_us) / PULSE_US;
  fill.alpha = fg->alpha * (float) (0.06 + 0.10 * pulse);

  /* Opaque, so that the curves pass under the boxes. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (GTK_WIDGET (self)),
                                       "window_bg_color", &base))
    base = (GdkRGBA) { 1 - fg->red, 1 - fg->green, 1 - fg->blue, 1 };
  G_GNUC_END_IGNORE_DEPRECATIONS

  gtk_snapshot_push_rounded_clip (snapshot, &outline);
  gtk_snapshot_append_color (snapshot, &base, &outline.bounds);
  gtk_snapshot_append_color (snapshot, &fill, &outline.bounds);
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_append_border (snapshot, &outline, widths,
                              (GdkRGBA[4]) { border, border, border, border });

  pango_layout_get_pixel_size (node->title_layout, &lw, &lh);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (cx - lw / 2.0), (float) (cy - lh)));
  gtk_snapshot_append_layout (snapshot, node->title_layout, &text);
  gtk_snapshot_restore (snapshot);

  text.alpha = fg->alpha * 0.7f;
  pango_layout_get_pixel_size (node->rate_layout, &lw, &lh);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) (cx - lw / 2.0), (float) cy + 2));
  gtk_snapshot_append_layout (snapshot, node->rate_layout, &text);
  gtk_snapshot_restore (snapshot);
}

static void
snapshot_dots (VigilFlowGraph *self,
               GtkSnapshot    *snapshot,
               gint64          now_us)
{
  GdkRGBA accent;

  gdk_rgba_parse (&accent, "#3584e4");
  for (guint i = 0; i < MAX_DOTS; i++)
    {
      Dot *dot = &self->dots[i];
      double p[8], x, y, t;
      GskRoundedRect circle;

      if (dot->start_us == 0 || now_us - dot->start_us >= TRAVEL_US)
        continue;

      t = (double) MAX (now_us - dot->start_us, 0) / TRAVEL_US;
      edge_controls (self, dot->from, dot->to, p);
      bezier_point (p, t, &x, &y);
      gsk_rounded_rect_init_from_rect (&circle,
                                       &GRAPHENE_RECT_INIT ((float) (x - DOT_RADIUS), (float) (y - DOT_RADIUS),
                                                            2 * DOT_RADIUS, 2 * DOT_RADIUS),
                                       DOT_RADIUS);
      gtk_snapshot_push_rounded_clip (snapshot, &circle);
      gtk_snapshot_append_color (snapshot, &accent, &circle.bounds);
      gtk_snapshot_pop (snapshot);
    }
}

static void
vigil_flow_graph_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  VigilFlowGraph *self = VIGIL_FLOW_GRAPH (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gint64 now_us = clock ? gdk_frame_clock_get_frame_time (clock) : g_get_monotonic_time ();
  GdkRGBA fg;

  if (width <= 0 || height <= 0 || self->n_nodes == 0)
    return;

  get_foreground (self, &fg);

  if (self->edges_node == NULL || self->edges_width != width || self->edges_height != height)
    {
      g_clear_pointer (&self->edges_node, gsk_render_node_unref);
      self->edges_node = build_edges_node (self, width, height);
      self->edges_width = width;
      self->edges_height = height;
    }
  if (self->edges_node != NULL)
    gtk_snapshot_append_node (snapshot, self->edges_node);

  snapshot_dots (self, snapshot, now_us);
  for (guint i = 0; i < self->n_nodes; i++)
    snapshot_node (self, snapshot, i, &fg, now_us);
}

static char *
format_rate (double rate)
{
  /* Translators: events a second on a screen of the event-flow map */
  return g_strdup_printf (_("%.1f/s"), rate);
}

static void
update_description (VigilFlowGraph *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->n_nodes; i++)
    {
      if (i > 0)
        g_string_append (text, ", ");
      /* Translators: a screen of the event-flow map and its event rate, "cards 12.0/s" */
      g_string_append_printf (text, _("%s %s"), vigil_flow_map_get_screen_name (self->map, i),
                              self->nodes[i].rate_text);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text->str, -1);
}

/* Once a frame: the rates move on, the dots travel; redraw only then. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  VigilFlowGraph *self = VIGIL_FLOW_GRAPH (widget);
  gint64 now_us = gdk_frame_clock_get_frame_time (clock);
  gboolean redraw = self->dirty;
  guint live = 0;

  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *node = &self->nodes[i];
      g_autofree char *text = format_rate (vigil_rate_window_rate (&node->rate, now_us));

      if (g_strcmp0 (text, node->rate_text) != 0)
        {
          g_free (node->rate_text);
          node->rate_text = g_steal_pointer (&text);
          pango_layout_set_text (node->rate_layout, node->rate_text, -1);
          redraw = TRUE;
        }
      if (node->last_event_us > 0 && now_us - node->last_event_us < PULSE_US + 50000)
        redraw = TRUE;
    }

  for (guint i = 0; i < MAX_DOTS; i++)
    if (self->dots[i].start_us != 0 && now_us - self->dots[i].start_us < TRAVEL_US + 50000)
      live++;
  self->dots_live = live;

  if (redraw || live > 0)
    gtk_widget_queue_draw (widget);
  self->dirty = FALSE;

  /* What the boxes say, for screen readers: once a second is plenty. */
  if (now_us - self->last_description_us >= G_USEC_PER_SEC)
    {
      self->last_description_us = now_us;
      update_description (self);
    }

  return G_SOURCE_CONTINUE;
}

static void
update_layouts (VigilFlowGraph *self)
{
  PangoAttrList *bold = pango_attr_list_new ();

  pango_attr_list_insert (bold, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *node = &self->nodes[i];

      g_clear_object (&node->title_layout);
      g_clear_object (&node->rate_layout);
      node->title_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self),
                                                           vigil_flow_map_get_screen_name (self->map, i));
      pango_layout_set_attributes (node->title_layout, bold);
      pango_layout_set_width (node->title_layout, (int) ((NODE_WIDTH - 12) * PANGO_SCALE));
      pango_layout_set_ellipsize (node->title_layout, PANGO_ELLIPSIZE_END);
      node->rate_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), node->rate_text);
    }
  pango_attr_list_unref (bold);
}

static void
vigil_flow_graph_css_changed (GtkWidget         *widget,
                              GtkCssStyleChange *change)
{
  VigilFlowGraph *self = VIGIL_FLOW_GRAPH (widget);

  GTK_WIDGET_CLASS (vigil_flow_graph_parent_class)->css_changed (widget, change);

  /* Dark mode or a new font: new colours and text metrics. */
  g_clear_pointer (&self->edges_node, gsk_render_node_unref);
  update_layouts (self);
  gtk_widget_queue_draw (widget);
}

static void
vigil_flow_graph_map (GtkWidget *widget)
{
  VigilFlowGraph *self = VIGIL_FLOW_GRAPH (widget);

  GTK_WIDGET_CLASS (vigil_flow_graph_parent_class)->map (widget);

  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (widget, tick_cb, NULL, NULL);
}

static void
vigil_flow_graph_unmap (GtkWidget *widget)
{
  VigilFlowGraph *self = VIGIL_FLOW_GRAPH (widget);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }

  GTK_WIDGET_CLASS (vigil_flow_graph_parent_class)->unmap (widget);
}

static void
vigil_flow_graph_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  /* Three boxes across and down at the least; more room spreads them. */
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = (int) (3 * NODE_WIDTH + 48);
      *natural = (int) (5 * NODE_WIDTH);
    }
  else
    {
      *minimum = (int) (4 * NODE_HEIGHT + 48);
      *natural = (int) (8 * NODE_HEIGHT);
    }
}

static void
vigil_flow_graph_finalize (GObject *object)
{
  VigilFlowGraph *self = (VigilFlowGraph *)object;

  for (guint i = 0; i < self->n_nodes; i++)
    {
      g_free (self->nodes[i].rate_text);
      g_clear_object (&self->nodes[i].title_layout);
      g_clear_object (&self->nodes[i].rate_layout);
    }
  g_free (self->nodes);
  g_clear_pointer (&self->edges, g_array_unref);
  g_clear_pointer (&self->edges_node, gsk_render_node_unref);
  g_clear_pointer (&self->map, vigil_flow_map_unref);

  G_OBJECT_CLASS (vigil_flow_graph_parent_class)->finalize (object);
}

static void
vigil_flow_graph_class_init (VigilFlowGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = vigil_flow_graph_finalize;

  widget_class->snapshot = vigil_flow_graph_snapshot;
  widget_class->measure = vigil_flow_graph_measure;
  widget_class->map = vigil_flow_graph_map;
  widget_class->unmap = vigil_flow_graph_unmap;
  widget_class->css_changed = vigil_flow_graph_css_changed;

  gtk_widget_class_set_css_name (widget_class, "flowgraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
vigil_flow_graph_init (VigilFlowGraph *self)
{
  self->edges = g_array_new (FALSE, FALSE, sizeof (guint));
}

/**
 * vigil_flow_graph_new:
 * @map: the event-flow map to draw
 *
 * Returns: (transfer floating): a new graph
 */
GtkWidget *
vigil_flow_graph_new (VigilFlowMap *map)
{
  VigilFlowGraph *self;

  g_return_val_if_fail (map != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_FLOW_GRAPH, NULL);
  self->map = vigil_flow_map_ref (map);
  self->n_nodes = vigil_flow_map_get_n_screens (map);
  self->nodes = g_new0 (Node, self->n_nodes);
  for (guint i = 0; i < self->n_nodes; i++)
    {
      vigil_rate_window_init (&self->nodes[i].rate, RATE_SPAN_US);
      self->nodes[i].risk = -1;
      self->nodes[i].rate_text = format_rate (0);
    }
  for (guint i = 0; i < vigil_flow_map_get_n_edges (map); i++)
    {
      guint from, to;

      vigil_flow_map_get_edge (map, i, &from, &to);
      g_array_append_val (self->edges, from);
      g_array_append_val (self->edges, to);
    }
  layout_nodes (self);
  update_layouts (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Event-flow map"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Screens of the banking app, the moves between them and the live event rate on each"),
                                  -1);
  return GTK_WIDGET (self);
}

void
vigil_flow_graph_count_event (VigilFlowGraph *self,
                              guint           screen,
                              gint64          now_us)
{
  g_return_if_fail (VIGIL_IS_FLOW_GRAPH (self));
  g_return_if_fail (screen < self->n_nodes);

  vigil_rate_window_add (&self->nodes[screen].rate, now_us, 1);
  self->nodes[screen].last_event_us = now_us;
  self->dirty = TRUE;
}

void
vigil_flow_graph_add_traversal (VigilFlowGraph *self,
                                guint           from,
                                guint           to,
                                gint64          now_us)
{
  Dot *dot;

  g_return_if_fail (VIGIL_IS_FLOW_GRAPH (self));
  g_return_if_fail (from < self->n_nodes && to < self->n_nodes);

  /* A move the map does not list still happened: draw its curve too. */
  if (!has_edge (self, from, to))
    {
      g_array_append_val (self->edges, from);
      g_array_append_val (self->edges, to);
      g_clear_pointer (&self->edges_node, gsk_render_node_unref);
    }

  /* Past MAX_DOTS in flight, the oldest dot gives way. */
  dot = &self->dots[self->dots_head];
  dot->from = from;
  dot->to = to;
  dot->start_us = now_us;
  self->dots_head = (self->dots_head + 1) % MAX_DOTS;
  self->dirty = TRUE;
}

void
vigil_flow_graph_set_screen_risk (VigilFlowGraph *self,
                                  guint           screen,
                                  double          risk)
{
  g_return_if_fail (VIGIL_IS_FLOW_GRAPH (self));
  g_return_if_fail (screen < self->n_nodes);

  if (self->nodes[screen].risk == risk)
    return;
  self->nodes[screen].risk = risk;
  self->dirty = TRUE;
}

double
vigil_flow_graph_get_screen_rate (VigilFlowGraph *self,
                                  guint           screen,
                                  gint64          now_us)
{
  g_return_val_if_fail (VIGIL_IS_FLOW_GRAPH (self), 0);
  g_return_val_if_fail (screen < self->n_nodes, 0);

  return vigil_rate_window_rate (&self->nodes[screen].rate, now_us);
}

char *
vigil_flow_graph_dup_rate_text (VigilFlowGraph *self,
                                guint           screen)
{
  g_return_val_if_fail (VIGIL_IS_FLOW_GRAPH (self), NULL);
  g_return_val_if_fail (screen < self->n_nodes, NULL);

  return g_strdup (self->nodes[screen].rate_text);
}
