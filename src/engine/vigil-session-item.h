/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One row of the session list: what an analyst sees of a session, as
 * properties that notify only when their value changes (so list cells
 * bound to them redraw only then). Main context only. */
#define VIGIL_TYPE_SESSION_ITEM (vigil_session_item_get_type ())
G_DECLARE_FINAL_TYPE (VigilSessionItem, vigil_session_item, VIGIL, SESSION_ITEM, GObject)

/* What a snapshot of a session holds; strings nullable. */
typedef struct
{
  const char *user;          /* e-mail or phone, else the account id or claimed user */
  const char *user_id;       /* the account, NULL for stream sessions */
  const char *device;
  const char *state;         /* active | monitor | blocked | ended */
  const char *decision;      /* allow | monitor | step_up | block, NULL before any */
  gint64      started_us;
  gint64      last_activity_us;
  gint64      ended_us;      /* 0 while open */
  guint64     events;
  double      risk;          /* [0, 1], 0 before any score */
  gboolean    live;
} VigilSessionItemData;

const char *vigil_session_item_get_id          (VigilSessionItem *self);
const char *vigil_session_item_get_user        (VigilSessionItem *self);
const char *vigil_session_item_get_user_id     (VigilSessionItem *self);
const char *vigil_session_item_get_device      (VigilSessionItem *self);
const char *vigil_session_item_get_state       (VigilSessionItem *self);
const char *vigil_session_item_get_decision    (VigilSessionItem *self);
gint64      vigil_session_item_get_started     (VigilSessionItem *self);
gint64      vigil_session_item_get_ended       (VigilSessionItem *self);
/* Seconds from the start to the end, or to the last activity while open. */
gint64      vigil_session_item_get_duration    (VigilSessionItem *self);
guint64     vigil_session_item_get_events      (VigilSessionItem *self);
double      vigil_session_item_get_risk        (VigilSessionItem *self);
gboolean    vigil_session_item_get_live        (VigilSessionItem *self);

/* For VigilSessionList: a new item, and a change to it (one notify per
 * property whose value changed, after all of them are set). */
VigilSessionItem *_vigil_session_item_new    (const char                 *id,
                                              const VigilSessionItemData *data);
void              _vigil_session_item_update (VigilSessionItem           *self,
                                              const VigilSessionItemData *data);
void              _vigil_session_item_set_decision (VigilSessionItem *self,
                                                    const char       *decision);

G_END_DECLS
