/**
 * The scan kernel's i8 path (dtype 2), both builds, held bit for bit to its JS twin in src/i8-scores.ts (scores
 * and order), and within the 15-bit rounding of the coefficients of the float64 scores of the decoded values.
 */
import { describe, expect, it } from 'vitest';
import { I8_HEADER_BYTES, i8Scale, selectBlocks } from '@peelrec/format';
import { topK } from '../src/index.js';
import { i8CodeLimit, i8Codes, i8RowWeight, i8Scores, i8SegmentScores } from '../src/i8-scores.js';
import { buildFixture, bytesOf, mulberry32 } from './fixtures/artifact.js';
import { BUILDS, type Group, kernel, randomGroups as seededGroups, runKernel, USER_DIMS } from './fixtures/scan-kernel.js';

/** Random int8 groups: `spread` bounds |q|; random f32 weights, or all `weight` (with a small spread: exact ties). */
function randomGroups(seed: number, shapes: readonly (readonly [rows: number, n: number])[], spread: number, weight?: number): { groups: Group[]; items: number } {
  return seededGroups(
    seed,
    shapes,
    (rand) => Math.round((rand() * 2 - 1) * spread),
    (rand) => Math.fround(weight ?? rand() * 0.01),
  );
}

/** The segment's coefficients as the kernel forms them: weight × user dim (r mod USER_DIMS), in f32. */
function coefficients(g: Group, user: Float32Array): Float32Array {
  return Float32Array.from(g.coef, (w, r) => Math.fround(w * user[r % USER_DIMS]!));
}

/** Every item's score by the JS twin of the kernel. */
function exact(groups: readonly Group[], items: number, user: Float32Array): Float32Array {
  const scores = new Float32Array(items);
  for (const g of groups) {
    const { codes, step } = i8Codes(coefficients(g, user));
    scores.set(i8SegmentScores(Int8Array.from(g.values), g.n, codes, step), g.start);
  }
  return scores;
}

const SHAPES = [
  [8, 4096],
  [24, 1000],
  [1, 64],
  [3, 31],
  [16, 97],
  [5, 33],
] as const;

describe.each(BUILDS)('i8 scan, %s build', (_name, base64) => {
  it.each([
    ['wide values, random weights and user', 127, undefined],
    ['exact ties: small values, equal weights', 2, 0.004],
  ] as const)('%s: the top-k equals the JS twin bit for bit, with exclusions, odd row counts, tails, and k beyond the catalog', async (_case, spread, weight) => {
    const { k, memory } = await kernel(base64);
    const { groups, items } = randomGroups(spread, SHAPES, spread, weight);
    const rand = mulberry32(spread + 100);
    const user = weight === undefined ? Float32Array.from({ length: USER_DIMS }, () => rand() * 4 - 2) : new Float32Array(USER_DIMS).fill(1);
    const scores = exact(groups, items, user);
    for (const topk of [1, 7, 20, 200, items + 10]) {
      const best = topK(scores, 60).map((s) => s.position);
      const exclude = new Set([...best.filter((_, i) => i % 2 === 0), ...Array.from({ length: 30 }, () => Math.floor(rand() * items))]);
      const got = runKernel(k, memory, groups, 'i8', topk, exclude, items, 1, user);
      expect(got).toEqual(topK(scores, topk, exclude).map((s) => ({ position: s.position, score: s.score })));
      if (topk > items) expect(got).toHaveLength(items - exclude.size);
    }
    if (weight !== undefined) {
      // Ties are real: many items share a score, and the kernel orders them by position.
      const top = runKernel(k, memory, groups, 'i8', 200, new Set(), items, 1, user);
      expect(new Set(top.map((t) => t.score)).size).toBeLessThan(150);
    }
  });

  it('differs from the float64 scores of the same values only by the 15-bit rounding of the coefficients', async () => {
    const { k, memory } = await kernel(base64);
    const { groups, items } = randomGroups(31, SHAPES, 127);
    const rand = mulberry32(32);
    const user = Float32Array.from({ length: USER_DIMS }, () => rand() * 4 - 2);
    const got = runKernel(k, memory, groups, 'i8', items, new Set(), items, 1, user);
    expect(got).toHaveLength(items);
    const byPosition = new Map(got.map((g) => [g.position, g.score]));
    for (const g of groups) {
      const f = coefficients(g, user);
      const { step } = i8Codes(f);
      for (let i = 0; i < g.n; i++) {
        let want = 0;
        let sumAbsQ = 0;
        let magnitude = 0;
        for (let r = 0; r < g.rows; r++) {
          const q = g.values[r * g.n + i]!;
          want += f[r]! * q;
          sumAbsQ += Math.abs(q);
          magnitude += Math.abs(f[r]! * q);
        }
        // Half a step per unit of |q|, and the f32 roundings of the sum and the product.
        expect(Math.abs(byPosition.get(g.start + i)! - want)).toBeLessThanOrEqual((step / 2) * sumAbsQ + magnitude * 2 ** -22);
      }
    }
  });

  it('cannot overflow its int32 sums, even with -128 in every byte of 2,000 rows', async () => {
    const { k, memory } = await kernel(base64);
    const rows = 2000;
    const n = 40;
    // 8-bit codes (the kernel's combined coefficient c[4p+2] − 256·c[4p] is an i16), fewer only past 132,104 rows
    expect(i8CodeLimit(rows)).toBe(127);
    expect(i8CodeLimit(200_000)).toBe(Math.floor((2 ** 31 - 1) / (128 * 200_000)));
    const values = new Float32Array(rows * n).fill(-128);
    values.fill(127, 0, n); // row 0 differs, so items are not all equal
    values[rows * n - 1] = 0; // item n - 1 of the last row
    const group = { rows, n, start: 0, values, coef: new Float32Array(rows).fill(1) };
    const got = runKernel(k, memory, [group], 'i8', n, new Set(), n);
    const user = new Float32Array(USER_DIMS).fill(1);
    expect(got).toEqual(topK(exact([group], n, user), n).map((s) => ({ position: s.position, score: s.score })));
    // The float64 scores, to the coefficients' rounding: no sum wrapped around.
    const wrong = got.filter((g) => Math.abs(g.score - (127 - 128 * (rows - 1) + (g.position === n - 1 ? 128 : 0))) > 1);
    expect(wrong).toEqual([]);
  });

  it('scores every item 0 for a zero user vector (no NaN, no trap) and returns them by position', async () => {
    const { k, memory } = await kernel(base64);
    const { groups, items } = randomGroups(41, SHAPES, 127);
    const got = runKernel(k, memory, groups, 'i8', 10, new Set([0, 3]), items, 1, new Float32Array(USER_DIMS));
    expect(got).toEqual([1, 2, 4, 5, 6, 7, 8, 9, 10, 11].map((position) => ({ position, score: 0 })));
  });
});

/** Awkward groups: every row count mod 4 and tails of 0–31 items; bytes at the extremes; a band of rows with scale 0. */
function awkwardGroups(seed: number): { groups: Group[]; items: number } {
  const shapes = [
    [2, 32],
    [6, 33],
    [7, 63],
    [10, 64],
    [13, 95],
    [4, 1],
    [11, 31],
    [12, 96],
    [1, 40],
    [3, 129],
  ] as const;
  const extremes = [-128, -127, 127, 0, 1, -1];
  const { groups, items } = seededGroups(
    seed,
    shapes,
    (rand) => (rand() < 0.4 ? extremes[Math.floor(rand() * extremes.length)]! : Math.round((rand() * 2 - 1) * 127)),
    (rand) => Math.fround((rand() * 2 - 1) * 0.01),
  );
  // A block of scale 0 folds a weight of 0 into its rows (i8RowWeight): rows 1–3 of the 7-row and 13-row groups.
  for (const g of [groups[2]!, groups[4]!]) g.coef.fill(0, 1, 4);
  return { groups, items };
}

describe.each(BUILDS)('i8 scan over awkward shapes, %s build', (_name, base64) => {
  it('scores every item as the JS twin does, for every row count mod 4, tails, extreme bytes and rows of scale 0', async () => {
    const { k, memory } = await kernel(base64);
    const { groups, items } = awkwardGroups(51);
    const user = Float32Array.from({ length: USER_DIMS }, (_, d) => (d % 5 === 0 ? -3 : 1 + d / 16));
    const got = runKernel(k, memory, groups, 'i8', items, new Set(), items, 1, user);
    expect(got).toEqual(topK(exact(groups, items, user), items).map((s) => ({ position: s.position, score: s.score })));
  });

  it.each([
    ['positive scores', 1],
    ['negative scores', -1],
    ['tiny scores (a subnormal-small step)', 1e-36],
    ['huge scores', 1e30],
  ] as const)('keeps every top-k item once the heap is full (tiles skipped on integer sums), with %s', async (_case, factor) => {
    const { k, memory } = await kernel(base64);
    const { groups, items } = awkwardGroups(61);
    const rand = mulberry32(62);
    // All of one sign where the factor is: the k-th best score, and so the floor, is then that sign.
    const user = Float32Array.from({ length: USER_DIMS }, () => Math.fround((0.5 + rand()) * factor));
    for (const g of groups) g.coef.forEach((c, r) => (g.coef[r] = Math.abs(c)));
    for (const g of groups) g.values.forEach((v, i) => (g.values[i] = Math.abs(v) === 128 ? 127 : Math.abs(v)));
    const scores = exact(groups, items, user);
    for (const topk of [1, 3, 20, 77]) {
      const exclude = new Set(
        topK(scores, 10)
          .filter((_, i) => i % 3 === 0)
          .map((s) => s.position),
      );
      expect(runKernel(k, memory, groups, 'i8', topk, exclude, items, 1, user)).toEqual(topK(scores, topk, exclude).map((s) => ({ position: s.position, score: s.score })));
    }
  });

  it.each([1, -1])('keeps items whose integer sums are one apart from the k-th best (near-ties at the floor), user × %i', async (sign) => {
    const { k, memory } = await kernel(base64);
    // Codes 127 and 1: row 0 holds zeros, so item i sums q[1][i] (−127…127, each value ~16 times): dense sums, exact ties.
    const n = 4096;
    const values = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) values[n + i] = ((i * 37) % 255) - 127;
    const group = { rows: 2, n, start: 0, values, coef: Float32Array.of(0.75, Math.fround(0.75 / 127)) };
    const user = new Float32Array(USER_DIMS).fill(sign);
    expect(i8Codes(coefficients(group, user)).codes).toEqual(Int16Array.of(127 * sign, sign));
    const scores = exact([group], n, user);
    for (const topk of [1, 31, 32, 33, 100]) {
      expect(runKernel(k, memory, [group], 'i8', topk, new Set(), n, 1, user)).toEqual(topK(scores, topk).map((s) => ({ position: s.position, score: s.score })));
    }
  });
});

it("i8Scores of an artifact's i8 selection is what the kernel computes over that selection's segments, in both builds", async () => {
  const fixture = await buildFixture({ seed: 8, items: 157, blockDim: 5, blocksPerItem: 4, itemGroupSizes: [20, 40, 97], dtypes: ['f32', 'f16', 'i8'] });
  const m = fixture.manifest;
  const { blockDim, fullDim } = m.dims;
  const selection = selectBlocks(m, 1, 1800, { dtype: 'i8' });
  expect(selection.blocks.length).toBeGreaterThan(3);
  expect(selection.blocks.length).toBeLessThan(12); // some item groups keep several blocks, not all of them
  const bytes = (g: number, b: number) => bytesOf(fixture.files, selection.blocks.find((x) => x.itemGroup === g && x.block === b)!.file);
  // The segments as the packed layout builds them: int8 values, rows weighted by score weight × scale.
  const groups: Group[] = selection.byItemGroup.map((blocks, g) => {
    const { start, count: n } = m.itemGroups[g]!;
    const rows = blocks.length * blockDim;
    const values = new Float32Array(rows * n);
    const coef = new Float32Array(rows);
    const dims = new Int32Array(rows);
    blocks.forEach((b, k) => {
      const file = bytes(g, b);
      values.set(new Int8Array(file.buffer, file.byteOffset + I8_HEADER_BYTES, blockDim * n), k * blockDim * n);
      coef.fill(i8RowWeight(selection.blocks.find((x) => x.itemGroup === g && x.block === b)!.scoreWeight, i8Scale(file)), k * blockDim, (k + 1) * blockDim);
      for (let r = 0; r < blockDim; r++) dims[k * blockDim + r] = b * blockDim + r;
    });
    return { rows, n, start, values, coef, dims };
  });
  const u = fixture.userGroups.indexOf(1);
  const vector = fixture.userVectors.slice(u * fullDim, (u + 1) * fullDim);
  const want = topK(i8Scores({ manifest: m, selection, vector, block: bytes }), m.items.count);
  for (const [, base64] of BUILDS) {
    const { k, memory } = await kernel(base64);
    expect(runKernel(k, memory, groups, 'i8', m.items.count, new Set(), m.items.count, 1, vector)).toEqual(want.map((s) => ({ position: s.position, score: s.score })));
  }
});

it('i8Codes rounds ties away from zero, keeps |code| within the limit, and is 0 where the step is', () => {
  const { codes, step } = i8Codes(Float32Array.of(127, -63.5, 63.5, 0.5, -0.5, 0.49999997, 0));
  expect(step).toBe(1);
  expect([...codes]).toEqual([127, -64, 64, 1, -1, 0, 0]);
  expect([...i8Codes(new Float32Array(4)).codes]).toEqual([0, 0, 0, 0]);
  const rand = mulberry32(7);
  const big = i8Codes(Float32Array.from({ length: 3000 }, () => rand() * 2 - 1));
  expect(Math.max(...big.codes.map(Math.abs))).toBe(i8CodeLimit(3000));
});
