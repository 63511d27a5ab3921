/**
 * The steps every `mixed` method shares once it has sizes: the sizes applied to the backbone's item table, the
 * quick validation metric before fine-tuning, the fine-tune with the sizes' mask, and, at a reported budget,
 * the served table's validation and test metrics with its accounting.
 */
import { mixedBytes, paperSparsity, totalSize } from './accounting.js';
import { HarnessError } from './errors.js';
import type { Harness } from './harness.js';
import type { ValidationMetric } from './metric.js';
import type { BudgetOutcome, MixedVariant } from './method.js';
import { asStoredValues, sizesMask } from './tables.js';

/** Sizes by artifact position → sizes by item index. */
export function sizesByItem(sizesByPosition: Uint16Array, order: Uint32Array): Uint16Array {
  const out = new Uint16Array(sizesByPosition.length);
  for (let p = 0; p < order.length; p++) out[order[p]!] = sizesByPosition[p]!;
  return out;
}

/** The table a size assignment gives the shared backbone without training: its rows cut to the sizes. */
export function sizedStart(h: Harness, sizes: Uint16Array): Float32Array {
  const e = h.backbone;
  return h.applySizes(e.items, e.dim, sizes);
}

/**
 * Fine-tunes the backbone's item table under `sizes` (by item index); returns the variant as stored and its
 * validation before fine-tuning (`measured`, when the caller has it already).
 */
export async function trainMixed(h: Harness, fraction: number, sizes: Uint16Array, label: string, measured?: ValidationMetric): Promise<{ variant: MixedVariant; before: ValidationMetric }> {
  const e = h.backbone;
  const before = measured ?? (await h.validate({ users: e.users, items: sizedStart(h, sizes), dim: e.dim }));
  const items = asStoredValues(await h.fineTune(e.items, e.dim, sizesMask(sizes, e.dim), label), h.options.dtype);
  return { variant: { fraction, sizes, items }, before };
}

/** Smallest, median, largest and mean size (for a report's details). */
export function sizeSummary(sizes: Uint16Array) {
  const sorted = Array.from(sizes).sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[sorted.length >> 1], max: sorted[sorted.length - 1], mean: totalSize(sizes) / sizes.length };
}

/**
 * The outcome of a reported budget: the variant's validation and test metrics, bytes and sparsity. `users`, when
 * given, is a user table cut to its own sizes (the papers' accounting, where users share the budget); by default
 * the backbone's full user table, as a device holds it.
 */
export async function mixedOutcome(
  h: Harness,
  variant: MixedVariant,
  before: ValidationMetric,
  details: Record<string, unknown>,
  users?: { table: Float32Array; sizes: Uint16Array },
): Promise<BudgetOutcome> {
  const { dataset: d, backbone: e } = h;
  const bytes = mixedBytes(positions(variant.sizes, h.order), h.options.dtype);
  // The device budget holds the item table alone (the papers' accounting, with its user table, is reported only).
  if (!users && bytes > h.budgetBytes(variant.fraction)) {
    throw new HarnessError(`a mixed variant at ${variant.fraction} takes ${bytes} bytes, over its budget of ${h.budgetBytes(variant.fraction)}`);
  }
  const tables = { users: users?.table ?? e.users, items: variant.items, dim: e.dim };
  const [validation, test] = [await h.validate(tables), await h.test(tables)];
  return {
    fraction: variant.fraction,
    // The item table's device bytes, as every row of the report states them (in the papers' accounting too).
    bytes,
    dtype: h.options.dtype,
    test,
    validation,
    paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, users ? totalSize(users.sizes) : d.nUsers * e.dim, totalSize(variant.sizes)),
    details: {
      ...details,
      sizes: sizeSummary(variant.sizes),
      ...(users ? { userSizes: sizeSummary(users.sizes) } : {}),
      validationBeforeFineTune: { recall20: before.recall20, ndcg20: before.ndcg20 },
    },
  };
}

/** Item-indexed sizes in artifact order. */
export function positions(sizes: Uint16Array, order: Uint32Array): Uint16Array {
  return Uint16Array.from(order, (i) => sizes[i]!);
}
