/**
 * The scorer on the cpu backend (Node): how it tells selection to count
 * resident bytes before and after its backend is bound, and that a change of
 * dtype reloads blocks instead of reusing values of the other encoding. The
 * wasm kernel's layout is covered in the browser tests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { decodeBlock, selectBlocks, type Selection } from '@peelrec/format';
import { Scorer } from '../src/scorer.js';
import { WasmScan } from '../src/wasm-scan.js';
import { scoreReference } from '../src/index.js';
import { buildFixture, bytesOf, type Fixture } from './fixtures/artifact.js';

let fixture: Fixture;
beforeAll(async () => {
  await tf.setBackend('cpu');
  fixture = await buildFixture({ seed: 8, items: 90, blockDim: 4, blocksPerItem: 4 });
});

const FULL_F32 = () => fixture.manifest.items.count * fixture.manifest.dims.fullDim * 4;

function load(scorer: Scorer, selection: Selection, fetched: string[]) {
  scorer.apply(selection, (g, b) => {
    const block = selection.blocks.find((x) => x.itemGroup === g && x.block === b)!;
    fetched.push(`${g}/${b}.${block.file.dtype}`);
    return bytesOf(fixture.files, block.file);
  });
}

function reference(selection: Selection, user: number, k: number) {
  const dims = fixture.manifest.dims.fullDim;
  return scoreReference({
    manifest: fixture.manifest,
    selection,
    vector: fixture.userVectors.subarray(user * dims, (user + 1) * dims),
    k,
    block: (g, b) => {
      const file = selection.blocks.find((x) => x.itemGroup === g && x.block === b)!.file;
      return decodeBlock(bytesOf(fixture.files, file), file.dtype);
    },
  });
}

describe('Scorer', () => {
  it('counts f16 blocks at their file size where the wasm kernel will hold them, at 4 bytes where blocks are widened', async () => {
    const scorer = new Scorer(fixture.manifest);
    // Before a backend is bound: a prediction for the backend the recommender expects.
    expect(scorer.residentDtypeFor('wasm')).toBe(WasmScan.supported() ? undefined : 'f32');
    expect(scorer.residentDtypeFor('cpu')).toBe('f32');
    expect(scorer.residentDtypeFor('webgpu')).toBe('f32');
    await scorer.prepare();
    // Bound to cpu: what it holds, whatever was expected.
    expect(scorer.residentDtypeFor('wasm')).toBe('f32');
    const budget = Math.floor(FULL_F32() * 0.4);
    const asFiles = selectBlocks(fixture.manifest, 0, budget, { dtype: 'f16' });
    const widened = selectBlocks(fixture.manifest, 0, budget, { dtype: 'f16', residentDtype: 'f32' });
    expect(asFiles.blocks.length).toBeGreaterThan(widened.blocks.length);
    expect(scorer.holdsAsCounted(asFiles)).toBe(false); // would exceed the budget once widened: select again
    expect(scorer.holdsAsCounted(widened)).toBe(true);
    expect(scorer.holdsAsCounted(selectBlocks(fixture.manifest, 0, budget, { dtype: 'f32' }))).toBe(true);
    scorer.dispose();
  });

  it('reloads every block when the dtype changes and scores the new files\' values', async () => {
    const scorer = new Scorer(fixture.manifest);
    await scorer.prepare();
    const fetched: string[] = [];
    const f32 = selectBlocks(fixture.manifest, 0, FULL_F32(), { dtype: 'f32', residentDtype: 'f32' });
    load(scorer, f32, fetched);
    expect(fetched.every((f) => f.endsWith('.f32'))).toBe(true);
    const f16 = selectBlocks(fixture.manifest, 0, FULL_F32(), { dtype: 'f16', residentDtype: 'f32' });
    expect(f16.blocks.map((b) => `${b.itemGroup}/${b.block}`)).toEqual(f32.blocks.map((b) => `${b.itemGroup}/${b.block}`));
    for (const b of f16.blocks) expect(scorer.has(0, b.itemGroup, b.block, 'f16')).toBe(false);
    for (const b of f16.blocks) expect(scorer.has(0, b.itemGroup, b.block, 'f32')).toBe(true);
    fetched.length = 0;
    load(scorer, f16, fetched);
    expect(fetched).toHaveLength(f16.blocks.length);
    expect(fetched.every((f) => f.endsWith('.f16'))).toBe(true);
    expect(scorer.residentBytes).toBe(f16.bytes);
    const dims = fixture.manifest.dims.fullDim;
    const got = await scorer.top(fixture.userVectors.subarray(0, dims), 10, new Set());
    const want = reference(f16, 0, 10);
    expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
    got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 5));
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });
});
