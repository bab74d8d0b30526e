/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the benchmark tools. */
#define G_LOG_DOMAIN "vigil-bench"

#include "config.h"

#include <glib/gstdio.h>

#include "vigil-bench-util.h"

void
vigil_bench_remove_flat_directory (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      if (g_remove (file) != 0)
        g_printerr ("could not remove %s\n", file);
    }
  if (g_rmdir (path) != 0)
    g_printerr ("could not remove %s\n", path);
}
