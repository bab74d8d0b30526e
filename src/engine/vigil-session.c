/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live state of one behavioral session: counters, the bounded buffer
 * of recent events that feeds live views, and the signals that sockets
 * turn into pushes. The store keeps every event; the buffer only the
 * newest. */
#define G_LOG_DOMAIN "vigil-session"

#include "config.h"

#include "vigil-session-private.h"

struct _VigilSession
{
  GObject            parent_instance;

  char              *id;
  VigilSessionKind   kind;
  char              *user_id;
  char              *claimed_user;
  char              *device_id;
  JsonObject        *context;
  VigilSessionState  state;
  char              *end_reason;
  gint64             started_at_us;
  gint64             ended_at_us;
  gint64             last_activity_us;
  gint64             next_seq;
  guint64            event_count;
  gboolean           backgrounded;
  guint              sockets;
  double             risk_score;

  GQueue             buffer;          /* VigilEvent, oldest first */
  guint              buffer_capacity;
  GHashTable        *event_types;     /* event_type → count */
};

G_DEFINE_FINAL_TYPE (VigilSession, vigil_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_BACKGROUNDED,
  N_PROPS
};

enum {
  MPIN_REQUIRED,
  BLOCKED,
  ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

const char *
vigil_session_state_to_string (VigilSessionState state)
{
  switch (state)
    {
    case VIGIL_SESSION_ACTIVE:
      return "active";
    case VIGIL_SESSION_MONITOR:
      return "monitor";
    case VIGIL_SESSION_BLOCKED:
      return "blocked";
    case VIGIL_SESSION_ENDED:
      return "ended";
    default:
      g_return_val_if_reached ("active");
    }
}

const char *
vigil_session_kind_to_string (VigilSessionKind kind)
{
  switch (kind)
    {
    case VIGIL_SESSION_KIND_AUTHENTICATED:
      return "authenticated";
    case VIGIL_SESSION_KIND_STREAM:
      return "stream";
    default:
      g_return_val_if_reached ("authenticated");
    }
}

static void
vigil_session_finalize (GObject *object)
{
  VigilSession *self = VIGIL_SESSION (object);

  g_queue_clear_full (&self->buffer, (GDestroyNotify) vigil_event_unref);
  g_clear_pointer (&self->event_types, g_hash_table_unref);
  g_clear_pointer (&self->context, json_object_unref);
  g_free (self->id);
  g_free (self->user_id);
  g_free (self->claimed_user);
  g_free (self->device_id);
  g_free (self->end_reason);

  G_OBJECT_CLASS (vigil_session_parent_class)->finalize (object);
}

static void
vigil_session_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VigilSession *self = VIGIL_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_BACKGROUNDED:
      g_value_set_boolean (value, self->backgrounded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_session_class_init (VigilSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = vigil_session_finalize;
  object_class->get_property = vigil_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, VIGIL_SESSION_ACTIVE, VIGIL_SESSION_ENDED, VIGIL_SESSION_ACTIVE,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BACKGROUNDED] =
    g_param_spec_boolean ("backgrounded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MPIN_REQUIRED] =
    g_signal_new ("mpin-required", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[BLOCKED] =
    g_signal_new ("blocked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vigil_session_init (VigilSession *self)
{
  g_queue_init (&self->buffer);
  self->event_types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

VigilSession *
_vigil_session_new (const char       *id,
                    VigilSessionKind  kind,
                    const char       *user_id,
                    const char       *claimed_user,
                    const char       *device_id,
                    JsonObject       *context,
                    gint64            started_at_us,
                    guint             buffer_capacity)
{
  VigilSession *self = g_object_new (VIGIL_TYPE_SESSION, NULL);

  self->id = g_strdup (id);
  self->kind = kind;
  self->user_id = g_strdup (user_id);
  self->claimed_user = g_strdup (claimed_user);
  self->device_id = g_strdup (device_id);
  self->context = context ? json_object_ref (context) : NULL;
  self->started_at_us = started_at_us;
  self->last_activity_us = started_at_us;
  self->buffer_capacity = MAX (buffer_capacity, 1);
  return self;
}

const char *
vigil_session_get_id (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->id;
}

VigilSessionKind
vigil_session_get_kind (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), VIGIL_SESSION_KIND_AUTHENTICATED);
  return self->kind;
}

const char *
vigil_session_get_user_id (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->user_id;
}

const char *
vigil_session_get_claimed_user (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->claimed_user;
}

const char *
vigil_session_get_device_id (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->device_id;
}

JsonObject *
vigil_session_get_context (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->context;
}

VigilSessionState
vigil_session_get_state (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), VIGIL_SESSION_ENDED);
  return self->state;
}

const char *
vigil_session_get_end_reason (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->end_reason;
}

gint64
vigil_session_get_started_at (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), 0);
  return self->started_at_us;
}

gint64
vigil_session_get_ended_at (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), 0);
  return self->ended_at_us;
}

gint64
vigil_session_get_last_activity (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), 0);
  return self->last_activity_us;
}

guint64
vigil_session_get_event_count (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), 0);
  return self->event_count;
}

gboolean
vigil_session_get_backgrounded (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), FALSE);
  return self->backgrounded;
}

GHashTable *
vigil_session_get_event_types (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return self->event_types;
}

GPtrArray *
vigil_session_get_recent_events (VigilSession *self)
{
  GPtrArray *events;

  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);

  events = g_ptr_array_new_full (self->buffer.length, (GDestroyNotify) vigil_event_unref);
  for (GList *l = self->buffer.head; l != NULL; l = l->next)
    g_ptr_array_add (events, vigil_event_ref (l->data));
  return events;
}

VigilEvent *
vigil_session_get_last_event (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), NULL);
  return g_queue_peek_tail (&self->buffer);
}

double
vigil_session_get_risk_score (VigilSession *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION (self), 0);
  return self->risk_score;
}

void
_vigil_session_set_risk_score (VigilSession *self,
                               double        risk_score)
{
  self->risk_score = CLAMP (risk_score, 0.0, 1.0);
}

gint64
_vigil_session_next_seq (VigilSession *self)
{
  return ++self->next_seq;
}

void
_vigil_session_record_events (VigilSession *self,
                              GPtrArray    *events,
                              gint64        now_us)
{
  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);
      gpointer count = g_hash_table_lookup (self->event_types, event->event_type);

      g_hash_table_replace (self->event_types, g_strdup (event->event_type),
                            GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
      g_queue_push_tail (&self->buffer, vigil_event_ref (event));
      /* The oldest leave the buffer, never the store. */
      while (self->buffer.length > self->buffer_capacity)
        vigil_event_unref (g_queue_pop_head (&self->buffer));
    }

  self->event_count += events->len;
  self->last_activity_us = MAX (self->last_activity_us, now_us);
}

void
_vigil_session_touch (VigilSession *self,
                      gint64        now_us)
{
  self->last_activity_us = MAX (self->last_activity_us, now_us);
}

void
_vigil_session_set_backgrounded (VigilSession *self,
                                 gboolean      backgrounded)
{
  if (self->backgrounded == backgrounded)
    return;

  self->backgrounded = backgrounded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKGROUNDED]);
}

void
_vigil_session_set_state (VigilSession      *self,
                          VigilSessionState  state)
{
  if (self->state == state)
    return;

  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
_vigil_session_finish (VigilSession      *self,
                       VigilSessionState  final_state,
                       const char        *reason,
                       gint64             ended_at_us)
{
  g_free (self->end_reason);
  self->end_reason = g_strdup (reason);
  self->ended_at_us = ended_at_us;
  _vigil_session_set_state (self, final_state);
  g_signal_emit (self, signals[ENDED], 0, reason);
}

guint
_vigil_session_add_socket (VigilSession *self,
                           int           delta)
{
  g_return_val_if_fail (delta > 0 || self->sockets > 0, 0);

  self->sockets += delta;
  return self->sockets;
}

void
_vigil_session_emit_mpin_required (VigilSession *self)
{
  g_signal_emit (self, signals[MPIN_REQUIRED], 0);
}

void
_vigil_session_emit_blocked (VigilSession *self,
                             const char   *reason)
{
  g_signal_emit (self, signals[BLOCKED], 0, reason);
}
