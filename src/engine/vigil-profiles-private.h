/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-clock.h"
#include "vigil-profiles.h"
#include "vigil-store.h"

G_BEGIN_DECLS

VigilProfiles *_vigil_profiles_new (VigilStore *store,
                                    VigilClock *clock);

G_END_DECLS
