/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "vigil-analyzer.h"
#include "vigil-engine.h"

G_BEGIN_DECLS

/* A VigilAnalyzer over HTTP: the ML guide's POST /session/start,
 * /analyze-mobile and /session/end on another Vigil or any server that
 * answers them. One attempt per call, no retry; the timeout (30 s by
 * default) covers connecting and every wait for the reply.
 *
 * The URL is http or https with a host, an optional base path, and no
 * query or fragment. Credentials in it are never shown (the description
 * leaves them out): "EMAIL:PASSWORD@" logs in at the remote's POST
 * /api/login (Vigil's ML routes want an analyst's or an admin's token) and
 * logs in again before the token expires or after a 401; ":TOKEN@" sends
 * TOKEN as a bearer token. */
#define VIGIL_TYPE_REMOTE_ANALYZER (vigil_remote_analyzer_get_type ())
G_DECLARE_FINAL_TYPE (VigilRemoteAnalyzer, vigil_remote_analyzer, VIGIL, REMOTE_ANALYZER, GObject)

#define VIGIL_REMOTE_ANALYZER_TIMEOUT_SECONDS 30

/* VIGIL_ERROR_INVALID_INPUT saying what is wrong with @url. */
VigilRemoteAnalyzer *vigil_remote_analyzer_new         (const char          *url,
                                                        GError             **error);
void                 vigil_remote_analyzer_set_timeout (VigilRemoteAnalyzer *self,
                                                        guint                seconds);
guint                vigil_remote_analyzer_get_timeout (VigilRemoteAnalyzer *self);

/* Makes @engine ask the remote ML engine at @url from now on, or none
 * (local analysis only) when @url is NULL or empty; the previous
 * analyzer's requests in flight are abandoned and the change is audited
 * ("ml_engine.changed"). A URL that is refused (as by
 * vigil_remote_analyzer_new ()) changes nothing. Main context only. */
gboolean             vigil_remote_analyzer_apply       (VigilEngine         *engine,
                                                        const char          *url,
                                                        GError             **error);

G_END_DECLS
