/**
 * The `sparse` kind's layouts in Node, each against the float64 reference (kinds/reference.ts) on seeded tables
 * with empty rows and stored zeros: the kernel's CSR scan (both builds, on tfjs-wasm, values kept as stored) and
 * the plain-JS scan (values widened). Also: apply replaces what is held and frees it, a failed apply keeps it,
 * dispose frees everything. (The WebGPU path runs in browser-test/kinds.browser.test.ts.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { FormatDataError } from '@peelrec/format';
import type { KindLayout } from '../src/kinds/kind-layout.js';
import { kindLayouts } from '../src/kinds/registry.js';
import { expectItemVectors, expectReferenceTopK } from './fixtures/kind-checks.js';
import { selectionOf, sparseCase } from './fixtures/kind-tables.js';

beforeAll(async () => {
  // Node 20's V8 has relaxed SIMD behind a flag (on by default from V8 11.4 / Chromium 114).
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  await tf.setBackend('cpu');
});

/** Each path: its registry name, the backend it runs on, the dtype it counts values at. */
const PATHS = [
  ['sparse-wasm-relaxed-simd', 'wasm', undefined],
  ['sparse-wasm-simd', 'wasm', undefined],
  ['sparse-js-scan', 'cpu', 'f32'],
  ['sparse-js-scan', 'wasm', 'f32'],
] as const;

async function open(name: string, backend: 'wasm' | 'cpu', c: ReturnType<typeof sparseCase>): Promise<KindLayout> {
  expect(await tf.setBackend(backend)).toBe(true);
  const layout = await kindLayouts.find((f) => f.name === name)!.open(c.model);
  expect(layout).toBeDefined();
  return layout!;
}

/** The payload with one byte changed. */
function corrupt(c: ReturnType<typeof sparseCase>, at: number, value: number) {
  if (c.bytes.kind !== 'sparse') throw new Error('a sparse case');
  const payload = c.bytes.payload.slice();
  payload[at] = value;
  return { kind: 'sparse' as const, payload };
}

describe.each(PATHS)('%s on %s', (name, backend, resident) => {
  it.each([
    ['f32', 0.3, 500],
    ['f16', 0.3, 500],
    ['f32', 0.05, 1000],
    ['f16', 0.9, 333],
  ] as const)('%s values, density %s, %i items: the reference top-k and item vectors, resident bytes as counted', async (dtype, density, items) => {
    const c = sparseCase({ seed: items + (dtype === 'f32' ? 1 : 2), items, fullDim: 40, dtype, density });
    const selection = selectionOf(c, resident);
    const before = tf.memory().numTensors;
    const layout = await open(name, backend, c);
    expect(layout.residentDtype).toBe(resident);
    layout.apply(selection, c.variant, c.bytes);
    expect(layout.residentBytes).toBeLessThanOrEqual(selection.bytes);
    // As stored: every byte of the payload. Widened: the row counts and indices (no padding), then 4 bytes a value.
    const nnz = 'nnz' in c.variant ? c.variant.nnz : NaN;
    expect(layout.residentBytes).toBe(resident ? items + nnz + 4 * nnz : c.variant.bytes);
    await expectReferenceTopK(layout, c, selection, 50);
    await expectItemVectors(layout, c, selection);
    layout.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a table of empty rows scores every item 0 (ties by position); a full row beats them', async () => {
    const empty = sparseCase({ seed: 8, items: 70, fullDim: 12, dtype: 'f16', density: 0, zeroRows: 1 });
    expect('nnz' in empty.variant && empty.variant.nnz).toBe(0);
    const layout = await open(name, backend, empty);
    layout.apply(selectionOf(empty, resident), empty.variant, empty.bytes);
    expect(
      await layout.top(
        Float32Array.from({ length: 12 }, () => 1),
        4,
        new Set([1]),
      ),
    ).toEqual([0, 2, 3, 4].map((position) => ({ position, score: 0 })));
    await expectReferenceTopK(layout, empty, selectionOf(empty, resident), 60);
    const full = sparseCase({ seed: 9, items: 70, fullDim: 12, dtype: 'f32', density: 1, zeroRows: 0 });
    await expectReferenceTopK(await applied(layout, full), full, selectionOf(full, resident), 61);
    layout.dispose();
  });

  it('apply replaces what is held and frees it; a failed apply keeps it', async () => {
    const a = sparseCase({ seed: 10, items: 200, fullDim: 16, dtype: 'f32' });
    const b = sparseCase({ seed: 11, items: 200, fullDim: 16, dtype: 'f16' });
    const [sa, sb] = [selectionOf(a, resident), selectionOf(b, resident)];
    const base = tf.memory().numTensors;
    const layout = await open(name, backend, a);
    layout.apply(sa, a.variant, a.bytes);
    const tensors = tf.memory().numTensors - base;
    layout.apply(sb, b.variant, b.bytes);
    expect(tf.memory().numTensors - base).toBe(tensors);
    const held = layout.residentBytes;
    await expectReferenceTopK(layout, b, sb, 70);
    // An index past fullDim, indices out of order, row counts that do not sum to nnz: nothing changes.
    const firstRow = a.bytes.kind === 'sparse' ? a.bytes.payload.findIndex((n) => n >= 2) : -1;
    const firstEntry = 200 + (a.bytes.kind === 'sparse' ? a.bytes.payload.subarray(0, firstRow).reduce((s, n) => s + n, 0) : 0);
    for (const broken of [corrupt(a, firstEntry, 16), corrupt(a, firstEntry + 1, 0), corrupt(a, 0, 255)]) {
      expect(() => layout.apply(sa, a.variant, broken)).toThrow(FormatDataError);
      expect(layout.residentBytes).toBe(held);
      expect(tf.memory().numTensors - base).toBe(tensors);
    }
    await expectReferenceTopK(layout, b, sb, 70);
    layout.dispose();
    expect(tf.memory().numTensors).toBe(base);
    expect(layout.residentBytes).toBe(0);
  });
});

async function applied(layout: KindLayout, c: ReturnType<typeof sparseCase>): Promise<KindLayout> {
  layout.apply(selectionOf(c, layout.residentDtype === 'f32' ? 'f32' : undefined), c.variant, c.bytes);
  return layout;
}
