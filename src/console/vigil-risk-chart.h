/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A session's risk over time: a line over [0, 1] with the monitor,
 * step-up and block thresholds marked. Drawn in one snapshot, no timers. */
#define VIGIL_TYPE_RISK_CHART (vigil_risk_chart_get_type ())
G_DECLARE_FINAL_TYPE (VigilRiskChart, vigil_risk_chart, VIGIL, RISK_CHART, GtkWidget)

GtkWidget *vigil_risk_chart_new        (void);
/* @times_us and @risks hold @n points, oldest first; copied. */
void       vigil_risk_chart_set_points (VigilRiskChart *self,
                                        const gint64   *times_us,
                                        const double   *risks,
                                        guint           n);
guint      vigil_risk_chart_get_n_points (VigilRiskChart *self);

G_END_DECLS
