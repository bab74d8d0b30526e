/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-engine.h"
#include "vigil-session-item.h"

G_BEGIN_DECLS

/* The sessions an analyst watches, as a GListModel of VigilSessionItem:
 * every open session of the engine, the ones that end while it watches,
 * and the most recent ended ones of the store (loaded once, on a worker
 * thread). Newest first (by start time, then id).
 *
 * Updates are coalesced: the event bus's per-tick signals only mark
 * sessions as changed, and the list applies the changes at most every
 * VIGIL_SESSION_LIST_INTERVAL_MS, one notify per changed property and one
 * "items-changed" per batch of new sessions, however many events arrive.
 * Main context only. */
#define VIGIL_TYPE_SESSION_LIST (vigil_session_list_get_type ())
G_DECLARE_FINAL_TYPE (VigilSessionList, vigil_session_list, VIGIL, SESSION_LIST, GObject)

#define VIGIL_SESSION_LIST_INTERVAL_MS 200
/* Ended sessions loaded from the store at start. */
#define VIGIL_SESSION_LIST_DEFAULT_ENDED 1000

/* @max_ended: how many recent ended sessions to load from the store (0:
 * none) and to keep listed (0: VIGIL_SESSION_LIST_DEFAULT_ENDED); the
 * oldest ended ones beyond it leave the list. "loading" is TRUE until
 * the stored ones are in. */
VigilSessionList *vigil_session_list_new         (VigilEngine      *engine,
                                                  guint             max_ended);
gboolean          vigil_session_list_get_loading (VigilSessionList *self);
/* The item of @session_id, or NULL (transfer none). */
VigilSessionItem *vigil_session_list_lookup      (VigilSessionList *self,
                                                  const char       *session_id);
/* Applies the pending changes now (tests, and the page when the analyst
 * acts and must see the outcome at once). */
void              vigil_session_list_flush       (VigilSessionList *self);

/* How often pending changes are applied; 0: only by
 * vigil_session_list_flush () (tests and benchmarks that count). */
void              vigil_session_list_set_interval (VigilSessionList *self,
                                                   guint             interval_ms);

G_END_DECLS
