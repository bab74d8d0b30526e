/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VigilAnalyzer: the interface through which the risk engine asks a remote
 * ML engine, and the reading of the guide's analysis reply (shared by
 * every implementation, so that "malformed" means one thing). */
#define G_LOG_DOMAIN "vigil-analyzer"

#include "config.h"

#include "vigil-analyzer.h"
#include "vigil-error.h"

G_DEFINE_INTERFACE (VigilAnalyzer, vigil_analyzer, G_TYPE_OBJECT)

static void
vigil_analyzer_default_init (VigilAnalyzerInterface *iface)
{
}

gboolean
vigil_analyzer_check_url (const char  *url,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme, *user, *password;

  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The ML engine URL “%s” is not a URL: %s", url,
                   local_error->message);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The ML engine URL must start with http:// or https:// (not “%s:”)", scheme);
      return FALSE;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT, "The ML engine URL has no host");
      return FALSE;
    }
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "The ML engine URL must not have a query or a fragment");
      return FALSE;
    }
  user = g_uri_get_user (uri);
  password = g_uri_get_password (uri);
  if (user != NULL && *user != '\0' && (password == NULL || *password == '\0'))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                           "The ML engine URL names a user but no password (use EMAIL:PASSWORD@ or :TOKEN@)");
      return FALSE;
    }
  return TRUE;
}

VigilAnalyzerVerdict *
vigil_analyzer_verdict_new (void)
{
  VigilAnalyzerVerdict *verdict = g_new0 (VigilAnalyzerVerdict, 1);

  verdict->risk = -1;
  verdict->reasons = g_ptr_array_new_with_free_func (g_free);
  return verdict;
}

void
vigil_analyzer_verdict_free (VigilAnalyzerVerdict *verdict)
{
  if (verdict == NULL)
    return;
  g_free (verdict->decision_id);
  g_clear_pointer (&verdict->reasons, g_ptr_array_unref);
  g_free (verdict);
}

static gboolean
decision_from_string (const char    *text,
                      VigilDecision *out_decision)
{
  static const struct { const char *name; VigilDecision decision; } names[] = {
    { "allow", VIGIL_DECISION_ALLOW },
    { "monitor", VIGIL_DECISION_MONITOR },
    { "step_up", VIGIL_DECISION_STEP_UP },
    /* The seed's engine asks re-authentication on an IP change. */
    { "reauth", VIGIL_DECISION_STEP_UP },
    { "block", VIGIL_DECISION_BLOCK },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i].name) == 0)
      {
        *out_decision = names[i].decision;
        return TRUE;
      }
  return FALSE;
}

/* A number in [0, 1] under @name, or @absent when there is none. */
static gboolean
read_unit (JsonObject  *object,
           const char  *name,
           double       absent,
           double      *out_value,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type;

  *out_value = absent;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE, "Malformed reply: “%s” is not a number", name);
      return FALSE;
    }
  *out_value = json_node_get_double (node);
  if (!(*out_value >= 0 && *out_value <= 1))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE, "Malformed reply: “%s” is outside [0, 1]", name);
      return FALSE;
    }
  return TRUE;
}

static void
read_reasons (JsonObject           *object,
              VigilAnalyzerVerdict *verdict)
{
  JsonNode *node = json_object_get_member (object, "reasons");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_ptr_array_add (verdict->reasons, g_strdup (json_node_get_string (element)));
    }
}

VigilAnalyzerVerdict *
vigil_analyzer_verdict_from_json (JsonNode  *reply,
                                  GError   **error)
{
  g_autoptr(VigilAnalyzerVerdict) verdict = vigil_analyzer_verdict_new ();
  JsonObject *object;
  const char *decision;

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE, "Malformed reply: not a JSON object");
      return NULL;
    }
  object = json_node_get_object (reply);
  decision = json_object_get_string_member_with_default (object, "decision", NULL);
  if (decision == NULL || !decision_from_string (decision, &verdict->decision))
    {
      g_set_error_literal (error, VIGIL_ERROR, VIGIL_ERROR_UNAVAILABLE,
                           "Malformed reply: no decision of allow, monitor, step_up, reauth or block");
      return NULL;
    }
  /* No confidence counts as none: a block without one only steps up. */
  if (!read_unit (object, "confidence", 0, &verdict->confidence, error) ||
      !read_unit (object, "risk_score", -1, &verdict->risk, error))
    return NULL;
  verdict->decision_id = g_strdup (json_object_get_string_member_with_default (object, "decision_id", NULL));
  read_reasons (object, verdict);
  return g_steal_pointer (&verdict);
}

const char *
vigil_analyzer_get_description (VigilAnalyzer *self)
{
  g_return_val_if_fail (VIGIL_IS_ANALYZER (self), NULL);

  return VIGIL_ANALYZER_GET_IFACE (self)->get_description (self);
}

void
vigil_analyzer_start_session_async (VigilAnalyzer       *self,
                                    const char          *user_id,
                                    const char          *session_id,
                                    JsonObject          *device_info,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (VIGIL_IS_ANALYZER (self));
  g_return_if_fail (user_id != NULL && session_id != NULL);

  VIGIL_ANALYZER_GET_IFACE (self)->start_session_async (self, user_id, session_id, device_info, cancellable,
                                                        callback, user_data);
}

JsonObject *
vigil_analyzer_start_session_finish (VigilAnalyzer  *self,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (VIGIL_IS_ANALYZER (self), NULL);

  return VIGIL_ANALYZER_GET_IFACE (self)->start_session_finish (self, result, error);
}

void
vigil_analyzer_analyze_async (VigilAnalyzer       *self,
                              const char          *user_id,
                              const char          *session_id,
                              GPtrArray           *events,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (VIGIL_IS_ANALYZER (self));
  g_return_if_fail (user_id != NULL && session_id != NULL && events != NULL);

  VIGIL_ANALYZER_GET_IFACE (self)->analyze_async (self, user_id, session_id, events, cancellable, callback,
                                                  user_data);
}

VigilAnalyzerVerdict *
vigil_analyzer_analyze_finish (VigilAnalyzer  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (VIGIL_IS_ANALYZER (self), NULL);

  return VIGIL_ANALYZER_GET_IFACE (self)->analyze_finish (self, result, error);
}

void
vigil_analyzer_end_session_async (VigilAnalyzer       *self,
                                  const char          *session_id,
                                  const char          *reason,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (VIGIL_IS_ANALYZER (self));
  g_return_if_fail (session_id != NULL);

  VIGIL_ANALYZER_GET_IFACE (self)->end_session_async (self, session_id, reason, cancellable, callback,
                                                      user_data);
}

gboolean
vigil_analyzer_end_session_finish (VigilAnalyzer  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (VIGIL_IS_ANALYZER (self), FALSE);

  return VIGIL_ANALYZER_GET_IFACE (self)->end_session_finish (self, result, error);
}
