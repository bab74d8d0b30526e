/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-audit-query.h"
#include "vigil-engine.h"
#include "vigil-page.h"

G_BEGIN_DECLS

#define VIGIL_TYPE_AUDIT_PAGE (vigil_audit_page_get_type ())
G_DECLARE_FINAL_TYPE (VigilAuditPage, vigil_audit_page, VIGIL, AUDIT_PAGE, VigilPage)

GtkWidget *vigil_audit_page_new (VigilEngine *engine);

/* For tests: the page's filter entries, its rows (VigilAuditRow, newest
 * first), and the export its file chooser starts. "query-done" and
 * "export-done" (rows written, or -1) say when the work came back. */
typedef enum
{
  VIGIL_AUDIT_PAGE_TEXT,
  VIGIL_AUDIT_PAGE_ACTOR,
  VIGIL_AUDIT_PAGE_ACTION,
  VIGIL_AUDIT_PAGE_TARGET,
} VigilAuditPageEntry;

GtkEditable *_vigil_audit_page_get_entry     (VigilAuditPage         *self,
                                              VigilAuditPageEntry     entry);
/* Selects "Custom range" with these texts (local "YYYY-MM-DD[ HH:MM]"). */
void         _vigil_audit_page_set_custom_range (VigilAuditPage     *self,
                                                 const char         *from,
                                                 const char         *to);
GListModel  *_vigil_audit_page_get_rows      (VigilAuditPage         *self);
GtkLabel    *_vigil_audit_page_get_integrity (VigilAuditPage         *self);
void         _vigil_audit_page_export_to     (VigilAuditPage         *self,
                                              GFile                  *file,
                                              VigilAuditExportFormat  format);

G_END_DECLS
