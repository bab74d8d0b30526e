/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-live-page"

#include "config.h"

#include "vigil-live-page.h"
#include "vigil-live-page-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "vigil-blocked-sessions.h"
#include "vigil-event-fields.h"
#include "vigil-flow-graph.h"
#include "vigil-flow-map.h"
#include "vigil-label.h"
#include "vigil-live-event.h"
#include "vigil-live-ticker.h"
#include "vigil-rate-window.h"
#include "vigil-ticker-model.h"

/* The Live page: the event-flow map with each session's moves, a ticker
 * of the newest events and the figures of the moment. Events come from
 * the engine's bus, already coalesced per tick; this page only counts
 * them there and shows the result once a frame, from its tick callback,
 * so that thousands of events a second cost one update a frame. */

#define TICKER_CAPACITY      500
#define FIGURES_INTERVAL_US  (250 * 1000)
/* Ten updates a second: as fast as anyone reads a ticker, and each update
 * redraws every row on screen. */
#define TICKER_INTERVAL_US   (100 * 1000)
#define EVENTS_RATE_SPAN_US  (2 * G_USEC_PER_SEC)

typedef struct
{
  int    screen;   /* where the session is, -1 until known */
  double risk;
} LiveSession;

struct _VigilLivePage
{
  VigilPage         parent_instance;

  VigilMetrics     *metrics;
  VigilEventBus    *bus;
  VigilFlowMap     *map;
  const char      **screen_names;    /* interned, one per screen */
  GtkWidget        *graph;
  VigilTickerModel *ticker;
  GPtrArray        *pending;         /* VigilLiveEvent not yet in the ticker, oldest first */
  guint64           pending_dropped;
  GHashTable       *sessions;        /* id → LiveSession */
  GHashTable       *blocked_today;   /* session ids */
  int               blocked_day;     /* g_date_time_get_day_of_year + 1000 × year */
  VigilRateWindow   events_rate;
  GCancellable     *cancellable;
  guint             tick_id;
  guint             clock_id;
  gint64            last_figures_us;
  gint64            last_ticker_us;
  gboolean          risk_dirty;
  gboolean          paused;
  gboolean          have_events;

  /* Template widgets */
  GtkStack         *stack;
  AdwStatusPage    *empty_page;
  AdwBin           *graph_bin;
  GtkLabel         *events_per_second_label;
  GtkLabel         *connections_label;
  GtkLabel         *active_sessions_label;
  GtkLabel         *blocked_today_label;
  GtkLabel         *paused_label;
  GtkWidget        *pause_button;
  GtkListView      *ticker_view;
};

G_DEFINE_FINAL_TYPE (VigilLivePage, vigil_live_page, VIGIL_TYPE_PAGE)

enum {
  PROP_0,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static VigilFlowMap *
load_flow_map (void)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  VigilFlowMap *map;

  /* The map the API serves is compiled into the console's resource too. */
  bytes = g_resources_lookup_data ("/io/vigil/Console/event-flow-map.json",
                                   G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  map = vigil_flow_map_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  return map;
}

static void
update_empty_page (VigilLivePage *self)
{
  const char *url = vigil_metrics_get_listen_url (self->metrics);
  g_autofree char *description = NULL;
  g_autofree char *escaped = NULL;

  if (url != NULL && *url != '\0')
    {
      g_autofree char *base = g_str_has_suffix (url, "/") ? g_strndup (url, strlen (url) - 1)
                                                          : g_strdup (url);
      g_autofree char *ws = g_str_has_prefix (base, "https://")
                            ? g_strconcat ("wss://", base + 8, NULL)
                            : g_str_has_prefix (base, "http://")
                            ? g_strconcat ("ws://", base + 7, NULL) : g_strdup (base);

      /* Translators: %s is the server's WebSocket address, such as ws://127.0.0.1:8000 */
      description = g_strdup_printf (_("Connect a banking app to %s/ws/behaviour or "
                                       "/api/v1/ws/behavior/{session}, or run “vigil --demo” "
                                       "to stream simulated sessions."), ws);
    }
  else
    description = g_strdup (_("The server is not listening. Once it is, connect a banking app "
                              "or run “vigil --demo” to stream simulated sessions."));

  escaped = g_markup_escape_text (description, -1);
  adw_status_page_set_description (self->empty_page, escaped);
}

static void
update_connections (VigilLivePage *self)
{
  vigil_label_set_count (self->connections_label,
                   vigil_metrics_get_active_connections (self->metrics));
}

static void
update_active_sessions (VigilLivePage *self)
{
  vigil_label_set_count (self->active_sessions_label,
                   vigil_metrics_get_active_sessions (self->metrics));
}

static void
update_blocked_today (VigilLivePage *self)
{
  vigil_label_set_count (self->blocked_today_label, g_hash_table_size (self->blocked_today));
}

static void
update_paused_label (VigilLivePage *self)
{
  g_autofree char *text = NULL;
  guint64 waiting = self->pending->len + self->pending_dropped;

  gtk_widget_set_visible (GTK_WIDGET (self->paused_label), self->paused);
  if (!self->paused)
    return;

  /* Translators: events that arrived while the ticker is paused */
  text = g_strdup_printf (ngettext ("%'lu new", "%'lu new", (gulong) MIN (waiting, G_MAXULONG)),
                          (gulong) MIN (waiting, G_MAXULONG));
  vigil_label_set_text_if_changed (self->paused_label, text);
}

static void
update_figures (VigilLivePage *self,
                gint64         now_us)
{
  double per_second = vigil_rate_window_rate (&self->events_rate, now_us);
  g_autofree char *rate = NULL;

  /* A decimal while few events come, so that a trickle does not read 0. */
  if (per_second > 0 && per_second < 10)
    rate = g_strdup_printf ("%.1f", per_second);
  else
    rate = g_strdup_printf ("%'.0f", per_second);
  vigil_label_set_text_if_changed (self->events_per_second_label, rate);
  update_paused_label (self);
}

static void
update_screen_risks (VigilLivePage *self)
{
  guint n = vigil_flow_map_get_n_screens (self->map);
  g_autofree double *risks = g_new (double, n);
  GHashTableIter iter;
  gpointer value;

  for (guint i = 0; i < n; i++)
    risks[i] = -1;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      LiveSession *session = value;

      if (session->screen >= 0)
        risks[session->screen] = MAX (risks[session->screen], session->risk);
    }

  for (guint i = 0; i < n; i++)
    vigil_flow_graph_set_screen_risk (VIGIL_FLOW_GRAPH (self->graph), i, risks[i]);
  self->risk_dirty = FALSE;
}

static void
flush_ticker (VigilLivePage *self)
{
  g_autoptr(GPtrArray) batch = NULL;

  if (self->pending->len == 0)
    return;

  batch = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending_dropped = 0;
  vigil_ticker_model_push (self->ticker, batch);
}

/* Once a frame while the page is shown: everything counted since the last
 * frame reaches the widgets here, and only here. */
static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  VigilLivePage *self = VIGIL_LIVE_PAGE (widget);
  gint64 now_us = gdk_frame_clock_get_frame_time (clock);

  if (!self->paused && now_us - self->last_ticker_us >= TICKER_INTERVAL_US)
    {
      self->last_ticker_us = now_us;
      flush_ticker (self);
    }

  if (now_us - self->last_figures_us >= FIGURES_INTERVAL_US)
    {
      self->last_figures_us = now_us;
      update_figures (self, now_us);
      if (self->risk_dirty)
        update_screen_risks (self);
    }

  return G_SOURCE_CONTINUE;
}

static void
queue_for_ticker (VigilLivePage  *self,
                  VigilLiveEvent *item)
{
  /* Only the newest TICKER_CAPACITY can ever be shown: bound the backlog
   * a paused or hidden ticker keeps. */
  if (self->pending->len >= TICKER_CAPACITY)
    {
      g_ptr_array_remove_range (self->pending, 0, self->pending->len / 2);
      self->pending_dropped += TICKER_CAPACITY - self->pending->len;
    }
  g_ptr_array_add (self->pending, item);
}

static LiveSession *
ensure_session (VigilLivePage *self,
                const char    *session_id)
{
  LiveSession *session = g_hash_table_lookup (self->sessions, session_id);

  if (session == NULL)
    {
      session = g_new (LiveSession, 1);
      session->screen = -1;
      session->risk = 0;
      g_hash_table_insert (self->sessions, g_strdup (session_id), session);
    }
  return session;
}

/* The map event an event stands for: its type (cbsa names its events
 * after the map), else the data's event_id (the canara shape, where the
 * type is generic: button_click, page_view). Data is only parsed when it
 * names an event_id, so the map's own event names cost nothing. */
static int
lookup_screen (VigilLivePage    *self,
               const VigilEvent *event,
               gboolean         *enters)
{
  int screen = vigil_flow_map_lookup_event (self->map, event->event_type, enters);
  g_autoptr(JsonNode) data = NULL;
  const char *event_id;

  if (screen >= 0 || event->data == NULL || strstr (event->data, "\"event_id\"") == NULL)
    return screen;
  data = vigil_event_fields_parse (event);
  if (data == NULL)
    return -1;
  event_id = json_object_get_string_member_with_default (json_node_get_object (data), "event_id", NULL);
  return event_id != NULL ? vigil_flow_map_lookup_event (self->map, event_id, enters) : -1;
}

static void
on_events_received (VigilLivePage *self,
                    GPtrArray     *events,
                    VigilEventBus *bus)
{
  gint64 now_us = g_get_monotonic_time ();
  VigilFlowGraph *graph = VIGIL_FLOW_GRAPH (self->graph);

  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);
      LiveSession *session = event->session_id ? ensure_session (self, event->session_id) : NULL;
      gboolean enters = FALSE;
      int screen = lookup_screen (self, event, &enters);
      int at = screen;

      if (session != NULL)
        {
          if (enters && session->screen >= 0 && session->screen != screen)
            vigil_flow_graph_add_traversal (graph, (guint) session->screen, (guint) screen, now_us);
          if (enters || (session->screen < 0 && screen >= 0))
            {
              session->screen = screen;
              self->risk_dirty = TRUE;
            }
          /* An event shared by several screens (search, profile) counts
           * where its session is. */
          at = session->screen >= 0 ? session->screen : screen;
        }

      if (at >= 0)
        vigil_flow_graph_count_event (graph, (guint) at, now_us);
      queue_for_ticker (self, vigil_live_event_new (event, at >= 0 ? self->screen_names[at] : NULL));
    }

  vigil_rate_window_add (&self->events_rate, now_us, events->len);

  if (!self->have_events && events->len > 0)
    {
      self->have_events = TRUE;
      gtk_stack_set_visible_child_name (self->stack, "live");
    }
}

static void
on_session_changed (VigilLivePage *self,
                    VigilSession  *session,
                    VigilEventBus *bus)
{
  const char *id = vigil_session_get_id (session);
  VigilSessionState state = vigil_session_get_state (session);

  if (state == VIGIL_SESSION_BLOCKED)
    {
      if (g_hash_table_add (self->blocked_today, g_strdup (id)))
        update_blocked_today (self);
    }

  if (state == VIGIL_SESSION_ENDED || state == VIGIL_SESSION_BLOCKED)
    {
      if (g_hash_table_remove (self->sessions, id))
        self->risk_dirty = TRUE;
      return;
    }

  ensure_session (self, id)->risk = vigil_session_get_risk_score (session);
  self->risk_dirty = TRUE;
}

static void
on_blocked_listed (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = vigil_blocked_sessions_list_since_finish (result, &error);
  VigilLivePage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = VIGIL_LIVE_PAGE (user_data);
  if (ids == NULL)
    {
      g_warning ("Cannot count today's blocked sessions: %s", error->message);
      return;
    }

  /* Union with what the bus reported meanwhile: each block counts once. */
  for (guint i = 0; ids[i] != NULL; i++)
    g_hash_table_add (self->blocked_today, g_strdup (ids[i]));
  update_blocked_today (self);
}

/* From local midnight: "today" is the analyst's day. */
static void
start_day (VigilLivePage *self)
{
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  VigilStore *store = vigil_engine_get_store (engine);
  gint64 now_us = vigil_clock_now_us (vigil_engine_get_clock (engine));
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) midnight = NULL;

  if (now == NULL)
    return;

  self->blocked_day = g_date_time_get_year (now) * 1000 + g_date_time_get_day_of_year (now);
  midnight = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  g_hash_table_remove_all (self->blocked_today);
  update_blocked_today (self);

  if (store != NULL && midnight != NULL && !vigil_store_is_closed (store))
    vigil_blocked_sessions_list_since_async (store, g_date_time_to_unix (midnight) * G_USEC_PER_SEC,
                                             self->cancellable, on_blocked_listed, self);
}

static gboolean
clock_cb (gpointer user_data)
{
  VigilLivePage *self = VIGIL_LIVE_PAGE (user_data);
  gint64 now_us = vigil_clock_now_us (vigil_engine_get_clock (vigil_page_get_engine (VIGIL_PAGE (self))));
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);

  if (now != NULL &&
      g_date_time_get_year (now) * 1000 + g_date_time_get_day_of_year (now) != self->blocked_day)
    start_day (self);

  return G_SOURCE_CONTINUE;
}

static void
vigil_live_page_map (GtkWidget *widget)
{
  VigilLivePage *self = VIGIL_LIVE_PAGE (widget);

  GTK_WIDGET_CLASS (vigil_live_page_parent_class)->map (widget);

  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (widget, tick_cb, NULL, NULL);
}

static void
vigil_live_page_unmap (GtkWidget *widget)
{
  VigilLivePage *self = VIGIL_LIVE_PAGE (widget);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (widget, self->tick_id);
      self->tick_id = 0;
    }

  GTK_WIDGET_CLASS (vigil_live_page_parent_class)->unmap (widget);
}

static void
vigil_live_page_constructed (GObject *object)
{
  VigilLivePage *self = (VigilLivePage *)object;
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  guint n;

  G_OBJECT_CLASS (vigil_live_page_parent_class)->constructed (object);

  g_assert (VIGIL_IS_ENGINE (engine));

  self->metrics = g_object_ref (vigil_engine_get_metrics (engine));
  self->bus = g_object_ref (vigil_engine_get_event_bus (engine));
  self->map = load_flow_map ();

  n = vigil_flow_map_get_n_screens (self->map);
  self->screen_names = g_new0 (const char *, n);
  for (guint i = 0; i < n; i++)
    self->screen_names[i] = g_intern_string (vigil_flow_map_get_screen_name (self->map, i));

  self->graph = vigil_flow_graph_new (self->map);
  adw_bin_set_child (self->graph_bin, self->graph);

  g_signal_connect_object (self->bus, "events-received",
                           G_CALLBACK (on_events_received), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->bus, "session-changed",
                           G_CALLBACK (on_session_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::listen-url",
                           G_CALLBACK (update_empty_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::active-connections",
                           G_CALLBACK (update_connections), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->metrics, "notify::active-sessions",
                           G_CALLBACK (update_active_sessions), self, G_CONNECT_SWAPPED);

  update_empty_page (self);
  update_connections (self);
  update_active_sessions (self);
  start_day (self);

  self->clock_id = g_timeout_add_seconds (1, clock_cb, self);
}

static void
vigil_live_page_dispose (GObject *object)
{
  VigilLivePage *self = (VigilLivePage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->clock_id, g_source_remove);

  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);
  if (self->metrics != NULL)
    g_signal_handlers_disconnect_by_data (self->metrics, self);

  if (self->ticker_view != NULL)
    gtk_list_view_set_model (self->ticker_view, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_LIVE_PAGE);

  g_clear_object (&self->ticker);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->blocked_today, g_hash_table_unref);
  g_clear_pointer (&self->screen_names, g_free);
  g_clear_pointer (&self->map, vigil_flow_map_unref);
  g_clear_object (&self->bus);
  g_clear_object (&self->metrics);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (vigil_live_page_parent_class)->dispose (object);
}

static void
vigil_live_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  VigilLivePage *self = VIGIL_LIVE_PAGE (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_live_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  VigilLivePage *self = VIGIL_LIVE_PAGE (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      vigil_live_page_set_paused (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_live_page_class_init (VigilLivePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = vigil_live_page_constructed;
  object_class->dispose = vigil_live_page_dispose;
  object_class->get_property = vigil_live_page_get_property;
  object_class->set_property = vigil_live_page_set_property;

  widget_class->map = vigil_live_page_map;
  widget_class->unmap = vigil_live_page_unmap;

  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE |
                           G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-live-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, graph_bin);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, events_per_second_label);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, connections_label);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, active_sessions_label);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, blocked_today_label);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, paused_label);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, pause_button);
  gtk_widget_class_bind_template_child (widget_class, VigilLivePage, ticker_view);

  gtk_widget_class_install_property_action (widget_class, "live.pause", "paused");
}

static void
vigil_live_page_init (VigilLivePage *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  g_autoptr(GtkSelectionModel) selection = NULL;

  self->cancellable = g_cancellable_new ();
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->blocked_today = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ticker = vigil_ticker_model_new (TICKER_CAPACITY);
  vigil_rate_window_init (&self->events_rate, EVENTS_RATE_SPAN_US);

  gtk_widget_init_template (GTK_WIDGET (self));

  factory = vigil_live_ticker_factory_new ();
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->ticker))));
  gtk_list_view_set_factory (self->ticker_view, factory);
  gtk_list_view_set_model (self->ticker_view, selection);
}

/**
 * vigil_live_page_new:
 * @engine: the engine whose events the page shows
 *
 * Returns: (transfer full): a new Live page
 */
VigilLivePage *
vigil_live_page_new (VigilEngine *engine)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  return g_object_new (VIGIL_TYPE_LIVE_PAGE, "engine", engine, NULL);
}

gboolean
vigil_live_page_get_paused (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), FALSE);

  return self->paused;
}

void
vigil_live_page_set_paused (VigilLivePage *self,
                            gboolean       paused)
{
  const char *label;

  g_return_if_fail (VIGIL_IS_LIVE_PAGE (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;
  if (!paused)
    flush_ticker (self);

  label = paused ? _("Resume Ticker") : _("Pause Ticker");
  gtk_button_set_icon_name (GTK_BUTTON (self->pause_button),
                            paused ? "media-playback-start-symbolic" : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (self->pause_button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pause_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  update_paused_label (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

GtkLabel *
_vigil_live_page_get_field_label (VigilLivePage      *self,
                                  VigilLivePageField  field)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  switch (field)
    {
    case VIGIL_LIVE_PAGE_FIELD_EVENTS_PER_SECOND: return self->events_per_second_label;
    case VIGIL_LIVE_PAGE_FIELD_CONNECTIONS:       return self->connections_label;
    case VIGIL_LIVE_PAGE_FIELD_ACTIVE_SESSIONS:   return self->active_sessions_label;
    case VIGIL_LIVE_PAGE_FIELD_BLOCKED_TODAY:     return self->blocked_today_label;
    default:
      g_return_val_if_reached (NULL);
    }
}

GListModel *
_vigil_live_page_get_ticker (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  return G_LIST_MODEL (self->ticker);
}

GtkWidget *
_vigil_live_page_get_ticker_view (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  return GTK_WIDGET (self->ticker_view);
}

GtkWidget *
_vigil_live_page_get_pause_button (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  return self->pause_button;
}

VigilFlowGraph *
_vigil_live_page_get_graph (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  return VIGIL_FLOW_GRAPH (self->graph);
}

VigilFlowMap *
_vigil_live_page_get_map (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  return self->map;
}

const char *
_vigil_live_page_get_state (VigilLivePage *self)
{
  g_return_val_if_fail (VIGIL_IS_LIVE_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}
