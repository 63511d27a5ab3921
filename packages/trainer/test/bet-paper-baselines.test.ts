import { describe, expect, it } from 'vitest';
import { totalSize } from '../src/harness/index.js';
import { createPaperBaseline, uniformAction } from '../src/methods/bet/paper-baselines.js';
import { budgetValues } from '../src/methods/bet/sampler.js';

describe("BET's SU in the papers' accounting", () => {
  it('gives every user and item the one size the shared budget holds', () => {
    const b = { accounting: 'paper', dim: 128, nItems: 40_981, nUsers: 29_858, sparsity: 0.8 } as const;
    const a = uniformAction(b);
    // 0.2 × 128 = 25.6 values a row on average: 25 for every row
    expect(new Set(a.items)).toEqual(new Set([25]));
    expect(new Set(a.users)).toEqual(new Set([25]));
    expect(a.items.length).toBe(b.nItems);
    expect(a.users.length).toBe(b.nUsers);
    expect(totalSize(a.items) + totalSize(a.users)).toBeLessThanOrEqual(budgetValues(b));
    expect(uniformAction({ ...b, sparsity: 0.95 }).items[0]).toBe(6);
  });

  it('names the problem when the budget leaves under one value a row, and never exceeds d_max', () => {
    expect(() => uniformAction({ accounting: 'paper', dim: 16, nItems: 80, nUsers: 10, sparsity: 0.99 })).toThrow(/su-paper: sparsity 0.99 leaves under one value a row/);
    expect(uniformAction({ accounting: 'paper', dim: 16, nItems: 80, nUsers: 10, sparsity: 0 }).items[0]).toBe(16);
  });

  it('is named for the table it belongs to', () => {
    expect(createPaperBaseline('su').name).toBe('su-paper');
    expect(createPaperBaseline('sr').name).toBe('sr-paper');
  });
});
