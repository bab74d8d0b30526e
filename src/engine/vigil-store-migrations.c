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

  /* 2: accounts, their tokens, behavioral sessions and the audit chain.
   * Times are microseconds since the Unix epoch. */
  "CREATE TABLE users ("
  "  id                   TEXT PRIMARY KEY NOT NULL,"
  "  phone                TEXT UNIQUE,"
  "  email                TEXT UNIQUE COLLATE NOCASE,"
  "  profile_id           TEXT UNIQUE,"
  "  password_hash        TEXT,"
  "  mpin_hash            TEXT,"
  "  role                 TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'analyst', 'admin')),"
  "  disabled             INTEGER NOT NULL DEFAULT 0,"
  "  created_at           INTEGER NOT NULL,"
  "  last_login_at        INTEGER,"
  "  mpin_failed_attempts INTEGER NOT NULL DEFAULT 0,"
  "  mpin_locked_until    INTEGER"
  ");"
  "CREATE TABLE tokens ("
  "  jti           TEXT PRIMARY KEY NOT NULL,"
  "  kind          TEXT NOT NULL CHECK (kind IN ('access', 'refresh', 'session')),"
  "  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  family_id     TEXT,"
  "  session_id    TEXT,"
  "  device_id     TEXT,"
  "  issued_at     INTEGER NOT NULL,"
  "  expires_at    INTEGER NOT NULL,"
  "  used_at       INTEGER,"
  "  revoked_at    INTEGER,"
  "  revoke_reason TEXT"
  ");"
  "CREATE INDEX tokens_by_user ON tokens (user_id, kind, expires_at);"
  "CREATE INDEX tokens_by_family ON tokens (family_id);"
  "CREATE TABLE sessions ("
  "  id          TEXT PRIMARY KEY NOT NULL,"
  "  user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,"
  "  device_id   TEXT,"
  "  context     TEXT,"
  "  state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'monitor', 'blocked', 'ended')),"
  "  started_at  INTEGER NOT NULL,"
  "  ended_at    INTEGER,"
  "  end_reason  TEXT"
  ");"
  "CREATE INDEX sessions_by_user ON sessions (user_id, started_at);"
  "CREATE TABLE audit_log ("
  "  id             INTEGER PRIMARY KEY,"
  "  at             INTEGER NOT NULL,"
  "  actor          TEXT NOT NULL,"
  "  action         TEXT NOT NULL,"
  "  target         TEXT,"
  "  client_address TEXT,"
  "  details        TEXT,"
  "  prev_hash      TEXT NOT NULL,"
  "  hash           TEXT NOT NULL"
  ");"
  "CREATE INDEX audit_by_action ON audit_log (action, at);"
  /* Defence in depth only: the hash chain is what detects tampering. */
  "CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log"
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log"
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;",

  /* 3: behavioral events and the live state of their sessions. A stream
   * session (cbsa's open socket) has no account: user_id stays NULL and
   * claimed_user keeps the user_id its messages gave, unverified. */
  "ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'authenticated'"
  "  CHECK (kind IN ('authenticated', 'stream'));"
  "ALTER TABLE sessions ADD COLUMN claimed_user TEXT;"
  "ALTER TABLE sessions ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE sessions ADD COLUMN last_event_at INTEGER;"
  "ALTER TABLE sessions ADD COLUMN final_decision TEXT;"
  "ALTER TABLE sessions ADD COLUMN log_path TEXT;"
  "ALTER TABLE sessions ADD COLUMN risk_score REAL;"
  "CREATE INDEX sessions_open ON sessions (state) WHERE state != 'ended';"
  "CREATE TABLE events ("
  "  session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,"
  "  seq         INTEGER NOT NULL,"
  "  received_at INTEGER NOT NULL,"
  "  timestamp   TEXT,"
  "  event_type  TEXT NOT NULL,"
  "  data        TEXT NOT NULL,"
  "  PRIMARY KEY (session_id, seq)"
  ") WITHOUT ROWID;",

  /* 4: behavioral profiles: the vectors a user enrolled (and, later, the
   * pool of vectors that scored normal) and the models trained on them.
   * Vectors and models are little-endian binary blobs. */
  "CREATE TABLE profile_vectors ("
  "  id         INTEGER PRIMARY KEY,"
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  modality   TEXT NOT NULL,"
  "  source     TEXT NOT NULL DEFAULT 'enrollment' CHECK (source IN ('enrollment', 'pool')),"
  "  samples    INTEGER NOT NULL,"
  "  digraphs   INTEGER NOT NULL DEFAULT 0,"
  "  vector     BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX profile_vectors_by_user ON profile_vectors (user_id, modality, source);"
  "CREATE TABLE profile_models ("
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  modality   TEXT NOT NULL,"
  "  version    INTEGER NOT NULL,"
  "  model      BLOB NOT NULL,"
  "  vectors    INTEGER NOT NULL,"
  "  trained_at INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, modality)"
  ") WITHOUT ROWID;",

  /* 5: what the risk engine decides, what analysts answer, the security
   * events around them, and walmart's per-user fingerprints (running mean
   * and sum of squared deviations per field). */
  "CREATE TABLE decisions ("
  "  id         TEXT PRIMARY KEY NOT NULL,"
  "  session_id TEXT REFERENCES sessions (id) ON DELETE CASCADE,"
  "  user_id    TEXT,"
  "  at         INTEGER NOT NULL,"
  "  risk       REAL NOT NULL,"
  "  decision   TEXT NOT NULL CHECK (decision IN ('allow', 'monitor', 'step_up', 'block')),"
  "  confidence REAL NOT NULL,"
  "  reasons    TEXT NOT NULL,"
  "  source     TEXT NOT NULL DEFAULT 'local'"
  ");"
  "CREATE INDEX decisions_by_session ON decisions (session_id, at);"
  "CREATE TABLE security_events ("
  "  id         INTEGER PRIMARY KEY,"
  "  at         INTEGER NOT NULL,"
  "  session_id TEXT,"
  "  user_id    TEXT,"
  "  kind       TEXT NOT NULL,"
  "  severity   TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical')),"
  "  details    TEXT"
  ");"
  "CREATE INDEX security_events_by_session ON security_events (session_id, at);"
  "CREATE INDEX security_events_by_time ON security_events (at);"
  "CREATE TABLE feedback ("
  "  id          INTEGER PRIMARY KEY,"
  "  decision_id TEXT REFERENCES decisions (id) ON DELETE SET NULL,"
  "  session_id  TEXT,"
  "  user_id     TEXT,"
  "  was_correct INTEGER NOT NULL,"
  "  label       TEXT CHECK (label IS NULL OR label IN ('allow', 'block')),"
  "  source      TEXT NOT NULL,"
  "  at          INTEGER NOT NULL"
  ");"
  "CREATE TABLE fingerprints ("
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  field      TEXT NOT NULL,"
  "  count      INTEGER NOT NULL,"
  "  mean       REAL NOT NULL,"
  "  m2         REAL NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  PRIMARY KEY (user_id, field)"
  ") WITHOUT ROWID;",

  /* 6: the dashboard's "last 24 hours" over decisions. */
  "CREATE INDEX decisions_by_time ON decisions (at);",

  /* 7: retraining and analyst feedback. The pool holds vectors of ended,
   * undisputed sessions that scored clearly normal (kept apart from the
   * enrollment foundation, which retraining never touches); a model
   * remembers how many pool vectors it was fitted on and the newest pool
   * row it saw; risk_thresholds keeps each user's analyst-driven step-up
   * adjustment. No foreign key there: ML-surface decisions may name users
   * this installation does not hold, and the row is only written for
   * users that exist. */
  "CREATE TABLE profile_pool ("
  "  id         INTEGER PRIMARY KEY,"
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  modality   TEXT NOT NULL,"
  "  session_id TEXT NOT NULL,"
  "  score      REAL NOT NULL,"
  "  vector     BLOB NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX profile_pool_by_user ON profile_pool (user_id, modality, id);"
  "CREATE INDEX profile_pool_by_session ON profile_pool (session_id);"
  "ALTER TABLE profile_models ADD COLUMN pool_vectors INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE profile_models ADD COLUMN pool_last_id INTEGER NOT NULL DEFAULT 0;"
  "CREATE TABLE risk_thresholds ("
  "  user_id    TEXT PRIMARY KEY NOT NULL,"
  "  adjustment REAL NOT NULL,"
  "  raised     INTEGER NOT NULL DEFAULT 0,"
  "  lowered    INTEGER NOT NULL DEFAULT 0,"
  "  updated_at INTEGER NOT NULL"
  ") WITHOUT ROWID;",

  /* 8: live behavior, each user's navigation history, the transition
   * counts and dwell per screen that surprise is measured against, as
   * JSON (vigil-navigation.h). */
  "CREATE TABLE navigation_histories ("
  "  user_id     TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  history     TEXT NOT NULL,"
  "  transitions INTEGER NOT NULL,"
  "  updated_at  INTEGER NOT NULL"
  ") WITHOUT ROWID;",
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
