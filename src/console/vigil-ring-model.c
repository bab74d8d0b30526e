/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-ring-model"

#include "config.h"

#include "vigil-ring-model.h"

struct _VigilRingModel
{
  GObject    parent_instance;

  GType      item_type;
  GObject  **slots;      /* capacity entries */
  guint      capacity;
  guint      head;       /* slot of the newest item */
  guint      length;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilRingModel, vigil_ring_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
vigil_ring_model_get_item_type (GListModel *model)
{
  return VIGIL_RING_MODEL (model)->item_type;
}

static guint
vigil_ring_model_get_n_items (GListModel *model)
{
  return VIGIL_RING_MODEL (model)->length;
}

static gpointer
vigil_ring_model_get_item (GListModel *model,
                           guint       position)
{
  VigilRingModel *self = VIGIL_RING_MODEL (model);

  if (position >= self->length)
    return NULL;

  return g_object_ref (self->slots[(self->head + position) % self->capacity]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = vigil_ring_model_get_item_type;
  iface->get_n_items = vigil_ring_model_get_n_items;
  iface->get_item = vigil_ring_model_get_item;
}

/* Forgets the @count oldest items, without telling anyone. */
static void
drop_oldest (VigilRingModel *self,
             guint           count)
{
  for (guint i = 0; i < count; i++)
    {
      guint slot = (self->head + self->length - 1) % self->capacity;

      g_clear_object (&self->slots[slot]);
      self->length--;
    }
}

void
vigil_ring_model_push (VigilRingModel *self,
                       GPtrArray      *items)
{
  guint old_length, added, first, overflow;

  g_return_if_fail (VIGIL_IS_RING_MODEL (self));
  g_return_if_fail (items != NULL);

  if (items->len == 0)
    return;

  old_length = self->length;
  added = MIN (items->len, self->capacity);
  first = items->len - added;   /* older ones would fall out at once */

  if (added == self->capacity)
    {
      /* Everything is replaced: one change. */
      drop_oldest (self, self->length);
      for (guint i = first; i < items->len; i++)
        {
          self->head = (self->head + self->capacity - 1) % self->capacity;
          self->slots[self->head] = g_object_ref (g_ptr_array_index (items, i));
          self->length++;
        }
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_length, added);
      return;
    }

  overflow = old_length + added > self->capacity ? old_length + added - self->capacity : 0;
  if (overflow > 0)
    {
      drop_oldest (self, overflow);
      g_list_model_items_changed (G_LIST_MODEL (self), self->length, overflow, 0);
    }

  for (guint i = first; i < items->len; i++)
    {
      self->head = (self->head + self->capacity - 1) % self->capacity;
      self->slots[self->head] = g_object_ref (g_ptr_array_index (items, i));
      self->length++;
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, added);
}

void
vigil_ring_model_clear (VigilRingModel *self)
{
  guint old_length;

  g_return_if_fail (VIGIL_IS_RING_MODEL (self));

  old_length = self->length;
  if (old_length == 0)
    return;

  drop_oldest (self, old_length);
  self->head = 0;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_length, 0);
}

guint
vigil_ring_model_get_capacity (VigilRingModel *self)
{
  g_return_val_if_fail (VIGIL_IS_RING_MODEL (self), 0);

  return self->capacity;
}

static void
vigil_ring_model_finalize (GObject *object)
{
  VigilRingModel *self = (VigilRingModel *)object;

  drop_oldest (self, self->length);
  g_free (self->slots);

  G_OBJECT_CLASS (vigil_ring_model_parent_class)->finalize (object);
}

static void
vigil_ring_model_class_init (VigilRingModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vigil_ring_model_finalize;
}

static void
vigil_ring_model_init (VigilRingModel *self)
{
}

/**
 * vigil_ring_model_new:
 * @item_type: the type of the items, a GObject type
 * @capacity: how many of the newest items to keep, at least 1
 *
 * Returns: (transfer full): a new, empty model
 */
VigilRingModel *
vigil_ring_model_new (GType item_type,
                      guint capacity)
{
  VigilRingModel *self;

  g_return_val_if_fail (g_type_is_a (item_type, G_TYPE_OBJECT), NULL);
  g_return_val_if_fail (capacity > 0, NULL);

  self = g_object_new (VIGIL_TYPE_RING_MODEL, NULL);
  self->item_type = item_type;
  self->capacity = capacity;
  self->slots = g_new0 (GObject *, capacity);
  return self;
}
