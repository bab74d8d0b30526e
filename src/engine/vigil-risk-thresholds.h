/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-risk.h"

G_BEGIN_DECLS

/* The risk levels at which decisions change, and the confidence a block
 * needs; the defaults are the VIGIL_RISK_*_THRESHOLD constants. An
 * administrator may tune them (Preferences); they apply to the next
 * evaluation of every session. */
typedef struct
{
  double monitor;            /* risk >= this: monitor */
  double suspicious;         /* risk >= this: step-up */
  double high;               /* risk >= this: block is asked for */
  double block_confidence;   /* a block executes only above this */
} VigilRiskThresholds;

void      vigil_risk_thresholds_init_default (VigilRiskThresholds       *thresholds);
/* VIGIL_ERROR_INVALID_INPUT unless 0 < monitor <= suspicious <= high <= 1
 * and 0 <= block_confidence < 1. */
gboolean  vigil_risk_thresholds_check        (const VigilRiskThresholds *thresholds,
                                              GError                   **error);
VigilDecision vigil_risk_thresholds_decide   (const VigilRiskThresholds *thresholds,
                                              double                     risk,
                                              double                     confidence,
                                              VigilDecision             *out_requested);

void      vigil_risk_get_thresholds          (VigilRisk                 *self,
                                              VigilRiskThresholds       *out_thresholds);
gboolean  vigil_risk_set_thresholds          (VigilRisk                 *self,
                                              const VigilRiskThresholds *thresholds,
                                              GError                   **error);
/* The step-up threshold a user's sessions meet: the configured one moved
 * by the user's analyst @adjustment (clamped to
 * ±VIGIL_THRESHOLD_MAX_ADJUSTMENT, and kept between monitor and high). */
double    vigil_risk_get_step_up_threshold   (VigilRisk                 *self,
                                              double                     adjustment);

G_END_DECLS
