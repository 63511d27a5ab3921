/**
 * SCALL's state (arXiv 2407.15411, §4.3): a vector of fixed length for any number of users and items, so one
 * policy serves every segment, including entities it has never seen. Its parts, in order:
 * - user, then item, frequencies: min-max normalised, sorted (largest first), mean-pooled into `FREQUENCY_GROUPS`;
 * - the last reward;
 * - the user/item ratio, as the users' share of all rows;
 * - the mean user row and the mean item row, each mean-pooled over its dimensions into `EMBEDDING_GROUPS`;
 * - size-spread terms per side: standard deviation and range of the last sizes, over d_max.
 */

export const FREQUENCY_GROUPS = 10;
export const EMBEDDING_GROUPS = 8;
export const STATE_LENGTH = 2 * FREQUENCY_GROUPS + 1 + 1 + 2 * EMBEDDING_GROUPS + 4;

/**
 * Min-max normalised, sorted largest first, mean of each of `groups` equal slices. With fewer values than groups,
 * a group takes the value at its slice's start; with none, zeros.
 */
export function poolFrequencies(freq: ArrayLike<number>, groups: number): Float32Array {
  const n = freq.length;
  const out = new Float32Array(groups);
  if (n === 0) return out;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, freq[i]!);
    hi = Math.max(hi, freq[i]!);
  }
  const span = hi - lo;
  const sorted = Float64Array.from({ length: n }, (_, i) => (span > 0 ? (freq[i]! - lo) / span : 0))
    .sort()
    .reverse();
  for (let g = 0; g < groups; g++) {
    const a = Math.floor((g * n) / groups);
    const b = Math.max(a + 1, Math.floor(((g + 1) * n) / groups));
    let s = 0;
    for (let k = a; k < b; k++) s += sorted[Math.min(k, n - 1)]!;
    out[g] = s / (b - a);
  }
  return out;
}

/** The mean row of a [rows][dim] table, its dimensions mean-pooled into `groups`. */
export function meanRow(table: Float32Array, dim: number, groups: number): Float32Array {
  const rows = table.length / dim;
  const out = new Float32Array(groups);
  if (rows === 0) return out;
  for (let g = 0; g < groups; g++) {
    const a = Math.floor((g * dim) / groups);
    const b = Math.max(a + 1, Math.floor(((g + 1) * dim) / groups));
    let s = 0;
    for (let r = 0; r < rows; r++) for (let p = a; p < b; p++) s += table[r * dim + p]!;
    out[g] = s / rows / (b - a);
  }
  return out;
}

/** Standard deviation and range of sizes, over d_max (zeros before any sizes). */
export function sizeSpread(sizes: ArrayLike<number> | undefined, dMax: number): [number, number] {
  if (!sizes || sizes.length === 0) return [0, 0];
  let mean = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (let i = 0; i < sizes.length; i++) {
    mean += sizes[i]!;
    lo = Math.min(lo, sizes[i]!);
    hi = Math.max(hi, sizes[i]!);
  }
  mean /= sizes.length;
  let ss = 0;
  for (let i = 0; i < sizes.length; i++) ss += (sizes[i]! - mean) ** 2;
  return [Math.sqrt(ss / sizes.length) / dMax, (hi - lo) / dMax];
}

export interface StateInput {
  userFreq: ArrayLike<number>;
  itemFreq: ArrayLike<number>;
  lastReward: number;
  users: Float32Array;
  items: Float32Array;
  dim: number;
  dMax: number;
  userSizes?: ArrayLike<number>;
  itemSizes?: ArrayLike<number>;
}

export function buildState(s: StateInput): Float32Array {
  const nU = s.userFreq.length;
  const nI = s.itemFreq.length;
  const parts = [
    poolFrequencies(s.userFreq, FREQUENCY_GROUPS),
    poolFrequencies(s.itemFreq, FREQUENCY_GROUPS),
    [s.lastReward],
    [nU + nI > 0 ? nU / (nU + nI) : 0],
    meanRow(s.users, s.dim, EMBEDDING_GROUPS),
    meanRow(s.items, s.dim, EMBEDDING_GROUPS),
    sizeSpread(s.userSizes, s.dMax),
    sizeSpread(s.itemSizes, s.dMax),
  ];
  const out = new Float32Array(STATE_LENGTH);
  let at = 0;
  for (const p of parts) for (const v of p) out[at++] = v;
  return out;
}
