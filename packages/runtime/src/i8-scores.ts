/**
 * The scores the WASM scan kernel gives an `i8` selection, reproduced exactly in JS (bit for bit, so tests and
 * benchmarks can hold the kernel to them). The kernel (`$codes` and `$scan8` of src/kernel/scan-i8.wat) scores
 * each item group's selected blocks as one segment of rows:
 *
 *   f[r]  = f32(f32(weight[r] · user[dim[r]]) · factor),  weight[r] = f32(scoreWeight · scale of the row's block)
 *   step  = f32(max_r |f[r]| / Q),  Q = min(127, floor((2^31 − 1) / (128 · rows)))
 *   c[r]  = round(f32(f[r] / step)), ties away from zero (0 where that is NaN)
 *   score = f32(f32(Σ_r c[r] · q[r][i]) · step),  the sum exact in int32
 *
 * `factor` is a power of two the kernel applies for f16 only (1 here). Q bounds |Σ| by rows · Q · 128 < 2^31 for
 * any bytes, and 127 keeps the kernel's combined coefficient c[4p+2] − 256·c[4p] an i16 (scan-i8.wat). Against
 * `referenceScores` (reference.ts) of the decoded blocks (`scale × q`), the only difference is the rounding of the
 * coefficients to 8 bits (at most step/2 · Σ_r |q[r][i]| per item), as the blocks' values are, and f32 rounding.
 * On Gowalla's i8 selections that rounding moved Recall@20 by −0.0000 to +0.0001 (± 0.0001–0.0002) against
 * 15-bit codes (bench/results.md, "i8 scoring with 8-bit user codes").
 */
import { i8Scale, I8_HEADER_BYTES, ManifestError, type ManifestFile, type Selection } from '@peelrec/format';
import { UserError } from './errors.js';

/** The largest |code| of a segment of `rows` rows: its int32 sums cannot overflow whatever the int8 bytes. */
export function i8CodeLimit(rows: number): number {
  return Math.min(127, Math.floor(0x7fffffff / (128 * rows)));
}

/** The f32 weight of an i8 row: the block's score weight with its scale folded in (as the packed layout writes it). */
export function i8RowWeight(scoreWeight: number, scale: number): number {
  return Math.fround(scoreWeight * scale);
}

/** A segment's coefficients rounded to i16 codes, and the step they are multiples of. */
export function i8Codes(coefficients: Float32Array): { codes: Int16Array; step: number } {
  let max = 0;
  for (const f of coefficients) max = Math.max(max, Math.abs(f)); // NaN propagates, as f32.max does
  const step = Math.fround(max / i8CodeLimit(coefficients.length));
  const codes = new Int16Array(coefficients.length);
  coefficients.forEach((f, r) => {
    const x = Math.fround(f / step);
    codes[r] = Number.isNaN(x) ? 0 : Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
  });
  return { codes, step };
}

/** Scores of the `n` items of one segment: `q` dim-major [rows][n], one code per row. */
export function i8SegmentScores(q: Int8Array, n: number, codes: Int16Array, step: number): Float32Array {
  const sums = new Int32Array(n);
  codes.forEach((c, r) => {
    for (let i = 0; i < n; i++) sums[i]! += c * q[r * n + i]!;
  });
  return Float32Array.from(sums, (s) => Math.fround(s) * step);
}

export interface I8ScoresInput {
  /** `manifest.json` (or a manifest with block entries): only the dims and the item groups are read. */
  readonly manifest: Pick<ManifestFile, 'dims' | 'itemGroups' | 'items'>;
  /** An `i8` selection. */
  readonly selection: Selection;
  /** The verified file bytes (scale, then int8 values) of a selected block. */
  readonly block: (itemGroup: number, block: number) => Uint8Array;
  /** User vector of length `dims.fullDim`. */
  readonly vector: ArrayLike<number>;
}

/**
 * Every item's score by artifact position, as the WASM kernel computes it for an `i8` selection.
 * @throws UserError for another dtype or a vector of the wrong length; ManifestError for a block of the wrong size
 */
export function i8Scores(input: I8ScoresInput): Float32Array {
  const { manifest, selection, vector } = input;
  const { blockDim, fullDim } = manifest.dims;
  if (selection.dtype !== 'i8') throw new UserError(`i8Scores scores an i8 selection, got ${selection.dtype}`);
  if (vector.length !== fullDim) throw new UserError(`user vector has ${vector.length} dims, expected ${fullDim}`);
  const scores = new Float32Array(manifest.items.count);
  const weight = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b.scoreWeight]));
  selection.byItemGroup.forEach((blocks, g) => {
    const { start, count: n } = manifest.itemGroups[g]!;
    const rows = blocks.length * blockDim;
    const q = new Int8Array(rows * n);
    const coefficients = new Float32Array(rows);
    blocks.forEach((b, k) => {
      const bytes = input.block(g, b);
      if (bytes.byteLength !== I8_HEADER_BYTES + blockDim * n) throw new ManifestError(`block (${g}, ${b}) has ${bytes.byteLength} bytes, expected ${I8_HEADER_BYTES + blockDim * n}`);
      q.set(new Int8Array(bytes.buffer, bytes.byteOffset + I8_HEADER_BYTES, blockDim * n), k * blockDim * n);
      const w = i8RowWeight(weight.get(`${g}/${b}`)!, i8Scale(bytes));
      for (let r = 0; r < blockDim; r++) coefficients[k * blockDim + r] = Math.fround(w * Math.fround(vector[b * blockDim + r]!));
    });
    const { codes, step } = i8Codes(coefficients);
    scores.set(i8SegmentScores(q, n, codes, step), start);
  });
  return scores;
}
