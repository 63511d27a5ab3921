import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { BYTES_PER_VALUE, totalSize } from '../src/harness/index.js';
import { readyBackend } from '../src/methods/bet/predictor.js';
import { userSizesBySample } from '../src/methods/ciess/index.js';
import { budgetValues } from '../src/methods/bet/sampler.js';
import { projectBoth, projectSizes, scaleOntoBudget } from '../src/methods/ciess/project.js';
import { CIESS_DEFAULTS, checkCiessSettings, defaultLambdaRule } from '../src/methods/ciess/settings.js';
import { itemQuality, itemValidationUsers, userQuality } from '../src/methods/ciess/quality.js';
import { createTd3, reward, STATE_WIDTH, td3Target } from '../src/methods/ciess/td3.js';
import { neighbour, noisyStarts, randomWalk } from '../src/methods/ciess/walk.js';

const nonIncreasing = (a: ArrayLike<number>) => Array.from(a).every((v, i, x) => i === 0 || v <= x[i - 1]!);

describe('CIESS assignments scaled onto the budget before evaluation', () => {
  const rng = new Random(4);
  const items = Uint16Array.from({ length: 400 }, () => 1 + rng.int(128));
  const users = Uint16Array.from({ length: 50 }, () => 1 + rng.int(20));

  it.each([0.02, 0.1, 0.5])('holds exactly the budget’s values at %s and keeps which entity is larger', (fraction) => {
    const capacity = Math.floor(fraction * 450 * 128);
    const [i, u] = scaleOntoBudget([items, users], 128, capacity);
    expect(totalSize(i!) + totalSize(u!)).toBe(capacity);
    const [before, after] = [
      [...items, ...users],
      [...i!, ...u!],
    ];
    for (let a = 0; a < before.length; a += 7) for (let b = 0; b < before.length; b += 5) if (before[a]! > before[b]!) expect(after[a]!).toBeGreaterThanOrEqual(after[b]!);
    expect(after.every((d) => d >= 1 && d <= 128)).toBe(true);
  });

  it('grows an assignment below the budget, as it shrinks one above it', () => {
    const small = new Uint16Array(100).fill(2);
    expect(totalSize(scaleOntoBudget([small], 128, 1000)[0]!)).toBe(1000);
    expect(scaleOntoBudget([small], 128, 100 * 128 + 5)[0]!.every((d) => d === 128)).toBe(true);
  });

  it('refuses a budget below one value a row', () => {
    expect(() => scaleOntoBudget([items], 128, 399)).toThrow(/cannot hold 400 rows/);
  });
});

describe('CIESS projection onto the budget', () => {
  // Searched sizes out of frequency order, far over the budget.
  const rng = new Random(3);
  const searched = Uint16Array.from({ length: 500 }, () => 1 + rng.int(128));

  it.each([
    ['f32', 0.05],
    ['f16', 0.1],
    ['f16', 0.2],
  ] as const)('meets a %s budget of %s exactly (within one value, never over) and keeps frequency order', (dtype, fraction) => {
    const budgetBytes = Math.floor(fraction * 500 * 128 * 4);
    const p = projectSizes(searched, { accounting: 'device', dim: 128, nItems: 500, budgetBytes, dtype });
    const bytes = totalSize(p.sizesByPosition) * BYTES_PER_VALUE[dtype];
    expect(p.bytes).toBe(bytes);
    expect(bytes).toBeLessThanOrEqual(budgetBytes);
    expect(budgetBytes - bytes).toBeLessThan(BYTES_PER_VALUE[dtype]);
    expect(nonIncreasing(p.sizesByPosition)).toBe(true);
    expect(Math.min(...p.sizesByPosition)).toBeGreaterThanOrEqual(1);
  });

  it('keeps the searched shape: a larger searched size never gets a smaller projected one', () => {
    const p = projectSizes(Uint16Array.of(10, 100, 10, 50), { accounting: 'device', dim: 128, nItems: 4, budgetBytes: 85 * 4, dtype: 'f32' });
    // sorted 100, 50, 10, 10 scaled by c ≈ 0.5 (85 values): the most frequent position gets the largest
    expect(Array.from(p.sizesByPosition)).toEqual([50, 25, 5, 5]);
  });

  it('splits the papers’ joint budget by the searched totals and meets it exactly', () => {
    const users = Uint16Array.from({ length: 300 }, () => 1 + rng.int(128));
    const b = { accounting: 'paper' as const, dim: 128, nItems: 500, nUsers: 300, sparsity: 0.9 };
    const p = projectBoth(searched, users, b);
    expect(totalSize(p.items) + totalSize(p.users)).toBe(budgetValues(b));
    expect(p.itemValues + p.userValues).toBe(budgetValues(b));
    expect(nonIncreasing(p.items) && nonIncreasing(p.users)).toBe(true);
    const share = totalSize(users) / (totalSize(users) + totalSize(searched));
    expect(p.userValues / budgetValues(b)).toBeCloseTo(share, 2);
  });
});

describe('CIESS random walk', () => {
  const o = { dim: 128, sigma: 6, steps: 5, threshold: 5 };

  it('neighbours are the other sizes within the threshold, inside [1, d_max]', () => {
    const rng = new Random(1);
    const seen = new Set<number>();
    for (let k = 0; k < 2000; k++) seen.add(neighbour(3, 5, 128, rng));
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    for (let k = 0; k < 200; k++) expect(neighbour(128, 5, 128, rng)).toBeGreaterThanOrEqual(123);
  });

  it('returns the critic-best of the nodes walked, each step within the threshold of the last', () => {
    const rng = new Random(7);
    const n = 200;
    const states = new Float32Array(n * STATE_WIDTH).map(() => rng.next());
    const starts = Uint16Array.from({ length: n }, () => 1 + rng.int(128));
    // A critic with no structure the walk could exploit: a fixed random score per (entity, size).
    const table = new Float32Array(n * 129).map(() => rng.next());
    let calls = 0;
    const critic = (st: Float32Array, a: Float32Array) => {
      calls++;
      expect(a.length).toBe(n * 6);
      return Float32Array.from(a, (size, row) => {
        const entity = Math.floor(row / 6);
        // the state passed with each candidate is its entity's
        expect(st[row * STATE_WIDTH]).toBe(states[entity * STATE_WIDTH]);
        return table[entity * 129 + size]!;
      });
    };
    const w = randomWalk(states, starts, o, critic, rng);
    expect(calls).toBe(1);
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const path = Array.from(w.visited.subarray(i * 6, (i + 1) * 6));
      expect(path[0]).toBe(starts[i]);
      for (let k = 1; k < 6; k++) {
        expect(Math.abs(path[k]! - path[k - 1]!)).toBeGreaterThanOrEqual(1);
        expect(Math.abs(path[k]! - path[k - 1]!)).toBeLessThanOrEqual(5);
      }
      const best = path.reduce((b, d) => (table[i * 129 + d]! > table[i * 129 + b]! ? d : b), path[0]!);
      expect(w.sizes[i]).toBe(best);
      if (w.sizes[i] !== starts[i]) moved++;
    }
    // the walk's choice is not just the start (5 of 6 random candidates beat it most of the time)
    expect(moved).toBeGreaterThan(n / 2);
  });

  it('without the walk, the noisy start is the action and the critic is not asked', () => {
    const rng = new Random(2);
    const starts = noisyStarts(Float32Array.of(1, 64, 128, 40.4), o, rng);
    for (const d of starts) expect(d >= 1 && d <= 128 && Number.isInteger(d)).toBe(true);
    const w = randomWalk(
      new Float32Array(4 * STATE_WIDTH),
      starts,
      { ...o, steps: 0 },
      () => {
        throw new Error('critic called');
      },
      rng,
    );
    expect(Array.from(w.sizes)).toEqual(Array.from(starts));
  });

  it('Gaussian exploration has σ = 6 in size units', () => {
    const rng = new Random(4);
    const starts = noisyStarts(new Float32Array(20000).fill(64), o, rng);
    const mean = totalSize(starts) / starts.length;
    const sd = Math.sqrt(starts.reduce((s, d) => s + (d - mean) ** 2, 0) / starts.length);
    expect(mean).toBeCloseTo(64, 0);
    expect(sd).toBeGreaterThan(5.7);
    expect(sd).toBeLessThan(6.3);
  });
});

describe('CIESS reward, quality and TD3', () => {
  beforeAll(readyBackend);

  it('reward is q − λ (d / d_max)²', () => {
    expect(reward(0.9, 64, 128, 0.5)).toBeCloseTo(0.9 - 0.5 * 0.25, 12);
    expect(reward(1, 128, 128, 2)).toBeCloseTo(-1, 12);
    expect(reward(0.4, 0, 128, 3)).toBeCloseTo(0.4, 12);
  });

  it('the critic target takes the smaller of the twin target critics, and no bootstrap at the end', () => {
    const y = tf.tidy(() => td3Target(tf.tensor1d([1, 1, 0.5]), tf.tensor1d([0, 0, 1]), tf.tensor1d([2, 5, 9]), tf.tensor1d([3, 4, 9]), 0.5).dataSync());
    expect(Array.from(y)).toEqual([1 + 0.5 * 2, 1 + 0.5 * 4, 0.5]);
  });

  it('an item’s q is its validation users’ summed eval ratio, capped at 1; a user’s its own', () => {
    // users 0..3 ranked; item 0 seen by users 0 and 1, item 1 by user 2 (held out), item 2 by nobody sampled
    const csr = (rows: number[][]) => ({ indptr: Uint32Array.from([0, ...rows.map((_, u) => rows.slice(0, u + 1).flat().length)]), indices: Uint32Array.from(rows.flat()) });
    const index = itemValidationUsers(Uint32Array.of(0, 1, 2, 3), csr([[0], [0], [], [], [2]]), csr([[], [], [1], [], []]), 3);
    const full = Float32Array.of(0.4, 0.2, 0.5, 0, Number.NaN);
    const masked = Float32Array.of(0.2, 0.1, 0.6, 0, Number.NaN);
    const q = itemQuality(index, masked, full);
    expect(q[0]).toBeCloseTo(0.3 / 0.6, 6);
    expect(q[1]).toBe(1); // 0.6 / 0.5, capped
    expect(q[2]).toBeCloseTo(0.9 / 1.1, 6); // no sampled user: the table's ratio
    const u = userQuality(masked, full);
    expect(Array.from(u.subarray(0, 4))).toEqual([0.5, 0.5, 1, 1]); // eval(E) = 0: nothing lost
    expect(u[4]).toBeCloseTo(0.9 / 1.1, 6);
  });

  it('TD3 learns a reward that favours small sizes', async () => {
    const dim = 128;
    const agent = await createTd3({ dim, hidden: 32, lr: 3e-3, gamma: 0, tau: 0.05, policyDelay: 2, targetNoise: 6, targetClip: 12, capacity: 10000, seed: 5 });
    const rng = new Random(11);
    // q is 1 whatever the size: the best action under r = q − λ (d/d_max)² is d = 1.
    const n = 512;
    const states = new Float32Array(n * STATE_WIDTH).map((_, j) => (j % STATE_WIDTH === 2 ? 1 : rng.next()));
    const actions = Float32Array.from({ length: n }, () => 1 + rng.int(dim));
    const next = states.slice();
    for (let i = 0; i < n; i++) next[i * STATE_WIDTH + 1] = actions[i]! / dim;
    agent.remember({ states, actions, nextStates: next, done: new Float32Array(n).fill(1) });
    const before = agent.act(states.subarray(0, 64 * STATE_WIDTH));
    for (let k = 0; k < 200; k++) agent.update(1, 64, rng);
    const after = agent.act(states.subarray(0, 64 * STATE_WIDTH));
    const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(after)).toBeLessThan(mean(before) - 20);
    expect(agent.updates).toBe(200);
    agent.dispose();
  }, 300_000); // 200 tfjs updates on 2 busy cores
});

describe('CIESS user sizes by validation sample (papers’ accounting diagnostic)', () => {
  it('averages the served sizes of the sampled users apart from the rest, by user index through the rank order', () => {
    // ranks 0..3 hold users 3, 0, 2, 1; users 0 and 2 are sampled
    const sizes = Uint16Array.of(10, 20, 30, 40);
    const order = Uint32Array.of(3, 0, 2, 1);
    expect(userSizesBySample(sizes, order, Uint32Array.of(0, 2))).toEqual({ validationSample: 25, others: 25 });
    expect(userSizesBySample(sizes, order, Uint32Array.of(3))).toEqual({ validationSample: 10, others: 30 });
    expect(userSizesBySample(sizes, order, new Uint32Array(0))).toEqual({ validationSample: 0, others: 25 });
  });
});

describe('CIESS settings', () => {
  const valid = { ...CIESS_DEFAULTS, retrainEpochs: 4, lambdaRule: 'episode' as const };
  it('takes either λ rule, and refuses another, naming it', () => {
    expect(checkCiessSettings({ ...valid, lambdaRule: 'iteration' }).lambdaRule).toBe('iteration');
    expect(checkCiessSettings(valid).lambdaRule).toBe('episode');
    expect(() => checkCiessSettings({ ...valid, lambdaRule: 'sometimes' as never })).toThrow(/lambdaRule must be episode or iteration, got sometimes/);
    expect(() => checkCiessSettings({ ...valid, lambdaRule: undefined as never })).toThrow(/lambdaRule must be episode or iteration, got undefined/);
  });
  it('defaults λ to move every iteration in the device accounting and between episodes in the papers’', () => {
    expect(defaultLambdaRule('device')).toBe('iteration');
    expect(defaultLambdaRule('paper')).toBe('episode');
  });
});
