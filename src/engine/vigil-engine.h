/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "vigil-auth.h"
#include "vigil-clock.h"
#include "vigil-event-bus.h"
#include "vigil-fingerprints.h"
#include "vigil-metrics.h"
#include "vigil-profiles.h"
#include "vigil-risk.h"
#include "vigil-risk-remote.h"
#include "vigil-risk-thresholds.h"
#include "vigil-secrets.h"
#include "vigil-sessions.h"
#include "vigil-store.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_ENGINE (vigil_engine_get_type ())
G_DECLARE_FINAL_TYPE (VigilEngine, vigil_engine, VIGIL, ENGINE, GObject)

/* Everything an engine can be told; vigil_engine_options_init () fills in
 * the defaults. */
typedef struct
{
  VigilStoreSync      sync;
  VigilClock         *clock;                  /* NULL: the system clock */
  VigilSecretsPolicy  secrets;
  guint               mpin_length;            /* 4 to 8; default 6 */
  guint               mpin_max_attempts;      /* default 3 */
  guint               mpin_lock_seconds;      /* default 900 */
  guint               access_token_seconds;   /* default 900 */
  guint               refresh_token_seconds;  /* default 7 days */
  guint               session_token_seconds;  /* default 8 hours */
  double              rate_limit_burst;       /* credential checks; default 10 */
  double              rate_limit_per_minute;  /* refill; default 10 */
  guint64             hash_opslimit;
  gsize               hash_memlimit;
  gsize               max_message_bytes;      /* default 64 KiB */
  guint               max_batch_events;       /* default 1,000 */
  guint               session_buffer_events;  /* live buffer; default 1,000 */
  guint               session_idle_seconds;   /* default 3,600 */
  VigilPoolConfig     pool;                   /* retraining; vigil_pool_config_init () */
  VigilRiskThresholds risk_thresholds;        /* default the VIGIL_RISK_* constants */
} VigilEngineOptions;

void          vigil_engine_options_init      (VigilEngineOptions        *options);

/* Opens (creating when needed) the data directory: takes its lock, opens and
 * migrates the database. Fails with VIGIL_ERROR_BUSY when another process
 * holds the directory. */
VigilEngine  *vigil_engine_new               (const char      *data_dir,
                                              VigilStoreSync   sync,
                                              GError         **error);

VigilEngine  *vigil_engine_new_with_options (const char               *data_dir,
                                              const VigilEngineOptions *options,
                                              GError                  **error);

const char   *vigil_engine_get_data_dir      (VigilEngine     *self);
const char   *vigil_engine_get_database_path (VigilEngine     *self);
VigilStore   *vigil_engine_get_store         (VigilEngine     *self);
VigilMetrics *vigil_engine_get_metrics       (VigilEngine     *self);
VigilAuth    *vigil_engine_get_auth          (VigilEngine     *self);
VigilSessions *vigil_engine_get_sessions     (VigilEngine     *self);
VigilProfiles *vigil_engine_get_profiles     (VigilEngine     *self);
VigilFingerprints *vigil_engine_get_fingerprints (VigilEngine *self);
VigilEventBus *vigil_engine_get_event_bus    (VigilEngine     *self);
VigilClock   *vigil_engine_get_clock         (VigilEngine     *self);
/* Live session risk and decisions, and the ML engine surface. */
VigilRisk    *vigil_engine_get_risk          (VigilEngine     *self);
/* Remote mode: live sessions are also analysed by @analyzer (NULL: local
 * only again); see vigil-risk-remote.h. */
void          vigil_engine_set_remote_analyzer (VigilEngine   *self,
                                                VigilAnalyzer *analyzer);

/* Flushes every queued write, closes the database and releases the data
 * directory. Safe to call twice; the engine answers nothing afterwards. */
void          vigil_engine_shutdown          (VigilEngine     *self);

char         *vigil_engine_default_data_dir  (void);

G_END_DECLS
