import { describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { StreamBudgetError } from '../src/stream/errors.js';
import { createSac, sacTarget } from '../src/stream/sac.js';
import { actionOfAlpha, alphaOf, assertBudget, frequencySizes, powerLawSizes, randomSizes, shareOf, type SizingContext, splitBudget, uniformSizes } from '../src/stream/sizes.js';
import { fixedAction } from '../src/stream/methods.js';
import { buildState, FREQUENCY_GROUPS, poolFrequencies, STATE_LENGTH } from '../src/stream/state.js';

function context(nUsers: number, nItems: number, budget: number, dMax = 64, seed = 1): SizingContext {
  const rng = new Random(seed);
  // long-tailed counts, some zeros (entities absent from the segment)
  const counts = (n: number) => Float64Array.from({ length: n }, () => Math.floor(rng.next() ** 4 * 50));
  return { segment: 3, budget, dMax, userFreq: counts(nUsers), itemFreq: counts(nItems) };
}

const sum = (a: Uint16Array) => a.reduce((x, y) => x + y, 0);

describe('SCALL sizes: the budget is met exactly after clipping', () => {
  it.each([
    { nUsers: 500, nItems: 300, budget: 12_345, action: { userShare: 0.5, userAlpha: 0.4, itemAlpha: 0.4 } },
    // α = 30 on both sides: almost all weight on rank 0, clipped at d_max, the rest at 1
    { nUsers: 500, nItems: 300, budget: 9_001, action: { userShare: 0.9, userAlpha: 1, itemAlpha: 1 } },
    // α = 0.1: nearly flat, the floor leaves hundreds of values over
    { nUsers: 1000, nItems: 2000, budget: 17_777, action: { userShare: 0.01, userAlpha: 0, itemAlpha: 0 } },
    // a budget of one value a row
    { nUsers: 40, nItems: 60, budget: 100, action: { userShare: 0.3, userAlpha: 0.5, itemAlpha: 0.5 } },
  ])('$nUsers users, $nItems items, budget $budget, $action', ({ nUsers, nItems, budget, action }) => {
    const c = context(nUsers, nItems, budget);
    const a = powerLawSizes(c, action);
    expect(sum(a.users) + sum(a.items)).toBe(budget);
    expect(sum(a.users)).toBe(a.userValues);
    for (const d of [...a.users, ...a.items]) {
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThanOrEqual(64);
    }
    // sizes follow frequency: the most frequent user is at least as large as the least frequent
    const order = Array.from({ length: nUsers }, (_, i) => i).sort((x, y) => c.userFreq[y]! - c.userFreq[x]! || x - y);
    for (let r = 1; r < order.length; r++) expect(a.users[order[r]!]!).toBeLessThanOrEqual(a.users[order[r - 1]!]!);
  });

  it('the baselines meet the same budget exactly', () => {
    const c = context(700, 400, 20_000);
    for (const a of [uniformSizes(c), frequencySizes(c), randomSizes(c, new Random(4))]) expect(sum(a.users) + sum(a.items)).toBe(20_000);
    // uniform: one size (and the leftover one value more on the first rows)
    const u = uniformSizes(c);
    expect(Math.max(...u.items) - Math.min(...u.items)).toBeLessThanOrEqual(1);
  });

  it('assertBudget throws on a total off by one, and a catalog larger than the budget is refused', () => {
    const c = context(10, 10, 100);
    const a = powerLawSizes(c, { userShare: 0.5, userAlpha: 0.5, itemAlpha: 0.5 });
    a.items[0]! -= 1;
    expect(() => assertBudget(c, a)).toThrow(StreamBudgetError);
    expect(() => powerLawSizes(context(100, 100, 150), { userShare: 0.5, userAlpha: 0.5, itemAlpha: 0.5 })).toThrow(/outgrown the budget/);
  });

  it('splitBudget moves the users’ share into the range where both sides fit', () => {
    expect(splitBudget(1000, 10, 10, 64, 0.5)).toEqual({ users: 500, items: 500 });
    expect(splitBudget(1000, 10, 10, 64, 0.99)).toEqual({ users: 640, items: 360 });
    expect(splitBudget(1000, 10, 10, 64, 0)).toEqual({ users: 360, items: 640 });
  });

  it('α spans [0.1, 30], log-linear on each half, with the centre of the action at α = 1', () => {
    expect(alphaOf(0)).toBeCloseTo(0.1, 10);
    expect(alphaOf(1)).toBeCloseTo(30, 10);
    expect(alphaOf(0.5)).toBeCloseTo(1, 10);
    expect(alphaOf(0.25)).toBeCloseTo(Math.sqrt(0.1), 10);
    expect(alphaOf(0.75)).toBeCloseTo(Math.sqrt(30), 10);
    for (const alpha of [0.1, 0.3, 1, 2.5, 30]) expect(alphaOf(actionOfAlpha(alpha))).toBeCloseTo(alpha, 10);
  });

  it('the users’ share is centred on the row-count split and still reaches every split', () => {
    expect(shareOf(0.5, 0.3)).toBeCloseTo(0.3, 10);
    expect(shareOf(0.5, 0.8)).toBeCloseTo(0.8, 10);
    expect(shareOf(0.9, 0.3)).toBeGreaterThan(0.3);
    expect(shareOf(0.1, 0.3)).toBeLessThan(0.3);
    expect(shareOf(0, 0.3)).toBeLessThan(1e-6);
    expect(shareOf(1, 0.3)).toBeGreaterThan(1 - 1e-6);
  });

  it('the centre of the action space is the fixed ablation: the row-count split and α = 1 on both sides', () => {
    const c = context(500, 300, 12_345);
    const centre = powerLawSizes(c, { userShare: 0.5, userAlpha: 0.5, itemAlpha: 0.5 });
    expect(centre.userValues).toBe(splitBudget(12_345, 500, 300, c.dMax, 500 / 800).users);
    expect(centre).toEqual(powerLawSizes(c, fixedAction()));
  });
});

describe('SCALL state: fixed length for any number of users and items', () => {
  it.each([0, 1, 3, 10, 1234, 50_000])('%i users and items', (n) => {
    const dim = 16;
    const rng = new Random(n);
    const s = buildState({
      userFreq: Float64Array.from({ length: n }, () => rng.int(30)),
      itemFreq: Float64Array.from({ length: 2 * n }, () => rng.int(30)),
      lastReward: 0.7,
      users: Float32Array.from({ length: n * dim }, () => rng.normal()),
      items: Float32Array.from({ length: 2 * n * dim }, () => rng.normal()),
      dim,
      dMax: dim,
      userSizes: new Uint16Array(n).fill(4),
    });
    expect(s.length).toBe(STATE_LENGTH);
    for (const v of s) expect(Number.isFinite(v)).toBe(true);
    expect(s[2 * FREQUENCY_GROUPS]).toBeCloseTo(0.7, 6);
  });

  it('pools min-max normalised frequencies, sorted largest first, into equal groups', () => {
    expect(Array.from(poolFrequencies([5, 1, 3, 1], 2))).toEqual([0.75, 0]);
    // fewer values than groups: each group takes the value at its slice's start
    expect(Array.from(poolFrequencies([2, 4], 4))).toEqual([1, 1, 0, 0]);
  });
});

describe('SAC', () => {
  it('the target takes the smaller twin critic and subtracts α log π, discounted, unless done', () => {
    const y = sacTarget([1, 1, 2], [0, 0, 1], [5, 3, 9], [4, 6, 9], [-1, 2, 7], 0.99, 0.2);
    expect(y[0]).toBeCloseTo(1 + 0.99 * (4 - 0.2 * -1), 5);
    expect(y[1]).toBeCloseTo(1 + 0.99 * (3 - 0.2 * 2), 5);
    expect(y[2]).toBeCloseTo(2, 6);
  });

  it('acts in (0, 1)^3, repeatably for a seed, and updates from its buffer with finite losses', async () => {
    const make = () => createSac({ stateDim: 5, actionDim: 3, seed: 3, batch: 8 });
    const [a, b] = [await make(), await make()];
    const s = Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5);
    const x = a.act(s, false);
    expect(x.length).toBe(3);
    for (const v of x) expect(v > 0 && v < 1).toBe(true);
    expect(Array.from(b.act(s, false))).toEqual(Array.from(x));
    for (let k = 0; k < 10; k++) a.buffer.push({ state: s, action: a.act(s, false), reward: k / 10, next: s, done: k === 9 });
    const l = a.update(5);
    expect(Number.isFinite(l.critic) && Number.isFinite(l.actor)).toBe(true);
    a.dispose();
    b.dispose();
  });
});
