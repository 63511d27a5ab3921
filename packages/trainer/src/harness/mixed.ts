/**
 * The steps every `mixed` method shares once it has sizes: the sizes applied to the backbone's item table, the
 * quick validation metric before fine-tuning, the fine-tune with the sizes' mask, and, at a reported budget,
 * the served table's validation and test metrics with its accounting.
 */
import { mixedBytes, paperSparsity, totalSize } from './accounting.js';
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

/** The outcome of a reported budget: the variant's validation and test metrics, bytes and sparsity. */
export async function mixedOutcome(h: Harness, variant: MixedVariant, before: ValidationMetric, details: Record<string, unknown>): Promise<BudgetOutcome> {
  const { dataset: d, backbone: e } = h;
  const tables = { users: e.users, items: variant.items, dim: e.dim };
  const [validation, test] = [await h.validate(tables), await h.test(tables)];
  const stored = totalSize(variant.sizes);
  const bySize = Array.from(variant.sizes).sort((a, b) => a - b);
  return {
    fraction: variant.fraction,
    bytes: mixedBytes(positions(variant.sizes, h.order), h.options.dtype),
    dtype: h.options.dtype,
    test,
    validation,
    paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, d.nUsers * e.dim, stored),
    details: {
      ...details,
      sizes: { min: bySize[0], median: bySize[bySize.length >> 1], max: bySize[bySize.length - 1], mean: stored / bySize.length },
      validationBeforeFineTune: { recall20: before.recall20, ndcg20: before.ndcg20 },
    },
  };
}

/** Item-indexed sizes in artifact order. */
export function positions(sizes: Uint16Array, order: Uint32Array): Uint16Array {
  return Uint16Array.from(order, (i) => sizes[i]!);
}
