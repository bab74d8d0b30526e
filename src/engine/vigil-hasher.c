/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bounded pool for argon2id: each hash takes tens of milliseconds and
 * many megabytes, so the number running at once is capped at the number of
 * processors rather than left to GTask's growing pool. */
#define G_LOG_DOMAIN "vigil-hasher"

#include "config.h"

#include <sodium.h>

#include "vigil-error.h"
#include "vigil-hasher.h"

struct _VigilHasher
{
  GThreadPool *pool;
  guint64      opslimit;
  gsize        memlimit;
  char         dummy_hash[crypto_pwhash_STRBYTES];
};

typedef struct
{
  VigilHasher *hasher;
  GTask       *task;
  char        *secret;      /* wiped before it is freed */
  char        *hash;        /* verify only; NULL for the dummy */
  gboolean     verify;
} HashJob;

static void
hash_job_free (HashJob *job)
{
  if (job->secret != NULL)
    {
      sodium_memzero (job->secret, strlen (job->secret));
      g_free (job->secret);
    }
  g_free (job->hash);
  g_clear_object (&job->task);
  g_free (job);
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  HashJob *job = data;
  VigilHasher *hasher = job->hasher;

  if (g_task_return_error_if_cancelled (job->task))
    {
      hash_job_free (job);
      return;
    }

  if (job->verify)
    {
      const char *hash = job->hash ? job->hash : hasher->dummy_hash;
      gboolean match = crypto_pwhash_str_verify (hash, job->secret, strlen (job->secret)) == 0;

      g_task_return_boolean (job->task, match && job->hash != NULL);
    }
  else
    {
      char out[crypto_pwhash_STRBYTES];

      if (crypto_pwhash_str (out, job->secret, strlen (job->secret),
                             hasher->opslimit, hasher->memlimit) != 0)
        g_task_return_new_error (job->task, VIGIL_ERROR, VIGIL_ERROR_FAILED,
                                 "Hashing failed: out of memory");
      else
        g_task_return_pointer (job->task, g_strdup (out), g_free);
    }

  hash_job_free (job);
}

VigilHasher *
vigil_hasher_new (guint64 opslimit,
                  gsize   memlimit,
                  guint   max_threads)
{
  VigilHasher *hasher;
  g_autoptr(GError) error = NULL;
  char random_secret[33];

  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");

  hasher = g_new0 (VigilHasher, 1);
  hasher->opslimit = opslimit;
  hasher->memlimit = memlimit;

  /* The dummy's parameters match the real ones, or its timing would tell
   * unknown accounts apart. Nobody knows its secret. */
  randombytes_buf (random_secret, sizeof random_secret - 1);
  random_secret[sizeof random_secret - 1] = '\0';
  if (crypto_pwhash_str (hasher->dummy_hash, random_secret, sizeof random_secret - 1,
                         opslimit, memlimit) != 0)
    g_error ("Cannot compute the dummy password hash: out of memory");
  sodium_memzero (random_secret, sizeof random_secret);

  hasher->pool = g_thread_pool_new (run_job, hasher,
                                    max_threads > 0 ? (int) max_threads : (int) g_get_num_processors (),
                                    FALSE, &error);
  g_assert_no_error (error);
  return hasher;
}

void
vigil_hasher_free (VigilHasher *hasher)
{
  if (hasher == NULL)
    return;

  /* Finish what was queued: callers are waiting for those answers. */
  g_thread_pool_free (hasher->pool, FALSE, TRUE);
  g_free (hasher);
}

static void
queue_job (VigilHasher         *hasher,
           gboolean             verify,
           const char          *hash,
           const char          *secret,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data,
           gpointer             source_tag)
{
  HashJob *job = g_new0 (HashJob, 1);
  g_autoptr(GError) error = NULL;

  job->hasher = hasher;
  job->task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->secret = g_strdup (secret);
  job->hash = g_strdup (hash);
  job->verify = verify;

  if (!g_thread_pool_push (hasher->pool, job, &error))
    {
      g_task_return_error (job->task, g_steal_pointer (&error));
      hash_job_free (job);
    }
}

void
vigil_hasher_hash_async (VigilHasher         *hasher,
                         const char          *secret,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (hasher != NULL);
  g_return_if_fail (secret != NULL);

  queue_job (hasher, FALSE, NULL, secret, cancellable, callback, user_data, vigil_hasher_hash_async);
}

char *
vigil_hasher_hash_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_hasher_hash_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
vigil_hasher_verify_async (VigilHasher         *hasher,
                           const char          *hash,
                           const char          *secret,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (hasher != NULL);
  g_return_if_fail (secret != NULL);

  queue_job (hasher, TRUE, hash, secret, cancellable, callback, user_data, vigil_hasher_verify_async);
}

gboolean
vigil_hasher_verify_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == vigil_hasher_verify_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
