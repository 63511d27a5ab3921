import { describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { mixedBytes, needsPermutation, totalSize } from '../src/harness/index.js';
import { BETA_MAX, budgetValues, drawValue, FAMILIES, type Family, type SamplerBudget, sampleAction } from '../src/methods/bet/sampler.js';

const nonIncreasing = (s: Uint16Array) => s.every((d, p) => p === 0 || d <= s[p - 1]!);

describe('BET sampler: the four families', () => {
  const rng = new Random(3);
  const mean = (family: Family, beta: number, n = 20000) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += drawValue(family, beta, rng);
    return s / n;
  };

  it('draws from each family’s support, with its mean', () => {
    for (let i = 0; i < 2000; i++) {
      const p = drawValue('power-law', 3, rng);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
      for (const family of ['truncated-exponential', 'truncated-normal'] as const) {
        const beta = 0.3 + (i % 7);
        const x = drawValue(family, beta, rng);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(beta);
      }
      expect(drawValue('log-normal', 0.4, rng)).toBeGreaterThan(0);
    }
    expect(mean('power-law', 2)).toBeCloseTo(2 / 3, 2); // a / (a + 1)
    expect(mean('truncated-exponential', 30)).toBeCloseTo(1, 1); // untruncated: 1
    expect(mean('truncated-exponential', 1)).toBeCloseTo(1 - 1 / (Math.E - 1), 2);
    expect(mean('truncated-normal', 20)).toBeCloseTo(Math.sqrt(2 / Math.PI), 1); // half-normal
    expect(mean('truncated-normal', 0.2)).toBeCloseTo(0.1, 2); // nearly uniform on [0, 0.2]
    expect(mean('log-normal', 0.5)).toBeCloseTo(Math.exp(0.125), 1);
  });

  it('β_max is the paper’s', () => {
    expect(BETA_MAX).toEqual({ 'power-law': 20, 'truncated-exponential': 5, 'truncated-normal': 20, 'log-normal': 0.5 });
  });
});

describe('BET sampler: actions meet the budget', () => {
  const dim = 32;
  const nItems = 300;
  const nUsers = 200;

  for (const fraction of [0.2, 0.1, 0.05]) {
    it(`device accounting at ${fraction}: item sizes in [1, d_max], by frequency rank, within the item bytes, users untouched`, () => {
      const b: SamplerBudget = { accounting: 'device', dim, nItems, budgetBytes: Math.floor(fraction * nItems * dim * 4), dtype: 'f16' };
      const rng = new Random(11);
      const families = new Set<Family>();
      for (let k = 0; k < 120; k++) {
        const a = sampleAction(b, rng);
        families.add(a.itemDraw.family);
        expect(a.users).toBeUndefined();
        expect(a.items.length).toBe(nItems);
        expect(Math.min(...a.items)).toBeGreaterThanOrEqual(1);
        expect(Math.max(...a.items)).toBeLessThanOrEqual(dim);
        // the most frequent position gets the largest size: no permutation, so the bytes are the values
        expect(nonIncreasing(a.items)).toBe(true);
        expect(needsPermutation(a.items)).toBe(false);
        expect(mixedBytes(a.items, 'f16')).toBeLessThanOrEqual(b.budgetBytes);
        expect(mixedBytes(a.items, 'f16')).toBeGreaterThan(b.budgetBytes - 2 * nItems);
        expect(a.itemDraw.beta).toBeGreaterThan(0);
        expect(a.itemDraw.beta).toBeLessThanOrEqual(BETA_MAX[a.itemDraw.family]);
      }
      expect([...families].sort()).toEqual([...FAMILIES].sort());
    });
  }

  for (const sparsity of [0.8, 0.9, 0.95]) {
    it(`paper accounting at ${sparsity * 100}% sparsity: users + items within the parameters, split by w`, () => {
      const b: SamplerBudget = { accounting: 'paper', dim, nItems, nUsers, sparsity };
      const total = budgetValues(b);
      expect(total).toBe(Math.floor((1 - sparsity) * (nUsers + nItems) * dim));
      const rng = new Random(12);
      const families = { users: new Set<Family>(), items: new Set<Family>() };
      const ws: number[] = [];
      for (let k = 0; k < 120; k++) {
        const a = sampleAction(b, rng);
        families.users.add(a.userDraw!.family);
        families.items.add(a.itemDraw.family);
        ws.push(a.w!);
        for (const [side, n] of [
          [a.users!, nUsers],
          [a.items, nItems],
        ] as const) {
          expect(side.length).toBe(n);
          expect(Math.min(...side)).toBeGreaterThanOrEqual(1);
          expect(Math.max(...side)).toBeLessThanOrEqual(dim);
          expect(nonIncreasing(side)).toBe(true);
        }
        const users = totalSize(a.users!);
        const items = totalSize(a.items);
        expect(users + items).toBeLessThanOrEqual(total);
        expect(users).toBeLessThanOrEqual(Math.floor(a.w! * total));
        expect(users).toBeGreaterThan(Math.floor(a.w! * total) - nUsers);
      }
      expect([...families.users].sort()).toEqual([...FAMILIES].sort());
      expect([...families.items].sort()).toEqual([...FAMILIES].sort());
      // w spreads over (0, 1), within what leaves each side between 1 and d_max values a row
      expect(Math.max(...ws) - Math.min(...ws)).toBeGreaterThan(0.1);
    });
  }

  it('gives the full table when the budget holds it, and draws again when ⌊p̃_max · budget⌋ > d_max', () => {
    const full: SamplerBudget = { accounting: 'device', dim, nItems, budgetBytes: nItems * dim * 2, dtype: 'f16' };
    expect(Array.from(new Set(sampleAction(full, new Random(1)).items))).toEqual([dim]);
    const meanAttempts = (fraction: number) => {
      const b: SamplerBudget = { accounting: 'device', dim, nItems, budgetBytes: Math.floor(fraction * nItems * dim * 4), dtype: 'f16' };
      const rng = new Random(2);
      const drawn = Array.from({ length: 60 }, () => sampleAction(b, rng));
      return { attempts: drawn.reduce((n, a) => n + a.attempts, 0) / drawn.length, drawn };
    };
    // 45 % of the full table in f16 is an average size of 0.9 d_max: only nearly flat draws pass (max/mean ≤ 1.11),
    // which truncated exponentials and normals, at least twice their mean at the top, never are
    const tight = meanAttempts(0.45);
    expect(tight.attempts).toBeGreaterThan(3);
    expect(tight.attempts).toBeGreaterThan(2 * meanAttempts(0.05).attempts);
    for (const a of tight.drawn) expect(a.itemDraw.family === 'log-normal' || a.itemDraw.family === 'power-law').toBe(true);
  });

  it('is seeded: the same generator state gives the same action', () => {
    const b: SamplerBudget = { accounting: 'device', dim, nItems, budgetBytes: Math.floor(0.1 * nItems * dim * 4), dtype: 'f16' };
    expect(sampleAction(b, new Random(5))).toEqual(sampleAction(b, new Random(5)));
  });
});
