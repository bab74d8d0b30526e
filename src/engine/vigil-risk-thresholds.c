/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tunable decision thresholds of VigilRisk. */
#define G_LOG_DOMAIN "vigil-risk"

#include "config.h"

#include <string.h>

#include "vigil-risk-thresholds.h"

#include "vigil-error.h"
#include "vigil-risk-private.h"

#define BLOCK_CONFIDENCE_LOW "block_confidence_low"

static void
add_thresholds (JsonObject                *details,
                const char                *prefix,
                const VigilRiskThresholds *thresholds)
{
  g_autofree char *monitor = g_strconcat (prefix, "monitor", NULL);
  g_autofree char *suspicious = g_strconcat (prefix, "suspicious", NULL);
  g_autofree char *high = g_strconcat (prefix, "high", NULL);
  g_autofree char *confidence = g_strconcat (prefix, "block_confidence", NULL);

  json_object_set_double_member (details, monitor, thresholds->monitor);
  json_object_set_double_member (details, suspicious, thresholds->suspicious);
  json_object_set_double_member (details, high, thresholds->high);
  json_object_set_double_member (details, confidence, thresholds->block_confidence);
}

/* Who may be blocked automatically is security policy: its changes go to
 * the audit log like an MPIN policy's. */
static void
audit_change (VigilRisk                 *self,
              const VigilRiskThresholds *thresholds)
{
  g_autoptr(JsonObject) details = json_object_new ();

  add_thresholds (details, "old_", &self->thresholds);
  add_thresholds (details, "", thresholds);
  vigil_audit_append_async (self->store, vigil_clock_now_us (self->clock), "system", "settings.risk_thresholds",
                            NULL, NULL, details, NULL, NULL, NULL);
}

void
vigil_risk_thresholds_init_default (VigilRiskThresholds *thresholds)
{
  thresholds->monitor = VIGIL_RISK_MONITOR_THRESHOLD;
  thresholds->suspicious = VIGIL_RISK_SUSPICIOUS_THRESHOLD;
  thresholds->high = VIGIL_RISK_HIGH_THRESHOLD;
  thresholds->block_confidence = VIGIL_RISK_BLOCK_CONFIDENCE;
}

gboolean
vigil_risk_thresholds_check (const VigilRiskThresholds  *t,
                             GError                    **error)
{
  if (!(t->monitor > 0 && t->monitor <= t->suspicious && t->suspicious <= t->high && t->high <= 1))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "Risk thresholds must rise: 0 < monitor (%.2f) <= step-up (%.2f) <= block (%.2f) <= 1",
                   t->monitor, t->suspicious, t->high);
      return FALSE;
    }
  if (!(t->block_confidence >= 0 && t->block_confidence < 1))
    {
      g_set_error (error, VIGIL_ERROR, VIGIL_ERROR_INVALID_INPUT,
                   "The block confidence must be at least 0 and below 1, not %.2f", t->block_confidence);
      return FALSE;
    }
  return TRUE;
}

VigilDecision
vigil_risk_thresholds_decide (const VigilRiskThresholds *t,
                              double                     risk,
                              double                     confidence,
                              VigilDecision             *out_requested)
{
  VigilDecision requested;

  if (risk >= t->high)
    requested = VIGIL_DECISION_BLOCK;
  else if (risk >= t->suspicious)
    requested = VIGIL_DECISION_STEP_UP;
  else if (risk >= t->monitor)
    requested = VIGIL_DECISION_MONITOR;
  else
    requested = VIGIL_DECISION_ALLOW;

  if (out_requested != NULL)
    *out_requested = requested;
  /* As vigil_risk_decide (): never a silent drop of a high risk. */
  if (requested == VIGIL_DECISION_BLOCK && !(confidence > t->block_confidence))
    return VIGIL_DECISION_STEP_UP;
  return requested;
}

void
vigil_risk_get_thresholds (VigilRisk           *self,
                           VigilRiskThresholds *out_thresholds)
{
  g_return_if_fail (VIGIL_IS_RISK (self));
  g_return_if_fail (out_thresholds != NULL);

  *out_thresholds = self->thresholds;
}

gboolean
vigil_risk_set_thresholds (VigilRisk                  *self,
                           const VigilRiskThresholds  *thresholds,
                           GError                    **error)
{
  g_return_val_if_fail (VIGIL_IS_RISK (self), FALSE);
  g_return_val_if_fail (thresholds != NULL, FALSE);

  if (!vigil_risk_thresholds_check (thresholds, error))
    return FALSE;
  if (memcmp (&self->thresholds, thresholds, sizeof *thresholds) == 0)
    return TRUE;
  audit_change (self, thresholds);
  self->thresholds = *thresholds;
  g_debug ("Risk thresholds: monitor %.2f, step-up %.2f, block %.2f, block confidence %.2f",
           thresholds->monitor, thresholds->suspicious, thresholds->high, thresholds->block_confidence);
  return TRUE;
}

double
vigil_risk_get_step_up_threshold (VigilRisk *self,
                                  double     adjustment)
{
  g_return_val_if_fail (VIGIL_IS_RISK (self), VIGIL_RISK_SUSPICIOUS_THRESHOLD);

  adjustment = CLAMP (adjustment, -VIGIL_THRESHOLD_MAX_ADJUSTMENT, VIGIL_THRESHOLD_MAX_ADJUSTMENT);
  return CLAMP (self->thresholds.suspicious + adjustment, self->thresholds.monitor, self->thresholds.high);
}

/* The evidence is added up with the default thresholds; decide again
 * with the configured ones, the step-up boundary moved by the user's
 * analyst-driven @adjustment (bounded, and kept strictly between monitor
 * and block), and keep the "confidence too low" reason true. */
void
_vigil_risk_apply_thresholds (VigilRisk         *self,
                              VigilRiskDecision *decision,
                              double             adjustment)
{
  VigilRiskThresholds thresholds = self->thresholds;
  gboolean low;

  thresholds.suspicious = vigil_risk_get_step_up_threshold (self, adjustment);
  decision->decision = vigil_risk_thresholds_decide (&thresholds, decision->risk,
                                                     decision->confidence, &decision->requested);
  low = decision->requested == VIGIL_DECISION_BLOCK && decision->decision != VIGIL_DECISION_BLOCK;

  for (guint i = decision->reasons->len; i > 0; i--)
    {
      VigilRiskReason *reason = g_ptr_array_index (decision->reasons, i - 1);

      if (g_strcmp0 (reason->code, BLOCK_CONFIDENCE_LOW) == 0)
        g_ptr_array_remove_index (decision->reasons, i - 1);
    }
  if (low)
    {
      g_autofree char *text =
        g_strdup_printf ("High risk, but the confidence is not above %.2f: step-up instead of block",
                         self->thresholds.block_confidence);

      g_ptr_array_insert (decision->reasons, 0,
                          _vigil_risk_reason_new (BLOCK_CONFIDENCE_LOW, text, 0, decision->confidence));
    }
}
