/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "vigil-engine.h"
#include "vigil-error.h"
#include "vigil-test-util.h"

static void
test_engine_creates_private_data_dir (void)
{
  g_autofree char *tmp = vigil_test_make_tmp_dir ();
  g_autofree char *data_dir = g_build_filename (tmp, "nested", "vigil", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = NULL;
  g_autofree char *expected_db = NULL;
  GStatBuf st;

  engine = vigil_engine_new (data_dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);

  expected_db = g_build_filename (data_dir, "vigil.db", NULL);
  g_assert_cmpstr (vigil_engine_get_database_path (engine), ==, expected_db);
  g_assert_true (g_file_test (expected_db, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_stat (data_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  vigil_engine_shutdown (engine);
  g_assert_null (vigil_engine_get_store (engine));
  g_assert_finalize_object (g_steal_pointer (&engine));
  vigil_test_rm_rf (tmp);
}

static void
test_engine_lock_refuses_second_owner (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) first = NULL;
  g_autoptr(VigilEngine) second = NULL;
  g_autoptr(VigilEngine) third = NULL;

  first = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);

  /* flock() locks belong to open file descriptions, so a second open in
   * the same process conflicts exactly as another process would. */
  second = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_BUSY);
  g_assert_null (second);
  g_assert_nonnull (strstr (error->message, "in use by another Vigil process"));
  g_assert_nonnull (strstr (error->message, dir));
  g_clear_error (&error);

  /* The first owner is untouched and still writes. */
  g_assert_true (vigil_store_ping (vigil_engine_get_store (first), &error));
  g_assert_no_error (error);

  vigil_engine_shutdown (first);
  third = vigil_engine_new (dir, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (third);

  vigil_engine_shutdown (third);
  vigil_test_rm_rf (dir);
}

static void
test_engine_unusable_data_dir_fails_cleanly (void)
{
  g_autofree char *dir = vigil_test_make_tmp_dir ();
  g_autofree char *file = g_build_filename (dir, "not-a-directory", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilEngine) engine = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  engine = vigil_engine_new (file, VIGIL_STORE_SYNC_NORMAL, &error);
  g_assert_null (engine);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, file));

  vigil_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/engine/data-dir/private", test_engine_creates_private_data_dir);
  g_test_add_func ("/engine/data-dir/lock", test_engine_lock_refuses_second_owner);
  g_test_add_func ("/engine/data-dir/unusable", test_engine_unusable_data_dir_fails_cleanly);

  return g_test_run ();
}
