import { describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { applyMask, applySizes, type Harness, totalSize, type ValidationMetric } from '../src/harness/index.js';
import { normalisedFrequencies } from '../src/methods/bet/index.js';
import type { SamplerBudget } from '../src/methods/bet/sampler.js';
import { type BetSettings, fitnessOf, search, strategyAt } from '../src/methods/bet/search.js';

const nItems = 80;
const dim = 16;

/**
 * A harness whose validation is a known function of the fine-tuned table: after the search's fine-tune (h epochs)
 * the fitness is the share of the most popular item's row kept; after retraining (more epochs) it is the opposite,
 * so the best retrained action is not the best searched one. Records every fine-tune.
 */
function stubHarness() {
  const calls: { label: string; epochs: number; users?: boolean }[] = [];
  const made = new WeakMap<Float32Array, { epochs: number; topSize: number }>();
  const popularity = Uint32Array.from({ length: nItems }, (_, p) => nItems - p);
  const h = {
    dataset: { nItems, nUsers: 10 },
    options: { dtype: 'f32', seed: 1, budgets: [0.1], variants: [], fineTune: { epochs: 3 } },
    backbone: { dim, items: new Float32Array(nItems * dim).fill(1), users: new Float32Array(10 * dim).fill(1) },
    order: Uint32Array.from({ length: nItems }, (_, p) => p),
    popularityByPosition: popularity,
    applySizes: (t: Float32Array, d: number, sizes: ArrayLike<number>) => applySizes(t, d, sizes),
    async fineTune(items: Float32Array, _dim: number, mask: Uint8Array | undefined, label: string, epochs = 3) {
      calls.push({ label, epochs });
      const out = mask ? applyMask(items, mask) : items.slice();
      made.set(out, { epochs, topSize: mask ? mask.subarray(0, dim).reduce((a, b) => a + b, 0) : dim });
      return out;
    },
    async fineTuneBoth(t: { users: Float32Array; userMask: Uint8Array; items: Float32Array; itemMask?: Uint8Array }, label: string, epochs = 3) {
      const items = await h.fineTune(t.items, dim, t.itemMask, label, epochs);
      calls[calls.length - 1]!.users = true;
      return { users: applyMask(t.users, t.userMask), items };
    },
    async validate(t: { items: Float32Array }): Promise<ValidationMetric> {
      const m = made.get(t.items)!;
      const v = m.epochs === 1 ? m.topSize / dim : 1 - m.topSize / dim;
      return {
        recall20: v,
        ndcg20: v,
        perUser: { recall20: new Float32Array(0), ndcg20: new Float32Array(0) },
        se: { recall20: 0, ndcg20: 0 },
        users: 1,
        atCutoffs: [5, 10, 20].map((k) => ({ k, recall: v, ndcg: v })),
        fitnessPerUser: new Float32Array(0),
      };
    },
    progress() {},
    log() {},
  };
  return { h: h as unknown as Harness, calls, popularity, topSizeOf: (items: Float32Array) => made.get(items)!.topSize };
}

const budget: SamplerBudget = { accounting: 'device', dim, nItems, budgetBytes: Math.floor(0.15 * nItems * dim * 4), dtype: 'f32' };
const settings = (strategy: BetSettings['strategy']): BetSettings => ({
  iterations: 10,
  epochs: 1,
  candidates: 6,
  predictorSteps: 2,
  top: 5,
  retrainEpochs: 3,
  strategy,
  lr: 1e-3,
  accounting: 'device',
});

async function run(strategy: BetSettings['strategy']) {
  const stub = stubHarness();
  const result = await search({
    h: stub.h,
    budget,
    settings: settings(strategy),
    baseline: 1,
    frequencies: [normalisedFrequencies(stub.popularity)],
    rng: new Random(9),
    seed: 9,
    label: 'test',
  });
  return { ...stub, result };
}

describe('BET search', () => {
  it('schedules strategies I, II, III by t mod 5, and II throughout for the ablation', () => {
    expect(Array.from({ length: 10 }, (_, t) => strategyAt(t, 'guided'))).toEqual(['I', 'I', 'I', 'II', 'III', 'I', 'I', 'I', 'II', 'III']);
    expect(Array.from({ length: 5 }, (_, t) => strategyAt(t, 'random'))).toEqual(['II', 'II', 'II', 'II', 'II']);
  });

  it('fitness is the mean of Recall and NDCG at 5, 10 and 20', () => {
    const m = { atCutoffs: [0.1, 0.2, 0.3].map((r, i) => ({ k: [5, 10, 20][i]!, recall: r, ndcg: r / 2 })) } as ValidationMetric;
    expect(fitnessOf(m)).toBeCloseTo((0.6 + 0.3) / 6, 12);
  });

  it('grows the population one fine-tuned action an iteration, updates the predictor N times each, and keeps the best retrained', async () => {
    const { result, calls } = await run('guided');
    const { population } = result;
    expect(population.map((p) => p.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(population.map((p) => p.strategy)).toEqual(['I', 'I', 'I', 'II', 'III', 'I', 'I', 'I', 'II', 'III']);
    for (const p of population) expect(p.predicted).toEqual(expect.any(Number));
    expect(result.predictorLosses).toHaveLength(20);
    expect(result.predictorSteps).toBe(20);
    // r_a is the stub's searched fitness of the action's top row
    for (const p of population) expect(p.r).toBeCloseTo(p.action.items[0]! / dim, 6);
    // T fine-tunes of h epochs, then the top 5 by r retrained for R epochs
    expect(calls.map((c) => c.epochs)).toEqual([...Array(10).fill(1), ...Array(5).fill(3)]);
    const top = [...population].sort((a, b) => b.r - a.r || a.t - b.t).slice(0, 5);
    expect(result.retrained.map((r) => r.t)).toEqual(top.map((p) => p.t));
    // after retraining the stub prefers small top rows: the best on validation wins, not the best searched
    const bestRetrained = top.reduce((a, b) => (1 - b.action.items[0]! / dim > 1 - a.action.items[0]! / dim ? b : a));
    expect(bestRetrained.t).not.toBe(top[0]!.t); // so the check below tells the two rules apart
    expect(result.best.t).toBe(bestRetrained.t);
    expect(result.best.validation.recall20).toBeCloseTo(Math.max(...result.retrained.map((r) => r.fitness)), 12);
    expect(result.best.items.subarray(0, dim).filter((x) => x !== 0).length).toBe(result.best.action.items[0]);
  });

  it('the ablation makes the same fine-tuned evaluations, with no predictor', async () => {
    const guided = await run('guided');
    const random = await run('random');
    expect(random.calls.map((c) => c.epochs)).toEqual(guided.calls.map((c) => c.epochs));
    expect(random.result.population.map((p) => p.strategy)).toEqual(Array(10).fill('II'));
    for (const p of random.result.population) expect(p.predicted).toBeNull();
    expect(random.result.predictorLosses).toEqual([]);
  });

  it('in the papers’ accounting, scores the chosen action with its users cut to their sizes, within the parameters', async () => {
    const stub = stubHarness();
    const paper: SamplerBudget = { accounting: 'paper', dim, nItems, nUsers: 10, sparsity: 0.85 };
    const ranks = Uint32Array.from({ length: 10 }, (_, u) => 9 - u); // the user at rank r is 9 − r
    const result = await search({
      h: stub.h,
      budget: paper,
      settings: { ...settings('guided'), iterations: 5, accounting: 'paper' },
      baseline: 1,
      frequencies: [normalisedFrequencies(stub.popularity), Float32Array.from({ length: 10 }, (_, r) => 1 - r / 10)],
      userOrder: ranks,
      rng: new Random(3),
      seed: 3,
      label: 'paper',
    });
    // every evaluation fine-tuned the cut users with the items
    expect(stub.calls.length).toBeGreaterThan(0);
    expect(stub.calls.every((c) => c.users)).toBe(true);
    const total = Math.floor(0.15 * (nItems + 10) * dim);
    for (const p of result.population) expect(totalSize(p.action.items) + totalSize(p.action.users!)).toBeLessThanOrEqual(total);
    const userSizes = result.best.action.users!;
    for (let r = 0; r < 10; r++) {
      const row = result.best.users.subarray(ranks[r]! * dim, (ranks[r]! + 1) * dim);
      expect(row.filter((x) => x !== 0).length).toBe(userSizes[r]);
    }
  });
});
