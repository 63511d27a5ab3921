/**
 * A size assignment fitted to a byte budget (frequency-sized and random-sizes use it): sizes proportional to
 * per-item weights, each in [1, dim], as many stored values as the budget holds. The weights are given in
 * artifact (popularity) order and must not increase along it, so the sizes do not either and the `mixed`
 * variant needs no permutation: its bytes are exactly Σ sizes × bytes per value.
 */
import { BYTES_PER_VALUE, type ValueDtype } from './accounting.js';
import { HarnessError, MethodBudgetError } from './errors.js';

export interface FittedSizes {
  /** Size of the item at each artifact position, non-increasing. */
  sizesByPosition: Uint16Array;
  /** Device bytes: Σ sizes × bytes per value (≤ the budget). */
  bytes: number;
  /** The scale c of d_p = clamp(⌊c·w_p⌋, 1, dim) before the leftover went to the first rows of each band. */
  scale: number;
}

const sizeAt = (c: number, w: number, dim: number) => Math.min(dim, Math.max(1, Math.floor(c * w)));

function total(c: number, w: Float64Array, dim: number): number {
  let n = 0;
  for (let p = 0; p < w.length; p++) n += sizeAt(c, w[p]!, dim);
  return n;
}

/**
 * d_p = clamp(⌊c·w_p⌋, 1, dim) with the largest c whose table fits `budget`, then the values left over go one at a
 * time to the first rows of each band of equal size, most popular band first (which keeps the sizes
 * non-increasing): the table lands within one value of the budget, or at dim everywhere.
 */
export function fitSizes(weightsByPosition: Float64Array, dim: number, budget: number, dtype: ValueDtype, method = 'sizes'): FittedSizes {
  const w = weightsByPosition;
  const n = w.length;
  for (let p = 0; p < n; p++) {
    if (!(w[p]! >= 0 && Number.isFinite(w[p]!))) throw new HarnessError(`fitSizes: weight ${w[p]} at position ${p} is not a finite non-negative number`);
    if (p > 0 && w[p]! > w[p - 1]!) throw new HarnessError(`fitSizes: weights must not increase along the artifact positions (position ${p})`);
  }
  const bpe = BYTES_PER_VALUE[dtype];
  const capacity = Math.floor(budget / bpe);
  if (capacity < n) throw new MethodBudgetError(method, budget, n * bpe);
  const sizes = new Uint16Array(n);
  if (capacity >= n * dim) {
    sizes.fill(dim);
    return { sizesByPosition: sizes, bytes: n * dim * bpe, scale: Number.POSITIVE_INFINITY };
  }
  // total(c) does not decrease with c: bisect for the largest c that fits.
  let smallest = Number.POSITIVE_INFINITY;
  for (let p = 0; p < n; p++) if (w[p]! > 0) smallest = Math.min(smallest, w[p]!);
  let lo = 0;
  let hi = Number.isFinite(smallest) ? (dim + 1) / smallest : 1;
  for (let it = 0; it < 100 && hi - lo > 1e-12 * hi; it++) {
    const mid = (lo + hi) / 2;
    if (total(mid, w, dim) <= capacity) lo = mid;
    else hi = mid;
  }
  let used = 0;
  for (let p = 0; p < n; p++) used += sizes[p] = sizeAt(lo, w[p]!, dim);
  // The leftover: the first rows of each band grow by one (a band's first row stays below the band before it).
  let left = capacity - used;
  while (left > 0) {
    let grew = 0;
    for (let p = 0; p < n && left > 0; p++) {
      if (sizes[p]! < dim && (p === 0 || sizes[p - 1]! > sizes[p]!)) {
        sizes[p]!++;
        left--;
        grew++;
      }
    }
    if (grew === 0) break;
  }
  return { sizesByPosition: sizes, bytes: (capacity - left) * bpe, scale: lo };
}
