import { describe, expect, it } from 'vitest';
import { Random } from '../src/data/random.js';
import { agreementReport, kendallTau, pairwiseAgreement } from '../src/tuning/agreement.js';
import { DUEL_SHARE, EarlyStopping, FINAL_SHARE, SEARCH_SHARE, checkEvery, planHalving, rungSeconds, runHalving, type Clock, type Rung } from '../src/tuning/halving.js';
import { budgetWidths, validationCsr } from '../src/tuning/objective.js';
import { defaultKnobs, fixedKnobs, nestedFor, sampleKnobs } from '../src/tuning/space.js';
import { subsampleUsers } from '../src/tuning/tune-backbone.js';
import { userGroupCandidates } from '../src/tuning/tune-groups.js';
import { resolveConfig } from '../src/config.js';

/** A clock that only moves when the toy objective says an evaluation took time. */
function fakeClock(deadline: number): Clock & { advance(s: number): void } {
  let t = 0;
  return { now: () => t, deadline, advance: (s) => void (t += s) };
}

/**
 * A seeded toy objective: candidate k has a true quality −(x_k − 0.37)², and a rung sees it through noise that
 * shrinks with the epochs trained (as a short training is a noisy preview of a long one).
 */
function toy(n: number, seed: number) {
  const r = new Random(seed);
  const x = Array.from({ length: n }, () => r.next());
  const quality = x.map((v) => -((v - 0.37) ** 2));
  const noise = new Random(seed + 1);
  const best = quality.indexOf(Math.max(...quality));
  return { quality, best, observe: (k: number, epochs: number) => quality[k]! + (noise.next() - 0.5) * (0.02 / epochs) };
}

describe('planHalving', () => {
  const base = { budgetSeconds: 1200, secondsPerEpoch: 25, searchFraction: 0.25, maxEpochs: 80, defaultEpochs: 60, maxCandidates: 6, eta: 3 };

  it('fits the final training, the duel and the screen into their shares of the budget', () => {
    for (const secondsPerEpoch of [0.3, 2, 6, 8]) {
      const p = planHalving({ ...base, secondsPerEpoch });
      expect(p.skipped).toBeNull();
      expect(p.estimatedSeconds.search + p.estimatedSeconds.duel + p.estimatedSeconds.final).toBeLessThanOrEqual((FINAL_SHARE + SEARCH_SHARE) * base.budgetSeconds + 1e-9);
      expect(p.estimatedSeconds.search).toBeCloseTo(rungSeconds(p.rungs, secondsPerEpoch), 6);
      expect(p.estimatedSeconds.duel).toBeCloseTo(p.duel!.epochs * secondsPerEpoch, 6);
    }
  });

  it('the last rung trains at least a third of the final epochs on every edge; the screen a third of that', () => {
    for (const secondsPerEpoch of [0.3, 2, 8]) {
      const p = planHalving({ ...base, secondsPerEpoch });
      expect(p.duel!.epochs).toBeGreaterThanOrEqual(p.finalEpochs * DUEL_SHARE);
      expect(p.duel!.epochs % checkEvery(p.finalEpochs)).toBe(0);
      expect(p.rungs).toHaveLength(1);
      expect(p.rungs[0]!.epochs).toBe(Math.round(p.duel!.epochs / 3));
    }
    // a small dataset: 80 epochs, checks every 7, a 28-epoch duel, a screen of 6 candidates × 9 epochs
    const small = planHalving({ ...base, secondsPerEpoch: 0.4, searchFraction: 1 });
    expect([small.finalEpochs, small.duel!.epochs, small.rungs[0]!.candidates, small.rungs[0]!.epochs]).toEqual([80, 28, 6, 9]);
  });

  it('never plans fewer final epochs than the defaults train, and gives up epochs past them before the search', () => {
    // 8 s an epoch: 80 final epochs leave no room for a duel; 72 do (a 24-epoch duel, 3 candidates of 8 epochs)
    const p = planHalving({ ...base, secondsPerEpoch: 8, searchFraction: 1 });
    expect([p.finalEpochs, p.duel!.epochs, p.rungs[0]!.candidates, p.rungs[0]!.epochs]).toEqual([72, 24, 3, 8]);
    for (const secondsPerEpoch of [0.3, 8, 25, 60]) expect(planHalving({ ...base, secondsPerEpoch }).finalEpochs).toBeGreaterThanOrEqual(60);
    // a cap below the defaults' epochs wins (the caller asked for it)
    expect(planHalving({ ...base, secondsPerEpoch: 0.4, maxEpochs: 6 }).finalEpochs).toBe(6);
    expect(planHalving({ ...base, secondsPerEpoch: 0.4, fixedEpochs: 30 }).finalEpochs).toBe(30);
  });

  it('skips the search and keeps the defaults when no meaningful last rung fits, and says why', () => {
    // Gowalla-like, 25 s an epoch: 60 default epochs take 1,500 s of the 1,200
    for (const o of [{}, { budgetSeconds: 30 }, { secondsPerEpoch: 15.45, checkSeconds: 7.3, budgetSeconds: 1367 }]) {
      const p = planHalving({ ...base, ...o });
      expect(p.rungs).toEqual([]);
      expect(p.duel).toBeNull();
      expect(p.finalEpochs).toBe(60);
      expect(p.skipped).toMatch(/cannot afford a last rung of 20 epochs on every edge beside a final training of 60.*the defaults are kept/);
    }
    expect(planHalving({ ...base, secondsPerEpoch: 0.4, maxCandidates: 2 }).skipped).toMatch(/fewer than the defaults and 2 challengers/);
  });
});

describe('runHalving', () => {
  it('picks the best candidate of a seeded toy objective when the budget holds the whole schedule', async () => {
    for (const seed of [1, 2, 3]) {
      const t = toy(12, seed);
      const rungs: Rung[] = [
        { candidates: 12, epochs: 3, edgeFraction: 1 },
        { candidates: 4, epochs: 9, edgeFraction: 1 },
      ];
      const clock = fakeClock(1e9);
      const r = await runHalving(rungs, async (k, rung) => t.observe(k, rungs[rung]!.epochs), clock);
      expect(r.winner).toBe(t.best);
      expect(r.trials.filter((x) => x.rung === 0)).toHaveLength(12);
      expect(r.trials.filter((x) => x.rung === 1).map((x) => x.candidate)).toContain(t.best);
      expect(r.cut).toEqual([]);
    }
  });

  it('starts no evaluation expected to end after the deadline, and promotes from what it evaluated', async () => {
    const t = toy(12, 4);
    const rungs: Rung[] = [
      { candidates: 12, epochs: 3, edgeFraction: 1 },
      { candidates: 4, epochs: 9, edgeFraction: 1 },
    ];
    // each epoch costs 1 s: the whole schedule costs 12·3 + 4·9 = 72 s; the deadline allows 50
    const clock = fakeClock(50);
    const r = await runHalving(
      rungs,
      async (k, rung) => {
        clock.advance(rungs[rung]!.epochs);
        return t.observe(k, rungs[rung]!.epochs);
      },
      clock,
    );
    expect(clock.now()).toBeLessThanOrEqual(50);
    expect(r.trials.filter((x) => x.rung === 0)).toHaveLength(12);
    expect(r.trials.filter((x) => x.rung === 1)).toHaveLength(1);
    expect(r.cut).toEqual([{ rung: 1, evaluated: 1 }]);
    // the one rung-1 trial ran the best of rung 0, and won
    const rung0 = r.trials.filter((x) => x.rung === 0).sort((a, b) => b.score - a.score);
    expect(r.winner).toBe(rung0[0]!.candidate);
  });

  it('with no time at all, evaluates nothing and keeps candidate 0 (the defaults)', async () => {
    const clock = fakeClock(-1);
    const r = await runHalving([{ candidates: 5, epochs: 1, edgeFraction: 1 }], async () => 1, clock);
    expect(r).toEqual({ trials: [], winner: 0, survivors: [], cut: [{ rung: 0, evaluated: 0 }] });
    const kept = await runHalving([{ candidates: 5, epochs: 1, edgeFraction: 1 }], async () => 1, clock, { protect: 0, advance: 2 });
    expect(kept.survivors).toEqual([0]);
  });

  it('always promotes the protected candidate (the defaults), however it scores, beside the best others', async () => {
    const rungs: Rung[] = [
      { candidates: 6, epochs: 3, edgeFraction: 1 },
      { candidates: 3, epochs: 9, edgeFraction: 1 },
    ];
    // candidate 0 is the worst at every rung (a short horizon's bias against a slow learner)
    const score = (k: number, rung: number) => (k === 0 ? -1 : k + rung / 10);
    const r = await runHalving(rungs, async (k, rung) => score(k, rung), fakeClock(1e9), { protect: 0, advance: 2 });
    expect(r.trials.filter((x) => x.rung === 1).map((x) => x.candidate)).toEqual([0, 5, 4]);
    expect(r.survivors).toEqual([0, 5]);
    expect(r.winner).toBe(5);
    expect(r.trials.find((x) => x.rung === 0 && x.candidate === 0)!.promoted).toBe(true);
    // without protection it would have gone out in the first rung
    const open = await runHalving(rungs, async (k, rung) => score(k, rung), fakeClock(1e9), { advance: 2 });
    expect(open.survivors).toEqual([5, 4]);
  });
});

describe('EarlyStopping', () => {
  it('keeps the best epoch and stops after `patience` checks without a better one', () => {
    const s = new EarlyStopping(2);
    const seen = [0.1, 0.3, 0.2, 0.35, 0.34, 0.3].map((v, k) => [s.observe((k + 1) * 5, v), s.stop]);
    expect(seen).toEqual([
      [true, false],
      [true, false],
      [false, false],
      [true, false],
      [false, false],
      [false, true],
    ]);
    expect(s.bestEpoch).toBe(20);
    expect(s.bestScore).toBe(0.35);
  });
});

describe('agreement between validation and test', () => {
  it('Kendall τ-b and pairwise agreement on hand-computed cases', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // one swapped pair of six: (5 − 1) / 6
    expect(kendallTau([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12);
    // a tie in one ranking: τ-b = (C − D) / √((n0 − t_a)(n0 − t_b)) = 2 / √(3 · 2)
    expect(kendallTau([1, 2, 3], [1, 1, 3])).toBeCloseTo(2 / Math.sqrt(6), 12);
    expect(kendallTau([1, 1], [2, 2])).toBeNull();
    expect(pairwiseAgreement([1, 2, 3, 4], [1, 3, 2, 4])).toEqual({ pairs: 6, agree: 5 });
    // validation ties are not decisions
    expect(pairwiseAgreement([1, 1, 2], [0, 5, 9])).toEqual({ pairs: 2, agree: 2 });
  });

  it('pools the decisions that have test figures, and says whether each winner is test’s', () => {
    const ev = (v: number, t?: number) => ({ validation: { score: v, levels: [] }, ...(t === undefined ? {} : { test: { score: t, levels: [] } }) });
    const r = agreementReport([
      { decision: 'rung 0', options: [ev(0.1, 0.2), ev(0.3, 0.1), ev(0.2, 0.3)] },
      { decision: 'smoothing', options: [ev(0.5, 0.5), ev(0.4, 0.4)] },
      { decision: 'userGroups', options: [ev(0.5)] },
    ]);
    expect(r.decisions.map((d) => [d.decision, d.pairs, d.agree, d.winnerAgrees])).toEqual([
      ['rung 0', 3, 1, false],
      ['smoothing', 1, 1, true],
    ]);
    expect(r).toMatchObject({ pairs: 4, agree: 2, share: 0.5, winnersAgree: 1, decisionsCompared: 2 });
  });
});

describe('search space and objective levels', () => {
  it('the budgets’ prefix widths follow the narrowest exported encoding', () => {
    expect(budgetWidths(128, 8, [0.5, 0.2, 0.1, 0.05], ['f32', 'f16'])).toEqual([128, 48, 24, 8]);
    expect(budgetWidths(128, 8, [0.5, 0.2, 0.1, 0.05], ['f32', 'f16', 'i8'])).toEqual([128, 96, 48, 24]);
    // f32 at 5 % holds less than one block of every item: no width
    expect(budgetWidths(128, 8, [0.5, 0.2, 0.1, 0.05], ['f32'])).toEqual([128, 64, 24, 8]);
    expect(nestedFor('budgets', [8, 16, 32, 64], [128, 48, 24, 8], 128)).toEqual([8, 24, 48]);
    expect(nestedFor('both', [8, 16, 32, 64], [128, 48, 24, 8], 128)).toEqual([8, 16, 24, 32, 48, 64]);
  });

  it('candidates keep every knob the caller fixed, and vary the others', () => {
    const partial = { backbone: { diversity: 0, temperature: 0.08 }, userGroups: 4 };
    const fixed = fixedKnobs(partial);
    expect(fixed).toEqual({ diversity: 'backbone.diversity', temperature: 'backbone.temperature', userGroups: 'userGroups' });
    const base = defaultKnobs(resolveConfig(partial, { kind: 'lightgcn', dir: '.' }));
    const r = new Random(9);
    const draws = Array.from({ length: 20 }, () => sampleKnobs(r, base, new Set(Object.keys(fixed))));
    for (const k of draws) expect(k).toMatchObject({ diversity: 0, temperature: 0.08 });
    expect(new Set(draws.map((k) => k.lr)).size).toBe(20);
    for (const k of draws) expect(k.fullTemperature / k.temperature).toBeGreaterThanOrEqual(0.49);
    expect(userGroupCandidates(resolveConfig(partial), 1000, true)).toEqual([4]);
    // 1,011 users: C = 16 leaves 63 users a group (≥ 50), C = 32 would not
    expect(userGroupCandidates(resolveConfig({ tuning: { userGroups: [8, 1, 32, 16, 8] } }), 1011, false)).toEqual([8, 1, 16]);
  });

  it('a user subsample keeps whole rows until it holds the edges asked for, the same for the same seed', () => {
    const rows = Array.from({ length: 100 }, (_, u) => Array.from({ length: 1 + (u % 7) }, (_, k) => k));
    const indptr = Uint32Array.from([0, ...rows.map((_, u) => rows.slice(0, u + 1).flat().length)]);
    const csr = { indptr, indices: Uint32Array.from(rows.flat()) };
    const s = subsampleUsers(csr, 150, 3)!;
    expect(s.csr.indices.length).toBeGreaterThanOrEqual(150);
    expect(s.csr.indices.length).toBeLessThan(150 + 7);
    for (const u of s.users) expect(s.csr.indptr[u + 1]! - s.csr.indptr[u]!).toBe(1 + (u % 7));
    expect(subsampleUsers(csr, 150, 3)!.users).toEqual(s.users);
    expect(subsampleUsers(csr, 10_000, 3)).toBeNull();
  });

  it('the validation edges become a CSR over every user, rows sorted', () => {
    const v = { inner: { indptr: new Uint32Array(4), indices: new Uint32Array(0) }, valUsers: Uint32Array.of(0, 0, 2), valItems: Uint32Array.of(5, 1, 3) };
    expect(validationCsr(v)).toEqual({ indptr: Uint32Array.of(0, 2, 2, 3), indices: Uint32Array.of(1, 5, 3) });
  });
});
