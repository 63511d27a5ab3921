/**
 * BET in the papers' accounting (arXiv 2310.14884, Table 1): user and item parameters share one budget, the
 * sparsity 1 − fraction (80/90/95 % for 20/10/5 %). The user side needs its own frequency ranks, and a served
 * model is scored with its users cut to their sizes. Such a model has a user table of its own at every budget, so
 * it is measured and reported, not exported: an artifact holds one user table for all its variants.
 */
import type { CSR } from '../../data/types.js';

/** Users by training interactions, most first (ties by index), and each rank's count. */
export function userRanks(train: CSR, nUsers: number): { order: Uint32Array; countByRank: Uint32Array } {
  const count = (u: number) => train.indptr[u + 1]! - train.indptr[u]!;
  const order = Uint32Array.from({ length: nUsers }, (_, u) => u).sort((a, b) => count(b) - count(a) || a - b);
  return { order, countByRank: Uint32Array.from(order, count) };
}
