/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-risk-chart"

#include "config.h"

#include "vigil-risk-chart.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "vigil-risk.h"

struct _VigilRiskChart
{
  GtkWidget  parent_instance;

  GArray    *times;    /* gint64 */
  GArray    *risks;    /* double */
};

G_DEFINE_FINAL_TYPE (VigilRiskChart, vigil_risk_chart, GTK_TYPE_WIDGET)

#define PAD 8.0

static void
set_source (cairo_t       *cr,
            const GdkRGBA *color,
            double         alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static void
draw_threshold (cairo_t       *cr,
                double         width,
                double         height,
                double         level,
                const GdkRGBA *color)
{
  double y = PAD + (1.0 - level) * (height - 2 * PAD);
  static const double dash[] = { 4.0, 4.0 };

  cairo_save (cr);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
  cairo_set_line_width (cr, 1.0);
  set_source (cr, color, 0.7);
  cairo_move_to (cr, PAD, y);
  cairo_line_to (cr, width - PAD, y);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* x of point @i: by time when the points span time, else evenly. */
static double
x_of (VigilRiskChart *self,
      guint           i,
      double          width)
{
  guint n = self->times->len;
  gint64 first = g_array_index (self->times, gint64, 0);
  gint64 last = g_array_index (self->times, gint64, n - 1);
  double span = width - 2 * PAD;

  if (n == 1)
    return width - PAD;
  if (last > first)
    return PAD + span * (double) (g_array_index (self->times, gint64, i) - first) / (double) (last - first);
  return PAD + span * i / (n - 1);
}

static void draw_points (VigilRiskChart *self, cairo_t *cr, double width, double plot_h,
                         const GdkRGBA *line_color, const GdkRGBA *warn, const GdkRGBA *bad);

static void
vigil_risk_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  VigilRiskChart *self = VIGIL_RISK_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GdkRGBA fg, warn = { 0.90, 0.65, 0.04, 1 }, bad = { 0.88, 0.11, 0.14, 1 }, line = { 0.21, 0.52, 0.89, 1 };
  cairo_t *cr;
  double plot_h = height - 2 * PAD;

  if (width <= 2 * PAD || height <= 2 * PAD)
    return;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  if (dark)
    line = (GdkRGBA) { 0.47, 0.68, 0.93, 1 };
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  set_source (cr, &fg, 0.06);
  cairo_rectangle (cr, 0, 0, width, height);
  cairo_fill (cr);

  draw_threshold (cr, width, height, VIGIL_RISK_MONITOR_THRESHOLD, &fg);
  draw_threshold (cr, width, height, VIGIL_RISK_SUSPICIOUS_THRESHOLD, &warn);
  draw_threshold (cr, width, height, VIGIL_RISK_HIGH_THRESHOLD, &bad);
  if (self->times->len > 0)
    draw_points (self, cr, width, plot_h, &line, &warn, &bad);
  cairo_destroy (cr);
}

static void
draw_points (VigilRiskChart *self,
             cairo_t        *cr,
             double          width,
             double          plot_h,
             const GdkRGBA  *line_color,
             const GdkRGBA  *warn,
             const GdkRGBA  *bad)
{
  GdkRGBA line = *line_color;

  /* A step line: a risk holds until the next evaluation changes it. */
  cairo_set_line_width (cr, 2.0);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  set_source (cr, &line, 1.0);
  for (guint i = 0; i < self->times->len; i++)
    {
      double x = x_of (self, i, width);
      double y = PAD + (1.0 - CLAMP (g_array_index (self->risks, double, i), 0, 1)) * plot_h;

      if (i == 0)
        cairo_move_to (cr, self->times->len == 1 ? PAD : x, y);
      else
        {
          double y0 = PAD + (1.0 - CLAMP (g_array_index (self->risks, double, i - 1), 0, 1)) * plot_h;

          cairo_line_to (cr, x, y0);
          cairo_line_to (cr, x, y);
        }
      if (self->times->len == 1)
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);

  for (guint i = 0; i < self->times->len; i++)
    {
      double risk = g_array_index (self->risks, double, i);
      double y = PAD + (1.0 - CLAMP (risk, 0, 1)) * plot_h;

      if (risk >= VIGIL_RISK_HIGH_THRESHOLD)
        set_source (cr, bad, 1.0);
      else if (risk >= VIGIL_RISK_SUSPICIOUS_THRESHOLD)
        set_source (cr, warn, 1.0);
      else
        set_source (cr, &line, 1.0);
      cairo_arc (cr, x_of (self, i, width), y, 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

static void
vigil_risk_chart_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 120 : 80;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 320 : 140;
}

static void
vigil_risk_chart_finalize (GObject *object)
{
  VigilRiskChart *self = VIGIL_RISK_CHART (object);

  g_clear_pointer (&self->times, g_array_unref);
  g_clear_pointer (&self->risks, g_array_unref);

  G_OBJECT_CLASS (vigil_risk_chart_parent_class)->finalize (object);
}

static void
vigil_risk_chart_class_init (VigilRiskChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = vigil_risk_chart_finalize;
  widget_class->snapshot = vigil_risk_chart_snapshot;
  widget_class->measure = vigil_risk_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "riskchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
on_dark_changed (VigilRiskChart *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
vigil_risk_chart_init (VigilRiskChart *self)
{
  self->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->risks = g_array_new (FALSE, FALSE, sizeof (double));
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (on_dark_changed), self, G_CONNECT_SWAPPED);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Risk over time"), -1);
}

GtkWidget *
vigil_risk_chart_new (void)
{
  return g_object_new (VIGIL_TYPE_RISK_CHART, NULL);
}

void
vigil_risk_chart_set_points (VigilRiskChart *self,
                             const gint64   *times_us,
                             const double   *risks,
                             guint           n)
{
  g_autofree char *description = NULL;

  g_return_if_fail (VIGIL_IS_RISK_CHART (self));

  g_array_set_size (self->times, 0);
  g_array_set_size (self->risks, 0);
  g_array_append_vals (self->times, times_us, n);
  g_array_append_vals (self->risks, risks, n);

  if (n > 0)
    /* Translators: the chart's description for screen readers */
    description = g_strdup_printf (ngettext ("%u evaluation, latest risk %.2f",
                                             "%u evaluations, latest risk %.2f", n),
                                   n, risks[n - 1]);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description ? description : _("No evaluations yet"), -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
vigil_risk_chart_get_n_points (VigilRiskChart *self)
{
  g_return_val_if_fail (VIGIL_IS_RISK_CHART (self), 0);
  return self->times->len;
}
