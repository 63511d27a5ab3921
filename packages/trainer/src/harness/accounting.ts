/**
 * The one accounting of the method harness (issue 20): device bytes of the item table, every index,
 * size and permutation byte included, exactly as the format contract's variant `bytes` counts them
 * (the `mixed` and `sparse` kinds, formatVersion 3). Budgets are fractions of the full f32 item table.
 * Beside it, the papers' accounting: the sparsity of the user + item parameters.
 */

/** Value encodings the harness's tables are stored in (i8 is not part of the new kinds yet). */
export type ValueDtype = 'f32' | 'f16';

export const BYTES_PER_VALUE: Readonly<Record<ValueDtype, number>> = { f32: 4, f16: 2 };

/** A budget fraction of the full f32 item table, in bytes (the PEEL pipeline's rule: floor). */
export function budgetBytes(nItems: number, dim: number, fraction: number): number {
  return Math.floor(fraction * nItems * dim * 4);
}

/** Bytes of a `mixed` variant's permutation: one u16 per item up to 65,536 items, else one u32. */
export function permutationBytes(count: number): number {
  return count * (count <= 65536 ? 2 : 4);
}

/**
 * Whether a size assignment needs a permutation: the contract's columns are prefixes of the rows in
 * size order (largest first, ties by artifact position), so sizes that already fall (or stay level) along
 * the artifact positions need none. `sizesByPosition[p]` is the size of the item at artifact position p.
 */
export function needsPermutation(sizesByPosition: ArrayLike<number>): boolean {
  for (let p = 1; p < sizesByPosition.length; p++) if (sizesByPosition[p]! > sizesByPosition[p - 1]!) return true;
  return false;
}

/** Σ sizes, the stored values of a mixed table. */
export function totalSize(sizes: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < sizes.length; i++) n += sizes[i]!;
  return n;
}

/**
 * Bytes of a `mixed` variant: every stored value (Σ d_i), plus the permutation when the sizes are not
 * non-increasing in artifact order. A uniform table of width w is the mixed variant with every d_i = w.
 */
export function mixedBytes(sizesByPosition: ArrayLike<number>, dtype: ValueDtype): number {
  const values = totalSize(sizesByPosition) * BYTES_PER_VALUE[dtype];
  return values + (needsPermutation(sizesByPosition) ? permutationBytes(sizesByPosition.length) : 0);
}

/** Bytes of a `sparse` variant (u8-CSR): rowNnz (one byte a row) and indices (one a value), padded to 4, then the values. */
export function sparseBytes(count: number, nnz: number, dtype: ValueDtype): number {
  return Math.ceil((count + nnz) / 4) * 4 + nnz * BYTES_PER_VALUE[dtype];
}

/** The most values a `sparse` variant of `count` rows can store within `budget` bytes (−1: not even the row counts fit). */
export function sparseCapacity(count: number, budget: number, dtype: ValueDtype): number {
  let nnz = Math.max(0, Math.floor((budget - count) / (1 + BYTES_PER_VALUE[dtype])));
  while (nnz > 0 && sparseBytes(count, nnz, dtype) > budget) nnz--;
  while (sparseBytes(count, nnz + 1, dtype) <= budget) nnz++;
  return sparseBytes(count, nnz, dtype) <= budget ? nnz : -1;
}

/**
 * The papers' accounting (BET, CIESS, SparseRec): the share of the user + item parameters of a full
 * `dim`-wide model that are not stored. `userParams` and `itemParams` count what the model keeps.
 */
export function paperSparsity(shape: { nUsers: number; nItems: number; dim: number }, userParams: number, itemParams: number): number {
  return 1 - (userParams + itemParams) / ((shape.nUsers + shape.nItems) * shape.dim);
}
