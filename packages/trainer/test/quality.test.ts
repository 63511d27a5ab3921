import { describe, expect, it } from 'vitest';
import { selectBlocks } from '@peelrec/format';
import { csrFromPairs } from '../src/data/csr.js';
import { Random } from '../src/data/random.js';
import type { ItemGroups } from '../src/groups/item-groups.js';
import { budgetBytes, evaluateFull, evaluatePlain, evaluateSelected, evaluateUnweighted, uniformDim } from '../src/quality/budgets.js';
import { asStored, effectiveTable, selectionManifest, singleGroupLayout, type PeelModel } from '../src/quality/peel-model.js';
import { keepMask } from '../src/refine/block-selection.mjs';

const identityGroups = (nItems: number, sizes: number[]): ItemGroups => {
  const order = Uint32Array.from({ length: nItems }, (_, i) => i);
  let start = 0;
  const groups = sizes.map((count) => {
    const g = { start, count };
    start += count;
    return g;
  });
  const groupOfPosition = new Uint16Array(nItems);
  groups.forEach((g, k) => groupOfPosition.fill(k, g.start, g.start + g.count));
  return { order, position: order.slice(), groups, groupOfPosition, popularity: new Uint32Array(nItems) };
};

/**
 * One user, four items in two item groups, two blocks of 4 dims. The user's test item (0) scores only
 * through block 1; items 1 and 2 only through block 0:
 *   item0 = (0 | 5), item1 = (1 | 0), item2 = (2 | 0), item3 = (0 | 0)   (first coordinate of each block)
 */
function handModel(weights: number[]): PeelModel {
  const D = 8;
  const row = (b0: number, b1: number) => [b0, 0, 0, 0, b1, 0, 0, 0];
  return {
    dim: D,
    blockDim: 4,
    nUsers: 1,
    nItems: 4,
    users: Float32Array.from(row(1, 1)),
    assignment: new Uint16Array(1),
    centroids: [row(1, 1)],
    itemGroups: identityGroups(4, [2, 2]),
    tables: [Float32Array.from([...row(0, 5), ...row(1, 0), ...row(2, 0), ...row(0, 0)])],
    weights: [Float32Array.from(weights)],
  };
}
const data = {
  train: csrFromPairs(1, new Uint32Array(0), new Uint32Array(0)).csr,
  test: csrFromPairs(1, Uint32Array.from([0]), Uint32Array.from([0])).csr,
};
// One f32 block of one item group: 4 dims × 2 items × 4 bytes; the minimum budget holds one per group.
const ONE_BLOCK_PER_GROUP = 2 * 32;

describe('PEEL evaluation with selectBlocks (hand-computed)', () => {
  it('full table: weighted scores rank the test item first (NDCG 1)', async () => {
    const m = handModel([0.3, 0.7, 0.6, 0.4]);
    // scores: item0 0.7·5 = 3.5, item1 0.3, item2 1.2, item3 0
    const r = await evaluateFull(m, data);
    expect(r).toMatchObject({ recall20: 1, ndcg20: 1 });
    expect(Array.from(r.perUser.recall20)).toEqual([1]);
  });

  it('at the minimum budget, learned weights keep block 1 of item group 0 and the test item stays first', async () => {
    const m = handModel([0.3, 0.7, 0.6, 0.4]);
    const manifest = selectionManifest(m, ['f32']);
    const s = selectBlocks(manifest, 0, ONE_BLOCK_PER_GROUP, { dtype: 'f32' });
    expect(s.byItemGroup).toEqual([[1], [0]]);
    const r = await evaluateSelected(m, manifest, ONE_BLOCK_PER_GROUP, data);
    expect(r).toMatchObject({ recall20: 1, ndcg20: 1, dtype: 'f32' });
  });

  it('when the weights favour block 0, the test item drops to rank 3 (NDCG 1/log2(4) = 0.5)', async () => {
    const m = handModel([0.7, 0.3, 0.6, 0.4]);
    // kept: block 0 everywhere; scores item0 0, item1 0.7, item2 1.2, item3 0 → order 2, 1, 0, 3
    const r = await evaluateSelected(m, selectionManifest(m, ['f32']), ONE_BLOCK_PER_GROUP, data);
    expect(r.recall20).toBe(1); // 4 items < 20: everything is in the top 20
    expect(r.ndcg20).toBeCloseTo(0.5, 6);
  });

  it('unweighted ablation keeps the first block of every group whatever the weights', async () => {
    const m = handModel([0.3, 0.7, 0.6, 0.4]);
    const r = await evaluateUnweighted(m, ONE_BLOCK_PER_GROUP, data, ['f32']);
    expect(r.ndcg20).toBeCloseTo(0.5, 6);
  });

  it('effectiveTable zeroes unselected blocks and scales selected ones by selectBlocks’ scoreWeight (mean scoring)', () => {
    const m = handModel([0.3, 0.7, 0.6, 0.4]);
    const manifest = selectionManifest(m, ['f32']);
    // room for 3 blocks: each group's top block (0: block 1, 1: block 0), then block 1 of group 1 (0.4 > 0.3).
    // Group 1 keeps both (0.6 + 0.4 = 1): item 2 scores 2 · 0.6; group 0 keeps block 1 alone: 5 · 0.7 / 0.7,
    // and item 1 (block 0 of group 0) scores nothing
    const three = effectiveTable(m, 0, selectBlocks(manifest, 0, (3 * ONE_BLOCK_PER_GROUP) / 2, { dtype: 'f32' }).blocks, 'f32');
    expect(three[16]).toBeCloseTo(1.2, 6);
    expect(three[4]).toBeCloseTo(5, 6);
    expect(three[8]).toBe(0);
    // the minimum budget: group 1 keeps block 0 alone, so item 2 scores 2 · 0.6 / 0.6
    const t = effectiveTable(m, 0, selectBlocks(manifest, 0, ONE_BLOCK_PER_GROUP, { dtype: 'f32' }).blocks, 'f32');
    expect(Array.from(t.subarray(0, 8))).toEqual([0, 0, 0, 0, 5, 0, 0, 0]);
    expect(t[16]).toBeCloseTo(2, 6);
    // scoreWeight 1 on every block reproduces the table itself
    const all = [0, 1].flatMap((itemGroup) => [0, 1].map((block) => ({ itemGroup, block, scoreWeight: 1 })));
    expect(Array.from(effectiveTable(m, 0, all, 'f32'))).toEqual(Array.from(m.tables[0]!));
    expect(() => effectiveTable(m, 0, [{ itemGroup: 2, block: 0, scoreWeight: 1 }], 'f32')).toThrow(/no block \(2, 0\) in a model of 2 item groups × 2 blocks/);
  });

  it('with truncated scoring, kept blocks are scaled by their share of all the item group’s weight', () => {
    const m: PeelModel = { ...handModel([0.3, 0.7, 0.6, 0.4]), scoring: ['truncated'] };
    // the selection manifest carries the rule, and selectBlocks' scoreWeight follows it
    const s = selectBlocks(selectionManifest(m, ['f32']), 0, ONE_BLOCK_PER_GROUP, { dtype: 'f32' });
    expect(s.scoring).toBe('truncated');
    expect(s.blocks.map((b) => [b.itemGroup, b.block])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    const t = effectiveTable(m, 0, s.blocks, 'f32');
    // group 1 keeps block 0 alone: 2 · 0.6 / (0.6 + 0.4), where mean scoring gave 2 · 1
    expect(t[16]).toBeCloseTo(1.2, 6);
    // group 0 keeps block 1 alone: 5 · 0.7 / 1
    expect(t[4]).toBeCloseTo(3.5, 6);
  });

  it('f16 storage rounds the values as the runtime decodes them', () => {
    const m = handModel([0.5, 0.5, 0.5, 0.5]);
    m.tables[0]![4] = 1 / 3;
    const t = effectiveTable(m, 0, [{ itemGroup: 0, block: 1, scoreWeight: 1 }], 'f16');
    expect(t[4]).not.toBe(Math.fround(1 / 3));
    expect(t[4]).toBeCloseTo(1 / 3, 3);
  });
});

/**
 * One user, three items in one item group, two blocks of 4 dims (first coordinate of each block shown):
 *   A = (1.45 | 0), B = (0.4 | 1.11), C = (127 | 1.27); the test item is A; weights 0.52, 0.48 (mean scoring).
 * In f32, A (0.754) beats B (0.741): rank 2. In i8 each block has its own scale, 1 for block 0 and 0.01 for
 * block 1, so A → (1 | 0) and B → (0 | 1.11): B (0.533) beats A (0.52), rank 3. One scale for the whole
 * table (1) would round B's 1.11 to 1 and keep A ahead; block 0 alone would too.
 */
function quantisationFlip(): PeelModel {
  const row = (b0: number, b1: number) => [b0, 0, 0, 0, b1, 0, 0, 0];
  return {
    dim: 8,
    blockDim: 4,
    nUsers: 1,
    nItems: 3,
    users: Float32Array.from(row(1, 1)),
    assignment: new Uint16Array(1),
    centroids: [row(1, 1)],
    itemGroups: identityGroups(3, [3]),
    tables: [Float32Array.from([...row(1.45, 0), ...row(0.4, 1.11), ...row(127, 1.27)])],
    weights: [Float32Array.from([0.52, 0.48])],
  };
}
const RANK_2 = 1 / Math.log2(3);
const RANK_3 = 1 / Math.log2(4);

describe('i8 evaluation: one scale per block, as exported', () => {
  it('the full table in i8 keeps every block (scales included in the bytes) and quantises each block alone', async () => {
    const m = quantisationFlip();
    expect((await evaluateFull(m, data, 'f32')).ndcg20).toBeCloseTo(RANK_2, 6);
    expect((await evaluateFull(m, data, 'i8')).ndcg20).toBeCloseTo(RANK_3, 6);
  });

  it('selects by i8 block bytes (4-byte scale each), and storedAs f32 scores the same blocks unquantised', async () => {
    const m = quantisationFlip();
    const manifest = selectionManifest(m, ['f32', 'i8']);
    expect(manifest.blocks[0]!.files.map((f) => [f.dtype, f.byteLength])).toEqual([
      ['f32', 4 * 3 * 4],
      ['i8', 4 * 3 + 4],
    ]);
    // two i8 blocks: 32 bytes, less than one f32 block
    const i8 = await evaluateSelected(m, manifest, 32, data, { dtype: 'i8' });
    expect(i8).toMatchObject({ dtype: 'i8', blocks: 2 });
    expect(i8.ndcg20).toBeCloseTo(RANK_3, 6);
    expect(selectBlocks(manifest, 0, 31, { dtype: 'i8' }).blocks).toHaveLength(1);
    const unquantised = await evaluateSelected(m, manifest, 32, data, { dtype: 'i8', storedAs: 'f32' });
    expect(unquantised).toMatchObject({ dtype: 'i8', blocks: 2 });
    expect(unquantised.ndcg20).toBeCloseTo(RANK_2, 6);
  });

  it('a plain (uniform) table in i8 is one item group of all items, one scale per blockDim dims', async () => {
    // A = (1.45 | 0), B = (0.4 | 1.02), C = (127 | 1.27), equal weights: A leads B in f32 (1.45 > 1.42); i8 per
    // 4-dim block gives A (1 | 0) and B (0 | 1.02), so B leads
    const row = (b0: number, b1: number) => [b0, 0, 0, 0, b1, 0, 0, 0];
    const items = Float32Array.from([...row(1.45, 0), ...row(0.4, 1.02), ...row(127, 1.27)]);
    const plain = { users: Float32Array.from(row(1, 1)), items, dim: 8 };
    expect((await evaluatePlain(plain, data, 'f32', { blockDim: 4 })).ndcg20).toBeCloseTo(RANK_2, 6);
    expect((await evaluatePlain(plain, data, 'i8', { blockDim: 4 })).ndcg20).toBeCloseTo(RANK_3, 6);
    // the scales: block 0 max 127 → 1, block 1 max 1.27 → 0.01; 8-dim blocks share 1
    const perBlock = asStored(items, 'i8', singleGroupLayout(3, 8, 4));
    expect(Array.from(perBlock.subarray(8, 16))).toEqual(Array.from(Float32Array.from(row(0, Math.fround(Math.fround(1.27) / 127) * 102))));
    const perRow = asStored(items, 'i8', singleGroupLayout(3, 8, 8));
    expect(Array.from(perRow.subarray(8, 16))).toEqual(row(0, 1));
  });
});

describe('budgets', () => {
  it('budgetBytes is a fraction of one group’s full f32 table', () => {
    expect(budgetBytes({ nItems: 1000, dim: 128 }, 0.5)).toBe(256_000);
    expect(budgetBytes({ nItems: 1000, dim: 128 }, 0.05)).toBe(25_600);
  });

  it('uniformDim is the largest multiple of blockDim (and 8) that fits', () => {
    expect(uniformDim(1000, 128, 8, 256_000, 'f32')).toBe(64);
    expect(uniformDim(1000, 128, 8, 256_000, 'f16')).toBe(128);
    expect(uniformDim(1000, 128, 8, 25_600, 'f32')).toBe(0);
    expect(uniformDim(1000, 128, 8, 25_600, 'f16')).toBe(8);
    expect(uniformDim(1000, 128, 8, 10_000_000, 'f32')).toBe(128);
  });

  it('uniformDim in i8: one byte an element (about 4× the f32 width) plus a 4-byte scale per block', () => {
    expect(uniformDim(1000, 128, 8, 25_600, 'i8')).toBe(24); // f32 fits none, f16 8
    expect(uniformDim(1000, 128, 8, 102_400, 'i8')).toBe(96); // f32 24, f16 48
    // four 8-dim blocks of 1000 items are 32,000 bytes of elements and 16 of scales
    expect(uniformDim(1000, 128, 8, 32_000, 'i8')).toBe(24);
    expect(uniformDim(1000, 128, 8, 32_016, 'i8')).toBe(32);
    // a step of 8 dims is two 4-dim blocks: two scales
    expect(uniformDim(1000, 128, 4, 8_008, 'i8')).toBe(8);
    expect(uniformDim(1000, 128, 4, 8_007, 'i8')).toBe(0);
    expect(uniformDim(1000, 128, 8, 256_000, 'i8')).toBe(128);
  });
});

describe('keepMask (the refinement’s model of selectBlocks)', () => {
  it('keeps exactly the blocks selectBlocks selects when item groups are equal in size', () => {
    const rng = new Random(5);
    const G = 5;
    const B = 4;
    const nItems = 50;
    for (let trial = 0; trial < 20; trial++) {
      const w = Float64Array.from({ length: G * B }, () => rng.next());
      const m: PeelModel = {
        dim: 8 * B,
        blockDim: 8,
        nUsers: 1,
        nItems,
        users: new Float32Array(8 * B),
        assignment: new Uint16Array(1),
        centroids: [new Array(8 * B).fill(0)],
        itemGroups: identityGroups(nItems, new Array(G).fill(nItems / G)),
        tables: [new Float32Array(nItems * 8 * B)],
        weights: [Float32Array.from(w)],
      };
      const keep = G + rng.int(G * B - G + 1);
      const blockBytes = 8 * (nItems / G) * 4;
      const s = selectBlocks(selectionManifest(m, ['f32']), 0, keep * blockBytes, { dtype: 'f32' });
      // Compare with f32-rounded weights, as the manifest stores them.
      const mask = keepMask(Float64Array.from(m.weights[0]!), G, B, keep);
      const fromMask: number[][] = Array.from({ length: G }, (_, g) => [...Array(B).keys()].filter((b) => mask[g * B + b]));
      expect(fromMask).toEqual(s.byItemGroup);
    }
  });
});
