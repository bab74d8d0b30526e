/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The isolation forest's internals, for its tests and benchmark. */

#include "vigil-detector.h"

G_BEGIN_DECLS

/* The average path length of an unsuccessful search in a binary search
 * tree of @n keys: 2 H(n - 1) - 2 (n - 1) / n, with c(2) = 1 and
 * c(1) = c(0) = 0 (Liu, Ting and Zhou 2008, equation 1). */
double vigil_iforest_c                 (gsize                n);
/* E[h(x)]: the mean over the trees of the edges from the root to the leaf
 * @x lands in, plus c(size) of that leaf. */
double vigil_iforest_path_length       (const VigilDetector *forest,
                                        const double        *x);
/* h(x) in one tree. */
double vigil_iforest_tree_path_length  (const VigilDetector *forest,
                                        guint                tree,
                                        const double        *x);
guint  vigil_iforest_get_n_trees       (const VigilDetector *forest);
/* psi: the rows each tree was built on. */
guint  vigil_iforest_get_subsample     (const VigilDetector *forest);
/* Nodes of all trees together. */
gsize  vigil_iforest_get_n_nodes       (const VigilDetector *forest);

G_END_DECLS
