/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admin pages as an administrator uses them, on a real window over a
 * real engine and server: an account created on the Users page logs in
 * over the API and stops working when disabled; the audit filter narrows
 * the list and the export writes what it shows; both pages show what the
 * engine changes behind them as soon as the event bus tells; Preferences
 * change the engine's risk thresholds. */
#define G_LOG_DOMAIN "test-ui-admin"

#include "config.h"

#include <adwaita.h>

#include "vigil-audit-page.h"
#include "vigil-auth-admin.h"
#include "vigil-engine-settings.h"
#include "vigil-test-api.h"
#include "vigil-test-block.h"
#include "vigil-test-util.h"
#include "vigil-users-page-private.h"
#include "vigil-window-private.h"

#define PASSWORD "Correct-Horse-9"
#define WAIT_MS  20000

typedef struct
{
  VigilTestApi  api;
  VigilWindow  *window;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  vigil_test_api_set_up (&fixture->api, NULL);
  fixture->window = vigil_window_new (NULL, fixture->api.engine);
  gtk_window_present (GTK_WINDOW (fixture->window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  VigilWindow *window = g_steal_pointer (&fixture->window);

  g_object_ref (window);
  gtk_window_destroy (GTK_WINDOW (window));
  vigil_test_drain_main_context ();
  g_assert_finalize_object (window);
  vigil_test_api_tear_down (&fixture->api);
}

static GtkWidget *
show_page (Fixture    *fixture,
           const char *name)
{
  AdwViewStack *stack = _vigil_window_get_view_stack (fixture->window);
  GtkWidget *page = adw_view_stack_get_child_by_name (stack, name);

  g_assert_nonnull (page);
  adw_view_stack_set_visible_child (stack, page);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (fixture->window));
  return page;
}

static void
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Waits until @directory holds a row for @email whose disabled flag is
 * @disabled; returns it. */
static VigilUserRow *
wait_for_user (VigilUsersPage *page,
               const char     *email,
               gboolean        disabled)
{
  VigilUserDirectory *directory = _vigil_users_page_get_directory (page);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      gboolean changed = FALSE;
      gulong handler;

      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (directory)); i++)
        {
          g_autoptr(VigilUserRow) row = g_list_model_get_item (G_LIST_MODEL (directory), i);
          const VigilUser *user = vigil_user_row_get_user (row);

          if (g_strcmp0 (user->email, email) == 0 && user->disabled == disabled)
            return row;   /* the directory keeps its own reference */
        }
      handler = g_signal_connect_swapped (directory, "items-changed", G_CALLBACK (set_flag), &changed);
      vigil_test_wait_for (&changed, 500);
      g_signal_handler_disconnect (directory, handler);
    }
  return NULL;
}

static guint
login_status (Fixture    *fixture,
              const char *email)
{
  g_autofree char *body = g_strdup_printf ("{\"email\":\"%s\",\"password\":\"%s\"}", email, PASSWORD);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (&fixture->api, "/api/login", NULL, body);

  return reply->status;
}

/* Waits until the audit log has an entry of @action about @target by the
 * console's actor. */
static gboolean
wait_for_audit (Fixture    *fixture,
                const char *action,
                const char *target)
{
  VigilStore *store = vigil_engine_get_store (fixture->api.engine);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GPtrArray) rows = vigil_audit_list_after (store, 0, 10000, NULL);

      for (guint i = 0; rows != NULL && i < rows->len; i++)
        {
          const VigilAuditEntry *entry = vigil_audit_row_get_entry (g_ptr_array_index (rows, i));

          if (g_strcmp0 (entry->action, action) == 0 && g_strcmp0 (entry->target, target) == 0 &&
              g_str_has_prefix (entry->actor, "console:"))
            return TRUE;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  return FALSE;
}

static void
test_users_create_login_disable (Fixture       *fixture,
                                 gconstpointer  data)
{
  VigilUsersPage *page = VIGIL_USERS_PAGE (show_page (fixture, "users"));
  VigilUserDialog *dialog;
  GtkWidget *create;
  VigilUserRow *row;
  g_autofree char *user_id = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "users.create", NULL));
  dialog = _vigil_users_page_get_dialog (page);
  g_assert_nonnull (dialog);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (dialog));
  create = GTK_WIDGET (_vigil_user_dialog_get_create (dialog));

  /* The password policy answers while typing, and Create waits for it. */
  gtk_editable_set_text (_vigil_user_dialog_get_email (dialog), "new.analyst@example.com");
  gtk_editable_set_text (_vigil_user_dialog_get_password (dialog), "short");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (_vigil_user_dialog_get_error (dialog))));
  g_assert_false (gtk_widget_get_sensitive (create));

  gtk_editable_set_text (_vigil_user_dialog_get_password (dialog), PASSWORD);
  adw_combo_row_set_selected (_vigil_user_dialog_get_role (dialog), VIGIL_ROLE_ANALYST);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (_vigil_user_dialog_get_error (dialog))));
  g_assert_true (gtk_widget_get_sensitive (create));
  g_assert_true (gtk_widget_activate (create));

  row = wait_for_user (page, "new.analyst@example.com", FALSE);
  g_assert_nonnull (row);
  g_assert_cmpint (vigil_user_row_get_user (row)->role, ==, VIGIL_ROLE_ANALYST);
  g_assert_null (_vigil_users_page_get_dialog (page));   /* closed on success */
  user_id = g_strdup (vigil_user_row_get_id (row));

  g_assert_cmpuint (login_status (fixture, "new.analyst@example.com"), ==, 200);

  /* Search narrows the list to the account, then Disable. */
  gtk_editable_set_text (_vigil_users_page_get_search (page), "new.analyst");
  g_assert_true (_vigil_users_page_select (page, user_id));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "users.toggle-disabled", NULL));
  g_assert_nonnull (wait_for_user (page, "new.analyst@example.com", TRUE));
  g_assert_cmpuint (login_status (fixture, "new.analyst@example.com"), ==, 401);

  /* The search entry applies its text after a short typing delay. */
  /* Unlock, reset the model, then delete after the confirmation. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "users.reset-model", NULL));
  g_assert_true (wait_for_audit (fixture, "profile.reset", user_id));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "users.delete", NULL));
  g_assert_nonnull (_vigil_users_page_get_delete_dialog (page));
  adw_message_dialog_response (_vigil_users_page_get_delete_dialog (page), "delete");
  g_assert_true (wait_for_audit (fixture, "admin.user_deleted", user_id));
  g_assert_cmpuint (login_status (fixture, "new.analyst@example.com"), ==, 401);

  gtk_editable_set_text (_vigil_users_page_get_search (page), "nobody-matches-this");
  {
    GListModel *shown = G_LIST_MODEL (_vigil_users_page_get_selection (page));
    gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

    while (g_list_model_get_n_items (shown) > 0 && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 0);
  }
}

/* Registers over the API; answers the new account's id. */
static char *
register_phone (Fixture    *fixture,
                const char *phone)
{
  g_autofree char *body = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"mpin\":\"123456\"}",
                                           phone, PASSWORD);
  g_autoptr(VigilTestReply) reply = vigil_test_api_post (&fixture->api, "/api/v1/auth/register", NULL, body);

  vigil_test_assert_status (reply, 200);
  g_assert_nonnull (vigil_test_reply_string (reply, "user_id"));
  return g_strdup (vigil_test_reply_string (reply, "user_id"));
}

static void
wait_query (VigilAuditPage *page)
{
  gboolean done = FALSE;
  gulong handler = g_signal_connect_swapped (page, "query-done", G_CALLBACK (set_flag), &done);

  g_assert_true (vigil_test_wait_for (&done, WAIT_MS));
  g_signal_handler_disconnect (page, handler);
}

static void
on_export_done (VigilAuditPage *page,
                gint64          rows,
                gpointer        user_data)
{
  *(gint64 *) user_data = rows;
}

static void
test_audit_filter_export (Fixture       *fixture,
                          gconstpointer  data)
{
  VigilAuditPage *page;
  GListModel *rows;
  guint all;
  gint64 exported = -2;
  gboolean exported_flag = FALSE;
  g_autofree char *path = g_build_filename (fixture->api.dir, "filtered.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  gulong handler;

  g_free (register_phone (fixture, "5550001111"));
  g_free (register_phone (fixture, "5550002222"));
  vigil_test_api_wait_idle (&fixture->api);

  page = VIGIL_AUDIT_PAGE (show_page (fixture, "audit"));
  rows = _vigil_audit_page_get_rows (page);
  /* Searching for nothing again re-reads the log with both entries. */
  gtk_editable_set_text (_vigil_audit_page_get_entry (page, VIGIL_AUDIT_PAGE_ACTION), "auth.register");
  wait_query (page);
  all = g_list_model_get_n_items (rows);
  g_assert_cmpuint (all, ==, 2);

  gtk_editable_set_text (_vigil_audit_page_get_entry (page, VIGIL_AUDIT_PAGE_TEXT), "5550002222");
  wait_query (page);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  {
    g_autoptr(VigilAuditRow) row = g_list_model_get_item (rows, 0);

    g_assert_nonnull (strstr (vigil_audit_row_get_entry (row)->details, "5550002222"));
  }

  /* A range before the test clock's start (2026-01-01) holds nothing; an
   * open range from before it holds the entry again. */
  _vigil_audit_page_set_custom_range (page, "2025-12-01", "2025-12-30 12:00");
  wait_query (page);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 0);
  _vigil_audit_page_set_custom_range (page, "2025-12-31", "");
  wait_query (page);
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);

  handler = g_signal_connect (page, "export-done", G_CALLBACK (on_export_done), &exported);
  g_signal_connect_swapped (page, "export-done", G_CALLBACK (set_flag), &exported_flag);
  _vigil_audit_page_export_to (page, file, VIGIL_AUDIT_EXPORT_CSV);
  g_assert_true (vigil_test_wait_for (&exported_flag, WAIT_MS));
  g_signal_handler_disconnect (page, handler);
  g_assert_cmpint (exported, ==, 1);

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\r\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[0], "id,at,actor,action"));
  g_assert_nonnull (strstr (lines[1], "5550002222"));
  g_assert_null (strstr (contents, "5550001111"));
}

static void
test_audit_integrity (Fixture       *fixture,
                      gconstpointer  data)
{
  VigilAuditPage *page;
  GtkLabel *label;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  g_free (register_phone (fixture, "5550003333"));
  vigil_test_api_wait_idle (&fixture->api);
  page = VIGIL_AUDIT_PAGE (show_page (fixture, "audit"));
  label = _vigil_audit_page_get_integrity (page);
  /* The check runs when the page is built; the button runs it again. */
  gtk_widget_activate_action (GTK_WIDGET (page), "audit.verify", NULL);
  while (g_get_monotonic_time () < deadline && strstr (gtk_label_get_label (label), "verified up to entry") == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (strstr (gtk_label_get_label (label), "intact: verified up to entry"));
}

static void
test_preferences_threshold (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APPLICATION_ID);
  VigilRisk *risk = vigil_engine_get_risk (fixture->api.engine);
  VigilPreferencesWindow *preferences;
  VigilRiskThresholds thresholds;
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  /* What the application does with its settings. */
  vigil_engine_settings_bind (fixture->api.engine, settings);
  vigil_risk_get_thresholds (risk, &thresholds);
  g_assert_cmpfloat (thresholds.high, ==, VIGIL_RISK_HIGH_THRESHOLD);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.preferences", NULL));
  preferences = _vigil_window_get_preferences (fixture->window);
  g_assert_nonnull (preferences);
  gtk_test_widget_wait_for_draw (GTK_WIDGET (preferences));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (preferences)));
  g_assert_nonnull (adw_preferences_window_get_visible_page (ADW_PREFERENCES_WINDOW (preferences)));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (_vigil_preferences_window_get_listen (preferences))));

  gtk_spin_button_set_value (_vigil_preferences_window_get_threshold (preferences, VIGIL_PREFERENCES_HIGH), 0.95);
  while (g_get_monotonic_time () < deadline)
    {
      vigil_risk_get_thresholds (risk, &thresholds);
      if (G_APPROX_VALUE (thresholds.high, 0.95, 1e-9))
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpfloat_with_epsilon (g_settings_get_double (settings, "risk-high-threshold"), 0.95, 1e-9);
  g_assert_cmpfloat_with_epsilon (thresholds.high, 0.95, 1e-9);
  /* And decisions follow: 0.92 no longer asks for a block. */
  g_assert_cmpint (vigil_risk_thresholds_decide (&thresholds, 0.92, 0.95, NULL), ==, VIGIL_DECISION_STEP_UP);

  gtk_window_destroy (GTK_WINDOW (preferences));
  g_settings_reset (settings, "risk-high-threshold");
}

static void
test_block_toast (Fixture       *fixture,
                  gconstpointer  data)
{
  VigilDecisionNotifier *notifier = _vigil_window_get_notifier (fixture->window);
  g_autoptr(VigilSession) session = NULL;
  g_autofree char *user_id = register_phone (fixture, "5550004444");

  g_assert_cmpuint (vigil_decision_notifier_get_toasts (notifier), ==, 0);
  session = vigil_test_block_session (fixture->api.engine, user_id);
  g_assert_cmpint (vigil_session_get_state (session), ==, VIGIL_SESSION_BLOCKED);
  g_assert_cmpuint (vigil_decision_notifier_get_toasts (notifier), ==, 1);
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilUser) user = vigil_auth_admin_create_user_finish (VIGIL_AUTH (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (user);
  *(gboolean *) user_data = TRUE;
}

/* Accounts made by the engine, not the page, appear without a refresh
 * the page asked for: "user-changed" brings them. */
static void
test_users_follow_engine (Fixture       *fixture,
                          gconstpointer  data)
{
  VigilUsersPage *page = VIGIL_USERS_PAGE (show_page (fixture, "users"));
  VigilAuth *auth = vigil_engine_get_auth (fixture->api.engine);
  const char *emails[] = { "first.api@example.com", "second.api@example.com" };

  for (guint i = 0; i < G_N_ELEMENTS (emails); i++)
    {
      VigilRegistration registration = { .email = emails[i], .password = PASSWORD, .role = VIGIL_ROLE_USER };
      gboolean created = FALSE;

      vigil_auth_admin_create_user_async (auth, &registration, "api:tester", NULL, on_created, &created);
      g_assert_true (vigil_test_wait_for (&created, WAIT_MS));
      g_assert_nonnull (wait_for_user (page, emails[i], FALSE));
    }
}

static gboolean
shows_action (GListModel *rows,
              const char *action)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(VigilAuditRow) row = g_list_model_get_item (rows, i);

      if (g_strcmp0 (vigil_audit_row_get_entry (row)->action, action) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
append_audit (Fixture    *fixture,
              const char *action)
{
  VigilStore *store = vigil_engine_get_store (fixture->api.engine);
  gint64 now = vigil_clock_now_us (vigil_engine_get_clock (fixture->api.engine));

  vigil_audit_append_async (store, now, "api:tester", action, "target", NULL, NULL, NULL, NULL, NULL);
}

/* Entries the engine appends join the shown page on "audit-appended";
 * a hidden page does not follow, and catches up once shown again. */
static void
test_audit_follows_engine (Fixture       *fixture,
                           gconstpointer  data)
{
  VigilEventBus *bus = vigil_engine_get_event_bus (fixture->api.engine);
  VigilAuditPage *page = VIGIL_AUDIT_PAGE (show_page (fixture, "audit"));
  GListModel *rows = _vigil_audit_page_get_rows (page);
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  gboolean told = FALSE;
  gulong handler;

  append_audit (fixture, "test.followed");
  while (!shows_action (rows, "test.followed") && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (shows_action (rows, "test.followed"));

  show_page (fixture, "users");
  g_assert_false (gtk_widget_get_mapped (GTK_WIDGET (page)));
  handler = g_signal_connect_swapped (bus, "audit-appended", G_CALLBACK (set_flag), &told);
  append_audit (fixture, "test.hidden");
  g_assert_true (vigil_test_wait_for (&told, WAIT_MS));
  g_signal_handler_disconnect (bus, handler);
  vigil_test_drain_main_context ();
  g_assert_false (shows_action (rows, "test.hidden"));

  show_page (fixture, "audit");
  g_assert_true (shows_action (rows, "test.hidden"));
  g_assert_true (shows_action (rows, "test.followed"));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GTK_A11Y", "test", FALSE);
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_skip ("No display");
      return g_test_run ();
    }
  adw_init ();

  g_test_add ("/ui-admin/users/create-login-disable", Fixture, NULL, fixture_set_up,
              test_users_create_login_disable, fixture_tear_down);
  g_test_add ("/ui-admin/audit/filter-export", Fixture, NULL, fixture_set_up,
              test_audit_filter_export, fixture_tear_down);
  g_test_add ("/ui-admin/audit/integrity", Fixture, NULL, fixture_set_up,
              test_audit_integrity, fixture_tear_down);
  g_test_add ("/ui-admin/users/follow-engine", Fixture, NULL, fixture_set_up,
              test_users_follow_engine, fixture_tear_down);
  g_test_add ("/ui-admin/audit/follow-engine", Fixture, NULL, fixture_set_up,
              test_audit_follows_engine, fixture_tear_down);
  g_test_add ("/ui-admin/preferences/threshold", Fixture, NULL, fixture_set_up,
              test_preferences_threshold, fixture_tear_down);

  g_test_add ("/ui-admin/toast/automatic-block", Fixture, NULL, fixture_set_up,
              test_block_toast, fixture_tear_down);

  return g_test_run ();
}
