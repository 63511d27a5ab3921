/**
 * The byte arithmetic of the bench's v3 timing catalogs (kind-catalog.ts): how many values a `mixed` variant and
 * how many entries a `sparse` variant hold so that its device bytes are a PEEL row's budget, and how those are
 * spread over items. Pure, so the sizes are tested without writing a catalog.
 */
import { BYTES_PER_ELEMENT, SPARSE_MAX_FULL_DIM, sparseByteLength, type VariantDtype } from '@peelrec/format';

/**
 * Popularity-like weights in artifact (popularity) order: `(p + 1)^-exponent`, a Zipf tail. Sizes proportional
 * to a power of frequency are proportional to such a power of rank, which is all a timing catalog needs.
 */
export function rankWeights(count: number, exponent: number): Float64Array {
  return Float64Array.from({ length: count }, (_, p) => (p + 1) ** -exponent);
}

/**
 * Per-item sizes in `[min, fullDim]` proportional to `weights` (clamped), summing to exactly `total`: the largest
 * scale whose floored sizes fit, then one more dimension for the first items (by position) still below `fullDim`.
 * With non-increasing weights the sizes are non-increasing, so a mixed variant of them needs no permutation.
 * @throws RangeError when `total` is outside `[count × min, count × fullDim]`
 */
export function fitSizes(weights: ArrayLike<number>, fullDim: number, total: number, min = 1): Uint16Array {
  const n = weights.length;
  if (!Number.isInteger(total) || total < n * min || total > n * fullDim) throw new RangeError(`total ${total} is not an integer in [${n * min}, ${n * fullDim}]`);
  const sizes = new Uint16Array(n);
  const fill = (scale: number) => {
    let sum = 0;
    for (let p = 0; p < n; p++) {
      sizes[p] = Math.min(fullDim, Math.max(min, Math.floor(scale * weights[p]!)));
      sum += sizes[p]!;
    }
    return sum;
  };
  // Above this scale every positive weight's size is clamped to fullDim (no spread: a million arguments overflow the stack).
  let smallest = Infinity;
  for (let p = 0; p < n; p++) if (weights[p]! > 0) smallest = Math.min(smallest, weights[p]!);
  let lo = 0;
  let hi = Number.isFinite(smallest) ? (fullDim + 1) / smallest : 1;
  // Bisect the scale: fill(lo) ≤ total < fill(hi) (fill is non-decreasing in the scale).
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (fill(mid) <= total) lo = mid;
    else hi = mid;
  }
  let left = total - fill(lo);
  for (let p = 0; p < n && left > 0; p++) {
    if (sizes[p]! < fullDim) {
      sizes[p]!++;
      left--;
    }
  }
  if (left > 0) throw new RangeError(`could not place ${left} of ${total} values`);
  return sizes;
}

/** Values a `mixed` variant without permutation holds in `bytes`: one per `dtype` element, nothing else stored. */
export function mixedValuesFor(bytes: number, dtype: VariantDtype): number {
  return Math.floor(bytes / BYTES_PER_ELEMENT[dtype]);
}

/**
 * Entries of the largest `sparse` variant of `count` rows that fits `bytes` (at most `count × fullDim`): its bytes,
 * `align4(count + nnz) + nnz × bytesPerElement`, land within 6 bytes of `bytes` (alignment steps by 4).
 * @throws RangeError when not even an empty table (the row counts) fits
 */
export function sparseNnzFor(count: number, bytes: number, dtype: VariantDtype, fullDim: number): number {
  if (fullDim > SPARSE_MAX_FULL_DIM) throw new RangeError(`sparse tables are at most ${SPARSE_MAX_FULL_DIM} wide, got ${fullDim}`);
  if (sparseByteLength(count, 0, dtype) > bytes) throw new RangeError(`${bytes} B do not hold the ${count} row counts of a sparse table`);
  let nnz = Math.min(count * fullDim, Math.floor((bytes - count) / (1 + BYTES_PER_ELEMENT[dtype])));
  while (nnz > 0 && sparseByteLength(count, nnz, dtype) > bytes) nnz--;
  while (nnz < count * fullDim && sparseByteLength(count, nnz + 1, dtype) <= bytes) nnz++;
  return nnz;
}

/**
 * A mask (`counts.length × fullDim`, row-major, 1 = kept) keeping `counts[p]` distinct dimensions of row p, drawn
 * uniformly (a partial Fisher–Yates shuffle per row), so indices scatter as a pruned table's do.
 */
export function randomMask(counts: ArrayLike<number>, fullDim: number, rand: () => number): Uint8Array {
  const mask = new Uint8Array(counts.length * fullDim);
  const dims = Uint8Array.from({ length: fullDim }, (_, r) => r);
  for (let p = 0; p < counts.length; p++) {
    const c = counts[p]!;
    if (c > fullDim) throw new RangeError(`row ${p} keeps ${c} of ${fullDim} dimensions`);
    for (let i = 0; i < c; i++) {
      const j = i + Math.floor(rand() * (fullDim - i));
      const d = dims[j]!;
      dims[j] = dims[i]!;
      dims[i] = d;
      mask[p * fullDim + d] = 1;
    }
  }
  return mask;
}
