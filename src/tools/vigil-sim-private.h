/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "vigil-sim.h"
#include "vigil-sim-events.h"
#include "vigil-sim-report.h"
#include "vigil-sim-user.h"

G_BEGIN_DECLS

/* The simulator's inside, shared by the client plumbing
 * (vigil-sim-client.c) and the scenarios' scripts (vigil-sim-scenario.c). */

typedef struct _Sim Sim;
typedef struct _Agent Agent;
typedef struct _SimSession SimSession;

/* status 0: no answer (the error is recorded); never called once the run
 * is cancelled. */
typedef void (*SimReplyFunc) (Agent       *agent,
                              guint        status,
                              JsonObject  *object,
                              SoupMessage *msg);

struct _SimSession
{
  VigilSimScenario   scenario;
  VigilSimSignature *actor;          /* owned: someone else's hands; NULL: the agent's own */
  VigilSimDevice     device;         /* the phone in use now */
  char              *context_ip;
  char              *access_token;
  char              *session_id;
  char              *session_token;
  SoupWebsocketConnection *ws;
  SoupSession       *attacker_http;  /* stuffing: a session of its own address */
  VigilSimWalk       walk;
  gboolean           walking;
  guint              events_total;
  guint              switch_at;      /* event index of the takeover, device change or background */
  guint              sent;
  GQueue             in_flight;      /* gint64 send times, in order */
  gint64             attack_start_us;/* 0 until the attack begins */
  guint              attack_at;      /* events sent before it began */
  gint64             first_push_us;  /* the first step-up or block after it */
  gint64             started_us;
  gint64             clock_us;       /* when the next event is due at the natural pace */
  gint64             first_sent_us, last_sent_us;    /* wall clock */
  gint64             first_stamp_us, last_stamp_us;  /* as stamped on the events */
  gint64             pause_us;       /* the pause after the last event sent */
  gint64             paused_us;      /* the pauses asked for between its events */
  guint              attempts;
  gboolean           stepped_up;
  gboolean           blocked;
  gboolean           detected;
  gboolean           ended;
  gboolean           failed;
  gboolean           closing;        /* we closed the socket ourselves */
  gboolean           background_done;
  gboolean           ending;         /* the last event is out; waiting for acks, then closing */
  gboolean           in_background;  /* lifecycle: from app_background until app_foreground answered */
  gboolean           resuming;       /* lifecycle: reconnecting after app_foreground */
  guint              busy;           /* this session's HTTP requests in flight */
  guint              stuffing_phase; /* stuffing / MPIN guessing: the attempts made */
  gboolean           cut;            /* the window closed before the attack played out */
};

struct _Agent
{
  Sim               *sim;
  guint              index;
  VigilSimSignature *signature;
  char              *phone;
  char              *password;
  char              *mpin;
  char              *ip;             /* the source address, or NULL for the system's */
  SoupSession       *http;
  GRand             *rng;
  guint              enroll_left;
  gboolean           waiting;        /* enrolled; waiting for the window to open */
  gboolean           done;
  SimSession        *session;
  GSource           *timer;
};

struct _Sim
{
  const VigilSimOptions *options;
  VigilSimReport    *report;
  GMainContext      *context;
  GCancellable      *cancellable;
  gulong             outer_cancel_id;
  GCancellable      *outer_cancellable;
  VigilSimMap       *map;
  char              *base_url;
  char              *host;
  gboolean           loopback;       /* each user gets a 127.x address of its own */
  GPtrArray         *agents;
  double             time_scale;     /* multiplies every pause */
  gint64             start_us;
  gint64             window_start_us;
  gint64             window_end_us;  /* 0: until cancelled */
  guint              enrolling;
  guint              pending;        /* HTTP requests and handshakes in flight */
  guint              attackers;      /* attack sessions so far: numbers attackers and targets */
  gboolean           stopping;
  gboolean           finished;
  gboolean           cancelled;
  gint               stop_requested; /* atomic: set by the caller's cancellable, from any thread */
  GError            *fatal;
  GSource           *tick;
};

/* vigil-sim-client.c */
void          _vigil_sim_post            (Agent        *agent,
                                          SoupSession  *http,
                                          const char   *path,
                                          const char   *bearer,
                                          JsonBuilder  *body,
                                          SimReplyFunc  func);
void          _vigil_sim_schedule        (Agent        *agent,
                                          double        seconds,
                                          GSourceFunc   func);
void          _vigil_sim_connect_socket  (Agent        *agent);
void          _vigil_sim_close_socket    (Agent        *agent);
SoupSession  *_vigil_sim_http_session    (Sim          *sim,
                                          const char   *local_ip);
const char   *_vigil_sim_string          (JsonObject   *object,
                                          const char   *name);
void          _vigil_sim_agent_error     (Agent        *agent,
                                          const char   *format,
                                          ...) G_GNUC_PRINTF (2, 3);
gint64        _vigil_sim_now_us          (void);
/* The agent has no session: start the next one after a pause, wait for
 * the window, or stop. */
void          _vigil_sim_agent_idle      (Agent        *agent);

/* vigil-sim-scenario.c */
void          _vigil_sim_agent_begin     (Agent        *agent);
void          _vigil_sim_agent_next      (Agent        *agent);
void          _vigil_sim_socket_ready    (Agent        *agent);
void          _vigil_sim_socket_push     (Agent        *agent,
                                          const char   *type,
                                          JsonObject   *object);
void          _vigil_sim_socket_acked    (Agent        *agent);
void          _vigil_sim_socket_closed   (Agent        *agent,
                                          gushort       code);
void          _vigil_sim_session_finish  (Agent        *agent);
void          _vigil_sim_session_free    (SimSession   *session);
VigilSimScenario _vigil_sim_pick_scenario (Agent       *agent);

/* Shared by the scenarios (vigil-sim-scenario.c) and the attacks without
 * a behavioral session (vigil-sim-attacks.c). */
SoupSession   *_vigil_sim_http_of          (Agent            *agent);
SoupSession   *_vigil_sim_attacker_session (Sim              *sim);
VigilSimScenarioStats *_vigil_sim_stats_of (Agent            *agent);
void           _vigil_sim_device_copy      (VigilSimDevice   *to,
                                            const VigilSimDevice *from);
void           _vigil_sim_session_fail     (Agent            *agent,
                                            const char       *what,
                                            guint             status);
void           _vigil_sim_note_detection   (Agent            *agent);
void           _vigil_sim_add_string       (JsonBuilder      *b,
                                            const char       *name,
                                            const char       *value);
JsonBuilder   *_vigil_sim_registration     (const char       *phone,
                                            const char       *password,
                                            const char       *mpin);
void           _vigil_sim_verify_mpin      (Agent            *agent,
                                            const char       *mpin,
                                            SimReplyFunc      func);
void           _vigil_sim_stuffing_begin   (Agent            *agent);
void           _vigil_sim_mpin_guessing_begin (Agent         *agent);

G_END_DECLS
