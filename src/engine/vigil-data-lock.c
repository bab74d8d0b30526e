/* SPDX-License-Identifier: GPL-3.0-or-later */
/* flock() on DATA_DIR/vigil.lock. The kernel drops the lock when the
 * process dies, so a crash never leaves the directory locked; the file
 * records the holder's pid only to make the refusal message useful. */
#define G_LOG_DOMAIN "vigil-data-lock"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "vigil-data-lock.h"
#include "vigil-error.h"

struct _VigilDataLock
{
  char *path;
  int   fd;
};

static char *
read_holder_pid (int fd)
{
  char buffer[32];
  ssize_t n = pread (fd, buffer, sizeof buffer - 1, 0);

  if (n <= 0)
    return NULL;
  buffer[n] = '\0';
  return g_strstrip (g_strdup (buffer));
}

VigilDataLock *
vigil_data_lock_acquire (const char  *data_dir,
                         GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "vigil.lock", NULL);
  g_autofree char *pid = NULL;
  VigilDataLock *lock;
  int fd;

  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot open the lock file %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }

  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;
      g_autofree char *holder = read_holder_pid (fd);

      close (fd);
      if (saved_errno == EWOULDBLOCK)
        g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_BUSY,
                     "The data directory %s is in use by another Vigil process%s%s%s",
                     data_dir,
                     holder && *holder ? " (pid " : "",
                     holder && *holder ? holder : "",
                     holder && *holder ? ")" : "");
      else
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                     "Cannot lock %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }

  pid = g_strdup_printf ("%ld\n", (long) getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, strlen (pid), 0) != (ssize_t) strlen (pid))
    g_debug ("Could not record the pid in %s: %s", path, g_strerror (errno));

  lock = g_new0 (VigilDataLock, 1);
  lock->path = g_steal_pointer (&path);
  lock->fd = fd;
  return lock;
}

void
vigil_data_lock_release (VigilDataLock *lock)
{
  if (lock == NULL)
    return;

  /* Truncate rather than unlink: unlinking would let a third process lock a
   * fresh inode while a second still waits on the old one. */
  if (ftruncate (lock->fd, 0) != 0)
    g_debug ("Could not clear %s: %s", lock->path, g_strerror (errno));
  close (lock->fd);
  g_free (lock->path);
  g_free (lock);
}
