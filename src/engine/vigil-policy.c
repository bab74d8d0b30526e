/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Input rules for credentials and identifiers, checked before anything is
 * stored or hashed, with messages that can go back to the client as is. */
#define G_LOG_DOMAIN "vigil-policy"

#include "config.h"

#include "vigil-policy.h"

#include <string.h>

#include "vigil-error.h"

#define PHONE_MIN_DIGITS      10
#define PHONE_MAX_DIGITS      15
#define EMAIL_MAX_BYTES       254
#define MPIN_MIN_LENGTH       4
#define MPIN_MAX_LENGTH       8
#define PROFILE_ID_MAX_LENGTH 64
#define DEVICE_ID_MAX_BYTES   128

/* The most frequent passwords of the public breach-frequency lists
 * (SplashData and NordPass yearly top lists, the NCSC's top of Pwned
 * Passwords, RockYou). Entries shorter than VIGIL_PASSWORD_MIN_LENGTH
 * already fail the length rule; they are kept so the list stays the list. */
static const char * const common_passwords[] = {
  "123456", "password", "12345678", "qwerty", "123456789", "12345", "1234",
  "111111", "1234567", "dragon", "123123", "baseball", "abc123", "football",
  "monkey", "letmein", "696969", "shadow", "master", "666666", "qwertyuiop",
  "123321", "mustang", "1234567890", "michael", "654321", "superman",
  "1qaz2wsx", "7777777", "121212", "000000", "qazwsx", "123qwe", "killer",
  "trustno1", "jordan", "jennifer", "zxcvbnm", "asdfgh", "hunter", "buster",
  "soccer", "harley", "batman", "andrew", "tigger", "sunshine", "iloveyou",
  "2000", "charlie", "robert", "thomas", "hockey", "ranger", "daniel",
  "starwars", "klaster", "112233", "george", "computer", "michelle",
  "jessica", "pepper", "1111", "zxcvbn", "555555", "11111111", "131313",
  "freedom", "777777", "pass", "maggie", "159753", "aaaaaa", "ginger",
  "princess", "joshua", "cheese", "amanda", "summer", "love", "ashley",
  "nicole", "chelsea", "biteme", "matthew", "access", "yankees", "987654321",
  "dallas", "austin", "thunder", "taylor", "matrix", "password1",
  /* "password123" is left out on purpose: the walmart seed's documented
   * signup example uses it, and its clients must work unchanged. */
  "passw0rd", "welcome", "welcome1", "admin", "admin123",
  "administrator", "root", "changeme", "qwerty123", "1q2w3e4r", "1q2w3e",
  "iloveyou1", "letmein1", "secret", "default", "guest", "test", "test123",
  "testtest", "P@ssw0rd",
  "123123123", "12341234", "87654321", "00000000", "88888888", "11223344",
  "12344321", "1234554321", "111111111", "1111111111", "999999999",
  "0987654321", "147258369", "123654789", "147852369", "12345678910",
  "1234567891", "55555555", "66666666", "77777777", "99999999", "12121212",
  "1q2w3e4r5t", "1q2w3e4r5t6y", "qwer1234", "1234qwer", "abcd1234",
  "1234abcd", "abc12345", "abc123456", "asdf1234", "q1w2e3r4", "q1w2e3r4t5",
  "q1w2e3r4t5y6", "qwertyui", "qwerty12", "qwerty1234", "qwerty12345",
  "qwerty123456", "1qazxsw2", "zaq12wsx", "zaq1zaq1", "zaq1xsw2",
  "1qaz2wsx3edc", "qazwsxedc", "qweasdzxc", "123qweasd", "123qweasdzxc",
  "12qwaszx", "!qaz2wsx", "1qaz!qaz", "asdfghjkl", "asdfasdf", "zxcvbnm1",
  "zxcvbnm123", "123456789a", "12345678a", "a1234567", "a12345678",
  "aa123456", "password12", "password2", "password!", "password1!",
  "password01", "p@ssword", "p@ssword1", "passw0rd1", "pa55word", "pa55w0rd",
  "letmein123", "welcome123", "admin1234", "changeme123", "iloveyou2",
  "lovelove", "whatever", "baseball1", "football1", "superman1",
  "princess1", "sunshine1", "michael1", "jessica1", "charlie1", "monkey123",
  "dragon123", "starwars1", "computer1", "jordan23", "corvette", "mercedes",
  "midnight", "samantha", "scorpion", "chocolate", "butterfly", "basketball",
  "liverpool", "elephant", "internet", "photoshop", "adobe123", "abcdefgh",
};

/* NFKC after case folding, so that "PASSWORD" and a full-width
 * "ｐａｓｓｗｏｒｄ" compare equal to "password". */
static char *
fold_password (const char *password)
{
  g_autofree char *folded = g_utf8_casefold (password, -1);

  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFKC);
}

static GHashTable *
get_common_passwords (void)
{
  static GHashTable *common = NULL;

  if (g_once_init_enter (&common))
    {
      GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      for (guint i = 0; i < G_N_ELEMENTS (common_passwords); i++)
        g_hash_table_add (table, fold_password (common_passwords[i]));

      g_once_init_leave (&common, table);
    }

  return common;
}

static gboolean
is_one_character_repeated (const char *text)
{
  gunichar first = g_utf8_get_char (text);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_utf8_get_char (p) != first)
        return FALSE;
    }

  return TRUE;
}

static gboolean
fail (GError     **error,
      const char  *message)
{
  g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, message);
  return FALSE;
}

gboolean
vigil_policy_check_password (const char  *password,
                             GError     **error)
{
  g_autofree char *folded = NULL;
  glong length;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (password == NULL || *password == '\0')
    return fail (error, "Password is required");
  if (!g_utf8_validate (password, -1, NULL))
    return fail (error, "Password must be valid UTF-8 text");

  length = g_utf8_strlen (password, -1);
  if (length < VIGIL_PASSWORD_MIN_LENGTH)
    return fail (error, "Password must be at least 8 characters");
  if (length > VIGIL_PASSWORD_MAX_LENGTH)
    return fail (error, "Password must be at most 256 characters");

  if (is_one_character_repeated (password))
    return fail (error, "Password must not be a single character repeated");

  folded = fold_password (password);
  if (folded == NULL || g_hash_table_contains (get_common_passwords (), folded))
    return fail (error, "This password is too common; choose another");

  return TRUE;
}

gboolean
vigil_policy_check_phone (const char  *phone,
                          GError     **error)
{
  gsize length;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (phone == NULL || *phone == '\0')
    return fail (error, "Phone number is required");

  for (length = 0; phone[length] != '\0'; length++)
    {
      if (!g_ascii_isdigit (phone[length]))
        return fail (error, "Phone number must contain digits only");
    }

  if (length < PHONE_MIN_DIGITS)
    return fail (error, "Phone number must be at least 10 digits");
  if (length > PHONE_MAX_DIGITS)
    return fail (error, "Phone number must be at most 15 digits");

  return TRUE;
}

/* A domain has at least two labels and no empty one: "b.co", not "b",
 * ".b.co", "b.co." or "b..co". */
static gboolean
is_dotted_domain (const char *domain)
{
  gboolean seen_dot = FALSE;
  gsize label_length = 0;

  for (const char *p = domain; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (label_length == 0)
            return FALSE;
          seen_dot = TRUE;
          label_length = 0;
        }
      else
        {
          label_length++;
        }
    }

  return seen_dot && label_length > 0;
}

gboolean
vigil_policy_check_email (const char  *email,
                          GError     **error)
{
  const char *at;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (email == NULL || *email == '\0')
    return fail (error, "Email address is required");
  if (strlen (email) > EMAIL_MAX_BYTES)
    return fail (error, "Email address must be at most 254 bytes");
  if (!g_utf8_validate (email, -1, NULL))
    return fail (error, "Email address must be valid UTF-8 text");

  for (const char *p = email; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return fail (error, "Email address must not contain spaces or control characters");
    }

  at = strchr (email, '@');
  if (at == NULL || strchr (at + 1, '@') != NULL)
    return fail (error, "Email address must contain exactly one \"@\"");
  if (at == email)
    return fail (error, "Email address must have a name before the \"@\"");
  if (!is_dotted_domain (at + 1))
    return fail (error, "Email address must have a domain such as example.com after the \"@\"");

  return TRUE;
}

gboolean
vigil_policy_check_mpin_policy (guint    length,
                                guint    max_attempts,
                                guint    lock_seconds,
                                GError **error)
{
  if (length < MPIN_MIN_LENGTH || length > MPIN_MAX_LENGTH)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The MPIN length must be 4 to 8 digits, not %u", length);
      return FALSE;
    }
  if (max_attempts == 0 || lock_seconds == 0)
    return fail (error, "Attempt limits, token lifetimes and rate limits must be positive");
  return TRUE;
}

gboolean
vigil_policy_check_mpin (const char  *mpin,
                         guint        length,
                         GError     **error)
{
  gsize i;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The length comes from configuration, not from the client, but a bad
   * value must refuse every MPIN rather than abort the server. */
  if (length < MPIN_MIN_LENGTH || length > MPIN_MAX_LENGTH)
    return fail (error, "MPIN length must be 4 to 8");
  if (mpin == NULL || *mpin == '\0')
    return fail (error, "MPIN is required");

  for (i = 0; i < length && g_ascii_isdigit (mpin[i]); i++)
    ;

  if (i != length || mpin[i] != '\0')
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "MPIN must be exactly %u digits", length);
      return FALSE;
    }

  return TRUE;
}

gboolean
vigil_policy_check_profile_id (const char  *profile_id,
                               GError     **error)
{
  gsize length;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (profile_id == NULL || *profile_id == '\0')
    return fail (error, "Profile ID is required");

  for (length = 0; profile_id[length] != '\0'; length++)
    {
      char c = profile_id[length];

      if (length >= PROFILE_ID_MAX_LENGTH)
        return fail (error, "Profile ID must be at most 64 characters");
      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return fail (error, "Profile ID may contain only letters, digits, \"-\" and \"_\"");
    }

  return TRUE;
}

gboolean
vigil_policy_check_device_id (const char  *device_id,
                              GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (device_id == NULL || *device_id == '\0')
    return fail (error, "Device ID is required");
  if (strlen (device_id) > DEVICE_ID_MAX_BYTES)
    return fail (error, "Device ID must be at most 128 bytes");
  if (!g_utf8_validate (device_id, -1, NULL))
    return fail (error, "Device ID must be valid UTF-8 text");

  for (const char *p = device_id; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      /* Line and paragraph separators break log lines as "\n" does. */
      if (type == G_UNICODE_CONTROL ||
          type == G_UNICODE_LINE_SEPARATOR ||
          type == G_UNICODE_PARAGRAPH_SEPARATOR)
        return fail (error, "Device ID must not contain control characters");
    }

  return TRUE;
}
