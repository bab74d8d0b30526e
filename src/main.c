/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The vigil executable: the console, or with --headless the server alone. */
#define G_LOG_DOMAIN "vigil"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "vigil-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(VigilApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = vigil_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
