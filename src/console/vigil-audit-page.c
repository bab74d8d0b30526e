/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Audit page: the audit log filtered and searched on a worker thread,
 * followed live, exported, and its hash chain checked. */
#define G_LOG_DOMAIN "vigil-audit-page"

#include "config.h"

#include "vigil-audit-page.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "vigil-error.h"

/* The view holds the newest entries that match, up to this many; export
 * writes every match. */
#define VIEW_LIMIT   5000
/* Following reads the entries after the last one seen, an indexed read,
 * this many at a time; a longer backlog is read on later idles so the
 * loop stays responsive. */
#define FOLLOW_BATCH 500

struct _VigilAuditPage
{
  VigilPage         parent_instance;

  VigilStore       *store;          /* until finalize: callbacks finish with it */
  GListStore       *rows;
  GCancellable     *cancellable;
  GCancellable     *query_cancellable;
  VigilAuditFilter *filter;
  gint64            watermark;      /* newest id the current rows account for */
  guint             follow_more_id;
  gboolean          querying;
  gboolean          verifying;

  GtkSearchEntry   *text_entry;
  GtkSearchEntry   *actor_entry;
  GtkSearchEntry   *action_entry;
  GtkSearchEntry   *target_entry;
  GtkDropDown      *range_dropdown;
  GtkEntry         *from_entry;
  GtkEntry         *to_entry;
  GtkImage         *integrity_icon;
  GtkLabel         *integrity_label;
  GtkLabel         *count_label;
  GtkStack         *stack;
  GtkColumnView    *column_view;
};

G_DEFINE_FINAL_TYPE (VigilAuditPage, vigil_audit_page, VIGIL_TYPE_PAGE)

enum { QUERY_DONE, EXPORT_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef enum
{
  COLUMN_TIME,
  COLUMN_ACTOR,
  COLUMN_ACTION,
  COLUMN_TARGET,
  COLUMN_ADDRESS,
  COLUMN_DETAILS,
  N_COLUMNS
} Column;

/* The presets of the range drop-down, then "Custom range". */
static const gint64 range_seconds[] = { 0, 3600, 86400, 7 * 86400, 30 * 86400 };
#define RANGE_CUSTOM G_N_ELEMENTS (range_seconds)

static char *
cell_text (const VigilAuditEntry *entry,
           Column                 column)
{
  switch (column)
    {
    case COLUMN_TIME:
      {
        g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (entry->at_us / G_USEC_PER_SEC);

        return time ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("—");
      }
    case COLUMN_ACTOR:   return g_strdup (entry->actor);
    case COLUMN_ACTION:  return g_strdup (entry->action);
    case COLUMN_TARGET:  return g_strdup (entry->target ? entry->target : "");
    case COLUMN_ADDRESS: return g_strdup (entry->client_address ? entry->client_address : "");
    case COLUMN_DETAILS: return g_strdup (entry->details ? entry->details : "");
    case N_COLUMNS:
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "column"));
  const VigilAuditEntry *entry = vigil_audit_row_get_entry (gtk_list_item_get_item (item));
  GtkWidget *label = gtk_list_item_get_child (item);
  g_autofree char *text = cell_text (entry, column);

  gtk_label_set_label (GTK_LABEL (label), text);
  gtk_widget_set_tooltip_text (label, text[0] != '\0' ? text : NULL);
}

static void
add_columns (VigilAuditPage *self)
{
  const char *titles[N_COLUMNS] = {
    N_("Time"), N_("Actor"), N_("Action"), N_("Target"), N_("Address"), N_("Details"),
  };

  for (guint i = 0; i < N_COLUMNS; i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_object_set_data (G_OBJECT (factory), "column", GUINT_TO_POINTER (i));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
      column = gtk_column_view_column_new (_(titles[i]), factory);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_expand (column, i == COLUMN_DETAILS);
      gtk_column_view_append_column (self->column_view, column);
    }
}

static void
update_count (VigilAuditPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  g_autofree char *text = NULL;

  if (n >= VIEW_LIMIT)
    text = g_strdup_printf (_("Newest %u matching entries"), n);
  else
    text = g_strdup_printf (ngettext ("%u entry", "%u entries", n), n);
  gtk_label_set_label (self->count_label, text);
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

static void follow (VigilAuditPage *self);

/* Filtering */

static char *
entry_text (GtkSearchEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  return text != NULL && text[0] != '\0' ? g_strdup (text) : NULL;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" in local time: TRUE with 0 in
 * @out_us when empty, FALSE when it does not parse. */
static gboolean
parse_local_time (GtkEntry *entry,
                  gint64   *out_us)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autoptr(GDateTime) time = NULL;
  int year, month, day, hour = 0, minute = 0, consumed = 0, fields;

  *out_us = 0;
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  if (text == NULL || text[strspn (text, " ")] == '\0')
    return TRUE;

  fields = sscanf (text, " %4d-%2d-%2d %n", &year, &month, &day, &consumed);
  if (fields == 3 && text[consumed] != '\0')
    {
      int more = 0;

      if (sscanf (text + consumed, "%2d:%2d %n", &hour, &minute, &more) != 2 || text[consumed + more] != '\0')
        fields = 0;
    }
  if (fields == 3)
    time = g_date_time_new_local (year, month, day, hour, minute, 0);
  if (time == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      return FALSE;
    }
  *out_us = g_date_time_to_unix (time) * G_USEC_PER_SEC;
  return TRUE;
}

static VigilAuditFilter *
read_filter (VigilAuditPage *self)
{
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  VigilAuditFilter *filter = g_new0 (VigilAuditFilter, 1);
  guint range = gtk_drop_down_get_selected (self->range_dropdown);

  filter->text = entry_text (self->text_entry);
  filter->actor = entry_text (self->actor_entry);
  filter->action = entry_text (self->action_entry);
  filter->target = entry_text (self->target_entry);
  if (range < G_N_ELEMENTS (range_seconds) && range_seconds[range] > 0)
    filter->since_us = vigil_clock_now_us (vigil_engine_get_clock (engine)) -
                       range_seconds[range] * G_USEC_PER_SEC;
  else if (range == RANGE_CUSTOM)
    {
      /* An unparsable bound is marked and left open, not guessed. */
      (void) parse_local_time (self->from_entry, &filter->since_us);
      (void) parse_local_time (self->to_entry, &filter->until_us);
    }
  return filter;
}

static void
on_query_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(VigilAuditPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = vigil_audit_query_finish (self->store, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->querying = FALSE;
  if (rows == NULL)
    {
      g_warning ("Could not search the audit log: %s", error->message);
      g_list_store_remove_all (self->rows);
    }
  else
    {
      /* Newest first: entries appended while the query ran may be in it
       * already, and must not be followed in a second time. */
      if (rows->len > 0)
        self->watermark = MAX (self->watermark,
                               vigil_audit_row_get_entry (g_ptr_array_index (rows, 0))->id);
      g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)),
                           rows->pdata, rows->len);
    }
  update_count (self);
  g_signal_emit (self, signals[QUERY_DONE], 0);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    follow (self);
}

static void
run_query (VigilAuditPage *self)
{
  g_autoptr(GError) error = NULL;
  VigilStore *store = self->store;

  g_cancellable_cancel (self->query_cancellable);
  g_clear_object (&self->query_cancellable);
  self->query_cancellable = g_cancellable_new ();

  g_clear_pointer (&self->filter, vigil_audit_filter_free);
  self->filter = read_filter (self);
  self->querying = TRUE;
  /* Entries after the watermark reach the view through following. */
  self->watermark = vigil_audit_get_last_id (store, &error);
  if (self->watermark < 0)
    {
      g_debug ("Cannot read the newest audit id: %s", error->message);
      self->watermark = 0;
    }
  vigil_audit_query_async (store, self->filter, VIEW_LIMIT, self->query_cancellable,
                           on_query_done, g_object_ref (self));
}

static void
on_filter_changed (VigilAuditPage *self)
{
  gboolean custom = gtk_drop_down_get_selected (self->range_dropdown) == RANGE_CUSTOM;

  gtk_widget_set_visible (GTK_WIDGET (self->from_entry), custom);
  gtk_widget_set_visible (GTK_WIDGET (self->to_entry), custom);
  run_query (self);
}

/* Following the log */

static gboolean
follow_more (gpointer user_data)
{
  VigilAuditPage *self = user_data;

  self->follow_more_id = 0;
  follow (self);
  return G_SOURCE_REMOVE;
}

/* Adds the entries appended since the watermark that match. Runs when the
 * bus says the log grew and when the page is shown again; a query in
 * flight follows once it is done. */
static void
follow (VigilAuditPage *self)
{
  g_autoptr(GPtrArray) added = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();
  VigilStore *store = self->store;
  guint n;

  if (self->filter == NULL || self->querying || self->follow_more_id != 0)
    return;
  added = vigil_audit_list_after (store, self->watermark, FOLLOW_BATCH, &error);
  if (added == NULL)
    {
      if (!g_error_matches (error, VIGIL_ERROR, VIGIL_ERROR_CLOSED))
        g_debug ("Cannot follow the audit log: %s", error->message);
      return;
    }
  if (added->len == FOLLOW_BATCH)
    self->follow_more_id = g_idle_add (follow_more, self);

  /* Oldest first from the store; the view is newest first. */
  for (guint i = added->len; i > 0; i--)
    {
      VigilAuditRow *row = g_ptr_array_index (added, i - 1);
      const VigilAuditEntry *entry = vigil_audit_row_get_entry (row);

      self->watermark = MAX (self->watermark, entry->id);
      if (vigil_audit_filter_matches (self->filter, entry))
        g_ptr_array_add (matching, row);
    }
  if (matching->len == 0)
    return;

  g_list_store_splice (self->rows, 0, 0, matching->pdata, matching->len);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  if (n > VIEW_LIMIT)
    g_list_store_splice (self->rows, VIEW_LIMIT, n - VIEW_LIMIT, NULL, 0);
  update_count (self);
}

/* While hidden the page does not follow; showing it catches up. */
static void
on_audit_appended (VigilAuditPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    follow (self);
}

/* Integrity */

static void
on_verified (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilAuditPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VigilAuditVerification) verification =
    vigil_audit_verify_finish (self->store, result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->verifying = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "audit.verify", TRUE);

  gtk_widget_remove_css_class (GTK_WIDGET (self->integrity_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->integrity_label), "success");
  if (verification == NULL)
    {
      text = g_strdup_printf (_("The chain could not be checked: %s"), error->message);
      gtk_image_set_from_icon_name (self->integrity_icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->integrity_label), "error");
    }
  else if (verification->first_broken_id != 0)
    {
      text = g_strdup_printf (_("Chain broken at entry %lld (verified up to entry %lld): %s"),
                              (long long) verification->first_broken_id,
                              (long long) verification->verified_up_to,
                              verification->reason ? verification->reason : "");
      gtk_image_set_from_icon_name (self->integrity_icon, "dialog-error-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->integrity_label), "error");
    }
  else
    {
      text = g_strdup_printf (_("Hash chain intact: verified up to entry %lld"),
                              (long long) verification->verified_up_to);
      gtk_image_set_from_icon_name (self->integrity_icon, "emblem-ok-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->integrity_label), "success");
    }
  gtk_label_set_label (self->integrity_label, text);
}

static void
verify_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  VigilAuditPage *self = VIGIL_AUDIT_PAGE (widget);

  if (self->verifying)
    return;
  self->verifying = TRUE;
  gtk_widget_action_set_enabled (widget, "audit.verify", FALSE);
  gtk_label_set_label (self->integrity_label, _("Checking the hash chain…"));
  gtk_image_set_from_icon_name (self->integrity_icon, "emblem-synchronizing-symbolic");
  vigil_audit_verify_async (self->store, self->cancellable, on_verified, g_object_ref (self));
}

/* Export */

static void
toast (VigilAuditPage *self,
       const char     *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(VigilAuditPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 rows = vigil_audit_export_finish (self->store, result, &error);
  g_autofree char *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (rows < 0)
    text = g_strdup_printf (_("Export failed: %s"), error->message);
  else
    text = g_strdup_printf (ngettext ("%lld entry exported", "%lld entries exported", (gulong) rows),
                            (long long) rows);
  toast (self, text);
  g_signal_emit (self, signals[EXPORT_DONE], 0, rows);
}

void
_vigil_audit_page_export_to (VigilAuditPage         *self,
                             GFile                  *file,
                             VigilAuditExportFormat  format)
{
  g_return_if_fail (VIGIL_IS_AUDIT_PAGE (self));

  if (self->filter == NULL)
    self->filter = read_filter (self);
  vigil_audit_export_async (self->store, self->filter, file, format, self->cancellable, on_exported,
                            g_object_ref (self));
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  VigilAuditPage *self = VIGIL_AUDIT_PAGE (user_data);
  VigilAuditExportFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "format"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        _vigil_audit_page_export_to (self, file, format);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
export_action (GtkWidget  *widget,
               const char *name,
               GVariant   *parameter)
{
  VigilAuditPage *self = VIGIL_AUDIT_PAGE (widget);
  gboolean json = g_strcmp0 (g_variant_get_string (parameter, NULL), "json") == 0;
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (json ? _("Export Audit Log as JSON") : _("Export Audit Log as CSV"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), json ? "vigil-audit.json" : "vigil-audit.csv");
  gtk_file_filter_set_name (filter, json ? _("JSON files") : _("CSV files"));
  gtk_file_filter_add_suffix (filter, json ? "json" : "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_object_set_data (G_OBJECT (chooser), "format",
                     GINT_TO_POINTER (json ? VIGIL_AUDIT_EXPORT_JSON : VIGIL_AUDIT_EXPORT_CSV));
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
focus_search_action (GtkWidget  *widget,
                     const char *name,
                     GVariant   *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (VIGIL_AUDIT_PAGE (widget)->text_entry));
}

/* GObject */

static void
vigil_audit_page_map (GtkWidget *widget)
{
  VigilAuditPage *self = VIGIL_AUDIT_PAGE (widget);

  GTK_WIDGET_CLASS (vigil_audit_page_parent_class)->map (widget);
  follow (self);
}

static void
vigil_audit_page_unmap (GtkWidget *widget)
{
  g_clear_handle_id (&VIGIL_AUDIT_PAGE (widget)->follow_more_id, g_source_remove);
  GTK_WIDGET_CLASS (vigil_audit_page_parent_class)->unmap (widget);
}

static void
vigil_audit_page_constructed (GObject *object)
{
  VigilAuditPage *self = VIGIL_AUDIT_PAGE (object);
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));
  GtkNoSelection *selection;

  G_OBJECT_CLASS (vigil_audit_page_parent_class)->constructed (object);

  g_assert (VIGIL_IS_ENGINE (engine));

  self->store = g_object_ref (vigil_engine_get_store (engine));
  g_signal_connect_swapped (vigil_engine_get_event_bus (engine), "audit-appended",
                            G_CALLBACK (on_audit_appended), self);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->rows)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
  add_columns (self);
  run_query (self);
  verify_action (GTK_WIDGET (self), "audit.verify", NULL);
}

static void
vigil_audit_page_dispose (GObject *object)
{
  VigilAuditPage *self = VIGIL_AUDIT_PAGE (object);
  VigilEngine *engine = vigil_page_get_engine (VIGIL_PAGE (self));

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->query_cancellable);
  g_clear_handle_id (&self->follow_more_id, g_source_remove);
  if (engine != NULL)
    g_signal_handlers_disconnect_by_data (vigil_engine_get_event_bus (engine), self);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIGIL_TYPE_AUDIT_PAGE);
  g_clear_object (&self->rows);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->query_cancellable);
  g_clear_pointer (&self->filter, vigil_audit_filter_free);

  G_OBJECT_CLASS (vigil_audit_page_parent_class)->dispose (object);
}

static void
vigil_audit_page_finalize (GObject *object)
{
  g_clear_object (&VIGIL_AUDIT_PAGE (object)->store);

  G_OBJECT_CLASS (vigil_audit_page_parent_class)->finalize (object);
}

static void
vigil_audit_page_class_init (VigilAuditPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = vigil_audit_page_constructed;
  object_class->dispose = vigil_audit_page_dispose;
  object_class->finalize = vigil_audit_page_finalize;
  widget_class->map = vigil_audit_page_map;
  widget_class->unmap = vigil_audit_page_unmap;

  signals[QUERY_DONE] =
    g_signal_new ("query-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[EXPORT_DONE] =
    g_signal_new ("export-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/vigil/Console/vigil-audit-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, text_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, actor_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, action_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, target_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, from_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, to_entry);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, integrity_icon);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, integrity_label);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, stack);
  gtk_widget_class_bind_template_child (widget_class, VigilAuditPage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);

  gtk_widget_class_install_action (widget_class, "audit.verify", NULL, verify_action);
  gtk_widget_class_install_action (widget_class, "audit.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "audit.focus-search", NULL, focus_search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "audit.focus-search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "audit.export", "s", "csv");
}

static void
vigil_audit_page_init (VigilAuditPage *self)
{
  self->cancellable = g_cancellable_new ();
  self->rows = g_list_store_new (VIGIL_TYPE_AUDIT_ROW);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
vigil_audit_page_new (VigilEngine *engine)
{
  g_return_val_if_fail (VIGIL_IS_ENGINE (engine), NULL);

  return g_object_new (VIGIL_TYPE_AUDIT_PAGE, "engine", engine, NULL);
}

GtkEditable *
_vigil_audit_page_get_entry (VigilAuditPage      *self,
                             VigilAuditPageEntry  entry)
{
  switch (entry)
    {
    case VIGIL_AUDIT_PAGE_TEXT:   return GTK_EDITABLE (self->text_entry);
    case VIGIL_AUDIT_PAGE_ACTOR:  return GTK_EDITABLE (self->actor_entry);
    case VIGIL_AUDIT_PAGE_ACTION: return GTK_EDITABLE (self->action_entry);
    case VIGIL_AUDIT_PAGE_TARGET: return GTK_EDITABLE (self->target_entry);
    default:
      g_return_val_if_reached (NULL);
    }
}

void
_vigil_audit_page_set_custom_range (VigilAuditPage *self,
                                    const char     *from,
                                    const char     *to)
{
  gtk_drop_down_set_selected (self->range_dropdown, RANGE_CUSTOM);
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from);
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to);
}

GListModel *
_vigil_audit_page_get_rows (VigilAuditPage *self)
{
  return G_LIST_MODEL (self->rows);
}

GtkLabel *
_vigil_audit_page_get_integrity (VigilAuditPage *self)
{
  return self->integrity_label;
}
