/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-session-item"

#include "config.h"

#include "vigil-session-item.h"

struct _VigilSessionItem
{
  GObject   parent_instance;

  char     *id;
  char     *user;
  char     *user_id;
  char     *device;
  char     *state;
  char     *decision;
  gint64    started_us;
  gint64    last_activity_us;
  gint64    ended_us;
  guint64   events;
  double    risk;
  gboolean  live;
};

G_DEFINE_FINAL_TYPE (VigilSessionItem, vigil_session_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_USER,
  PROP_DEVICE,
  PROP_STATE,
  PROP_DECISION,
  PROP_STARTED,
  PROP_ENDED,
  PROP_DURATION,
  PROP_EVENTS,
  PROP_RISK,
  PROP_LIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
vigil_session_item_finalize (GObject *object)
{
  VigilSessionItem *self = VIGIL_SESSION_ITEM (object);

  g_free (self->id);
  g_free (self->user);
  g_free (self->user_id);
  g_free (self->device);
  g_free (self->state);
  g_free (self->decision);

  G_OBJECT_CLASS (vigil_session_item_parent_class)->finalize (object);
}

static void
vigil_session_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VigilSessionItem *self = VIGIL_SESSION_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:       g_value_set_string (value, self->id); break;
    case PROP_USER:     g_value_set_string (value, self->user); break;
    case PROP_DEVICE:   g_value_set_string (value, self->device); break;
    case PROP_STATE:    g_value_set_string (value, self->state); break;
    case PROP_DECISION: g_value_set_string (value, self->decision); break;
    case PROP_STARTED:  g_value_set_int64 (value, self->started_us); break;
    case PROP_ENDED:    g_value_set_int64 (value, self->ended_us); break;
    case PROP_DURATION: g_value_set_int64 (value, vigil_session_item_get_duration (self)); break;
    case PROP_EVENTS:   g_value_set_uint64 (value, self->events); break;
    case PROP_RISK:     g_value_set_double (value, self->risk); break;
    case PROP_LIVE:     g_value_set_boolean (value, self->live); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_session_item_class_init (VigilSessionItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = vigil_session_item_finalize;
  object_class->get_property = vigil_session_item_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_USER] = g_param_spec_string ("user", NULL, NULL, NULL, flags);
  properties[PROP_DEVICE] = g_param_spec_string ("device", NULL, NULL, NULL, flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, flags);
  properties[PROP_DECISION] = g_param_spec_string ("decision", NULL, NULL, NULL, flags);
  properties[PROP_STARTED] = g_param_spec_int64 ("started", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ENDED] = g_param_spec_int64 ("ended", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_DURATION] = g_param_spec_int64 ("duration", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_EVENTS] = g_param_spec_uint64 ("events", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_RISK] = g_param_spec_double ("risk", NULL, NULL, 0, 1, 0, flags);
  properties[PROP_LIVE] = g_param_spec_boolean ("live", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_session_item_init (VigilSessionItem *self)
{
}

static void
set_string (VigilSessionItem  *self,
            char             **field,
            const char        *value,
            guint              prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  if (prop != PROP_0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

VigilSessionItem *
_vigil_session_item_new (const char                 *id,
                         const VigilSessionItemData *data)
{
  VigilSessionItem *self = g_object_new (VIGIL_TYPE_SESSION_ITEM, NULL);

  self->id = g_strdup (id);
  _vigil_session_item_update (self, data);
  return self;
}

void
_vigil_session_item_update (VigilSessionItem           *self,
                            const VigilSessionItemData *data)
{
  gint64 duration = vigil_session_item_get_duration (self);
  double risk = CLAMP (data->risk, 0.0, 1.0);

  g_return_if_fail (VIGIL_IS_SESSION_ITEM (self));

  /* Frozen, so that a cell bound to several properties hears of them
   * after all are set. */
  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->user, data->user, PROP_USER);
  set_string (self, &self->user_id, data->user_id, PROP_0);
  set_string (self, &self->device, data->device, PROP_DEVICE);
  set_string (self, &self->state, data->state, PROP_STATE);
  set_string (self, &self->decision, data->decision, PROP_DECISION);
  if (self->started_us != data->started_us)
    {
      self->started_us = data->started_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
    }
  if (self->ended_us != data->ended_us)
    {
      self->ended_us = data->ended_us;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENDED]);
    }
  self->last_activity_us = data->last_activity_us;
  if (vigil_session_item_get_duration (self) != duration)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
  if (self->events != data->events)
    {
      self->events = data->events;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENTS]);
    }
  if (self->risk != risk)
    {
      self->risk = risk;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RISK]);
    }
  if (self->live != data->live)
    {
      self->live = data->live;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
_vigil_session_item_set_decision (VigilSessionItem *self,
                                  const char       *decision)
{
  g_return_if_fail (VIGIL_IS_SESSION_ITEM (self));

  set_string (self, &self->decision, decision, PROP_DECISION);
}

const char *
vigil_session_item_get_id (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), NULL);
  return self->id;
}

const char *
vigil_session_item_get_user (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), NULL);
  return self->user;
}

const char *
vigil_session_item_get_user_id (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), NULL);
  return self->user_id;
}

const char *
vigil_session_item_get_device (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), NULL);
  return self->device;
}

const char *
vigil_session_item_get_state (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), NULL);
  return self->state;
}

const char *
vigil_session_item_get_decision (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), NULL);
  return self->decision;
}

gint64
vigil_session_item_get_started (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), 0);
  return self->started_us;
}

gint64
vigil_session_item_get_ended (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), 0);
  return self->ended_us;
}

gint64
vigil_session_item_get_duration (VigilSessionItem *self)
{
  gint64 until;

  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), 0);

  until = self->ended_us > 0 ? self->ended_us : self->last_activity_us;
  return MAX (0, until - self->started_us) / G_USEC_PER_SEC;
}

guint64
vigil_session_item_get_events (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), 0);
  return self->events;
}

double
vigil_session_item_get_risk (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), 0);
  return self->risk;
}

gboolean
vigil_session_item_get_live (VigilSessionItem *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_ITEM (self), FALSE);
  return self->live;
}
