/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The event bus coalesces: a burst costs one emission, not one per event. */
#include "config.h"

#include "vigil-event-bus.h"
#include "vigil-test-util.h"

typedef struct
{
  guint    emissions;
  guint    events;
  gint64   last_seq;
  gboolean ordered;
} Heard;

static void
on_events (VigilEventBus *bus,
           GPtrArray     *events,
           gpointer       user_data)
{
  Heard *heard = user_data;

  heard->emissions++;
  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);

      heard->ordered = heard->ordered && event->seq == heard->last_seq + 1;
      heard->last_seq = event->seq;
    }
  heard->events += events->len;
}

static GPtrArray *
make_batch (gint64 first_seq,
            guint  count)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  g_autoptr(JsonNode) message = json_from_string ("{\"x\":1}", NULL);

  for (guint i = 0; i < count; i++)
    {
      VigilEvent *event = vigil_event_new_raw ("touch", message, 7);

      event->seq = first_seq + i;
      g_ptr_array_add (batch, event);
    }
  return batch;
}

static void
test_burst_is_one_emission (void)
{
  g_autoptr(VigilEventBus) bus = vigil_event_bus_new ();
  Heard heard = { .ordered = TRUE };
  gboolean never = FALSE;

  g_signal_connect (bus, "events-received", G_CALLBACK (on_events), &heard);

  /* 10,000 events posted in 100 commits within one tick. */
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GPtrArray) batch = make_batch (1 + i * 100, 100);

      vigil_event_bus_post_events (bus, batch);
    }
  g_assert_cmpuint (heard.emissions, ==, 0);

  vigil_test_wait_for (&never, 100);
  g_assert_cmpuint (heard.emissions, ==, 1);
  g_assert_cmpuint (heard.events, ==, 10000);
  g_assert_true (heard.ordered);

  /* Nothing posted, nothing emitted. */
  vigil_test_wait_for (&never, 50);
  g_assert_cmpuint (heard.emissions, ==, 1);
}

static void
test_flush_emits_now (void)
{
  g_autoptr(VigilEventBus) bus = vigil_event_bus_new ();
  g_autoptr(GPtrArray) batch = make_batch (1, 3);
  Heard heard = { .ordered = TRUE };

  g_signal_connect (bus, "events-received", G_CALLBACK (on_events), &heard);
  vigil_event_bus_post_events (bus, batch);
  vigil_event_bus_flush (bus);
  g_assert_cmpuint (heard.emissions, ==, 1);
  g_assert_cmpuint (heard.events, ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/event-bus/burst", test_burst_is_one_emission);
  g_test_add_func ("/event-bus/flush", test_flush_emits_now);

  return g_test_run ();
}
