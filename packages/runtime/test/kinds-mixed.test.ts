/**
 * The `mixed` kind's layouts in Node, each against the float64 reference (kinds/reference.ts) on seeded tables:
 * the WASM kernel's bands (both builds, on tfjs-wasm), the plain-JS scan and tfjs matMul (tfjs-cpu, and
 * tfjs-wasm for matMul); f32 and f16, with and without a permutation, whole and trimmed. Also: apply replaces
 * what is held and frees it, a failed apply keeps it, dispose frees everything.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { FormatDataError } from '@peelrec/format';
import type { KindLayout, VariantBytes } from '../src/kinds/kind-layout.js';
import { kindLayouts } from '../src/kinds/registry.js';
import { expectItemVectors, expectReferenceTopK } from './fixtures/kind-checks.js';
import { exactVector, keptBytes, mixedCase, selectionOf } from './fixtures/kind-tables.js';
import { scoreKindReference } from '../src/kinds/reference.js';

beforeAll(async () => {
  // Node 20's V8 has relaxed SIMD behind a flag (on by default from V8 11.4 / Chromium 114).
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  await tf.setBackend('cpu');
});

/** Each path: its registry name, the backend it runs on, and how its resident bytes relate to the selection. */
const PATHS = [
  ['mixed-wasm-relaxed-simd', 'wasm', 'file'],
  ['mixed-wasm-simd', 'wasm', 'file'],
  ['mixed-js-scan', 'cpu', 'f32'],
  ['mixed-matmul', 'cpu', 'f32'],
  ['mixed-matmul', 'wasm', 'f32'],
] as const;

async function open(name: string, backend: 'wasm' | 'cpu', c: ReturnType<typeof mixedCase>): Promise<KindLayout> {
  expect(await tf.setBackend(backend)).toBe(true);
  const layout = await kindLayouts.find((f) => f.name === name)!.open(c.model);
  expect(layout).toBeDefined();
  return layout!;
}

describe.each(PATHS)('%s on %s', (name, backend, counted) => {
  const resident = counted === 'f32' ? 'f32' : undefined;

  it.each([
    ['f32', false],
    ['f16', false],
    ['f32', true],
    ['f16', true],
  ] as const)('%s values, identity order %s: the reference top-k and item vectors, resident bytes as counted', async (dtype, identity) => {
    // 1,000 items: bands of every size, most with a tail of < 32 items scored one at a time.
    const c = mixedCase({ seed: dtype === 'f32' ? 3 : 4, items: 1000, fullDim: 24, dtype, identity });
    expect(Boolean(c.bytes.kind === 'mixed' && c.bytes.permutation)).toBe(!identity);
    const selection = selectionOf(c, resident);
    const before = tf.memory().numTensors;
    const layout = await open(name, backend, c);
    expect(layout.residentDtype).toBe(resident);
    layout.apply(selection, c.variant, c.bytes);
    expect(layout.residentBytes).toBe(counted === 'f32' ? selection.bytes : selection.fileBytes);
    expect(layout.residentBytes).toBeLessThanOrEqual(selection.bytes);
    await expectReferenceTopK(layout, c, selection, 10);
    await expectItemVectors(layout, c, selection);
    layout.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a trimmed selection (a prefix of the columns) scores the dimensions it keeps', async () => {
    const c = mixedCase({ seed: 5, items: 700, fullDim: 16, dtype: 'f16' });
    const whole = selectionOf(c, resident);
    const selection = selectionOf(c, resident, Math.floor(whole.bytes * 0.6), true);
    expect(selection.trimmed).toBe(true);
    expect(selection.columns).toBeLessThan(16);
    const layout = await open(name, backend, c);
    layout.apply(selection, c.variant, keptBytes(c, selection));
    expect(layout.residentBytes).toBeLessThanOrEqual(selection.bytes);
    await expectReferenceTopK(layout, c, selection, 20);
    await expectItemVectors(layout, c, selection);
    layout.dispose();
  });

  it('a catalog above 65,536 items: a u32 permutation', async () => {
    const c = mixedCase({ seed: 8, items: 70_000, fullDim: 3, dtype: 'f16' });
    expect(c.bytes.kind === 'mixed' && c.bytes.permutation?.byteLength).toBe(4 * 70_000);
    const selection = selectionOf(c, resident);
    const layout = await open(name, backend, c);
    layout.apply(selection, c.variant, c.bytes);
    expect(layout.residentBytes).toBe(counted === 'f32' ? selection.bytes : selection.fileBytes);
    // A few requests (the full round of expectReferenceTopK compares 70,000-item lists): one user, and the zero user (all tied).
    const input = { model: c.model, selection, variant: c.variant, bytes: c.bytes };
    for (const vector of [exactVector(40, 3), new Float32Array(3)]) {
      const exclude = new Set([0, 1, 69_999, scoreKindReference({ ...input, vector, k: 1 })[0]!.position]);
      const plain = (list: readonly { position: number; score: number }[]) => list.map((s) => ({ position: s.position, score: s.score + 0 }));
      expect(plain(await layout.top(vector, 20, exclude))).toEqual(plain(scoreKindReference({ ...input, vector, k: 20, exclude })));
    }
    await expectItemVectors(layout, c, selection);
    layout.dispose();
  });

  it('apply replaces what is held and frees it; a failed apply keeps it', async () => {
    const a = mixedCase({ seed: 6, items: 300, fullDim: 8, dtype: 'f32' });
    const b = mixedCase({ seed: 7, items: 300, fullDim: 8, dtype: 'f16', identity: true });
    const [sa, sb] = [selectionOf(a, resident), selectionOf(b, resident)];
    const base = tf.memory().numTensors;
    const fresh = await open(name, backend, b);
    fresh.apply(sb, b.variant, b.bytes);
    const tensorsOfB = tf.memory().numTensors - base;
    fresh.dispose();

    const layout = await open(name, backend, a);
    layout.apply(sa, a.variant, a.bytes);
    layout.apply(sb, b.variant, b.bytes);
    expect(tf.memory().numTensors - base).toBe(tensorsOfB);
    const held = layout.residentBytes;
    await expectReferenceTopK(layout, b, sb, 30);
    // A column one value short: nothing changes.
    if (a.bytes.kind !== 'mixed') throw new Error('a mixed case');
    const broken: VariantBytes = { ...a.bytes, columns: a.bytes.columns.map((col, r) => (r === 2 ? col.subarray(4) : col)) };
    expect(() => layout.apply(sa, a.variant, broken)).toThrow(FormatDataError);
    expect(layout.residentBytes).toBe(held);
    expect(tf.memory().numTensors - base).toBe(tensorsOfB);
    await expectReferenceTopK(layout, b, sb, 30);
    layout.dispose();
    expect(tf.memory().numTensors).toBe(base);
    expect(layout.residentBytes).toBe(0);
    expect(await layout.top(new Float32Array(8), 5, new Set())).toEqual([]);
  });
});
