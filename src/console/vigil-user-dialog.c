/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "New User" dialog of the Users page. */
#define G_LOG_DOMAIN "vigil-user-dialog"

#include "config.h"

#include "vigil-user-dialog.h"

#include <glib/gi18n.h>

#include "vigil-auth-admin.h"
#include "vigil-policy.h"

struct _VigilUserDialog
{
  AdwWindow     parent_instance;

  VigilEngine  *engine;
  GCancellable *cancellable;
  gboolean      busy;

  AdwEntryRow  *email_row;
  AdwEntryRow  *phone_row;
  AdwEntryRow  *password_row;
  AdwComboRow  *role_row;
  GtkButton    *create_button;
  GtkLabel     *error_label;
};

G_DEFINE_FINAL_TYPE (VigilUserDialog, vigil_user_dialog, ADW_TYPE_WINDOW)

enum { USER_CREATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *
row_text (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return text != NULL && text[0] != '\0' ? text : NULL;
}

static void
show_error (VigilUserDialog *self,
            const char      *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* The engine's own rules, checked as the user types, so the dialog says
 * what is wrong before the click. */
static gboolean
validate (VigilUserDialog *self)
{
  g_autoptr(GError) error = NULL;
  const char *email = row_text (self->email_row);
  const char *phone = row_text (self->phone_row);
  const char *password = row_text (self->password_row);

  if (email != NULL && !vigil_policy_check_email (email, &error))
    {
      show_error (self, error->message);
      return FALSE;
    }
  if (phone != NULL && !vigil_policy_check_phone (phone, &error))
    {
      show_error (self, error->message);
      return FALSE;
    }
  if (password != NULL && !vigil_policy_check_password (password, &error))
    {
      show_error (self, error->message);
      return FALSE;
    }
  show_error (self, NULL);
  return (email != NULL || phone != NULL) && password != NULL;
}

static void
on_input_changed (VigilUserDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), validate (self) && !self->busy);
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(VigilUserDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = vigil_auth_admin_create_user_finish (VIGIL_AUTH (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->busy = FALSE;
  if (user == NULL)
    {
      show_error (self, error->message);
      on_input_changed (self);
      return;
    }

  g_signal_emit (self, signals[USER_CREATED], 0, user);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_create_clicked (VigilUserDialog *self)
{
  g_autofree char *actor = vigil_auth_admin_console_actor ();
  VigilRegistration registration = { 0 };

  if (self->busy || !validate (self))
    return;

  registration.email = row_text (self->email_row);
  registration.phone = row_text (self->phone_row);
  registration.password = row_text (self->password_row);
  registration.role = (VigilRole) adw_combo_row_get_selected (self->role_row);

  self->busy = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), FALSE);
  vigil_auth_admin_create_user_async (vigil_engine_get_auth (self->engine), &registration, actor,
                                      self->cancellable, on_created, g_object_ref (self));
}

static void
vigil_user_dialog_dispose (GObject *object)
{
  VigilUserDialog *self = VIGIL_USER_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_USER_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (vigil_user_dialog_parent_class)->dispose (object);
}

static void
vigil_user_dialog_class_init (VigilUserDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_user_dialog_dispose;

  signals[USER_CREATED] =
    g_signal_new ("user-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, VIGIL_TYPE_USER);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-user-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilUserDialog, email_row);
  gtk_widget_class_bind_template_child (widget_class, VigilUserDialog, phone_row);
  gtk_widget_class_bind_template_child (widget_class, VigilUserDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, VigilUserDialog, role_row);
  gtk_widget_class_bind_template_child (widget_class, VigilUserDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, VigilUserDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_input_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
vigil_user_dialog_init (VigilUserDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

VigilUserDialog *
vigil_user_dialog_new (GtkWindow   *parent,
                       VigilEngine *engine)
{
  VigilUserDialog *self;

  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  self = g_object_new (VIGIL_TYPE_USER_DIALOG, "transient-for", parent, NULL);
  self->engine = g_object_ref (engine);
  return self;
}

GtkEditable *
_vigil_user_dialog_get_email (VigilUserDialog *self)
{
  return GTK_EDITABLE (self->email_row);
}

GtkEditable *
_vigil_user_dialog_get_phone (VigilUserDialog *self)
{
  return GTK_EDITABLE (self->phone_row);
}

GtkEditable *
_vigil_user_dialog_get_password (VigilUserDialog *self)
{
  return GTK_EDITABLE (self->password_row);
}

AdwComboRow *
_vigil_user_dialog_get_role (VigilUserDialog *self)
{
  return self->role_row;
}

GtkButton *
_vigil_user_dialog_get_create (VigilUserDialog *self)
{
  return self->create_button;
}

GtkLabel *
_vigil_user_dialog_get_error (VigilUserDialog *self)
{
  return self->error_label;
}
