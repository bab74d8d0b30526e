/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admin bootstrap command. There is no default admin and no default
 * password anywhere: the first admin is made here, by whoever can run
 * Vigil on the machine. */
#define G_LOG_DOMAIN "vigil-create-admin"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "vigil-create-admin.h"

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  memset (secret, 0, strlen (secret));
  free (secret);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (char, wipe_free)

/* One line from stdin without its newline; NULL at end of input. */
static char *
read_line (void)
{
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length = getline (&line, &capacity, stdin);

  if (length < 0)
    {
      free (line);
      return NULL;
    }
  while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
    line[--length] = '\0';
  return line;
}

static char *
prompt_hidden (const char *prompt)
{
  struct termios saved, quiet;
  gboolean restore;
  char *line;

  g_printerr ("%s", prompt);
  restore = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      restore = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }

  line = read_line ();

  if (restore && tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved) != 0)
    g_printerr ("\n%s\n", _("Could not restore the terminal’s echo"));
  g_printerr ("\n");
  return line;
}

static char *
read_password (void)
{
  g_autoptr(char) first = NULL;
  g_autoptr(char) second = NULL;

  if (!isatty (STDIN_FILENO))
    return read_line ();

  first = prompt_hidden (_("New admin password: "));
  if (first == NULL)
    return NULL;
  second = prompt_hidden (_("Repeat the password: "));
  if (second == NULL || strcmp (first, second) != 0)
    {
      g_printerr ("vigil: %s\n", _("The passwords do not match"));
      return NULL;
    }
  return g_steal_pointer (&first);
}

typedef struct
{
  GMainLoop *loop;
  VigilUser *user;
  GError    *error;
} Outcome;

static void
on_admin_created (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Outcome *outcome = user_data;

  outcome->user = vigil_auth_create_admin_finish (VIGIL_AUTH (source), result, &outcome->error);
  g_main_loop_quit (outcome->loop);
}

int
vigil_create_admin_run (const char                *data_dir,
                        const VigilEngineOptions  *options,
                        const char                *email)
{
  g_autoptr(char) password = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  Outcome outcome = { 0 };
  int status;

  password = read_password ();
  if (password == NULL || *password == '\0')
    {
      g_printerr ("vigil: %s\n", _("No password given on standard input"));
      return 1;
    }

  engine = vigil_engine_new_with_options (data_dir, options, &error);
  if (engine == NULL)
    {
      g_printerr ("vigil: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  outcome.loop = loop;
  vigil_auth_create_admin_async (vigil_engine_get_auth (engine), email, password, NULL,
                                 on_admin_created, &outcome);
  g_main_loop_run (loop);

  if (outcome.user != NULL)
    {
      g_print (_("Admin account %s (%s) is ready\n"), outcome.user->email, outcome.user->id);
      vigil_user_free (outcome.user);
      status = 0;
    }
  else
    {
      g_printerr ("vigil: %s\n", outcome.error->message);
      g_clear_error (&outcome.error);
      status = 1;
    }

  vigil_engine_shutdown (engine);
  return status;
}
