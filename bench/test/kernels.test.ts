import { describe, expect, it } from 'vitest';
import { scoreReference } from '@peelrec/runtime';
import type { GroupMatrix } from '../page/impl/onnx-graph.js';
import { LoopScorer } from '../page/impl/ts-loop.js';
import { FusedScorer, WasmScorer, WasmStream } from '../page/impl/wasm-kernels.js';

function rand(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Groups with sizes that exercise the SIMD tails (not multiples of 4) and several 1,024-item tiles. */
function fixture(seed: number, sizes: number[], rowsPerGroup: number[]) {
  const r = rand(seed);
  const fullDim = 16;
  const groups: GroupMatrix[] = sizes.map((items, g) => {
    const rows = rowsPerGroup[g]!;
    const dims = Int32Array.from({ length: rows }, (_, i) => (i * 3 + g) % fullDim);
    return { dims, weights: Float32Array.from(dims, () => 0.5 + r()), matrix: Float32Array.from({ length: rows * items }, r), items };
  });
  const user = Float32Array.from({ length: fullDim }, r);
  return { groups, user };
}

describe('benchmark implementations agree with the plain loop', () => {
  it('rows and fused-top-k kernels return the loop top-k with exclusions and tails', async () => {
    const { groups, user } = fixture(3, [2049, 3, 1030, 777], [8, 4, 12, 4]);
    const exclude = new Set([0, 5, 2051, 3000]);
    const k = 20;
    const want = new LoopScorer(groups).score(user, k, exclude);
    for (const scorer of [await WasmScorer.of(groups), await FusedScorer.of(groups)]) {
      const got = scorer.score(user, k, exclude);
      expect(Array.from(got.positions)).toEqual(Array.from(want.positions));
      got.scores.forEach((s, i) => expect(s).toBeCloseTo(want.scores[i]!, 4));
    }
    for (const p of want.positions) expect(exclude.has(p)).toBe(false);
  });

  it('breaks ties by the lower position, across groups and tiles', async () => {
    // Identical columns everywhere: every item scores the same, so the top-k must be positions 0..k-1 minus exclusions.
    const items = [1500, 1500];
    const groups: GroupMatrix[] = items.map((n) => ({ dims: Int32Array.from([0, 1, 2, 3]), weights: new Float32Array(4).fill(1), matrix: new Float32Array(4 * n).fill(0.25), items: n }));
    const user = new Float32Array([1, 1, 1, 1]);
    const exclude = new Set([1, 2]);
    const expected = [0, 3, 4, 5, 6, 7, 8, 9];
    for (const scorer of [new LoopScorer(groups), await WasmScorer.of(groups), await FusedScorer.of(groups)]) {
      expect(Array.from(scorer.score(user, 8, exclude).positions)).toEqual(expected);
    }
  });

  it('the plain loop matches the runtime reference on a real selection layout', () => {
    const { groups, user } = fixture(9, [37, 41], [8, 8]);
    // Express the same work as a manifest selection with blockDim 8: group g uses block (g ? 1 : 0).
    const blockDim = 8;
    const manifest = {
      dims: { fullDim: 16, blockDim, blocksPerItem: 2 },
      items: { count: 78 },
      itemGroups: [
        { start: 0, count: 37 },
        { start: 37, count: 41 },
      ],
    } as never;
    // One kept block per item group: whatever its weight, its scoreWeight (weight over the group's kept
    // weight) is 1, and that is what the loop's row weights must carry.
    for (const [g, gm] of groups.entries()) {
      gm.dims.set(Int32Array.from({ length: blockDim }, (_, i) => g * blockDim + i));
      gm.weights.fill(1);
    }
    const selection = {
      userGroup: 0,
      blocks: groups.map((_, g) => ({ itemGroup: g, block: g, weight: g ? 0.7 : 1.3, scoreWeight: 1 })),
      byItemGroup: [[0], [1]],
    } as never;
    const ref = scoreReference({ manifest, selection, vector: user, block: (g) => groups[g]!.matrix, k: 10, exclude: [3] });
    const got = new LoopScorer(groups).score(user, 10, new Set([3]));
    expect(Array.from(got.positions)).toEqual(ref.map((r) => r.position));
  });

  it('the stream kernel sums what it was given', async () => {
    const a = Float32Array.from({ length: 1000 }, (_, i) => (i % 7) - 3);
    const b = new Float32Array(24).fill(0.5);
    const stream = await WasmStream.of([a, b]);
    const want = a.reduce((x, y) => x + y, 0) + 12;
    expect(stream.run()).toBeCloseTo(want, 3);
  });
});

describe('the f16 fused kernel', () => {
  it('returns the top-k of its own (half-precision) matrices, with exclusions and tails', async () => {
    const { groups, user } = fixture(5, [2049, 7, 1100], [8, 4, 4]);
    // Include exact zeros and tiny (subnormal in f16) values, which the widening must keep.
    groups[0]!.matrix[3] = 0;
    groups[0]!.matrix[5] = 1e-6;
    groups[0]!.matrix[6] = -3e-7;
    const exclude = new Set([1, 2050, 2100]);
    const f16 = await FusedScorer.of(groups, { f16: true });
    const held = f16.heldMatrices();
    expect(held[0]![3]).toBe(0);
    expect(held[0]![5]).toBeGreaterThan(0);
    const want = new LoopScorer(groups.map((g, i) => ({ ...g, matrix: held[i]! }))).score(user, 15, exclude);
    const got = f16.score(user, 15, exclude);
    expect(Array.from(got.positions)).toEqual(Array.from(want.positions));
    got.scores.forEach((s, i) => expect(s).toBeCloseTo(want.scores[i]!, 4));
  });
});
