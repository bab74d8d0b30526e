/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-analyzer.h"
#include "vigil-risk.h"

G_BEGIN_DECLS

/* Remote mode: with an analyzer set, live authenticated sessions are also
 * analysed by a remote ML engine (session start, each tick's events, end;
 * at most one request in flight per session). While the remote answers,
 * its verdict decides, stored, audited and executed like a local one with
 * the same rule for blocks (confidence strictly above 0.8). The local
 * analysis always runs as well, and decides whenever the remote fails:
 * refused, timed out, a status other than 2xx or a malformed reply — never
 * "allow because unavailable". An outage's start and end are audit entries
 * ("ml_engine.unavailable", "ml_engine.available"); while it lasts, at
 * most one request probes the remote every VIGIL_RISK_REMOTE_PROBE_SECONDS.
 * The session's own history gets ml_session_started, ml_session_failed,
 * ml_analysis_result, ml_analysis_failed and ml_session_ended events. */

#define VIGIL_RISK_REMOTE_PROBE_SECONDS 5

typedef struct
{
  char     *url;                  /* the analyzer's description; NULL: local only */
  gboolean  available;
  gint64    unavailable_since_us; /* 0 while available */
  guint64   requests;
  guint64   failures;             /* since start-up */
  guint64   outages;
  char     *last_error;           /* nullable */
  gint64    last_error_at_us;     /* 0 when none */
  guint64   remote_decisions;     /* verdicts that decided */
  guint64   local_fallbacks;      /* local decisions because the remote failed */
  guint     sessions;             /* live sessions with the remote */
} VigilRemoteStatus;

void               vigil_remote_status_free     (VigilRemoteStatus *status);

/* @analyzer NULL: local only again. Main context only. */
void               vigil_risk_set_analyzer      (VigilRisk         *self,
                                                 VigilAnalyzer     *analyzer);
VigilAnalyzer     *vigil_risk_get_analyzer      (VigilRisk         *self);
VigilRemoteStatus *vigil_risk_get_remote_status (VigilRisk         *self);
/* How long an outage waits between probes; VIGIL_RISK_REMOTE_PROBE_SECONDS
 * by default. */
void               vigil_risk_set_remote_probe_interval (VigilRisk *self,
                                                         guint      milliseconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilRemoteStatus, vigil_remote_status_free)

G_END_DECLS
