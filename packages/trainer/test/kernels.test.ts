import { describe, expect, it } from 'vitest';
import { Gemm, SharedHeap, heapBytes, matmul, scoreMatrix, assembleGemmWasm } from '../src/kernels/index.js';
import type { KernelExports } from '../src/kernels/worker-runtime.mjs';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
function rand(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, r);
}
function naive(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i]! : a[i * k + p]!) * b[p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}
function expectClose(got: Float32Array, want: Float64Array) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  expect(worst).toBeLessThan(1e-4);
}

describe('WASM SIMD gemm', () => {
  it('assembles from wasm/gemm.wat reproducibly', async () => {
    const [x, y] = await Promise.all([assembleGemmWasm(), assembleGemmWasm()]);
    expect(x.length).toBeGreaterThan(100);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
  });

  it.each([
    [1, 1, 1],
    [4, 8, 8],
    [7, 13, 10],
    [33, 16, 24],
    [5, 3, 19],
  ])('A·B matches the naive product for m=%i k=%i n=%i (n padded)', async (m, k, n) => {
    const a = rand(m * k, m * 31 + k);
    const b = rand(k * n, n * 17 + 1);
    expectClose(await matmul(a, b, m, k, n), naive(a, b, m, k, n));
  });

  it('Aᵀ·B matches the naive product', async () => {
    const [m, k, n] = [9, 11, 16];
    const a = rand(k * m, 5);
    const b = rand(k * n, 6);
    expectClose(await matmul(a, b, m, k, n, { transA: true }), naive(a, b, m, k, n, true));
  });

  it('accumulates into C and honours leading dimensions', async () => {
    const [m, k, n, ldc] = [6, 5, 8, 24];
    const heap = new SharedHeap(heapBytes([m * k, k * n, m * ldc]));
    const a = rand(m * k, 1);
    const b = rand(k * n, 2);
    const pa = heap.putF32(a);
    const pb = heap.putF32(b);
    const pc = heap.alloc(m * ldc);
    const cv = heap.f32(pc, m * ldc);
    cv.fill(1);
    const g = await Gemm.create(heap);
    g.call({ a: pa, b: pb, c: pc + 8 * 4, m, n, k, ldc, accumulate: true });
    const want = naive(a, b, m, k, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ldc; j++) {
        const v = cv[i * ldc + j]!;
        if (j >= 8 && j < 16) expect(Math.abs(v - (1 + want[i * n + j - 8]!))).toBeLessThan(1e-4);
        else expect(v).toBe(1); // outside the target columns nothing is touched
      }
    }
  });

  it('rejects n that is not a multiple of 8', async () => {
    const heap = new SharedHeap(1024);
    const g = await Gemm.create(heap);
    expect(() => g.call({ a: 64, b: 64, c: 64, m: 1, n: 4, k: 1 })).toThrow(/multiple of 8/);
  });

  it('scoreMatrix gives user·item inner products', async () => {
    const d = 8;
    const users = rand(3 * d, 9);
    const items = rand(5 * d, 10);
    const s = await scoreMatrix(users, items, d);
    for (let u = 0; u < 3; u++)
      for (let i = 0; i < 5; i++) {
        let dot = 0;
        for (let p = 0; p < d; p++) dot += users[u * d + p]! * items[i * d + p]!;
        expect(s[u * 5 + i]).toBeCloseTo(dot, 5);
      }
  });
});

describe('WASM SIMD training helpers', () => {
  async function instance(heap: SharedHeap) {
    const { gemmModule } = await import('../src/kernels/gemm-module.js');
    const inst = await WebAssembly.instantiate(await gemmModule(), { env: { memory: heap.memory } });
    return inst.exports as unknown as KernelExports;
  }

  it('softmax_rows matches a float64 softmax with the positive logit in front', async () => {
    const [rows, n] = [3, 12];
    const heap = new SharedHeap(heapBytes([rows * n, rows, rows, 2 * rows]));
    const raw = rand(rows * n, 3).map((v) => v * 2);
    const pL = heap.putF32(raw);
    const pos = Float32Array.of(0.5, -0.3, 0.9);
    const pPos = heap.putF32(pos);
    const pG = heap.alloc(rows);
    const pS = heap.alloc(2 * rows);
    const [invTau, shift, gscale] = [10, 1.5, 0.25];
    (await instance(heap)).softmax_rows(pL, rows, n, pPos, invTau, shift, gscale, pG, pS);
    const L = heap.f32(pL, rows * n);
    const gpos = heap.f32(pG, rows);
    const stat = heap.f32(pS, 2 * rows);
    for (let r = 0; r < rows; r++) {
      const logits = [pos[r]! * invTau, ...Array.from(raw.subarray(r * n, r * n + n), (s) => s * invTau + shift)];
      const mx = Math.max(...logits);
      const z = logits.reduce((s, l) => s + Math.exp(l - mx), 0);
      expect(stat[2 * r]).toBeCloseTo(mx, 5);
      expect(Math.log(stat[2 * r + 1]!) + stat[2 * r]!).toBeCloseTo(mx + Math.log(z), 5);
      expect(gpos[r]).toBeCloseTo(gscale * (Math.exp(logits[0]! - mx) / z - 1), 6);
      for (let j = 0; j < n; j++) expect(L[r * n + j]).toBeCloseTo((gscale * Math.exp(logits[j + 1]! - mx)) / z, 6);
    }
  });

  it('adam_rows updates only the listed rows, like the textbook rule', async () => {
    const [nRows, d] = [5, 8];
    const heap = new SharedHeap(heapBytes([nRows * d, nRows * d, nRows * d, 2 * d, 2]));
    const w0 = rand(nRows * d, 4);
    const pW = heap.putF32(w0);
    const pM = heap.putF32(rand(nRows * d, 5).map((v) => v * 0.1));
    const pV = heap.putF32(rand(nRows * d, 6).map((v) => v * v * 0.01));
    const m0 = heap.f32(pM, nRows * d).slice();
    const v0 = heap.f32(pV, nRows * d).slice();
    const g = rand(2 * d, 7);
    const pG = heap.putF32(g);
    const pR = heap.alloc(2);
    new Int32Array(heap.memory.buffer, pR, 2).set([3, 1]);
    const [b1, b2, a, ib2, eps] = [0.9, 0.999, 0.01, 1 / (1 - 0.999 ** 3), 1e-8];
    (await instance(heap)).adam_rows(pW, pM, pV, pG, pR, 2, d, b1, b2, a, ib2, eps);
    const W = heap.f32(pW, nRows * d);
    [0, 2, 4].forEach((row) => expect(Array.from(W.subarray(row * d, row * d + d))).toEqual(Array.from(w0.subarray(row * d, row * d + d))));
    [3, 1].forEach((row, s) => {
      for (let p = 0; p < d; p++) {
        const gg = g[s * d + p]!;
        const m = b1 * m0[row * d + p]! + (1 - b1) * gg;
        const v = b2 * v0[row * d + p]! + (1 - b2) * gg * gg;
        expect(W[row * d + p]).toBeCloseTo(w0[row * d + p]! - (a * m) / (Math.sqrt(v * ib2) + eps), 5);
      }
    });
  });
});
