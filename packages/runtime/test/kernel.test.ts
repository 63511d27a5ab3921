/**
 * The fused scan kernel (src/kernel/scan.wat), both builds, run directly in
 * Node's V8 on a plain WebAssembly.Memory against the reference top-k over the
 * same values; and the packed layout it reads.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { encodeBlock } from '@peelrec/format';
import { assemble, GENERATED, render, withoutRelaxedSimd } from '../scripts/build-kernel.js';
import { packedIndex, packInto, TILE, unpack } from '../src/packed-layout.js';
import { halfToFloat } from '../src/half.js';
import { TopKHeap } from '../src/top-k.js';
import { topK } from '../src/index.js';
import { mulberry32 } from './fixtures/artifact.js';
import { BUILDS, type Group, kernel, randomGroups as seededGroups, runKernel } from './fixtures/scan-kernel.js';

/** Exact float64 scores: values and coefficients are multiples of 1/16 and 1/8, so f32 sums are exact too. */
function reference(groups: readonly Group[], items: number): Float64Array {
  const scores = new Float64Array(items);
  for (const g of groups) for (let r = 0; r < g.rows; r++) for (let i = 0; i < g.n; i++) scores[g.start + i]! += g.coef[r]! * g.values[r * g.n + i]!;
  return scores;
}

/** Values and coefficients are multiples of 1/16 and 1/8, so exact ties happen and f32 sums are exact. */
function randomGroups(seed: number, shapes: readonly (readonly [rows: number, n: number])[]): { groups: Group[]; items: number } {
  return seededGroups(
    seed,
    shapes,
    (rand) => Math.round((rand() * 2 - 1) * 16) / 16,
    (rand) => Math.round((rand() * 2 - 1) * 8) / 8,
  );
}

describe('packed layout', () => {
  it.each([
    [3, 100],
    [8, 64],
    [1, 31],
    [5, 33],
    [2, 32],
    [6, 40],
    [7, 70],
    [9, 97],
  ])('i8: a bijection of [%i, %i], rows in quads interleaved per item, the last rows mod 4 plain, each byte q + 128 but q in quad rows 4p + 2, 4p + 3; pack/unpack round-trip', (rows, n) => {
    // Held as q where the kernel reads a signed high byte (a full tile's quad rows 4p + 2 and 4p + 3), else as q + 128.
    const held = (r: number, c: number, q: number) => (c < n - (n % TILE) && r < (rows & ~3) && (r & 3) >= 2 ? q & 0xff : q + 128);
    const seen = new Set<number>();
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) seen.add(packedIndex(rows, n, r, c, 'i8'));
    expect(seen.size).toBe(rows * n);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(rows * n - 1);
    const src = Int8Array.from({ length: rows * n }, (_, i) => (i % 256) - 128);
    const packed = new Int8Array(rows * n);
    packInto(packed, rows, n, 0, 0, src, rows, n, { dtype: 'i8' });
    const bytes = new Uint8Array(packed.buffer);
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) expect(bytes[packedIndex(rows, n, r, c, 'i8')]).toBe(held(r, c, src[r * n + c]!));
    expect(unpack(packed, 0, rows, n, 0, 0, rows, n, 'i8')).toEqual(src);
    // Item 0's four bytes are rows 0, 2, 1, 3: two i16 lanes, row 0 (unsigned) under row 2 (signed), row 1 under row 3.
    if (n >= TILE && rows >= 4) expect([...bytes.subarray(0, 5)]).toEqual([src[0]! + 128, src[2 * n]! & 0xff, src[n]! + 128, src[3 * n]! & 0xff, src[1]! + 128]);
    if (n >= TILE && rows % 4) expect(packedIndex(rows, n, rows - 1, 5, 'i8')).toBe((rows - 1) * TILE + 5);
    // Bands packed one at a time (as the layout packs block after block, here across quads) land where a whole packing puts them.
    const banded = new Int8Array(rows * n);
    for (let r0 = 0; r0 < rows; r0 += 3) {
      const h = Math.min(3, rows - r0);
      packInto(banded, rows, n, r0, 0, src.subarray(r0 * n, (r0 + h) * n), h, n, { dtype: 'i8' });
      expect(unpack(banded, 0, rows, n, r0, 0, h, n, 'i8')).toEqual(src.subarray(r0 * n, (r0 + h) * n));
    }
    expect(banded).toEqual(packed);
    // Columns packed apart (packElements, as a partial write does) land where a whole packing puts them too.
    const byColumns = new Int8Array(rows * n);
    for (let c0 = 0; c0 < n; c0 += 40) {
      const w = Math.min(40, n - c0);
      const part = Int8Array.from({ length: rows * w }, (_, i) => src[Math.floor(i / w) * n + c0 + (i % w)]!);
      packInto(byColumns, rows, n, 0, c0, part, rows, w, { dtype: 'i8' });
    }
    expect(byColumns).toEqual(packed);
  });

  it('places a sub-block at a row and column offset, and reads one back from an offset base', () => {
    const rows = 6;
    const n = 70;
    const packed = new Float32Array(rows * n);
    const block = Float32Array.from({ length: 2 * 40 }, (_, i) => i);
    packInto(packed, rows, n, 2, 25, block, 2, 40, { scale: 0.5 });
    expect(unpack(packed, 0, rows, n, 2, 25, 2, 40)).toEqual(block.map((v) => v * 0.5));
    expect(packed[packedIndex(rows, n, 1, 30)]).toBe(0);
    const shifted = new Float32Array(rows * n + 7);
    shifted.set(packed, 7);
    expect(unpack(shifted, 7, rows, n, 2, 25, 2, 40)).toEqual(block.map((v) => v * 0.5));
  });
});

describe('scan kernel', () => {
  it('is the assembly of scan.wat, relaxed and plain (run `pnpm build:kernel` after editing it)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(render(await assemble()));
  });

  it('expands folded relaxed_madd, nested or not, into mul + add', () => {
    const wat = '(local.set $a (f32x4.relaxed_madd (local.get $w)\n (v128.load offset=16 (local.get $p)) (f32x4.relaxed_madd $x $y $z)))';
    expect(withoutRelaxedSimd(wat)).toBe('(local.set $a (f32x4.add (f32x4.mul (local.get $w) (v128.load offset=16 (local.get $p))) (f32x4.add (f32x4.mul $x $y) $z)))');
    expect(() => withoutRelaxedSimd('(f32x4.relaxed_min $a $b)')).toThrow(/relaxed/);
  });

  it("halfToFloat widens every finite half exactly (it round-trips through the format's encoder)", () => {
    for (const sign of [0, 0x8000]) {
      for (let h = 0; h < 0x7c00; h++) {
        const bits = sign | h;
        const encoded = encodeBlock(Float32Array.of(halfToFloat(bits)), 'f16');
        expect(encoded[0]! | (encoded[1]! << 8)).toBe(bits);
      }
    }
  });

  describe.each(BUILDS)('%s build', (_name, base64) => {
    it.each(['f32', 'f16'] as const)('%s: the top-k of several groups (tiles and tails) equals the reference, with exclusions and exact ties', async (dtype) => {
      const { k, memory } = await kernel(base64);
      const { groups, items } = randomGroups(dtype === 'f32' ? 11 : 12, [
        [8, 4096],
        [24, 1000],
        [1, 64],
        [3, 31],
        [16, 97],
      ]);
      const scores = reference(groups, items);
      const rand = mulberry32(5);
      for (const topk of [1, 7, 20, 200]) {
        const best = topK(scores, 60).map((s) => s.position);
        const exclude = new Set([...best.filter((_, i) => i % 2 === 0), ...Array.from({ length: 30 }, () => Math.floor(rand() * items))]);
        const got = runKernel(k, memory, groups, dtype, topk, exclude, items);
        expect(got).toEqual(topK(scores, topk, exclude).map((s) => ({ position: s.position, score: s.score })));
        expect(got.some((g) => exclude.has(g.position))).toBe(false);
      }
    });

    it('widens zeros, subnormal and normal halves of both signs exactly', async () => {
      const { k, memory } = await kernel(base64);
      // Every 7th finite half pattern, both signs: subnormals (exponent 0), normals, ±0, the largest.
      const patterns = [0, 0x8000, 0x7bff, 0xfbff, 1, 0x8001, 0x3ff, 0x83ff];
      for (let h = 0; h < 0x7c00; h += 7) patterns.push(h, h | 0x8000);
      const values = Float32Array.from(patterns, halfToFloat);
      const n = values.length;
      const got = runKernel(k, memory, [{ rows: 1, n, start: 0, values, coef: Float32Array.of(1) }], 'f16', n, new Set(), n);
      expect(got).toHaveLength(n);
      for (const g of got) expect(g.score).toBe(values[g.position]! + 0); // a sum from +0: -0 scores +0
    });

    it.each(['f32', 'f16', 'i8'] as const)('reads nothing past a %s matrix that ends at the last byte of memory (f32 and f16: their touch-ahead is clamped)', async (dtype) => {
      const { k, memory } = await kernel(base64);
      // Tiles and a tail, rows odd and even: every inner loop runs up to the matrix's end.
      const { groups, items } = randomGroups(6, [
        [3, 70],
        [8, 200],
      ]);
      if (dtype === 'i8') for (const g of groups) g.values.forEach((v, i) => (g.values[i] = Math.round(v * 100)));
      const want = runKernel(k, memory, groups, dtype, 20, new Set(), items);
      expect(runKernel(k, memory, groups, dtype, 20, new Set(), items, 1, undefined, true)).toEqual(want);
    });

    it('scales every coefficient by the given power of two', async () => {
      const { k, memory } = await kernel(base64);
      const { groups, items } = randomGroups(4, [[8, 100]]);
      const want = runKernel(k, memory, groups, 'f16', 10, new Set(), items);
      const got = runKernel(k, memory, groups, 'f16', 10, new Set(), items, 2 ** -20);
      expect(got).toEqual(want.map((w) => ({ position: w.position, score: w.score * 2 ** -20 })));
    });

    it('returns every item when k exceeds the catalog, best first, and skips NaN scores', async () => {
      const { k, memory } = await kernel(base64);
      const { groups, items } = randomGroups(3, [[4, 40]]);
      groups[0]!.values[5] = Number.NaN; // item 5, row 0
      const got = runKernel(k, memory, groups, 'f32', 100, new Set([7]), items);
      const want = topK(reference(groups, items), 100, new Set([7]));
      expect(want).toHaveLength(38); // 40 items, one NaN, one excluded
      expect(got).toEqual(want.map((s) => ({ position: s.position, score: s.score })));
    });
  });

  it('gives the same top-k in both builds on random (non-exact) values, scores within float tolerance', async () => {
    const rand = mulberry32(9);
    const rows = 16;
    const n = 5000;
    const values = Float32Array.from({ length: rows * n }, () => rand() * 2 - 1);
    const coef = Float32Array.from({ length: rows }, () => rand() * 2 - 1);
    const group = { rows, n, start: 0, values, coef };
    const ref = topK(reference([group], n), 20);
    for (const [, base64] of BUILDS) {
      const { k, memory } = await kernel(base64);
      const got = runKernel(k, memory, [group], 'f32', 20, new Set(), n);
      expect(got.map((g) => g.position)).toEqual(ref.map((r) => r.position));
      got.forEach((g, i) => expect(g.score).toBeCloseTo(ref[i]!.score, 5));
    }
  });
});

describe('TopKHeap', () => {
  it('keeps the k best by (score desc, position asc) whatever the offer order, with a threshold that never drops a contender', () => {
    const rand = mulberry32(3);
    const scores = Array.from({ length: 3000 }, () => Math.round(rand() * 40));
    const order = [...scores.keys()].sort(() => rand() - 0.5);
    for (const k of [0, 1, 7, 50]) {
      const heap = new TopKHeap(k);
      for (const p of order) if (scores[p]! >= heap.threshold) heap.offer(scores[p]!, p);
      expect(heap.result()).toEqual(topK(scores, k));
    }
  });
});
