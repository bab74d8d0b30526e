/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vigil executable: the console, or with --headless the server alone. */
#define G_LOG_DOMAIN "vigil"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <sys/resource.h>

#include "vigil-application.h"

/* Every streaming client holds a socket: the common soft limit of 1024
 * descriptors would refuse the thousandth. Take what the hard limit allows. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_debug ("Could not raise the descriptor limit");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VigilApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  raise_descriptor_limit ();

  app = vigil_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
