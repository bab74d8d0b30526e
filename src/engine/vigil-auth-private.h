/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-auth.h"
#include "vigil-clock.h"
#include "vigil-hasher.h"
#include "vigil-metrics.h"
#include "vigil-rate-limiter.h"
#include "vigil-sessions-private.h"
#include "vigil-store.h"
#include "vigil-user-table.h"

G_BEGIN_DECLS

typedef struct
{
  guint   mpin_length;
  guint   mpin_max_attempts;
  guint   mpin_lock_seconds;
  guint   access_token_seconds;
  guint   refresh_token_seconds;
  guint   session_token_seconds;
  double  rate_limit_burst;
  double  rate_limit_per_minute;
  guint64 hash_opslimit;
  gsize   hash_memlimit;
} VigilAuthConfig;

struct _VigilAuth
{
  GObject             parent_instance;

  VigilStore         *store;
  VigilClock         *clock;
  VigilMetrics       *metrics;
  VigilSessions      *sessions;
  VigilHasher        *hasher;
  GBytes             *signing_key;
  VigilSecretBackend  secret_backend;
  VigilAuthConfig     config;

  VigilRateLimiter   *by_address;
  VigilRateLimiter   *by_account;
  GHashTable         *mpin_in_flight;   /* user id or phone → TRUE */
};

VigilAuth *_vigil_auth_new               (VigilStore             *store,
                                          VigilClock             *clock,
                                          VigilMetrics           *metrics,
                                          VigilSessions          *sessions,
                                          GBytes                 *signing_key,
                                          VigilSecretBackend      secret_backend,
                                          const VigilAuthConfig  *config);

/* Shared by the flows in vigil-auth.c and vigil-auth-login.c. */
gboolean   _vigil_auth_check_rate        (VigilAuth              *self,
                                          const char             *client_address,
                                          const char             *account_key,
                                          GError                **error);
void       _vigil_auth_audit             (VigilAuth              *self,
                                          const char             *actor,
                                          const char             *action,
                                          const char             *target,
                                          const char             *client_address,
                                          JsonObject             *details);
JsonObject *_vigil_auth_details          (const char             *first_key,
                                          ...) G_GNUC_NULL_TERMINATED;

void       _vigil_auth_register_as_async (VigilAuth               *self,
                                          const VigilRegistration *registration,
                                          const char              *actor,
                                          gpointer                 source_tag,
                                          GCancellable            *cancellable,
                                          GAsyncReadyCallback      callback,
                                          gpointer                 user_data);

G_END_DECLS
