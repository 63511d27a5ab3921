import { describe, expect, it } from 'vitest';
import { rowCount, rowOf } from '../src/data/csr.js';
import { Random } from '../src/data/random.js';
import { groupItems } from '../src/groups/item-groups.js';
import { generateSynthetic } from '../src/synthetic/generate.js';
import { trainBackbone } from '../src/backbone/index.js';
import { carveValidation, refineUserGroups, REFINE_DEFAULTS, type RefineInput } from '../src/refine/index.js';
import { mulberry32 } from '../src/data/mulberry32.mjs';
import { effectiveBackward, effectiveFactors, keepMask, softKeep } from '../src/refine/block-selection.mjs';
import { Controller } from '../src/refine/controller.mjs';
import { chooseScoring, chooseWeights } from '../src/refine/validation.mjs';

const d = generateSynthetic({ users: 200, items: 240, seed: 9, meanInteractions: 20 });
const D = 16;
// A briefly trained backbone plus noise: poor enough that refinement has something to learn, good enough
// that the logit scale fitted on it is meaningful (on a random table it fits ~0 and nothing can move).
const rng = new Random(2);
const warm = await trainBackbone(d.train, d.nUsers, d.nItems, { dim: D, blockDim: 4, seed: 3, threads: 1, softmaxEpochs: 3, batch: 128, negatives: 32, lr: 0.01, smoothing: 0 });
const users = warm.users;
const items = warm.items.map((v) => v + rng.normal() * 0.15);
const assignment = Uint16Array.from({ length: d.nUsers }, (_, u) => u % 2);

const input = (threads: number, epochs: number): RefineInput => ({
  users,
  items,
  dim: D,
  blockDim: 4,
  nUsers: d.nUsers,
  nItems: d.nItems,
  train: d.train,
  assignment,
  groupCount: 2,
  itemGroups: groupItems(d.train, d.nItems, 4),
  options: { ...REFINE_DEFAULTS, epochs, batch: 64, negatives: 32, lr: 0.05, seed: 4, threads },
});

describe('carveValidation', () => {
  it('holds out part of every user with ≥ 3 training items, never touching anyone else', () => {
    const { inner, valUsers, valItems } = carveValidation(d.train, 0.1, 1);
    let held = 0;
    for (let u = 0; u < rowCount(d.train); u++) {
      const all = rowOf(d.train, u);
      const kept = new Set(rowOf(inner, u));
      const val = [...valItems].filter((_, k) => valUsers[k] === u);
      if (all.length >= 3) expect(val.length).toBeGreaterThanOrEqual(1);
      else expect(val).toHaveLength(0);
      for (const i of val) expect(kept.has(i)).toBe(false);
      expect(kept.size + val.length).toBe(all.length);
      held += val.length;
    }
    expect(held).toBe(valUsers.length);
  });
});

describe('refineUserGroups', () => {
  it('keeps a group’s state only if it beats the start on validation, and learns non-uniform softmax weights', async () => {
    const r = await refineUserGroups(input(2, 4));
    expect(r.tables).toHaveLength(2);
    for (const s of r.stats) {
      if (s.bestEpoch > 0) expect(s.valLossAfter).toBeLessThan(s.valLossBefore);
      else expect(s.valLossAfter).toBe(s.valLossBefore);
    }
    expect(r.stats.some((s) => s.bestEpoch > 0)).toBe(true);
    // the scoring rule and the learned-vs-first-k choice are made on validation recall, and reported
    expect(r.scoring).toEqual(r.stats.map((s) => s.scoring));
    expect(new Set(r.scoring).size).toBe(1); // pooled over the groups
    const pooled = chooseScoring(r.stats, 'mean');
    expect(r.scoring[0]).toBe(pooled.scoring);
    expect(pooled[pooled.scoring]).toBeGreaterThanOrEqual(pooled[pooled.scoring === 'mean' ? 'truncated' : 'mean']);
    const avg = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;
    for (const s of r.stats) {
      expect(s.rankedUsers).toBeGreaterThan(0);
      expect(s.ruleRecalls.mean).toHaveLength(REFINE_DEFAULTS.elastic.length);
      // the full budget keeps every block: both rules rank identically there
      expect(s.ruleRecalls.mean[0]).toBe(s.ruleRecalls.truncated[0]);
      // learned weights never lose to first-k under the trained-for rule; the reported figure follows the chosen rule
      expect(avg(s.ruleRecalls.mean)).toBeGreaterThanOrEqual(s.valRecallStart);
      expect(s.valRecallAfter).toBe(avg(s.ruleRecalls[s.scoring]));
      if (!s.learnedWeights) expect(s.temperature).toBe(1);
    }
    for (const w of r.weights) {
      for (let g = 0; g < 4; g++) {
        const row = Array.from(w.subarray(g * 4, g * 4 + 4));
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(Math.max(...row) - Math.min(...row)).toBeGreaterThan(1e-4);
        // nested blocks: a later block never outweighs an earlier one
        for (let b = 1; b < 4; b++) expect(row[b]).toBeLessThanOrEqual(row[b - 1]!);
      }
    }
    // Each group refined its own copy.
    expect(Array.from(r.tables[0]!)).not.toEqual(Array.from(r.tables[1]!));
    r.stats.forEach((s, c) => {
      if (s.bestEpoch > 0) expect(Array.from(r.tables[c]!)).not.toEqual(Array.from(items));
      else expect(Array.from(r.tables[c]!)).toEqual(Array.from(items));
    });
  });

  it('gives the same result on 1 or 2 threads (per-group seeds)', async () => {
    const a = await refineUserGroups(input(1, 2));
    const b = await refineUserGroups(input(2, 2));
    for (let c = 0; c < 2; c++) {
      expect(Array.from(a.tables[c]!)).toEqual(Array.from(b.tables[c]!));
      expect(Array.from(a.weights[c]!)).toEqual(Array.from(b.weights[c]!));
    }
  });

  it('with zero epochs returns the backbone table and first-k weights: near-uniform, falling, the same in every item group', async () => {
    const r = await refineUserGroups(input(1, 0));
    expect(Array.from(r.tables[1]!)).toEqual(Array.from(items));
    const w = Array.from(r.weights[0]!);
    expect(w.every((v) => Math.abs(v - 0.25) < 0.02)).toBe(true);
    for (let b = 1; b < 4; b++) expect(w[b]).toBeLessThan(w[b - 1]!);
    // identical rows: a budget keeps the same number of blocks of every item group (first-k)
    for (let g = 1; g < 4; g++) expect(w.slice(g * 4, g * 4 + 4)).toEqual(w.slice(0, 4));
    const mask = keepMask(Float64Array.from(w), 4, 4, 9);
    expect([0, 1, 2, 3].map((g) => mask.slice(g * 4, g * 4 + 4).reduce((a, v) => a + v, 0))).toEqual([3, 2, 2, 2]);
  });
});

describe('chooseWeights', () => {
  it('takes the best mean among candidates that lose at no budget, and only above the start', () => {
    const start = [0.2, 0.15, 0.1];
    // 0: better mean but worse at the smallest budget; 1: better everywhere; 2: better still everywhere.
    expect(
      chooseWeights(start, [
        [0.3, 0.2, 0.09],
        [0.21, 0.15, 0.1],
        [0.22, 0.16, 0.11],
      ]),
    ).toBe(2);
    expect(
      chooseWeights(start, [
        [0.3, 0.2, 0.09],
        [0.21, 0.15, 0.1],
      ]),
    ).toBe(1);
    // A large gain at the full table does not buy a collapse at a small budget.
    expect(chooseWeights(start, [[0.4, 0.3, 0.05]])).toBe(-1);
    // Equal is not better.
    expect(chooseWeights(start, [[...start]])).toBe(-1);
    expect(() => chooseWeights(start, [[0.3, 0.2]])).toThrow(/candidate 0 has 2 budgets, expected 3/);
  });
});

describe('chooseScoring', () => {
  const g = (users: number, mean: number[], truncated: number[]) => ({ rankedUsers: users, ruleRecalls: { mean, truncated } });
  it('pools the groups by ranked users, so a large group outweighs a small one that disagrees', () => {
    // small group: truncated ahead by 0.05; large group: mean ahead by 0.01 → pooled mean ahead
    const r = chooseScoring([g(100, [0.2, 0.1], [0.25, 0.15]), g(1000, [0.3, 0.2], [0.29, 0.19])], 'truncated');
    expect(r.scoring).toBe('mean');
    expect(r.mean).toBeCloseTo((100 * 0.15 + 1000 * 0.25) / 1100, 12);
    expect(r.truncated).toBeCloseTo((100 * 0.2 + 1000 * 0.24) / 1100, 12);
    // the same groups with equal weights would have chosen truncated
    expect(chooseScoring([g(100, [0.2, 0.1], [0.25, 0.15]), g(100, [0.3, 0.2], [0.29, 0.19])], 'mean').scoring).toBe('truncated');
  });
  it('keeps the trained-for rule on a tie and without validation users, and rejects missing recalls', () => {
    expect(chooseScoring([g(50, [0.2, 0.1], [0.1, 0.2])], 'mean').scoring).toBe('mean');
    expect(chooseScoring([g(50, [0.2, 0.1], [0.1, 0.2])], 'truncated').scoring).toBe('truncated');
    expect(chooseScoring([g(0, [], [])], 'mean')).toEqual({ scoring: 'mean', mean: 0, truncated: 0 });
    expect(() => chooseScoring([g(10, [0.1], [])], 'mean')).toThrow(/10 ranked users has no 'truncated' recalls/);
  });
});

describe('Controller', () => {
  const G = 3;
  const B = 5;
  const make = () => {
    const c = new Controller(4, mulberry32(3));
    // away from the near-uniform start, so every path of the gradient matters
    for (let k = 0; k < c.params.length; k++) c.params[k]! *= 30;
    return c;
  };
  const x = Float64Array.from({ length: G * B * 3 }, (_, i) => Math.sin(i));
  const dw = Float64Array.from({ length: G * B }, (_, i) => Math.cos(3 * i));

  it('gives softmax weights that never rise with the block index', () => {
    const { w } = make().forward(x, G, B);
    for (let g = 0; g < G; g++) {
      const row = Array.from(w.subarray(g * B, g * B + B));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let b = 1; b < B; b++) expect(row[b]).toBeLessThan(row[b - 1]!);
    }
  });

  it('back-propagates dL/dweights exactly (finite differences)', () => {
    const c = make();
    const loss = (params: Float64Array) => {
      const saved = c.params.slice();
      c.params.set(params);
      const { w } = c.forward(x, G, B);
      c.params.set(saved);
      return w.reduce((s, v, k) => s + v * dw[k]!, 0);
    };
    const grad = c.gradient(x, c.forward(x, G, B), dw, G, B);
    const p0 = c.params.slice();
    const eps = 1e-6;
    let largest = 0;
    for (let k = 0; k < p0.length; k++) {
      const up = p0.slice();
      const down = p0.slice();
      up[k]! += eps;
      down[k]! -= eps;
      const numeric = (loss(up) - loss(down)) / (2 * eps);
      expect(Math.abs(numeric - grad[k]!)).toBeLessThan(1e-8);
      largest = Math.max(largest, Math.abs(grad[k]!));
    }
    expect(largest).toBeGreaterThan(1e-4);
  });
});

describe('relaxed selection (softKeep)', () => {
  const G = 4;
  const B = 5;
  // decreasing weights per item group, decaying at different rates so the budget cuts groups differently
  const weights = (rates: number[]) => {
    const w = new Float64Array(G * B);
    for (let g = 0; g < G; g++) {
      let sum = 0;
      for (let b = 0; b < B; b++) sum += w[g * B + b] = Math.exp(-rates[g]! * b);
      for (let b = 0; b < B; b++) w[g * B + b]! /= sum;
    }
    return w;
  };
  const w0 = weights([0.3, 0.9, 0.5, 1.4]);

  it('keeps every group’s top block, spends exactly the budget, and hardens into keepMask as κ → 0', () => {
    for (const keep of [G, 7, 11, 15]) {
      const { m } = softKeep(w0, G, B, keep);
      expect(m.reduce((a, v) => a + v, 0)).toBeCloseTo(keep, 9);
      for (let g = 0; g < G; g++) expect(m[g * B]).toBe(1);
      const hard = keepMask(w0, G, B, keep);
      const sharp = softKeep(w0, G, B, keep, 1e-4).m;
      for (let k = 0; k < G * B; k++) expect(sharp[k]).toBeCloseTo(hard[k]!, 6);
    }
  });

  it('back-propagates through the weighting, the masks and the budget threshold (finite differences)', () => {
    const dEff = Float64Array.from({ length: G * B }, (_, i) => Math.cos(2.3 * i));
    for (const renormalize of [true, false]) {
      const keep = 9;
      const kappa = softKeep(w0, G, B, keep).kappa;
      const loss = (w: Float64Array) => {
        const { m } = softKeep(w, G, B, keep, kappa);
        return effectiveFactors(w, m, G, B, renormalize).reduce((s, v, k) => s + v * dEff[k]!, 0);
      };
      const soft = softKeep(w0, G, B, keep, kappa);
      const grad = effectiveBackward(w0, soft.m, soft, dEff, G, B, renormalize);
      const eps = 1e-7;
      let throughMask = 0;
      const hardOnly = effectiveBackward(w0, soft.m, null, dEff, G, B, renormalize);
      for (let k = 0; k < G * B; k++) {
        const up = w0.slice();
        const down = w0.slice();
        up[k]! += eps;
        down[k]! -= eps;
        const numeric = (loss(up) - loss(down)) / (2 * eps);
        expect(Math.abs(numeric - grad[k]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
        throughMask = Math.max(throughMask, Math.abs(grad[k]! - hardOnly[k]!));
      }
      // the mask path is not negligible: without it the gradient would be wrong
      expect(throughMask).toBeGreaterThan(1e-2);
    }
  });
});
