/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-engine.h"

G_BEGIN_DECLS

/* The io.vigil.Console keys the engine applies while it runs: the risk
 * thresholds, the MPIN policy and the session expiry. The others are
 * engine options read at start (the remote ML engine is the
 * application's, which owns the analyzer). */

/* Reads the risk-* keys of @settings (not checked; see
 * vigil_risk_thresholds_check ()). */
void     vigil_engine_settings_load_thresholds (GSettings           *settings,
                                                VigilRiskThresholds *out_thresholds);
/* Applies the risk-*, mpin-* and session-idle-minutes keys to @engine now
 * and whenever they change, until @engine is finalized. A value the engine
 * refuses (thresholds that do not rise, an MPIN length outside 4 to 8) is
 * refused with a warning and the engine keeps its previous one. */
void     vigil_engine_settings_bind            (VigilEngine         *engine,
                                                GSettings           *settings);

G_END_DECLS
