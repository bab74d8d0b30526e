/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A fresh private directory under $TMPDIR; aborts the test on failure. */
char    *vigil_test_make_tmp_dir (void);
/* Removes @path and everything under it. */
void     vigil_test_rm_rf        (const char   *path);
/* Runs the default main context until @flag is TRUE or @timeout_ms pass;
 * returns the flag. */
gboolean vigil_test_wait_for     (gboolean     *flag,
                                  guint         timeout_ms);
/* Dispatches everything already pending on the default main context, such
 * as the clean-up of connections a server just closed. */
void     vigil_test_drain_main_context (void);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
guint16  vigil_test_free_port    (void);

G_END_DECLS
