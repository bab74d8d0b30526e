/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Account novelty: a live session from a device the account has never
 * used, far from every place the account was seen before. A new phone
 * at home, or the usual phone abroad, is ordinary; both at once is how
 * a stolen password and MPIN are usually used, so it counts: +0.3,
 * under the monitor threshold alone (a traveller's new phone is not an
 * attack by itself), a monitor or a step-up with behaviour that differs
 * (vigil-risk-behavior.c). Only sessions the
 * owner is trusted to have made are the reference: not blocked, risk
 * under the step-up threshold. An account's first session has no
 * reference and says nothing. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <sqlite3.h>

#include "vigil-risk-private.h"

/* The location in a stored context (JSON text); FALSE when none. */
static gboolean
context_location (const char *text,
                  double     *out_lat,
                  double     *out_lon)
{
  g_autoptr(JsonNode) node = NULL;

  if (text == NULL)
    return FALSE;
  node = json_from_string (text, NULL);
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
         _vigil_risk_find_location (json_node_get_object (node), out_lat, out_lon);
}

void
_vigil_risk_add_novelty (RiskState  *state,
                         VigilDb    *db,
                         JsonObject *context)
{
  sqlite3_stmt *stmt;
  double lat, lon, nearest_km = G_MAXDOUBLE;
  guint references = 0;
  gboolean known_device = FALSE;
  g_autofree char *text = NULL;

  if (state->user_id == NULL || state->device_id == NULL || context == NULL ||
      !_vigil_risk_find_location (context, &lat, &lon))
    return;
  stmt = vigil_db_prepare (db, "SELECT device_id, context FROM sessions"
                               " WHERE user_id = ? AND id != ? AND kind = 'authenticated'"
                               " AND state != 'blocked' AND (risk_score IS NULL OR risk_score < ?)"
                               " ORDER BY started_at DESC LIMIT " G_STRINGIFY (VIGIL_RISK_NOVELTY_SESSIONS),
                           NULL);
  if (stmt == NULL)
    return;
  sqlite3_bind_text (stmt, 1, state->user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, state->session_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_double (stmt, 3, VIGIL_RISK_SUSPICIOUS_THRESHOLD);
  while (!known_device && sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *device = (const char *) sqlite3_column_text (stmt, 0);
      double seen_lat, seen_lon;

      references++;
      if (g_strcmp0 (device, state->device_id) == 0)
        known_device = TRUE;
      else if (context_location ((const char *) sqlite3_column_text (stmt, 1), &seen_lat, &seen_lon))
        nearest_km = MIN (nearest_km, _vigil_risk_haversine_km (lat, lon, seen_lat, seen_lon));
    }
  sqlite3_reset (stmt);

  /* A reference without any location cannot say where the account is. */
  if (references == 0 || known_device || nearest_km == G_MAXDOUBLE || nearest_km <= VIGIL_RISK_NOVELTY_KM)
    return;
  text = g_strdup_printf ("First session from this device, %.0f km from the account's earlier sessions",
                          nearest_km);
  _vigil_risk_state_set_contribution (state, "new_device_far", text, VIGIL_RISK_NOVELTY_WEIGHT,
                                      VIGIL_RISK_NOVELTY_CONFIDENCE);
}
