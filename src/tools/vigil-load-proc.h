/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Process-level helpers of the load tools: file-descriptor limits, a
 * server's memory, and the servers the benchmark starts. */

typedef struct
{
  guint64 rss_kib;   /* VmRSS */
  guint64 hwm_kib;   /* VmHWM: the peak RSS */
} VigilLoadMemory;

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
 * in force afterwards. Children started afterwards inherit it. */
guint64   vigil_load_raise_fd_limit  (void);

/* VmRSS and VmHWM of @pid from /proc/PID/status. */
gboolean  vigil_load_read_memory     (GPid              pid,
                                      VigilLoadMemory  *out_memory,
                                      GError          **error);

/* "41.3 MiB" */
char     *vigil_load_format_kib      (guint64           kib);

G_END_DECLS
