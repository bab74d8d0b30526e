/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Coalesces what the engine reports into one emission per tick, so the
 * console and monitor sockets keep up at any event rate. */
#define G_LOG_DOMAIN "vigil-event-bus"

#include "config.h"

#include "vigil-event-bus.h"

/* About one frame: live views never need more. */
#define TICK_MS 16

struct _VigilEventBus
{
  GObject     parent_instance;

  GPtrArray  *pending_events;     /* VigilEvent */
  GHashTable *pending_sessions;   /* VigilSession → itself, insertion order kept below */
  GPtrArray  *session_order;
  gboolean    audit_appended;
  gboolean    user_changed;
  guint       tick_id;
};

G_DEFINE_FINAL_TYPE (VigilEventBus, vigil_event_bus, G_TYPE_OBJECT)

enum {
  EVENTS_RECEIVED,
  SESSION_CHANGED,
  AUDIT_APPENDED,
  USER_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
vigil_event_bus_dispose (GObject *object)
{
  VigilEventBus *self = VIGIL_EVENT_BUS (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_pointer (&self->pending_events, g_ptr_array_unref);
  g_clear_pointer (&self->pending_sessions, g_hash_table_unref);
  g_clear_pointer (&self->session_order, g_ptr_array_unref);

  G_OBJECT_CLASS (vigil_event_bus_parent_class)->dispose (object);
}

static void
vigil_event_bus_class_init (VigilEventBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_event_bus_dispose;

  /* A GPtrArray of VigilEvent, committed since the last tick, in order. */
  signals[EVENTS_RECEIVED] =
    g_signal_new ("events-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
  signals[SESSION_CHANGED] =
    g_signal_new ("session-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, VIGIL_TYPE_SESSION);
  signals[AUDIT_APPENDED] =
    g_signal_new ("audit-appended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[USER_CHANGED] =
    g_signal_new ("user-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
vigil_event_bus_init (VigilEventBus *self)
{
  self->pending_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  self->pending_sessions = g_hash_table_new (NULL, NULL);
  self->session_order = g_ptr_array_new_with_free_func (g_object_unref);
}

VigilEventBus *
vigil_event_bus_new (void)
{
  return g_object_new (VIGIL_TYPE_EVENT_BUS, NULL);
}

void
vigil_event_bus_flush (VigilEventBus *self)
{
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  gboolean audit_appended, user_changed;

  g_return_if_fail (VIGIL_IS_EVENT_BUS (self));

  g_clear_handle_id (&self->tick_id, g_source_remove);

  /* Swap before emitting: handlers may post more for the next tick. */
  events = g_steal_pointer (&self->pending_events);
  self->pending_events = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_event_unref);
  sessions = g_steal_pointer (&self->session_order);
  self->session_order = g_ptr_array_new_with_free_func (g_object_unref);
  g_hash_table_remove_all (self->pending_sessions);
  audit_appended = self->audit_appended;
  user_changed = self->user_changed;
  self->audit_appended = self->user_changed = FALSE;

  if (events->len > 0)
    g_signal_emit (self, signals[EVENTS_RECEIVED], 0, events);
  for (guint i = 0; i < sessions->len; i++)
    g_signal_emit (self, signals[SESSION_CHANGED], 0, g_ptr_array_index (sessions, i));
  if (audit_appended)
    g_signal_emit (self, signals[AUDIT_APPENDED], 0);
  if (user_changed)
    g_signal_emit (self, signals[USER_CHANGED], 0);
}

static gboolean
on_tick (gpointer user_data)
{
  VigilEventBus *self = user_data;

  self->tick_id = 0;
  vigil_event_bus_flush (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_tick (VigilEventBus *self)
{
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add (TICK_MS, on_tick, self);
}

void
vigil_event_bus_post_events (VigilEventBus *self,
                             GPtrArray     *events)
{
  g_return_if_fail (VIGIL_IS_EVENT_BUS (self));

  for (guint i = 0; i < events->len; i++)
    g_ptr_array_add (self->pending_events, vigil_event_ref (g_ptr_array_index (events, i)));
  schedule_tick (self);
}

void
vigil_event_bus_post_session (VigilEventBus *self,
                              VigilSession  *session)
{
  g_return_if_fail (VIGIL_IS_EVENT_BUS (self));

  if (g_hash_table_add (self->pending_sessions, session))
    g_ptr_array_add (self->session_order, g_object_ref (session));
  schedule_tick (self);
}

void
vigil_event_bus_post_audit_appended (VigilEventBus *self)
{
  g_return_if_fail (VIGIL_IS_EVENT_BUS (self));

  self->audit_appended = TRUE;
  schedule_tick (self);
}

void
vigil_event_bus_post_user_changed (VigilEventBus *self)
{
  g_return_if_fail (VIGIL_IS_EVENT_BUS (self));

  self->user_changed = TRUE;
  schedule_tick (self);
}
