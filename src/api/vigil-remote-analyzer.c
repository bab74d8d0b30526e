/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilRemoteAnalyzer: the risk engine's VigilAnalyzer over HTTP, for a
 * remote ML engine with the guide's endpoints (another Vigil, or the
 * seed's engine). Every failure to get a usable answer is one
 * VIGIL_ERROR_UNAVAILABLE, so that the engine falls back to local
 * analysis; nothing is retried. */
#define G_LOG_DOMAIN "vigil-remote-analyzer"

#include "config.h"

#include <string.h>

#include "vigil-error.h"
#include "vigil-remote-analyzer.h"

/* A login's token is renewed this long before it expires. */
#define TOKEN_MARGIN_US (30 * G_USEC_PER_SEC)

struct _VigilRemoteAnalyzer
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base;              /* scheme://host[:port][/path], no credentials */
  char        *email;             /* login credentials; NULL with a static token or none */
  char        *password;
  char        *token;
  gboolean     static_token;
  gint64       token_expires_mono_us;
  GPtrArray   *login_waiters;     /* GTask; non-NULL while a login is in flight */
};

static void vigil_remote_analyzer_iface_init (VigilAnalyzerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VigilRemoteAnalyzer, vigil_remote_analyzer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (VIGIL_TYPE_ANALYZER, vigil_remote_analyzer_iface_init))

static void
vigil_remote_analyzer_dispose (GObject *object)
{
  VigilRemoteAnalyzer *self = VIGIL_REMOTE_ANALYZER (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (vigil_remote_analyzer_parent_class)->dispose (object);
}

static void
vigil_remote_analyzer_finalize (GObject *object)
{
  VigilRemoteAnalyzer *self = VIGIL_REMOTE_ANALYZER (object);

  g_free (self->base);
  g_free (self->email);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->token);
  g_clear_pointer (&self->login_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (vigil_remote_analyzer_parent_class)->finalize (object);
}

static void
vigil_remote_analyzer_class_init (VigilRemoteAnalyzerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_remote_analyzer_dispose;
  object_class->finalize = vigil_remote_analyzer_finalize;
}

static void
vigil_remote_analyzer_init (VigilRemoteAnalyzer *self)
{
  self->session = soup_session_new_with_options ("timeout", VIGIL_REMOTE_ANALYZER_TIMEOUT_SECONDS,
                                                 "user-agent", "Vigil/" PACKAGE_VERSION " ", NULL);
}

/* Checked by the engine's rule first, so that the console refuses what
 * this would refuse. */
static gboolean
parse_url (VigilRemoteAnalyzer  *self,
           const char           *url,
           GError              **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *base = NULL;
  g_autofree char *lower_scheme = NULL;
  const char *user, *password;

  if (!vigil_analyzer_check_url (url, error))
    return FALSE;
  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, NULL);
  g_assert (uri != NULL);

  lower_scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  base = g_uri_join (G_URI_FLAGS_NONE, lower_scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                     g_uri_get_path (uri), NULL, NULL);
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  self->base = g_steal_pointer (&base);

  user = g_uri_get_user (uri);
  password = g_uri_get_password (uri);
  if (password != NULL && *password != '\0' && (user == NULL || *user == '\0'))
    {
      self->token = g_strdup (password);
      self->static_token = TRUE;
    }
  else if (user != NULL && *user != '\0')
    {
      self->email = g_strdup (user);
      self->password = g_strdup (password);
    }
  return TRUE;
}

VigilRemoteAnalyzer *
vigil_remote_analyzer_new (const char  *url,
                           GError     **error)
{
  g_autoptr(VigilRemoteAnalyzer) self = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (VIGIL_TYPE_REMOTE_ANALYZER, NULL);
  if (!parse_url (self, url, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
vigil_remote_analyzer_apply (VigilEngine  *engine,
                             const char   *url,
                             GError      **error)
{
  g_autoptr(VigilRemoteAnalyzer) analyzer = NULL;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), FALSE);

  if (url != NULL && *url != '\0' && (analyzer = vigil_remote_analyzer_new (url, error)) == NULL)
    return FALSE;
  vigil_engine_set_remote_analyzer (engine, analyzer != NULL ? VIGIL_ANALYZER (analyzer) : NULL);
  return TRUE;
}

void
vigil_remote_analyzer_set_timeout (VigilRemoteAnalyzer *self,
                                   guint                seconds)
{
  g_return_if_fail (VIGIL_IS_REMOTE_ANALYZER (self));
  g_return_if_fail (seconds > 0);

  g_object_set (self->session, "timeout", seconds, NULL);
}

guint
vigil_remote_analyzer_get_timeout (VigilRemoteAnalyzer *self)
{
  g_return_val_if_fail (VIGIL_IS_REMOTE_ANALYZER (self), 0);

  return soup_session_get_timeout (self->session);
}

/* Calls: one POST with a JSON body, answered by a JSON node */

typedef struct
{
  char        *path;
  GBytes      *body;
  gboolean     absent_is_answer;   /* a 404 says the remote knows no such session */
  SoupMessage *msg;
} Call;

static void
call_free (Call *call)
{
  g_free (call->path);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_clear_object (&call->msg);
  g_free (call);
}

static GError *
unavailable (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static GError *
unavailable (const char *format,
             ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE, format, args);
  va_end (args);
  return error;
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  VigilRemoteAnalyzer *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, unavailable ("Cannot reach the ML engine: %s", error->message));
      return;
    }

  status = soup_message_get_status (call->msg);
  if (status == SOUP_STATUS_UNAUTHORIZED && self->email != NULL)
    g_clear_pointer (&self->token, g_free);
  if (status == SOUP_STATUS_NOT_FOUND && call->absent_is_answer)
    {
      g_task_return_pointer (task, json_node_init_null (json_node_alloc ()), (GDestroyNotify) json_node_unref);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_task_return_error (task, unavailable ("The ML engine answered %s with HTTP %u %s", call->path, status,
                                              soup_status_get_phrase (status) ? soup_status_get_phrase (status) : ""));
      return;
    }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error) ||
      json_parser_get_root (parser) == NULL)
    {
      g_task_return_error (task, unavailable ("Malformed reply to %s: %s", call->path,
                                              error ? error->message : "empty"));
      return;
    }
  g_task_return_pointer (task, json_node_copy (json_parser_get_root (parser)), (GDestroyNotify) json_node_unref);
}

static void
send_call (VigilRemoteAnalyzer *self,
           GTask               *task)
{
  Call *call = g_task_get_task_data (task);
  g_autofree char *url = g_strconcat (self->base, call->path, NULL);

  if (g_task_return_error_if_cancelled (task))
    return;
  call->msg = soup_message_new (SOUP_METHOD_POST, url);
  g_assert (call->msg != NULL);
  soup_message_set_request_body_from_bytes (call->msg, "application/json", call->body);
  if (self->token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (call->msg), "Authorization", authorization);
    }
  soup_session_send_and_read_async (self->session, call->msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    on_sent, g_object_ref (task));
}

/* Logging in */

static void
finish_login (VigilRemoteAnalyzer *self,
              const GError        *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->login_waiters);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        send_call (self, task);
    }
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(VigilRemoteAnalyzer) self = user_data;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;
  const char *token;
  gint64 expires_in;

  reply = g_task_propagate_pointer (G_TASK (result), &error);
  object = reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  token = object != NULL ? json_object_get_string_member_with_default (object, "access_token", NULL) : NULL;
  if (error == NULL && token == NULL)
    error = unavailable ("Malformed reply to /api/login: no access_token");
  if (error != NULL)
    {
      g_prefix_error (&error, "Logging in at the ML engine failed: ");
      finish_login (self, error);
      return;
    }
  g_free (self->token);
  self->token = g_strdup (token);
  expires_in = json_object_get_int_member_with_default (object, "expires_in", 0);
  /* Without a lifetime it is used until the remote refuses it (401). */
  self->token_expires_mono_us = expires_in > 0 ? g_get_monotonic_time () + expires_in * G_USEC_PER_SEC : G_MAXINT64;
  finish_login (self, NULL);
}

static GBytes *
to_bytes (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  gsize length;
  char *text = json_to_string (root, FALSE);

  length = strlen (text);
  return g_bytes_new_take (text, length);
}

static GTask *
call_task_new (VigilRemoteAnalyzer *self,
               const char          *path,
               GBytes              *body,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  call->path = g_strdup (path);
  call->body = g_bytes_ref (body);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  return task;
}

static void
start_login (VigilRemoteAnalyzer *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GTask) task = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "email");
  json_builder_add_string_value (builder, self->email);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, self->password);
  json_builder_end_object (builder);
  body = to_bytes (builder);

  g_clear_pointer (&self->token, g_free);
  task = call_task_new (self, "/api/login", body, NULL, on_logged_in, g_object_ref (self));
  send_call (self, task);
}

/* Sends @task's call, logging in first when the credentials ask for it. */
static void
call_start (VigilRemoteAnalyzer *self,
            GTask               *task)
{
  if (self->email == NULL ||
      (self->token != NULL && (self->token_expires_mono_us == G_MAXINT64 ||
                               g_get_monotonic_time () < self->token_expires_mono_us - TOKEN_MARGIN_US)))
    {
      send_call (self, task);
      return;
    }
  if (self->login_waiters == NULL)
    {
      self->login_waiters = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->login_waiters, g_object_ref (task));
      start_login (self);
    }
  else
    g_ptr_array_add (self->login_waiters, g_object_ref (task));
}

static void
call_json (VigilRemoteAnalyzer *self,
           const char          *path,
           JsonBuilder         *builder,
           gboolean             absent_is_answer,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GBytes) body = to_bytes (builder);
  g_autoptr(GTask) task = call_task_new (self, path, body, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  ((Call *) g_task_get_task_data (task))->absent_is_answer = absent_is_answer;
  call_start (self, task);
}

/* VigilAnalyzer */

static const char *
remote_get_description (VigilAnalyzer *analyzer)
{
  return VIGIL_REMOTE_ANALYZER (analyzer)->base;
}

static void
remote_start_session_async (VigilAnalyzer       *analyzer,
                            const char          *user_id,
                            const char          *session_id,
                            JsonObject          *device_info,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, user_id);
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  if (device_info != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), device_info);

      json_builder_set_member_name (builder, "device_info");
      json_builder_add_value (builder, g_steal_pointer (&node));
    }
  json_builder_end_object (builder);
  call_json (VIGIL_REMOTE_ANALYZER (analyzer), "/session/start", builder, FALSE, remote_start_session_async,
             cancellable, callback, user_data);
}

static JsonObject *
remote_start_session_finish (VigilAnalyzer  *analyzer,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), error);

  if (reply == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (reply))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE,
                           "Malformed reply to /session/start: not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (reply));
}

static void
remote_analyze_async (VigilAnalyzer       *analyzer,
                      const char          *user_id,
                      const char          *session_id,
                      GPtrArray           *events,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, user_id);
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "logs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < events->len; i++)
    json_builder_add_value (builder, vigil_event_to_log_json (g_ptr_array_index (events, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  call_json (VIGIL_REMOTE_ANALYZER (analyzer), "/analyze-mobile", builder, FALSE, remote_analyze_async,
             cancellable, callback, user_data);
}

static VigilAnalyzerVerdict *
remote_analyze_finish (VigilAnalyzer  *analyzer,
                       GAsyncResult   *result,
                       GError        **error)
{
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), error);

  if (reply == NULL)
    return NULL;
  return vigil_analyzer_verdict_from_json (reply, error);
}

static void
remote_end_session_async (VigilAnalyzer       *analyzer,
                          const char          *session_id,
                          const char          *reason,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "reason");
  json_builder_add_string_value (builder, reason != NULL ? reason : "completed");
  json_builder_end_object (builder);
  call_json (VIGIL_REMOTE_ANALYZER (analyzer), "/session/end", builder, TRUE, remote_end_session_async,
             cancellable, callback, user_data);
}

static gboolean
remote_end_session_finish (VigilAnalyzer  *analyzer,
                           GAsyncResult   *result,
                           GError        **error)
{
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), error);

  return reply != NULL;
}

static void
vigil_remote_analyzer_iface_init (VigilAnalyzerInterface *iface)
{
  iface->get_description = remote_get_description;
  iface->start_session_async = remote_start_session_async;
  iface->start_session_finish = remote_start_session_finish;
  iface->analyze_async = remote_analyze_async;
  iface->analyze_finish = remote_analyze_finish;
  iface->end_session_async = remote_end_session_async;
  iface->end_session_finish = remote_end_session_finish;
}
