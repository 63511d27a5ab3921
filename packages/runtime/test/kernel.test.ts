/**
 * The fused scan kernel (src/kernel/scan.wat), both builds, run directly in
 * Node's V8 on a plain WebAssembly.Memory against the reference top-k over the
 * same values; and the packed layout it reads.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { encodeBlock } from '@peelrec/format';
import { assemble, GENERATED, render, withoutRelaxedSimd } from '../scripts/build-kernel.js';
import { SCAN_WASM_RELAXED_BASE64, SCAN_WASM_SIMD_BASE64 } from '../src/kernel/scan-wasm.js';
import { packedIndex, packInto, TILE, unpack } from '../src/packed-layout.js';
import { halfToFloat } from '../src/scorer.js';
import { TopKHeap } from '../src/top-k.js';
import { topK } from '../src/index.js';
import { mulberry32 } from './fixtures/artifact.js';

interface Scan {
  run(table: number, segments: number, user: number, scale: number, heap: number, k: number, excl: number, coef: number, tmp: number): void;
  size: WebAssembly.Global;
}

async function compile(base64: string): Promise<WebAssembly.Module> {
  const bytes = Buffer.from(base64, 'base64');
  try {
    return await WebAssembly.compile(bytes);
  } catch {
    // Node 20's V8 has relaxed SIMD behind a flag (on by default from V8 11.4 / Chromium 114).
    setFlagsFromString('--experimental-wasm-relaxed-simd');
    return WebAssembly.compile(bytes);
  }
}

const BUILDS = [
  ['relaxed-simd', SCAN_WASM_RELAXED_BASE64],
  ['simd', SCAN_WASM_SIMD_BASE64],
] as const;

async function kernel(base64: string): Promise<{ k: Scan; memory: WebAssembly.Memory }> {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const instance = await WebAssembly.instantiate(await compile(base64), { env: { memory } });
  return { k: instance.exports as unknown as Scan, memory };
}

/** One item group: `rows` logical rows (dim-major values) of `n` items, item 0 at position `start`. */
interface Group {
  readonly rows: number;
  readonly n: number;
  readonly start: number;
  readonly values: Float32Array;
  readonly coef: Float32Array;
}

/**
 * Runs the kernel over `groups` the way wasm-scan.ts does (a table of segment
 * records, the user vector, an exclusion bitmap; one call) and returns the
 * heap, best first. Each group's `coef` is its rows' weights; the user vector
 * is all ones, so the coefficients are the weights (times `scale`).
 */
function runKernel(k: Scan, memory: WebAssembly.Memory, groups: readonly Group[], dtype: 'f32' | 'f16', topk: number, exclude: ReadonlySet<number>, items: number, scale = 1) {
  const heap = 1024;
  const excl = heap + topk * 8 + 64;
  const table = excl + Math.ceil(items / 32) * 4 + 64;
  const rows = groups.reduce((n, g) => n + g.rows, 0);
  const meta = table + groups.length * 32; // dims and weights
  const user = meta + rows * 8 + 64;
  const coef = user + 4 * 64;
  const tmp = coef + 4 * Math.max(...groups.map((g) => g.rows)) + 64;
  let at = tmp + 256;
  const u8 = new Uint8Array(memory.buffer);
  const f32 = new Float32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  i32.fill(0, excl >> 2, (excl >> 2) + Math.ceil(items / 32));
  for (const p of exclude) i32[(excl >> 2) + (p >>> 5)]! |= 1 << (p & 31);
  f32.fill(1, user >> 2, (user >> 2) + 64);
  let m = meta >> 2;
  groups.forEach((g, s) => {
    const packed = new Float32Array(g.rows * g.n);
    packInto(packed, g.rows, g.n, 0, 0, g.values, g.rows, g.n, { dtype });
    const mat = at;
    if (dtype === 'f16') u8.set(encodeBlock(packed, 'f16'), mat);
    else f32.set(packed, mat >> 2);
    at += Math.ceil((packed.length * (dtype === 'f16' ? 2 : 4)) / 16) * 16 + 16;
    i32.set([mat, g.rows, g.n, g.start, dtype === 'f16' ? 1 : 0, m * 4, (m + g.rows) * 4, 0], (table >> 2) + s * 8);
    for (let r = 0; r < g.rows; r++) {
      i32[m + r] = r % 64; // user dim: any, the user vector is all ones
      f32[m + g.rows + r] = g.coef[r]!;
    }
    m += 2 * g.rows;
  });
  k.run(table, groups.length, user, scale, heap, topk, excl, coef, tmp);
  const out: { position: number; score: number }[] = [];
  for (let i = 0; i < (k.size.value as number); i++) out.push({ position: i32[(heap >> 2) + 2 * i + 1]!, score: f32[(heap >> 2) + 2 * i]! });
  return out.sort((a, b) => b.score - a.score || a.position - b.position);
}

/** Exact float64 scores: values and coefficients are multiples of 1/16 and 1/8, so f32 sums are exact too. */
function reference(groups: readonly Group[], items: number): Float64Array {
  const scores = new Float64Array(items);
  for (const g of groups) for (let r = 0; r < g.rows; r++) for (let i = 0; i < g.n; i++) scores[g.start + i] += g.coef[r]! * g.values[r * g.n + i]!;
  return scores;
}

function randomGroups(seed: number, shapes: readonly (readonly [rows: number, n: number])[]): { groups: Group[]; items: number } {
  const rand = mulberry32(seed);
  let start = 0;
  const groups = shapes.map(([rows, n]) => {
    const g = {
      rows,
      n,
      start,
      values: Float32Array.from({ length: rows * n }, () => Math.round((rand() * 2 - 1) * 16) / 16), // exact ties happen
      coef: Float32Array.from({ length: rows }, () => Math.round((rand() * 2 - 1) * 8) / 8),
    };
    start += n;
    return g;
  });
  return { groups, items: start };
}

describe('packed layout', () => {
  it.each([
    [3, 100],
    [8, 64],
    [1, 31],
    [5, 33],
  ])('is a bijection of [%i, %i] onto rows·n elements, and pack/unpack round-trip', (rows, n) => {
    const seen = new Set<number>();
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) seen.add(packedIndex(rows, n, r, c));
    expect(seen.size).toBe(rows * n);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(rows * n - 1);
    const src = Float32Array.from({ length: rows * n }, (_, i) => i + 1);
    const packed = new Float32Array(rows * n);
    packInto(packed, rows, n, 0, 0, src, rows, n);
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) expect(packed[packedIndex(rows, n, r, c)]).toBe(src[r * n + c]);
    expect(unpack(packed, 0, rows, n, 0, 0, rows, n)).toEqual(src);
    // f16 bit patterns: the same places, except the order within each run of 8 items of a tile row.
    const halves = Uint16Array.from(src);
    const packed16 = new Uint16Array(rows * n);
    packInto(packed16, rows, n, 0, 0, halves, rows, n, { dtype: 'f16' });
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) expect(packed16[packedIndex(rows, n, r, c, 'f16')]).toBe(halves[r * n + c]);
    expect(unpack(packed16, 0, rows, n, 0, 0, rows, n, 'f16')).toEqual(halves);
    if (n >= TILE) expect([...packed16.subarray(0, 8)]).toEqual([0, 4, 1, 5, 2, 6, 3, 7].map((c) => halves[c]));
    // A full tile keeps each row's 32 items contiguous.
    if (n >= TILE) expect(packedIndex(rows, n, 1, 0) - packedIndex(rows, n, 0, 0)).toBe(TILE);
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
