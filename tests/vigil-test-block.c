/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live session driven to an automatic block, for tests of what follows
 * from decisions. */
#include "config.h"

#include "vigil-test-block.h"

#include <string.h>

#include "vigil-test-util.h"
#include "vigil-time.h"

typedef struct
{
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
  wait->done = TRUE;
}

static VigilEvent *
make_event (gint64      at_us,
            const char *type,
            const char *data)
{
  g_autofree char *when = vigil_time_format_iso8601 (at_us);
  g_autofree char *text = g_strdup_printf ("{\"event_type\":\"%s\",\"timestamp\":\"%s\",\"data\":%s}",
                                           type, when, data ? data : "{}");
  g_autoptr(JsonNode) node = json_from_string (text, NULL);
  g_autoptr(GError) error = NULL;
  VigilEvent *event;

  g_assert_nonnull (node);
  event = vigil_event_new_from_json (json_node_get_object (node), strlen (text), &error);
  g_assert_no_error (error);
  return event;
}

VigilSession *
vigil_test_block_session (VigilEngine *engine,
                          const char  *user_id)
{
  VigilSessions *sessions = vigil_engine_get_sessions (engine);
  g_autoptr(JsonObject) context = json_object_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(GAsyncResult) started = NULL;
  g_autoptr(GAsyncResult) appended = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = vigil_clock_now_us (vigil_engine_get_clock (engine));
  Wait start_wait = { 0 };
  Wait append_wait = { 0 };
  VigilSession *session;

  json_object_set_string_member (context, "device_id", "device-1");
  json_object_set_string_member (context, "device_model", "Pixel 7");
  json_object_set_string_member (context, "os_version", "Android 14");
  vigil_sessions_start_async (sessions, user_id, "device-1", context, "127.0.0.1", NULL, on_done, &start_wait);
  g_assert_true (vigil_test_wait_for (&start_wait.done, 30000));
  started = start_wait.result;
  session = vigil_sessions_start_finish (sessions, started, &error);
  g_assert_no_error (error);

  g_ptr_array_add (events, make_event (now + 1000000, "security_check", "{\"device_id\": \"device-666\"}"));
  g_ptr_array_add (events, make_event (now + 2300000, "mpin_failed", NULL));
  g_ptr_array_add (events, make_event (now + 3900000, "mpin_failed", NULL));
  vigil_sessions_append_async (sessions, vigil_session_get_id (session), user_id, events, NULL,
                               on_done, &append_wait);
  g_assert_true (vigil_test_wait_for (&append_wait.done, 30000));
  appended = append_wait.result;
  vigil_sessions_append_finish (sessions, appended, &error);
  g_assert_no_error (error);

  vigil_event_bus_flush (vigil_engine_get_event_bus (engine));
  vigil_store_flush (vigil_engine_get_store (engine));
  vigil_test_drain_main_context ();
  return session;
}
