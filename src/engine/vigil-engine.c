/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one object the API and the console hold: it owns the data directory,
 * its lock, the store and the live metrics. */
#define G_LOG_DOMAIN "vigil-engine"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include <sodium.h>

#include "vigil-auth-private.h"
#include "vigil-profiles-private.h"
#include "vigil-risk-private.h"
#include "vigil-sessions-private.h"
#include "vigil-data-lock.h"
#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-hasher.h"
#include "vigil-policy.h"

struct _VigilEngine
{
  GObject        parent_instance;

  char          *data_dir;
  char          *database_path;
  VigilDataLock *lock;
  VigilStore    *store;
  VigilMetrics  *metrics;
  VigilClock    *clock;
  VigilEventBus *bus;
  VigilSessions *sessions;
  VigilProfiles *profiles;
  VigilRisk     *risk;
  VigilFingerprints *fingerprints;
  VigilAuth     *auth;
};

G_DEFINE_FINAL_TYPE (VigilEngine, vigil_engine, G_TYPE_OBJECT)

static void
vigil_engine_dispose (GObject *object)
{
  VigilEngine *self = VIGIL_ENGINE (object);

  vigil_engine_shutdown (self);
  g_clear_object (&self->metrics);
  g_clear_object (&self->bus);
  g_clear_pointer (&self->clock, vigil_clock_unref);

  G_OBJECT_CLASS (vigil_engine_parent_class)->dispose (object);
}

static void
vigil_engine_finalize (GObject *object)
{
  VigilEngine *self = VIGIL_ENGINE (object);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->database_path, g_free);

  G_OBJECT_CLASS (vigil_engine_parent_class)->finalize (object);
}

static void
vigil_engine_class_init (VigilEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_engine_dispose;
  object_class->finalize = vigil_engine_finalize;
}

static void
vigil_engine_init (VigilEngine *self)
{
  self->metrics = vigil_metrics_new ();
  self->bus = vigil_event_bus_new ();
}

/* The store knows which tables a commit changed; the bus says what that
 * means to the console and the monitor sockets. */
static void
on_tables_changed (VigilStore          *store,
                   const char * const  *tables,
                   VigilEngine         *self)
{
  if (g_strv_contains (tables, "audit_log"))
    vigil_event_bus_post_audit_appended (self->bus);
  if (g_strv_contains (tables, "users"))
    vigil_event_bus_post_user_changed (self->bus);
}

static gboolean
ensure_private_directory (const char  *path,
                          GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create the data directory %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

void
vigil_engine_options_init (VigilEngineOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->sync = VIGIL_STORE_SYNC_NORMAL;
  options->secrets = VIGIL_SECRETS_AUTO;
  options->mpin_length = 6;
  options->mpin_max_attempts = 3;
  options->mpin_lock_seconds = 15 * 60;
  options->access_token_seconds = 15 * 60;
  options->refresh_token_seconds = 7 * 24 * 60 * 60;
  options->session_token_seconds = 8 * 60 * 60;
  options->rate_limit_burst = 10;
  options->rate_limit_per_minute = 10;
  options->hash_opslimit = VIGIL_HASHER_DEFAULT_OPSLIMIT;
  options->hash_memlimit = VIGIL_HASHER_DEFAULT_MEMLIMIT;
  options->max_message_bytes = 64 * 1024;
  options->max_batch_events = 1000;
  options->session_buffer_events = 1000;
  options->session_idle_seconds = 60 * 60;
  vigil_pool_config_init (&options->pool);
  vigil_risk_thresholds_init_default (&options->risk_thresholds);
}

VigilEngine *
vigil_engine_new (const char      *data_dir,
                  VigilStoreSync   sync,
                  GError         **error)
{
  VigilEngineOptions options;

  vigil_engine_options_init (&options);
  options.sync = sync;
  return vigil_engine_new_with_options (data_dir, &options, error);
}

static gboolean
check_options (const VigilEngineOptions  *options,
               GError                   **error)
{
  if (!vigil_policy_check_mpin_policy (options->mpin_length, options->mpin_max_attempts,
                                       options->mpin_lock_seconds, error))
    return FALSE;
  if (options->mpin_max_attempts == 0 || options->access_token_seconds == 0 ||
      options->refresh_token_seconds == 0 || options->session_token_seconds == 0 ||
      options->rate_limit_burst < 1 || options->rate_limit_per_minute <= 0 ||
      options->max_message_bytes == 0 || options->max_batch_events == 0 ||
      options->session_buffer_events == 0 || options->session_idle_seconds == 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "Attempt limits, token lifetimes and rate limits must be positive");
      return FALSE;
    }
  return vigil_pool_config_check (&options->pool, error) &&
         vigil_risk_thresholds_check (&options->risk_thresholds, error);
}

static VigilAuthConfig
auth_config_from_options (const VigilEngineOptions *options)
{
  VigilAuthConfig config = {
    .mpin_length = options->mpin_length,
    .mpin_max_attempts = options->mpin_max_attempts,
    .mpin_lock_seconds = options->mpin_lock_seconds,
    .access_token_seconds = options->access_token_seconds,
    .refresh_token_seconds = options->refresh_token_seconds,
    .session_token_seconds = options->session_token_seconds,
    .rate_limit_burst = options->rate_limit_burst,
    .rate_limit_per_minute = options->rate_limit_per_minute,
    .hash_opslimit = options->hash_opslimit,
    .hash_memlimit = options->hash_memlimit,
  };

  return config;
}

VigilEngine *
vigil_engine_new_with_options (const char                *data_dir,
                               const VigilEngineOptions  *options,
                               GError                   **error)
{
  g_autoptr(VigilEngine) self = NULL;
  g_autoptr(GBytes) signing_key = NULL;
  VigilSecretBackend backend;
  VigilAuthConfig config;
  VigilSessionLimits limits;

  g_return_val_if_fail (data_dir != NULL && *data_dir != '\0', NULL);
  g_return_val_if_fail (options != NULL, NULL);

  if (sodium_init () < 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_FAILED, "libsodium cannot be initialised");
      return NULL;
    }
  if (!check_options (options, error))
    return NULL;

  self = g_object_new (VIGIL_TYPE_ENGINE, NULL);
  self->data_dir = g_canonicalize_filename (data_dir, NULL);
  self->database_path = g_build_filename (self->data_dir, "vigil.db", NULL);
  self->clock = options->clock ? vigil_clock_ref (options->clock) : vigil_clock_new_system ();

  if (!ensure_private_directory (self->data_dir, error))
    return NULL;

  /* The lock comes before the database is touched, so that a second
   * process never migrates or writes under the first one's feet. */
  self->lock = vigil_data_lock_acquire (self->data_dir, error);
  if (self->lock == NULL)
    return NULL;

  self->store = vigil_store_open (self->database_path, options->sync, error);
  if (self->store == NULL)
    return NULL;
  g_signal_connect (self->store, "tables-changed", G_CALLBACK (on_tables_changed), self);

  signing_key = vigil_secrets_load_signing_key (self->data_dir, options->secrets, &backend, error);
  if (signing_key == NULL)
    return NULL;

  limits.max_message_bytes = options->max_message_bytes;
  limits.max_batch_events = options->max_batch_events;
  limits.buffer_events = options->session_buffer_events;
  limits.idle_seconds = options->session_idle_seconds;
  self->sessions = _vigil_sessions_new (self->store, self->clock, self->metrics, self->bus,
                                        self->data_dir, &limits, error);
  if (self->sessions == NULL)
    return NULL;

  self->profiles = _vigil_profiles_new (self->store, self->clock);
  vigil_profiles_set_pool_config (self->profiles, &options->pool);
  self->risk = _vigil_risk_new (self->store, self->clock, self->sessions, self->profiles, self->bus);
  if (!vigil_risk_set_thresholds (self->risk, &options->risk_thresholds, error))
    return NULL;
  self->fingerprints = _vigil_fingerprints_new (self->store, self->clock, self->sessions);

  config = auth_config_from_options (options);
  self->auth = _vigil_auth_new (self->store, self->clock, self->metrics, self->sessions,
                                signing_key, backend, &config);

  g_info ("Engine ready: data directory %s, schema version %d, signing key in the %s",
          self->data_dir, vigil_store_get_schema_version (self->store),
          vigil_secret_backend_to_string (backend));
  return g_steal_pointer (&self);
}

const char *
vigil_engine_get_data_dir (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->data_dir;
}

const char *
vigil_engine_get_database_path (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->database_path;
}

VigilStore *
vigil_engine_get_store (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->store;
}

VigilMetrics *
vigil_engine_get_metrics (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->metrics;
}

VigilAuth *
vigil_engine_get_auth (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->auth;
}

VigilSessions *
vigil_engine_get_sessions (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->sessions;
}

VigilProfiles *
vigil_engine_get_profiles (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->profiles;
}

VigilFingerprints *
vigil_engine_get_fingerprints (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->fingerprints;
}

VigilEventBus *
vigil_engine_get_event_bus (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->bus;
}

VigilRisk *
vigil_engine_get_risk (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->risk;
}

void
vigil_engine_set_remote_analyzer (VigilEngine   *self,
                                  VigilAnalyzer *analyzer)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));

  if (self->risk != NULL)
    vigil_risk_set_analyzer (self->risk, analyzer);
}

VigilClock *
vigil_engine_get_clock (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->clock;
}

void
vigil_engine_shutdown (VigilEngine *self)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));

  /* Risk first: no decision is taken on sessions being shut down. */
  if (self->risk != NULL)
    _vigil_risk_shutdown (self->risk);
  /* Sessions first, while the store still takes their final writes. */
  if (self->sessions != NULL)
    _vigil_sessions_shutdown (self->sessions);
  if (self->store != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->store, self);
      vigil_store_close (self->store);
      g_clear_object (&self->store);
    }
  /* After the store: flows still in flight hold their own references and
   * find the store closed. */
  g_clear_object (&self->auth);
  g_clear_object (&self->risk);
  g_clear_object (&self->profiles);
  g_clear_object (&self->fingerprints);
  g_clear_object (&self->sessions);
  if (self->bus != NULL)
    vigil_event_bus_flush (self->bus);

  /* Released last: the database is closed and consistent by now. */
  g_clear_pointer (&self->lock, vigil_data_lock_release);
}

char *
vigil_engine_default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "vigil", NULL);
}
