/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Live figures about the service (listening URL, connections, request
 * rate) that the API layer reports and the console displays, so that
 * neither has to know the other. */

#define VIGIL_TYPE_METRICS (vigil_metrics_get_type ())
G_DECLARE_FINAL_TYPE (VigilMetrics, vigil_metrics, VIGIL, METRICS, GObject)

typedef enum
{
  VIGIL_CONNECTION_STREAM,
  VIGIL_CONNECTION_MONITOR,
} VigilConnectionKind;

VigilMetrics *vigil_metrics_new                     (void);

const char   *vigil_metrics_get_listen_url          (VigilMetrics        *self);
void          vigil_metrics_set_listen_url          (VigilMetrics        *self,
                                                     const char          *listen_url);

void          vigil_metrics_record_request          (VigilMetrics        *self);
guint64       vigil_metrics_get_requests_total      (VigilMetrics        *self);
double        vigil_metrics_get_requests_per_second (VigilMetrics        *self);

void          vigil_metrics_connection_opened       (VigilMetrics        *self,
                                                     VigilConnectionKind  kind);
void          vigil_metrics_connection_closed       (VigilMetrics        *self,
                                                     VigilConnectionKind  kind);
guint         vigil_metrics_get_active_connections  (VigilMetrics        *self);
guint         vigil_metrics_get_monitor_connections (VigilMetrics        *self);

void          vigil_metrics_set_active_sessions     (VigilMetrics        *self,
                                                     guint                active_sessions);
guint         vigil_metrics_get_active_sessions     (VigilMetrics        *self);

gint64        vigil_metrics_get_uptime_seconds      (VigilMetrics        *self);

G_END_DECLS
