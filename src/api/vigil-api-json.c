/* SPDX-License-Identifier: GPL-3.0-or-later */
/* JSON replies and the mapping from engine errors to HTTP statuses. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-json.h"
#include "vigil-error.h"

void
vigil_api_reply_json (SoupServerMessage *msg,
                      guint              status,
                      JsonNode          *node)
{
  g_autoptr(JsonNode) owned = node;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  char *body;
  gsize length;

  json_generator_set_root (generator, owned);
  body = json_generator_to_data (generator, &length);

  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, length);
}

void
vigil_api_reply_builder (SoupServerMessage *msg,
                         guint              status,
                         JsonBuilder       *builder)
{
  vigil_api_reply_json (msg, status, json_builder_get_root (builder));
}

void
vigil_api_reply_error (SoupServerMessage *msg,
                       guint              status,
                       const char        *error_code,
                       const char        *detail)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error_code);
  json_builder_set_member_name (builder, "detail");
  json_builder_add_string_value (builder, detail);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, status, builder);
}

guint
vigil_api_status_for_error (const GError *error)
{
  if (error->domain != VIGIL_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;

  switch ((VigilError) error->code)
    {
    case VIGIL_ERROR_INVALID_INPUT:
      return SOUP_STATUS_BAD_REQUEST;
    case VIGIL_ERROR_NOT_FOUND:
      return SOUP_STATUS_NOT_FOUND;
    case VIGIL_ERROR_CONFLICT:
      return SOUP_STATUS_CONFLICT;
    case VIGIL_ERROR_UNAUTHORIZED:
      return SOUP_STATUS_UNAUTHORIZED;
    case VIGIL_ERROR_FORBIDDEN:
      return SOUP_STATUS_FORBIDDEN;
    case VIGIL_ERROR_RATE_LIMITED:
      return VIGIL_HTTP_TOO_MANY_REQUESTS;
    case VIGIL_ERROR_LOCKED:
      return VIGIL_HTTP_LOCKED;
    case VIGIL_ERROR_TOO_LARGE:
      return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    case VIGIL_ERROR_BUSY:
    case VIGIL_ERROR_CLOSED:
    case VIGIL_ERROR_UNAVAILABLE:
      return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case VIGIL_ERROR_FAILED:
    case VIGIL_ERROR_DATABASE:
    case VIGIL_ERROR_SCHEMA_TOO_NEW:
    default:
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}

static const char *
error_code_for_status (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_BAD_REQUEST:
      return "bad_request";
    case SOUP_STATUS_UNAUTHORIZED:
      return "unauthorized";
    case SOUP_STATUS_FORBIDDEN:
      return "forbidden";
    case SOUP_STATUS_NOT_FOUND:
      return "not_found";
    case SOUP_STATUS_CONFLICT:
      return "conflict";
    case VIGIL_HTTP_TOO_MANY_REQUESTS:
      return "rate_limited";
    case VIGIL_HTTP_LOCKED:
      return "locked";
    case SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE:
      return "too_large";
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
      return "unavailable";
    default:
      return "internal_error";
    }
}

void
vigil_api_reply_error_keyed (SoupServerMessage *msg,
                             guint              status,
                             const char        *error_code,
                             const char        *key,
                             const char        *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error_code);
  json_builder_set_member_name (builder, key);
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg, status, builder);
}

void
vigil_api_reply_gerror_keyed (SoupServerMessage *msg,
                              const GError      *error,
                              const char        *key)
{
  guint status = vigil_api_status_for_error (error);
  guint retry_after = error->domain == VIGIL_ERROR ? vigil_error_get_retry_after (error) : 0;

  if (retry_after > 0)
    {
      g_autofree char *seconds = g_strdup_printf ("%u", retry_after);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", seconds);
    }

  /* Internal failures are logged in full but answered vaguely: their text
   * can name files and queries a client has no business seeing. */
  if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR)
    {
      g_warning ("Request %s %s failed: %s",
                 soup_server_message_get_method (msg),
                 g_uri_get_path (soup_server_message_get_uri (msg)),
                 error->message);
      vigil_api_reply_error_keyed (msg, status, error_code_for_status (status), key, "Internal server error");
      return;
    }

  vigil_api_reply_error_keyed (msg, status, error_code_for_status (status), key, error->message);
}

void
vigil_api_reply_gerror (SoupServerMessage *msg,
                        const GError      *error)
{
  vigil_api_reply_gerror_keyed (msg, error, "detail");
}

gboolean
vigil_api_require_method (SoupServerMessage *msg,
                          const char        *first_allowed,
                          ...)
{
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, first_allowed);
  for (const char *allowed = first_allowed; allowed != NULL; allowed = va_arg (args, const char *))
    {
      if (g_str_equal (method, allowed) ||
          (g_str_equal (allowed, SOUP_METHOD_GET) && g_str_equal (method, SOUP_METHOD_HEAD)))
        {
          va_end (args);
          return TRUE;
        }
      if (allow->len > 0)
        g_string_append (allow, ", ");
      g_string_append (allow, allowed);
      if (g_str_equal (allowed, SOUP_METHOD_GET))
        g_string_append (allow, ", HEAD");
    }
  va_end (args);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow->str);
  detail = g_strdup_printf ("Method %s is not allowed here", method);
  vigil_api_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", detail);
  return FALSE;
}

void
vigil_api_builder_add_nullable_string (JsonBuilder *builder,
                                       const char  *name,
                                       const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
vigil_api_builder_add_time (JsonBuilder *builder,
                            const char  *name,
                            gint64       at_us)
{
  g_autoptr(GDateTime) seconds = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *text = NULL;

  json_builder_set_member_name (builder, name);
  if (at_us <= 0 || (seconds = g_date_time_new_from_unix_utc (at_us / G_USEC_PER_SEC)) == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  at = g_date_time_add (seconds, at_us % G_USEC_PER_SEC);
  text = g_date_time_format_iso8601 (at);
  json_builder_add_string_value (builder, text);
}
