/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Session logs on disk, in the format the seeds upload. */
#define G_LOG_DOMAIN "vigil-sessions"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "vigil-error.h"
#include "vigil-session-log.h"
#include "vigil-session-table.h"
#include "vigil-time.h"

static const char *
log_owner (const VigilSessionInfo *info)
{
  return info->user_id ? info->user_id : info->claimed_user ? info->claimed_user : "anonymous";
}

JsonNode *
vigil_session_log_build (VigilDb     *db,
                         const char  *session_id,
                         gint64       uploaded_at_us,
                         GError     **error)
{
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *uploaded_at = vigil_time_format_iso8601 (uploaded_at_us);

  info = vigil_session_table_find (db, session_id, error);
  if (info == NULL)
    return NULL;
  events = vigil_event_table_list (db, session_id, error);
  if (events == NULL)
    return NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "user_id");
  json_builder_add_string_value (builder, log_owner (info));
  json_builder_set_member_name (builder, "session_id");
  json_builder_add_string_value (builder, session_id);
  json_builder_set_member_name (builder, "uploaded_at");
  json_builder_add_string_value (builder, uploaded_at);
  json_builder_set_member_name (builder, "total_events");
  json_builder_add_int_value (builder, events->len);
  json_builder_set_member_name (builder, "logs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < events->len; i++)
    json_builder_add_value (builder, vigil_event_to_log_json (g_ptr_array_index (events, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* Account ids are UUIDs; a stream session's claimed user is free text and
 * must never steer the path, so an unusual one is replaced by its hash. */
static char *
directory_name (const VigilSessionInfo *info)
{
  const char *owner = log_owner (info);
  g_autofree char *hash = NULL;
  gboolean plain = *owner != '\0' && *owner != '.' && strlen (owner) <= 128;

  for (const char *c = owner; plain && *c != '\0'; c++)
    plain = g_ascii_isalnum (*c) || *c == '-' || *c == '_' || *c == '.';

  if (info->user_id != NULL && plain)
    return g_strdup (owner);
  if (plain)
    return g_strconcat ("stream-", owner, NULL);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, owner, -1);
  return g_strconcat ("stream-", hash, NULL);
}

char *
vigil_session_log_write (VigilDb     *db,
                         const char  *logs_dir,
                         const char  *session_id,
                         gint64       uploaded_at_us,
                         gboolean     durable,
                         GError     **error)
{
  g_autoptr(VigilSessionInfo) info = NULL;
  g_autoptr(JsonNode) log = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *directory = NULL;
  g_autofree char *dir_name = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  gsize length;

  info = vigil_session_table_find (db, session_id, error);
  if (info == NULL)
    return NULL;
  log = vigil_session_log_build (db, session_id, uploaded_at_us, error);
  if (log == NULL)
    return NULL;

  dir_name = directory_name (info);
  directory = g_build_filename (logs_dir, dir_name, NULL);
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create %s: %s", directory, g_strerror (saved_errno));
      return NULL;
    }

  json_generator_set_root (generator, log);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);

  file_name = g_strconcat (session_id, ".json", NULL);
  path = g_build_filename (directory, file_name, NULL);
  if (!g_file_set_contents_full (path, text, length,
                                 durable ? G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE
                                         : G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, error))
    return NULL;

  return g_steal_pointer (&path);
}

static void
remove_partials_in (const char *directory,
                    guint       depth)
{
  g_autoptr(GDir) dir = g_dir_open (directory, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (directory, name, NULL);

      if (depth == 0 && g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_partials_in (path, depth + 1);
      /* g_file_set_contents_full () writes NAME.json.XXXXXX first. */
      else if (strstr (name, ".json.") != NULL && g_remove (path) == 0)
        g_info ("Removed the partial log %s", path);
    }
}

void
vigil_session_log_sync (const char *logs_dir)
{
  int fd = g_open (logs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0)
    return;
  if (syncfs (fd) != 0)
    g_warning ("Flushing the session logs to disk failed: %s", g_strerror (errno));
  close (fd);
}

void
vigil_session_log_remove_partials (const char *logs_dir)
{
  remove_partials_in (logs_dir, 0);
}
