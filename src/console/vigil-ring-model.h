/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GListModel that keeps the newest @capacity objects, newest first.
 * Pushing a batch costs at most two "items-changed" (the oldest dropped
 * at the end, the new ones inserted at the start), however large the
 * batch, so a list view over it stays cheap at thousands of items a
 * second. */
#define VIGIL_TYPE_RING_MODEL (vigil_ring_model_get_type ())
G_DECLARE_FINAL_TYPE (VigilRingModel, vigil_ring_model, VIGIL, RING_MODEL, GObject)

VigilRingModel *vigil_ring_model_new          (GType           item_type,
                                               guint           capacity);
guint           vigil_ring_model_get_capacity (VigilRingModel *self);
/* Adds @items (oldest first) in front. */
void            vigil_ring_model_push         (VigilRingModel *self,
                                               GPtrArray      *items);
void            vigil_ring_model_clear        (VigilRingModel *self);

G_END_DECLS
