/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-metrics.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_ENGINE (vigil_engine_get_type ())
G_DECLARE_FINAL_TYPE (VigilEngine, vigil_engine, VIGIL, ENGINE, GObject)

/* Opens (creating when needed) the data directory: takes its lock, opens and
 * migrates the database. Fails with VIGIL_ERROR_BUSY when another process
 * holds the directory. */
VigilEngine  *vigil_engine_new               (const char      *data_dir,
                                              VigilStoreSync   sync,
                                              GError         **error);

const char   *vigil_engine_get_data_dir      (VigilEngine     *self);
const char   *vigil_engine_get_database_path (VigilEngine     *self);
VigilStore   *vigil_engine_get_store         (VigilEngine     *self);
VigilMetrics *vigil_engine_get_metrics       (VigilEngine     *self);

/* Flushes every queued write, closes the database and releases the data
 * directory. Safe to call twice; the engine answers nothing afterwards. */
void          vigil_engine_shutdown          (VigilEngine     *self);

char         *vigil_engine_default_data_dir  (void);

G_END_DECLS
