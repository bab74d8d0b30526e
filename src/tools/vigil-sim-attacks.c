/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The attacks without a behavioral session, judged by the server's
 * answers alone: credential stuffing (429) and MPIN guessing (423). */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include <string.h>

#include "vigil-sim-private.h"

#define STUFFING_ATTEMPTS   30
#define MPIN_GUESSES        10

static void stuffing_attempt (Agent *agent);

/* Credential stuffing: leaked pairs tried from one address. */

static void
on_stuffing_reply (Agent       *agent,
                   guint        status,
                   JsonObject  *object,
                   SoupMessage *msg)
{
  SimSession *session = agent->session;
  VigilSimScenarioStats *stats = _vigil_sim_stats_of (agent);

  if (status == 429)
    {
      stats->rate_limited++;
      _vigil_sim_note_detection (agent);
    }
  else if (status == SOUP_STATUS_UNAUTHORIZED)
    stats->logins_failed++;
  else if (status == 0 || status != SOUP_STATUS_BAD_REQUEST)
    _vigil_sim_agent_error (agent, "credential stuffing: unexpected HTTP %u", status);
  if (session->stuffing_phase >= STUFFING_ATTEMPTS || agent->sim->stopping)
    {
      session->cut = session->stuffing_phase < STUFFING_ATTEMPTS;
      _vigil_sim_session_finish (agent);
      return;
    }
  _vigil_sim_schedule (agent, g_rand_double_range (agent->rng, 0.05, 0.2) * agent->sim->time_scale,
                       (GSourceFunc) stuffing_attempt);
}

static void
stuffing_attempt (Agent *agent)
{
  Sim *sim = agent->sim;
  SimSession *session = agent->session;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *phone = NULL;
  g_autofree char *password = g_strdup_printf ("Leaked-%08x", g_rand_int (agent->rng));

  /* Half the list is real customers (with an old password), half not. */
  if (g_rand_boolean (agent->rng))
    phone = g_strdup (((Agent *) sim->agents->pdata[g_rand_int_range (agent->rng, 0, sim->agents->len)])->phone);
  else
    phone = g_strdup_printf ("6%09u", g_rand_int_range (agent->rng, 0, 1000000000));
  session->stuffing_phase++;
  if (session->attack_start_us == 0)
    session->attack_start_us = _vigil_sim_now_us ();
  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "phone", phone);
  _vigil_sim_add_string (b, "password", password);
  _vigil_sim_add_string (b, "device_id", "stuffing-rig");
  json_builder_end_object (b);
  _vigil_sim_post (agent, session->attacker_http, "/api/v1/auth/login", NULL, b, on_stuffing_reply);
}

/* MPIN guessing on a fresh victim whose password leaked. */

static void brute_guess (Agent *agent);

static void
on_guess (Agent       *agent,
          guint        status,
          JsonObject  *object,
          SoupMessage *msg)
{
  SimSession *session = agent->session;
  VigilSimScenarioStats *stats = _vigil_sim_stats_of (agent);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    stats->mpin_failed++;
  else if (status == 423 || status == 429)
    {
      if (status == 423)
        stats->mpin_locked++;
      else
        stats->rate_limited++;
      _vigil_sim_note_detection (agent);
      _vigil_sim_session_finish (agent);
      return;
    }
  else
    _vigil_sim_agent_error (agent, "MPIN guessing: unexpected HTTP %u", status);
  if (session->stuffing_phase >= MPIN_GUESSES || agent->sim->stopping || status == 0)
    {
      session->cut = agent->sim->stopping && status != 0;
      _vigil_sim_session_finish (agent);
      return;
    }
  _vigil_sim_schedule (agent, g_rand_double_range (agent->rng, 0.2, 0.6) * agent->sim->time_scale,
                       (GSourceFunc) brute_guess);
}

static void
brute_guess (Agent *agent)
{
  SimSession *session = agent->session;
  g_autofree char *guess = NULL;

  /* Guesses the common ones first, never the real one (drawn unlike them). */
  guess = g_strdup_printf ("%0*u", (int) agent->sim->options->mpin_length, session->stuffing_phase * 111111u %
                           1000000u);
  if (strlen (guess) > agent->sim->options->mpin_length)
    guess[agent->sim->options->mpin_length] = '\0';
  session->stuffing_phase++;
  if (session->attack_start_us == 0)
    session->attack_start_us = _vigil_sim_now_us ();
  _vigil_sim_verify_mpin (agent, guess, on_guess);
}

static void
on_brute_login (Agent       *agent,
                guint        status,
                JsonObject  *object,
                SoupMessage *msg)
{
  if (status != SOUP_STATUS_OK || _vigil_sim_string (object, "access_token") == NULL)
    {
      _vigil_sim_session_fail (agent, "login of the MPIN target", status);
      return;
    }
  agent->session->access_token = g_strdup (_vigil_sim_string (object, "access_token"));
  brute_guess (agent);
}

static void
on_brute_registered (Agent       *agent,
                     guint        status,
                     JsonObject  *object,
                     SoupMessage *msg)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint target = agent->session->attempts;
  g_autofree char *phone = g_strdup_printf ("8%03u%06u", agent->sim->options->seed % 1000, target % 1000000);
  g_autofree char *password = g_strdup_printf ("Sim-%u-target-%u-pass", agent->sim->options->seed, target);

  if (status != SOUP_STATUS_CREATED && status != SOUP_STATUS_OK)
    {
      _vigil_sim_session_fail (agent, "register the MPIN target", status);
      return;
    }
  json_builder_begin_object (b);
  _vigil_sim_add_string (b, "phone", phone);
  _vigil_sim_add_string (b, "password", password);
  _vigil_sim_add_string (b, "device_id", agent->session->device.device_id);
  json_builder_end_object (b);
  _vigil_sim_post (agent, _vigil_sim_http_of (agent), "/api/v1/auth/login", NULL, b, on_brute_login);
}

static void
brute_register (Agent *agent)
{
  Sim *sim = agent->sim;
  SimSession *session = agent->session;
  guint target = sim->attackers++;
  g_autofree char *phone = g_strdup_printf ("8%03u%06u", sim->options->seed % 1000, target % 1000000);
  g_autofree char *password = g_strdup_printf ("Sim-%u-target-%u-pass", sim->options->seed, target);
  g_autoptr(VigilSimSignature) attacker = vigil_sim_signature_new_attacker (sim->options->seed, target);
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(GString) mpin = g_string_new (NULL);

  /* The target's real MPIN has none of the repeated digits guessed. */
  for (guint i = 0; i < sim->options->mpin_length; i++)
    g_string_append_c (mpin, '1' + (char) ((i * 3 + target) % 9));
  b = _vigil_sim_registration (phone, password, mpin->str);
  session->attempts = target;
  session->attacker_http = _vigil_sim_attacker_session (sim);
  _vigil_sim_device_copy (&session->device, &attacker->device);
  session->context_ip = g_strdup_printf ("198.51.100.%u", 1 + target % 254);
  /* The victim registered from home, not from the attacker's address. */
  _vigil_sim_post (agent, agent->http, "/api/v1/auth/register", NULL, b, on_brute_registered);
}

void
_vigil_sim_stuffing_begin (Agent *agent)
{
  agent->session->attacker_http = _vigil_sim_attacker_session (agent->sim);
  agent->sim->attackers++;
  stuffing_attempt (agent);
}

void
_vigil_sim_mpin_guessing_begin (Agent *agent)
{
  brute_register (agent);
}
