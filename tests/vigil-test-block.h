/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-engine.h"

G_BEGIN_DECLS

/* Starts a live session of @user_id on "device-1" (engine clock), then
 * feeds it a device change and two failed MPINs: risk 1 at confidence
 * 0.882, which the default thresholds block. Returns once every decision
 * has committed and been announced. */
VigilSession *vigil_test_block_session (VigilEngine *engine,
                                        const char  *user_id);

G_END_DECLS
