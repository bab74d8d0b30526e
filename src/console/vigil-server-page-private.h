/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-server-page.h"

G_BEGIN_DECLS

/* What tests/test-window.c reads, so that it checks what the user sees
 * without walking the widget tree. */
typedef enum
{
  VIGIL_SERVER_PAGE_FIELD_LISTEN_URL,
  VIGIL_SERVER_PAGE_FIELD_STATUS,
  VIGIL_SERVER_PAGE_FIELD_UPTIME,
  VIGIL_SERVER_PAGE_FIELD_REQUESTS_PER_SECOND,
  VIGIL_SERVER_PAGE_FIELD_REQUESTS_TOTAL,
  VIGIL_SERVER_PAGE_FIELD_STREAM_CONNECTIONS,
  VIGIL_SERVER_PAGE_FIELD_MONITOR_CONNECTIONS,
  VIGIL_SERVER_PAGE_FIELD_ACTIVE_SESSIONS,
  VIGIL_SERVER_PAGE_FIELD_DATABASE_PATH,
  VIGIL_SERVER_PAGE_FIELD_DATA_DIR,
  VIGIL_SERVER_PAGE_FIELD_SCHEMA_VERSION,
  VIGIL_SERVER_PAGE_FIELD_JOURNAL_MODE,
  VIGIL_SERVER_PAGE_FIELD_PENDING_WRITES,
} VigilServerPageField;

GtkLabel  *_vigil_server_page_get_field_label (VigilServerPage      *self,
                                               VigilServerPageField  field);

/* The page's interactive widgets, in focus order. */
GPtrArray *_vigil_server_page_list_controls   (VigilServerPage      *self);

G_END_DECLS
