import { describe, expect, it } from 'vitest';
import { trainBackbone } from '../src/backbone/index.js';
import { Random } from '../src/data/random.js';
import { holdoutSplit } from '../src/eval/index.js';
import {
  type BudgetOutcome,
  applyMask,
  applySizes,
  fineTuneItems,
  fineTuneTables,
  fitSizes,
  MethodBudgetError,
  mixedBytes,
  needsPermutation,
  paperSparsity,
  sizesMask,
  sparseBytes,
  sparseCapacity,
  splitForMethods,
  trimColumns,
  type MethodOutcome,
} from '../src/harness/index.js';
import { methodEntry, testOnUsers } from '../src/harness/report.js';
import { generateSynthetic } from '../src/synthetic/generate.js';

describe('accounting: the format contract of the mixed and sparse kinds', () => {
  it('mixed: Σ sizes × bytes per value, plus a permutation only when sizes rise along the positions', () => {
    expect(mixedBytes(Uint16Array.of(3, 2, 2, 1), 'f16')).toBe(16);
    expect(mixedBytes(Uint16Array.of(3, 2, 2, 1), 'f32')).toBe(32);
    // [1, 3]: sizes rise, so a u16 permutation of 2 rows (4 B) is charged beside the 4 values
    expect(needsPermutation(Uint16Array.of(1, 3))).toBe(true);
    expect(mixedBytes(Uint16Array.of(1, 3), 'f16')).toBe(4 * 2 + 2 * 2);
    // more than 65,536 items: u32 positions
    const many = new Uint16Array(65537).fill(1);
    many[65536] = 2;
    expect(mixedBytes(many, 'f16')).toBe((65536 + 2) * 2 + 65537 * 4);
  });

  it('sparse: align4(rows + nnz) + nnz × bytes per value', () => {
    expect(sparseBytes(5, 7, 'f16')).toBe(12 + 14);
    expect(sparseBytes(5, 8, 'f16')).toBe(16 + 16);
    expect(sparseBytes(4, 0, 'f32')).toBe(4);
  });

  it('sparseCapacity is the largest nnz that fits', () => {
    for (const [rows, budget] of [
      [10, 100],
      [7, 53],
      [1000, 12345],
      [3, 9],
    ] as const) {
      const c = sparseCapacity(rows, budget, 'f16');
      expect(sparseBytes(rows, c, 'f16')).toBeLessThanOrEqual(budget);
      expect(sparseBytes(rows, c + 1, 'f16')).toBeGreaterThan(budget);
    }
    expect(sparseCapacity(10, 9, 'f16')).toBe(-1);
  });

  it('paper sparsity counts user and item parameters', () => {
    expect(paperSparsity({ nUsers: 10, nItems: 30, dim: 8 }, 10 * 8, 30 * 2)).toBeCloseTo(1 - 140 / 320, 12);
  });
});

describe('table primitives', () => {
  const dim = 4;
  const table = Float32Array.from({ length: 3 * dim }, (_, x) => x + 1);
  it('sizes keep each row’s first d_i entries, and equal their mask applied', () => {
    const sizes = Uint16Array.of(4, 2, 1);
    expect(Array.from(applySizes(table, dim, sizes))).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 9, 0, 0, 0]);
    expect(Array.from(applyMask(table, sizesMask(sizes, dim)))).toEqual(Array.from(applySizes(table, dim, sizes)));
    expect(() => sizesMask(Uint16Array.of(0), dim)).toThrow(/outside \[1, 4\]/);
  });
});

describe('fitSizes: sizes ∝ weights under a byte budget', () => {
  const n = 500;
  const dim = 64;
  const rng = new Random(3);
  const random = Float64Array.from({ length: n }, () => rng.next())
    .sort()
    .reverse();
  const zipf = Float64Array.from({ length: n }, (_, p) => 1 / (p + 1) ** 0.8);
  const full = n * dim * 4;
  for (const [name, w] of [
    ['random', random],
    ['frequency-like', zipf],
    ['equal', new Float64Array(n).fill(1)],
  ] as const) {
    it(`${name} weights land ≤ the budget and within one value of it, non-increasing, each in [1, dim]`, () => {
      for (const fraction of [0.5, 0.2, 0.1, 0.05]) {
        const budget = Math.floor(fraction * full);
        const fit = fitSizes(w, dim, budget, 'f16');
        expect(fit.bytes).toBe(mixedBytes(fit.sizesByPosition, 'f16'));
        expect(fit.bytes).toBeLessThanOrEqual(budget);
        expect(budget - fit.bytes).toBeLessThan(2);
        expect(needsPermutation(fit.sizesByPosition)).toBe(false);
        expect(Math.min(...fit.sizesByPosition)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...fit.sizesByPosition)).toBeLessThanOrEqual(dim);
      }
    });
  }
  it('gives larger sizes to larger weights, and refuses a budget under one value a row', () => {
    const fit = fitSizes(zipf, dim, Math.floor(0.1 * full), 'f16');
    expect(fit.sizesByPosition[0]).toBeGreaterThan(fit.sizesByPosition[n - 1]!);
    expect(() => fitSizes(zipf, dim, n * 2 - 1, 'f16')).toThrow(MethodBudgetError);
    expect(() => fitSizes(Float64Array.of(1, 2), dim, 1000, 'f16')).toThrow(/must not increase/);
  });
});

describe('trimColumns', () => {
  it('keeps the longest column prefix that fits', () => {
    const sizes = Uint16Array.of(8, 6, 4, 2);
    // f16: K = 4 → 4+4+4+2 = 14 values = 28 B; K = 5 → 5+5+4+2 = 16 values = 32 B
    expect(trimColumns(sizes, 31, 'f16')).toBe(4);
    expect(trimColumns(sizes, 32, 'f16')).toBe(5);
    expect(trimColumns(sizes, 7, 'f16')).toBe(0);
  });
});

describe('splitForMethods', () => {
  it('carves validation out of train before training and samples validation users, seeded', () => {
    const syn = generateSynthetic({ users: 300, items: 200, seed: 2, meanInteractions: 12 });
    const d = { name: 's', nUsers: syn.nUsers, nItems: syn.nItems, train: syn.train, test: syn.test, userIds: [], itemIds: [] };
    const o = { valFraction: 0.1, valUserFraction: 0.5, sampleUsers: 40, seed: 4 };
    const a = splitForMethods(d, o);
    const b = splitForMethods(d, o);
    expect(Array.from(a.validationSample)).toEqual(Array.from(b.validationSample));
    expect(a.validationSample.length).toBe(40);
    const inner = a.validation.inner;
    expect(inner.indices.length + a.validation.valItems.length).toBe(syn.train.indices.length);
    for (const u of a.validationSample) {
      const held = a.valid.indices.subarray(a.valid.indptr[u], a.valid.indptr[u + 1]);
      expect(held.length).toBeGreaterThan(0);
      const kept = new Set(inner.indices.subarray(inner.indptr[u], inner.indptr[u + 1]));
      for (const i of held) expect(kept.has(i)).toBe(false);
    }
  });
});

describe('fine-tuning from a warm start with a mask', () => {
  const syn = generateSynthetic({ users: 200, items: 120, seed: 5, meanInteractions: 14 });
  const { fit } = holdoutSplit(syn.train, 0.2, 1);
  const dim = 16;
  const opts = { dim, blockDim: 8, seed: 3, threads: 2, softmaxEpochs: 2, batch: 128, negatives: 32, lr: 0.01 };
  const rng = new Random(9);
  const mask = Uint8Array.from({ length: syn.nItems * dim }, (_, x) => (x % dim === 0 || rng.next() < 0.4 ? 1 : 0));

  it('keeps every masked entry exactly 0, trains the others, and leaves the users as given', async () => {
    const start = await trainBackbone(fit, syn.nUsers, syn.nItems, { ...opts, smoothing: 0 });
    const items = await fineTuneItems({
      train: fit,
      users: start.users,
      items: start.items,
      dim,
      mask,
      recipe: { epochs: 2, batch: 128, negatives: 32, temperature: 0.1, lr: 0.01 },
      seed: 1,
      threads: 2,
    });
    let moved = 0;
    for (let x = 0; x < items.length; x++) {
      if (!mask[x]) expect(items[x]).toBe(0);
      else if (Math.abs(items[x]! - start.items[x]!) > 1e-4) moved++;
    }
    expect(moved).toBeGreaterThan(mask.reduce((a, b) => a + b, 0) / 2);
    // each row keeps the length of its masked start (training moves directions only)
    const norm = (t: Float32Array, i: number, m?: Uint8Array) => Math.hypot(...Array.from(t.subarray(i * dim, i * dim + dim), (v, p) => (m && !m[i * dim + p] ? 0 : v)));
    for (let i = 0; i < syn.nItems; i += 7) expect(norm(items, i)).toBeCloseTo(norm(start.items, i, mask), 5);
    // frozen users: the trainer returns its users unit-normalised, so they equal the start's unit rows
    const frozen = await trainBackbone(fit, syn.nUsers, syn.nItems, { ...opts, smoothing: 0, init: start, freezeUsers: true, itemMask: mask });
    for (let x = 0; x < frozen.users.length; x++) expect(frozen.users[x]).toBeCloseTo(start.users[x]!, 6);
  });

  it('with a user mask (the papers’ accounting) trains the users too, masked entries 0, rows at their masked start’s length', async () => {
    const start = await trainBackbone(fit, syn.nUsers, syn.nItems, { ...opts, smoothing: 0 });
    const userMask = Uint8Array.from({ length: syn.nUsers * dim }, (_, x) => (x % dim < 4 + (((x / dim) | 0) % 9) ? 1 : 0));
    const recipe = { epochs: 2, batch: 128, negatives: 32, temperature: 0.1, lr: 0.01 };
    const both = await fineTuneTables({ train: fit, users: start.users, userMask, items: start.items, dim, mask, recipe, seed: 1, threads: 2 });
    const norm = (t: Float32Array, i: number, m?: Uint8Array) => Math.hypot(...Array.from(t.subarray(i * dim, i * dim + dim), (v, p) => (m && !m[i * dim + p] ? 0 : v)));
    let moved = 0;
    for (let x = 0; x < both.users.length; x++) {
      if (!userMask[x]) expect(both.users[x]).toBe(0);
      else if (Math.abs(both.users[x]! - start.users[x]!) > 1e-4) moved++;
    }
    expect(moved).toBeGreaterThan(userMask.reduce((a, b) => a + b, 0) / 2);
    for (let u = 0; u < syn.nUsers; u += 7) expect(norm(both.users, u)).toBeCloseTo(norm(start.users, u, userMask), 5);
    for (let x = 0; x < both.items.length; x++) if (!mask[x]) expect(both.items[x]).toBe(0);
    // without a user mask the users come back as given, and the items as fineTuneItems trains them
    const frozen = await fineTuneTables({ train: fit, users: start.users, items: start.items, dim, mask, recipe, seed: 1, threads: 2 });
    expect(frozen.users).toBe(start.users);
    const items = await fineTuneItems({ train: fit, users: start.users, items: start.items, dim, mask, recipe, seed: 1, threads: 2 });
    expect(Array.from(frozen.items)).toEqual(Array.from(items));
    await expect(fineTuneTables({ train: fit, users: start.users, userMask: userMask.subarray(1), items: start.items, dim, recipe, seed: 1, threads: 2 })).rejects.toThrow(/userMask has/);
  });

  it('keeps masked entries 0 through the final smoothing too', async () => {
    const e = await trainBackbone(fit, syn.nUsers, syn.nItems, { ...opts, smoothing: 0.15, itemMask: mask });
    for (let x = 0; x < e.items.length; x++) if (!mask[x]) expect(e.items[x]).toBe(0);
  });

  it('a mask that keeps everything changes nothing: the plain path, bit for bit', async () => {
    const plain = await trainBackbone(fit, syn.nUsers, syn.nItems, { ...opts, smoothing: 0.15 });
    const ones = await trainBackbone(fit, syn.nUsers, syn.nItems, { ...opts, smoothing: 0.15, itemMask: new Uint8Array(syn.nItems * dim).fill(1) });
    expect(Buffer.from(ones.items.buffer).equals(Buffer.from(plain.items.buffer))).toBe(true);
    expect(Buffer.from(ones.users.buffer).equals(Buffer.from(plain.users.buffer))).toBe(true);
  });
});

describe('methodEntry: the test metric over the validation sample', () => {
  const test = (recall: number[]): BudgetOutcome['test'] => ({
    recall20: 0,
    ndcg20: 0,
    perUser: { recall20: Float32Array.from(recall), ndcg20: Float32Array.from(recall, (r) => r / 2) },
  });
  const outcome = (validation: boolean): MethodOutcome => ({
    kind: 'mixed',
    budgets: [
      {
        fraction: 0.2,
        bytes: 10,
        dtype: 'f16',
        test: test([0.1, Number.NaN, 0.5, 0.9]),
        paperSparsity: 0.8,
        ...(validation
          ? { validation: { recall20: 0.3, ndcg20: 0.1, perUser: test([]).perUser, se: { recall20: 0.01, ndcg20: 0.01 }, users: 3, atCutoffs: [], fitnessPerUser: new Float32Array(4) } }
          : {}),
      },
    ],
  });

  it("averages the sample's users that have test items, NaN users skipped", () => {
    expect(testOnUsers(test([0.1, Number.NaN, 0.5, 0.9]), Uint32Array.of(0, 1, 2))).toEqual({ recall20: 0.3, ndcg20: 0.15, users: 2 });
    const row = methodEntry('x', 'x', 1, outcome(true), undefined, undefined, Uint32Array.of(1, 2, 3)).budgets[0]!;
    expect(row.testOnValidationSample).toEqual({ recall20: 0.7, ndcg20: 0.35, users: 2 });
  });

  it('is absent from a row without a validation metric, or without a sample', () => {
    expect(methodEntry('x', 'x', 1, outcome(false), undefined, undefined, Uint32Array.of(0)).budgets[0]!.testOnValidationSample).toBeUndefined();
    expect(methodEntry('x', 'x', 1, outcome(true), undefined).budgets[0]!.testOnValidationSample).toBeUndefined();
  });
});
