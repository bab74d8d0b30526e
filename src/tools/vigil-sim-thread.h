/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vigil-sim.h"

G_BEGIN_DECLS

/* The simulator on a thread of its own with its own main context, so that
 * a process serving the API (vigil --demo) can talk to itself over
 * loopback without its own loop ever waiting for the simulator. */
typedef struct _VigilSimThread VigilSimThread;

/* @options is copied; its progress function is not used. */
VigilSimThread *vigil_sim_thread_start (const VigilSimOptions *options);
/* Stops the simulation and joins the thread; meanwhile it runs the main
 * context that was the thread-default one at the start (call it there). */
void            vigil_sim_thread_stop  (VigilSimThread        *thread);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VigilSimThread, vigil_sim_thread_stop)

G_END_DECLS
