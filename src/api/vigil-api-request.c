/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every API surface does before and after it calls the engine: read
 * a bounded JSON body, check its fields, authenticate the bearer, and hold
 * a paused message while the engine works. */
#define G_LOG_DOMAIN "vigil-api"

#include "config.h"

#include "vigil-api-request.h"

#include <string.h>

#include "vigil-api-json.h"
#include "vigil-error.h"

static int calls_in_flight;

static GQuark
capped_body_quark (void)
{
  static GQuark quark;

  if (G_UNLIKELY (quark == 0))
    quark = g_quark_from_static_string ("vigil-api-capped-body");
  return quark;
}

void
vigil_api_reply_styled_error (SoupServerMessage *msg,
                              VigilApiStyle      style,
                              guint              status,
                              const char        *error_code,
                              const char        *text)
{
  vigil_api_reply_error_keyed (msg, status, error_code,
                               style == VIGIL_API_STYLE_FLASK ? "message" : "detail",
                               text);
}

void
vigil_api_reply_styled_gerror (SoupServerMessage *msg,
                               VigilApiStyle      style,
                               const GError      *error)
{
  vigil_api_reply_gerror_keyed (msg, error, style == VIGIL_API_STYLE_FLASK ? "message" : "detail");
}

static void
reply_too_large (SoupServerMessage *msg,
                 VigilApiStyle      style)
{
  g_autofree char *text = g_strdup_printf ("Request body larger than %u bytes",
                                           (guint) VIGIL_API_MAX_BODY_BYTES);

  /* The rest of the body is never read: the connection cannot be reused. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  vigil_api_reply_styled_error (msg, style, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large", text);
}

/* A chunked body has no declared length: keep at most the limit of it
 * instead of letting libsoup accumulate all of it. */
typedef struct
{
  GByteArray *data;
  gboolean    overflow;
} CappedBody;

static void
capped_body_free (gpointer data)
{
  CappedBody *capped = data;

  g_byte_array_unref (capped->data);
  g_free (capped);
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  CappedBody *capped = user_data;
  gsize size = g_bytes_get_size (chunk);

  if (capped->overflow)
    return;
  if (capped->data->len + size > VIGIL_API_MAX_BODY_BYTES)
    {
      capped->overflow = TRUE;
      g_byte_array_set_size (capped->data, 0);
      return;
    }
  g_byte_array_append (capped->data, g_bytes_get_data (chunk, NULL), size);
}

static void
limit_body_cb (SoupServer        *soup_server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  VigilApiStyle style = GPOINTER_TO_INT (user_data);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
    {
      if (soup_message_headers_get_content_length (headers) > VIGIL_API_MAX_BODY_BYTES)
        reply_too_large (msg, style);
    }
  else if (encoding == SOUP_ENCODING_CHUNKED)
    {
      CappedBody *capped = g_new0 (CappedBody, 1);

      capped->data = g_byte_array_new ();
      g_object_set_qdata_full (G_OBJECT (msg), capped_body_quark (), capped, capped_body_free);
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), capped);
    }
}

struct _VigilApiBody
{
  JsonParser    *parser;
  JsonObject    *object;    /* owned by the parser */
  gsize          size;      /* bytes of the body as received */
  VigilApiStyle  style;
  JsonArray     *errors;
};

/* Brackets outside strings, counted without parsing. */
static gboolean
json_depth_within (const char *data,
                   gsize       length,
                   guint       max_depth)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return TRUE;
}

static gboolean
is_blank (const char *data,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  return TRUE;
}

static JsonObject *
validation_error_new (const char *name,
                      const char *message,
                      const char *type)
{
  JsonObject *error = json_object_new ();
  JsonArray *loc = json_array_new ();

  json_array_add_string_element (loc, "body");
  if (name != NULL)
    json_array_add_string_element (loc, name);
  json_object_set_array_member (error, "loc", loc);
  json_object_set_string_member (error, "msg", message);
  json_object_set_string_member (error, "type", type);
  return error;
}

static void
reply_validation_errors (SoupServerMessage *msg,
                         VigilApiStyle      style,
                         JsonArray         *errors)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) list = json_node_new (JSON_NODE_ARRAY);

  json_node_set_array (list, errors);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, "validation_error");
  if (style == VIGIL_API_STYLE_FLASK)
    {
      /* Flask clients read one sentence; the list follows for the curious. */
      JsonObject *first = json_array_get_object_element (errors, 0);
      JsonArray *loc = json_object_get_array_member (first, "loc");
      g_autofree char *text = NULL;

      text = g_strdup_printf ("%s: %s",
                              json_array_get_length (loc) > 1 ? json_array_get_string_element (loc, 1) : "body",
                              json_object_get_string_member (first, "msg"));
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, text);
    }
  json_builder_set_member_name (builder, "detail");
  json_builder_add_value (builder, g_steal_pointer (&list));
  json_builder_end_object (builder);

  vigil_api_reply_builder (msg,
                           style == VIGIL_API_STYLE_FLASK ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_UNPROCESSABLE_ENTITY,
                           builder);
}

static void
reply_body_error (SoupServerMessage *msg,
                  VigilApiStyle      style,
                  const char        *message,
                  const char        *type)
{
  g_autoptr(JsonArray) errors = json_array_new ();

  json_array_add_object_element (errors, validation_error_new (NULL, message, type));
  reply_validation_errors (msg, style, errors);
}

VigilApiBody *
vigil_api_body_parse (SoupServerMessage *msg,
                      VigilApiStyle      style)
{
  CappedBody *capped = g_object_get_qdata (G_OBJECT (msg), capped_body_quark ());
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GBytes) bytes = NULL;
  VigilApiBody *body;
  const char *data;
  gsize length;
  JsonNode *root;

  if (capped != NULL && capped->overflow)
    {
      reply_too_large (msg, style);
      return NULL;
    }
  if (capped != NULL)
    bytes = g_bytes_new (capped->data->data, capped->data->len);
  else
    bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  data = g_bytes_get_data (bytes, &length);
  if (length > VIGIL_API_MAX_BODY_BYTES)
    {
      reply_too_large (msg, style);
      return NULL;
    }
  if (data == NULL || is_blank (data, length))
    {
      reply_body_error (msg, style, "field required", "value_error.missing");
      return NULL;
    }

  parser = json_parser_new ();
  if (!g_utf8_validate_len (data, length, NULL) ||
      !json_depth_within (data, length, VIGIL_API_MAX_JSON_DEPTH) ||
      !json_parser_load_from_data (parser, data, length, NULL))
    {
      vigil_api_reply_styled_error (msg, style, SOUP_STATUS_BAD_REQUEST, "bad_request", "Invalid JSON body");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      reply_body_error (msg, style, "value is not a valid dict", "type_error.dict");
      return NULL;
    }

  body = g_new0 (VigilApiBody, 1);
  body->object = json_node_get_object (root);
  body->parser = g_steal_pointer (&parser);
  body->size = length;
  body->style = style;
  body->errors = json_array_new ();
  return body;
}

JsonObject *
vigil_api_body_get_object (VigilApiBody *body)
{
  g_return_val_if_fail (body != NULL, NULL);

  return body->object;
}

gsize
vigil_api_body_get_size (VigilApiBody *body)
{
  g_return_val_if_fail (body != NULL, 0);

  return body->size;
}

void
vigil_api_body_add_error (VigilApiBody *body,
                          JsonArray    *loc,
                          const char   *message,
                          const char   *type)
{
  g_autoptr(JsonArray) owned = loc;
  JsonObject *error;
  JsonArray *full;

  g_return_if_fail (body != NULL);
  g_return_if_fail (message != NULL && type != NULL);

  error = validation_error_new (NULL, message, type);
  full = json_object_get_array_member (error, "loc");
  for (guint i = 0; owned != NULL && i < json_array_get_length (owned); i++)
    json_array_add_element (full, json_node_copy (json_array_get_element (owned, i)));
  json_array_add_object_element (body->errors, error);
}

static JsonNode *
get_member (VigilApiBody *body,
            const char   *name,
            gboolean      required)
{
  JsonNode *node = json_object_get_member (body->object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required && node == NULL)
        json_array_add_object_element (body->errors,
                                       validation_error_new (name, "field required", "value_error.missing"));
      else if (required)
        json_array_add_object_element (body->errors,
                                       validation_error_new (name, "none is not an allowed value",
                                                             "type_error.none.not_allowed"));
      return NULL;
    }

  return node;
}

const char *
vigil_api_body_get_string (VigilApiBody *body,
                           const char   *name,
                           gboolean      required)
{
  JsonNode *node;

  g_return_val_if_fail (body != NULL, NULL);

  node = get_member (body, name, required);
  if (node == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      json_array_add_object_element (body->errors,
                                     validation_error_new (name, "str type expected", "type_error.str"));
      return NULL;
    }

  return json_node_get_string (node);
}

JsonObject *
vigil_api_body_get_member_object (VigilApiBody *body,
                                  const char   *name,
                                  gboolean      required)
{
  JsonNode *node;

  g_return_val_if_fail (body != NULL, NULL);

  node = get_member (body, name, required);
  if (node == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      json_array_add_object_element (body->errors,
                                     validation_error_new (name, "value is not a valid dict", "type_error.dict"));
      return NULL;
    }

  return json_node_get_object (node);
}

gboolean
vigil_api_body_validate (VigilApiBody      *body,
                         SoupServerMessage *msg)
{
  g_return_val_if_fail (body != NULL, FALSE);

  if (json_array_get_length (body->errors) == 0)
    return TRUE;

  reply_validation_errors (msg, body->style, body->errors);
  return FALSE;
}

void
vigil_api_body_free (VigilApiBody *body)
{
  if (body == NULL)
    return;

  g_clear_object (&body->parser);
  g_clear_pointer (&body->errors, json_array_unref);
  g_free (body);
}

const char *
vigil_api_get_client_address (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "unknown";
}

static void
reply_unauthorized (SoupServerMessage *msg,
                    VigilApiStyle      style,
                    const char        *text)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
  vigil_api_reply_styled_error (msg, style, SOUP_STATUS_UNAUTHORIZED, "unauthorized", text);
}

/* FastAPI's HTTPBearer refuses a request without credentials with 403;
 * Flask-JWT answers 401 for every token problem. */
static void
reply_not_authenticated (SoupServerMessage *msg,
                         VigilApiStyle      style,
                         const char        *text)
{
  if (style == VIGIL_API_STYLE_FLASK)
    reply_unauthorized (msg, style, text);
  else
    vigil_api_reply_styled_error (msg, style, SOUP_STATUS_FORBIDDEN, "not_authenticated", text);
}

VigilTokenClaims *
vigil_api_authenticate (SoupServerMessage *msg,
                        VigilAuth         *auth,
                        VigilApiStyle      style,
                        guint              kinds)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  g_autofree char *scheme = NULL;
  const char *credentials;
  const char *space;

  if (header != NULL)
    {
      while (*header == ' ' || *header == '\t')
        header++;
      space = strpbrk (header, " \t");
      scheme = space != NULL ? g_strndup (header, space - header) : g_strdup (header);
      credentials = space != NULL ? space : "";
      while (*credentials == ' ' || *credentials == '\t')
        credentials++;
    }
  else
    credentials = "";

  if (header == NULL || *scheme == '\0' || *credentials == '\0')
    {
      reply_not_authenticated (msg, style,
                               style == VIGIL_API_STYLE_FLASK ? "Missing Authorization Header" : "Not authenticated");
      return NULL;
    }
  if (g_ascii_strcasecmp (scheme, "Bearer") != 0)
    {
      reply_not_authenticated (msg, style, "Invalid authentication credentials");
      return NULL;
    }

  return vigil_api_authenticate_token (msg, auth, style, kinds, credentials);
}

VigilTokenClaims *
vigil_api_authenticate_token (SoupServerMessage *msg,
                              VigilAuth         *auth,
                              VigilApiStyle      style,
                              guint              kinds,
                              const char        *token)
{
  g_autoptr(VigilTokenClaims) claims = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (token != NULL, NULL);

  claims = vigil_auth_authenticate (auth, token, -1, &error);
  if (claims == NULL && !g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_UNAUTHORIZED))
    {
      /* A closed or failing store is not the client's fault. */
      vigil_api_reply_styled_gerror (msg, style, error);
      return NULL;
    }
  if (claims == NULL || (kinds & VIGIL_API_TOKEN_KIND (claims->kind)) == 0)
    {
      reply_unauthorized (msg, style,
                          style == VIGIL_API_STYLE_FLASK ? "Invalid or expired token" : "Could not validate credentials");
      return NULL;
    }

  return g_steal_pointer (&claims);
}

static void
on_message_gone (VigilApiCall *call)
{
  if (!call->gone)
    g_debug ("%s %s: the client went away before the reply",
             soup_server_message_get_method (call->msg),
             g_uri_get_path (soup_server_message_get_uri (call->msg)));
  call->gone = TRUE;
}

VigilApiCall *
vigil_api_call_new (VigilServer       *server,
                    SoupServerMessage *msg,
                    VigilApiStyle      style,
                    VigilApiBody      *body,
                    VigilTokenClaims  *claims)
{
  VigilApiCall *call;

  g_return_val_if_fail (VIGIL_IS_SERVER (server), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (msg), NULL);

  call = g_new0 (VigilApiCall, 1);
  call->server = g_object_ref (server);
  call->auth = g_object_ref (vigil_engine_get_auth (vigil_server_get_engine (server)));
  call->msg = g_object_ref (msg);
  call->style = style;
  call->client_address = g_strdup (vigil_api_get_client_address (msg));
  call->body = body;
  call->claims = claims;

  /* Either means the connection is gone: there is nothing to resume. */
  call->disconnected_id = g_signal_connect_swapped (msg, "disconnected", G_CALLBACK (on_message_gone), call);
  call->finished_id = g_signal_connect_swapped (msg, "finished", G_CALLBACK (on_message_gone), call);

  soup_server_message_pause (msg);
  g_atomic_int_inc (&calls_in_flight);
  return call;
}

void
vigil_api_call_set_data (VigilApiCall   *call,
                         gpointer        data,
                         GDestroyNotify  data_destroy)
{
  g_return_if_fail (call != NULL);

  if (call->data_destroy != NULL)
    call->data_destroy (call->data);
  call->data = data;
  call->data_destroy = data_destroy;
}

void
vigil_api_call_complete (VigilApiCall *call)
{
  g_return_if_fail (call != NULL);

  g_clear_signal_handler (&call->disconnected_id, call->msg);
  g_clear_signal_handler (&call->finished_id, call->msg);
  if (!call->gone)
    soup_server_message_unpause (call->msg);

  vigil_api_call_set_data (call, NULL, NULL);
  g_clear_pointer (&call->claims, vigil_token_claims_free);
  g_clear_pointer (&call->body, vigil_api_body_free);
  g_clear_pointer (&call->client_address, g_free);
  g_clear_object (&call->msg);
  g_clear_object (&call->auth);
  g_clear_object (&call->server);
  g_free (call);

  g_atomic_int_dec_and_test (&calls_in_flight);
}

guint
vigil_api_calls_in_flight (void)
{
  return g_atomic_int_get (&calls_in_flight);
}

/* The routes of one surface that share the path libsoup dispatches on. */
typedef struct
{
  VigilServer *server;   /* not owned: the server owns the handler */
  GPtrArray   *routes;   /* const VigilApiRoute * */
} RouteHandler;

static void
route_handler_free (gpointer data)
{
  RouteHandler *handler = data;

  g_ptr_array_unref (handler->routes);
  g_free (handler);
}

static char *
route_template (const VigilApiRoute *route)
{
  if (route->flags & VIGIL_API_ROUTE_SEGMENT)
    return g_strconcat (route->path, "/{}", NULL);
  return g_strdup (route->path);
}

/* The path up to the first {} segment: where libsoup dispatches. */
static char *
route_prefix (const VigilApiRoute *route)
{
  g_autofree char *template = route_template (route);
  const char *hole = strstr (template, "/{}");

  return hole != NULL ? g_strndup (template, hole - template) : g_steal_pointer (&template);
}

/* A route without segments also matches with a trailing slash; a {}
 * segment matches one non-empty segment, percent-decoded into
 * @out_segment. */
static gboolean
route_match (const VigilApiRoute  *route,
             const char           *path,
             char                **out_segment)
{
  g_autofree char *template = route_template (route);
  g_autofree char *segment = NULL;
  g_auto(GStrv) want = NULL;
  g_auto(GStrv) got = NULL;

  if (strstr (template, "{}") == NULL)
    {
      gsize length = strlen (template);

      return strncmp (path, template, length) == 0 &&
             (path[length] == '\0' || g_str_equal (path + length, "/"));
    }

  want = g_strsplit (template, "/", -1);
  got = g_strsplit (path, "/", -1);
  if (g_strv_length (want) != g_strv_length (got))
    return FALSE;
  for (guint i = 0; want[i] != NULL; i++)
    {
      if (!g_str_equal (want[i], "{}"))
        {
          if (!g_str_equal (want[i], got[i]))
            return FALSE;
        }
      else if (*got[i] == '\0' || segment != NULL ||
               (segment = g_uri_unescape_string (got[i], "/")) == NULL)
        return FALSE;
    }

  *out_segment = g_steal_pointer (&segment);
  return TRUE;
}

static gboolean
method_matches (const char *route_method,
                const char *method)
{
  return g_str_equal (route_method, method) ||
         (g_str_equal (route_method, SOUP_METHOD_GET) && g_str_equal (method, SOUP_METHOD_HEAD));
}

static void
route_cb (SoupServer        *soup_server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  RouteHandler *handler = user_data;
  const char *method = soup_server_message_get_method (msg);
  const VigilApiRoute *first_match = NULL;
  g_autoptr(GString) allow = NULL;

  for (guint i = 0; i < handler->routes->len; i++)
    {
      const VigilApiRoute *route = g_ptr_array_index (handler->routes, i);
      g_autofree char *segment = NULL;

      if (!route_match (route, path, &segment))
        continue;
      if (method_matches (route->method, method))
        {
          route->handler (handler->server, msg, segment);
          return;
        }
      if (first_match == NULL)
        first_match = route;
      else
        {
          /* Several methods on one path: Allow lists them all. */
          if (allow == NULL)
            allow = g_string_new (NULL);
          g_string_append_printf (allow, "%s%s", allow->len > 0 ? ", " : "", route->method);
        }
    }

  if (first_match == NULL)
    vigil_api_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "Not Found");
  else if (allow == NULL)
    vigil_api_require_method (msg, first_match->method, NULL);
  else
    {
      g_autofree char *detail = g_strdup_printf ("Method %s is not allowed here", method);

      g_string_prepend (allow, ", ");
      g_string_prepend (allow, first_match->method);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow->str);
      vigil_api_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed", detail);
    }
}

void
vigil_api_install_routes (VigilServer         *server,
                          SoupServer          *soup_server,
                          const VigilApiRoute *routes,
                          guint                n_routes)
{
  g_autoptr(GHashTable) handlers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < n_routes; i++)
    {
      g_autofree char *prefix = route_prefix (&routes[i]);
      RouteHandler *handler = g_hash_table_lookup (handlers, prefix);

      if (handler == NULL)
        {
          handler = g_new0 (RouteHandler, 1);
          handler->server = server;
          handler->routes = g_ptr_array_new ();
          soup_server_add_handler (soup_server, prefix, route_cb, handler, route_handler_free);
          g_hash_table_insert (handlers, g_strdup (prefix), handler);
        }
      g_ptr_array_add (handler->routes, (gpointer) &routes[i]);

      /* A later route of the prefix replaces the early handler of an
       * earlier one: same limit, last style. */
      if (routes[i].flags & VIGIL_API_ROUTE_BODY)
        soup_server_add_early_handler (soup_server, prefix, limit_body_cb,
                                       GINT_TO_POINTER (routes[i].style), NULL);
    }
}
