import { describe, expect, it } from 'vitest';
import { pairedGain, type UserMetric } from '../src/index.js';

const metric = (recall: number[], ndcg: number[]): UserMetric => ({
  recall20: 0,
  ndcg20: 0,
  perUser: { recall20: Float32Array.from(recall), ndcg20: Float32Array.from(ndcg) },
});

describe('pairedGain', () => {
  it('averages a − b over the users both were evaluated on, with the standard error of the difference', () => {
    // user 2 has no test items for b (NaN): left out. Differences 0.5, 0, 0.25 → mean 0.25,
    // sample variance ((0.25)² + (0.25)² + 0) / 2 = 0.0625, SE = √(0.0625 / 3).
    const a = metric([1, 0.5, 0.75, 0.5], [1, 1, 1, 1]);
    const b = metric([0.5, 0.5, NaN, 0.25], [1, 1, NaN, 1]);
    const g = pairedGain(a, b);
    expect(g.users).toBe(3);
    expect(g.recall20.mean).toBeCloseTo(0.25, 12);
    expect(g.recall20.se).toBeCloseTo(Math.sqrt(0.0625 / 3), 7);
    // identical per-user values: no difference and no noise
    expect(g.ndcg20).toEqual({ mean: 0, se: 0 });
    // pairing: a constant shift has zero standard error however much the users differ
    const c = metric([0.1, 0.9, 0.3], [0, 0, 0]);
    const shifted = metric([0.2, 1.0, 0.4], [0, 0, 0]);
    expect(pairedGain(shifted, c).recall20.mean).toBeCloseTo(0.1, 6);
    expect(pairedGain(shifted, c).recall20.se).toBeLessThan(1e-7);
  });

  it('has no standard error below two users, and rejects models evaluated on different user sets', () => {
    expect(pairedGain(metric([1, NaN], [1, NaN]), metric([0, 0], [0, 0])).recall20).toEqual({ mean: 1, se: null });
    expect(pairedGain(metric([NaN], [NaN]), metric([0], [0])).recall20).toEqual({ mean: 0, se: null });
    expect(() => pairedGain(metric([1, 2], [1, 2]), metric([1], [1]))).toThrow(/evaluated on 2 and 1 users/);
  });
});
