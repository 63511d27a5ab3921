/**
 * The kind layouts' registry (which path opens where, and how each counts resident bytes before its backend is
 * up), the reference on tables small enough to score by hand, and the re-ranking of rows through a permutation
 * that the WASM mixed path relies on.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { encodeMixedVariant, encodeSparse, type MixedVariant, type SparseVariant, selectTable } from '@peelrec/format';
import { BackendUnavailableError } from '../src/errors.js';
import { topThroughPermutation } from '../src/kinds/permuted-top.js';
import { expectedKindResidentDtype, kindLayouts, openKindLayout } from '../src/kinds/registry.js';
import { kindReferenceScores, scoreKindReference } from '../src/kinds/reference.js';
import { topK, type ScoredPosition } from '../src/reference.js';
import { mixedCase } from './fixtures/kind-tables.js';

const registry = [...kindLayouts];
beforeAll(() => setFlagsFromString('--experimental-wasm-relaxed-simd'));
afterEach(() => void kindLayouts.splice(0, kindLayouts.length, ...registry));

const ref = (byteLength: number) => ({ url: 't.bin', byteLength, sha256: '0'.repeat(64) });

describe('kind layout registry', () => {
  it('names each path once, per kind: the WASM kernel builds, the GPU path, then the one that runs everywhere', () => {
    expect(registry.filter((f) => f.kind === 'mixed').map((f) => f.name)).toEqual(['mixed-wasm-relaxed-simd', 'mixed-wasm-simd', 'mixed-js-scan', 'mixed-matmul']);
    expect(registry.filter((f) => f.kind === 'sparse').map((f) => f.name)).toEqual(['sparse-wasm-relaxed-simd', 'sparse-wasm-simd', 'sparse-webgpu', 'sparse-js-scan']);
  });

  it.each([
    ['mixed', 'wasm', undefined],
    ['mixed', 'cpu', 'f32'],
    ['mixed', 'webgpu', 'f32'],
    ['sparse', 'wasm', undefined],
    ['sparse', 'cpu', 'f32'],
    ['sparse', 'webgpu', 'f32'],
  ] as const)('%s on %s counts values at %s', (kind, backend, dtype) => {
    expect(expectedKindResidentDtype({ kind }, backend)).toBe(dtype);
  });

  it.each([
    ['cpu', 'mixed', 'mixed-js-scan'],
    ['cpu', 'sparse', 'sparse-js-scan'],
    ['wasm', 'mixed', 'mixed-wasm-relaxed-simd'],
    ['wasm', 'sparse', 'sparse-wasm-relaxed-simd'],
  ] as const)('opens on %s, for %s, the first path that runs there (%s), counting as expected', async (backend, kind, name) => {
    expect(await tf.setBackend(backend)).toBe(true);
    const opened: string[] = [];
    const recording = registry.map((f) => ({
      ...f,
      open: async (m: Parameters<typeof f.open>[0]) => {
        const layout = await f.open(m);
        if (layout) opened.push(f.name);
        return layout;
      },
    }));
    kindLayouts.splice(0, kindLayouts.length, ...recording);
    const model = { kind, dims: { fullDim: 8 }, items: { count: 10 } };
    const layout = await openKindLayout(model);
    expect(opened).toEqual([name]);
    expect(layout.residentDtype).toBe(expectedKindResidentDtype(model, backend));
    layout.dispose();
  });

  it('fails with BackendUnavailableError where no registered layout serves the kind', async () => {
    await tf.setBackend('cpu');
    kindLayouts.splice(0, kindLayouts.length, ...registry.filter((f) => f.kind === 'mixed' || f.name.startsWith('sparse-wasm')));
    expect(() => expectedKindResidentDtype({ kind: 'sparse' }, 'cpu')).toThrow(BackendUnavailableError);
    await expect(openKindLayout({ kind: 'sparse', dims: { fullDim: 4 }, items: { count: 3 } })).rejects.toThrow(BackendUnavailableError);
  });
});

describe('kind reference', () => {
  it('mixed: rows through the permutation, each scored over the dimensions it keeps; a trimmed selection drops the rest', () => {
    // Items 0, 1, 2 keep 1, 3, 2 dims: rows in order 1, 2, 0.
    const rows = Float32Array.of(1, 9, 9, 2, 3, 4, 5, 6, 9);
    const payload = encodeMixedVariant(rows, 3, [1, 3, 2], 'f32');
    expect(Array.from(payload.order)).toEqual([1, 2, 0]);
    const columns = payload.columns;
    const variant: MixedVariant = { name: 'm', dtype: 'f32', bytes: 6 + 24, permutation: ref(6), columns: payload.counts.map((count, r) => ({ count, file: ref(columns[r]!.byteLength) })) };
    const model = { kind: 'mixed' as const, dims: { fullDim: 3 }, items: { count: 3 } };
    const vector = Float32Array.of(1, 10, 100);
    const whole = selectTable({ kind: 'mixed', variants: [variant], items: model.items }, 1e9);
    const input = { model, variant, selection: whole, bytes: { kind: 'mixed' as const, permutation: payload.permutation, columns }, vector };
    expect(Array.from(kindReferenceScores(input))).toEqual([1, 2 + 30 + 400, 5 + 60]);
    expect(scoreKindReference({ ...input, k: 5, exclude: [1] })).toEqual([
      { position: 2, score: 65 },
      { position: 0, score: 1 },
    ]);
    const trimmed = selectTable({ kind: 'mixed', variants: [variant], items: model.items }, 6 + 12 + 8, { trim: true });
    expect(trimmed.columns).toBe(2);
    expect(Array.from(kindReferenceScores({ ...input, selection: trimmed, bytes: { ...input.bytes, columns: columns.slice(0, 2) } }))).toEqual([1, 32, 65]);
  });

  it('sparse: stored entries only; an empty row scores 0', () => {
    const rows = Float32Array.of(0, 2, 0, 0, 0, 0, -1, 0, 3);
    const { bytes, nnz } = encodeSparse(rows, 3, 'f16');
    const variant: SparseVariant = { name: 's', dtype: 'f16', bytes: bytes.byteLength, nnz, file: ref(bytes.byteLength) };
    const model = { kind: 'sparse' as const, dims: { fullDim: 3 }, items: { count: 3 } };
    const selection = selectTable({ kind: 'sparse', variants: [variant], items: model.items }, 1e9);
    const input = { model, variant, selection, bytes: { kind: 'sparse' as const, payload: bytes }, vector: Float32Array.of(1, 10, 100) };
    expect(Array.from(kindReferenceScores(input))).toEqual([20, 0, 299]);
    expect(scoreKindReference({ ...input, k: 2 })).toEqual([
      { position: 2, score: 299 },
      { position: 0, score: 20 },
    ]);
  });
});

describe('top-k through a permutation', () => {
  /** A scan over rows (ties by row), counting its calls. */
  function scan(scores: readonly number[]) {
    const calls: number[] = [];
    const best = (want: number): ScoredPosition[] => {
      calls.push(want);
      return topK(scores, want);
    };
    return { best, calls };
  }

  it('re-ranks rows tied at the cut by position, asking again until the tie is whole', () => {
    // Rows 0–5 all score 1; the permutation puts row 5 at position 0, so the k best rows (by row) miss it.
    const permutation = Uint16Array.of(5, 4, 3, 2, 1, 0, 6);
    const { best, calls } = scan([1, 1, 1, 1, 1, 1, 0]);
    expect(topThroughPermutation(best, permutation, 2, new Set())).toEqual([
      { position: 0, score: 1 },
      { position: 1, score: 1 },
    ]);
    expect(calls).toEqual([3, 6, 7]);
  });

  it('asks for k rows, one more per excluded position in the catalog and one more, and stops when the k-th result beats the last', () => {
    const permutation = Uint32Array.of(3, 0, 1, 2, 4, 5);
    const { best, calls } = scan([4, 3, 2, 1, 0, 0]);
    expect(topThroughPermutation(best, permutation, 2, new Set([3, 99, -1]))).toEqual([
      { position: 0, score: 3 },
      { position: 1, score: 2 },
    ]);
    expect(calls).toEqual([4]);
    expect(topThroughPermutation(best, permutation, 10, new Set())).toHaveLength(6);
    expect(topThroughPermutation(best, permutation, 0, new Set())).toEqual([]);
  });

  it('agrees with the plain top-k on a seeded table with many ties', () => {
    const c = mixedCase({ seed: 1, items: 400, fullDim: 4, dtype: 'f16' });
    const order = c.bytes.kind === 'mixed' && c.bytes.permutation ? new Uint16Array(c.bytes.permutation.slice().buffer) : undefined;
    expect(order).toBeDefined();
    const byPosition = Array.from({ length: 400 }, (_, p) => Math.round(c.dense[p * 4]! * 4));
    const byRow = Array.from(order!, (p) => byPosition[p]!);
    const exclude = new Set([0, 5, 17]);
    expect(topThroughPermutation(scan(byRow).best, order!, 50, exclude)).toEqual(topK(byPosition, 50, exclude));
  });
});
