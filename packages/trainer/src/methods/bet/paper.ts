/**
 * BET in the papers' accounting (arXiv 2310.14884, Table 1): user and item parameters share one budget, the
 * sparsity 1 − fraction (80/90/95 % for 20/10/5 %). The user side needs its own frequency ranks, and a served
 * model is scored with its users cut to their sizes. Such a model has a user table of its own at every budget, so
 * it is measured and reported, not exported: an artifact holds one user table for all its variants.
 */
import type { CSR } from '../../data/types.js';
import { mixedBytes, paperSparsity, totalSize } from '../../harness/accounting.js';
import type { Harness } from '../../harness/harness.js';
import type { ValidationMetric } from '../../harness/metric.js';
import type { BudgetOutcome, MixedVariant } from '../../harness/method.js';
import { positions } from '../../harness/mixed.js';

/** Users by training interactions, most first (ties by index), and each rank's count. */
export function userRanks(train: CSR, nUsers: number): { order: Uint32Array; countByRank: Uint32Array } {
  const count = (u: number) => train.indptr[u + 1]! - train.indptr[u]!;
  const order = Uint32Array.from({ length: nUsers }, (_, u) => u).sort((a, b) => count(b) - count(a) || a - b);
  return { order, countByRank: Uint32Array.from(order, count) };
}

function summary(sizes: Uint16Array) {
  const sorted = Array.from(sizes).sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1], mean: totalSize(sizes) / sizes.length };
}

/** A reported budget in the papers' accounting: metrics with the action's users, and both sides' parameters. */
export async function paperOutcome(
  h: Harness,
  served: { variant: MixedVariant; users: Float32Array; userSizes: Uint16Array },
  before: ValidationMetric,
  details: Record<string, unknown>,
): Promise<BudgetOutcome> {
  const { dataset: d, backbone: e } = h;
  const { variant, users, userSizes } = served;
  const tables = { users, items: variant.items, dim: e.dim };
  const [validation, test] = [await h.validate(tables), await h.test(tables)];
  return {
    fraction: variant.fraction,
    // The item table's device bytes, as every row of the report states them; the budget here is the parameters'.
    bytes: mixedBytes(positions(variant.sizes, h.order), h.options.dtype),
    dtype: h.options.dtype,
    test,
    validation,
    paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, totalSize(userSizes), totalSize(variant.sizes)),
    details: {
      ...details,
      sizes: summary(variant.sizes),
      userSizes: summary(userSizes),
      validationBeforeFineTune: { recall20: before.recall20, ndcg20: before.ndcg20 },
    },
  };
}
