/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The load generator behind vigil-load and vigil-bench-stream: N
 * WebSocket connections over the real API on the thread-default main
 * context, each streaming events with a window of unacknowledged ones. */

typedef enum
{
  VIGIL_LOAD_MODE_CBSA,     /* /ws/behaviour with a session_id per connection */
  VIGIL_LOAD_MODE_CANARA,   /* register, login, verify-mpin, /api/v1/ws/behavior/{id} */
} VigilLoadMode;

typedef enum
{
  VIGIL_LOAD_PHASE_CONNECTED,   /* every connection is open, none has streamed */
  VIGIL_LOAD_PHASE_STREAMED,    /* every event is answered; the sockets are still open */
  VIGIL_LOAD_PHASE_CLOSED,      /* every socket is closed */
} VigilLoadPhase;

typedef void (*VigilLoadPhaseFunc) (VigilLoadPhase phase,
                                    gpointer       user_data);

typedef struct
{
  const char        *url;                    /* http://host:port */
  VigilLoadMode      mode;
  guint              connections;
  guint              events_per_connection;  /* 0: until duration_s */
  double             duration_s;             /* 0: events_per_connection only */
  guint              window;                 /* unacknowledged events per connection */
  guint              payload_bytes;          /* padding in each event's data */
  guint32            seed;
  const char        *password;
  const char        *mpin;
  gboolean           offer_deflate;          /* offer permessage-deflate, as node's ws does */
  guint              connect_concurrency;    /* connections logging in at once; 0: all (default 64) */
  double             timeout_s;              /* the whole run */
  VigilLoadPhaseFunc phase_func;
  gpointer           phase_data;
} VigilLoadOptions;

typedef struct
{
  guint    connections_ok;
  guint    connections_failed;
  guint64  events_sent;
  guint64  events_acked;
  guint64  events_refused;     /* answered with an error */
  double   connect_s;          /* from the start until every connection was open; < 0: never */
  double   stream_s;           /* from the first send to the last answer */
  double   events_per_s;       /* acknowledged */
  double   latency_p50_ms;
  double   latency_p99_ms;
  double   latency_max_ms;
  guint    rate_limited;       /* logins answered 429 */
  char    *first_error;        /* nullable */
} VigilLoadResult;

void      vigil_load_options_init  (VigilLoadOptions       *options);

/* Runs the whole load on the thread-default main context and returns
 * when every connection is done. FALSE only when the run could not start
 * at all; failed connections are counted in @result. */
gboolean  vigil_load_run           (const VigilLoadOptions *options,
                                    VigilLoadResult        *result,
                                    GError                **error);

/* Every connection opened and every event sent was acknowledged. */
gboolean  vigil_load_result_is_complete (const VigilLoadOptions *options,
                                         const VigilLoadResult  *result);
void      vigil_load_result_clear  (VigilLoadResult        *result);

const char *vigil_load_mode_to_string (VigilLoadMode mode);

G_END_DECLS
