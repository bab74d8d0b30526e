/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The input rules, at their boundaries, and the promise that a refusal
 * never repeats the secret it refused. */
#include "config.h"

#include <string.h>

#include "vigil-error.h"
#include "vigil-policy.h"

static void
assert_password_ok (const char *password)
{
  g_autoptr(GError) error = NULL;

  if (!vigil_policy_check_password (password, &error))
    g_error ("password of %ld characters refused: %s",
             g_utf8_strlen (password, -1), error->message);
  g_assert_no_error (error);
}

/* Also checks that the message does not leak the password. */
static void
assert_password_refused (const char *password,
                         const char *expected_message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (vigil_policy_check_password (password, &error));
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  /* "password" itself is a word of a fixed message, not an echo. */
  if (password != NULL && *password != '\0' &&
      (expected_message == NULL || strstr (expected_message, password) == NULL))
    g_assert_null (strstr (error->message, password));
  if (expected_message != NULL)
    g_assert_cmpstr (error->message, ==, expected_message);
}

static char *
repeat (const char *unit,
        guint       times)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < times; i++)
    g_string_append (s, unit);

  return g_string_free (s, FALSE);
}

static void
test_password_length (void)
{
  g_autofree char *max = NULL;
  g_autofree char *too_long = NULL;
  g_autofree char *max_unicode = NULL;
  g_autofree char *too_long_unicode = NULL;

  assert_password_refused ("Xk9#mQ2", "Password must be at least 8 characters");
  assert_password_ok ("Xk9#mQ2z");

  /* Varied characters so that neither the repeat nor the list rule fires. */
  max = repeat ("Ab3d", VIGIL_PASSWORD_MAX_LENGTH / 4);
  g_assert_cmpuint (strlen (max), ==, 256);
  assert_password_ok (max);
  too_long = g_strconcat (max, "e", NULL);
  assert_password_refused (too_long, "Password must be at most 256 characters");

  /* 256 characters but 512 bytes: characters count, not bytes. */
  max_unicode = repeat ("äö", VIGIL_PASSWORD_MAX_LENGTH / 2);
  g_assert_cmpuint (strlen (max_unicode), ==, 512);
  assert_password_ok (max_unicode);
  too_long_unicode = g_strconcat (max_unicode, "ü", NULL);
  assert_password_refused (too_long_unicode, "Password must be at most 256 characters");
}

static void
test_password_unicode (void)
{
  /* 8 characters in 10 bytes. */
  g_assert_cmpuint (strlen ("pässwörd"), ==, 10);
  assert_password_ok ("pässwörd");
  /* 7 characters in 9 bytes: too short although 9 bytes. */
  assert_password_refused ("pässwör", "Password must be at least 8 characters");
  assert_password_ok ("ключ-доступа");
  assert_password_ok ("🔑🔒🗝🔓🔐🛡🚪🏦");
  assert_password_refused ("🔑🔒🗝🔓🔐🛡🚪", "Password must be at least 8 characters");

  assert_password_refused ("abcdefg\xff", "Password must be valid UTF-8 text");
  assert_password_refused ("\xc3\x28xxxxxxxx", "Password must be valid UTF-8 text");
}

static void
test_password_common (void)
{
  const char * const common[] = {
    "password", "12345678", "123456789", "password1", "PassWord1",
    "PASSWORD1", "qwertyuiop", "iloveyou", "trustno1", "1q2w3e4r",
    "P@ssw0rd", "p@ssw0rd", "Password1", "administrator", "sunshine",
    /* Full-width forms fold to "password". */
    "ｐａｓｓｗｏｒｄ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (common); i++)
    assert_password_refused (common[i], "This password is too common; choose another");

  /* Near misses are not the list's business. */
  assert_password_ok ("password1234567");
  assert_password_ok ("correct horse battery staple");
}

static void
test_password_seeds_accepted (void)
{
  /* The seed data's clients use these; they are in no common list. */
  assert_password_ok ("SecurePassword123");
  assert_password_ok ("testpassword123");
  /* The walmart seed's own curl example signs up with it. */
  assert_password_ok ("password123");
}

static void
test_password_repeated (void)
{
  assert_password_refused ("aaaaaaaa", "Password must not be a single character repeated");
  assert_password_refused ("ZZZZZZZZZZZZZZZZ", "Password must not be a single character repeated");
  assert_password_refused ("éééééééé", "Password must not be a single character repeated");
  assert_password_ok ("aaaaaaab");
}

static void
test_password_missing (void)
{
  assert_password_refused (NULL, "Password is required");
  assert_password_refused ("", "Password is required");

  /* A NULL GError is allowed. */
  g_assert_false (vigil_policy_check_password ("short", NULL));
  g_assert_true (vigil_policy_check_password ("SecurePassword123", NULL));
}

static void
test_password_never_echoed (void)
{
  const char * const refused[] = {
    "hunter2", "Tr0ub4d", "aaaaaaaa", "bbbbbbbbbbbb", "password1",
    "PassWord1", "qwerty123", "pässwö", "letmein1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    assert_password_refused (refused[i], NULL);
}

static void
assert_refused (gboolean    ok,
                GError     *error,
                const char *expected_message)
{
  g_assert_false (ok);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
  if (expected_message != NULL)
    g_assert_cmpstr (error->message, ==, expected_message);
}

#define ASSERT_OK(call)                                 \
  G_STMT_START {                                        \
    g_autoptr(GError) _error = NULL;                    \
    gboolean _ok = (call);                              \
    g_assert_no_error (_error);                         \
    g_assert_true (_ok);                                \
  } G_STMT_END

#define ASSERT_REFUSED(call, message)                   \
  G_STMT_START {                                        \
    g_autoptr(GError) _error = NULL;                    \
    gboolean _ok = (call);                              \
    assert_refused (_ok, _error, (message));            \
  } G_STMT_END

static void
test_phone (void)
{
  ASSERT_REFUSED (vigil_policy_check_phone ("123456789", &_error),
                  "Phone number must be at least 10 digits");
  ASSERT_OK (vigil_policy_check_phone ("1234567890", &_error));
  ASSERT_OK (vigil_policy_check_phone ("123456789012345", &_error));
  ASSERT_REFUSED (vigil_policy_check_phone ("1234567890123456", &_error),
                  "Phone number must be at most 15 digits");

  ASSERT_REFUSED (vigil_policy_check_phone ("+441234567890", &_error),
                  "Phone number must contain digits only");
  ASSERT_REFUSED (vigil_policy_check_phone ("0123 456789", &_error),
                  "Phone number must contain digits only");
  ASSERT_REFUSED (vigil_policy_check_phone ("012-345-6789", &_error),
                  "Phone number must contain digits only");
  /* Arabic-Indic digits are digits, but not ASCII ones. */
  ASSERT_REFUSED (vigil_policy_check_phone ("٠١٢٣٤٥٦٧٨٩", &_error),
                  "Phone number must contain digits only");
  ASSERT_REFUSED (vigil_policy_check_phone ("", &_error), "Phone number is required");
  ASSERT_REFUSED (vigil_policy_check_phone (NULL, &_error), "Phone number is required");
}

static void
test_email (void)
{
  g_autofree char *local_249 = repeat ("x", 249);
  g_autofree char *max = g_strconcat (local_249, "@b.co", NULL);
  g_autofree char *too_long = NULL;

  ASSERT_OK (vigil_policy_check_email ("a@b.co", &_error));
  ASSERT_OK (vigil_policy_check_email ("first.last+tag@mail.example.com", &_error));
  ASSERT_OK (vigil_policy_check_email ("jörg@müller.de", &_error));

  ASSERT_REFUSED (vigil_policy_check_email ("a@b", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("@b.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a b@c.de", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@@b.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@b.co@c.de", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("ab.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@b.", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@b..co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a@b.co\n", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a\t@b.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a\x7f@b.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("a\xff@b.co", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_email ("", &_error), "Email address is required");
  ASSERT_REFUSED (vigil_policy_check_email (NULL, &_error), "Email address is required");

  g_assert_cmpuint (strlen (max), ==, 254);
  ASSERT_OK (vigil_policy_check_email (max, &_error));
  too_long = g_strconcat ("x", max, NULL);
  ASSERT_REFUSED (vigil_policy_check_email (too_long, &_error),
                  "Email address must be at most 254 bytes");
}

static void
test_mpin (void)
{
  ASSERT_OK (vigil_policy_check_mpin ("12345", 5, &_error));
  ASSERT_OK (vigil_policy_check_mpin ("123456", 6, &_error));
  ASSERT_OK (vigil_policy_check_mpin ("000000", 6, &_error));
  ASSERT_OK (vigil_policy_check_mpin ("1234", 4, &_error));
  ASSERT_OK (vigil_policy_check_mpin ("12345678", 8, &_error));

  ASSERT_REFUSED (vigil_policy_check_mpin ("12345", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("123456", 5, &_error), "MPIN must be exactly 5 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("1234567", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("12a456", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("12345 ", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin (" 12345", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("-12345", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("١٢٣٤٥٦", 6, &_error), "MPIN must be exactly 6 digits");
  ASSERT_REFUSED (vigil_policy_check_mpin ("", 6, &_error), "MPIN is required");
  ASSERT_REFUSED (vigil_policy_check_mpin (NULL, 6, &_error), "MPIN is required");

  /* A bad configured length refuses every MPIN, even a matching one. */
  ASSERT_REFUSED (vigil_policy_check_mpin ("123", 3, &_error), "MPIN length must be 4 to 8");
  ASSERT_REFUSED (vigil_policy_check_mpin ("123456789", 9, &_error), "MPIN length must be 4 to 8");
  ASSERT_REFUSED (vigil_policy_check_mpin ("", 0, &_error), "MPIN length must be 4 to 8");
  ASSERT_REFUSED (vigil_policy_check_mpin (NULL, G_MAXUINT, &_error), "MPIN length must be 4 to 8");
}

static void
test_mpin_never_echoed (void)
{
  const char * const refused[] = { "98765", "9876543", "98a765", "987 65" };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (vigil_policy_check_mpin (refused[i], 6, &error));
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
      g_assert_null (strstr (error->message, refused[i]));
    }
}

static void
test_profile_id (void)
{
  g_autofree char *max = repeat ("a", 64);
  g_autofree char *too_long = repeat ("a", 65);

  ASSERT_OK (vigil_policy_check_profile_id ("a", &_error));
  ASSERT_OK (vigil_policy_check_profile_id ("user_01-Primary", &_error));
  ASSERT_OK (vigil_policy_check_profile_id (max, &_error));

  ASSERT_REFUSED (vigil_policy_check_profile_id (too_long, &_error),
                  "Profile ID must be at most 64 characters");
  ASSERT_REFUSED (vigil_policy_check_profile_id ("a b", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_profile_id ("a.b", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_profile_id ("a/b", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_profile_id ("é", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_profile_id ("ab\n", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_profile_id ("", &_error), "Profile ID is required");
  ASSERT_REFUSED (vigil_policy_check_profile_id (NULL, &_error), "Profile ID is required");
}

static void
test_device_id (void)
{
  g_autofree char *max = repeat ("d", 128);
  g_autofree char *too_long = repeat ("d", 129);
  /* 64 two-byte characters: exactly 128 bytes. */
  g_autofree char *max_unicode = repeat ("ü", 64);
  g_autofree char *too_long_unicode = g_strconcat (max_unicode, "x", NULL);

  ASSERT_OK (vigil_policy_check_device_id ("android_device-01", &_error));
  ASSERT_OK (vigil_policy_check_device_id ("Pixel 7 Pro (Jörg's)", &_error));
  ASSERT_OK (vigil_policy_check_device_id ("x", &_error));
  ASSERT_OK (vigil_policy_check_device_id (max, &_error));
  ASSERT_OK (vigil_policy_check_device_id (max_unicode, &_error));

  ASSERT_REFUSED (vigil_policy_check_device_id (too_long, &_error),
                  "Device ID must be at most 128 bytes");
  ASSERT_REFUSED (vigil_policy_check_device_id (too_long_unicode, &_error),
                  "Device ID must be at most 128 bytes");
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\n01", &_error),
                  "Device ID must not contain control characters");
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\t01", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\x1b[31m", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\x7f", &_error), NULL);
  /* U+0085 (C1 NEL) and U+2028 (line separator). */
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\xc2\x85", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\xe2\x80\xa8", &_error), NULL);
  ASSERT_REFUSED (vigil_policy_check_device_id ("dev\xff", &_error),
                  "Device ID must be valid UTF-8 text");
  ASSERT_REFUSED (vigil_policy_check_device_id ("", &_error), "Device ID is required");
  ASSERT_REFUSED (vigil_policy_check_device_id (NULL, &_error), "Device ID is required");
}

static void
check_common_from_thread_cb (gpointer data,
                             gpointer user_data)
{
  gint *refused = user_data;

  if (!vigil_policy_check_password ("Password1", NULL))
    g_atomic_int_inc (refused);
}

static void
test_common_list_threads (void)
{
  GThreadPool *pool;
  gint refused = 0;

  /* The list is built on first use; many first uses at once must agree. */
  pool = g_thread_pool_new (check_common_from_thread_cb, &refused, 8, FALSE, NULL);
  for (guint i = 0; i < 64; i++)
    g_thread_pool_push (pool, GUINT_TO_POINTER (i + 1), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);

  g_assert_cmpint (refused, ==, 64);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* First so that it is the one that builds the common list. */
  g_test_add_func ("/policy/password/common-list-threads", test_common_list_threads);
  g_test_add_func ("/policy/password/length", test_password_length);
  g_test_add_func ("/policy/password/unicode", test_password_unicode);
  g_test_add_func ("/policy/password/common", test_password_common);
  g_test_add_func ("/policy/password/seeds-accepted", test_password_seeds_accepted);
  g_test_add_func ("/policy/password/repeated", test_password_repeated);
  g_test_add_func ("/policy/password/missing", test_password_missing);
  g_test_add_func ("/policy/password/never-echoed", test_password_never_echoed);
  g_test_add_func ("/policy/phone", test_phone);
  g_test_add_func ("/policy/email", test_email);
  g_test_add_func ("/policy/mpin/digits", test_mpin);
  g_test_add_func ("/policy/mpin/never-echoed", test_mpin_never_echoed);
  g_test_add_func ("/policy/profile-id", test_profile_id);
  g_test_add_func ("/policy/device-id", test_device_id);

  return g_test_run ();
}
