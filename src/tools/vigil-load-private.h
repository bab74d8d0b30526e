/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What the files of the load generator (vigil-load-client.c,
 * vigil-load-conn.c, vigil-load-login.c) share: a run, its connections,
 * and the steps that pass a connection from one file to the next. */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-load-client.h"

G_BEGIN_DECLS

typedef enum
{
  CONN_WAITING,
  CONN_LOGGING_IN,
  CONN_CONNECTING,
  CONN_READY,
  CONN_STREAMING,
  CONN_STREAMED,
  CONN_FAILED,
} ConnState;

typedef struct _Run Run;

typedef struct
{
  Run                     *run;
  guint                    index;
  ConnState                state;
  char                    *phone;
  char                    *access_token;
  char                    *session_id;
  char                    *session_token;
  SoupWebsocketConnection *ws;
  JsonParser              *parser;
  gint64                  *send_us;       /* a ring of window entries */
  guint                    ring_head;
  guint                    in_flight;
  guint64                  sent;
} Conn;

struct _Run
{
  const VigilLoadOptions *options;
  VigilLoadResult        *result;
  SoupSession            *session;        /* the WebSockets */
  SoupSession            *http_session;   /* canara's logins, on kept-alive connections */
  GCancellable           *cancellable;
  GPtrArray              *conns;
  GArray                 *latencies_ms;
  char                   *base_url;       /* without a trailing slash */
  char                   *nonce;
  char                   *pad;
  gint64                  start_us;
  gint64                  stream_start_us;
  gint64                  deadline_us;    /* 0: none */
  gint64                  last_answer_us;
  guint                   n_ready;
  guint                   n_failed;
  guint                   n_streamed;
  guint                   n_open;         /* sockets not yet closed */
  guint                   n_pending;      /* HTTP requests and handshakes */
  guint                   n_started;      /* connections that began connecting */
  guint                   n_connecting;   /* began, neither ready nor failed */
  gboolean                streaming;
  gboolean                closing;
  gboolean                timed_out;
  gboolean                done;
  guint                   timeout_id;
  guint                   grace_id;
};

/* vigil-load-conn.c */
void         _vigil_load_conn_free           (gpointer    data);
gboolean     _vigil_load_conn_is_finished    (Conn       *conn);
void         _vigil_load_conn_close          (Conn       *conn);
void         _vigil_load_conn_fail           (Conn       *conn,
                                              const char *format,
                                              ...) G_GNUC_PRINTF (2, 3);
void         _vigil_load_conn_fill_window    (Conn       *conn);
void         _vigil_load_conn_connect_socket (Conn       *conn);
const char  *_vigil_load_string_member       (JsonObject *object,
                                              const char *name);

/* vigil-load-login.c */
void         _vigil_load_conn_register       (Conn       *conn);

/* vigil-load-client.c */
void         _vigil_load_run_check_barrier   (Run        *run);
void         _vigil_load_run_check_finished  (Run        *run);
void         _vigil_load_run_start_next      (Run        *run);

G_END_DECLS
