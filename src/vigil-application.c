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
#include "vigil-engine-settings.h"
#include "vigil-server.h"
#include "vigil-window.h"

struct _VigilApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;    /* NULL when the schema is not installed */
  char           *listen_address;
  char           *data_dir;
  VigilEngineOptions engine_options;

  VigilEngine    *engine;
  VigilServer    *server;
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

static gboolean
start_service (VigilApplication  *self,
               GError           **error)
{
  self->engine = vigil_engine_new_with_options (self->data_dir, &self->engine_options, error);
  if (self->engine == NULL)
    return FALSE;

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
      vigil_engine_settings_bind (self->engine, self->settings);
    }
  return vigil_server_listen (self->server, self->listen_address, error);
}

/* Stop accepting first, then let the engine commit what it accepted. */
static void
stop_service (VigilApplication *self)
{
  if (self->server != NULL)
    vigil_server_stop (self->server);
  if (self->engine != NULL)
    vigil_engine_shutdown (self->engine);
  g_clear_object (&self->server);
  g_clear_object (&self->engine);
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
