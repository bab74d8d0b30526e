/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "vigil-risk.h"

G_BEGIN_DECLS

/* A remote ML engine as the risk engine sees it: the ML guide's session
 * start, analysis and session end, asynchronously, results on the caller's
 * main context. The engine has no HTTP; the API layer implements this
 * (VigilRemoteAnalyzer) and the application hands it to the engine. An
 * implementation makes one attempt per call (no retry) and fails with
 * VIGIL_ERROR_UNAVAILABLE when the remote does not answer usefully:
 * unreachable, timed out, a status other than 2xx, or a reply that is not
 * the expected JSON. */
#define VIGIL_TYPE_ANALYZER (vigil_analyzer_get_type ())
G_DECLARE_INTERFACE (VigilAnalyzer, vigil_analyzer, VIGIL, ANALYZER, GObject)

/* The rules for a remote ML engine's URL, for whoever offers to set one
 * (the console's Preferences) and for the implementation that reads it:
 * http or https with a host, an optional base path, no query or fragment,
 * and credentials as "EMAIL:PASSWORD@" or ":TOKEN@" only.
 * VIGIL_ERROR_INVALID_INPUT saying what is wrong. */
gboolean vigil_analyzer_check_url (const char  *url,
                                   GError     **error);

/* What a remote analysis answered. */
typedef struct
{
  VigilDecision  decision;      /* "reauth" and "step_up" map to a step-up */
  double         confidence;    /* in [0, 1]; 0 when the remote gave none */
  double         risk;          /* in [0, 1], or -1 when the remote gave none */
  char          *decision_id;   /* the remote's own id; nullable */
  GPtrArray     *reasons;       /* char *, the remote's words */
} VigilAnalyzerVerdict;

VigilAnalyzerVerdict *vigil_analyzer_verdict_new  (void);
void                  vigil_analyzer_verdict_free (VigilAnalyzerVerdict *verdict);
/* Reads the ML guide's /analyze-mobile reply ({decision, confidence,
 * risk_score?, reasons?, decision_id?}); VIGIL_ERROR_UNAVAILABLE naming
 * what is wrong when it is not one. */
VigilAnalyzerVerdict *vigil_analyzer_verdict_from_json (JsonNode  *reply,
                                                        GError   **error);

struct _VigilAnalyzerInterface
{
  GTypeInterface parent_iface;

  const char *          (*get_description)      (VigilAnalyzer        *self);
  void                  (*start_session_async)  (VigilAnalyzer        *self,
                                                 const char           *user_id,
                                                 const char           *session_id,
                                                 JsonObject           *device_info,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  JsonObject *          (*start_session_finish) (VigilAnalyzer        *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
  void                  (*analyze_async)        (VigilAnalyzer        *self,
                                                 const char           *user_id,
                                                 const char           *session_id,
                                                 GPtrArray            *events,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  VigilAnalyzerVerdict *(*analyze_finish)       (VigilAnalyzer        *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
  void                  (*end_session_async)    (VigilAnalyzer        *self,
                                                 const char           *session_id,
                                                 const char           *reason,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
  gboolean              (*end_session_finish)   (VigilAnalyzer        *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
};

/* For people and reports: where it is (a URL without credentials). */
const char           *vigil_analyzer_get_description      (VigilAnalyzer       *self);
/* Answers the remote's reply object. */
void                  vigil_analyzer_start_session_async  (VigilAnalyzer       *self,
                                                           const char          *user_id,
                                                           const char          *session_id,
                                                           JsonObject          *device_info,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
JsonObject           *vigil_analyzer_start_session_finish (VigilAnalyzer       *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
/* @events: VigilEvent, sent as the guide's logs [{timestamp, event_type, data}]. */
void                  vigil_analyzer_analyze_async        (VigilAnalyzer       *self,
                                                           const char          *user_id,
                                                           const char          *session_id,
                                                           GPtrArray           *events,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
VigilAnalyzerVerdict *vigil_analyzer_analyze_finish       (VigilAnalyzer       *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);
void                  vigil_analyzer_end_session_async    (VigilAnalyzer       *self,
                                                           const char          *session_id,
                                                           const char          *reason,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
gboolean              vigil_analyzer_end_session_finish   (VigilAnalyzer       *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAnalyzerVerdict, vigil_analyzer_verdict_free)

G_END_DECLS
