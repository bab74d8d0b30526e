/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A paced cbsa client for the UI benchmark and for demo data: sessions
 * that walk the event-flow map (an entry event, then events of that
 * screen, now and then another screen's entry), sent over WS /ws/behaviour
 * at a fixed total rate on the thread-default main context. */
typedef struct
{
  const char *url;            /* http://host:port */
  GBytes     *flow_map;       /* the map's JSON */
  double      rate;           /* events a second, all connections together */
  double      duration_s;
  guint       connections;
  guint       sessions;       /* spread over the connections */
  guint32     seed;
} VigilFlowClientOptions;

typedef struct
{
  guint   connections_ok;
  guint64 sent;
  guint64 acked;
  double  elapsed_s;
} VigilFlowClientResult;

gboolean vigil_flow_client_run (const VigilFlowClientOptions *options,
                                VigilFlowClientResult        *result,
                                GError                      **error);

G_END_DECLS
