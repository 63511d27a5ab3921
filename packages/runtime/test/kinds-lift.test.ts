/**
 * f16 `mixed` and `sparse` tables with subnormal halves on the WASM layouts (both builds, on tfjs-wasm in Node):
 * held lifted times 2^10 (half.ts), so the kernel widens no half to an f32 subnormal, with the 2^-10 in a mixed
 * band's row weights or in a sparse table's coefficients; still the float64 reference's top-k (the fixtures' sums
 * are exact) and the file's values read back, and the bytes the layout was given left as they were.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { halves } from '../src/half.js';
import type { KindLayout } from '../src/kinds/kind-layout.js';
import { kindLayouts } from '../src/kinds/registry.js';
import { type HeldSparse, SparseScan } from '../src/kinds/sparse-scan.js';
import { type ScanSegment, WasmScan } from '../src/wasm-scan.js';
import { expectItemVectors, expectReferenceTopK } from './fixtures/kind-checks.js';
import { type KindCase, mixedCase, selectionOf, sparseCase } from './fixtures/kind-tables.js';

const isSubnormal = (h: number) => (h & 0x7c00) === 0 && (h & 0x3ff) !== 0;

beforeAll(async () => {
  // Node 20's V8 has relaxed SIMD behind a flag (on by default from V8 11.4 / Chromium 114).
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  expect(await tf.setBackend('wasm')).toBe(true);
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function open(name: string, c: KindCase): Promise<KindLayout> {
  const layout = await kindLayouts.find((f) => f.name === name)!.open(c.model);
  expect(layout).toBeDefined();
  return layout!;
}

/** Every byte the case hands a layout, copied. */
const copyOf = (c: KindCase) => (c.bytes.kind === 'mixed' ? c.bytes.columns.map((b) => b.slice()) : [c.bytes.payload.slice()]);

describe.each(['relaxed-simd', 'simd'] as const)('the %s build', (build) => {
  it.each([false, true])('mixed, identity order %s: no subnormal half held, lifted bands weighted 2^-10, the reference top-k and item vectors', async (identity) => {
    const c = mixedCase({ seed: 30, items: 1000, fullDim: 24, dtype: 'f16', identity, subnormal: 0.02 });
    if (c.bytes.kind !== 'mixed') throw new Error('a mixed case');
    const columns = c.bytes.columns.map(halves);
    const given = copyOf(c);
    const plans: ScanSegment[][] = [];
    const plan = WasmScan.prototype.plan;
    vi.spyOn(WasmScan.prototype, 'plan').mockImplementation(function (this: WasmScan, segments, items) {
      plans.push([...segments]);
      return plan.call(this, segments, items);
    });
    const selection = selectionOf(c, undefined);
    const layout = await open(`mixed-wasm-${build}`, c);
    layout.apply(selection, c.variant, c.bytes);
    const lifted = [0, 0];
    for (const s of plans.at(-1)!) {
      const held = new Uint16Array(Uint8Array.from((await s.matrix.data()) as Uint8Array).buffer);
      expect(held.some(isSubnormal)).toBe(false);
      // A band is lifted exactly where its file values hold a subnormal half.
      const fileHas = columns.slice(0, s.rows).some((col) => col.subarray(s.start, s.start + s.count).some(isSubnormal));
      expect([...s.rowWeights]).toEqual(new Array(s.rows).fill(fileHas ? 2 ** -10 : 1));
      lifted[fileHas ? 1 : 0]!++;
    }
    // Both kinds of band are there: the test covers a lifted band and one held as it is.
    expect(lifted[0]).toBeGreaterThan(0);
    expect(lifted[1]).toBeGreaterThan(0);
    await expectReferenceTopK(layout, c, selection, 90);
    await expectItemVectors(layout, c, selection);
    expect(copyOf(c)).toEqual(given);
    layout.dispose();
  });

  it('sparse: no subnormal half held, the 2^-10 in the coefficients, the reference top-k and item vectors', async () => {
    const c = sparseCase({ seed: 31, items: 800, fullDim: 40, dtype: 'f16', density: 0.4, subnormal: 0.05 });
    if (c.bytes.kind !== 'sparse') throw new Error('a sparse case');
    const given = copyOf(c);
    const seen: { scale: number; subnormal: boolean }[] = [];
    const top = SparseScan.prototype.top;
    vi.spyOn(SparseScan.prototype, 'top').mockImplementation(function (this: SparseScan, held: HeldSparse, vector, k, exclude) {
      const values = new Uint16Array(this.view(), held.base + held.valuesOffset, held.nnz);
      seen.push({ scale: held.scale, subnormal: values.some(isSubnormal) });
      return top.call(this, held, vector, k, exclude);
    });
    const nnz = 'nnz' in c.variant ? c.variant.nnz : Number.NaN;
    const fileValues = halves(c.bytes.payload.subarray(c.bytes.payload.byteLength - 2 * nnz));
    expect(fileValues.some(isSubnormal)).toBe(true);
    const selection = selectionOf(c, undefined);
    const layout = await open(`sparse-wasm-${build}`, c);
    layout.apply(selection, c.variant, c.bytes);
    await expectReferenceTopK(layout, c, selection, 91);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.scale === 2 ** -10 && !s.subnormal)).toBe(true);
    await expectItemVectors(layout, c, selection);
    expect(copyOf(c)).toEqual(given);
    layout.dispose();
  });

  it('sparse without subnormal halves: held as stored, scale 1', async () => {
    const c = sparseCase({ seed: 32, items: 300, fullDim: 20, dtype: 'f16' });
    if (c.bytes.kind !== 'sparse') throw new Error('a sparse case');
    const payload = c.bytes.payload;
    const scales: number[] = [];
    const top = SparseScan.prototype.top;
    vi.spyOn(SparseScan.prototype, 'top').mockImplementation(function (this: SparseScan, held: HeldSparse, vector, k, exclude) {
      expect(new Uint8Array(this.view(), held.base, payload.byteLength)).toEqual(payload);
      scales.push(held.scale);
      return top.call(this, held, vector, k, exclude);
    });
    const selection = selectionOf(c, undefined);
    const layout = await open(`sparse-wasm-${build}`, c);
    layout.apply(selection, c.variant, c.bytes);
    await expectReferenceTopK(layout, c, selection, 92);
    expect(new Set(scales)).toEqual(new Set([1]));
    layout.dispose();
  });
});
