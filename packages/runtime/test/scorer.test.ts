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
  it('counts f16 blocks at their file size where the wasm kernel or WebGPU will hold them, at 4 bytes where blocks are widened', async () => {
    const scorer = new Scorer(fixture.manifest);
    // Before a backend is bound: a prediction for the backend the recommender expects.
    expect(scorer.residentDtypeFor('wasm')).toBe(WasmScan.supported() ? undefined : 'f32');
    expect(scorer.residentDtypeFor('cpu')).toBe('f32');
    expect(scorer.residentDtypeFor('webgpu')).toBe(undefined); // stored-webgpu holds blocks in their file dtype
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

  it("reloads every block when the dtype changes and scores the new files' values", async () => {
    const scorer = new Scorer(fixture.manifest);
    await scorer.prepare();
    const fetched: string[] = [];
    const f32 = selectBlocks(fixture.manifest, 0, FULL_F32(), { dtype: 'f32', residentDtype: 'f32' });
    load(scorer, f32, fetched);
    expect(fetched.every((f) => f.endsWith('.f32'))).toBe(true);
    const f16 = selectBlocks(fixture.manifest, 0, FULL_F32(), { dtype: 'f16', residentDtype: 'f32' });
    expect(f16.blocks.map((b) => `${b.itemGroup}/${b.block}`)).toEqual(f32.blocks.map((b) => `${b.itemGroup}/${b.block}`));
    for (const b of f16.blocks) expect(scorer.held(f16).has(`${b.itemGroup}/${b.block}`)).toBe(false);
    for (const b of f32.blocks) expect(scorer.held(f32).has(`${b.itemGroup}/${b.block}`)).toBe(true);
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

  it('reuses held blocks for another user group only where their files are byte-identical, weighted by that group', async () => {
    const budget = Math.floor(FULL_F32() * 0.4);
    const at = (m: typeof fixture.manifest, c: number) => selectBlocks(m, c, budget, { dtype: 'f32', residentDtype: 'f32' });
    // Distinct tables: nothing of group 0 serves group 1.
    const distinct = new Scorer(fixture.manifest);
    await distinct.prepare();
    load(distinct, at(fixture.manifest, 0), []);
    const other = at(fixture.manifest, 1);
    expect(other.blocks.some((b) => distinct.held(other).has(`${b.itemGroup}/${b.block}`))).toBe(false);
    distinct.dispose();
    // One shared pack, scored with another rule by group 1: every block is reused, rescaled.
    const shared = await buildFixture({ seed: 8, items: 90, blockDim: 4, blocksPerItem: 4, sharedTable: true });
    const m = { ...shared.manifest, userGroups: { ...shared.manifest.userGroups, scoring: ['mean' as const, 'truncated' as const] } };
    const scorer = new Scorer(m);
    await scorer.prepare();
    const g0 = at(m, 0);
    scorer.apply(g0, (g, b) => bytesOf(shared.files, g0.blocks.find((x) => x.itemGroup === g && x.block === b)!.file));
    const g1 = at(m, 1);
    expect(g1.blocks.every((b) => scorer.held(g1).has(`${b.itemGroup}/${b.block}`))).toBe(true);
    scorer.apply(g1, () => {
      throw new Error('a reusable block was asked for');
    });
    const dims = m.dims.fullDim;
    const vector = shared.userVectors.subarray(dims, 2 * dims);
    const want = scoreReference({
      manifest: m,
      selection: g1,
      vector,
      k: 10,
      block: (g, b) => {
        const file = g1.blocks.find((x) => x.itemGroup === g && x.block === b)!.file;
        return decodeBlock(bytesOf(shared.files, file), file.dtype);
      },
    });
    const got = await scorer.top(vector, 10, new Set());
    expect(got.map((r) => r.position)).toEqual(want.map((r) => r.position));
    got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 5));
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });

  it("follows the user group's scoring rule: truncated keeps full-table weights, and a switch rescales held blocks", async () => {
    const m = fixture.manifest;
    const truncated = { ...m, userGroups: { ...m.userGroups, scoring: m.userGroups.centroids.map(() => 'truncated' as const) } };
    const budget = Math.floor(FULL_F32() * 0.4);
    const mean = selectBlocks(m, 0, budget, { dtype: 'f32', residentDtype: 'f32' });
    const trunc = selectBlocks(truncated, 0, budget, { dtype: 'f32', residentDtype: 'f32' });
    // the same blocks, weighed differently
    expect(trunc.blocks.map((b) => `${b.itemGroup}/${b.block}`)).toEqual(mean.blocks.map((b) => `${b.itemGroup}/${b.block}`));
    expect(trunc.blocks.some((b, i) => Math.abs(b.scoreWeight - mean.blocks[i]!.scoreWeight) > 1e-3)).toBe(true);
    const scorer = new Scorer(truncated);
    await scorer.prepare();
    const fetched: string[] = [];
    load(scorer, mean, fetched);
    const dims = m.dims.fullDim;
    const user = fixture.userVectors.subarray(dims, 2 * dims);
    const got = async (sel: Selection) => {
      const top = await scorer.top(user, 10, new Set());
      const want = reference(sel, 1, 10);
      expect(top.map((r) => r.position)).toEqual(want.map((r) => r.position));
      top.forEach((r, i) => expect(r.score).toBeCloseTo(want[i]!.score, 5));
      return top;
    };
    const before = await got(mean);
    fetched.length = 0;
    load(scorer, trunc, fetched);
    expect(fetched).toEqual([]); // nothing new to download: the held blocks are rescaled
    const after = await got(trunc);
    expect(after.map((r) => r.score)).not.toEqual(before.map((r) => r.score));
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(0);
  });
});
