/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-error"

#include "config.h"

#include "vigil-error.h"

G_DEFINE_QUARK (vigil-error-quark, vigil_error)
