/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "vigil-store.h"

G_BEGIN_DECLS

/* The append-only, tamper-evident audit log. Each entry stores the SHA-256
 * of its canonical content, which includes the previous entry's hash, so
 * altering, inserting or deleting any entry breaks the chain from there. */

typedef struct
{
  gint64  id;
  gint64  at_us;            /* microseconds since the Unix epoch */
  char   *actor;            /* user id, "system", or "anonymous" */
  char   *action;           /* e.g. "auth.login_failed" */
  char   *target;           /* nullable */
  char   *client_address;   /* nullable */
  char   *details;          /* nullable, a JSON object as text */
  char   *prev_hash;        /* hex; 64 zeros for the first entry */
  char   *hash;             /* hex */
} VigilAuditEntry;

typedef struct
{
  gint64  entries;          /* entries checked */
  gint64  verified_up_to;   /* id of the last entry whose chain holds */
  gint64  first_broken_id;  /* 0 when the whole chain holds */
  char   *reason;           /* why it broke, NULL when intact */
} VigilAuditVerification;

void                    vigil_audit_entry_free        (VigilAuditEntry        *entry);
void                    vigil_audit_verification_free (VigilAuditVerification *verification);

/* Appends inside a write already running on the store's writer thread, so
 * that a change and its audit entry commit together (or not at all).
 * @details may be NULL. */
gboolean                vigil_audit_append_in_transaction (VigilDb      *db,
                                                           gint64        at_us,
                                                           const char   *actor,
                                                           const char   *action,
                                                           const char   *target,
                                                           const char   *client_address,
                                                           JsonObject   *details,
                                                           GError      **error);

/* Queues an append on the writer; @callback runs on the caller's main
 * context after it committed. @details is serialised before returning. */
void                    vigil_audit_append_async      (VigilStore          *store,
                                                       gint64               at_us,
                                                       const char          *actor,
                                                       const char          *action,
                                                       const char          *target,
                                                       const char          *client_address,
                                                       JsonObject          *details,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean                vigil_audit_append_finish     (VigilStore          *store,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Walks the whole chain on a worker thread with its own connection. */
void                    vigil_audit_verify_async      (VigilStore          *store,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
VigilAuditVerification *vigil_audit_verify_finish     (VigilStore          *store,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* The newest @limit entries, newest first, from the main context's reader:
 * an indexed read of at most @limit rows. Elements are VigilAuditEntry. */
GPtrArray              *vigil_audit_list_recent       (VigilStore          *store,
                                                       guint                limit,
                                                       GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAuditEntry, vigil_audit_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilAuditVerification, vigil_audit_verification_free)

G_END_DECLS
