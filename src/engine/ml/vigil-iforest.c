/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The isolation forest of Liu, Ting and Zhou (2008): vectors that random
 * axis-parallel splits isolate in few steps are anomalous. Trees are flat
 * node arrays so that scoring walks memory in order and never allocates. */
#define G_LOG_DOMAIN "vigil-ml"

#include "config.h"

#include <math.h>

#include "vigil-detector-private.h"
#include "vigil-iforest-private.h"
#include "vigil-rng.h"

#define EULER_GAMMA 0.5772156649
#define LEAF ((guint32) G_MAXUINT32)
/* Feature index, child or size, split value. */
#define NODE_BYTES (4 + 4 + 8)

typedef struct
{
  double  value;    /* internal: the split; leaf: c(size), precomputed */
  gint32  feature;  /* -1 at a leaf */
  guint32 next;     /* internal: the left child (x <= value), right is next + 1;
                     * leaf: the number of training rows that ended here */
} Node;

typedef struct
{
  VigilDetector  parent;
  guint          n_trees;
  guint          psi;
  double         c_psi;
  guint32       *roots;   /* tree t is nodes[roots[t]] .. nodes[roots[t + 1] - 1] */
  Node          *nodes;
  gsize          n_nodes;
} VigilIForest;

typedef struct
{
  const double *data;
  gsize         d;
  VigilRng      rng;
  guint        *features;  /* a permutation, shuffled as features are tried */
  GArray       *nodes;
  guint         height_limit;
} Builder;

double
vigil_iforest_c (gsize n)
{
  if (n <= 1)
    return 0;
  if (n == 2)
    return 1;
  return 2.0 * (log ((double) (n - 1)) + EULER_GAMMA) - 2.0 * (double) (n - 1) / (double) n;
}

static void
set_leaf (Node  *node,
          gsize  size)
{
  node->feature = -1;
  node->next = (guint32) size;
  node->value = vigil_iforest_c (size);
}

/* Draws features without replacement until one varies among @rows; the
 * first that does is uniform among those that do. FALSE when none does. */
static gboolean
pick_split (Builder     *b,
            const guint *rows,
            gsize        count,
            guint       *out_feature,
            double      *out_split)
{
  for (gsize untried = b->d; untried > 0; untried--)
    {
      gsize j = vigil_rng_below (&b->rng, untried);
      guint f = b->features[j];
      double lo, hi, split;

      b->features[j] = b->features[untried - 1];
      b->features[untried - 1] = f;

      lo = hi = b->data[rows[0] * b->d + f];
      for (gsize i = 1; i < count; i++)
        {
          double v = b->data[rows[i] * b->d + f];

          lo = MIN (lo, v);
          hi = MAX (hi, v);
        }
      if (!(hi > lo))
        continue;

      /* Uniform in [lo, hi); rows <= split go left, so neither side is
       * empty even when rounding lands on an end. */
      split = lo + vigil_rng_double (&b->rng) * (hi - lo);
      if (!(split < hi))
        split = lo;
      *out_feature = f;
      *out_split = split;
      return TRUE;
    }
  return FALSE;
}

static void
build_node (Builder *b,
            guint32  index,
            guint   *rows,
            gsize    count,
            guint    depth)
{
  guint feature;
  double split;
  gsize left = 0;
  guint32 child;
  Node *node;

  if (depth >= b->height_limit || count <= 1 || !pick_split (b, rows, count, &feature, &split))
    {
      set_leaf (&g_array_index (b->nodes, Node, index), count);
      return;
    }

  for (gsize i = 0; i < count; i++)
    if (b->data[rows[i] * b->d + feature] <= split)
      {
        guint tmp = rows[left];

        rows[left++] = rows[i];
        rows[i] = tmp;
      }
  g_assert (left > 0 && left < count);

  child = b->nodes->len;
  g_array_set_size (b->nodes, b->nodes->len + 2);
  node = &g_array_index (b->nodes, Node, index);
  node->feature = (gint32) feature;
  node->value = split;
  node->next = child;

  build_node (b, child, rows, left, depth + 1);
  build_node (b, child + 1, rows + left, count - left, depth + 1);
}

/* The array's data at its exact size: a model lives as long as its
 * user's profile is loaded. */
static Node *
take_nodes (GArray *nodes)
{
  gsize len = nodes->len;

  return g_realloc (g_array_free (nodes, FALSE), len * sizeof (Node));
}

static void
iforest_free (VigilDetector *detector)
{
  VigilIForest *forest = (VigilIForest *) detector;

  g_free (forest->roots);
  g_free (forest->nodes);
  g_free (forest);
}

static gboolean
rows_all_equal (const double *data,
                gsize         n,
                gsize         d)
{
  for (gsize i = 1; i < n; i++)
    for (gsize j = 0; j < d; j++)
      if (data[i * d + j] != data[j])
        return FALSE;
  return TRUE;
}

static VigilDetector *
iforest_train (const double              *genuine,
               gsize                      n,
               const double              *negatives,
               gsize                      m,
               gsize                      d,
               const VigilDetectorParams *params,
               GError                   **error)
{
  g_autofree guint *rows = NULL;
  g_autofree guint *features = NULL;
  VigilIForest *forest;
  Builder b;
  guint psi;

  if (n < 2)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_TOO_LITTLE_DATA,
                   "An isolation forest needs at least 2 vectors, not %" G_GSIZE_FORMAT, n);
      return NULL;
    }
  if (params->trees == 0 || params->subsample < 2)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "An isolation forest needs at least 1 tree and a subsample of at least 2, not %u and %u",
                   params->trees, params->subsample);
      return NULL;
    }
  psi = (guint) MIN ((gsize) params->subsample, n);
  /* Node indexes are 32-bit: a tree on psi rows has at most 2 psi - 1. */
  if ((guint64) params->trees * (2 * (guint64) psi - 1) > G_MAXINT32 || d > G_MAXINT32)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_UNSUPPORTED,
                   "An isolation forest of %u trees on %u rows is too large", params->trees, psi);
      return NULL;
    }
  if (rows_all_equal (genuine, n, d))
    {
      g_set_error_literal (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_DEGENERATE,
                           "All training vectors are identical: nothing to isolate against");
      return NULL;
    }

  rows = g_new (guint, n);
  for (gsize i = 0; i < n; i++)
    rows[i] = (guint) i;
  features = g_new (guint, d);
  for (gsize j = 0; j < d; j++)
    features[j] = (guint) j;

  b.data = genuine;
  b.d = d;
  b.features = features;
  vigil_rng_init (&b.rng, params->seed);
  b.nodes = g_array_sized_new (FALSE, TRUE, sizeof (Node), params->trees * MIN (psi, 512));
  for (b.height_limit = 0; ((guint64) 1 << b.height_limit) < psi; b.height_limit++)
    ;

  forest = g_new0 (VigilIForest, 1);
  forest->n_trees = params->trees;
  forest->psi = psi;
  forest->c_psi = vigil_iforest_c (psi);
  forest->roots = g_new (guint32, params->trees + 1);

  for (guint t = 0; t < params->trees; t++)
    {
      guint32 root = b.nodes->len;

      /* A partial Fisher–Yates shuffle: the first psi rows are a uniform
       * sample without replacement whatever order the last tree left. */
      for (gsize i = 0; i < psi; i++)
        {
          gsize j = i + vigil_rng_below (&b.rng, n - i);
          guint tmp = rows[i];

          rows[i] = rows[j];
          rows[j] = tmp;
        }

      forest->roots[t] = root;
      g_array_set_size (b.nodes, root + 1);
      build_node (&b, root, rows, psi, 0);
    }
  forest->roots[params->trees] = b.nodes->len;
  forest->n_nodes = b.nodes->len;
  forest->nodes = take_nodes (b.nodes);

  return (VigilDetector *) forest;
}

static inline double
tree_path_length (const VigilIForest *forest,
                  guint               tree,
                  const double       *x)
{
  const Node *nodes = forest->nodes;
  const Node *node = &nodes[forest->roots[tree]];
  guint edges = 0;

  while (node->feature >= 0)
    {
      node = &nodes[node->next + (x[node->feature] > node->value)];
      edges++;
    }
  return edges + node->value;
}

double
vigil_iforest_path_length (const VigilDetector *detector,
                           const double        *x)
{
  const VigilIForest *forest = (const VigilIForest *) detector;
  double sum = 0;

  g_return_val_if_fail (detector != NULL && detector->kind == VIGIL_DETECTOR_IFOREST, NAN);
  g_return_val_if_fail (x != NULL, NAN);

  for (guint t = 0; t < forest->n_trees; t++)
    sum += tree_path_length (forest, t, x);
  return sum / forest->n_trees;
}

double
vigil_iforest_tree_path_length (const VigilDetector *detector,
                                guint                tree,
                                const double        *x)
{
  const VigilIForest *forest = (const VigilIForest *) detector;

  g_return_val_if_fail (detector != NULL && detector->kind == VIGIL_DETECTOR_IFOREST, NAN);
  g_return_val_if_fail (tree < forest->n_trees, NAN);
  g_return_val_if_fail (x != NULL, NAN);

  return tree_path_length (forest, tree, x);
}

guint
vigil_iforest_get_n_trees (const VigilDetector *detector)
{
  g_return_val_if_fail (detector != NULL && detector->kind == VIGIL_DETECTOR_IFOREST, 0);

  return ((const VigilIForest *) detector)->n_trees;
}

guint
vigil_iforest_get_subsample (const VigilDetector *detector)
{
  g_return_val_if_fail (detector != NULL && detector->kind == VIGIL_DETECTOR_IFOREST, 0);

  return ((const VigilIForest *) detector)->psi;
}

gsize
vigil_iforest_get_n_nodes (const VigilDetector *detector)
{
  g_return_val_if_fail (detector != NULL && detector->kind == VIGIL_DETECTOR_IFOREST, 0);

  return ((const VigilIForest *) detector)->n_nodes;
}

/* s(x) = 2^(-E[h(x)] / c(psi)): near 1 for anomalies, about 0.5 or less
 * for ordinary vectors. */
static double
iforest_score (const VigilDetector *detector,
               const double        *x)
{
  const VigilIForest *forest = (const VigilIForest *) detector;
  double sum = 0;

  for (guint t = 0; t < forest->n_trees; t++)
    sum += tree_path_length (forest, t, x);
  return exp2 (-(sum / forest->n_trees) / forest->c_psi);
}

/* Payload: trees, psi, then per tree its node count and nodes, each as
 * feature (all ones at a leaf), child index relative to the tree's root or
 * leaf size, and split (0 at a leaf). */
static void
iforest_write (const VigilDetector *detector,
               VigilMlWriter       *writer)
{
  const VigilIForest *forest = (const VigilIForest *) detector;

  vigil_ml_writer_u32 (writer, forest->n_trees);
  vigil_ml_writer_u32 (writer, forest->psi);
  for (guint t = 0; t < forest->n_trees; t++)
    {
      guint32 root = forest->roots[t];

      vigil_ml_writer_u32 (writer, forest->roots[t + 1] - root);
      for (guint32 i = root; i < forest->roots[t + 1]; i++)
        {
          const Node *node = &forest->nodes[i];

          if (node->feature < 0)
            {
              vigil_ml_writer_u32 (writer, LEAF);
              vigil_ml_writer_u32 (writer, node->next);
              vigil_ml_writer_double (writer, 0);
            }
          else
            {
              vigil_ml_writer_u32 (writer, (guint32) node->feature);
              vigil_ml_writer_u32 (writer, node->next - root);
              vigil_ml_writer_double (writer, node->value);
            }
        }
    }
}

static gboolean
corrupt (GError     **error,
         const char  *what,
         guint        tree)
{
  g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
               "Corrupt isolation forest: %s in tree %u", what, tree);
  return FALSE;
}

/* Reads one tree into @nodes, checking everything scoring relies on:
 * children after their parent (so every walk ends) and inside the tree,
 * features below d, finite splits, and leaf sizes that add up to psi. */
static gboolean
read_tree (VigilMlReader  *reader,
           GArray         *nodes,
           guint           tree,
           gsize           d,
           guint           psi,
           GError        **error)
{
  guint32 count, root = nodes->len;
  guint64 rows = 0;

  if (!vigil_ml_reader_count (reader, NODE_BYTES, &count))
    return vigil_ml_reader_ok (reader, error);
  if (count == 0 || count > 2 * (guint64) psi - 1)
    return corrupt (error, "node count", tree);

  g_array_set_size (nodes, root + count);
  for (guint32 i = 0; i < count; i++)
    {
      Node *node = &g_array_index (nodes, Node, root + i);
      guint32 feature, next;
      double split;

      vigil_ml_reader_u32 (reader, &feature);
      vigil_ml_reader_u32 (reader, &next);
      vigil_ml_reader_double (reader, &split);
      if (!vigil_ml_reader_ok (reader, error))
        return FALSE;

      if (feature == LEAF)
        {
          if (next == 0 || next > psi || split != 0)
            return corrupt (error, "leaf", tree);
          set_leaf (node, next);
          rows += next;
        }
      else
        {
          if (feature >= d || feature > G_MAXINT32 || next <= i || next >= count - 1 || !isfinite (split))
            return corrupt (error, "split", tree);
          node->feature = (gint32) feature;
          node->next = root + next;
          node->value = split;
        }
    }
  if (rows != psi)
    return corrupt (error, "leaf sizes", tree);
  return TRUE;
}

static VigilDetector *
iforest_read (VigilMlReader  *reader,
              gsize           d,
              GError        **error)
{
  g_autoptr(GArray) nodes = NULL;
  VigilIForest *forest;
  guint32 n_trees, psi;

  vigil_ml_reader_count (reader, 4 + NODE_BYTES, &n_trees);
  vigil_ml_reader_u32 (reader, &psi);
  if (!vigil_ml_reader_ok (reader, error))
    return NULL;
  if (n_trees == 0 || psi < 2 || psi > G_MAXINT32 / 2)
    {
      g_set_error (error, VIGIL_ML_ERROR, VIGIL_ML_ERROR_CORRUPT,
                   "Corrupt isolation forest: %u trees on %u rows", n_trees, psi);
      return NULL;
    }

  forest = g_new0 (VigilIForest, 1);
  forest->n_trees = n_trees;
  forest->psi = psi;
  forest->c_psi = vigil_iforest_c (psi);
  forest->roots = g_new (guint32, n_trees + 1);

  nodes = g_array_new (FALSE, TRUE, sizeof (Node));
  for (guint t = 0; t < n_trees; t++)
    {
      forest->roots[t] = nodes->len;
      if (!read_tree (reader, nodes, t, d, psi, error)
          || (nodes->len > G_MAXINT32 && !corrupt (error, "node count", t)))
        {
          iforest_free ((VigilDetector *) forest);
          return NULL;
        }
    }
  forest->roots[n_trees] = nodes->len;
  forest->n_nodes = nodes->len;
  forest->nodes = take_nodes (g_steal_pointer (&nodes));

  return (VigilDetector *) forest;
}

const VigilDetectorClass vigil_iforest_class = {
  .train = iforest_train,
  .score = iforest_score,
  .write = iforest_write,
  .read = iforest_read,
  .free = iforest_free,
};
