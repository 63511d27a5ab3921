import { encodeMixedVariant, encodeSparse } from '@peelrec/format';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { fitSizes, keptPerRow, MethodBudgetError, mixedBytes, needsPermutation, sparseBytes } from '../src/harness/index.js';
import { magnitudeMask } from '../src/methods/magprune/prune.js';
import { pruneToBudget } from '../src/methods/magprune/index.js';

describe('magprune: global magnitude pruning with a per-row minimum', () => {
  const rows = 300;
  const dim = 32;
  const rng = new Random(4);
  // rows of very different scales, so a global threshold alone would empty the small ones
  const table = Float32Array.from({ length: rows * dim }, (_, x) => rng.normal() * (Math.floor(x / dim) % 3 === 0 ? 0.01 : 1));

  it('keeps exactly nnz entries, at least minPerRow a row, and the largest magnitudes beyond the minimum', () => {
    const nnz = 1500;
    const mask = magnitudeMask(table, dim, nnz, 2);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(nnz);
    expect(Math.min(...keptPerRow(mask, dim))).toBeGreaterThanOrEqual(2);
    // every pruned entry is no larger than every kept entry outside the row minima
    const minimum = magnitudeMask(table, dim, rows * 2, 2);
    let smallestKept = Infinity;
    let largestPruned = 0;
    for (let x = 0; x < table.length; x++) {
      if (mask[x] && !minimum[x]) smallestKept = Math.min(smallestKept, Math.abs(table[x]!));
      if (!mask[x]) largestPruned = Math.max(largestPruned, Math.abs(table[x]!));
    }
    expect(smallestKept).toBeGreaterThanOrEqual(largestPruned);
  });

  it('prunes to the budget’s u8-CSR bytes: ≤ the target and within one entry of it', () => {
    const full = rows * dim * 4;
    for (const fraction of [0.5, 0.2, 0.1, 0.05]) {
      const budget = Math.floor(fraction * full);
      const p = pruneToBudget(table, dim, budget, 'f16');
      expect(p.bytes).toBe(sparseBytes(rows, p.nnz, 'f16'));
      expect(p.bytes).toBeLessThanOrEqual(budget);
      expect(sparseBytes(rows, p.nnz + 1, 'f16')).toBeGreaterThan(budget);
      expect(p.mask.reduce((a, b) => a + b, 0)).toBe(p.nnz);
    }
    expect(() => pruneToBudget(table, dim, sparseBytes(rows, rows, 'f16') - 1, 'f16')).toThrow(MethodBudgetError);
  });
});

describe('the accounting is the format writer’s bytes', () => {
  const rows = 257;
  const dim = 32;
  const rng = new Random(8);
  const table = Float32Array.from({ length: rows * dim }, () => rng.normal());
  it('sparse: a pruned table encodes to exactly sparseBytes', () => {
    for (const fraction of [0.5, 0.2, 0.1, 0.05]) {
      const p = pruneToBudget(table, dim, Math.floor(fraction * rows * dim * 4), 'f16');
      const encoded = encodeSparse(table, dim, 'f16', p.mask);
      expect(encoded.nnz).toBe(p.nnz);
      expect(encoded.bytes.byteLength).toBe(p.bytes);
    }
  });
  it('mixed: fitted sizes, and sizes that need a permutation, encode to exactly mixedBytes', () => {
    const weights = Float64Array.from({ length: rows }, (_, p) => 1 / (p + 1));
    const fitted = fitSizes(weights, dim, Math.floor(0.1 * rows * dim * 4), 'f16').sizesByPosition;
    const shuffled = rng.shuffle(fitted.slice());
    for (const sizes of [fitted, shuffled]) {
      const payload = encodeMixedVariant(table, dim, sizes, 'f16');
      const stored = payload.columns.reduce((n, c) => n + c.byteLength, payload.permutation?.byteLength ?? 0);
      expect(stored).toBe(mixedBytes(sizes, 'f16'));
    }
    expect(needsPermutation(shuffled)).toBe(true);
  });
});
