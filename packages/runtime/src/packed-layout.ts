/**
 * The packed layout the scan kernel (src/kernel/scan.wat) reads: a logical
 * [rows, n] matrix (row r = one user dim, column c = one item) stored as
 * tiles of TILE items, each tile holding its rows of TILE values back to back
 * (row after row), then the last n mod 32 items dim-major as [rows][n mod 32].
 * The element count is exactly rows·n, so resident bytes are those of the
 * dim-major matrix, and the kernel reads each tile as one contiguous run.
 *
 * f16 (bit patterns) differs in one way: within a tile row, each run of 8
 * items is stored as items 0, 4, 1, 5, 2, 6, 3, 7, because the kernel widens 8
 * halves with two `i32x4.dot_i16x8_s`, one taking the even halves (items 0–3)
 * and one the odd halves (items 4–7).
 *
 * i8 differs in another: a tile holds its rows in pairs, each pair's 64 bytes
 * interleaved per item (item i: row 2p then row 2p + 1), because the kernel
 * widens 8 bytes (4 items × 2 rows) to i16 and takes `i32x4.dot_i16x8_s` with
 * the pair's two coefficients: one instruction gives 4 items' partial sums. An
 * odd last row follows the pairs as a plain run of 32 (no zero row: resident
 * bytes stay rows·n).
 */
import type { Dtype } from '@peelrec/format';

export const TILE = 32;

/** A typed array the layout moves elements of (Float32Array for f32, Uint16Array for f16 bits, Int8Array for i8). */
export type Elements = Float32Array | Uint16Array | Int8Array;

/** Where item `local` (0–31) of a tile row is stored within that row (f32, f16). */
const slot = (local: number, dtype: Dtype) => (dtype === 'f16' ? (local & ~7) | ((local & 3) << 1) | ((local >> 2) & 1) : local);

/** Where element (r, local) of a tile of `rows` rows is stored within the tile. */
function inTile(rows: number, r: number, local: number, dtype: Dtype): number {
  if (dtype !== 'i8' || (rows & 1 && r === rows - 1)) return r * TILE + slot(local, dtype); // f32, f16, or i8's odd last row
  return (r >> 1) * 2 * TILE + local * 2 + (r & 1);
}

/** Index of logical element (r, c) in the packed array of a [rows, n] matrix. */
export function packedIndex(rows: number, n: number, r: number, c: number, dtype: Dtype = 'f32'): number {
  const full = n - (n % TILE);
  if (c < full) return (c - (c % TILE)) * rows + inTile(rows, r, c % TILE, dtype);
  return full * rows + r * (n - full) + (c - full);
}

/**
 * Copies a dim-major [srcRows, srcCols] block into the packed [rows, n]
 * array `dst` at logical (row0, col0), scaling by `scale` (f32 only), or
 * writing each element e as `map[e]` (f16 bit patterns: a table of 65536).
 */
export function packInto<T extends Elements>(
  dst: T,
  rows: number,
  n: number,
  row0: number,
  col0: number,
  src: ArrayLike<number>,
  srcRows: number,
  srcCols: number,
  { scale = 1, dtype = 'f32', map }: { scale?: number; dtype?: Dtype; map?: Uint16Array } = {},
): void {
  const full = n - (n % TILE);
  const tail = n - full;
  const end = col0 + srcCols;
  for (let r = 0; r < srcRows; r++) {
    const from = r * srcCols - col0;
    const row = row0 + r;
    let col = col0;
    // packedIndex, unrolled per row: tiles first, then the dim-major tail.
    const stop = Math.min(end, full);
    if (map) {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)] = map[src[from + col]!]!;
    } else if (dtype !== 'f32') {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)] = src[from + col]!;
    } else if (scale === 1) {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + row * TILE + (col % TILE)] = src[from + col]!;
    } else {
      for (; col < stop; col++) dst[(col - (col % TILE)) * rows + row * TILE + (col % TILE)] = src[from + col]! * scale;
    }
    const tailBase = full * rows + row * tail - full;
    for (; col < end; col++) dst[tailBase + col] = map ? map[src[from + col]!]! : scale === 1 ? src[from + col]! : src[from + col]! * scale;
  }
}

/**
 * Reads the dim-major [outRows, outCols] block at logical (row0, col0) of a
 * packed [rows, n] matrix starting at element `base` of `src`.
 */
export function unpack<T extends Elements>(src: T, base: number, rows: number, n: number, row0: number, col0: number, outRows: number, outCols: number, dtype: Dtype = 'f32'): T {
  const dst = new (src.constructor as new (length: number) => T)(outRows * outCols);
  const full = n - (n % TILE);
  const tail = n - full;
  const end = col0 + outCols;
  for (let r = 0; r < outRows; r++) {
    const to = r * outCols - col0;
    const row = row0 + r;
    let col = col0;
    // packInto's loops, reversed.
    for (const stop = Math.min(end, full); col < stop; col++) dst[to + col] = src[base + (col - (col % TILE)) * rows + inTile(rows, row, col % TILE, dtype)]!;
    const tailBase = base + full * rows + row * tail - full;
    for (; col < end; col++) dst[to + col] = src[tailBase + col]!;
  }
  return dst;
}
