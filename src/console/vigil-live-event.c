/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-live-event"

#include "config.h"

#include "vigil-live-event.h"

struct _VigilLiveEvent
{
  GObject     parent_instance;

  VigilEvent *event;
  const char *screen;   /* interned */
};

G_DEFINE_FINAL_TYPE (VigilLiveEvent, vigil_live_event, G_TYPE_OBJECT)

static void
vigil_live_event_finalize (GObject *object)
{
  VigilLiveEvent *self = (VigilLiveEvent *)object;

  g_clear_pointer (&self->event, vigil_event_unref);

  G_OBJECT_CLASS (vigil_live_event_parent_class)->finalize (object);
}

static void
vigil_live_event_class_init (VigilLiveEventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_live_event_finalize;
}

static void
vigil_live_event_init (VigilLiveEvent *self)
{
}

VigilLiveEvent *
vigil_live_event_new (VigilEvent *event,
                      const char *screen)
{
  VigilLiveEvent *self;

  g_return_val_if_fail (event != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_LIVE_EVENT, NULL);
  self->event = vigil_event_ref (event);
  self->screen = screen;
  return self;
}

VigilEvent *
vigil_live_event_get_event (VigilLiveEvent *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_EVENT (self), NULL);

  return self->event;
}

const char *
vigil_live_event_get_screen (VigilLiveEvent *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_EVENT (self), NULL);

  return self->screen;
}
