import { describe, expect, it } from 'vitest';
import {
  decodeMixedColumn,
  decodeMixedColumns,
  decodePermutation,
  decodeSparse,
  encodeMixedVariant,
  encodePermutation,
  encodeSparse,
  FormatDataError,
  ManifestError,
  mixedRowSizes,
  sparseByteLength,
} from '../src/index.js';
import { rng } from './fixture.js';
import { expandMixed, expandSparse, roundTo } from './kinds-fixture.js';

const table = (items: number, fullDim: number, seed = 7) => {
  const r = rng(seed);
  return Float32Array.from({ length: items * fullDim }, () => r() * 2 - 1);
};

const dataError = (fn: () => unknown): FormatDataError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatDataError);
    expect(e).toBeInstanceOf(ManifestError);
    return e as FormatDataError;
  }
  throw new Error('expected a FormatDataError');
};

describe('mixed variants', () => {
  it('orders rows by size (largest first, ties by position) so every column is a prefix of that order', () => {
    const rows = table(6, 4);
    const sizes = [2, 4, 1, 4, 2, 3];
    const p = encodeMixedVariant(rows, 4, sizes, 'f32');
    expect([...p.order]).toEqual([1, 3, 5, 0, 4, 2]);
    expect(p.counts).toEqual([6, 5, 3, 2]);
    expect([...decodePermutation(p.permutation!, 6)]).toEqual([1, 3, 5, 0, 4, 2]);
    const cols = decodeMixedColumns({ dtype: 'f32', columns: p.counts.map((count) => ({ count, file: { url: 'x', byteLength: count * 4, sha256: '0'.repeat(64) } })) }, p.columns);
    expect(cols[2]).toEqual(Float32Array.from([rows[1 * 4 + 2]!, rows[3 * 4 + 2]!, rows[5 * 4 + 2]!]));
    // Row j's size is the number of columns longer than j.
    expect([...mixedRowSizes({ columns: p.counts.map((count) => ({ count, file: { url: 'x', byteLength: 0, sha256: '' } })) }, 6)]).toEqual([4, 4, 3, 2, 2, 1]);
  });

  it('round-trips to the dense table with the dimensions each item keeps, in f32 exactly and in f16 rounded', () => {
    const rows = table(30, 8);
    const sizes = Array.from({ length: 30 }, (_, p) => 1 + ((p * 5) % 8));
    for (const dtype of ['f32', 'f16'] as const) {
      const p = encodeMixedVariant(rows, 8, sizes, dtype);
      const cols = p.columns.map((bytes, r) => decodeMixedColumn(bytes, p.counts[r]!, dtype));
      const want = roundTo(
        rows.map((x, i) => (i % 8 < sizes[Math.floor(i / 8)]! ? x : 0)),
        dtype,
      );
      expect(expandMixed(cols, decodePermutation(p.permutation!, 30), 30, 8)).toEqual(want);
    }
  });

  it('writes no permutation when sizes already do not increase in artifact order', () => {
    const p = encodeMixedVariant(table(5, 3), 3, [3, 3, 2, 1, 1], 'f16');
    expect(p.permutation).toBeUndefined();
    expect(p.counts).toEqual([5, 3, 2]);
    expect(p.columns.map((c) => c.byteLength)).toEqual([10, 6, 4]);
  });

  it('refuses sizes outside [1, fullDim] and a table of the wrong shape', () => {
    expect(() => encodeMixedVariant(table(3, 4), 4, [1, 0, 2], 'f32')).toThrow(/sizes\[1\] is 0/);
    expect(() => encodeMixedVariant(table(3, 4), 4, [1, 5, 2], 'f32')).toThrow(/sizes\[1\] is 5/);
    expect(() => encodeMixedVariant(table(3, 4), 4, [1, 2], 'f32')).toThrow(RangeError);
  });

  it('decodeMixedColumn refuses bytes that are not count values of dtype', () => {
    expect(dataError(() => decodeMixedColumn(new Uint8Array(10), 3, 'f32')).issues[0]).toMatch(/10 bytes, expected 3 × f32 = 12/);
    expect(() => decodeMixedColumns({ dtype: 'f32', columns: [] }, [new Uint8Array(4)])).toThrow(RangeError);
  });
});

describe('permutations', () => {
  it('are u16 up to 65536 items and u32 above', () => {
    const small = Uint32Array.from({ length: 65536 }, (_, j) => 65535 - j);
    expect(encodePermutation(small).byteLength).toBe(65536 * 2);
    expect(decodePermutation(encodePermutation(small), 65536)).toEqual(small);
    const big = Uint32Array.from({ length: 65537 }, (_, j) => (j + 1) % 65537);
    expect(encodePermutation(big).byteLength).toBe(65537 * 4);
    expect(decodePermutation(encodePermutation(big), 65537)).toEqual(big);
  });

  it('refuse a repeated position, a position out of range and a wrong length with FormatDataError', () => {
    expect(dataError(() => decodePermutation(encodePermutation(Uint32Array.from([0, 2, 2])), 3)).issues).toEqual(['row 2: position 2 repeated']);
    expect(dataError(() => decodePermutation(encodePermutation(Uint32Array.from([0, 3, 1])), 3)).issues).toEqual(['row 1: position 3 out of range [0, 3)']);
    expect(dataError(() => decodePermutation(new Uint8Array(5), 3)).message).toMatch(/Invalid permutation/);
  });
});

describe('sparse tables', () => {
  it('lay out row counts, indices, zero padding to 4 bytes, then values', () => {
    const rows = Float32Array.from([0, 1.5, 0, 2, 0, 0, 0, 0, -3, 0, 0, 0]); // 3 rows × 4
    const { bytes, nnz } = encodeSparse(rows, 4, 'f32');
    expect(nnz).toBe(3);
    expect([...bytes.subarray(0, 8)]).toEqual([2, 0, 1, 1, 3, 0, 0, 0]); // rowNnz 2,0,1; indices 1,3,0; pad to 8
    expect(bytes.byteLength).toBe(sparseByteLength(3, 3, 'f32'));
    expect(new Float32Array(bytes.buffer.slice(8))).toEqual(Float32Array.from([1.5, 2, -3]));
    const t = decodeSparse(bytes, 3, 3, 'f32', 4);
    expect([...t.rowPtr]).toEqual([0, 2, 2, 3]);
    expect(expandSparse(t, 3, 4)).toEqual(rows);
  });

  it('round-trips a masked table in f32 and f16, empty rows included', () => {
    const rows = table(20, 16);
    const r = rng(3);
    const mask = Uint8Array.from({ length: rows.length }, (_, i) => (Math.floor(i / 16) % 7 !== 2 && r() < 0.3 ? 1 : 0));
    for (const dtype of ['f32', 'f16'] as const) {
      const { bytes, nnz } = encodeSparse(rows, 16, dtype, mask);
      expect(nnz).toBe(mask.reduce((n, m) => n + m, 0));
      const t = decodeSparse(bytes, 20, nnz, dtype, 16);
      expect(t.rowPtr[3]! - t.rowPtr[2]!).toBe(0);
      expect(expandSparse(t, 20, 16)).toEqual(
        roundTo(
          rows.map((x, i) => (mask[i] ? x : 0)),
          dtype,
        ),
      );
    }
  });

  it('refuse fullDim above 255 and a mask of the wrong length', () => {
    expect(() => encodeSparse(new Float32Array(256), 256, 'f32')).toThrow(/1 … 255 wide/);
    expect(() => encodeSparse(new Float32Array(8), 4, 'f32', new Uint8Array(7))).toThrow(/mask holds 7/);
  });

  it('decodeSparse refuses row counts that do not sum to nnz, unsorted or out-of-range indices, padding and lengths', () => {
    const good = () => encodeSparse(Float32Array.from([1, 2, 0, 0, 3, 0]), 3, 'f32').bytes; // rows [1,2,0], [0,3,0]: counts 2,1; indices 0,1,1
    expect([...decodeSparse(good(), 2, 3, 'f32', 3).indices]).toEqual([0, 1, 1]);
    const unsorted = good();
    [unsorted[2], unsorted[3]] = [1, 0];
    expect(dataError(() => decodeSparse(unsorted, 2, 3, 'f32', 3)).issues).toEqual(['row 0: index 0 after 1 (must ascend)']);
    const repeated = good();
    repeated[3] = 0;
    expect(dataError(() => decodeSparse(repeated, 2, 3, 'f32', 3)).issues).toEqual(['row 0: index 0 after 0 (must ascend)']);
    const wide = good();
    wide[4] = 3;
    expect(dataError(() => decodeSparse(wide, 2, 3, 'f32', 3)).issues).toEqual(['row 1: index 3 ≥ fullDim 3']);
    const counts = good();
    counts[1] = 2;
    expect(dataError(() => decodeSparse(counts, 2, 3, 'f32', 3)).issues).toEqual(['row counts sum to 4, expected nnz 3']);
    const padded = good();
    padded[6] = 9;
    expect(dataError(() => decodeSparse(padded, 2, 3, 'f32', 3)).issues).toEqual(['padding byte 6 is 9, expected 0']);
    expect(dataError(() => decodeSparse(good().subarray(1), 2, 3, 'f32', 3)).issues[0]).toMatch(/19 bytes, expected align4\(2 \+ 3\) \+ 3 × f32 = 20/);
  });

  it('decodes a payload that sits at an odd offset of a larger buffer (a range cut from a file)', () => {
    const { bytes, nnz } = encodeSparse(table(4, 5), 5, 'f32');
    const file = new Uint8Array(bytes.byteLength + 3);
    file.set(bytes, 3);
    expect(decodeSparse(file.subarray(3), 4, nnz, 'f32', 5)).toEqual(decodeSparse(bytes, 4, nnz, 'f32', 5));
  });
});
