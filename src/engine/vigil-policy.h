/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Input rules for credentials and identifiers. Each check fails with
 * VIGIL_ERROR_INVALID_INPUT and a message fit to show the client; a
 * message never repeats a password or an MPIN. */

#define VIGIL_PASSWORD_MIN_LENGTH 8
/* NIST SP 800-63B asks for at least 64; more only feeds a hashing DoS. */
#define VIGIL_PASSWORD_MAX_LENGTH 256

/* NIST SP 800-63B: length (in characters) only, no composition rules, and
 * not one of the most common passwords (case-insensitive). */
gboolean vigil_policy_check_password   (const char  *password,
                                        GError     **error);
/* Digits only, 10 to 15 of them (E.164 without the plus). */
gboolean vigil_policy_check_phone      (const char  *phone,
                                        GError     **error);
/* One "@", a non-empty local part, a dotted domain, at most 254 bytes, no
 * spaces or control characters. */
gboolean vigil_policy_check_email      (const char  *email,
                                        GError     **error);
/* Exactly @length ASCII digits; @length itself must be 4 to 8. */
gboolean vigil_policy_check_mpin       (const char  *mpin,
                                        guint        length,
                                        GError     **error);
/* The MPIN policy an administrator configures: a length of 4 to 8 digits,
 * at least one attempt and a lock of at least one second. The messages are
 * the engine options' (vigil_engine_new_with_options ()). */
gboolean vigil_policy_check_mpin_policy (guint        length,
                                         guint        max_attempts,
                                         guint        lock_seconds,
                                         GError     **error);
/* Letters, digits, "-" and "_", 1 to 64 of them. */
gboolean vigil_policy_check_profile_id (const char  *profile_id,
                                        GError     **error);
/* Free text (underscores, hyphens, anything printable), valid UTF-8,
 * 1 to 128 bytes, no control characters. */
gboolean vigil_policy_check_device_id  (const char  *device_id,
                                        GError     **error);

G_END_DECLS
