/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one object the API and the console hold: it owns the data directory,
 * its lock, the store and the live metrics. */
#define G_LOG_DOMAIN "vigil-engine"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "vigil-data-lock.h"
#include "vigil-engine.h"
#include "vigil-error.h"

struct _VigilEngine
{
  GObject        parent_instance;

  char          *data_dir;
  char          *database_path;
  VigilDataLock *lock;
  VigilStore    *store;
  VigilMetrics  *metrics;
};

G_DEFINE_FINAL_TYPE (VigilEngine, vigil_engine, G_TYPE_OBJECT)

static void
vigil_engine_dispose (GObject *object)
{
  VigilEngine *self = VIGIL_ENGINE (object);

  vigil_engine_shutdown (self);
  g_clear_object (&self->metrics);

  G_OBJECT_CLASS (vigil_engine_parent_class)->dispose (object);
}

static void
vigil_engine_finalize (GObject *object)
{
  VigilEngine *self = VIGIL_ENGINE (object);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->database_path, g_free);

  G_OBJECT_CLASS (vigil_engine_parent_class)->finalize (object);
}

static void
vigil_engine_class_init (VigilEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vigil_engine_dispose;
  object_class->finalize = vigil_engine_finalize;
}

static void
vigil_engine_init (VigilEngine *self)
{
  self->metrics = vigil_metrics_new ();
}

static gboolean
ensure_private_directory (const char  *path,
                          GError     **error)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create the data directory %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

VigilEngine *
vigil_engine_new (const char      *data_dir,
                  VigilStoreSync   sync,
                  GError         **error)
{
  g_autoptr(VigilEngine) self = NULL;

  g_return_val_if_fail (data_dir != NULL && *data_dir != '\0', NULL);

  self = g_object_new (VIGIL_TYPE_ENGINE, NULL);
  self->data_dir = g_canonicalize_filename (data_dir, NULL);
  self->database_path = g_build_filename (self->data_dir, "vigil.db", NULL);

  if (!ensure_private_directory (self->data_dir, error))
    return NULL;

  /* The lock comes before the database is touched, so that a second
   * process never migrates or writes under the first one's feet. */
  self->lock = vigil_data_lock_acquire (self->data_dir, error);
  if (self->lock == NULL)
    return NULL;

  self->store = vigil_store_open (self->database_path, sync, error);
  if (self->store == NULL)
    return NULL;

  g_info ("Engine ready: data directory %s, schema version %d",
          self->data_dir, vigil_store_get_schema_version (self->store));
  return g_steal_pointer (&self);
}

const char *
vigil_engine_get_data_dir (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->data_dir;
}

const char *
vigil_engine_get_database_path (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->database_path;
}

VigilStore *
vigil_engine_get_store (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->store;
}

VigilMetrics *
vigil_engine_get_metrics (VigilEngine *self)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (self), NULL);

  return self->metrics;
}

void
vigil_engine_shutdown (VigilEngine *self)
{
  g_return_if_fail (VIGIL_IS_ENGINE (self));

  if (self->store != NULL)
    {
      vigil_store_close (self->store);
      g_clear_object (&self->store);
    }

  /* Released last: the database is closed and consistent by now. */
  g_clear_pointer (&self->lock, vigil_data_lock_release);
}

char *
vigil_engine_default_data_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "vigil", NULL);
}
