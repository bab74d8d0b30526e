/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Toasts and desktop notifications for the engine's automatic blocks. */
#define G_LOG_DOMAIN "vigil-decision-notifier"

#include "config.h"

#include "vigil-decision-notifier.h"

#include <glib/gi18n.h>

struct _VigilDecisionNotifier
{
  GObject          parent_instance;

  GtkWindow       *window;     /* weak */
  AdwToastOverlay *overlay;    /* weak */
  VigilRisk       *risk;
  VigilAuth       *auth;
  guint            toasts;
  guint            notifications;
};

G_DEFINE_FINAL_TYPE (VigilDecisionNotifier, vigil_decision_notifier, G_TYPE_OBJECT)

static char *
describe (VigilDecisionNotifier   *self,
          const VigilRiskDecision *decision)
{
  g_autoptr(VigilUser) user = NULL;
  const char *who = decision->session_id;
  const char *reason = NULL;

  /* An indexed read by primary key; a name says more than a UUID. */
  if (decision->user_id != NULL &&
      (user = vigil_auth_lookup_user (self->auth, decision->user_id, NULL)) != NULL)
    who = user->email ? user->email : user->phone ? user->phone : user->id;

  if (decision->reasons != NULL && decision->reasons->len > 0)
    reason = ((VigilRiskReason *) g_ptr_array_index (decision->reasons, 0))->text;

  /* Translators: a session blocked automatically; user, risk, the main reason */
  return g_strdup_printf (_("Blocked %s (risk %.2f): %s"),
                          who, decision->risk, reason ? reason : _("high risk"));
}

static void
on_decision_made (VigilRisk               *risk,
                  const VigilRiskDecision *decision,
                  VigilDecisionNotifier   *self)
{
  g_autofree char *text = NULL;
  AdwToast *toast;

  if (decision->decision != VIGIL_DECISION_BLOCK || self->overlay == NULL)
    return;

  text = describe (self, decision);
  toast = adw_toast_new (text);
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->overlay, toast);
  self->toasts++;

  if (self->window != NULL && !gtk_window_is_active (self->window))
    {
      GtkApplication *app = gtk_window_get_application (self->window);
      g_autoptr(GNotification) notification = g_notification_new (_("Session blocked"));
      g_autofree char *id = g_strdup_printf ("block-%s", decision->session_id);

      g_notification_set_body (notification, text);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      if (app != NULL)
        {
          g_application_send_notification (G_APPLICATION (app), id, notification);
          self->notifications++;
        }
    }
}

static void
vigil_decision_notifier_dispose (GObject *object)
{
  VigilDecisionNotifier *self = VIGIL_DECISION_NOTIFIER (object);

  if (self->risk != NULL)
    g_signal_handlers_disconnect_by_data (self->risk, self);
  g_clear_object (&self->risk);
  g_clear_object (&self->auth);
  g_clear_weak_pointer (&self->window);
  g_clear_weak_pointer (&self->overlay);

  G_OBJECT_CLASS (vigil_decision_notifier_parent_class)->dispose (object);
}

static void
vigil_decision_notifier_class_init (VigilDecisionNotifierClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = vigil_decision_notifier_dispose;
}

static void
vigil_decision_notifier_init (VigilDecisionNotifier *self)
{
}

VigilDecisionNotifier *
vigil_decision_notifier_new (GtkWindow       *window,
                             AdwToastOverlay *overlay,
                             VigilEngine     *engine)
{
  VigilDecisionNotifier *self;

  g_return_val_if_fail (GTK_IS_WINDOW (window), NULL);
  g_return_val_if_fail (ADW_IS_TOAST_OVERLAY (overlay), NULL);
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  self = g_object_new (VIGIL_TYPE_DECISION_NOTIFIER, NULL);
  g_set_weak_pointer (&self->window, window);
  g_set_weak_pointer (&self->overlay, overlay);
  self->risk = g_object_ref (vigil_engine_get_risk (engine));
  self->auth = g_object_ref (vigil_engine_get_auth (engine));
  g_signal_connect (self->risk, "decision-made", G_CALLBACK (on_decision_made), self);
  return self;
}

guint
vigil_decision_notifier_get_toasts (VigilDecisionNotifier *self)
{
  g_return_val_if_fail (VIGIL_IS_DECISION_NOTIFIER (self), 0);
  return self->toasts;
}

guint
vigil_decision_notifier_get_notifications (VigilDecisionNotifier *self)
{
  g_return_val_if_fail (VIGIL_IS_DECISION_NOTIFIER (self), 0);
  return self->notifications;
}
