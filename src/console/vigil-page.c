/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "vigil-page"

#include "config.h"

#include "vigil-page.h"

/* The base of the console's pages: each is handed the engine once, at
 * construction, and reads it in its own constructed(). The engine is
 * released here, after the subclass's dispose has disconnected from it.
 * A page lays out its one template child like AdwBin does. */

typedef struct
{
  VigilEngine *engine;
} VigilPagePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (VigilPage, vigil_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
vigil_page_dispose (GObject *object)
{
  VigilPage *self = (VigilPage *)object;
  VigilPagePrivate *priv = vigil_page_get_instance_private (self);

  /* Template roots without an id are not unparented by
   * gtk_widget_dispose_template. */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);

  g_clear_object (&priv->engine);

  G_OBJECT_CLASS (vigil_page_parent_class)->dispose (object);
}

static void
vigil_page_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  VigilPage *self = VIGIL_PAGE (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, vigil_page_get_engine (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_page_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  VigilPage *self = VIGIL_PAGE (object);
  VigilPagePrivate *priv = vigil_page_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ENGINE:
      priv->engine = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vigil_page_class_init (VigilPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vigil_page_dispose;
  object_class->get_property = vigil_page_get_property;
  object_class->set_property = vigil_page_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL,
                         VIGIL_TYPE_ENGINE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
vigil_page_init (VigilPage *self)
{
}

/**
 * vigil_page_get_engine:
 * @self: a #VigilPage
 *
 * Returns: (transfer none) (nullable): the page's engine; %NULL once the
 *   page is disposed
 */
VigilEngine *
vigil_page_get_engine (VigilPage *self)
{
  VigilPagePrivate *priv;

  g_return_val_if_fail (VIGIL_IS_PAGE (self), NULL);

  priv = vigil_page_get_instance_private (self);

  return priv->engine;
}
