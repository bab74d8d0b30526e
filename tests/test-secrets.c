/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The signing key's two homes. The key file tests run anywhere; the
 * keyring tests need a Secret Service of their own and run only under
 * tests/run-keyring-test.sh, which provides one. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil-error.h"
#include "vigil-jwt.h"
#include "vigil-secrets.h"
#include "vigil-test-util.h"

typedef struct
{
  char *dir;
  char *key_path;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->dir = vigil_test_make_tmp_dir ();
  fixture->key_path = g_build_filename (fixture->dir, "secret.key", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  vigil_test_rm_rf (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->key_path, g_free);
}

static GBytes *
load_key (const char         *dir,
          VigilSecretsPolicy  policy,
          VigilSecretBackend  expected_backend)
{
  g_autoptr(GError) error = NULL;
  VigilSecretBackend backend = expected_backend == VIGIL_SECRET_BACKEND_FILE
                               ? VIGIL_SECRET_BACKEND_KEYRING
                               : VIGIL_SECRET_BACKEND_FILE;
  GBytes *key;

  key = vigil_secrets_load_signing_key (dir, policy, &backend, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
  g_assert_cmpuint (g_bytes_get_size (key), ==, VIGIL_JWT_KEY_BYTES);
  g_assert_cmpint (backend, ==, expected_backend);
  return key;
}

static void
assert_key_file (const char *path,
                 GBytes     *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (st.st_uid, ==, geteuid ());

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (contents, length, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
}

/* Refused with VIGIL_ERROR_FAILED, naming the file and @problem. */
static void
assert_refused (const char *dir,
                const char *path,
                const char *problem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;
  VigilSecretBackend backend = VIGIL_SECRET_BACKEND_KEYRING;

  key = vigil_secrets_load_signing_key (dir, VIGIL_SECRETS_FILE_ONLY, &backend, &error);
  g_assert_null (key);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, problem));
  g_assert_cmpint (backend, ==, VIGIL_SECRET_BACKEND_KEYRING);
}

static void
write_file (const char *path,
            const char *contents,
            gssize      length,
            int         mode)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static void
test_file_created_and_reused (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) other = NULL;
  g_autofree char *other_dir = vigil_test_make_tmp_dir ();

  g_assert_false (g_file_test (fixture->key_path, G_FILE_TEST_EXISTS));

  first = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  assert_key_file (fixture->key_path, first);

  second = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  g_assert_true (g_bytes_equal (first, second));

  other = load_key (other_dir, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  g_assert_false (g_bytes_equal (first, other));
  vigil_test_rm_rf (other_dir);

  g_assert_cmpstr (vigil_secret_backend_to_string (VIGIL_SECRET_BACKEND_FILE), ==, "file");
  g_assert_cmpstr (vigil_secret_backend_to_string (VIGIL_SECRET_BACKEND_KEYRING), ==, "keyring");
}

static void
test_file_ignores_umask (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  mode_t saved = umask (0377);

  /* 0377 would leave the new file read-only for its owner. */
  first = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  umask (saved);

  assert_key_file (fixture->key_path, first);
  second = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  g_assert_true (g_bytes_equal (first, second));
}

static void
test_file_canonical_dir (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr(GBytes) direct = NULL;
  g_autoptr(GBytes) linked = NULL;
  g_autoptr(GBytes) dotted = NULL;
  g_autofree char *link_dir = vigil_test_make_tmp_dir ();
  g_autofree char *link = g_build_filename (link_dir, "data", NULL);
  g_autofree char *dotted_path = g_build_filename (fixture->dir, ".", NULL);

  g_assert_cmpint (symlink (fixture->dir, link), ==, 0);

  direct = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  linked = load_key (link, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  dotted = load_key (dotted_path, VIGIL_SECRETS_FILE_ONLY, VIGIL_SECRET_BACKEND_FILE);
  g_assert_true (g_bytes_equal (direct, linked));
  g_assert_true (g_bytes_equal (direct, dotted));

  vigil_test_rm_rf (link_dir);
}

static void
test_file_wide_permissions (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(GBytes) key = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY,
                                    VIGIL_SECRET_BACKEND_FILE);

  g_assert_cmpint (g_chmod (fixture->key_path, 0644), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "has permissions 0644; expected 0600");

  g_assert_cmpint (g_chmod (fixture->key_path, 0640), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "has permissions 0640; expected 0600");

  /* Exactly 0600: narrower is as suspicious as wider. */
  g_assert_cmpint (g_chmod (fixture->key_path, 0400), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "has permissions 0400; expected 0600");

  /* The key is never replaced behind the owner's back. */
  g_assert_cmpint (g_chmod (fixture->key_path, 0600), ==, 0);
  assert_key_file (fixture->key_path, key);
}

static void
test_file_wrong_size (Fixture       *fixture,
                      gconstpointer  user_data)
{
  char contents[VIGIL_JWT_KEY_BYTES + 1] = { 0 };

  write_file (fixture->key_path, contents, VIGIL_JWT_KEY_BYTES - 1, 0600);
  assert_refused (fixture->dir, fixture->key_path, "has 31 bytes; expected 32");

  write_file (fixture->key_path, contents, VIGIL_JWT_KEY_BYTES + 1, 0600);
  assert_refused (fixture->dir, fixture->key_path, "has 33 bytes; expected 32");

  write_file (fixture->key_path, "", 0, 0600);
  assert_refused (fixture->dir, fixture->key_path, "has 0 bytes; expected 32");
}

static void
test_file_symlink (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *target = g_build_filename (fixture->dir, "elsewhere.key", NULL);
  char contents[VIGIL_JWT_KEY_BYTES] = { 0 };

  /* Even a link to a perfect key file is refused... */
  write_file (target, contents, sizeof contents, 0600);
  g_assert_cmpint (symlink (target, fixture->key_path), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "symbolic link");

  /* ...and a dangling one is neither followed nor replaced. */
  g_assert_cmpint (g_unlink (target), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "symbolic link");
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fixture->key_path, G_FILE_TEST_IS_SYMLINK));
}

static void
test_file_not_regular (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_assert_cmpint (g_mkdir (fixture->key_path, 0700), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "not a regular file");
  g_assert_cmpint (g_rmdir (fixture->key_path), ==, 0);

  /* A FIFO must neither block the open nor be read. */
  g_assert_cmpint (mkfifo (fixture->key_path, 0600), ==, 0);
  assert_refused (fixture->dir, fixture->key_path, "not a regular file");
}

static void
test_file_missing_dir (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key = NULL;

  key = vigil_secrets_load_signing_key (missing, VIGIL_SECRETS_FILE_ONLY, NULL, &error);
  g_assert_null (key);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, missing));
}

static void
test_auto_without_bus (Fixture       *fixture,
                       gconstpointer  user_data)
{
  if (g_test_subprocess ())
    {
      g_autofree char *runtime_dir = g_build_filename (fixture->dir, "runtime", NULL);
      g_autoptr(GBytes) key = NULL;
      gint64 start;

      /* No address, no X11 autolaunch and no $XDG_RUNTIME_DIR/bus: GDBus
       * has nowhere to connect, before anything has touched D-Bus. */
      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
      g_unsetenv ("DISPLAY");
      g_assert_cmpint (g_mkdir (runtime_dir, 0700), ==, 0);
      g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);

      start = g_get_monotonic_time ();
      key = load_key (fixture->dir, VIGIL_SECRETS_AUTO, VIGIL_SECRET_BACKEND_FILE);
      /* At once, not after the keyring time-out. */
      g_assert_cmpint (g_get_monotonic_time () - start, <, 4 * G_USEC_PER_SEC);
      assert_key_file (fixture->key_path, key);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* The schema as documented in vigil-secrets.c, so that the test sees the
 * stored item the way another tool (secret-tool, Seahorse) would. */
static const SecretSchema signing_key_schema = {
  "io.vigil.Console.SigningKey",
  SECRET_SCHEMA_NONE,
  {
    { "data-dir", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static void
on_search_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GList **out_items = user_data;

  *out_items = secret_service_search_finish (NULL, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out_items);
}

static void
assert_keyring_holds (const char *dir,
                      GBytes     *key)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;
  g_autofree char *expected_label = g_strdup_printf ("Vigil token signing key (%s)", dir);
  GList *items = NULL;
  const char *data;
  gsize length = 0;

  /* Like the code under test: a search that loads the secret (libsecret
   * 0.20's secret_password_lookup() leaks each reply), on a private
   * context drained after the disconnect so the proxies' clean-ups run. */
  g_main_context_push_thread_default (context);
  attributes = secret_attributes_build (&signing_key_schema, "data-dir", dir, NULL);
  secret_service_search (NULL, &signing_key_schema, attributes, SECRET_SEARCH_LOAD_SECRETS,
                         NULL, on_search_done, &items);
  while (items == NULL)
    g_main_context_iteration (context, TRUE);
  value = secret_item_get_secret (items->data);
  label = secret_item_get_label (items->data);
  g_list_free_full (g_steal_pointer (&items), g_object_unref);
  secret_service_disconnect ();
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  g_assert_cmpstr (label, ==, expected_label);
  g_assert_nonnull (value);
  data = secret_value_get (value, &length);
  g_assert_cmpmem (data, length, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
}

static gboolean
have_private_keyring (void)
{
  if (g_strcmp0 (g_getenv ("VIGIL_TEST_KEYRING"), "1") == 0)
    return TRUE;

  g_test_skip ("Needs a private Secret Service: run through tests/run-keyring-test.sh "
               "(meson test test-secrets-keyring)");
  return FALSE;
}

static void
test_keyring (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) linked = NULL;
  g_autoptr(GBytes) other = NULL;
  g_autofree char *other_dir = NULL;
  g_autofree char *link_dir = NULL;
  g_autofree char *link = NULL;
  g_autofree char *canonical = NULL;

  if (!have_private_keyring ())
    return;

  first = load_key (fixture->dir, VIGIL_SECRETS_AUTO, VIGIL_SECRET_BACKEND_KEYRING);
  second = load_key (fixture->dir, VIGIL_SECRETS_AUTO, VIGIL_SECRET_BACKEND_KEYRING);
  g_assert_true (g_bytes_equal (first, second));
  g_assert_false (g_file_test (fixture->key_path, G_FILE_TEST_EXISTS));

  /* Stored under the canonical path, found through any other spelling. */
  canonical = realpath (fixture->dir, NULL);
  g_assert_nonnull (canonical);
  assert_keyring_holds (canonical, first);
  link_dir = vigil_test_make_tmp_dir ();
  link = g_build_filename (link_dir, "data", NULL);
  g_assert_cmpint (symlink (fixture->dir, link), ==, 0);
  linked = load_key (link, VIGIL_SECRETS_AUTO, VIGIL_SECRET_BACKEND_KEYRING);
  g_assert_true (g_bytes_equal (first, linked));

  other_dir = vigil_test_make_tmp_dir ();
  other = load_key (other_dir, VIGIL_SECRETS_AUTO, VIGIL_SECRET_BACKEND_KEYRING);
  g_assert_false (g_bytes_equal (first, other));
  g_assert_false (g_file_test (fixture->key_path, G_FILE_TEST_EXISTS));

  /* FILE_ONLY leaves the keyring alone and keeps its own key. */
  {
    g_autoptr(GBytes) file_key = load_key (fixture->dir, VIGIL_SECRETS_FILE_ONLY,
                                           VIGIL_SECRET_BACKEND_FILE);

    g_assert_false (g_bytes_equal (first, file_key));
    assert_keyring_holds (canonical, first);
  }

  vigil_test_rm_rf (other_dir);
  vigil_test_rm_rf (link_dir);
}

static void
test_keyring_stalled (Fixture       *fixture,
                      gconstpointer  user_data)
{
  g_autoptr(GBytes) key = NULL;
  const char *pid_text;
  gint64 elapsed;
  pid_t pid;

  if (!have_private_keyring ())
    return;
  pid_text = g_getenv ("VIGIL_TEST_KEYRING_PID");
  g_assert_nonnull (pid_text);
  pid = (pid_t) g_ascii_strtoll (pid_text, NULL, 10);
  g_assert_cmpint (pid, >, 1);

  /* A service that owns its name but never answers, as a hung daemon
   * would: the calls queue in the bus and only our time-out ends them. */
  g_assert_cmpint (kill (pid, SIGSTOP), ==, 0);
  elapsed = g_get_monotonic_time ();
  key = load_key (fixture->dir, VIGIL_SECRETS_AUTO, VIGIL_SECRET_BACKEND_FILE);
  elapsed = g_get_monotonic_time () - elapsed;
  g_assert_cmpint (kill (pid, SIGCONT), ==, 0);

  assert_key_file (fixture->key_path, key);
  g_assert_cmpint (elapsed, >=, 4 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 15 * G_USEC_PER_SEC);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/secrets/file/create-and-reuse", test_file_created_and_reused);
  ADD ("/secrets/file/umask", test_file_ignores_umask);
  ADD ("/secrets/file/canonical-dir", test_file_canonical_dir);
  ADD ("/secrets/file/wide-permissions", test_file_wide_permissions);
  ADD ("/secrets/file/wrong-size", test_file_wrong_size);
  ADD ("/secrets/file/symlink", test_file_symlink);
  ADD ("/secrets/file/not-regular", test_file_not_regular);
  ADD ("/secrets/file/missing-dir", test_file_missing_dir);
  ADD ("/secrets/auto/no-bus", test_auto_without_bus);
  ADD ("/secrets/keyring/auto", test_keyring);
  ADD ("/secrets/keyring/stalled", test_keyring_stalled);

#undef ADD

  return g_test_run ();
}
