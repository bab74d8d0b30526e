/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compact HS256 JSON Web Tokens: the API's bearer tokens. Only what Vigil
 * issues is accepted; everything else is refused with one error code. */
#define G_LOG_DOMAIN "vigil-jwt"

#include "config.h"

#include "vigil-jwt.h"

#include <sodium.h>
#include <string.h>

#include "vigil-error.h"

#define VIGIL_JWT_MAC_BYTES crypto_auth_hmacsha256_BYTES
/* How far ahead of our clock another clock may put "iat". */
#define VIGIL_JWT_IAT_LEEWAY_S 60

/* The header is always these bytes, so the signature covers no choice. */
static const char jwt_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

static void
ensure_sodium (void)
{
  /* sodium_init() is idempotent; the engine has normally called it. */
  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");
}

char *
vigil_base64url_encode (const guint8 *data,
                        gsize         length)
{
  gsize text_length;
  char *text;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  ensure_sodium ();
  text_length = sodium_base64_ENCODED_LEN (length, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text = g_malloc (text_length);
  /* libsodium wants a non-NULL input even for zero bytes. */
  sodium_bin2base64 (text, text_length, length > 0 ? data : (const guint8 *) "", length,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return text;
}

guint8 *
vigil_base64url_decode (const char  *text,
                        gsize       *out_length,
                        GError     **error)
{
  g_autofree guint8 *data = NULL;
  gsize text_length;
  gsize max_length;
  size_t length = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ensure_sodium ();
  text_length = strlen (text);
  max_length = text_length / 4 * 3 + 2;
  data = g_malloc (max_length);

  /* The unpadded URL-safe variant with nothing to ignore refuses "=",
   * whitespace, characters of the other alphabet, a dangling sixth bit
   * group (length 1 mod 4) and non-zero trailing bits, so each byte string
   * has exactly one accepted text. */
  if (sodium_base642bin (data, max_length, text, text_length, NULL, &length, NULL,
                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "Invalid base64url text");
      return NULL;
    }

  if (out_length != NULL)
    *out_length = length;
  return g_steal_pointer (&data);
}

static void
compute_mac (const guint8 *key,
             gsize         key_length,
             const char   *input,
             gsize         input_length,
             guint8        mac[VIGIL_JWT_MAC_BYTES])
{
  crypto_auth_hmacsha256_state state;

  /* The multi-part API takes keys of any length, such as RFC 7515's
   * 64-byte example key; the one-shot API takes exactly 32 bytes. */
  crypto_auth_hmacsha256_init (&state, key, key_length);
  crypto_auth_hmacsha256_update (&state, (const guint8 *) input, input_length);
  crypto_auth_hmacsha256_final (&state, mac);
  sodium_memzero (&state, sizeof state);
}

char *
vigil_jwt_encode (JsonObject   *claims,
                  const guint8 *key,
                  gsize         key_length)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *payload = NULL;
  g_autofree char *header_b64 = NULL;
  g_autofree char *payload_b64 = NULL;
  g_autofree char *signing_input = NULL;
  g_autofree char *mac_b64 = NULL;
  guint8 mac[VIGIL_JWT_MAC_BYTES];
  gsize payload_length = 0;

  g_return_val_if_fail (claims != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  /* RFC 7518 §3.2: an HS256 key must be at least as long as the hash. */
  g_return_val_if_fail (key_length >= VIGIL_JWT_KEY_BYTES, NULL);

  ensure_sodium ();

  root = json_node_init_object (json_node_alloc (), claims);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  payload = json_generator_to_data (generator, &payload_length);

  header_b64 = vigil_base64url_encode ((const guint8 *) jwt_header, strlen (jwt_header));
  payload_b64 = vigil_base64url_encode ((const guint8 *) payload, payload_length);
  signing_input = g_strconcat (header_b64, ".", payload_b64, NULL);

  compute_mac (key, key_length, signing_input, strlen (signing_input), mac);
  mac_b64 = vigil_base64url_encode (mac, sizeof mac);

  return g_strconcat (signing_input, ".", mac_b64, NULL);
}

static gboolean
unauthorized (GError     **error,
              const char  *message)
{
  g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, message);
  return FALSE;
}

/* Parses base64url @part as JSON and insists on an object. */
static JsonObject *
decode_json_object (const char  *part,
                    GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *json = NULL;
  gsize json_length = 0;
  JsonNode *root;

  json = vigil_base64url_decode (part, &json_length, &local_error);
  if (json == NULL)
    {
      unauthorized (error, "Malformed token");
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) json, (gssize) json_length, &local_error))
    {
      unauthorized (error, "Malformed token");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      unauthorized (error, "Malformed token");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* A JSON number as a double; FALSE for anything else (booleans too, which
 * json-glib would otherwise convert). */
static gboolean
get_number_member (JsonObject *object,
                   const char *name,
                   double     *out_value)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out_value = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *out_value = json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

static gboolean
check_header (JsonObject  *header,
              GError     **error)
{
  JsonNode *alg = json_object_get_member (header, "alg");

  if (alg == NULL ||
      !JSON_NODE_HOLDS_VALUE (alg) ||
      json_node_get_value_type (alg) != G_TYPE_STRING ||
      g_strcmp0 (json_node_get_string (alg), "HS256") != 0)
    return unauthorized (error, "Unsupported token algorithm");

  /* RFC 7515 §4.1.11: extensions we do not understand must be refused,
   * and we understand none. */
  if (json_object_has_member (header, "crit"))
    return unauthorized (error, "Unsupported token extension");

  return TRUE;
}

static gboolean
check_times (JsonObject  *claims,
             gint64       now_s,
             GError     **error)
{
  double exp_s;
  double iat_s;

  if (!json_object_has_member (claims, "exp"))
    return unauthorized (error, "Token has no expiry");
  if (!get_number_member (claims, "exp", &exp_s))
    return unauthorized (error, "Malformed token");
  if (!(exp_s > (double) now_s))
    return unauthorized (error, "Token expired");

  if (json_object_has_member (claims, "iat"))
    {
      if (!get_number_member (claims, "iat", &iat_s))
        return unauthorized (error, "Malformed token");
      if (iat_s > (double) now_s + VIGIL_JWT_IAT_LEEWAY_S)
        return unauthorized (error, "Token issued in the future");
    }

  return TRUE;
}

JsonObject *
vigil_jwt_decode (const char    *token,
                  const guint8  *key,
                  gsize          key_length,
                  gint64         now_s,
                  GError       **error)
{
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *header_part = NULL;
  g_autofree char *payload_part = NULL;
  g_autofree guint8 *mac = NULL;
  guint8 expected[VIGIL_JWT_MAC_BYTES];
  const char *first_dot;
  const char *second_dot;
  gsize token_length;
  gsize mac_length = 0;
  gboolean mac_ok;

  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (key_length >= VIGIL_JWT_KEY_BYTES, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ensure_sodium ();

  /* strnlen: never walk further into an attacker's string than needed. */
  token_length = strnlen (token, VIGIL_JWT_MAX_LENGTH + 1);
  if (token_length > VIGIL_JWT_MAX_LENGTH)
    {
      unauthorized (error, "Token too long");
      return NULL;
    }

  first_dot = strchr (token, '.');
  second_dot = first_dot != NULL ? strchr (first_dot + 1, '.') : NULL;
  if (second_dot == NULL || strchr (second_dot + 1, '.') != NULL)
    {
      unauthorized (error, "Malformed token");
      return NULL;
    }

  mac = vigil_base64url_decode (second_dot + 1, &mac_length, &local_error);
  if (mac == NULL || mac_length != VIGIL_JWT_MAC_BYTES)
    {
      unauthorized (error, "Malformed token");
      return NULL;
    }

  /* The signature is checked before any JSON is parsed, so the parser only
   * ever sees text we signed ourselves. crypto_verify_32 is the
   * constant-time comparison crypto_auth_hmacsha256_verify() uses; we call
   * it directly because that one-shot function takes only 32-byte keys. */
  compute_mac (key, key_length, token, (gsize) (second_dot - token), expected);
  mac_ok = crypto_verify_32 (mac, expected) == 0;
  sodium_memzero (expected, sizeof expected);
  if (!mac_ok)
    {
      unauthorized (error, "Invalid token signature");
      return NULL;
    }

  header_part = g_strndup (token, (gsize) (first_dot - token));
  payload_part = g_strndup (first_dot + 1, (gsize) (second_dot - first_dot - 1));

  header = decode_json_object (header_part, error);
  if (header == NULL)
    return NULL;
  if (!check_header (header, error))
    return NULL;

  claims = decode_json_object (payload_part, error);
  if (claims == NULL)
    return NULL;
  if (!check_times (claims, now_s, error))
    return NULL;

  return g_steal_pointer (&claims);
}
