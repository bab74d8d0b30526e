/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vigil-sim on its own thread and main context. */
#define G_LOG_DOMAIN "vigil-sim"

#include "config.h"

#include "vigil-sim-report.h"
#include "vigil-sim-thread.h"

struct _VigilSimThread
{
  VigilSimOptions  options;
  char            *url;
  GCancellable    *cancellable;
  GMainContext    *owner;      /* the starter's context: it keeps running while we stop */
  gint             done;       /* atomic */
  GThread         *thread;
};

static gpointer
run_thread (gpointer data)
{
  VigilSimThread *self = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(VigilSimReport) report = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  report = vigil_sim_run (&self->options, self->cancellable, &error);
  if (report == NULL)
    g_warning ("The simulator could not start: %s", error->message);
  else if (report->first_error != NULL)
    g_debug ("The simulator's first error: %s", report->first_error);
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&self->done, TRUE);
  g_main_context_wakeup (self->owner);
  return NULL;
}

VigilSimThread *
vigil_sim_thread_start (const VigilSimOptions *options)
{
  VigilSimThread *self;

  g_return_val_if_fail (options != NULL, NULL);

  self = g_new0 (VigilSimThread, 1);
  self->options = *options;
  self->url = g_strdup (options->url);
  self->options.url = self->url;
  self->options.progress_func = NULL;
  self->options.progress_data = NULL;
  self->cancellable = g_cancellable_new ();
  self->owner = g_main_context_ref_thread_default ();
  self->thread = g_thread_new ("vigil-sim", run_thread, self);
  return self;
}

void
vigil_sim_thread_stop (VigilSimThread *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  /* The simulator closes its sockets as it stops: a server on the owner's
   * context must go on answering meanwhile. */
  while (!g_atomic_int_get (&self->done))
    g_main_context_iteration (self->owner, TRUE);
  g_thread_join (self->thread);
  g_main_context_unref (self->owner);
  g_object_unref (self->cancellable);
  g_free (self->url);
  g_free (self);
}
