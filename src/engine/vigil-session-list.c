/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-session-list"

#include "config.h"

#include "vigil-session-list.h"

#include <sqlite3.h>

#include "vigil-error.h"

struct _VigilSessionList
{
  GObject        parent_instance;

  VigilEngine   *engine;
  VigilSessions *sessions;
  VigilRisk     *risk;
  VigilEventBus *bus;
  GCancellable  *cancellable;

  GPtrArray     *items;      /* VigilSessionItem, newest first */
  GHashTable    *by_id;      /* id → VigilSessionItem (borrowed from items) */
  GHashTable    *names;      /* user id → what people call the account */
  GHashTable    *pending;    /* id → VigilSession, changed since the last flush */
  GHashTable    *decided;    /* id → decision of a pending session not listed yet */
  guint          flush_id;
  guint          interval_ms;
  guint          keep_ended;
  gboolean       loading;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilSessionList, vigil_session_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return VIGIL_TYPE_SESSION_ITEM;
}

static guint
get_n_items (GListModel *model)
{
  return VIGIL_SESSION_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  VigilSessionList *self = VIGIL_SESSION_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* Newest first; the id keeps the order total. */
static int
compare_items (VigilSessionItem *a,
               VigilSessionItem *b)
{
  gint64 sa = vigil_session_item_get_started (a);
  gint64 sb = vigil_session_item_get_started (b);

  if (sa != sb)
    return sa > sb ? -1 : 1;
  return g_strcmp0 (vigil_session_item_get_id (a), vigil_session_item_get_id (b));
}

static int
compare_item_ptrs (gconstpointer a,
                   gconstpointer b)
{
  return compare_items (*(VigilSessionItem * const *) a, *(VigilSessionItem * const *) b);
}

static guint
insertion_point (VigilSessionList *self,
                 VigilSessionItem *item)
{
  guint lo = 0, hi = self->items->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (compare_items (g_ptr_array_index (self->items, mid), item) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Takes @added (VigilSessionItem, not yet in the list). One new item goes
 * to its place; a batch re-sorts the list and says so once. */
static void
insert_items (VigilSessionList *self,
              GPtrArray        *added)
{
  guint before = self->items->len;

  if (added->len == 0)
    return;

  for (guint i = 0; i < added->len; i++)
    {
      VigilSessionItem *item = g_ptr_array_index (added, i);

      g_hash_table_insert (self->by_id, (gpointer) vigil_session_item_get_id (item), item);
    }

  if (added->len == 1)
    {
      VigilSessionItem *item = g_ptr_array_index (added, 0);
      guint position = insertion_point (self, item);

      g_ptr_array_insert (self->items, (int) position, g_object_ref (item));
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
      return;
    }

  for (guint i = 0; i < added->len; i++)
    g_ptr_array_add (self->items, g_object_ref (g_ptr_array_index (added, i)));
  g_ptr_array_sort (self->items, compare_item_ptrs);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, before, self->items->len);
}

/* What people call @user_id: its e-mail or phone; looked up once. */
static const char *
user_name (VigilSessionList *self,
           const char       *user_id)
{
  g_autoptr(VigilUser) user = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;

  if (user_id == NULL)
    return NULL;
  name = g_hash_table_lookup (self->names, user_id);
  if (name != NULL)
    return name;

  user = vigil_auth_lookup_user (vigil_engine_get_auth (self->engine), user_id, &error);
  if (user == NULL)
    {
      g_debug ("No account %s: %s", user_id, error->message);
      return user_id;
    }
  name = user->email ? user->email : user->phone ? user->phone : user_id;
  g_hash_table_insert (self->names, g_strdup (user_id), g_strdup (name));
  return g_hash_table_lookup (self->names, user_id);
}

static void
apply_session (VigilSessionList *self,
               VigilSession     *session,
               GPtrArray        *added)
{
  const char *id = vigil_session_get_id (session);
  const char *user_id = vigil_session_get_user_id (session);
  g_autoptr(VigilRiskDecision) decision = vigil_risk_get_last_decision (self->risk, id);
  VigilSessionState state = vigil_session_get_state (session);
  VigilSessionItemData data = {
    .user = user_id ? user_name (self, user_id) : vigil_session_get_claimed_user (session),
    .user_id = user_id,
    .device = vigil_session_get_device_id (session),
    .state = vigil_session_state_to_string (state),
    .decision = decision ? vigil_decision_to_string (decision->decision) : NULL,
    .started_us = vigil_session_get_started_at (session),
    .last_activity_us = vigil_session_get_last_activity (session),
    .ended_us = vigil_session_get_ended_at (session),
    .events = vigil_session_get_event_count (session),
    .risk = vigil_session_get_risk_score (session),
    .live = vigil_sessions_lookup (self->sessions, id) == session,
  };
  VigilSessionItem *item = g_hash_table_lookup (self->by_id, id);

  /* The risk engine forgets an ended session at once: its last decision
   * came by "decision-made" (on_decision_made), or it is the one shown.
   * A blocked session's decision is the block, whoever made it. */
  if (data.decision == NULL)
    data.decision = g_hash_table_lookup (self->decided, id);
  if (data.decision == NULL && item != NULL)
    data.decision = vigil_session_item_get_decision (item);
  if (state == VIGIL_SESSION_BLOCKED)
    data.decision = vigil_decision_to_string (VIGIL_DECISION_BLOCK);
  if (item != NULL)
    _vigil_session_item_update (item, &data);
  else
    g_ptr_array_add (added, _vigil_session_item_new (id, &data));
}

/* A console open for days must not keep every session that ever ended:
 * the oldest ended ones beyond the limit leave (the store keeps them). */
static void
trim_ended (VigilSessionList *self)
{
  guint ended = 0;

  for (guint i = 0; i < self->items->len; i++)
    if (vigil_session_item_get_ended (g_ptr_array_index (self->items, i)) > 0)
      ended++;

  for (guint i = self->items->len; i > 0 && ended > self->keep_ended; i--)
    {
      VigilSessionItem *item = g_ptr_array_index (self->items, i - 1);

      if (vigil_session_item_get_ended (item) == 0)
        continue;
      g_hash_table_remove (self->by_id, vigil_session_item_get_id (item));
      g_ptr_array_remove_index (self->items, i - 1);
      g_list_model_items_changed (G_LIST_MODEL (self), i - 1, 1, 0);
      ended--;
    }
}

void
vigil_session_list_flush (VigilSessionList *self)
{
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GHashTable) pending = NULL;
  GHashTableIter iter;
  gpointer session;

  g_return_if_fail (VIGIL_IS_SESSION_LIST (self));

  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (g_hash_table_size (self->pending) == 0)
    return;

  /* Swapped first: notify handlers may let the engine post again. */
  pending = g_steal_pointer (&self->pending);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  added = g_ptr_array_new_with_free_func (g_object_unref);

  g_hash_table_iter_init (&iter, pending);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    apply_session (self, session, added);
  g_hash_table_remove_all (self->decided);
  insert_items (self, added);
  trim_ended (self);
}

static gboolean
flush_cb (gpointer user_data)
{
  VigilSessionList *self = user_data;

  self->flush_id = 0;
  vigil_session_list_flush (self);
  return G_SOURCE_REMOVE;
}

static void
mark_changed (VigilSessionList *self,
              VigilSession     *session)
{
  g_hash_table_replace (self->pending, g_strdup (vigil_session_get_id (session)), g_object_ref (session));
  if (self->flush_id == 0 && self->interval_ms > 0)
    self->flush_id = g_timeout_add (self->interval_ms, flush_cb, self);
}

static void
on_session_changed (VigilEventBus    *bus,
                    VigilSession     *session,
                    VigilSessionList *self)
{
  mark_changed (self, session);
}

/* A decision can come after the session it ended is gone from the risk
 * engine (a block ends the session): the row takes it directly. */
static void
on_decision_made (VigilRisk               *risk,
                  const VigilRiskDecision *decision,
                  VigilSessionList        *self)
{
  VigilSessionItem *item;

  if (decision->session_id == NULL)
    return;
  item = g_hash_table_lookup (self->by_id, decision->session_id);
  if (item != NULL)
    _vigil_session_item_set_decision (item, vigil_decision_to_string (decision->decision));
  else if (g_hash_table_contains (self->pending, decision->session_id))
    g_hash_table_replace (self->decided, g_strdup (decision->session_id),
                          (gpointer) vigil_decision_to_string (decision->decision));
}

static void
on_events_received (VigilEventBus    *bus,
                    GPtrArray        *events,
                    VigilSessionList *self)
{
  const char *last_id = NULL;

  for (guint i = 0; i < events->len; i++)
    {
      VigilEvent *event = g_ptr_array_index (events, i);
      VigilSession *session;

      /* A tick's events come in runs per session: look each run up once. */
      if (g_strcmp0 (event->session_id, last_id) == 0)
        continue;
      last_id = event->session_id;
      session = vigil_sessions_lookup (self->sessions, event->session_id);
      if (session != NULL)
        mark_changed (self, session);
    }
}

/* Ended sessions from the store */

typedef struct
{
  char    *id;
  char    *user;
  char    *user_id;
  char    *device;
  char    *state;
  char    *decision;
  gint64   started_us;
  gint64   last_event_us;
  gint64   ended_us;
  gint64   events;
  double   risk;
} StoredRow;

static void
stored_row_free (StoredRow *row)
{
  g_free (row->id);
  g_free (row->user);
  g_free (row->user_id);
  g_free (row->device);
  g_free (row->state);
  g_free (row->decision);
  g_free (row);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static void
load_ended_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  VigilStore *store = task_data;
  g_autoptr(VigilDb) db = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) stored_row_free);
  GError *error = NULL;
  sqlite3_stmt *stmt;
  guint limit = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "limit"));
  int rc;

  db = vigil_store_open_reader (store, &error);
  if (db == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  stmt = vigil_db_prepare (db,
                           "SELECT s.id, COALESCE (u.email, u.phone, s.user_id, s.claimed_user), s.user_id,"
                           " s.device_id, s.state, COALESCE (s.final_decision, (SELECT d.decision FROM decisions d"
                           "   WHERE d.session_id = s.id ORDER BY d.at DESC LIMIT 1)),"
                           " s.started_at, COALESCE (s.last_event_at, s.started_at), s.ended_at, s.event_count,"
                           " COALESCE (s.risk_score, 0)"
                           " FROM sessions s LEFT JOIN users u ON u.id = s.user_id"
                           " WHERE s.ended_at IS NOT NULL ORDER BY s.started_at DESC LIMIT ?",
                           &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_int64 (stmt, 1, limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      StoredRow *row = g_new0 (StoredRow, 1);

      row->id = column_text (stmt, 0);
      row->user = column_text (stmt, 1);
      row->user_id = column_text (stmt, 2);
      row->device = column_text (stmt, 3);
      row->state = column_text (stmt, 4);
      row->decision = column_text (stmt, 5);
      row->started_us = sqlite3_column_int64 (stmt, 6);
      row->last_event_us = sqlite3_column_int64 (stmt, 7);
      row->ended_us = sqlite3_column_int64 (stmt, 8);
      row->events = sqlite3_column_int64 (stmt, 9);
      row->risk = sqlite3_column_double (stmt, 10);
      g_ptr_array_add (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, &error, "Cannot list ended sessions");
      sqlite3_reset (stmt);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_reset (stmt);
  g_task_return_pointer (task, g_steal_pointer (&rows), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_ended_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VigilSessionList *self = VIGIL_SESSION_LIST (source);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GError) error = NULL;

  rows = g_task_propagate_pointer (G_TASK (result), &error);
  if (rows == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("The ended sessions could not be loaded: %s", error->message);
    }

  added = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      StoredRow *row = g_ptr_array_index (rows, i);
      VigilSessionItemData data = {
        .user = row->user, .user_id = row->user_id, .device = row->device, .state = row->state,
        .decision = row->decision, .started_us = row->started_us, .last_activity_us = row->last_event_us,
        .ended_us = row->ended_us, .events = (guint64) MAX (row->events, 0), .risk = row->risk,
      };

      /* Ended while we loaded: the bus already told us. */
      if (g_hash_table_contains (self->by_id, row->id) || g_hash_table_contains (self->pending, row->id))
        continue;
      g_ptr_array_add (added, _vigil_session_item_new (row->id, &data));
    }
  insert_items (self, added);
  trim_ended (self);

  self->loading = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
load_ended (VigilSessionList *self,
            guint             limit)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_ended_loaded, NULL);

  g_task_set_source_tag (task, load_ended);
  g_task_set_task_data (task, g_object_ref (vigil_engine_get_store (self->engine)), g_object_unref);
  g_object_set_data (G_OBJECT (task), "limit", GUINT_TO_POINTER (limit));
  g_task_run_in_thread (task, load_ended_thread);
}

static void
vigil_session_list_dispose (GObject *object)
{
  VigilSessionList *self = VIGIL_SESSION_LIST (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (self->bus != NULL)
    g_signal_handlers_disconnect_by_data (self->bus, self);
  if (self->risk != NULL)
    g_signal_handlers_disconnect_by_data (self->risk, self);
  g_clear_object (&self->bus);
  g_clear_object (&self->risk);
  g_clear_object (&self->sessions);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (vigil_session_list_parent_class)->dispose (object);
}

static void
vigil_session_list_finalize (GObject *object)
{
  VigilSessionList *self = VIGIL_SESSION_LIST (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->decided, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (vigil_session_list_parent_class)->finalize (object);
}

static void
vigil_session_list_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VigilSessionList *self = VIGIL_SESSION_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_session_list_class_init (VigilSessionListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_session_list_dispose;
  object_class->finalize = vigil_session_list_finalize;
  object_class->get_property = vigil_session_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vigil_session_list_init (VigilSessionList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->decided = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  self->interval_ms = VIGIL_SESSION_LIST_INTERVAL_MS;
}

VigilSessionList *
vigil_session_list_new (VigilEngine *engine,
                        guint        max_ended)
{
  VigilSessionList *self;
  g_autoptr(GPtrArray) open = NULL;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  self = g_object_new (VIGIL_TYPE_SESSION_LIST, NULL);
  self->engine = g_object_ref (engine);
  self->sessions = g_object_ref (vigil_engine_get_sessions (engine));
  self->risk = g_object_ref (vigil_engine_get_risk (engine));
  self->bus = g_object_ref (vigil_engine_get_event_bus (engine));

  g_signal_connect (self->bus, "session-changed", G_CALLBACK (on_session_changed), self);
  g_signal_connect (self->bus, "events-received", G_CALLBACK (on_events_received), self);
  g_signal_connect (self->risk, "decision-made", G_CALLBACK (on_decision_made), self);

  open = vigil_sessions_list_open (self->sessions);
  for (guint i = 0; i < open->len; i++)
    mark_changed (self, g_ptr_array_index (open, i));
  vigil_session_list_flush (self);

  self->keep_ended = max_ended > 0 ? max_ended : VIGIL_SESSION_LIST_DEFAULT_ENDED;
  if (max_ended > 0)
    {
      self->loading = TRUE;
      load_ended (self, max_ended);
    }
  return self;
}

gboolean
vigil_session_list_get_loading (VigilSessionList *self)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_LIST (self), FALSE);
  return self->loading;
}

VigilSessionItem *
vigil_session_list_lookup (VigilSessionList *self,
                           const char       *session_id)
{
  g_return_val_if_fail (VIGIL_IS_SESSION_LIST (self), NULL);
  return session_id ? g_hash_table_lookup (self->by_id, session_id) : NULL;
}

void
vigil_session_list_set_interval (VigilSessionList *self,
                                 guint             interval_ms)
{
  g_return_if_fail (VIGIL_IS_SESSION_LIST (self));

  self->interval_ms = interval_ms;
  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (interval_ms > 0 && g_hash_table_size (self->pending) > 0)
    self->flush_id = g_timeout_add (interval_ms, flush_cb, self);
}
