/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JWT claims for Vigil's tokens and the SQL that tracks them. */
#define G_LOG_DOMAIN "vigil-tokens"

#include "config.h"

#include "vigil-error.h"
#include "vigil-jwt.h"
#include "vigil-token-table.h"

void
vigil_issued_token_free (VigilIssuedToken *token)
{
  if (token == NULL)
    return;

  g_free (token->token);
  g_free (token->jti);
  g_free (token->user_id);
  g_free (token->family_id);
  g_free (token->session_id);
  g_free (token->device_id);
  g_free (token);
}

VigilIssuedToken *
vigil_token_issue (GBytes         *key,
                   VigilTokenKind  kind,
                   const char     *user_id,
                   VigilRole       role,
                   const char     *device_id,
                   const char     *session_id,
                   const char     *family_id,
                   gint64          now_us,
                   guint           lifetime_s)
{
  g_autoptr(JsonObject) claims = json_object_new ();
  VigilIssuedToken *token = g_new0 (VigilIssuedToken, 1);
  gint64 now_s = now_us / G_USEC_PER_SEC;
  gsize key_length;
  const guint8 *key_data = g_bytes_get_data (key, &key_length);

  token->jti = g_uuid_string_random ();
  token->kind = kind;
  token->user_id = g_strdup (user_id);
  token->family_id = g_strdup (family_id);
  token->session_id = g_strdup (session_id);
  token->device_id = g_strdup (device_id);
  token->issued_at_us = now_s * G_USEC_PER_SEC;
  token->expires_at_us = (now_s + lifetime_s) * G_USEC_PER_SEC;

  json_object_set_string_member (claims, "sub", user_id);
  json_object_set_string_member (claims, "role", vigil_role_to_string (role));
  json_object_set_string_member (claims, "typ", vigil_token_kind_to_string (kind));
  if (session_id != NULL)
    json_object_set_string_member (claims, "sid", session_id);
  if (device_id != NULL)
    json_object_set_string_member (claims, "dev", device_id);
  json_object_set_int_member (claims, "iat", now_s);
  json_object_set_int_member (claims, "exp", now_s + lifetime_s);
  json_object_set_string_member (claims, "jti", token->jti);

  token->token = vigil_jwt_encode (claims, key_data, key_length);
  return token;
}

static const char *
string_claim (JsonObject *claims,
              const char *name)
{
  JsonNode *node = json_object_get_member (claims, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
int_claim (JsonObject *claims,
           const char *name)
{
  JsonNode *node = json_object_get_member (claims, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return 0;
}

VigilTokenClaims *
vigil_token_parse (GBytes      *key,
                   const char  *token,
                   gint64       now_s,
                   GError     **error)
{
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(VigilTokenClaims) result = g_new0 (VigilTokenClaims, 1);
  const char *kind;
  gsize key_length;
  const guint8 *key_data = g_bytes_get_data (key, &key_length);

  claims = vigil_jwt_decode (token, key_data, key_length, now_s, error);
  if (claims == NULL)
    return NULL;

  kind = string_claim (claims, "typ");
  result->subject = g_strdup (string_claim (claims, "sub"));
  result->jti = g_strdup (string_claim (claims, "jti"));
  result->session_id = g_strdup (string_claim (claims, "sid"));
  result->device_id = g_strdup (string_claim (claims, "dev"));
  result->issued_at_s = int_claim (claims, "iat");
  result->expires_at_s = int_claim (claims, "exp");

  /* Our own signature proves we wrote these, but a token from an older or
   * different Vigil must still not be half-understood. */
  if (result->subject == NULL || result->jti == NULL || kind == NULL ||
      !vigil_role_from_string (string_claim (claims, "role"), &result->role))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Malformed token");
      return NULL;
    }

  if (g_str_equal (kind, "access"))
    result->kind = VIGIL_TOKEN_ACCESS;
  else if (g_str_equal (kind, "refresh"))
    result->kind = VIGIL_TOKEN_REFRESH;
  else if (g_str_equal (kind, "session") && result->session_id != NULL)
    result->kind = VIGIL_TOKEN_SESSION;
  else
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Malformed token");
      return NULL;
    }

  return g_steal_pointer (&result);
}

static void
bind_nullable (sqlite3_stmt *stmt,
               int           index,
               const char   *value)
{
  if (value != NULL)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

gboolean
vigil_token_table_insert (VigilDb                 *db,
                          const VigilIssuedToken  *token,
                          GError                 **error)
{
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "INSERT INTO tokens (jti, kind, user_id, family_id, session_id, device_id,"
                           "                    issued_at, expires_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, token->jti, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, vigil_token_kind_to_string (token->kind), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, token->user_id, -1, SQLITE_TRANSIENT);
  bind_nullable (stmt, 4, token->family_id);
  bind_nullable (stmt, 5, token->session_id);
  bind_nullable (stmt, 6, token->device_id);
  sqlite3_bind_int64 (stmt, 7, token->issued_at_us);
  sqlite3_bind_int64 (stmt, 8, token->expires_at_us);
  return vigil_db_step_done (db, stmt, error);
}

gboolean
vigil_token_table_check_active (VigilDb     *db,
                                const char  *jti,
                                GError     **error)
{
  sqlite3_stmt *stmt = vigil_db_prepare (db, "SELECT revoked_at IS NULL FROM tokens WHERE jti = ?1", error);
  gboolean active = FALSE;
  int rc;

  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, jti, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    active = sqlite3_column_int (stmt, 0) != 0;
  else if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Checking a token failed");
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);

  if (!active)
    g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED, "Token revoked");
  return active;
}

gboolean
vigil_token_table_mark_used (VigilDb     *db,
                             const char  *jti,
                             gint64       now_us,
                             char       **out_family_id,
                             GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* One statement decides, so two concurrent refreshes cannot both win. */
  stmt = vigil_db_prepare (db,
                           "UPDATE tokens SET used_at = ?2"
                           " WHERE jti = ?1 AND kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL"
                           " RETURNING family_id",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, jti, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now_us);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *out_family_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      return vigil_db_step_done (db, stmt, error);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Rotating a refresh token failed");
      return FALSE;
    }

  /* A replay: find the family it belongs to so it can be revoked. */
  stmt = vigil_db_prepare (db, "SELECT family_id FROM tokens WHERE jti = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, jti, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    *out_family_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return FALSE;
}

gint64
vigil_token_table_revoke (VigilDb     *db,
                          const char  *user_id,
                          const char  *device_id,
                          const char  *session_id,
                          const char  *family_id,
                          const char  *jti,
                          gint64       now_us,
                          const char  *reason,
                          GError     **error)
{
  sqlite3_stmt *stmt;

  stmt = vigil_db_prepare (db,
                           "UPDATE tokens SET revoked_at = ?6, revoke_reason = ?7"
                           " WHERE revoked_at IS NULL AND expires_at > ?6"
                           "   AND (?1 IS NULL OR user_id = ?1)"
                           "   AND (?2 IS NULL OR device_id = ?2)"
                           "   AND (?3 IS NULL OR session_id = ?3)"
                           "   AND (?4 IS NULL OR family_id = ?4)"
                           "   AND (?5 IS NULL OR jti = ?5)",
                           error);
  if (stmt == NULL)
    return -1;

  bind_nullable (stmt, 1, user_id);
  bind_nullable (stmt, 2, device_id);
  bind_nullable (stmt, 3, session_id);
  bind_nullable (stmt, 4, family_id);
  bind_nullable (stmt, 5, jti);
  sqlite3_bind_int64 (stmt, 6, now_us);
  bind_nullable (stmt, 7, reason);
  if (!vigil_db_step_done (db, stmt, error))
    return -1;
  return sqlite3_changes (vigil_db_get_handle (db));
}

GPtrArray *
vigil_token_table_list_active (VigilDb     *db,
                               const char  *user_id,
                               gint64       now_us,
                               GError     **error)
{
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func ((GDestroyNotify) vigil_token_info_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = vigil_db_prepare (db,
                           "SELECT jti, kind, device_id, session_id, issued_at, expires_at FROM tokens"
                           " WHERE user_id = ?1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > ?2"
                           " ORDER BY issued_at DESC, jti",
                           error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now_us);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      VigilTokenInfo *info = g_new0 (VigilTokenInfo, 1);
      const char *kind = (const char *) sqlite3_column_text (stmt, 1);

      info->jti = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      info->kind = g_strcmp0 (kind, "refresh") == 0 ? VIGIL_TOKEN_REFRESH
                 : g_strcmp0 (kind, "session") == 0 ? VIGIL_TOKEN_SESSION
                 : VIGIL_TOKEN_ACCESS;
      info->device_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      info->session_id = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      info->issued_at_us = sqlite3_column_int64 (stmt, 4);
      info->expires_at_us = sqlite3_column_int64 (stmt, 5);
      g_ptr_array_add (tokens, info);
    }

  if (rc != SQLITE_DONE)
    {
      vigil_db_set_error (db, error, "Listing tokens failed");
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);
  return g_steal_pointer (&tokens);
}
