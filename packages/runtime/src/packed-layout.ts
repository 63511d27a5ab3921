/**
 * The packed layout of a segment matrix for the fused WASM kernel.
 *
 * A logical [rows, n] matrix (dim-major: row r, item c) is stored as
 * floor(n/32) tiles of [rows][32] (tile t holds items 32t … 32t+31, row after
 * row), then the last n mod 32 items dim-major as [rows][n mod 32]. The float
 * count is exactly rows·n, so resident bytes are those of the dim-major
 * matrix, and the kernel reads each tile as one contiguous run.
 */
export const TILE = 32;

/** Index of logical element (r, c) in the packed array of a [rows, n] matrix. */
export function packedIndex(rows: number, n: number, r: number, c: number): number {
  const full = n - (n % TILE);
  if (c < full) return (c - (c % TILE)) * rows + r * TILE + (c % TILE);
  return full * rows + r * (n - full) + (c - full);
}

/**
 * Copies a dim-major [srcRows, srcCols] block into the packed [rows, n]
 * array `dst` at logical (row0, col0), scaling by `scale`.
 */
export function packInto(dst: Float32Array, rows: number, n: number, row0: number, col0: number, src: ArrayLike<number>, srcRows: number, srcCols: number, scale = 1): void {
  const full = n - (n % TILE);
  const tail = n - full;
  for (let r = 0; r < srcRows; r++) {
    const from = r * srcCols - col0;
    const rowInTile = (row0 + r) * TILE;
    const end = col0 + srcCols;
    let col = col0;
    // packedIndex, unrolled per row: tiles first, then the dim-major tail.
    for (const stop = Math.min(end, full); col < stop; col++) dst[(col - (col % TILE)) * rows + rowInTile + (col % TILE)] = src[from + col]! * scale;
    const tailBase = full * rows + (row0 + r) * tail - full;
    for (; col < end; col++) dst[tailBase + col] = src[from + col]! * scale;
  }
}

/** Reads the dim-major [outRows, outCols] block at logical (row0, col0) of a packed [rows, n] matrix starting at float `base` of `src`. */
export function unpack(src: Float32Array, base: number, rows: number, n: number, row0: number, col0: number, outRows: number, outCols: number): Float32Array {
  const out = new Float32Array(outRows * outCols);
  for (let r = 0; r < outRows; r++) {
    for (let c = 0; c < outCols; c++) out[r * outCols + c] = src[base + packedIndex(rows, n, row0 + r, col0 + c)]!;
  }
  return out;
}
