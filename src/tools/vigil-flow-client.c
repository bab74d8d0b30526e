/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-flow-client"

#include "config.h"

#include "vigil-flow-client.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

/* Sends are spread over the second in slices this long. */
#define SLICE_MS 5

typedef struct
{
  char      *entry;        /* the screen's entry event */
  GPtrArray *events;       /* what can follow it (char *) */
} Screen;

typedef struct
{
  guint screen;
  guint64 seq;
} Walker;

typedef struct
{
  const VigilFlowClientOptions *options;
  VigilFlowClientResult        *result;
  GPtrArray                    *screens;      /* Screen */
  GPtrArray                    *conns;        /* SoupWebsocketConnection */
  Walker                       *walkers;
  GRand                        *rand;
  guint                         pending_connects;
  gint64                        start_us;
  guint                         next_session;
  gboolean                      done;
  gboolean                      lost;
  GError                       *error;
} Run;

static void
screen_free (gpointer data)
{
  Screen *screen = data;

  g_free (screen->entry);
  g_ptr_array_unref (screen->events);
  g_free (screen);
}

static gboolean
read_screens (Run     *run,
              GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *map;
  JsonNode *root;
  g_autoptr(GList) groups = NULL;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (run->options->flow_map, NULL),
                                   (gssize) g_bytes_get_size (run->options->flow_map), error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "eventFlowMap"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "No eventFlowMap");
      return FALSE;
    }
  map = json_object_get_object_member (json_node_get_object (root), "eventFlowMap");
  groups = json_object_get_members (map);
  for (GList *g = groups; g != NULL; g = g->next)
    {
      JsonObject *group = json_object_get_object_member (map, g->data);
      g_autoptr(GList) names = group ? json_object_get_members (group) : NULL;

      for (GList *n = names; n != NULL; n = n->next)
        {
          JsonObject *event = json_object_get_object_member (group, n->data);
          JsonArray *next;
          Screen *screen;

          if (event == NULL || !json_object_has_member (event, "screen"))
            continue;
          screen = g_new0 (Screen, 1);
          screen->entry = g_strdup (n->data);
          screen->events = g_ptr_array_new_with_free_func (g_free);
          next = json_object_has_member (event, "nextEvents")
                 ? json_object_get_array_member (event, "nextEvents") : NULL;
          for (guint i = 0; next != NULL && i < json_array_get_length (next); i++)
            g_ptr_array_add (screen->events, g_strdup (json_array_get_string_element (next, i)));
          g_ptr_array_add (run->screens, screen);
        }
    }
  if (run->screens->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The map has no screens");
      return FALSE;
    }
  return TRUE;
}

/* The session's next event: mostly one of its screen's, sometimes the
 * entry of another screen. */
static const char *
next_event (Run    *run,
            Walker *walker)
{
  Screen *screen = g_ptr_array_index (run->screens, walker->screen);

  if (walker->seq++ == 0 || screen->events->len == 0 || g_rand_int_range (run->rand, 0, 12) == 0)
    {
      walker->screen = (guint) g_rand_int_range (run->rand, 0, (gint32) run->screens->len);
      return ((Screen *) g_ptr_array_index (run->screens, walker->screen))->entry;
    }
  return g_ptr_array_index (screen->events, g_rand_int_range (run->rand, 0, (gint32) screen->events->len));
}

/* FALSE when the connection is no longer open. */
static gboolean
send_one (Run *run)
{
  guint session = run->next_session++ % run->options->sessions;
  SoupWebsocketConnection *conn = g_ptr_array_index (run->conns, session % run->conns->len);
  g_autofree char *message = NULL;

  if (soup_websocket_connection_get_state (conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;

  message = g_strdup_printf ("{\"session_id\":\"flow-%08x-%u\",\"user_id\":\"flow-user-%u\","
                             "\"event_type\":\"%s\",\"timestamp\":%.3f,\"data\":{\"seq\":%" G_GUINT64_FORMAT "}}",
                             run->options->seed, session, session,
                             next_event (run, &run->walkers[session]),
                             g_get_real_time () / 1e6, run->walkers[session].seq);
  soup_websocket_connection_send_text (conn, message);
  run->result->sent++;
  return TRUE;
}

static gboolean
pace_cb (gpointer user_data)
{
  Run *run = user_data;
  double elapsed = (g_get_monotonic_time () - run->start_us) / 1e6;
  guint64 due = (guint64) (MIN (elapsed, run->options->duration_s) * run->options->rate);

  while (run->result->sent < due)
    if (!send_one (run))
      {
        /* The server went away: stop rather than spin. */
        run->lost = TRUE;
        break;
      }

  if (run->lost || elapsed >= run->options->duration_s)
    {
      run->result->elapsed_s = elapsed;
      run->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
wake_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
on_message (SoupWebsocketConnection *conn,
            int                      type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Run *run = user_data;

  run->result->acked++;
}

static void
on_connected (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  run->pending_connects--;
  if (conn == NULL)
    {
      if (run->error == NULL)
        run->error = g_steal_pointer (&error);
      return;
    }
  g_signal_connect (conn, "message", G_CALLBACK (on_message), run);
  g_ptr_array_add (run->conns, conn);
  run->result->connections_ok++;
}

gboolean
vigil_flow_client_run (const VigilFlowClientOptions *options,
                       VigilFlowClientResult        *result,
                       GError                      **error)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *ws_url = NULL;
  g_autoptr(GPtrArray) screens = g_ptr_array_new_with_free_func (screen_free);
  g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (options->seed);
  g_autofree Walker *walkers = g_new0 (Walker, MAX (options->sessions, 1));
  GMainContext *context = g_main_context_get_thread_default ();
  Run run = { options, result, screens, conns, walkers, rand, 0, 0, 0, FALSE, FALSE, NULL };

  g_return_val_if_fail (options->connections > 0 && options->sessions > 0, FALSE);

  memset (result, 0, sizeof *result);
  if (!read_screens (&run, error))
    return FALSE;

  ws_url = g_strdup_printf ("%s%sws/behaviour", options->url,
                            g_str_has_suffix (options->url, "/") ? "" : "/");
  for (guint i = 0; i < options->connections; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", ws_url);

      if (msg == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Bad URL %s", ws_url);
          return FALSE;
        }
      run.pending_connects++;
      soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                            NULL, on_connected, &run);
    }
  while (run.pending_connects > 0)
    g_main_context_iteration (context, TRUE);
  if (conns->len == 0)
    {
      g_propagate_error (error, g_steal_pointer (&run.error));
      return FALSE;
    }
  g_clear_error (&run.error);

  run.start_us = g_get_monotonic_time ();
  g_timeout_add (SLICE_MS, pace_cb, &run);
  while (!run.done)
    g_main_context_iteration (context, TRUE);

  /* The acknowledgements still on their way; the timeout wakes the loop
   * when none comes. */
  {
    gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
    guint wake_id = g_timeout_add (100, wake_cb, NULL);

    while (result->acked < result->sent && g_get_monotonic_time () < deadline)
      g_main_context_iteration (context, TRUE);
    g_source_remove (wake_id);
  }

  for (guint i = 0; i < conns->len; i++)
    {
      SoupWebsocketConnection *conn = g_ptr_array_index (conns, i);

      g_signal_handlers_disconnect_by_data (conn, &run);
      if (soup_websocket_connection_get_state (conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  if (run.lost)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                   "The server closed a connection after %" G_GUINT64_FORMAT " events", result->sent);
      return FALSE;
    }
  return TRUE;
}
