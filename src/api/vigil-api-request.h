/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vigil-server.h"

G_BEGIN_DECLS

/* Larger bodies are refused with 413, before they are read when the
 * client declares their length. */
#define VIGIL_API_MAX_BODY_BYTES (64 * 1024)
/* json-glib parses recursively: deeper nesting is refused unparsed. */
#define VIGIL_API_MAX_JSON_DEPTH 32

/* Which framework's conventions a seed's clients expect on errors. */
typedef enum
{
  /* canara, maxidom: {"detail": ...}, 422 for validation, HTTPBearer
   * (403 without credentials, 401 for a bad token). */
  VIGIL_API_STYLE_FASTAPI,
  /* walmart: {"message": ...}, 400 for validation, 401 for every token
   * problem. */
  VIGIL_API_STYLE_FLASK,
} VigilApiStyle;

/* {"error": @error_code, "detail"|"message": @text} as @style wants it. */
void              vigil_api_reply_styled_error  (SoupServerMessage *msg,
                                                 VigilApiStyle      style,
                                                 guint              status,
                                                 const char        *error_code,
                                                 const char        *text);
/* An engine error, with Retry-After when it carries a delay. */
void              vigil_api_reply_styled_gerror (SoupServerMessage *msg,
                                                 VigilApiStyle      style,
                                                 const GError      *error);

/* A request's JSON object body, and the validation errors its fields
 * collected (FastAPI's list: {"loc": ["body", name], "msg", "type"}). */
typedef struct _VigilApiBody VigilApiBody;

/* Replies 400 (not JSON), 413 (too large) or, for a body that is not an
 * object, 422 (FastAPI) / 400 (Flask), and returns NULL. */
VigilApiBody     *vigil_api_body_parse          (SoupServerMessage *msg,
                                                 VigilApiStyle      style);
JsonObject       *vigil_api_body_get_object     (VigilApiBody      *body);
/* The body's length in bytes, as received. */
gsize             vigil_api_body_get_size       (VigilApiBody      *body);
/* A string member (NULL when absent, null, or, with an error recorded,
 * of another type). A missing @required member records an error. */
const char       *vigil_api_body_get_string     (VigilApiBody      *body,
                                                 const char        *name,
                                                 gboolean           required);
/* An object member, likewise. */
JsonObject       *vigil_api_body_get_member_object (VigilApiBody   *body,
                                                    const char     *name,
                                                    gboolean        required);
/* Records an error at ["body", @loc...] (@loc nullable, taken), for what
 * the getters cannot check, e.g. ["events", 3, "event_type"]. */
void              vigil_api_body_add_error      (VigilApiBody      *body,
                                                 JsonArray         *loc,
                                                 const char        *message,
                                                 const char        *type);
/* Replies 422 (FastAPI) / 400 (Flask) and returns FALSE when a getter
 * recorded an error. */
gboolean          vigil_api_body_validate       (VigilApiBody      *body,
                                                 SoupServerMessage *msg);
void              vigil_api_body_free           (VigilApiBody      *body);

/* The peer's IP address, for rate limits and the audit log. */
const char       *vigil_api_get_client_address  (SoupServerMessage *msg);

#define VIGIL_API_TOKEN_KIND(kind) (1u << (kind))

/* Verifies the Authorization: Bearer token, which must be of one of the
 * @kinds (VIGIL_API_TOKEN_KIND bits). Otherwise replies as @style's
 * clients expect and returns NULL. */
VigilTokenClaims *vigil_api_authenticate        (SoupServerMessage *msg,
                                                 VigilAuth         *auth,
                                                 VigilApiStyle      style,
                                                 guint              kinds);
/* The same for a token that came another way (a body member). */
VigilTokenClaims *vigil_api_authenticate_token  (SoupServerMessage *msg,
                                                 VigilAuth         *auth,
                                                 VigilApiStyle      style,
                                                 guint              kinds,
                                                 const char        *token);

/* An asynchronous reply: the message is paused, and it and the server
 * are held, until vigil_api_call_complete (). A client that went away
 * meanwhile is simply not answered. */
typedef struct
{
  VigilServer       *server;
  VigilAuth         *auth;
  SoupServerMessage *msg;
  VigilApiStyle      style;
  char              *client_address;
  VigilApiBody      *body;      /* nullable; what the engine call reads */
  VigilTokenClaims  *claims;    /* nullable */
  gpointer           data;
  GDestroyNotify     data_destroy;

  /*< private >*/
  gulong             disconnected_id;
  gulong             finished_id;
  gboolean           gone;
} VigilApiCall;

/* Takes ownership of @body and @claims (both nullable). */
VigilApiCall     *vigil_api_call_new            (VigilServer       *server,
                                                 SoupServerMessage *msg,
                                                 VigilApiStyle      style,
                                                 VigilApiBody      *body,
                                                 VigilTokenClaims  *claims);
void              vigil_api_call_set_data       (VigilApiCall      *call,
                                                 gpointer           data,
                                                 GDestroyNotify     data_destroy);
/* Sends what was set on the message and frees @call. */
void              vigil_api_call_complete       (VigilApiCall      *call);
/* Calls not yet completed, in the whole process. */
guint             vigil_api_calls_in_flight     (void);

/* A handler of one route; @segment is the decoded {} segment of its
 * path, else NULL. */
typedef void (*VigilApiHandler) (VigilServer       *server,
                                 SoupServerMessage *msg,
                                 const char        *segment);

typedef enum
{
  VIGIL_API_ROUTE_BODY    = 1 << 0,   /* reads a JSON body: size limit */
  VIGIL_API_ROUTE_SEGMENT = 1 << 1,   /* PATH/{segment}: as PATH/{} */
} VigilApiRouteFlags;

typedef struct
{
  /* At most one segment may be {}: "/api/v1/log/session/{}/status". */
  const char         *path;
  const char         *method;
  VigilApiHandler     handler;
  VigilApiRouteFlags  flags;
  VigilApiStyle       style;
} VigilApiRoute;

/* One libsoup handler per path up to the first {} (shared by the routes
 * of one call), so that other surfaces' paths next to ours stay theirs.
 * @routes must outlive the server. */
void              vigil_api_install_routes      (VigilServer         *server,
                                                 SoupServer          *soup_server,
                                                 const VigilApiRoute *routes,
                                                 guint                n_routes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilApiBody, vigil_api_body_free)

G_END_DECLS
