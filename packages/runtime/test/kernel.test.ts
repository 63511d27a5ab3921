/**
 * The fused scan kernel (src/kernel/scan.wat) run directly in Node's V8 on a
 * plain WebAssembly.Memory, against a plain loop over the same packed data;
 * and the packed layout it reads.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { assemble, GENERATED, render } from '../scripts/build-kernel.js';
import { SCAN_WASM_BASE64 } from '../src/kernel/scan-wasm.js';
import { packedIndex, packInto, TILE, unpack } from '../src/packed-layout.js';
import { TopKHeap } from '../src/top-k.js';
import { topK } from '../src/index.js';
import { mulberry32 } from './fixtures/artifact.js';

interface Scan {
  scan(mat: number, rows: number, u: number, from: number, to: number, thr: number, out: number, cap: number, tmp: number): number;
  count: WebAssembly.Global;
}

async function kernel(): Promise<{ k: Scan; memory: WebAssembly.Memory }> {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const { instance } = await WebAssembly.instantiate(Buffer.from(SCAN_WASM_BASE64, 'base64'), { env: { memory } });
  return { k: instance.exports as unknown as Scan, memory };
}

describe('packed layout', () => {
  it.each([
    [3, 100],
    [8, 64],
    [1, 31],
    [5, 33],
  ])('is a bijection of [%i, %i] onto rows·n floats, and pack/unpack round-trip', (rows, n) => {
    const seen = new Set<number>();
    for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) seen.add(packedIndex(rows, n, r, c));
    expect(seen.size).toBe(rows * n);
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(rows * n - 1);
    const src = Float32Array.from({ length: rows * n }, (_, i) => i + 1);
    const packed = new Float32Array(rows * n);
    packInto(packed, rows, n, 0, 0, src, rows, n);
    expect(unpack(packed, 0, rows, n, 0, 0, rows, n)).toEqual(src);
    // A full tile keeps each row's 32 items contiguous.
    if (n >= TILE) expect(packedIndex(rows, n, 1, 0) - packedIndex(rows, n, 0, 0)).toBe(TILE);
  });

  it('places a sub-block at a row and column offset', () => {
    const rows = 6;
    const n = 70;
    const packed = new Float32Array(rows * n);
    const block = Float32Array.from({ length: 2 * 40 }, (_, i) => i);
    packInto(packed, rows, n, 2, 25, block, 2, 40, 0.5);
    expect(unpack(packed, 0, rows, n, 2, 25, 2, 40)).toEqual(block.map((v) => v * 0.5));
    expect(packed[packedIndex(rows, n, 1, 30)]).toBe(0);
  });
});

describe('scan kernel', () => {
  it('is the assembly of scan.wat (run `pnpm build:kernel` after editing it)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(render(await assemble()));
  });

  it('emits exactly the items scoring ≥ the threshold, stopping and resuming when the buffer is full', async () => {
    const { k, memory } = await kernel();
    const rand = mulberry32(11);
    for (const [rows, n] of [
      [4, 4096],
      [24, 1000],
      [1, 64],
    ] as const) {
      const end = n - (n % TILE);
      const logical = Float32Array.from({ length: rows * n }, () => Math.round((rand() * 2 - 1) * 16) / 16); // exact ties happen
      const u = Float32Array.from({ length: rows }, () => Math.round((rand() * 2 - 1) * 8) / 8);
      const f32 = new Float32Array(memory.buffer);
      const i32 = new Int32Array(memory.buffer);
      const mat = 65536;
      const uPtr = 1024;
      const out = 4096;
      const tmp = 2048;
      const packed = new Float32Array(rows * n);
      packInto(packed, rows, n, 0, 0, logical, rows, n);
      f32.set(packed, mat >> 2);
      f32.set(u, uPtr >> 2);
      const want = (c: number) => {
        let s = 0;
        for (let r = 0; r < rows; r++) s = Math.fround(s + Math.fround(u[r]! * logical[r * n + c]!));
        return s;
      };
      for (const thr of [-Infinity, 0, 0.5]) {
        const got: [number, number][] = [];
        let from = 0;
        let calls = 0;
        const cap = 64; // small, to force stops
        while (from < end) {
          from = k.scan(mat, rows, uPtr, from, end, thr, out, cap, tmp);
          calls++;
          const found = k.count.value as number;
          expect(found).toBeLessThanOrEqual(cap);
          for (let c = 0; c < found; c++) got.push([i32[(out >> 2) + 2 * c]!, f32[(out >> 2) + 2 * c + 1]!]);
        }
        const expected = [...Array(end).keys()].filter((c) => want(c) >= thr);
        expect(got.map(([c]) => c)).toEqual(expected);
        for (const [c, s] of got) expect(s).toBeCloseTo(want(c), 5);
        if (thr === -Infinity && end > cap) expect(calls).toBeGreaterThan(1);
      }
    }
  });

  it('never emits NaN scores', async () => {
    const { k, memory } = await kernel();
    const f32 = new Float32Array(memory.buffer);
    f32.fill(Number.NaN, 65536 >> 2, (65536 >> 2) + 2 * 64);
    f32[1024 >> 2] = 1;
    f32[(1024 >> 2) + 1] = 1;
    expect(k.scan(65536, 2, 1024, 0, 64, -Infinity, 4096, 256, 2048)).toBe(64);
    expect(k.count.value).toBe(0);
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
