/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-ticker-model"

#include "config.h"

#include "vigil-ticker-model.h"

struct _VigilTickerSlot
{
  GObject           parent_instance;

  VigilTickerModel *model;      /* weak: the model owns its slots */
  guint             position;
};

G_DEFINE_FINAL_TYPE (VigilTickerSlot, vigil_ticker_slot, G_TYPE_OBJECT)

enum {
  SLOT_PROP_0,
  SLOT_PROP_EVENT,
  SLOT_N_PROPS
};

static GParamSpec *slot_properties[SLOT_N_PROPS];

struct _VigilTickerModel
{
  GObject          parent_instance;

  VigilLiveEvent **ring;        /* capacity entries */
  guint            capacity;
  guint            head;        /* ring index of the newest event */
  guint            length;
  GPtrArray       *slots;       /* VigilTickerSlot, one per position in use */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilTickerModel, vigil_ticker_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
vigil_ticker_slot_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VigilTickerSlot *self = VIGIL_TICKER_SLOT (object);

  switch (prop_id)
    {
    case SLOT_PROP_EVENT:
      g_value_set_object (value, vigil_ticker_slot_get_event (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_ticker_slot_class_init (VigilTickerSlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = vigil_ticker_slot_get_property;

  slot_properties[SLOT_PROP_EVENT] =
    g_param_spec_object ("event", NULL, NULL,
                         VIGIL_TYPE_LIVE_EVENT,
                         (G_PARAM_READABLE |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, SLOT_N_PROPS, slot_properties);
}

static void
vigil_ticker_slot_init (VigilTickerSlot *self)
{
}

VigilLiveEvent *
vigil_ticker_slot_get_event (VigilTickerSlot *self)
{
  g_return_val_if_fail (VIGIL_IS_TICKER_SLOT (self), NULL);

  if (self->model == NULL)
    return NULL;
  return vigil_ticker_model_peek (self->model, self->position);
}

static GType
vigil_ticker_model_get_item_type (GListModel *model)
{
  return VIGIL_TYPE_TICKER_SLOT;
}

static guint
vigil_ticker_model_get_n_items (GListModel *model)
{
  return VIGIL_TICKER_MODEL (model)->length;
}

static gpointer
vigil_ticker_model_get_item (GListModel *model,
                             guint       position)
{
  VigilTickerModel *self = VIGIL_TICKER_MODEL (model);

  if (position >= self->length)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->slots, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = vigil_ticker_model_get_item_type;
  iface->get_n_items = vigil_ticker_model_get_n_items;
  iface->get_item = vigil_ticker_model_get_item;
}

void
vigil_ticker_model_push (VigilTickerModel *self,
                         GPtrArray        *events)
{
  guint old_length, first;

  g_return_if_fail (VIGIL_IS_TICKER_MODEL (self));
  g_return_if_fail (events != NULL);

  if (events->len == 0)
    return;

  old_length = self->length;
  /* Older ones than the newest capacity would fall out at once. */
  first = events->len > self->capacity ? events->len - self->capacity : 0;
  for (guint i = first; i < events->len; i++)
    {
      self->head = (self->head + self->capacity - 1) % self->capacity;
      g_set_object (&self->ring[self->head], g_ptr_array_index (events, i));
      self->length = MIN (self->length + 1, self->capacity);
    }

  /* Every slot already shown now holds another event... */
  for (guint i = 0; i < old_length; i++)
    g_object_notify_by_pspec (g_ptr_array_index (self->slots, i), slot_properties[SLOT_PROP_EVENT]);

  /* ...and the ticker may have grown. */
  if (self->length > old_length)
    {
      for (guint i = old_length; i < self->length; i++)
        {
          VigilTickerSlot *slot = g_object_new (VIGIL_TYPE_TICKER_SLOT, NULL);

          slot->model = self;
          slot->position = i;
          g_ptr_array_add (self->slots, slot);
        }
      g_list_model_items_changed (G_LIST_MODEL (self), old_length, 0, self->length - old_length);
    }
}

VigilLiveEvent *
vigil_ticker_model_peek (VigilTickerModel *self,
                         guint             position)
{
  g_return_val_if_fail (VIGIL_IS_TICKER_MODEL (self), NULL);

  if (position >= self->length)
    return NULL;
  return self->ring[(self->head + position) % self->capacity];
}

guint
vigil_ticker_model_get_capacity (VigilTickerModel *self)
{
  g_return_val_if_fail (VIGIL_IS_TICKER_MODEL (self), 0);

  return self->capacity;
}

static void
vigil_ticker_model_finalize (GObject *object)
{
  VigilTickerModel *self = (VigilTickerModel *)object;

  /* A list view may still hold a slot: it then shows nothing. */
  for (guint i = 0; i < self->slots->len; i++)
    ((VigilTickerSlot *) g_ptr_array_index (self->slots, i))->model = NULL;
  g_ptr_array_unref (self->slots);
  for (guint i = 0; i < self->capacity; i++)
    g_clear_object (&self->ring[i]);
  g_free (self->ring);

  G_OBJECT_CLASS (vigil_ticker_model_parent_class)->finalize (object);
}

static void
vigil_ticker_model_class_init (VigilTickerModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_ticker_model_finalize;
}

static void
vigil_ticker_model_init (VigilTickerModel *self)
{
  self->slots = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * vigil_ticker_model_new:
 * @capacity: how many of the newest events to keep, at least 1
 *
 * Returns: (transfer full): a new, empty ticker
 */
VigilTickerModel *
vigil_ticker_model_new (guint capacity)
{
  VigilTickerModel *self;

  g_return_val_if_fail (capacity > 0, NULL);

  self = g_object_new (VIGIL_TYPE_TICKER_MODEL, NULL);
  self->capacity = capacity;
  self->ring = g_new0 (VigilLiveEvent *, capacity);
  return self;
}
