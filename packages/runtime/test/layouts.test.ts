/**
 * The layout registry on the cpu backend (Node): the scorer scores through the layout chosen when it is
 * prepared, each dim-major path agrees with the reference, and a scorer with no layout for the active
 * backend refuses instead of guessing one.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeBlock, PeelrecError, selectBlocks } from '@peelrec/format';
import { Scorer } from '../src/scorer.js';
import { tableLayouts } from '../src/layouts.js';
import { BackendUnavailableError, scoreReference } from '../src/index.js';
import { buildFixture, bytesOf, type Fixture } from './fixtures/artifact.js';

let fixture: Fixture;
/** An artifact that exports i8 blocks only: every backend must serve it. */
let i8Only: Fixture;
const registry = [...tableLayouts];
beforeAll(async () => {
  await tf.setBackend('cpu');
  fixture = await buildFixture({ seed: 11, items: 120, blockDim: 4, blocksPerItem: 4, dtypes: ['f16'] });
  i8Only = await buildFixture({ seed: 11, items: 123, blockDim: 3, blocksPerItem: 4, itemGroupSizes: [20, 40, 63], dtypes: ['i8'] });
});
afterEach(() => void tableLayouts.splice(0, tableLayouts.length, ...registry));

/** Keeps only the registry entries named. */
const only = (...names: string[]) => tableLayouts.splice(0, tableLayouts.length, ...registry.filter((f) => names.includes(f.name)));

describe('table layouts', () => {
  it('names each path once, the universal matMul last', () => {
    expect(registry.map((f) => f.name)).toEqual(['wasm-packed-relaxed-simd', 'wasm-packed-simd', 'stored-webgpu', 'dim-major-js-scan', 'dim-major-matmul']);
  });

  it.each([
    ['dim-major-js-scan', 'f16'],
    ['dim-major-matmul', 'f16'],
    ['dim-major-js-scan', 'i8'],
    ['dim-major-matmul', 'i8'],
  ] as const)('%s on cpu, %s blocks widened to f32: the top-k and the item vectors of the reference', async (name, dtype) => {
    only(name);
    const f = dtype === 'i8' ? i8Only : fixture;
    const m = f.manifest;
    const selection = selectBlocks(m, 0, Math.floor(m.items.count * m.dims.fullDim * 4 * 0.5), { residentDtype: 'f32' });
    expect(selection.dtype).toBe(dtype);
    const block = (g: number, b: number) => bytesOf(f.files, selection.blocks.find((x) => x.itemGroup === g && x.block === b)!.file);
    const scorer = new Scorer(m);
    await scorer.prepare();
    scorer.apply(selection, block);
    expect(scorer.residentBytes).toBe(selection.bytes);
    const vector = f.userVectors.subarray(0, m.dims.fullDim);
    const exclude = new Set([0, 5, 77]);
    const got = await scorer.top(vector, 12, exclude);
    const want = scoreReference({ manifest: m, selection, vector, k: 12, exclude, block: (g, b) => decodeBlock(block(g, b), dtype) });
    expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
    got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 4));
    // Item vectors come back unweighted: the file's values of every selected block.
    const position = m.itemGroups[1]!.start + 3;
    const { vectors, known } = await scorer.itemVectors([position]);
    const g = 1;
    const local = position - m.itemGroups[g]!.start;
    for (const b of selection.byItemGroup[g]!) {
      expect(known[0]![b]).toBe(1);
      const values = decodeBlock(block(g, b), dtype);
      for (let r = 0; r < m.dims.blockDim; r++) expect(vectors[0]![b * m.dims.blockDim + r]).toBeCloseTo(values[r * m.itemGroups[g]!.count + local]!, 5);
    }
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('refuses to hold or score before prepare() bound a layout to the active backend', async () => {
    const m = fixture.manifest;
    const selection = selectBlocks(m, 0, m.items.count * m.dims.fullDim * 4, { dtype: 'f16', residentDtype: 'f32' });
    const block = (g: number, b: number) => bytesOf(fixture.files, selection.blocks.find((x) => x.itemGroup === g && x.block === b)!.file);
    const user = new Float32Array(m.dims.fullDim);
    const scorer = new Scorer(m);
    expect(() => scorer.apply(selection, block)).toThrow(PeelrecError);
    expect(() => scorer.holdsAsCounted(selection)).toThrow(PeelrecError);
    await expect(scorer.top(user, 5, new Set())).rejects.toThrow(PeelrecError);
    await scorer.prepare();
    scorer.apply(selection, block);
    expect(await scorer.top(user, 5, new Set())).toHaveLength(5);
    // A lost backend: nothing is held, and nothing is scored until prepare() binds the next one.
    scorer.forget();
    expect(scorer.residentBytes).toBe(0);
    expect(scorer.held(selection).size).toBe(0);
    await expect(scorer.top(user, 5, new Set())).rejects.toThrow(PeelrecError);
    await expect(scorer.itemVectors([0])).rejects.toThrow(PeelrecError);
    await scorer.prepare();
    scorer.apply(selection, block);
    expect(await scorer.top(user, 5, new Set())).toHaveLength(5);
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it('fails with BackendUnavailableError where no registered layout serves the backend', async () => {
    only('wasm-packed-relaxed-simd', 'wasm-packed-simd');
    const scorer = new Scorer(fixture.manifest);
    expect(() => scorer.residentDtypeFor('cpu')).toThrow(BackendUnavailableError);
    await expect(scorer.prepare()).rejects.toThrow(BackendUnavailableError);
  });
});
