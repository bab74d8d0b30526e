/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The token-signing key of a data directory: kept in the Secret Service
 * when one answers, else in DATA_DIR/secret.key. Keyring calls are bounded
 * in time, because a locked keyring or a stuck service must not stall
 * start-up; every way they fail leads to the file. */
#define G_LOG_DOMAIN "vigil-secrets"

#include "config.h"

#include "vigil-secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <libsecret/secret.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil-error.h"
#include "vigil-jwt.h"

#define KEY_FILE_NAME "secret.key"
#define KEY_CONTENT_TYPE "application/octet-stream"
#define KEYRING_TIMEOUT_MS 5000
/* Cancelling should end a call at once; this bounds the wait if some
 * step (such as spawning a bus) does not look at the cancellable. */
#define KEYRING_GRACE_MS 1000

static const SecretSchema signing_key_schema = {
  "io.vigil.Console.SigningKey",
  SECRET_SCHEMA_NONE,
  {
    { "data-dir", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static void
key_free (gpointer data)
{
  sodium_memzero (data, VIGIL_JWT_KEY_BYTES);
  g_free (data);
}

/* The returned bytes wipe themselves when the last reference goes. */
static GBytes *
key_bytes_new (const guint8 *key)
{
  guint8 *copy = g_memdup2 (key, VIGIL_JWT_KEY_BYTES);

  return g_bytes_new_with_free_func (copy, VIGIL_JWT_KEY_BYTES, key_free, copy);
}

/* Keyring */

typedef struct
{
  GMainContext *context;
  GCancellable *cancellable;
  GSource      *timeout;
  GSource      *grace;
  gboolean      given_up;
} Keyring;

/* One libsecret call. Reference-counted because a call we stop waiting
 * for may still complete later. */
typedef struct
{
  gboolean     done;
  gboolean     found;
  gboolean     stored;
  SecretValue *value;
  GError      *error;
} KeyringCall;

static void
keyring_call_clear (gpointer data)
{
  KeyringCall *call = data;

  g_clear_pointer (&call->value, secret_value_unref);
  g_clear_error (&call->error);
}

static void
keyring_call_unref (KeyringCall *call)
{
  g_atomic_rc_box_release_full (call, keyring_call_clear);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KeyringCall, keyring_call_unref)

static gboolean
on_keyring_grace_over (gpointer user_data)
{
  Keyring *keyring = user_data;

  keyring->given_up = TRUE;
  g_clear_pointer (&keyring->grace, g_source_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
on_keyring_timeout (gpointer user_data)
{
  Keyring *keyring = user_data;

  g_debug ("The Secret Service did not answer within %d ms", KEYRING_TIMEOUT_MS);
  g_cancellable_cancel (keyring->cancellable);

  keyring->grace = g_timeout_source_new (KEYRING_GRACE_MS);
  g_source_set_callback (keyring->grace, on_keyring_grace_over, keyring, NULL);
  g_source_attach (keyring->grace, keyring->context);

  g_clear_pointer (&keyring->timeout, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Iterates the private context until @call completes or we give up. */
static gboolean
keyring_wait (Keyring      *keyring,
              KeyringCall  *call,
              GError      **error)
{
  while (!call->done && !keyring->given_up)
    g_main_context_iteration (keyring->context, TRUE);

  if (!call->done)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "The Secret Service did not answer in time");
      return FALSE;
    }
  if (call->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&call->error));
      return FALSE;
    }
  return TRUE;
}

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  KeyringCall *call = user_data;
  GList *items = secret_service_search_finish (NULL, result, &call->error);

  if (items != NULL)
    {
      call->found = TRUE;
      /* NULL when the item stayed locked. */
      call->value = secret_item_get_secret (items->data);
    }
  g_list_free_full (items, g_object_unref);
  call->done = TRUE;
  keyring_call_unref (call);
}

/* TRUE with *out_value NULL when the keyring answers but holds no key.
 *
 * A search that loads the secret rather than secret_password_lookup():
 * in libsecret 0.20 the latter leaks every GetSecrets reply, which the
 * leak checker rightly reports. */
static gboolean
keyring_lookup (Keyring      *keyring,
                const char   *data_dir,
                SecretValue **out_value,
                GError      **error)
{
  g_autoptr(KeyringCall) call = g_atomic_rc_box_new0 (KeyringCall);
  g_autoptr(GHashTable) attributes = NULL;

  attributes = secret_attributes_build (&signing_key_schema, "data-dir", data_dir, NULL);
  secret_service_search (NULL, &signing_key_schema, attributes,
                         SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                         keyring->cancellable,
                         on_search_done, g_atomic_rc_box_acquire (call));
  if (!keyring_wait (keyring, call, error))
    return FALSE;

  if (call->found && call->value == NULL)
    {
      /* Never take a locked key for a missing one: storing a new key
       * would replace it. */
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "The keyring holding the signing key is locked");
      return FALSE;
    }

  *out_value = g_steal_pointer (&call->value);
  return TRUE;
}

static void
on_store_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  KeyringCall *call = user_data;

  call->stored = secret_password_store_finish (result, &call->error);
  call->done = TRUE;
  keyring_call_unref (call);
}

static gboolean
keyring_store (Keyring       *keyring,
               const char    *data_dir,
               const guint8  *key,
               GError       **error)
{
  g_autoptr(KeyringCall) call = g_atomic_rc_box_new0 (KeyringCall);
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = g_strdup_printf ("Vigil token signing key (%s)", data_dir);

  /* libsecret copies the key into its own non-pageable memory. */
  value = secret_value_new ((const char *) key, VIGIL_JWT_KEY_BYTES, KEY_CONTENT_TYPE);
  secret_password_store_binary (&signing_key_schema, SECRET_COLLECTION_DEFAULT, label, value,
                                keyring->cancellable,
                                on_store_done, g_atomic_rc_box_acquire (call),
                                "data-dir", data_dir,
                                NULL);
  if (!keyring_wait (keyring, call, error))
    return FALSE;

  if (!call->stored)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "The Secret Service did not store the key");
      return FALSE;
    }
  return TRUE;
}

static gboolean
value_holds_key (SecretValue  *value,
                 const guint8 *key)
{
  gsize length = 0;
  const char *data = secret_value_get (value, &length);

  return length == VIGIL_JWT_KEY_BYTES && sodium_memcmp (data, key, VIGIL_JWT_KEY_BYTES) == 0;
}

static GBytes *
keyring_lookup_or_create (Keyring     *keyring,
                          const char  *data_dir,
                          GError     **error)
{
  g_autoptr(SecretValue) value = NULL;
  guint8 key[VIGIL_JWT_KEY_BYTES];
  GBytes *bytes = NULL;

  if (!keyring_lookup (keyring, data_dir, &value, error))
    return NULL;

  if (value != NULL)
    {
      gsize length = 0;
      const char *data = secret_value_get (value, &length);

      if (length != VIGIL_JWT_KEY_BYTES)
        {
          /* Never use, nor overwrite, a key someone else has changed. */
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The keyring's signing key has %" G_GSIZE_FORMAT " bytes; expected %d",
                       length, VIGIL_JWT_KEY_BYTES);
          return NULL;
        }
      return key_bytes_new ((const guint8 *) data);
    }

  randombytes_buf (key, sizeof key);
  g_clear_pointer (&value, secret_value_unref);

  /* Reading the key back proves that a later start will find it. */
  if (keyring_store (keyring, data_dir, key, error) &&
      keyring_lookup (keyring, data_dir, &value, error))
    {
      if (value != NULL && value_holds_key (value, key))
        bytes = key_bytes_new (key);
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                             "The Secret Service did not keep the key");
    }

  sodium_memzero (key, sizeof key);
  return bytes;
}

static GBytes *
keyring_load (const char  *data_dir,
              GError     **error)
{
  Keyring keyring = { 0 };
  GBytes *key;

  /* A private context: libsecret's callbacks and D-Bus signals land here
   * and nowhere else, and nothing of the caller's runs meanwhile. */
  keyring.context = g_main_context_new ();
  keyring.cancellable = g_cancellable_new ();
  g_main_context_push_thread_default (keyring.context);

  keyring.timeout = g_timeout_source_new (KEYRING_TIMEOUT_MS);
  g_source_set_callback (keyring.timeout, on_keyring_timeout, &keyring, NULL);
  g_source_attach (keyring.timeout, keyring.context);

  key = keyring_lookup_or_create (&keyring, data_dir, error);

  if (keyring.timeout != NULL)
    g_source_destroy (keyring.timeout);
  g_clear_pointer (&keyring.timeout, g_source_unref);
  if (keyring.grace != NULL)
    g_source_destroy (keyring.grace);
  g_clear_pointer (&keyring.grace, g_source_unref);

  /* The cached service's D-Bus proxies belong to this context; drop them
   * and run the clean-ups they leave behind before the context goes. */
  secret_service_disconnect ();
  for (guint i = 0; i < 100 && g_main_context_iteration (keyring.context, FALSE); i++)
    ;

  g_main_context_pop_thread_default (keyring.context);
  g_clear_pointer (&keyring.context, g_main_context_unref);
  g_clear_object (&keyring.cancellable);
  return key;
}

/* Key file */

static void
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "Cannot %s %s: %s", what, path, g_strerror (saved_errno));
}

static gboolean
read_all (int     fd,
          guint8 *buffer,
          gsize   length)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = read (fd, buffer + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

static gboolean
write_all (int           fd,
           const guint8 *buffer,
           gsize         length)
{
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = write (fd, buffer + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

/* Reads an existing key file, refusing anything another user could have
 * read or written. Returns NULL without an error when there is no file. */
static GBytes *
read_key_file (int          dir_fd,
               const char  *path,
               GError     **error)
{
  guint8 key[VIGIL_JWT_KEY_BYTES];
  guint8 extra;
  struct stat st;
  GBytes *bytes = NULL;
  int fd;

  /* O_NOFOLLOW: a symbolic link is refused, not followed. O_NONBLOCK: a
   * FIFO planted here must not block the open. */
  fd = openat (dir_fd, KEY_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        return NULL;
      if (saved_errno == ELOOP)
        g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                     "%s is a symbolic link; expected a regular file", path);
      else
        set_errno_error (error, saved_errno, "open", path);
      return NULL;
    }

  if (fstat (fd, &st) != 0)
    set_errno_error (error, errno, "inspect", path);
  else if (!S_ISREG (st.st_mode))
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                 "%s is not a regular file", path);
  else if (st.st_uid != geteuid ())
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                 "%s is owned by uid %u; expected %u",
                 path, (guint) st.st_uid, (guint) geteuid ());
  else if ((st.st_mode & 07777) != 0600)
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                 "%s has permissions %04o; expected 0600",
                 path, (guint) (st.st_mode & 07777));
  else if (st.st_size != VIGIL_JWT_KEY_BYTES)
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                 "%s has %" G_GINT64_FORMAT " bytes; expected %d",
                 path, (gint64) st.st_size, VIGIL_JWT_KEY_BYTES);
  else if (!read_all (fd, key, sizeof key) || read (fd, &extra, 1) != 0)
    /* The size checked above changed under us. */
    g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                 "%s changed while it was read", path);
  else
    bytes = key_bytes_new (key);

  sodium_memzero (key, sizeof key);
  sodium_memzero (&extra, sizeof extra);
  close (fd);
  return bytes;
}

/* Creates the key file with a new key, copied to @key for the caller to
 * verify (and wipe). FALSE with no error when the file appeared meanwhile. */
static gboolean
create_key_file (int          dir_fd,
                 const char  *path,
                 guint8       key[VIGIL_JWT_KEY_BYTES],
                 GError     **error)
{
  const char *failed = NULL;
  int saved_errno = 0;
  int fd;

  fd = openat (dir_fd, KEY_FILE_NAME,
               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno != EEXIST)
        set_errno_error (error, errno, "create", path);
      return FALSE;
    }

  randombytes_buf (key, VIGIL_JWT_KEY_BYTES);

  /* fchmod: the umask may have taken bits away from 0600, and reading
   * insists on exactly 0600. */
  if (fchmod (fd, 0600) != 0)
    failed = "set the permissions of";
  else if (!write_all (fd, key, VIGIL_JWT_KEY_BYTES))
    failed = "write";
  else if (fsync (fd) != 0)
    failed = "sync";
  if (failed != NULL)
    saved_errno = errno;

  if (close (fd) != 0 && failed == NULL)
    {
      failed = "close";
      saved_errno = errno;
    }

  if (failed != NULL)
    {
      /* A partial file would be refused as the wrong size on every later
       * start; without it the next start simply tries again. */
      unlinkat (dir_fd, KEY_FILE_NAME, 0);
      set_errno_error (error, saved_errno, failed, path);
      return FALSE;
    }

  /* The new name is durable only once the directory is synced too. */
  if (fsync (dir_fd) != 0)
    g_debug ("Could not sync the directory of %s: %s", path, g_strerror (errno));

  return TRUE;
}

static GBytes *
file_load (const char  *data_dir,
           GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, KEY_FILE_NAME, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) key = NULL;
  guint8 written[VIGIL_JWT_KEY_BYTES];
  gboolean created;
  int dir_fd;

  dir_fd = open (data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    {
      set_errno_error (error, errno, "open the data directory", data_dir);
      return NULL;
    }

  key = read_key_file (dir_fd, path, &local_error);
  if (key == NULL && local_error == NULL)
    {
      /* A file someone else created meanwhile is read like any other. A
       * file we created is read back through the same checks and compared,
       * which verifies the write. */
      created = create_key_file (dir_fd, path, written, &local_error);
      if (local_error == NULL)
        key = read_key_file (dir_fd, path, &local_error);
      if (key == NULL && local_error == NULL)
        g_set_error (&local_error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                     "%s vanished after it was written", path);
      if (key != NULL && created &&
          sodium_memcmp (g_bytes_get_data (key, NULL), written, VIGIL_JWT_KEY_BYTES) != 0)
        {
          g_clear_pointer (&key, g_bytes_unref);
          g_set_error (&local_error, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                       "%s changed after it was written", path);
        }
      sodium_memzero (written, sizeof written);
    }

  close (dir_fd);

  if (key == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&key);
}

GBytes *
vigil_secrets_load_signing_key (const char          *data_dir,
                                VigilSecretsPolicy   policy,
                                VigilSecretBackend  *out_backend,
                                GError             **error)
{
  g_autofree char *canonical = NULL;
  char *resolved;
  GBytes *key;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (policy == VIGIL_SECRETS_AUTO || policy == VIGIL_SECRETS_FILE_ONLY, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");

  /* The keyring entry is named by the real path, so that every spelling
   * of one directory finds the same key. */
  resolved = realpath (data_dir, NULL);
  if (resolved == NULL)
    {
      set_errno_error (error, errno, "resolve the data directory", data_dir);
      return NULL;
    }
  canonical = g_strdup (resolved);
  free (resolved);

  if (policy == VIGIL_SECRETS_AUTO)
    {
      g_autoptr(GError) keyring_error = NULL;

      key = keyring_load (canonical, &keyring_error);
      if (key != NULL)
        {
          if (out_backend != NULL)
            *out_backend = VIGIL_SECRET_BACKEND_KEYRING;
          return key;
        }
      g_debug ("No keyring for the signing key of %s (%s); using the key file",
               canonical, keyring_error->message);
    }

  key = file_load (canonical, error);
  if (key != NULL && out_backend != NULL)
    *out_backend = VIGIL_SECRET_BACKEND_FILE;
  return key;
}

const char *
vigil_secret_backend_to_string (VigilSecretBackend backend)
{
  switch (backend)
    {
    case VIGIL_SECRET_BACKEND_KEYRING:
      return "keyring";
    case VIGIL_SECRET_BACKEND_FILE:
      return "file";
    default:
      g_return_val_if_reached (NULL);
    }
}
