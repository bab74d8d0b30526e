/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vigil executable as users run it: a subprocess, real signals, real
 * HTTP on a free port. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>

#include "vigil-engine.h"
#include "vigil-test-util.h"

typedef struct
{
  gboolean  done;
  GError   *error;
  char     *stdout_text;
  char     *stderr_text;
} Exit;

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Reply;

static const char *
vigil_binary (void)
{
  const char *binary = g_getenv ("VIGIL_BINARY");

  g_assert_nonnull (binary);
  return binary;
}

static GSubprocess *
spawn_vigil (GSubprocessFlags   flags,
             gboolean           without_display,
             GError           **error,
             const char        *first_arg,
             ...) G_GNUC_NULL_TERMINATED;

static GSubprocess *
spawn_vigil (GSubprocessFlags   flags,
             gboolean           without_display,
             GError           **error,
             const char        *first_arg,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (argv, (gpointer) vigil_binary ());
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  if (without_display)
    {
      g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
      g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
    }

  return g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
}

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Exit *exit_info = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result,
                                        &exit_info->stdout_text, &exit_info->stderr_text,
                                        &exit_info->error);
  exit_info->done = TRUE;
}

static void
wait_exit (GSubprocess *process,
           Exit        *exit_info)
{
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, exit_info);
  g_assert_true (vigil_test_wait_for (&exit_info->done, 30000));
  g_assert_no_error (exit_info->error);
}

static void
exit_clear (Exit *exit_info)
{
  g_clear_pointer (&exit_info->stdout_text, g_free);
  g_clear_pointer (&exit_info->stderr_text, g_free);
  g_clear_error (&exit_info->error);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &reply->error);
  reply->done = TRUE;
}

/* GETs /health until it answers; the server needs a moment to start. */
static JsonNode *
wait_healthy (SoupSession *session,
              guint16      port)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/health", port);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      Reply reply = { 0 };
      gboolean pause = FALSE;

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reply);
      g_assert_true (vigil_test_wait_for (&reply.done, 10000));

      if (reply.error == NULL && soup_message_get_status (msg) == 200)
        {
          g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (reply.body, NULL),
                                                     g_bytes_get_size (reply.body), &error));
          g_assert_no_error (error);
          g_bytes_unref (reply.body);
          return json_node_copy (json_parser_get_root (parser));
        }

      g_clear_pointer (&reply.body, g_bytes_unref);
      g_clear_error (&reply.error);
      vigil_test_wait_for (&pause, 50);
    }

  g_assert_not_reached ();
}

static void
test_version (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *expected = g_strdup_printf ("vigil %s\n", PACKAGE_VERSION);
  Exit exit_info = { 0 };

  process = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, FALSE, &error,
                         "--version", NULL);
  g_assert_no_error (error);
  wait_exit (process, &exit_info);
  g_assert_true (g_subprocess_get_successful (process));
  g_assert_cmpstr (exit_info.stdout_text, ==, expected);
  exit_clear (&exit_info);
}

static void
test_no_display_says_so (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "vigil.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  Exit exit_info = { 0 };

  process = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, TRUE, &error,
                         "--data-dir", dir, NULL);
  g_assert_no_error (error);
  wait_exit (process, &exit_info);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), !=, 0);
  /* One clear line that names the way out. */
  g_assert_true (g_str_has_prefix (exit_info.stderr_text, "vigil: "));
  g_assert_nonnull (strstr (exit_info.stderr_text, "--headless"));
  g_assert_cmpint (strchr (exit_info.stderr_text, '\n') - exit_info.stderr_text, ==,
                   strlen (exit_info.stderr_text) - 1);
  /* Nothing was opened: the data directory stays empty. */
  g_assert_false (g_file_test (db_path, G_FILE_TEST_EXISTS));
  exit_clear (&exit_info);
  vigil_test_rm_rf (dir);
}

static void
test_headless_serves_and_stops_on_sigterm (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autofree char *listen = NULL;
  g_autofree char *db_path = g_build_filename (dir, "vigil.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(JsonNode) health = NULL;
  g_autoptr(VigilEngine) engine = NULL;
  guint16 port = vigil_test_free_port ();
  Exit exit_info = { 0 };
  JsonObject *object;

  listen = g_strdup_printf ("127.0.0.1:%u", port);
  process = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, TRUE, &error,
                         "--headless", "--listen", listen, "--data-dir", dir, NULL);
  g_assert_no_error (error);

  health = wait_healthy (session, port);
  object = json_node_get_object (health);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "healthy");
  g_assert_cmpstr (json_object_get_string_member (object, "service"), ==, "Vigil");
  g_assert_cmpstr (json_object_get_string_member (object, "version"), ==, PACKAGE_VERSION);
  g_assert_true (json_object_has_member (object, "uptime_s"));
  g_assert_true (json_object_has_member (object, "active_connections"));
  g_assert_true (json_object_has_member (object, "monitor_connections"));
  g_assert_true (json_object_has_member (object, "active_sessions"));
  g_assert_true (json_object_has_member (object, "database"));
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));

  g_subprocess_send_signal (process, SIGTERM);
  wait_exit (process, &exit_info);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (exit_info.stderr_text, "Shutting down"));

  /* A clean exit releases the directory and leaves a consistent database. */
  engine = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_true (vigil_store_ping (vigil_engine_get_store (engine), &error));
  vigil_engine_shutdown (engine);

  exit_clear (&exit_info);
  vigil_test_rm_rf (dir);
}

static void
test_second_instance_is_refused (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autofree char *listen = NULL;
  g_autofree char *other_listen = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) first = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(JsonNode) before = NULL;
  g_autoptr(JsonNode) after = NULL;
  guint16 port = vigil_test_free_port ();
  Exit first_exit = { 0 };
  Exit second_exit = { 0 };

  listen = g_strdup_printf ("127.0.0.1:%u", port);
  first = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, TRUE, &error,
                       "--headless", "--listen", listen, "--data-dir", dir, NULL);
  g_assert_no_error (error);
  before = wait_healthy (session, port);

  other_listen = g_strdup_printf ("127.0.0.1:%u", vigil_test_free_port ());
  second = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, TRUE, &error,
                        "--headless", "--listen", other_listen, "--data-dir", dir, NULL);
  g_assert_no_error (error);
  wait_exit (second, &second_exit);
  g_assert_true (g_subprocess_get_if_exited (second));
  g_assert_cmpint (g_subprocess_get_exit_status (second), !=, 0);
  g_assert_nonnull (strstr (second_exit.stderr_text, "in use by another Vigil process"));

  /* The first keeps serving. */
  after = wait_healthy (session, port);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (after), "status"), ==, "healthy");

  g_subprocess_send_signal (first, SIGTERM);
  wait_exit (first, &first_exit);
  g_assert_cmpint (g_subprocess_get_exit_status (first), ==, 0);

  exit_clear (&first_exit);
  exit_clear (&second_exit);
  vigil_test_rm_rf (dir);
}

static void
test_bad_listen_address_fails (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  Exit exit_info = { 0 };

  process = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, TRUE, &error,
                         "--headless", "--listen", "not an address", "--data-dir", dir, NULL);
  g_assert_no_error (error);
  wait_exit (process, &exit_info);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_nonnull (strstr (exit_info.stderr_text, "not an address"));
  exit_clear (&exit_info);
  vigil_test_rm_rf (dir);
}

/* A remote ML engine URL with bad syntax is refused at start-up, in one
 * line, before the data directory is touched. */
static void
test_bad_ml_engine_url_fails (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "vigil.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  Exit exit_info = { 0 };

  process = spawn_vigil (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, TRUE, &error,
                         "--headless", "--listen", "127.0.0.1:0", "--data-dir", dir,
                         "--ml-engine", "ftp://127.0.0.1:8001", NULL);
  g_assert_no_error (error);
  wait_exit (process, &exit_info);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_true (g_str_has_prefix (exit_info.stderr_text, "vigil: The ML engine URL must start with http://"));
  g_assert_false (g_file_test (db_path, G_FILE_TEST_EXISTS));
  exit_clear (&exit_info);
  vigil_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/version", test_version);
  g_test_add_func ("/app/no-display", test_no_display_says_so);
  g_test_add_func ("/app/headless/health-and-sigterm", test_headless_serves_and_stops_on_sigterm);
  g_test_add_func ("/app/headless/second-instance", test_second_instance_is_refused);
  g_test_add_func ("/app/headless/bad-listen", test_bad_listen_address_fails);
  g_test_add_func ("/app/headless/bad-ml-engine-url", test_bad_ml_engine_url_fails);

  return g_test_run ();
}
