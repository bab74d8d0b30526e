/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service's live figures. The request rate is a moving average over
 * the last few whole seconds, recomputed once a second so that watchers are
 * notified at most once a second however many requests arrive. */
#define G_LOG_DOMAIN "vigil-metrics"

#include "config.h"

#include "vigil-metrics.h"

#define RATE_WINDOW_SECONDS 5

struct _VigilMetrics
{
  GObject parent_instance;

  char    *listen_url;
  guint64  requests_total;
  double   requests_per_second;
  guint    active_connections;
  guint    monitor_connections;
  guint    active_sessions;
  gint64   started_at_us;

  /* Requests per second, indexed by monotonic second modulo the window. */
  guint64  buckets[RATE_WINDOW_SECONDS + 1];
  gint64   bucket_seconds[RATE_WINDOW_SECONDS + 1];
  guint    rate_source_id;
};

G_DEFINE_FINAL_TYPE (VigilMetrics, vigil_metrics, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LISTEN_URL,
  PROP_REQUESTS_TOTAL,
  PROP_REQUESTS_PER_SECOND,
  PROP_ACTIVE_CONNECTIONS,
  PROP_MONITOR_CONNECTIONS,
  PROP_ACTIVE_SESSIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gint64
now_seconds (void)
{
  return g_get_monotonic_time () / G_USEC_PER_SEC;
}

static void
update_rate (VigilMetrics *self)
{
  gint64 current = now_seconds ();
  guint64 sum = 0;
  double rate;

  /* Only whole seconds count: the current one is still filling up. */
  for (guint i = 0; i < G_N_ELEMENTS (self->buckets); i++)
    {
      gint64 age = current - self->bucket_seconds[i];

      if (self->bucket_seconds[i] >= 0 && age >= 1 && age <= RATE_WINDOW_SECONDS)
        sum += self->buckets[i];
    }

  rate = (double) sum / RATE_WINDOW_SECONDS;
  if (rate != self->requests_per_second)
    {
      self->requests_per_second = rate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS_PER_SECOND]);
    }
}

static gboolean
on_rate_tick (gpointer user_data)
{
  update_rate (VIGIL_METRICS (user_data));
  return G_SOURCE_CONTINUE;
}

static void
vigil_metrics_dispose (GObject *object)
{
  VigilMetrics *self = VIGIL_METRICS (object);

  g_clear_handle_id (&self->rate_source_id, g_source_remove);

  G_OBJECT_CLASS (vigil_metrics_parent_class)->dispose (object);
}

static void
vigil_metrics_finalize (GObject *object)
{
  VigilMetrics *self = VIGIL_METRICS (object);

  g_clear_pointer (&self->listen_url, g_free);

  G_OBJECT_CLASS (vigil_metrics_parent_class)->finalize (object);
}

static void
vigil_metrics_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VigilMetrics *self = VIGIL_METRICS (object);

  switch (prop_id)
    {
    case PROP_LISTEN_URL:
      g_value_set_string (value, self->listen_url);
      break;
    case PROP_REQUESTS_TOTAL:
      g_value_set_uint64 (value, self->requests_total);
      break;
    case PROP_REQUESTS_PER_SECOND:
      g_value_set_double (value, self->requests_per_second);
      break;
    case PROP_ACTIVE_CONNECTIONS:
      g_value_set_uint (value, self->active_connections);
      break;
    case PROP_MONITOR_CONNECTIONS:
      g_value_set_uint (value, self->monitor_connections);
      break;
    case PROP_ACTIVE_SESSIONS:
      g_value_set_uint (value, self->active_sessions);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_metrics_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  VigilMetrics *self = VIGIL_METRICS (object);

  switch (prop_id)
    {
    case PROP_LISTEN_URL:
      vigil_metrics_set_listen_url (self, g_value_get_string (value));
      break;
    case PROP_ACTIVE_SESSIONS:
      vigil_metrics_set_active_sessions (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_metrics_class_init (VigilMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_metrics_dispose;
  object_class->finalize = vigil_metrics_finalize;
  object_class->get_property = vigil_metrics_get_property;
  object_class->set_property = vigil_metrics_set_property;

  properties[PROP_LISTEN_URL] =
    g_param_spec_string ("listen-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUESTS_TOTAL] =
    g_param_spec_uint64 ("requests-total", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REQUESTS_PER_SECOND] =
    g_param_spec_double ("requests-per-second", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVE_CONNECTIONS] =
    g_param_spec_uint ("active-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MONITOR_CONNECTIONS] =
    g_param_spec_uint ("monitor-connections", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVE_SESSIONS] =
    g_param_spec_uint ("active-sessions", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_metrics_init (VigilMetrics *self)
{
  self->started_at_us = g_get_monotonic_time ();
  for (guint i = 0; i < G_N_ELEMENTS (self->bucket_seconds); i++)
    self->bucket_seconds[i] = -1;   /* never used */
  self->rate_source_id = g_timeout_add_seconds (1, on_rate_tick, self);
}

VigilMetrics *
vigil_metrics_new (void)
{
  return g_object_new (VIGIL_TYPE_METRICS, NULL);
}

const char *
vigil_metrics_get_listen_url (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), NULL);

  return self->listen_url;
}

void
vigil_metrics_set_listen_url (VigilMetrics *self,
                              const char   *listen_url)
{
  g_return_if_fail (VIGIL_IS_METRICS (self));

  if (g_strcmp0 (self->listen_url, listen_url) == 0)
    return;

  g_free (self->listen_url);
  self->listen_url = g_strdup (listen_url);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTEN_URL]);
}

void
vigil_metrics_record_request (VigilMetrics *self)
{
  gint64 second;
  guint slot;

  g_return_if_fail (VIGIL_IS_METRICS (self));

  second = now_seconds ();
  slot = (guint) (second % G_N_ELEMENTS (self->buckets));
  if (self->bucket_seconds[slot] != second)
    {
      self->bucket_seconds[slot] = second;
      self->buckets[slot] = 0;
    }
  self->buckets[slot]++;

  self->requests_total++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS_TOTAL]);
}

guint64
vigil_metrics_get_requests_total (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), 0);

  return self->requests_total;
}

double
vigil_metrics_get_requests_per_second (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), 0);

  return self->requests_per_second;
}

static guint *
counter_for_kind (VigilMetrics        *self,
                  VigilConnectionKind  kind,
                  GParamSpec         **pspec)
{
  switch (kind)
    {
    case VIGIL_CONNECTION_STREAM:
      *pspec = properties[PROP_ACTIVE_CONNECTIONS];
      return &self->active_connections;
    case VIGIL_CONNECTION_MONITOR:
      *pspec = properties[PROP_MONITOR_CONNECTIONS];
      return &self->monitor_connections;
    default:
      g_assert_not_reached ();
    }
}

void
vigil_metrics_connection_opened (VigilMetrics        *self,
                                 VigilConnectionKind  kind)
{
  GParamSpec *pspec;
  guint *counter;

  g_return_if_fail (VIGIL_IS_METRICS (self));

  counter = counter_for_kind (self, kind, &pspec);
  (*counter)++;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
vigil_metrics_connection_closed (VigilMetrics        *self,
                                 VigilConnectionKind  kind)
{
  GParamSpec *pspec;
  guint *counter;

  g_return_if_fail (VIGIL_IS_METRICS (self));

  counter = counter_for_kind (self, kind, &pspec);
  g_return_if_fail (*counter > 0);
  (*counter)--;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

guint
vigil_metrics_get_active_connections (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), 0);

  return self->active_connections;
}

guint
vigil_metrics_get_monitor_connections (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), 0);

  return self->monitor_connections;
}

void
vigil_metrics_set_active_sessions (VigilMetrics *self,
                                   guint         active_sessions)
{
  g_return_if_fail (VIGIL_IS_METRICS (self));

  if (self->active_sessions == active_sessions)
    return;

  self->active_sessions = active_sessions;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE_SESSIONS]);
}

guint
vigil_metrics_get_active_sessions (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), 0);

  return self->active_sessions;
}

gint64
vigil_metrics_get_uptime_seconds (VigilMetrics *self)
{
  g_return_val_if_fail (VIGIL_IS_METRICS (self), 0);

  return (g_get_monotonic_time () - self->started_at_us) / G_USEC_PER_SEC;
}
