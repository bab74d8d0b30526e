/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What each scenario's session does, as a chain of callbacks: log in
 * (password, then MPIN with the device context), open the behavior socket,
 * stream the walk's events at the actor's pace, switch hands, phone or
 * app state where the scenario says so, and close the app. Credential
 * stuffing and MPIN guessing are in vigil-sim-attacks.c. */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <string.h>

#include "vigil-sim-private.h"

#define ACK_WAIT_S          10.0
#define DETECTION_WINDOW_S  60.0
#define MAX_RETRY_AFTER_S   60.0

static void session_login        (Agent *agent);
static void session_send_next    (Agent *agent);
static void session_close_app    (Agent *agent);

/* Attackers come from addresses of their own. */
SoupSession *
_vigil_sim_http_of (Agent *agent)
{
  return agent->session->attacker_http ? agent->session->attacker_http : agent->http;
}

SoupSession *
_vigil_sim_attacker_session (Sim *sim)
{
  g_autofree char *ip = sim->loopback ? g_strdup_printf ("127.250.%u.%u", sim->attackers / 250 % 250,
                                                          2 + sim->attackers % 250)
                                      : NULL;

  return _vigil_sim_http_session (sim, ip);
}

VigilSimScenarioStats *
_vigil_sim_stats_of (Agent *agent)
{
  return &agent->sim->report->scenarios[agent->session->scenario];
}

/* An enrollment session faster than life (VigilSimOptions.enroll_speed). */
static gboolean
runs_fast (Agent *agent)
{
  return agent->session->scenario == VIGIL_SIM_ENROLLMENT && agent->sim->options->enroll_speed > 1;
}

/* What a pause of the natural pace is multiplied by in this session. */
static double
pause_scale (Agent *agent)
{
  return runs_fast (agent) ? agent->sim->time_scale / agent->sim->options->enroll_speed : agent->sim->time_scale;
}

static const VigilSimSignature *
actor_of (Agent *agent)
{
  return agent->session->actor ? agent->session->actor : agent->signature;
}

void
_vigil_sim_device_copy (VigilSimDevice       *to,
                        const VigilSimDevice *from)
{
  vigil_sim_device_clear (to);
  *to = *from;
  to->device_id = g_strdup (from->device_id);
  to->device_model = g_strdup (from->device_model);
  to->os_version = g_strdup (from->os_version);
  to->app_version = g_strdup (from->app_version);
  to->network_type = g_strdup (from->network_type);
  to->city = g_strdup (from->city);
}

void
_vigil_sim_session_free (SimSession *session)
{
  if (session->ws != NULL)
    g_signal_handlers_disconnect_matched (session->ws, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, NULL);
  g_clear_object (&session->ws);
  g_clear_object (&session->attacker_http);
  vigil_sim_walk_clear (&session->walk);
  vigil_sim_device_clear (&session->device);
  vigil_sim_signature_free (session->actor);
  g_queue_clear_full (&session->in_flight, g_free);
  g_free (session->context_ip);
  g_free (session->access_token);
  g_free (session->session_id);
  g_free (session->session_token);
  g_free (session);
}

VigilSimScenario
_vigil_sim_pick_scenario (Agent *agent)
{
  const VigilSimOptions *options = agent->sim->options;
  double sum = 0, target;

  if (options->acks_only)
    return VIGIL_SIM_GENUINE;
  for (guint s = VIGIL_SIM_GENUINE; s < VIGIL_SIM_N_SCENARIOS; s++)
    sum += options->mix[s];
  target = g_rand_double (agent->rng) * sum;
  for (guint s = VIGIL_SIM_GENUINE; s < VIGIL_SIM_N_SCENARIOS; s++)
    {
      target -= options->mix[s];
      if (target < 0 && options->mix[s] > 0)
        return s;
    }
  return VIGIL_SIM_GENUINE;
}

/* The end of a session, once nothing of it is in flight. */
void
_vigil_sim_session_finish (Agent *agent)
{
  SimSession *session = agent->session;
  VigilSimScenarioStats *stats;
  VigilSimSessionRecord record = { 0 };

  if (session == NULL || session->busy > 0 || session->ws != NULL)
    return;
  stats = _vigil_sim_stats_of (agent);
  /* Only attacks that began count for the detection rate: not a switch
   * the session never reached, nor a run the window's end cut short. */
  record.attacked = session->attack_start_us != 0 && (!session->cut || session->detected);
  if (record.attacked)
    stats->attacked++;
  if (session->failed && !session->ended)
    stats->failed++;
  if (session->stepped_up)
    stats->stepped_up++;
  if (session->blocked)
    stats->blocked++;
  if (session->ended)
    {
      stats->ended++;
      g_ptr_array_add (agent->sim->report->ended_ids, g_strdup (session->session_id));
    }
  if (session->detected)
    {
      double seconds = (session->first_push_us - session->attack_start_us) / 1e6;

      stats->detected++;
      g_array_append_val (stats->detect_s, seconds);
      if (seconds <= DETECTION_WINDOW_S)
        stats->detected_60s++;
      record.detect_s = seconds;
    }
  /* Enrollment sessions too: how fast they ran is worth a look. */
    {
      record.scenario = session->scenario;
      record.session_id = g_strdup (session->session_id);
      record.user = agent->index;
      record.events_sent = session->sent;
      record.attack_at = session->attack_at;
      record.stepped_up = session->stepped_up;
      record.blocked = session->blocked;
      record.detected = session->detected;
      record.streamed_s = (session->last_sent_us - session->first_sent_us) / 1e6;
      record.stamped_s = (session->last_stamp_us - session->first_stamp_us) / 1e6;
      record.paused_s = session->paused_us / 1e6;
      g_array_append_val (agent->sim->report->sessions, record);
    }
  g_clear_pointer (&agent->session, _vigil_sim_session_free);
  _vigil_sim_agent_idle (agent);
}

void
_vigil_sim_session_fail (Agent      *agent,
                         const char *what,
                         guint       status)
{
  _vigil_sim_agent_error (agent, "%s (%s): HTTP %u", what, vigil_sim_scenario_to_string (agent->session->scenario),
                          status);
  agent->session->failed = TRUE;
  _vigil_sim_close_socket (agent);
  _vigil_sim_session_finish (agent);
}

/* A decision of the server reached the client. */
void
_vigil_sim_note_detection (Agent *agent)
{
  SimSession *session = agent->session;

  if (session->attack_start_us != 0 && !session->detected)
    {
      session->detected = TRUE;
      session->first_push_us = _vigil_sim_now_us ();
    }
}

static double
retry_after (SoupMessage *msg)
{
  const char *value = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After");
  double seconds = value ? g_ascii_strtod (value, NULL) : 5;

  return CLAMP (seconds, 1, MAX_RETRY_AFTER_S);
}

/* Accounts */

void
_vigil_sim_add_string (JsonBuilder *b,
                       const char  *name,
                       const char  *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

JsonBuilder *
_vigil_sim_registration (const char *phone,
                         const char *password,
                         const char *mpin)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "phone", phone);
  _vigil_sim_add_string (b, "password", password);
  _vigil_sim_add_string (b, "mpin", mpin);
  json_builder_end_object (b);
  return b;
}

static void
on_registered (Agent       *agent,
               guint        status,
               JsonObject  *object,
               SoupMessage *msg)
{
  /* 400 "already registered": a rerun with the same seed reuses it. */
  if (status == 0 || (!SOUP_STATUS_IS_SUCCESSFUL (status) && status != SOUP_STATUS_BAD_REQUEST &&
                      status != SOUP_STATUS_CONFLICT))
    {
      _vigil_sim_agent_error (agent, "register: HTTP %u", status);
      _vigil_sim_schedule (agent, 5, (GSourceFunc) _vigil_sim_agent_begin);
      return;
    }
  _vigil_sim_agent_next (agent);
}

void
_vigil_sim_agent_begin (Agent *agent)
{
  g_autoptr(JsonBuilder) b = _vigil_sim_registration (agent->phone, agent->password, agent->mpin);

  if (agent->sim->stopping)
    {
      _vigil_sim_agent_idle (agent);
      return;
    }
  _vigil_sim_post (agent, agent->http, "/api/v1/auth/register", NULL, b, on_registered);
}

/* Streaming sessions */

static void
start_streaming_session (Agent *agent)
{
  Sim *sim = agent->sim;
  SimSession *session = agent->session;
  guint mean = MAX (sim->options->session_events, 5);

  session->events_total = MAX (5, (guint) (mean * g_rand_double_range (agent->rng, 0.6, 1.4)));
  session->switch_at = (guint) (session->events_total * g_rand_double_range (agent->rng, 0.3, 0.5));
  session->context_ip = agent->ip ? g_strdup (agent->ip)
                                  : g_strdup_printf ("192.0.2.%u", 1 + agent->index % 254);
  if (session->scenario == VIGIL_SIM_TAKEOVER)
    {
      session->attacker_http = _vigil_sim_attacker_session (sim);
      session->actor = vigil_sim_signature_new_attacker (sim->options->seed, sim->attackers++);
      _vigil_sim_device_copy (&session->device, &session->actor->device);
      g_free (session->context_ip);
      session->context_ip = g_strdup_printf ("198.51.100.%u", 1 + sim->attackers % 254);
    }
  else if (session->scenario == VIGIL_SIM_TAKEOVER_MID)
    {
      session->actor = vigil_sim_signature_new_attacker (sim->options->seed, sim->attackers++);
      _vigil_sim_device_copy (&session->device, &agent->signature->device);
    }
  else if (session->scenario == VIGIL_SIM_BOT)
    {
      session->attacker_http = _vigil_sim_attacker_session (sim);
      session->actor = vigil_sim_signature_new_bot (sim->options->seed, sim->attackers++);
      _vigil_sim_device_copy (&session->device, &session->actor->device);
    }
  else
    _vigil_sim_device_copy (&session->device, &agent->signature->device);
  /* Mid-session switches start with the owner's hands. */
  vigil_sim_walk_init (&session->walk, sim->map,
                       session->scenario == VIGIL_SIM_TAKEOVER_MID ? agent->signature : actor_of (agent),
                       &session->device, session->context_ip, g_rand_int (agent->rng));
  session_login (agent);
}

static void
on_mpin_verified (Agent       *agent,
                  guint        status,
                  JsonObject  *object,
                  SoupMessage *msg)
{
  SimSession *session = agent->session;
  VigilSimScenarioStats *stats = _vigil_sim_stats_of (agent);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    stats->mpin_failed++;
  else if (status == 423)
    stats->mpin_locked++;
  if (status != SOUP_STATUS_OK || _vigil_sim_string (object, "session_id") == NULL ||
      _vigil_sim_string (object, "session_token") == NULL)
    {
      _vigil_sim_session_fail (agent, "verify-mpin", status);
      return;
    }
  session->session_id = g_strdup (_vigil_sim_string (object, "session_id"));
  session->session_token = g_strdup (_vigil_sim_string (object, "session_token"));
  session->started_us = _vigil_sim_now_us ();
  _vigil_sim_connect_socket (agent);
}

void
_vigil_sim_verify_mpin (Agent      *agent,
                        const char *mpin,
                        SimReplyFunc func)
{
  SimSession *session = agent->session;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *agent_string = g_strdup_printf ("VigilBank/%s (%s; %s)", session->device.app_version,
                                                   session->device.os_version, session->device.device_model);

  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "mpin", mpin);
  json_builder_set_member_name (b, "context");
  json_builder_begin_object (b);
  vigil_sim_add_context (b, &session->device, session->context_ip ? session->context_ip : "192.0.2.1");
  _vigil_sim_add_string (b, "user_agent", agent_string);
  json_builder_end_object (b);
  json_builder_end_object (b);
  _vigil_sim_post (agent, _vigil_sim_http_of (agent), "/api/v1/auth/verify-mpin", session->access_token, b, func);
}

static void
on_logged_in (Agent       *agent,
              guint        status,
              JsonObject  *object,
              SoupMessage *msg)
{
  SimSession *session = agent->session;
  VigilSimScenarioStats *stats = _vigil_sim_stats_of (agent);

  if (status == 429)
    {
      /* The app waits as told and tries again. */
      stats->rate_limited++;
      _vigil_sim_schedule (agent, retry_after (msg), (GSourceFunc) session_login);
      return;
    }
  if (status == SOUP_STATUS_UNAUTHORIZED)
    stats->logins_failed++;
  if (status != SOUP_STATUS_OK || _vigil_sim_string (object, "access_token") == NULL)
    {
      _vigil_sim_session_fail (agent, "login", status);
      return;
    }
  session->access_token = g_strdup (_vigil_sim_string (object, "access_token"));
  _vigil_sim_verify_mpin (agent, agent->mpin, on_mpin_verified);
}

static void
session_login (Agent *agent)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "phone", agent->phone);
  _vigil_sim_add_string (b, "password", agent->password);
  _vigil_sim_add_string (b, "device_id", agent->session->device.device_id);
  json_builder_end_object (b);
  _vigil_sim_post (agent, _vigil_sim_http_of (agent), "/api/v1/auth/login", NULL, b, on_logged_in);
}

void
_vigil_sim_socket_ready (Agent *agent)
{
  SimSession *session = agent->session;

  if (session == NULL)
    return;
  if (session->resuming)
    {
      session->resuming = FALSE;
      _vigil_sim_schedule (agent, 0.2, (GSourceFunc) session_send_next);
      return;
    }
  /* Takeovers from the start and bots attack from the first event. */
  if (session->scenario == VIGIL_SIM_TAKEOVER || session->scenario == VIGIL_SIM_BOT)
    session->attack_start_us = _vigil_sim_now_us ();
  _vigil_sim_schedule (agent, 0.3 * pause_scale (agent), (GSourceFunc) session_send_next);
}

static void
on_lifecycle (Agent       *agent,
              guint        status,
              JsonObject  *object,
              SoupMessage *msg)
{
  SimSession *session = agent->session;
  JsonNode *terminated = object ? json_object_get_member (object, "session_terminated") : NULL;

  if (status != SOUP_STATUS_OK)
    {
      /* A blocked or already ended session answers so; not a failure. */
      if (!session->blocked)
        _vigil_sim_session_fail (agent, "lifecycle", status);
      else
        _vigil_sim_session_finish (agent);
      return;
    }
  if (terminated != NULL && JSON_NODE_HOLDS_VALUE (terminated) && json_node_get_boolean (terminated))
    {
      session->ended = TRUE;
      _vigil_sim_close_socket (agent);
      _vigil_sim_session_finish (agent);
      return;
    }
  if (session->resuming)
    _vigil_sim_connect_socket (agent);  /* back in the foreground */
  else if (session->in_background)
    _vigil_sim_close_socket (agent);   /* the app went away; the socket goes with it */
}

static void
post_lifecycle (Agent      *agent,
                const char *event_type,
                const char *reason)
{
  SimSession *session = agent->session;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *path = NULL;
  g_autofree char *escaped = g_uri_escape_string (session->session_id, NULL, FALSE);
  g_autofree char *now = vigil_sim_format_time (_vigil_sim_now_us ());

  path = g_strdup_printf ("/api/v1/ws/sessions/%s/lifecycle", escaped);
  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "event_type", event_type);
  json_builder_set_member_name (b, "details");
  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "reason", reason);
  _vigil_sim_add_string (b, "timestamp", now);
  json_builder_end_object (b);
  json_builder_end_object (b);
  _vigil_sim_post (agent, _vigil_sim_http_of (agent), path, session->session_token, b, on_lifecycle);
}

static void
session_foreground (Agent *agent)
{
  agent->session->in_background = FALSE;
  agent->session->resuming = TRUE;
  post_lifecycle (agent, "app_foreground", "user_returned");
}

static void
session_close_app (Agent *agent)
{
  SimSession *session = agent->session;

  if (session->ws == NULL || session->blocked)
    {
      _vigil_sim_session_finish (agent);
      return;
    }
  post_lifecycle (agent, g_rand_double (agent->rng) < 0.7 ? "app_close" : "user_logout", "session_done");
}

/* The scenario's turn in the middle of the session. */
static gboolean
switch_hands (Agent *agent)
{
  SimSession *session = agent->session;

  if (session->scenario == VIGIL_SIM_TAKEOVER_MID)
    {
      session->walk.signature = session->actor;
      session->attack_start_us = _vigil_sim_now_us ();
      session->attack_at = session->sent;
    }
  else if (session->scenario == VIGIL_SIM_DEVICE_CHANGE)
    {
      VigilSimDevice same_person = { 0 };

      /* Same person and town, another phone on another network. */
      vigil_sim_device_init_random (&same_person, agent->rng);
      g_free (same_person.city);
      same_person.city = g_strdup (session->device.city);
      same_person.latitude = session->device.latitude;
      same_person.longitude = session->device.longitude;
      vigil_sim_device_clear (&session->device);
      session->device = same_person;
      g_free (session->context_ip);
      session->context_ip = g_strdup_printf ("100.64.%u.%u", agent->index % 250,
                                             1 + g_rand_int_range (agent->rng, 0, 250));
      session->walk.ip_address = session->context_ip;
      session->walk.context_next = TRUE;
      session->attack_start_us = _vigil_sim_now_us ();
      session->attack_at = session->sent;
    }
  else if (session->scenario == VIGIL_SIM_LIFECYCLE)
    {
      session->in_background = TRUE;
      post_lifecycle (agent, "app_background", "user_switched_apps");
      return TRUE;
    }
  return FALSE;
}

static void
session_send_next (Agent *agent)
{
  Sim *sim = agent->sim;
  SimSession *session = agent->session;
  g_autofree char *text = NULL;
  gint64 now = _vigil_sim_now_us ();
  gint64 stamp;
  double gap_s;

  if (session->ws == NULL || session->ending)
    return;
  /* A session the window's end finds streaming runs its course (no new
   * one starts): an attack is judged on all of it, not on the part
   * before an arbitrary cut, and a genuine session has all its chances
   * of a false alarm. Load runs just stop. */
  if (session->sent >= session->events_total || (sim->stopping && sim->options->acks_only) || session->blocked)
    {
      session->ending = TRUE;
      if (g_queue_is_empty (&session->in_flight))
        session_close_app (agent);
      else
        _vigil_sim_schedule (agent, ACK_WAIT_S, (GSourceFunc) session_close_app);
      return;
    }
  if (session->sent == session->switch_at && !session->background_done)
    {
      session->background_done = TRUE;
      if (switch_hands (agent))
        return;
    }

  /* Faster than life: stamped by a clock of its own at the natural pace,
   * whatever the wall clock says. */
  stamp = runs_fast (agent) && session->sent > 0 ? session->clock_us : now;
  text = vigil_sim_walk_next (&session->walk, stamp, &gap_s);
  session->clock_us = stamp + (gint64) (gap_s * sim->time_scale * G_USEC_PER_SEC);
  if (session->sent == 0)
    {
      session->first_sent_us = now;
      session->first_stamp_us = stamp;
    }
  else
    session->paused_us += session->pause_us;
  session->last_sent_us = now;
  session->last_stamp_us = stamp;
  session->pause_us = (gint64) (gap_s * pause_scale (agent) * G_USEC_PER_SEC);
  g_queue_push_tail (&session->in_flight, g_memdup2 (&now, sizeof now));
  session->sent++;
  _vigil_sim_stats_of (agent)->events_sent++;
  soup_websocket_connection_send_text (session->ws, text);
  /* acks-only: the next one goes when this one is acknowledged. */
  if (!sim->options->acks_only)
    _vigil_sim_schedule (agent, session->pause_us / (double) G_USEC_PER_SEC, (GSourceFunc) session_send_next);
}

void
_vigil_sim_socket_acked (Agent *agent)
{
  SimSession *session = agent->session;
  g_autofree gint64 *sent_us = NULL;
  double latency_ms;

  if (session == NULL || (sent_us = g_queue_pop_head (&session->in_flight)) == NULL)
    return;
  latency_ms = (_vigil_sim_now_us () - *sent_us) / 1000.0;
  g_array_append_val (agent->sim->report->latencies_ms, latency_ms);
  _vigil_sim_stats_of (agent)->events_acked++;
  if (session->ending && g_queue_is_empty (&session->in_flight))
    session_close_app (agent);
  else if (agent->sim->options->acks_only)
    session_send_next (agent);
}

void
_vigil_sim_socket_push (Agent      *agent,
                        const char *type,
                        JsonObject *object)
{
  SimSession *session = agent->session;

  if (session == NULL)
    return;
  if (g_str_equal (type, "mpin_required"))
    {
      session->stepped_up = TRUE;
      _vigil_sim_note_detection (agent);
    }
  else if (g_str_equal (type, "session_blocked"))
    {
      session->blocked = TRUE;
      _vigil_sim_note_detection (agent);
    }
}

void
_vigil_sim_socket_closed (Agent  *agent,
                          gushort code)
{
  SimSession *session = agent->session;

  /* Events unanswered when the socket went were not acknowledged. */
  while (!g_queue_is_empty (&session->in_flight))
    g_free (g_queue_pop_head (&session->in_flight));
  if (session->blocked)
    session->ended = TRUE;   /* a block ends the session on the server */
  else if (session->ending && session->busy > 0)
    ;                        /* the server closes it after app_close: its answer follows */
  else if (session->in_background)
    {
      /* Whoever closed it, the app is away for a while. */
      _vigil_sim_schedule (agent, g_rand_double_range (agent->rng, 2, 6) * agent->sim->time_scale,
                           (GSourceFunc) session_foreground);
      return;
    }
  else if (!session->closing && !session->ended && !session->ending)
    {
      _vigil_sim_agent_error (agent, "the server closed the behavior socket (%u)", code);
      session->failed = TRUE;
    }
  if (agent->timer != NULL)
    {
      g_source_destroy (agent->timer);
      g_clear_pointer (&agent->timer, g_source_unref);
    }
  _vigil_sim_session_finish (agent);
}

void
_vigil_sim_agent_next (Agent *agent)
{
  Sim *sim = agent->sim;
  SimSession *session;
  VigilSimScenario scenario;

  if (sim->stopping)
    {
      _vigil_sim_agent_idle (agent);
      return;
    }
  if (agent->enroll_left > 0)
    {
      agent->enroll_left--;
      scenario = VIGIL_SIM_ENROLLMENT;
    }
  else if (sim->window_start_us == 0 && !sim->options->acks_only)
    {
      _vigil_sim_agent_idle (agent);   /* waits for the others to enroll */
      return;
    }
  else
    scenario = _vigil_sim_pick_scenario (agent);

  session = g_new0 (SimSession, 1);
  session->scenario = scenario;
  g_queue_init (&session->in_flight);
  agent->session = session;
  sim->report->scenarios[scenario].sessions++;

  if (scenario == VIGIL_SIM_STUFFING)
    _vigil_sim_stuffing_begin (agent);
  else if (scenario == VIGIL_SIM_MPIN_BRUTE)
    _vigil_sim_mpin_guessing_begin (agent);
  else
    start_streaming_session (agent);
}
