/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-auth-private.h"
#include "vigil-token-table.h"

G_BEGIN_DECLS

/* The state every credential flow of VigilAuth carries from its request,
 * through hashing and its write, to its answer; shared by
 * vigil-auth-login.c and vigil-auth-tokens.c. */

/* One flow in progress: what came in, what was found, what was issued. */
typedef struct
{
  VigilAuth        *auth;
  VigilUserRecord  *record;           /* NULL for an unknown account */
  char             *identifier;       /* phone, email or profile id as given */
  char             *secret;           /* password or MPIN; wiped when done */
  char             *device_id;
  char             *client_address;
  JsonObject       *context;
  char             *in_flight_key;    /* held in mpin_in_flight while set */
  gboolean          with_refresh;
  gboolean          verified;
  gboolean          start_session;
  gboolean          issue_login_tokens;
  gint64            now_us;
  /* The MPIN policy as the flow started: the write runs on the store's
   * writer thread, while the policy may change on the main context. */
  guint             mpin_max_attempts;
  guint             mpin_lock_seconds;

  /* Outcome of the write. */
  guint             mpin_attempts;
  gint64            mpin_locked_until_us;
  gboolean          replayed;
  gint64            revoked;

  /* Issued before the write, handed out only after it committed. */
  char             *session_id;
  VigilIssuedToken *access;
  VigilIssuedToken *refresh;
  VigilIssuedToken *session;
  VigilTokenClaims *caller;
} Flow;

Flow            *_vigil_auth_flow_new                (VigilAuth      *auth,
                                                      GTask          *task,
                                                      const char     *client_address);
/* A flow that starts a behavioral session for an authenticated caller, on
 * @device_id (the caller's device when NULL) with @context (nullable). */
Flow            *_vigil_auth_flow_new_session        (VigilAuth              *auth,
                                                      GTask                  *task,
                                                      const VigilTokenClaims *caller,
                                                      const char             *device_id,
                                                      JsonObject             *context,
                                                      const char             *client_address);
void             _vigil_auth_flow_free               (Flow           *flow);
void             _vigil_auth_flow_release_in_flight  (Flow           *flow);
const char      *_vigil_auth_flow_actor              (Flow           *flow);
VigilAuthResult *_vigil_auth_flow_result             (Flow           *flow);
void             _vigil_auth_flow_issue_tokens       (Flow           *flow,
                                                      const char     *family_id);
gboolean         _vigil_auth_flow_record_tokens      (Flow           *flow,
                                                      VigilDb        *db,
                                                      GError        **error);
gboolean         _vigil_auth_flow_find_account       (Flow           *flow,
                                                      VigilUserKey    key,
                                                      GError        **error);
gboolean         _vigil_auth_flow_rate_limited       (Flow           *flow,
                                                      const char     *action,
                                                      GError        **error);
VigilUserKey     _vigil_auth_key_for_login           (VigilLoginKind  kind);
char            *_vigil_auth_account_key             (const char     *prefix,
                                                      const char     *identifier);

G_END_DECLS
