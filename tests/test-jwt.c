/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HS256 tokens: the RFC vectors, and every forgery the decoder must refuse.
 * Forged tokens are assembled by hand here, independently of the encoder. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "vigil-error.h"
#include "vigil-jwt.h"

#define NOW_S G_GINT64_CONSTANT (1700000000)

static const guint8 test_key[VIGIL_JWT_KEY_BYTES] = {
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
  0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

static char *
b64 (const char *text)
{
  return vigil_base64url_encode ((const guint8 *) text, strlen (text));
}

/* header.payload.signature with an HMAC-SHA256 that is correct for @key. */
static char *
sign_by_hand (const char   *header_json,
              const char   *payload_json,
              const guint8 *key,
              gsize         key_length)
{
  g_autofree char *header = b64 (header_json);
  g_autofree char *payload = b64 (payload_json);
  g_autofree char *input = g_strconcat (header, ".", payload, NULL);
  g_autofree char *signature = NULL;
  crypto_auth_hmacsha256_state state;
  guint8 mac[crypto_auth_hmacsha256_BYTES];

  crypto_auth_hmacsha256_init (&state, key, key_length);
  crypto_auth_hmacsha256_update (&state, (const guint8 *) input, strlen (input));
  crypto_auth_hmacsha256_final (&state, mac);
  signature = vigil_base64url_encode (mac, sizeof mac);

  return g_strconcat (input, ".", signature, NULL);
}

static char *
sign_payload (const char *payload_json)
{
  return sign_by_hand ("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload_json,
                       test_key, sizeof test_key);
}

static JsonObject *
decode (const char  *token,
        GError     **error)
{
  return vigil_jwt_decode (token, test_key, sizeof test_key, NOW_S, error);
}

/* Refused as unauthorized, with @message if given, and without quoting. */
static void
assert_refused_full (const char   *token,
                     const guint8 *key,
                     gsize         key_length,
                     gint64        now_s,
                     const char   *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = NULL;

  claims = vigil_jwt_decode (token, key, key_length, now_s, &error);
  g_assert_null (claims);
  g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED);
  if (message != NULL)
    g_assert_cmpstr (error->message, ==, message);

  /* No eight consecutive characters of the token (from its first few
   * hundred) appear in the message. */
  for (gsize i = 0; i < 512 && i + 8 <= strlen (token); i++)
    {
      g_autofree char *piece = g_strndup (token + i, 8);

      g_assert_null (strstr (error->message, piece));
    }
}

static void
assert_refused (const char *token,
                const char *message)
{
  assert_refused_full (token, test_key, sizeof test_key, NOW_S, message);
}

static void
assert_accepted (const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = decode (token, &error);

  g_assert_no_error (error);
  g_assert_nonnull (claims);
}

static void
test_base64url_vectors (void)
{
  /* RFC 4648 §10, without padding; the last rows use the two characters
   * in which base64url differs from base64. */
  static const struct { const char *bytes; gsize length; const char *text; } vectors[] = {
    { "", 0, "" },
    { "f", 1, "Zg" },
    { "fo", 2, "Zm8" },
    { "foo", 3, "Zm9v" },
    { "foob", 4, "Zm9vYg" },
    { "fooba", 5, "Zm9vYmE" },
    { "foobar", 6, "Zm9vYmFy" },
    { "\xfb\xff", 2, "-_8" },
    { "\xfb\xef\xbe", 3, "----" },
    { "\xff\xff\xff", 3, "____" },
    { "\x00\x00", 2, "AAA" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      g_autofree guint8 *bytes = NULL;
      gsize length = G_MAXSIZE;

      text = vigil_base64url_encode ((const guint8 *) vectors[i].bytes, vectors[i].length);
      g_assert_cmpstr (text, ==, vectors[i].text);

      bytes = vigil_base64url_decode (vectors[i].text, &length, &error);
      g_assert_no_error (error);
      g_assert_nonnull (bytes);
      g_assert_cmpmem (bytes, length, vectors[i].bytes, vectors[i].length);
    }
}

static void
test_base64url_refuses_invalid (void)
{
  static const char *invalid[] = {
    "Zg==",       /* padding */
    "Zg=",
    "Zm9v====",
    "Z",          /* a lone sixth of a byte: no byte string encodes to this */
    "Zm9vY",
    "Zh",         /* trailing bits set: "f" is only ever "Zg" */
    "Zm9=",
    "Zm+v",       /* the standard alphabet */
    "Zm/v",
    "Zm9v Zg",    /* whitespace */
    "Zm9v\n",
    " Zg",
    "Zm.v",
    "Zm\xc3\xa9v",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *bytes = NULL;
      gsize length = 17;

      bytes = vigil_base64url_decode (invalid[i], &length, &error);
      g_assert_null (bytes);
      g_assert_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT);
      g_assert_cmpuint (length, ==, 17);
    }
}

static JsonObject *
new_claims (gint64 exp_s)
{
  JsonObject *claims = json_object_new ();

  json_object_set_string_member (claims, "sub", "alice");
  json_object_set_int_member (claims, "iat", NOW_S);
  json_object_set_int_member (claims, "exp", exp_s);
  return claims;
}

static void
test_round_trip (void)
{
  g_autoptr(JsonObject) claims = new_claims (NOW_S + 600);
  g_autoptr(JsonObject) decoded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_auto(GStrv) parts = NULL;

  json_object_set_boolean_member (claims, "admin", FALSE);
  token = vigil_jwt_encode (claims, test_key, sizeof test_key);
  g_assert_nonnull (token);
  g_assert_cmpuint (json_object_get_size (claims), ==, 4);

  parts = g_strsplit (token, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  /* base64url of {"alg":"HS256","typ":"JWT"} */
  g_assert_cmpstr (parts[0], ==, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
  g_assert_cmpuint (strlen (parts[2]), ==, 43);

  decoded = vigil_jwt_decode (token, test_key, sizeof test_key, NOW_S, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decoded);
  g_assert_cmpstr (json_object_get_string_member (decoded, "sub"), ==, "alice");
  g_assert_cmpint (json_object_get_int_member (decoded, "exp"), ==, NOW_S + 600);
  g_assert_cmpint (json_object_get_int_member (decoded, "iat"), ==, NOW_S);
  g_assert_false (json_object_get_boolean_member (decoded, "admin"));
  g_assert_cmpuint (json_object_get_size (decoded), ==, 4);
}

/* A genuine token split into its three parts. */
static GStrv
genuine_parts (void)
{
  g_autoptr(JsonObject) claims = new_claims (NOW_S + 600);
  g_autofree char *token = vigil_jwt_encode (claims, test_key, sizeof test_key);

  assert_accepted (token);
  return g_strsplit (token, ".", -1);
}

static void
test_tampered_payload (void)
{
  g_auto(GStrv) parts = genuine_parts ();
  g_autofree char *payload = b64 ("{\"sub\":\"mallory\",\"iat\":1700000000,\"exp\":1700000600}");
  g_autofree char *token = g_strjoin (".", parts[0], payload, parts[2], NULL);

  assert_refused (token, "Invalid token signature");
}

static void
test_tampered_header (void)
{
  g_auto(GStrv) parts = genuine_parts ();
  g_autofree char *header = b64 ("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}");
  g_autofree char *token = g_strjoin (".", header, parts[1], parts[2], NULL);

  assert_refused (token, "Invalid token signature");
}

static void
test_tampered_signature (void)
{
  g_auto(GStrv) parts = genuine_parts ();
  g_autofree char *token = NULL;
  g_autofree char *truncated = NULL;
  g_autofree char *extended = NULL;

  /* Flipping the first character keeps the length and the encoding valid,
   * so only the comparison can catch it. */
  parts[2][0] = parts[2][0] == 'A' ? 'B' : 'A';
  token = g_strjoin (".", parts[0], parts[1], parts[2], NULL);
  assert_refused (token, "Invalid token signature");

  truncated = g_strjoin (".", parts[0], parts[1], "AAAA", NULL);
  assert_refused (truncated, NULL);
  extended = g_strconcat (token, "AAAA", NULL);
  assert_refused (extended, NULL);
}

static void
test_alg_none (void)
{
  const char *payload = "{\"sub\":\"alice\",\"exp\":1700000600}";
  g_autofree char *header = b64 ("{\"alg\":\"none\",\"typ\":\"JWT\"}");
  g_autofree char *payload_b64 = b64 (payload);
  g_autofree char *unsigned_token = g_strconcat (header, ".", payload_b64, ".", NULL);
  g_autofree char *signed_token = NULL;

  /* The classic form, with an empty signature... */
  assert_refused (unsigned_token, NULL);

  /* ...and even with a correct MAC over a header that says "none". */
  signed_token = sign_by_hand ("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload,
                               test_key, sizeof test_key);
  assert_refused (signed_token, "Unsupported token algorithm");
}

static void
test_alg_other (void)
{
  static const char *headers[] = {
    "{\"alg\":\"HS512\",\"typ\":\"JWT\"}",
    "{\"alg\":\"HS384\"}",
    "{\"alg\":\"RS256\"}",
    "{\"typ\":\"JWT\"}",
    "{\"alg\":\"hs256\"}",
    "{\"alg\":\"Hs256\"}",
    "{\"alg\":\"HS256 \"}",
    "{\"alg\":\"HS2560\"}",
    "{\"alg\":\"\"}",
    "{\"alg\":null}",
    "{\"alg\":256}",
    "{\"alg\":[\"HS256\"]}",
    "{\"ALG\":\"HS256\"}",
  };

  /* Each with a correct HMAC-SHA256: only the header check refuses them. */
  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    {
      g_autofree char *token = sign_by_hand (headers[i], "{\"exp\":1700000600}",
                                             test_key, sizeof test_key);

      assert_refused (token, "Unsupported token algorithm");
    }
}

static void
test_header_variants (void)
{
  g_autofree char *minimal = sign_by_hand ("{\"alg\":\"HS256\"}", "{\"exp\":1700000600}",
                                           test_key, sizeof test_key);
  g_autofree char *crit = sign_by_hand ("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
                                        "{\"exp\":1700000600}", test_key, sizeof test_key);
  g_autofree char *array = sign_by_hand ("[\"HS256\"]", "{\"exp\":1700000600}",
                                         test_key, sizeof test_key);

  assert_accepted (minimal);
  assert_refused (crit, NULL);
  assert_refused (array, "Malformed token");
}

static void
test_exp (void)
{
  g_autofree char *past = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT "}", NOW_S - 1);
  g_autofree char *now = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT "}", NOW_S);
  g_autofree char *next = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT "}", NOW_S + 1);
  g_autofree char *past_token = sign_payload (past);
  g_autofree char *now_token = sign_payload (now);
  g_autofree char *next_token = sign_payload (next);
  g_autofree char *double_past = sign_payload ("{\"exp\":1699999999.5}");
  g_autofree char *double_next = sign_payload ("{\"exp\":1700000000.5}");
  g_autofree char *exponent = sign_payload ("{\"exp\":1.7e9}");

  assert_refused (past_token, "Token expired");
  assert_refused (now_token, "Token expired");
  assert_accepted (next_token);
  assert_refused (double_past, "Token expired");
  assert_accepted (double_next);
  assert_refused (exponent, "Token expired");
}

static void
test_exp_required_and_numeric (void)
{
  static const char *payloads[] = {
    "{\"sub\":\"alice\"}",
    "{}",
    "{\"exp\":\"1700000600\"}",
    "{\"exp\":true}",
    "{\"exp\":null}",
    "{\"exp\":[1700000600]}",
    "{\"exp\":{\"at\":1700000600}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (payloads); i++)
    {
      g_autofree char *token = sign_payload (payloads[i]);

      assert_refused (token, i < 2 ? "Token has no expiry" : "Malformed token");
    }
}

static void
test_iat_in_future (void)
{
  g_autofree char *far = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT ",\"iat\":%" G_GINT64_FORMAT "}",
                                          NOW_S + 7200, NOW_S + 3600);
  g_autofree char *edge = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT ",\"iat\":%" G_GINT64_FORMAT "}",
                                           NOW_S + 7200, NOW_S + 61);
  g_autofree char *skew = g_strdup_printf ("{\"exp\":%" G_GINT64_FORMAT ",\"iat\":%" G_GINT64_FORMAT "}",
                                           NOW_S + 7200, NOW_S + 60);
  g_autofree char *far_token = sign_payload (far);
  g_autofree char *edge_token = sign_payload (edge);
  g_autofree char *skew_token = sign_payload (skew);
  g_autofree char *text_token = sign_payload ("{\"exp\":1700000600,\"iat\":\"now\"}");

  assert_refused (far_token, "Token issued in the future");
  assert_refused (edge_token, "Token issued in the future");
  /* A minute of clock skew is tolerated. */
  assert_accepted (skew_token);
  assert_refused (text_token, "Malformed token");
}

static void
test_wrong_key (void)
{
  g_autoptr(JsonObject) claims = new_claims (NOW_S + 600);
  g_autofree char *token = NULL;
  guint8 other_key[VIGIL_JWT_KEY_BYTES];

  memcpy (other_key, test_key, sizeof other_key);
  other_key[31] ^= 0x01;
  token = vigil_jwt_encode (claims, other_key, sizeof other_key);

  assert_refused (token, "Invalid token signature");
}

/* A correctly signed token of exactly @length characters, or NULL. */
static char *
signed_token_of_length (gsize length)
{
  for (gsize filler = 0; filler < VIGIL_JWT_MAX_LENGTH; filler++)
    {
      g_autofree char *padding = g_strnfill (filler, 'x');
      g_autofree char *payload = g_strdup_printf ("{\"exp\":1700000600,\"pad\":\"%s\"}", padding);
      g_autofree char *token = sign_payload (payload);

      if (strlen (token) == length)
        return g_steal_pointer (&token);
      if (strlen (token) > length)
        return NULL;
    }
  return NULL;
}

static void
test_too_long (void)
{
  g_autofree char *longest = signed_token_of_length (VIGIL_JWT_MAX_LENGTH);
  g_autofree char *too_long = NULL;
  g_autofree char *huge = NULL;

  g_assert_nonnull (longest);
  assert_accepted (longest);

  /* One character more is refused, although correctly signed. */
  too_long = signed_token_of_length (VIGIL_JWT_MAX_LENGTH + 1);
  if (too_long == NULL)
    too_long = signed_token_of_length (VIGIL_JWT_MAX_LENGTH + 2);
  g_assert_nonnull (too_long);
  assert_refused (too_long, "Token too long");

  huge = g_strnfill (1024 * 1024, 'A');
  assert_refused (huge, "Token too long");
}

static void
test_malformed (void)
{
  g_autofree char *object = b64 ("{}");
  g_autofree char *four_parts = NULL;
  g_autofree char *array_payload = sign_payload ("[1700000600]");
  g_autofree char *string_payload = sign_payload ("\"exp\"");
  g_autofree char *broken_payload = sign_payload ("{\"exp\":1700000600");
  g_autofree char *empty_payload = sign_payload ("");
  g_auto(GStrv) parts = genuine_parts ();
  g_autofree char *padded = NULL;
  static const char *shapes[] = {
    "", ".", "..", "...", "a", "a.b", "a.b.c", "a..c", "..c",
  };

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    assert_refused (shapes[i], "Malformed token");

  four_parts = g_strjoin (".", parts[0], parts[1], parts[2], object, NULL);
  assert_refused (four_parts, "Malformed token");
  padded = g_strjoin (".", parts[0], parts[1], "=", NULL);
  assert_refused (padded, "Malformed token");

  assert_refused (array_payload, "Malformed token");
  assert_refused (string_payload, "Malformed token");
  assert_refused (broken_payload, "Malformed token");
  assert_refused (empty_payload, "Malformed token");
}

/* RFC 7515 appendix A.1: the JWS example with HMAC SHA-256. */
static void
test_rfc7515_a1 (void)
{
  static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
  static const char payload[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
  static const char jwk_k[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
  static const char token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autofree guint8 *key = NULL;
  g_autofree char *signed_here = NULL;
  gsize key_length = 0;

  key = vigil_base64url_decode (jwk_k, &key_length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (key_length, ==, 64);

  /* Our encoding of the RFC's octets and our MAC give the RFC's token. */
  signed_here = sign_by_hand (header, payload, key, key_length);
  g_assert_cmpstr (signed_here, ==, token);

  claims = vigil_jwt_decode (token, key, key_length, 1300819380 - 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (claims);
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, "joe");
  g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, 1300819380);
  g_assert_true (json_object_get_boolean_member (claims, "http://example.com/is_root"));

  assert_refused_full (token, key, key_length, 1300819380, "Token expired");
  assert_refused_full (token, test_key, sizeof test_key, 1300819380 - 1, "Invalid token signature");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");

  g_test_add_func ("/jwt/base64url/vectors", test_base64url_vectors);
  g_test_add_func ("/jwt/base64url/invalid", test_base64url_refuses_invalid);
  g_test_add_func ("/jwt/round-trip", test_round_trip);
  g_test_add_func ("/jwt/tampered/payload", test_tampered_payload);
  g_test_add_func ("/jwt/tampered/header", test_tampered_header);
  g_test_add_func ("/jwt/tampered/signature", test_tampered_signature);
  g_test_add_func ("/jwt/alg/none", test_alg_none);
  g_test_add_func ("/jwt/alg/other", test_alg_other);
  g_test_add_func ("/jwt/header/variants", test_header_variants);
  g_test_add_func ("/jwt/exp/expired", test_exp);
  g_test_add_func ("/jwt/exp/required", test_exp_required_and_numeric);
  g_test_add_func ("/jwt/iat/future", test_iat_in_future);
  g_test_add_func ("/jwt/key/wrong", test_wrong_key);
  g_test_add_func ("/jwt/too-long", test_too_long);
  g_test_add_func ("/jwt/malformed", test_malformed);
  g_test_add_func ("/jwt/rfc7515-a1", test_rfc7515_a1);

  return g_test_run ();
}
