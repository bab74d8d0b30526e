/* SPDX-License-Identifier: GPL-3.0-or-later */
/* File-descriptor limits and a server's memory, for the load tools. */
#define G_LOG_DOMAIN "vigil-load"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "vigil-load-proc.h"

guint64
vigil_load_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;
  if (limit.rlim_cur < limit.rlim_max)
    {
      rlim_t previous = limit.rlim_cur;

      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        {
          g_printerr ("Cannot raise the open-file limit from %llu to %llu: %s\n",
                      (unsigned long long) previous, (unsigned long long) limit.rlim_max, g_strerror (errno));
          return previous;
        }
    }
  return limit.rlim_cur == RLIM_INFINITY ? G_MAXUINT64 : (guint64) limit.rlim_cur;
}

gboolean
vigil_load_read_memory (GPid              pid,
                        VigilLoadMemory  *out_memory,
                        GError          **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean have_rss = FALSE;
  gboolean have_hwm = FALSE;

  g_return_val_if_fail (out_memory != NULL, FALSE);

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;

  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "VmRSS:"))
        {
          out_memory->rss_kib = g_ascii_strtoull (lines[i] + strlen ("VmRSS:"), NULL, 10);
          have_rss = TRUE;
        }
      else if (g_str_has_prefix (lines[i], "VmHWM:"))
        {
          out_memory->hwm_kib = g_ascii_strtoull (lines[i] + strlen ("VmHWM:"), NULL, 10);
          have_hwm = TRUE;
        }
    }

  if (!have_rss || !have_hwm)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s has no VmRSS or VmHWM (a zombie?)", path);
      return FALSE;
    }
  return TRUE;
}

char *
vigil_load_format_kib (guint64 kib)
{
  return g_strdup_printf ("%.1f MiB", kib / 1024.0);
}
