/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-action-dialog"

#include "config.h"

#include "vigil-action-dialog.h"

#include <glib/gi18n.h>

static void
on_reason_changed (GtkEditable      *entry,
                   AdwMessageDialog *dialog)
{
  g_autofree char *reason = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, VIGIL_ACTION_DIALOG_APPLY, reason[0] != '\0');
}

static void
on_reason_activate (GtkEntry         *entry,
                    AdwMessageDialog *dialog)
{
  if (!adw_message_dialog_get_response_enabled (dialog, VIGIL_ACTION_DIALOG_APPLY))
    return;
  /* Unlike a click on the button, emitting the response leaves the
   * dialog open. */
  adw_message_dialog_response (dialog, VIGIL_ACTION_DIALOG_APPLY);
  gtk_window_close (GTK_WINDOW (dialog));
}

AdwMessageDialog *
vigil_action_dialog_new (GtkWindow          *parent,
                         VigilSessionAction  action,
                         const char         *who)
{
  const char *heading = NULL, *apply = NULL;
  const char *name = who ? who : _("an unknown user");
  g_autofree char *body = NULL;
  AdwResponseAppearance appearance = ADW_RESPONSE_DESTRUCTIVE;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  switch (action)
    {
    case VIGIL_SESSION_ACTION_BLOCK:
      heading = _("Block Session?");
      body = g_strdup_printf (_("The app of %s is told at once that the session is blocked, and the session ends."), name);
      apply = _("_Block");
      break;
    case VIGIL_SESSION_ACTION_ALLOW:
      heading = _("Mark Session Safe?");
      body = g_strdup_printf (_("The session of %s is labelled safe, and the user's model learns from it."), name);
      apply = _("_Mark Safe");
      appearance = ADW_RESPONSE_SUGGESTED;
      break;
    case VIGIL_SESSION_ACTION_REQUIRE_MPIN:
      heading = _("Require MPIN?");
      body = g_strdup_printf (_("The app of %s asks the user for the MPIN again before the session goes on."), name);
      apply = _("_Require MPIN");
      appearance = ADW_RESPONSE_SUGGESTED;
      break;
    case VIGIL_SESSION_ACTION_END:
      heading = _("End Session?");
      body = g_strdup_printf (_("The session of %s ends now; the app has to log in again."), name);
      apply = _("_End Session");
      break;
    default:
      g_return_val_if_reached (NULL);
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading, NULL));
  adw_message_dialog_set_body (dialog, body);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), VIGIL_ACTION_DIALOG_APPLY, apply, NULL);
  adw_message_dialog_set_response_appearance (dialog, VIGIL_ACTION_DIALOG_APPLY, appearance);
  adw_message_dialog_set_response_enabled (dialog, VIGIL_ACTION_DIALOG_APPLY, FALSE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");

  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason (required, kept in the audit log)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Reason"), -1);
  g_signal_connect_object (entry, "changed", G_CALLBACK (on_reason_changed), dialog, 0);
  g_signal_connect_object (entry, "activate", G_CALLBACK (on_reason_activate), dialog, 0);
  adw_message_dialog_set_extra_child (dialog, entry);

  g_object_set_data (G_OBJECT (dialog), "vigil-entry", entry);
  g_object_set_data (G_OBJECT (dialog), "vigil-action", GUINT_TO_POINTER (action));
  return dialog;
}

GtkEditable *
vigil_action_dialog_get_entry (AdwMessageDialog *dialog)
{
  g_return_val_if_fail (ADW_IS_MESSAGE_DIALOG (dialog), NULL);
  return g_object_get_data (G_OBJECT (dialog), "vigil-entry");
}

VigilSessionAction
vigil_action_dialog_get_action (AdwMessageDialog *dialog)
{
  g_return_val_if_fail (ADW_IS_MESSAGE_DIALOG (dialog), VIGIL_SESSION_ACTION_ALLOW);
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "vigil-action"));
}
