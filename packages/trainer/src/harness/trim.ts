/**
 * Trim or fall back (issue 20, "Budgets"): a device whose budget lies between two trained `mixed` variants can
 * trim the larger one (keep its longest column prefix that fits, i.e. cut the largest sizes) or fall back to the
 * smaller one. At each reported budget this serves both, from the variants trained for the next larger and the
 * next smaller fraction, and compares them on the quick validation metric, paired user by user. The variant
 * trained for that very budget is measured beside them as the reference.
 */
import { pairedGain } from '../quality/paired.js';
import { mixedBytes } from './accounting.js';
import type { Harness } from './harness.js';
import type { MixedVariant } from './method.js';
import { positions } from './mixed.js';

export interface TrimRow {
  fraction: number;
  bytes: number;
  /** The larger variant cut to its longest column prefix that fits: columns kept of its D. */
  trim: { from: number; columns: number; of: number; bytes: number; recall20: number; ndcg20: number } | null;
  /** The next smaller variant as it is. */
  fallback: { from: number; bytes: number; recall20: number; ndcg20: number } | null;
  /** The variant trained for this budget. */
  exact: { recall20: number; ndcg20: number } | null;
  /** trim − fallback on the same validation users (positive: trimming wins). */
  trimMinusFallback: { recall20: number; se: number | null; ndcg20: number; ndcgSe: number | null } | null;
}

/** Largest K such that the sizes cut at K columns fit `budget` (0 when not even one column fits). */
export function trimColumns(sizesByPosition: Uint16Array, budget: number, dtype: Harness['options']['dtype']): number {
  let D = 0;
  for (const s of sizesByPosition) D = Math.max(D, s);
  for (let K = D; K >= 1; K--)
    if (
      mixedBytes(
        sizesByPosition.map((s) => Math.min(s, K)),
        dtype,
      ) <= budget
    )
      return K;
  return 0;
}

/** The table of `v` cut to its first K columns (every size min(d_i, K)). */
function cutTable(v: MixedVariant, dim: number, K: number): Float32Array {
  const out = v.items.slice();
  for (let i = 0; i < v.sizes.length; i++) if (v.sizes[i]! > K) out.fill(0, i * dim + K, (i + 1) * dim);
  return out;
}

export async function trimVsFallback(h: Harness, variants: readonly MixedVariant[]): Promise<TrimRow[]> {
  const e = h.backbone;
  const dtype = h.options.dtype;
  const rows: TrimRow[] = [];
  const validate = (items: Float32Array) => h.validate({ users: e.users, items, dim: e.dim });
  for (const fraction of h.options.budgets) {
    const budget = h.budgetBytes(fraction);
    const larger = variants.filter((v) => v.fraction > fraction).sort((a, b) => a.fraction - b.fraction)[0];
    const smaller = variants.filter((v) => v.fraction < fraction).sort((a, b) => b.fraction - a.fraction)[0];
    const exact = variants.find((v) => v.fraction === fraction);
    const row: TrimRow = { fraction, bytes: budget, trim: null, fallback: null, exact: null, trimMinusFallback: null };
    let trimMetric: Awaited<ReturnType<typeof validate>> | undefined;
    let fallbackMetric: typeof trimMetric;
    if (larger) {
      const byPos = positions(larger.sizes, h.order);
      const K = trimColumns(byPos, budget, dtype);
      if (K > 0) {
        trimMetric = await validate(cutTable(larger, e.dim, K));
        row.trim = {
          from: larger.fraction,
          columns: K,
          of: Math.max(...byPos),
          bytes: mixedBytes(
            byPos.map((s) => Math.min(s, K)),
            dtype,
          ),
          recall20: trimMetric.recall20,
          ndcg20: trimMetric.ndcg20,
        };
      }
    }
    if (smaller) {
      fallbackMetric = await validate(smaller.items);
      row.fallback = { from: smaller.fraction, bytes: mixedBytes(positions(smaller.sizes, h.order), dtype), recall20: fallbackMetric.recall20, ndcg20: fallbackMetric.ndcg20 };
    }
    if (exact) {
      const m = await validate(exact.items);
      row.exact = { recall20: m.recall20, ndcg20: m.ndcg20 };
    }
    if (trimMetric && fallbackMetric) {
      const g = pairedGain(trimMetric, fallbackMetric);
      row.trimMinusFallback = { recall20: g.recall20.mean, se: g.recall20.se, ndcg20: g.ndcg20.mean, ndcgSe: g.ndcg20.se };
    }
    rows.push(row);
  }
  return rows;
}
