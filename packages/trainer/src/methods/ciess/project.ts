/**
 * Meeting the budget. CIESS only penalises size in its reward (arXiv 2304.03501, Eq. 7), so the assignment it
 * finds is projected onto the budget afterwards: the searched sizes, sorted, are assigned in frequency order (the
 * most frequent entity gets the largest) and scaled onto the budget by the harness's fitSizes (d = clamp(⌊c·w⌋,
 * 1, d_max) with the largest c that fits, the leftover values to the first rows of each band). The result is
 * non-increasing along the artifact positions, so a `mixed` variant needs no permutation, and it stores exactly
 * ⌊budget / bytes per value⌋ values: the budget met to within one value, never over it.
 *
 * The papers' accounting shares one budget of user + item values: it is split between the sides in proportion to
 * their searched totals (each side kept within [1, d_max] a row), and each side is fitted alone.
 */
import { totalSize } from '../../harness/accounting.js';
import { HarnessError } from '../../harness/errors.js';
import { fitSizes, type FittedSizes } from '../../harness/sizes.js';
import { budgetValues, type SamplerBudget } from '../bet/sampler.js';

/** The searched sizes, largest first: the shape the projection keeps. */
function sortedDescending(sizes: ArrayLike<number>): Float64Array {
  return Float64Array.from(sizes).sort().reverse();
}

/** Device accounting: the item sizes (by artifact position) projected onto `budget`. */
export function projectSizes(sizesByPosition: ArrayLike<number>, b: Extract<SamplerBudget, { accounting: 'device' }>): FittedSizes {
  return fitSizes(sortedDescending(sizesByPosition), b.dim, b.budgetBytes, b.dtype, 'ciess');
}

/** Papers' accounting: both sides (by frequency rank) projected onto their shared budget of values. */
export function projectBoth(
  items: ArrayLike<number>,
  users: ArrayLike<number>,
  b: Extract<SamplerBudget, { accounting: 'paper' }>,
): { items: Uint16Array; users: Uint16Array; userValues: number; itemValues: number } {
  const total = budgetValues(b);
  const [si, su] = [totalSize(items), totalSize(users)];
  let userValues = Math.round((total * su) / (si + su));
  userValues = Math.min(b.nUsers * b.dim, Math.max(b.nUsers, userValues, total - b.nItems * b.dim));
  const itemValues = Math.min(b.nItems * b.dim, total - userValues);
  const u = fitSizes(sortedDescending(users), b.dim, userValues * 4, 'f32', 'ciess');
  const i = fitSizes(sortedDescending(items), b.dim, itemValues * 4, 'f32', 'ciess');
  return { items: i.sizesByPosition, users: u.sizesByPosition, userValues: u.bytes / 4, itemValues: i.bytes / 4 };
}

/**
 * Every side's sizes (by rank) scaled by one factor onto `capacity` values, before an assignment is evaluated:
 * d' = clamp(⌊c·d⌋, 1, d_max) with the largest c that fits, then the values left over one at a time to the rows
 * below d_max, the largest searched first. Unlike the final projection it keeps which entity is larger, so the agents
 * learn from the assignment they chose, at the budget's size (see search.ts).
 */
export function scaleOntoBudget(sides: readonly Uint16Array[], dim: number, capacity: number): Uint16Array[] {
  const n = sides.reduce((k, s) => k + s.length, 0);
  if (!(Number.isInteger(capacity) && capacity >= n)) throw new HarnessError(`ciess: a budget of ${capacity} values cannot hold ${n} rows of at least one value`);
  if (capacity >= n * dim) return sides.map((s) => new Uint16Array(s.length).fill(dim));
  const at = (c: number, d: number) => Math.min(dim, Math.max(1, Math.floor(c * d)));
  const total = (c: number) => sides.reduce((k, s) => k + s.reduce((m, d) => m + at(c, d), 0), 0);
  // Sizes are ≥ 1, so c = d_max + 1 puts every row at d_max; total(c) does not decrease with c.
  let [lo, hi] = [0, dim + 1];
  for (let it = 0; it < 100 && hi - lo > 1e-12 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (total(mid) <= capacity) lo = mid;
    else hi = mid;
  }
  const out = sides.map((s) => Uint16Array.from(s, (d) => at(lo, d)));
  // The leftover goes to the rows searched largest first (ties by rank), so a larger searched size never ends smaller.
  const rows = sides.flatMap((s, k) => Array.from(s, (d, r) => ({ k, r, d }))).sort((a, b) => b.d - a.d);
  let left = capacity - total(lo);
  while (left > 0) {
    const before = left;
    for (const { k, r } of rows) {
      if (left === 0) break;
      if (out[k]![r]! < dim) {
        out[k]![r]!++;
        left--;
      }
    }
    if (left === before) break;
  }
  return out;
}
