/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulator's plumbing: one SoupSession per simulated user (bound to
 * a loopback address of its own when the server is local, so that the
 * server's per-address limits see N people, not one), the run loop on the
 * thread-default context, HTTP requests, the behavior WebSocket, timers
 * and the progress tick. What each session does is in vigil-sim-scenario.c. */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <math.h>
#include <string.h>

#include "vigil-sim-private.h"

#define START_STAGGER_S  0.05
/* Enough for the longest session the window's end finds streaming. */
#define DRAIN_DEFAULT_S  240.0
#define CLOSE_WAIT_S     3.0
#define SETTLE_S         0.2

typedef struct
{
  Agent        *agent;
  SimReplyFunc  func;
  SoupMessage  *msg;
} Request;

gint64
_vigil_sim_now_us (void)
{
  return g_get_real_time ();
}

void
vigil_sim_options_init (VigilSimOptions *options)
{
  g_return_if_fail (options != NULL);

  *options = (VigilSimOptions) {
    .url = "http://127.0.0.1:8000",
    .users = 20,
    .rate = 0,
    .duration_s = 60,
    .seed = 1,
    .enroll_sessions = 6,
    .enroll_speed = 1,
    .session_events = 40,
    .mpin_length = 6,
    .drain_s = DRAIN_DEFAULT_S,
  };
  options->mix[VIGIL_SIM_GENUINE] = 60;
  options->mix[VIGIL_SIM_TAKEOVER] = 6;
  options->mix[VIGIL_SIM_TAKEOVER_MID] = 6;
  options->mix[VIGIL_SIM_BOT] = 6;
  options->mix[VIGIL_SIM_STUFFING] = 4;
  options->mix[VIGIL_SIM_MPIN_BRUTE] = 4;
  options->mix[VIGIL_SIM_DEVICE_CHANGE] = 6;
  options->mix[VIGIL_SIM_LIFECYCLE] = 8;
}

gboolean
vigil_sim_options_set_mix (VigilSimOptions  *options,
                           const char       *text,
                           GError          **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  double mix[VIGIL_SIM_N_SCENARIOS] = { 0 };
  double sum = 0;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (g_strstrip (parts[i]), "=", 2);
      char *end = NULL;
      double weight;
      guint s;

      for (s = VIGIL_SIM_GENUINE; s < VIGIL_SIM_N_SCENARIOS; s++)
        if (g_strcmp0 (pair[0], vigil_sim_scenario_to_string (s)) == 0)
          break;
      if (s == VIGIL_SIM_N_SCENARIOS)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "unknown scenario '%s' in the mix; known: genuine, takeover, takeover-mid, bot, stuffing, "
                       "mpin-brute-force, device-change, lifecycle", pair[0]);
          return FALSE;
        }
      weight = pair[1] != NULL ? g_ascii_strtod (pair[1], &end) : 1;
      if (pair[1] != NULL && (end == pair[1] || *end != '\0' || !isfinite (weight) || weight < 0))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "the weight of '%s' must be a number >= 0, not '%s'", pair[0], pair[1]);
          return FALSE;
        }
      mix[s] = weight;
      sum += weight;
    }
  if (sum <= 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "the scenario mix needs at least one scenario with a weight above 0");
      return FALSE;
    }
  memcpy (options->mix, mix, sizeof mix);
  return TRUE;
}

const char *
_vigil_sim_string (JsonObject *object,
                   const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

void
_vigil_sim_agent_error (Agent      *agent,
                        const char *format,
                        ...)
{
  g_autofree char *message = NULL;
  g_autofree char *labelled = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  labelled = g_strdup_printf ("%s: %s", agent->signature->name, message);
  g_debug ("%s", labelled);
  vigil_sim_report_error (agent->sim->report, labelled);
}

SoupSession *
_vigil_sim_http_session (Sim        *sim,
                         const char *local_ip)
{
  g_autoptr(GInetSocketAddress) local = NULL;

  if (local_ip != NULL)
    local = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (local_ip, 0));
  return soup_session_new_with_options ("local-address", local, "timeout", 30, "idle-timeout", 60,
                                        "max-conns", 64, "max-conns-per-host", 64, NULL);
}

/* HTTP */

static void
on_reply (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Request *request = user_data;
  Agent *agent = request->agent;
  Sim *sim = agent->sim;
  g_autoptr(SoupMessage) msg = request->msg;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SimReplyFunc func = request->func;
  JsonObject *object = NULL;

  g_free (request);
  sim->pending--;
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (sim->cancelled)
    return;
  if (agent->session != NULL)
    agent->session->busy--;
  if (body == NULL)
    {
      _vigil_sim_agent_error (agent, "%s %s: %s", soup_message_get_method (msg),
                              g_uri_get_path (soup_message_get_uri (msg)), error->message);
      func (agent, 0, NULL, msg);
      return;
    }
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL) &&
      json_parser_get_root (parser) != NULL && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));
  func (agent, soup_message_get_status (msg), object, msg);
}

void
_vigil_sim_post (Agent        *agent,
                 SoupSession  *http,
                 const char   *path,
                 const char   *bearer,
                 JsonBuilder  *body,
                 SimReplyFunc  func)
{
  Sim *sim = agent->sim;
  g_autofree char *url = g_strconcat (sim->base_url, path, NULL);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (body);
  g_autoptr(GBytes) bytes = NULL;
  Request *request;
  gsize length;
  char *text;

  if (sim->cancelled)
    return;
  request = g_new0 (Request, 1);

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  bytes = g_bytes_new_take (text, length);

  request->agent = agent;
  request->func = func;
  if (agent->session != NULL)
    agent->session->busy++;
  request->msg = soup_message_new ("POST", url);
  g_assert (request->msg != NULL);   /* the base URL was checked at the start */
  soup_message_set_request_body_from_bytes (request->msg, "application/json", bytes);
  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (request->msg), "Authorization", value);
    }
  sim->pending++;
  soup_session_send_and_read_async (http, request->msg, G_PRIORITY_DEFAULT, sim->cancellable, on_reply, request);
}

/* Timers: one per agent, on the run's context. */

typedef struct
{
  Agent       *agent;
  GSourceFunc  func;
} Timer;

static gboolean
on_timer (gpointer user_data)
{
  Timer *timer = user_data;
  Agent *agent = timer->agent;
  GSourceFunc func = timer->func;

  g_clear_pointer (&agent->timer, g_source_unref);
  func (agent);
  return G_SOURCE_REMOVE;
}

void
_vigil_sim_schedule (Agent       *agent,
                     double       seconds,
                     GSourceFunc  func)
{
  Timer *timer;

  if (agent->sim->cancelled)
    return;
  timer = g_new0 (Timer, 1);
  if (agent->timer != NULL)
    {
      g_source_destroy (agent->timer);
      g_clear_pointer (&agent->timer, g_source_unref);
    }
  timer->agent = agent;
  timer->func = func;
  agent->timer = g_timeout_source_new ((guint) MAX (0, round (seconds * 1000)));
  g_source_set_callback (agent->timer, on_timer, timer, g_free);
  g_source_attach (agent->timer, agent->sim->context);
}

/* The behavior socket */

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *message,
               gpointer                 user_data)
{
  Agent *agent = user_data;
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  JsonNode *root;
  const char *kind;

  if (!json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      _vigil_sim_agent_error (agent, "the server sent something that is not a JSON object: %.*s",
                              (int) MIN (size, 200), data);
      return;
    }
  kind = _vigil_sim_string (json_node_get_object (root), "type");
  if (g_strcmp0 (kind, "connection_established") == 0)
    _vigil_sim_socket_ready (agent);
  else if (g_strcmp0 (kind, "data_received") == 0)
    _vigil_sim_socket_acked (agent);
  else if (g_strcmp0 (kind, "error") == 0)
    {
      _vigil_sim_agent_error (agent, "event refused: %s",
                              _vigil_sim_string (json_node_get_object (root), "message") ?: "no reason given");
      _vigil_sim_socket_acked (agent);   /* it answered the event; it was not stored */
    }
  else if (kind != NULL)
    _vigil_sim_socket_push (agent, kind, json_node_get_object (root));
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  Agent *agent = user_data;
  gushort code = soup_websocket_connection_get_close_code (ws);

  if (agent->session != NULL && agent->session->ws == ws)
    {
      g_signal_handlers_disconnect_by_data (ws, agent);
      g_clear_object (&agent->session->ws);
      _vigil_sim_socket_closed (agent, code);
    }
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Agent *agent = user_data;
  Sim *sim = agent->sim;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  sim->pending--;
  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (sim->cancelled)
    {
      g_clear_object (&ws);
      return;
    }
  agent->session->busy--;
  if (ws == NULL)
    {
      _vigil_sim_agent_error (agent, "WebSocket handshake failed: %s", error->message);
      agent->session->failed = TRUE;
      _vigil_sim_session_finish (agent);
      return;
    }
  agent->session->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), agent);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), agent);
}

void
_vigil_sim_connect_socket (Agent *agent)
{
  Sim *sim = agent->sim;
  SimSession *session = agent->session;
  g_autofree char *id = g_uri_escape_string (session->session_id, NULL, FALSE);
  g_autofree char *token = g_uri_escape_string (session->session_token, NULL, FALSE);
  g_autofree char *url = g_strdup_printf ("%s/api/v1/ws/behavior/%s?token=%s", sim->base_url, id, token);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);

  if (sim->cancelled)
    return;
  session->closing = FALSE;
  session->busy++;
  sim->pending++;
  soup_session_websocket_connect_async (session->attacker_http ? session->attacker_http : agent->http, msg, NULL, NULL, G_PRIORITY_DEFAULT, sim->cancellable,
                                        on_ws_connected, agent);
}

void
_vigil_sim_close_socket (Agent *agent)
{
  SimSession *session = agent->session;

  if (session == NULL || session->ws == NULL)
    return;
  session->closing = TRUE;
  if (soup_websocket_connection_get_state (session->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (session->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

/* The run */

static void
agent_free (gpointer data)
{
  Agent *agent = data;

  if (agent->timer != NULL)
    {
      g_source_destroy (agent->timer);
      g_source_unref (agent->timer);
    }
  g_clear_pointer (&agent->session, _vigil_sim_session_free);
  g_clear_object (&agent->http);
  g_clear_pointer (&agent->rng, g_rand_free);
  vigil_sim_signature_free (agent->signature);
  g_free (agent->phone);
  g_free (agent->password);
  g_free (agent->mpin);
  g_free (agent->ip);
  g_free (agent);
}

static Agent *
agent_new (Sim   *sim,
           guint  index)
{
  const VigilSimOptions *options = sim->options;
  Agent *agent = g_new0 (Agent, 1);
  GString *mpin = g_string_new (NULL);

  agent->sim = sim;
  agent->index = index;
  agent->signature = vigil_sim_signature_new_user (options->seed, index);
  agent->rng = g_rand_new_with_seed (options->seed * 7919u + index);
  /* Ten digits, unique per seed and index, so reruns reuse the accounts. */
  agent->phone = g_strdup_printf ("7%03u%06u", options->seed % 1000, index % 1000000);
  agent->password = g_strdup_printf ("Sim-%u-user-%u-pass", options->seed, index);
  for (guint i = 0; i < options->mpin_length; i++)
    g_string_append_c (mpin, '0' + (char) g_rand_int_range (agent->rng, i == 0 ? 1 : 0, 10));
  agent->mpin = g_string_free (mpin, FALSE);
  if (sim->loopback)
    agent->ip = g_strdup_printf ("127.%u.%u.%u", 1 + index / 62500 % 200, index / 250 % 250, 2 + index % 250);
  agent->http = _vigil_sim_http_session (sim, agent->ip);
  agent->enroll_left = options->acks_only ? 0 : options->enroll_sessions;
  return agent;
}

static void
update_progress (Sim *sim)
{
  VigilSimReport *report = sim->report;
  gint64 now = g_get_monotonic_time ();

  report->elapsed_s = (now - sim->start_us) / 1e6;
  report->window_s = sim->window_start_us ? (now - sim->window_start_us) / 1e6 : 0;
  report->measuring = sim->window_start_us != 0;
  report->open_sessions = 0;
  for (guint i = 0; i < sim->agents->len; i++)
    {
      Agent *agent = sim->agents->pdata[i];

      if (agent->session != NULL && agent->session->session_id != NULL && !agent->session->ended)
        report->open_sessions++;
    }
}

static void
check_finished (Sim *sim)
{
  if (!sim->stopping || sim->finished)
    return;
  for (guint i = 0; i < sim->agents->len; i++)
    if (!((Agent *) sim->agents->pdata[i])->done)
      return;
  sim->finished = TRUE;
  g_main_context_wakeup (sim->context);
}

static void
stop_window (Sim *sim)
{
  sim->stopping = TRUE;
  for (guint i = 0; i < sim->agents->len; i++)
    {
      Agent *agent = sim->agents->pdata[i];

      /* Idle or waiting agents are done at once, and so are sessions
       * waiting to log in again or between guesses; the others close
       * their session and stop after it. */
      if (agent->session != NULL && agent->session->session_id == NULL && agent->session->busy == 0)
        {
          if (agent->timer != NULL)
            {
              g_source_destroy (agent->timer);
              g_clear_pointer (&agent->timer, g_source_unref);
            }
          agent->session->cut = TRUE;
          _vigil_sim_session_finish (agent);
        }
      else if (agent->session == NULL && !agent->done)
        {
          if (agent->timer != NULL)
            {
              g_source_destroy (agent->timer);
              g_clear_pointer (&agent->timer, g_source_unref);
            }
          agent->done = TRUE;
        }
    }
  check_finished (sim);
}

static gboolean
on_tick (gpointer user_data)
{
  Sim *sim = user_data;
  gint64 now = g_get_monotonic_time ();

  update_progress (sim);
  if (sim->options->progress_func != NULL)
    sim->options->progress_func (sim->report, sim->options->progress_data);
  if (!sim->stopping && sim->window_end_us != 0 && now >= sim->window_end_us)
    stop_window (sim);
  /* Sessions that do not close in time are left to the server. */
  if (sim->stopping && sim->window_end_us != 0 && now >= sim->window_end_us + sim->options->drain_s * G_USEC_PER_SEC)
    {
      vigil_sim_report_error (sim->report, "some sessions did not close in time after the window");
      sim->finished = TRUE;
    }
  check_finished (sim);
  return G_SOURCE_CONTINUE;
}

/* The run opens the window when the last agent finished enrolling, and
 * ends when every agent is done. */
void
_vigil_sim_agent_idle (Agent *agent)
{
  Sim *sim = agent->sim;

  if (sim->stopping)
    {
      agent->done = TRUE;
      check_finished (sim);
      return;
    }
  if (agent->enroll_left == 0 && sim->window_start_us == 0)
    {
      if (!agent->waiting)
        {
          agent->waiting = TRUE;
          sim->enrolling--;
        }
      if (sim->enrolling > 0)
        return;
      /* The last one to finish enrollment opens the window for all. */
      sim->window_start_us = g_get_monotonic_time ();
      if (sim->options->duration_s > 0)
        sim->window_end_us = sim->window_start_us + (gint64) (sim->options->duration_s * G_USEC_PER_SEC);
      for (guint i = 0; i < sim->agents->len; i++)
        {
          Agent *other = sim->agents->pdata[i];

          if (other->waiting && other != agent)
            {
              other->waiting = FALSE;
              _vigil_sim_schedule (other, g_rand_double_range (other->rng, 0, 2), (GSourceFunc) _vigil_sim_agent_next);
            }
        }
      agent->waiting = FALSE;
    }
  _vigil_sim_schedule (agent, vigil_sim_rand_lognormal (agent->rng, 2.0, 0.5) * sim->time_scale /
                              (agent->enroll_left > 0 ? sim->options->enroll_speed : 1),
                       (GSourceFunc) _vigil_sim_agent_next);
}

static void
on_map (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Sim *sim = user_data;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  double natural = 0;

  sim->pending--;
  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (sim->cancelled)
    return;
  msg = g_object_steal_data (G_OBJECT (source), "vigil-sim-map-msg");
  if (body == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_set_error (&sim->fatal, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read %s/event-flow-map: %s", sim->base_url,
                   body == NULL ? error->message : soup_message_get_reason_phrase (msg));
      sim->finished = TRUE;
      return;
    }
  sim->map = vigil_sim_map_new (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (sim->map == NULL)
    {
      g_set_error (&sim->fatal, G_IO_ERROR, G_IO_ERROR_FAILED, "the server's event-flow map: %s", error->message);
      sim->finished = TRUE;
      return;
    }

  for (guint i = 0; i < sim->options->users; i++)
    {
      Agent *agent = agent_new (sim, i);

      g_ptr_array_add (sim->agents, agent);
      natural += 1.0 / agent->signature->gap_s;
    }
  sim->time_scale = sim->options->rate > 0 ? natural / sim->options->rate : 1;
  sim->enrolling = sim->agents->len;
  sim->start_us = g_get_monotonic_time ();
  if (sim->options->acks_only || sim->options->enroll_sessions == 0)
    {
      sim->window_start_us = sim->start_us;
      if (sim->options->duration_s > 0)
        sim->window_end_us = sim->window_start_us + (gint64) (sim->options->duration_s * G_USEC_PER_SEC);
    }
  for (guint i = 0; i < sim->agents->len; i++)
    _vigil_sim_schedule (sim->agents->pdata[i], i * START_STAGGER_S, (GSourceFunc) _vigil_sim_agent_begin);

  sim->tick = g_timeout_source_new (1000);
  g_source_set_callback (sim->tick, on_tick, sim, NULL);
  g_source_attach (sim->tick, sim->context);
}

static void
on_outer_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  Sim *sim = user_data;

  /* May run in another thread: only flag and wake the loop up. Our own
   * cancellable is cancelled on the run's thread, where its sources are
   * (cancelling it from another thread races with them in GLib 2.74). */
  g_atomic_int_set (&sim->stop_requested, TRUE);
  g_main_context_wakeup (sim->context);
}

static gboolean
check_url (Sim         *sim,
           const char  *url,
           GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, error);
  g_autoptr(GInetAddress) address = NULL;

  if (uri == NULL)
    return FALSE;
  if (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 && g_strcmp0 (g_uri_get_scheme (uri), "https") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--url must be http:// or https://, not '%s'", url);
      return FALSE;
    }
  sim->base_url = g_strdup (url);
  while (g_str_has_suffix (sim->base_url, "/"))
    sim->base_url[strlen (sim->base_url) - 1] = '\0';
  sim->host = g_strdup (g_uri_get_host (uri));
  address = g_inet_address_new_from_string (sim->host);
  sim->loopback = address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4 &&
                  g_inet_address_get_is_loopback (address);
  return TRUE;
}

static gboolean
sockets_closing (Sim *sim)
{
  for (guint i = 0; i < sim->agents->len; i++)
    {
      Agent *agent = sim->agents->pdata[i];

      if (agent->session != NULL && agent->session->ws != NULL &&
          soup_websocket_connection_get_state (agent->session->ws) != SOUP_WEBSOCKET_STATE_CLOSED)
        return TRUE;
    }
  return FALSE;
}

static void
sim_teardown (Sim *sim)
{
  gint64 deadline;

  /* Nothing new starts from here on (timers, requests, sockets). */
  sim->cancelled = TRUE;
  g_cancellable_cancel (sim->cancellable);
  if (sim->tick != NULL)
    {
      g_source_destroy (sim->tick);
      g_clear_pointer (&sim->tick, g_source_unref);
    }
  for (guint i = 0; i < sim->agents->len; i++)
    {
      Agent *agent = sim->agents->pdata[i];

      if (agent->timer != NULL)
        {
          g_source_destroy (agent->timer);
          g_clear_pointer (&agent->timer, g_source_unref);
        }
      if (agent->session != NULL && agent->session->ws != NULL)
        {
          g_signal_handlers_disconnect_by_data (agent->session->ws, agent);
          if (soup_websocket_connection_get_state (agent->session->ws) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close (agent->session->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
        }
    }
  /* A socket left mid-close keeps its connection alive forever; a
   * cancelled request still calls back, and its agent must be there. */
  deadline = g_get_monotonic_time () + CLOSE_WAIT_S * G_USEC_PER_SEC;
  while (sockets_closing (sim) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (sim->context, FALSE))
      g_usleep (1000);
  while (sim->pending > 0)
    g_main_context_iteration (sim->context, TRUE);
  for (guint i = 0; i < sim->agents->len; i++)
    {
      Agent *agent = sim->agents->pdata[i];

      soup_session_abort (agent->http);
      if (agent->session != NULL && agent->session->attacker_http != NULL)
        soup_session_abort (agent->session->attacker_http);
    }
  g_ptr_array_unref (sim->agents);
  /* Aborted connections finish their pending I/O (each holds the context
   * until it has): a moment's dispatching, at the end only. */
  deadline = g_get_monotonic_time () + SETTLE_S * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (sim->context, FALSE))
      g_usleep (1000);
  if (sim->outer_cancellable != NULL)
    g_cancellable_disconnect (sim->outer_cancellable, sim->outer_cancel_id);
  g_clear_object (&sim->cancellable);
  g_clear_pointer (&sim->map, vigil_sim_map_free);
  g_free (sim->base_url);
  g_free (sim->host);
}

VigilSimReport *
vigil_sim_run (const VigilSimOptions  *options,
               GCancellable           *cancellable,
               GError                **error)
{
  Sim sim = { 0 };
  g_autoptr(SoupSession) probe = NULL;
  g_autofree char *url = NULL;
  SoupMessage *msg;
  VigilSimReport *report;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->users > 0, NULL);

  if (!check_url (&sim, options->url, error))
    {
      g_free (sim.base_url);
      g_free (sim.host);
      return NULL;
    }
  sim.options = options;
  sim.context = g_main_context_ref_thread_default ();
  sim.cancellable = g_cancellable_new ();
  sim.agents = g_ptr_array_new_with_free_func (agent_free);
  sim.report = vigil_sim_report_new ();
  sim.report->users = options->users;
  sim.report->seed = options->seed;
  sim.report->acks_only = options->acks_only;
  if (cancellable != NULL)
    {
      sim.outer_cancellable = cancellable;
      sim.outer_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_outer_cancelled), &sim, NULL);
    }

  /* The map the server serves is the one its navigation model knows. */
  probe = _vigil_sim_http_session (&sim, NULL);
  url = g_strconcat (sim.base_url, "/event-flow-map", NULL);
  msg = soup_message_new ("GET", url);
  g_object_set_data_full (G_OBJECT (probe), "vigil-sim-map-msg", msg, g_object_unref);
  sim.pending++;
  soup_session_send_and_read_async (probe, msg, G_PRIORITY_DEFAULT, sim.cancellable, on_map, &sim);

  while (!sim.finished && !g_atomic_int_get (&sim.stop_requested))
    g_main_context_iteration (sim.context, TRUE);

  update_progress (&sim);
  soup_session_abort (probe);
  g_clear_object (&probe);
  sim_teardown (&sim);
  report = sim.report;
  g_main_context_unref (sim.context);
  if (sim.fatal != NULL)
    {
      g_propagate_error (error, sim.fatal);
      vigil_sim_report_free (report);
      return NULL;
    }
  return report;
}
