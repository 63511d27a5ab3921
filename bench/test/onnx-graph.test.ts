import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { buildScoringModel, type GroupMatrix } from '../page/impl/onnx-graph.js';
import { scoreGroups } from '../page/impl/ts-loop.js';

ort.env.wasm.numThreads = 1;

function rand(seed: number) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
}

describe('ONNX scoring graph', () => {
  it('agrees with the plain loop on scores, exclusions and top-k', async () => {
    const r = rand(7);
    const fullDim = 8;
    // Two groups with different selected dims (and orders), as a real selection gives.
    const sizes = [13, 9];
    const dimSets = [Int32Array.from([0, 1, 4, 5]), Int32Array.from([2, 3])];
    const groups: GroupMatrix[] = sizes.map((items, g) => {
      const dims = dimSets[g]!;
      return {
        dims,
        weights: Float32Array.from(dims, () => 0.5 + r()),
        matrix: Float32Array.from({ length: dims.length * items }, r),
        items,
      };
    });
    const user = Float32Array.from({ length: fullDim }, r);
    const exclude = [0, 5, 14];
    const k = 6;
    const session = await ort.InferenceSession.create(buildScoringModel({ fullDim, groups, k }), { executionProviders: ['wasm'] });
    const out = await session.run({
      user: new ort.Tensor('float32', user, [1, fullDim]),
      exclude: new ort.Tensor('int64', BigInt64Array.from(exclude, BigInt), [1, exclude.length]),
    });
    const indices = Array.from(out.indices!.data as BigInt64Array, Number);
    const values = Array.from(out.values!.data as Float32Array);

    const expected = scoreGroups(groups, user, k, new Set(exclude));
    expect(indices).toEqual(Array.from(expected.positions));
    values.forEach((v, i) => expect(v).toBeCloseTo(expected.scores[i]!, 5));
    for (const e of exclude) expect(indices).not.toContain(e);
    await session.release();
  });
});
