/**
 * The f32 and i8 whole-row packing paths (packed-layout.ts packFloats, packBytes, through packInto): every value of a
 * dim-major block lands where packedIndex puts it (i8: as the byte q + 128, or q in a tile's quad rows 4p + 2 and
 * 4p + 3, interleaved with its quad's rows, or a run for a last row), times the scale for f32, and nothing lands
 * outside the block's rows.
 */
import { describe, expect, it } from 'vitest';
import { packedIndex, packInto } from '../src/packed-layout.js';
import { mulberry32 } from './fixtures/artifact.js';

/** [srcRows, n, row0, rows]: whole tiles, tails, n under one tile, odd row counts, blocks at odd rows and at the odd last row. */
const shapes = [
  [4, 100, 0, 4],
  [4, 101, 1, 6],
  [3, 33, 2, 5],
  [1, 31, 0, 1],
  [8, 64, 3, 11],
  [2, 97, 1, 3],
  [5, 131, 0, 5],
  [1, 96, 6, 7],
  [7, 257, 0, 7],
] as const;

describe('packInto, whole rows of f32', () => {
  it.each(shapes)('a [%i, %i] block at row %i of %i rows: each value where packedIndex says, times the scale', (srcRows, n, row0, rows) => {
    const rand = mulberry32(srcRows * n + row0);
    // Distinct nonzero values: a value in another's place, or one left out, shows.
    const values = Float32Array.from({ length: srcRows * n }, (_, i) => (i + 1) * (rand() < 0.5 ? -1 : 1) + rand() / 2);
    for (const scale of [1, 0.37]) {
      const dst = new Float32Array(rows * n);
      packInto(dst, rows, n, row0, 0, values, srcRows, n, { dtype: 'f32', scale });
      const want = new Float32Array(rows * n);
      for (let r = 0; r < srcRows; r++) for (let c = 0; c < n; c++) want[packedIndex(rows, n, row0 + r, c, 'f32')] = values[r * n + c]! * scale;
      expect(dst).toEqual(want);
    }
  });
});

describe('packInto, whole rows of i8', () => {
  it.each(shapes)('a [%i, %i] block at row %i of %i rows: each byte q + 128 (q in quad rows 4p + 2, 4p + 3) where packedIndex says', (srcRows, n, row0, rows) => {
    const rand = mulberry32(7 * srcRows * n + row0);
    // Bytes of both signs, never 0 (held as 1–255 either way); the other rows stay 0, so a byte written outside the block shows.
    const values = Int8Array.from({ length: srcRows * n }, () => (rand() < 0.5 ? -1 : 1) * (1 + Math.floor(rand() * 127)));
    const held = (r: number, c: number, q: number) => (c < n - (n % 32) && r < (rows & ~3) && (r & 3) >= 2 ? q & 0xff : q + 128);
    const dst = new Int8Array(rows * n);
    packInto(dst, rows, n, row0, 0, values, srcRows, n, { dtype: 'i8' });
    const want = new Uint8Array(rows * n);
    for (let r = 0; r < srcRows; r++) for (let c = 0; c < n; c++) want[packedIndex(rows, n, row0 + r, c, 'i8')] = held(row0 + r, c, values[r * n + c]!);
    expect(new Uint8Array(dst.buffer)).toEqual(want);
    expect(dst.reduce((count, v) => count + (v ? 1 : 0), 0)).toBe(srcRows * n);
  });

  it('packs row after row into the quads of a tile as one block of every row does', () => {
    const rows = 5;
    const n = 70;
    const rand = mulberry32(11);
    const values = Int8Array.from({ length: rows * n }, () => Math.floor(rand() * 256) - 128);
    const whole = new Int8Array(rows * n);
    packInto(whole, rows, n, 0, 0, values, rows, n, { dtype: 'i8' });
    const byRow = new Int8Array(rows * n);
    for (let r = 0; r < rows; r++) packInto(byRow, rows, n, r, 0, values.subarray(r * n, (r + 1) * n), 1, n, { dtype: 'i8' });
    expect(byRow).toEqual(whole);
  });
});
