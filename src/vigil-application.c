/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Wires the layers together: one engine, one server on top of it and,
 * unless --headless, the console window. Headless mode never initialises
 * GTK, so the same binary serves on machines without a display. */
#define G_LOG_DOMAIN "vigil-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "vigil-application.h"
#include "vigil-create-admin.h"
#include "vigil-engine.h"
#include "vigil-remote-analyzer.h"
#include "vigil-engine-settings.h"
#include "vigil-server.h"
#include "vigil-sim-thread.h"
#include "vigil-window.h"

/* The demo's population: enough for a lively console, few enough for a
 * laptop. Each user's first sessions enroll it, then attacks begin. */
#define DEMO_USERS           12
/* Enough for the live models' minimums (vigil-profiles-live.h), run ten
 * times faster than life: the users' models are trained within about
 * half a minute, while their first sessions already stream live. */
#define DEMO_ENROLL_SESSIONS 6
#define DEMO_ENROLL_SPEED    10
#define DEMO_SESSION_EVENTS  30

struct _VigilApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;    /* NULL when the schema is not installed */
  char           *listen_address;
  char           *data_dir;
  char           *ml_engine_url;  /* NULL or empty: local analysis only */
  VigilEngineOptions engine_options;

  VigilEngine    *engine;
  VigilServer    *server;
  gboolean        demo;
  char           *demo_temp_dir;   /* removed on exit */
  VigilSimThread *demo_sim;
  guint           sigint_id;
  guint           sigterm_id;
};

G_DEFINE_FINAL_TYPE (VigilApplication, vigil_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "headless", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Run the engine and server without a window, until interrupted"), NULL },
  { "listen", 'l', 0, G_OPTION_ARG_STRING, NULL,
    N_("Address and port to serve the API on (default 127.0.0.1:8000)"), N_("ADDR:PORT") },
  { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Directory for the database and logs (default $XDG_DATA_HOME/vigil)"), N_("DIR") },
  { "ml-engine", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Also ask the remote ML engine at URL; local analysis decides while it is unavailable"), N_("URL") },
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Demo: a fresh temporary data directory (unless --data-dir is given) and simulated app users, attacks included"),
    NULL },
  { "create-admin", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Create an admin account (or promote the existing one) with the password read from standard input"),
    N_("EMAIL") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { NULL }
};

static GSettings *
load_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);

  /* Running from a build tree without the compiled schema: defaults only. */
  if (schema == NULL)
    {
      g_debug ("Settings schema %s not installed; using defaults", APPLICATION_ID);
      return NULL;
    }

  return g_settings_new_full (schema, NULL, NULL);
}

/* Thresholds that do not rise would stop the engine from starting; keep
 * the defaults then, and say why. */
static void
load_risk_thresholds (GSettings           *settings,
                      VigilRiskThresholds *thresholds)
{
  g_autoptr(GError) error = NULL;
  VigilRiskThresholds configured;

  vigil_engine_settings_load_thresholds (settings, &configured);
  if (vigil_risk_thresholds_check (&configured, &error))
    *thresholds = configured;
  else
    g_warning ("Risk thresholds from the settings ignored: %s", error->message);
}

static void
load_engine_options (GSettings          *settings,
                     VigilEngineOptions *options)
{
  options->sync = g_settings_get_enum (settings, "store-synchronous") == VIGIL_STORE_SYNC_FULL
                ? VIGIL_STORE_SYNC_FULL : VIGIL_STORE_SYNC_NORMAL;
  options->mpin_length = (guint) g_settings_get_int (settings, "mpin-length");
  options->mpin_max_attempts = (guint) g_settings_get_int (settings, "mpin-max-attempts");
  options->mpin_lock_seconds = (guint) g_settings_get_int (settings, "mpin-lock-minutes") * 60;
  options->rate_limit_burst = g_settings_get_int (settings, "rate-limit-burst");
  options->rate_limit_per_minute = g_settings_get_int (settings, "rate-limit-per-minute");
  options->session_idle_seconds = (guint) g_settings_get_int (settings, "session-idle-minutes") * 60;
  options->max_message_bytes = (gsize) g_settings_get_int (settings, "max-message-kib") * 1024;
  options->max_batch_events = (guint) g_settings_get_int (settings, "max-batch-events");
  options->pool.retrain_after = (guint) g_settings_get_int (settings, "retrain-after-vectors");
  options->pool.max_share = g_settings_get_int (settings, "retrain-pool-share") / 100.0;
  options->pool.max_vectors = (guint) g_settings_get_int (settings, "retrain-pool-size");
  options->pool.max_age_us = (gint64) g_settings_get_int (settings, "retrain-pool-days") * G_TIME_SPAN_DAY;
  load_risk_thresholds (settings, &options->risk_thresholds);
}

/* Settings first, then the command line for this run only. */
static void
resolve_configuration (VigilApplication *self,
                       GVariantDict     *options)
{
  g_autofree char *listen = NULL;
  g_autofree char *data_dir = NULL;

  if (self->settings != NULL)
    {
      listen = g_settings_get_string (self->settings, "listen-address");
      data_dir = g_settings_get_string (self->settings, "data-dir");
      load_engine_options (self->settings, &self->engine_options);
    }

  if (g_variant_dict_lookup (options, "listen", "s", &self->listen_address))
    ;
  else if (listen != NULL && *listen != '\0')
    self->listen_address = g_steal_pointer (&listen);
  else
    self->listen_address = g_strdup ("127.0.0.1:8000");

  if (g_variant_dict_lookup (options, "data-dir", "^ay", &self->data_dir))
    ;
  else if (data_dir != NULL && *data_dir != '\0')
    self->data_dir = g_steal_pointer (&data_dir);
  else
    self->data_dir = vigil_engine_default_data_dir ();

  if (!g_variant_dict_lookup (options, "ml-engine", "s", &self->ml_engine_url) && self->settings != NULL)
    self->ml_engine_url = g_settings_get_string (self->settings, "ml-engine-url");
}

/* The simulator talks to this very server over loopback, from a thread
 * of its own: the window's loop never waits for it. */
static void
start_demo (VigilApplication *self)
{
  VigilSimOptions options;

  vigil_sim_options_init (&options);
  options.url = vigil_server_get_url (self->server);
  options.users = DEMO_USERS;
  options.enroll_sessions = DEMO_ENROLL_SESSIONS;
  options.enroll_speed = DEMO_ENROLL_SPEED;
  options.session_events = DEMO_SESSION_EVENTS;
  options.duration_s = 0;
  options.mpin_length = self->engine_options.mpin_length;
  /* A kept data directory meets the same people again; a fresh one new. */
  options.seed = self->demo_temp_dir != NULL ? (guint32) g_random_int () : 1;
  self->demo_sim = vigil_sim_thread_start (&options);
  g_message ("Demo: %u simulated users on %s, data in %s%s", options.users, options.url, self->data_dir,
             self->demo_temp_dir != NULL ? " (removed on exit)" : "");
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && g_file_enumerator_iterate (children, &info, NULL, NULL, NULL) && info != NULL)
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else if (!g_file_delete (child, NULL, &error))
        {
          g_warning ("Cannot remove %s: %s", g_file_peek_path (child), error->message);
          g_clear_error (&error);
        }
    }
  if (!g_file_delete (file, NULL, &error))
    g_warning ("Cannot remove %s: %s", g_file_peek_path (file), error->message);
}

/* The demo's own data directory goes once the engine has let go of it. */
static void
remove_demo_data (VigilApplication *self)
{
  g_autoptr(GFile) dir = NULL;

  if (self->demo_temp_dir == NULL)
    return;
  dir = g_file_new_for_path (self->demo_temp_dir);
  remove_tree (dir);
  g_clear_pointer (&self->demo_temp_dir, g_free);
}

/* Preferences change the address while running: move the server, and go
 * back to the old address when the new one cannot be used. */
static void
on_listen_address_changed (GSettings        *settings,
                           const char       *key,
                           VigilApplication *self)
{
  g_autofree char *address = g_settings_get_string (settings, "listen-address");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) back_error = NULL;

  if (self->server == NULL || address[0] == '\0' || g_strcmp0 (address, self->listen_address) == 0)
    return;

  if (!vigil_server_listen (self->server, address, &error))
    {
      g_warning ("%s; staying on %s", error->message, self->listen_address);
      if (!vigil_server_listen (self->server, self->listen_address, &back_error))
        g_warning ("%s", back_error->message);
      return;
    }
  g_free (self->listen_address);
  self->listen_address = g_steal_pointer (&address);
}

/* Preferences change the remote ML engine while running; a URL that is
 * refused leaves the one in use. */
static void
on_ml_engine_url_changed (GSettings        *settings,
                          const char       *key,
                          VigilApplication *self)
{
  g_autofree char *url = g_settings_get_string (settings, "ml-engine-url");
  g_autoptr(GError) error = NULL;

  if (self->engine == NULL || g_strcmp0 (url, self->ml_engine_url ? self->ml_engine_url : "") == 0)
    return;
  if (!vigil_remote_analyzer_apply (self->engine, url, &error))
    {
      g_warning ("%s; the remote ML engine in use stays", error->message);
      return;
    }
  g_free (self->ml_engine_url);
  self->ml_engine_url = g_steal_pointer (&url);
}

static gboolean
start_service (VigilApplication  *self,
               GError           **error)
{
  g_autoptr(VigilRemoteAnalyzer) analyzer = NULL;

  /* Refused before the data directory is touched. */
  if (self->ml_engine_url != NULL && *self->ml_engine_url != '\0' &&
      (analyzer = vigil_remote_analyzer_new (self->ml_engine_url, error)) == NULL)
    return FALSE;

  self->engine = vigil_engine_new_with_options (self->data_dir, &self->engine_options, error);
  if (self->engine == NULL)
    return FALSE;
  if (analyzer != NULL)
    vigil_engine_set_remote_analyzer (self->engine, VIGIL_ANALYZER (analyzer));

  self->server = vigil_server_new (self->engine);
  if (self->settings != NULL)
    {
      /* Applied at once, also when changed while running. */
      g_settings_bind (self->settings, "stream-policy", self->server, "stream-policy", G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "websocket-compression", self->server, "websocket-compression",
                       G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "event-flow-map", self->server, "event-flow-map-path",
                       G_SETTINGS_BIND_GET);
      g_signal_connect_object (self->settings, "changed::listen-address",
                               G_CALLBACK (on_listen_address_changed), self, 0);
      g_signal_connect_object (self->settings, "changed::ml-engine-url",
                               G_CALLBACK (on_ml_engine_url_changed), self, 0);
      vigil_engine_settings_bind (self->engine, self->settings);
    }
  if (!vigil_server_listen (self->server, self->listen_address, error))
    return FALSE;
  if (self->demo)
    start_demo (self);
  return TRUE;
}

/* Stop accepting first, then let the engine commit what it accepted. */
static gboolean
on_demo_grace_over (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The simulator's sockets close as it stops; the server must see them
 * go while it still runs, not after (a bounded wait, at exit only). */
static void
stop_demo (VigilApplication *self)
{
  gboolean over = FALSE;

  if (self->demo_sim == NULL)
    return;
  g_clear_pointer (&self->demo_sim, vigil_sim_thread_stop);
  g_timeout_add (500, on_demo_grace_over, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

static void
stop_service (VigilApplication *self)
{
  stop_demo (self);
  if (self->server != NULL)
    vigil_server_stop (self->server);
  if (self->engine != NULL)
    vigil_engine_shutdown (self->engine);
  g_clear_object (&self->server);
  g_clear_object (&self->engine);
  remove_demo_data (self);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  VigilApplication *self = user_data;

  g_message ("Shutting down");
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_CONTINUE;
}

static void
watch_quit_signals (VigilApplication *self)
{
  self->sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, self);
  self->sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, self);
}

static gboolean
on_headless_quit_signal (gpointer user_data)
{
  g_message ("Shutting down");
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
run_headless (VigilApplication *self)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  guint sigint_id, sigterm_id;

  if (!start_service (self, &error))
    {
      g_printerr ("vigil: %s\n", error->message);
      stop_service (self);
      return 1;
    }

  sigint_id = g_unix_signal_add (SIGINT, on_headless_quit_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_headless_quit_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  stop_service (self);

  /* Deliver what the shutdown itself queued (closed connections, the last
   * write acknowledgements) before the process exits. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return 0;
}

/* A demo starts from nothing unless told where its data is, and serves
 * on a free port unless told one, so it never meets a real instance. */
static gboolean
prepare_demo (VigilApplication  *self,
              GVariantDict      *options,
              GError           **error)
{
  if (!g_variant_dict_contains (options, "data-dir"))
    {
      self->demo_temp_dir = g_dir_make_tmp ("vigil-demo-XXXXXX", error);
      if (self->demo_temp_dir == NULL)
        return FALSE;
      g_free (self->data_dir);
      self->data_dir = g_strdup (self->demo_temp_dir);
      /* A throwaway signing key stays in the throwaway directory, not in
       * the user's keyring. */
      self->engine_options.secrets = VIGIL_SECRETS_FILE_ONLY;
    }
  if (!g_variant_dict_contains (options, "listen"))
    {
      g_free (self->listen_address);
      self->listen_address = g_strdup ("127.0.0.1:0");
    }
  return TRUE;
}

static int
vigil_application_handle_local_options (GApplication *application,
                                        GVariantDict *options)
{
  VigilApplication *self = VIGIL_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("vigil %s\n", PACKAGE_VERSION);
      return 0;
    }

  self->settings = load_settings ();
  resolve_configuration (self, options);
  if ((self->demo = g_variant_dict_contains (options, "demo")) && !prepare_demo (self, options, &error))
    {
      g_printerr ("vigil: %s\n", error->message);
      return 1;
    }

  if (g_variant_dict_contains (options, "create-admin"))
    {
      g_autofree char *email = NULL;

      g_variant_dict_lookup (options, "create-admin", "s", &email);
      return vigil_create_admin_run (self->data_dir, &self->engine_options, email);
    }

  if (g_variant_dict_contains (options, "headless"))
    return run_headless (self);

  if (!gtk_init_check ())
    {
      g_printerr ("vigil: %s\n",
                  _("No display available; run “vigil --headless” to serve without a window"));
      return 1;
    }

  if (!g_application_register (application, NULL, &error))
    {
      g_printerr ("vigil: %s\n", error->message);
      return 1;
    }

  /* A console is already open: it gets the activation and shows itself. */
  if (g_application_get_is_remote (application))
    return -1;

  if (!start_service (self, &error))
    {
      g_printerr ("vigil: %s\n", error->message);
      stop_service (self);
      return 1;
    }

  return -1;
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  if (VIGIL_IS_WINDOW (window))
    vigil_window_show_about (VIGIL_WINDOW (window));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { .name = "about", .activate = about_action },
  { .name = "quit", .activate = quit_action },
};

static void
vigil_application_startup (GApplication *application)
{
  VigilApplication *self = VIGIL_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (vigil_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);

  watch_quit_signals (self);
}

static void
vigil_application_activate (GApplication *application)
{
  VigilApplication *self = VIGIL_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (vigil_window_new (GTK_APPLICATION (self), self->engine));

  gtk_window_present (window);
}

static void
vigil_application_shutdown (GApplication *application)
{
  VigilApplication *self = VIGIL_APPLICATION (application);

  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  stop_service (self);

  G_APPLICATION_CLASS (vigil_application_parent_class)->shutdown (application);
}

static void
vigil_application_dispose (GObject *object)
{
  VigilApplication *self = VIGIL_APPLICATION (object);

  stop_service (self);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (vigil_application_parent_class)->dispose (object);
}

static void
vigil_application_finalize (GObject *object)
{
  VigilApplication *self = VIGIL_APPLICATION (object);

  g_clear_pointer (&self->listen_address, g_free);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->ml_engine_url, g_free);

  G_OBJECT_CLASS (vigil_application_parent_class)->finalize (object);
}

static void
vigil_application_class_init (VigilApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = vigil_application_dispose;
  object_class->finalize = vigil_application_finalize;

  app_class->handle_local_options = vigil_application_handle_local_options;
  app_class->startup = vigil_application_startup;
  app_class->activate = vigil_application_activate;
  app_class->shutdown = vigil_application_shutdown;
}

static void
vigil_application_init (VigilApplication *self)
{
  vigil_engine_options_init (&self->engine_options);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Behavioral-authentication security console and server."));
}

VigilApplication *
vigil_application_new (void)
{
  return g_object_new (VIGIL_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", VIGIL_RESOURCE_PATH,
                       NULL);
}
