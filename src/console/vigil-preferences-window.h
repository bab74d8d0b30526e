/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "vigil-engine.h"

G_BEGIN_DECLS

/* The console's preferences, bound to the io.vigil.Console settings. The
 * application applies them: the listen address by restarting the server,
 * risk thresholds at once, the rest from the next start. */
#define VIGIL_TYPE_PREFERENCES_WINDOW (vigil_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (VigilPreferencesWindow, vigil_preferences_window, VIGIL, PREFERENCES_WINDOW, AdwPreferencesWindow)

VigilPreferencesWindow *vigil_preferences_window_new (GtkWindow   *parent,
                                                      VigilEngine *engine,
                                                      GSettings   *settings);

/* For tests. */
typedef enum
{
  VIGIL_PREFERENCES_MONITOR,
  VIGIL_PREFERENCES_SUSPICIOUS,
  VIGIL_PREFERENCES_HIGH,
  VIGIL_PREFERENCES_BLOCK_CONFIDENCE,
} VigilPreferencesThreshold;

GtkSpinButton *_vigil_preferences_window_get_threshold (VigilPreferencesWindow    *self,
                                                        VigilPreferencesThreshold  which);
AdwEntryRow   *_vigil_preferences_window_get_listen    (VigilPreferencesWindow    *self);

G_END_DECLS
