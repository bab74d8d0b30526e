/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The schema, as an ordered list of migrations. A migration is never edited
 * once released: a change to the schema is a new entry at the end. */
#define G_LOG_DOMAIN "vigil-store"

#include "config.h"

#include "vigil-error.h"
#include "vigil-store-private.h"

static const char * const migrations[] = {
  /* 1: the store's own facts: which installation this is and since when. */
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "INSERT INTO meta (key, value) VALUES"
  "  ('instance_id', lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||"
  "                  substr(lower(hex(randomblob(2))), 2) || '-' ||"
  "                  substr('89ab', 1 + (abs(random()) % 4), 1) ||"
  "                  substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),"
  "  ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));",
};

int
_vigil_store_latest_version (void)
{
  return G_N_ELEMENTS (migrations);
}

static gboolean
apply_migration (VigilDb     *db,
                 int          version,
                 GError     **error)
{
  g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", version);
  g_autoptr(GError) local_error = NULL;

  if (!vigil_db_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  if (!vigil_db_exec (db, migrations[version - 1], &local_error) ||
      !vigil_db_exec (db, set_version, &local_error))
    {
      g_autoptr(GError) rollback_error = NULL;

      if (!vigil_db_exec (db, "ROLLBACK", &rollback_error))
        g_warning ("Rolling back migration %d failed: %s", version, rollback_error->message);
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Migration %d failed: ", version);
      return FALSE;
    }

  if (!vigil_db_exec (db, "COMMIT", error))
    return FALSE;

  g_info ("Database schema migrated to version %d", version);
  return TRUE;
}

gboolean
_vigil_store_migrate (VigilDb  *db,
                      GError  **error)
{
  gint64 current;
  int latest = _vigil_store_latest_version ();

  if (!vigil_db_query_int (db, "PRAGMA user_version", &current, error))
    return FALSE;

  if (current > latest)
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_SCHEMA_TOO_NEW,
                   "The database has schema version %" G_GINT64_FORMAT
                   ", newer than this Vigil understands (%d); use a newer Vigil",
                   current, latest);
      return FALSE;
    }

  for (int version = (int) current + 1; version <= latest; version++)
    if (!apply_migration (db, version, error))
      return FALSE;

  return TRUE;
}
