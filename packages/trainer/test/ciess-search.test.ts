import { describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { applyMask, applySizes, type Harness, totalSize, type ValidationMetric } from '../src/harness/index.js';
import { mixedBytes } from '../src/harness/accounting.js';
import { normalisedFrequencies } from '../src/methods/bet/index.js';
import { budgetValues, type SamplerBudget } from '../src/methods/bet/sampler.js';
import { itemValidationUsers } from '../src/methods/ciess/quality.js';
import { ciessSearch, LAMBDA_RANGE, nextLambda } from '../src/methods/ciess/search.js';
import { CIESS_DEFAULTS, type CiessSettings, estimateSeconds } from '../src/methods/ciess/settings.js';

const nItems = 60;
const nUsers = 8;
const dim = 16;

/** Every user's eval is the share of the item table kept: larger tables are better, so λ must hold them back. */
function stubHarness() {
  const calls: { label: string; epochs: number; users?: boolean }[] = [];
  const metric = (v: number): ValidationMetric => ({
    recall20: v,
    ndcg20: v,
    perUser: { recall20: new Float32Array(nUsers).fill(v), ndcg20: new Float32Array(nUsers).fill(v) },
    se: { recall20: 0, ndcg20: 0 },
    users: nUsers,
    atCutoffs: [5, 10, 20].map((k) => ({ k, recall: v, ndcg: v })),
    fitnessPerUser: new Float32Array(nUsers).fill(v),
  });
  const h = {
    dataset: { nItems, nUsers },
    options: { dtype: 'f32', seed: 1, budgets: [0.25], variants: [], fineTune: { epochs: 3 } },
    backbone: { dim, items: new Float32Array(nItems * dim).fill(1), users: new Float32Array(nUsers * dim).fill(1) },
    order: Uint32Array.from({ length: nItems }, (_, p) => (p * 7) % nItems),
    popularityByPosition: Uint32Array.from({ length: nItems }, (_, p) => nItems - p),
    applySizes: (t: Float32Array, d: number, sizes: ArrayLike<number>) => applySizes(t, d, sizes),
    async fineTune(items: Float32Array, _dim: number, mask: Uint8Array | undefined, label: string, epochs = 3) {
      calls.push({ label, epochs });
      return mask ? applyMask(items, mask) : items.slice();
    },
    async fineTuneBoth(t: { users: Float32Array; userMask: Uint8Array; items: Float32Array; itemMask?: Uint8Array }, label: string, epochs = 3) {
      calls.push({ label, epochs, users: true });
      return { users: applyMask(t.users, t.userMask), items: t.itemMask ? applyMask(t.items, t.itemMask) : t.items.slice() };
    },
    async validate(t: { items: Float32Array }) {
      return metric(t.items.reduce((s, x) => s + x, 0) / t.items.length);
    },
    progress() {},
    log() {},
  };
  return { h: h as unknown as Harness, calls, full: metric(1) };
}

const budget: SamplerBudget = { accounting: 'device', dim, nItems, budgetBytes: Math.floor(0.25 * nItems * dim * 4) + 3, dtype: 'f32' };
const settings = (walk: boolean, atBudget: boolean, lambdaRule: CiessSettings['lambdaRule'] = 'episode'): CiessSettings => ({
  ...CIESS_DEFAULTS,
  lambdaRule,
  episodes: 2,
  iterations: 3,
  epochs: 1,
  top: 2,
  retrainEpochs: 3,
  walk,
  atBudget,
  updates: 4,
  batch: 32,
  transitions: 40,
});

async function run(walk: boolean, b: SamplerBudget = budget, atBudget = false, lambdaRule: CiessSettings['lambdaRule'] = 'episode') {
  const stub = stubHarness();
  const csr = { indptr: new Uint32Array(nUsers + 1), indices: new Uint32Array(0) };
  const result = await ciessSearch({
    h: stub.h,
    budget: b,
    settings: settings(walk, atBudget, lambdaRule),
    full: stub.full,
    itemUsers: itemValidationUsers(Uint32Array.of(0, 1), csr, csr, nItems),
    frequencies: {
      items: normalisedFrequencies(stub.h.popularityByPosition),
      ...(b.accounting === 'paper' ? { users: normalisedFrequencies(Uint32Array.from({ length: nUsers }, (_, r) => nUsers - r)) } : {}),
    },
    ...(b.accounting === 'paper' ? { userOrder: Uint32Array.from({ length: nUsers }, (_, r) => nUsers - 1 - r) } : {}),
    rng: new Random(5),
    seed: 5,
    label: 'test',
  });
  return { ...stub, result };
}

describe('CIESS search', () => {
  it('at the budget, every candidate meets it and the best retrained one is served as validated', async () => {
    const { result: r, calls } = await run(true, budget, true);
    // The values the budget holds once the permutation of sizes in no particular order is paid (u16 an item).
    const capacity = Math.floor(budget.accounting === 'device' ? (budget.budgetBytes - 2 * nItems) / 4 : 0);
    expect(r.candidates).toHaveLength(6);
    expect(r.candidates.every((c) => c.meets && c.values === capacity)).toBe(true);
    // Every candidate holds the values aimed at: the budget's dual has nothing to move.
    expect(r.lambdas.every((l) => l === CIESS_DEFAULTS.lambda)).toBe(true);
    // l retrained, no projected fine-tune
    expect(calls.filter((c) => c.epochs === 3).map((c) => c.label)).toHaveLength(2);
    expect(calls.some((c) => c.label.endsWith('projected'))).toBe(false);
    expect(calls.some((c) => c.users)).toBe(false);
    const best = r.retrained.reduce((a, b) => (b.fitness > a.fitness ? b : a));
    expect([r.unprojected.episode, r.unprojected.t]).toEqual([best.episode, best.t]);
    expect(r.served.values).toBe(capacity);
    expect(totalSize(r.served.items)).toBe(capacity);
    expect(mixedBytes(r.served.items, 'f32')).toBeLessThanOrEqual(budget.accounting === 'device' ? budget.budgetBytes : 0);
    expect(r.projectionCost).toMatchObject({ recall20: 0, fitness: 0, values: 0 });
    expect(r.served.validation).toBe(r.unprojected.validation);
  }, 60_000);

  it('at the budget in the papers’ accounting, users + items of every candidate meet the shared budget', async () => {
    const paper: SamplerBudget = { accounting: 'paper', dim, nItems, nUsers, sparsity: 0.8 };
    const { result: r } = await run(true, paper, true);
    const capacity = Math.floor(0.2 * (nItems + nUsers) * dim);
    expect(r.candidates.every((c) => c.values === capacity)).toBe(true);
    expect(totalSize(r.served.items) + totalSize(r.served.users!)).toBe(capacity);
  }, 60_000);

  it('evaluates M × T assignments, retrains the top l, serves the best projected onto the budget exactly', async () => {
    const { result: r, calls } = await run(true);
    expect(r.candidates).toHaveLength(6);
    expect(calls.filter((c) => c.epochs === 1)).toHaveLength(6);
    // l retrained and one projected, at the retraining epochs
    expect(calls.filter((c) => c.epochs === 3).map((c) => c.label)).toHaveLength(3);
    expect(calls.at(-1)!.label).toBe('test projected');
    expect(r.retrained).toHaveLength(2);
    // the values of the served table: ⌊budget / 4⌋, and sizes non-increasing along the positions
    expect(r.served.values).toBe(Math.floor(budget.accounting === 'device' ? budget.budgetBytes / 4 : 0));
    expect(totalSize(r.served.items)).toBe(r.served.values);
    expect(Array.from(r.served.items).every((d, p, a) => p === 0 || d <= a[p - 1]!)).toBe(true);
    // the projection's cost is the served table against the best retrained one on the same users
    expect(r.projectionCost.fitness).toBeCloseTo(r.served.validation.recall20 - r.unprojected.validation.recall20, 6);
    expect(r.projectionCost.values).toBe(r.served.values - r.unprojected.values);
    expect(r.lambdas).toHaveLength(6);
    expect(r.agent.updates).toBe(6 * 4);
  }, 60_000);

  it('holds λ through an episode and moves it by the episode’s last assignment against the budget', async () => {
    const { result: r } = await run(true);
    const capacity = budgetValues(budget);
    // The stub's quality grows with the table, so the first episode ends over the budget and λ must rise.
    expect(r.candidates[2]!.values).toBeGreaterThan(capacity);
    expect(r.lambdas.slice(0, 3)).toEqual([1, 1, 1]);
    const second = nextLambda(1, r.candidates[2]!.values, capacity, 1);
    expect(second).toBeGreaterThan(1);
    expect(r.lambdas.slice(3)).toEqual([second, second, second]);
  }, 60_000);

  it('with the iteration rule (the old one), λ moves after every iteration by that assignment against the budget', async () => {
    const { result: r } = await run(true, budget, false, 'iteration');
    const capacity = budgetValues(budget);
    const step = (l: number, values: number) => l * Math.min(2, Math.max(0.5, values / capacity));
    expect(r.lambdas[0]).toBe(1);
    for (let i = 1; i < r.lambdas.length; i++) expect(r.lambdas[i]).toBeCloseTo(step(r.lambdas[i - 1]!, r.candidates[i - 1]!.values), 12);
    expect(r.lambdas[1]).toBeGreaterThan(1); // the first assignment is over the budget
  }, 60_000);

  it('λ moves at most ×2 an episode and stays within its range around the start', () => {
    expect(nextLambda(1, 1000, 100, 1)).toBe(2);
    expect(nextLambda(1, 1, 100, 1)).toBe(0.5);
    expect(nextLambda(1, 150, 100, 1)).toBeCloseTo(1.5, 12);
    expect(nextLambda(LAMBDA_RANGE, 1000, 100, 1)).toBe(LAMBDA_RANGE);
    expect(nextLambda(1 / LAMBDA_RANGE, 1, 100, 1)).toBe(1 / LAMBDA_RANGE);
    expect(nextLambda(3, 100, 100, 0.5)).toBe(3);
  });

  it('retrains the assignments that meet the budget first, best search fitness first', async () => {
    const { result: r } = await run(true);
    const meeting = r.candidates.filter((c) => c.meets).sort((a, b) => b.fitness - a.fitness);
    const expected = [...meeting, ...r.candidates.filter((c) => !c.meets).sort((a, b) => a.values - b.values)].slice(0, 2);
    expect(r.retrained.map((x) => [x.episode, x.t])).toEqual(expected.map((c) => [c.episode, c.t]));
    expect(r.filledOverBudget).toBe(Math.max(0, 2 - meeting.length));
  }, 60_000);

  it('the ablation without the walk makes the same evaluations', async () => {
    const [a, b] = [await run(true), await run(false)];
    expect(b.calls.map((c) => c.epochs)).toEqual(a.calls.map((c) => c.epochs));
    expect(b.result.candidates).toHaveLength(a.result.candidates.length);
  }, 60_000);

  it('in the papers’ accounting both agents act, and users + items meet the shared budget exactly', async () => {
    const paper: SamplerBudget = { accounting: 'paper', dim, nItems, nUsers, sparsity: 0.8 };
    const { result: r, calls } = await run(true, paper);
    expect(r.served.users).toHaveLength(nUsers);
    // every evaluation fine-tunes the masked users with the items (2 × 3 searched, 2 retrained, 1 projected)
    expect(calls).toHaveLength(9);
    expect(calls.every((c) => c.users)).toBe(true);
    expect(totalSize(r.served.items) + totalSize(r.served.users!)).toBe(Math.floor(0.2 * (nItems + nUsers) * dim));
    // the user table is cut to the served user sizes (user index = nUsers − 1 − rank)
    const kept = (u: number) => r.served.userTable.subarray(u * dim, (u + 1) * dim).reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
    r.served.users!.forEach((d, rank) => expect(kept(nUsers - 1 - rank)).toBe(d));
    expect(r.agent.updates).toBe(6 * 4 * 2);
  }, 60_000);

  it('the default settings fit one Gowalla budget in 20 minutes', () => {
    const e = estimateSeconds({ ...CIESS_DEFAULTS, retrainEpochs: 4, lambdaRule: 'iteration' }, { fineTuneEpoch: 5.7, validate: 0.93, test: 8.1, iterationOverhead: 2.8 });
    expect(e.total).toBeLessThanOrEqual(20 * 60);
    expect(e.search).toBeCloseTo(100 * (5.7 + 0.93 + 2.8), 6);
  });
});
