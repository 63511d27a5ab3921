import { describe, expect, it } from 'vitest';
import { CheckPace, PASS_COST, RESERVE_MARGIN, evaluateInTime, evaluationPasses, evaluationReserve, tuningEnd } from '../src/tuning/deadline.js';
import { FINAL_SHARE, SEARCH_SHARE, finalChecks, planHalving, rungSeconds, type Clock } from '../src/tuning/halving.js';

/** Gowalla as recorded: 29,858 test users; a validation check of 4 widths over ~9,000 users took ~10 s. */
const GOWALLA = { testUsers: 29_858, valUsers: 9_000, widths: 4, checkSeconds: 10, secondsPerEpoch: 25, searchFraction: 0.25 };

/** What `tune` plans on a machine of this speed: the reserve from the pace, the end, then the plan for the rest. */
function pipelinePlan(o: { timeBudget: number; elapsed: number; checkSeconds: number; secondsPerEpoch: number }) {
  const pace = new CheckPace();
  pace.observe(o.checkSeconds, GOWALLA.valUsers, GOWALLA.widths);
  const reserve = evaluationReserve({ perUserLevel: pace.perUserLevel, testUsers: GOWALLA.testUsers, passes: evaluationPasses(4, true) });
  const end = tuningEnd({ start: 0, pipelineDeadline: o.timeBudget, reserve });
  const plan = planHalving({
    budgetSeconds: end - o.elapsed,
    secondsPerEpoch: o.secondsPerEpoch,
    searchFraction: GOWALLA.searchFraction,
    maxEpochs: 80,
    defaultEpochs: 60,
    checkSeconds: pace.check(GOWALLA.valUsers, GOWALLA.widths),
    maxCandidates: 6,
    eta: 3,
  });
  return { reserve, end, plan };
}

function fakeClock(deadline: number): Clock & { advance(s: number): void } {
  let t = 0;
  return { now: () => t, deadline, advance: (s) => void (t += s) };
}

describe('the pipeline deadline', () => {
  it('counts the evaluation passes train runs after tuning', () => {
    // f32, f16, i8, backbone; then 4 a budget
    expect(evaluationPasses(4, true)).toBe(20);
    expect(evaluationPasses(2, false)).toBe(11);
  });

  it('estimates the reserve from the measured pace of checks, scaled to the test users and the passes', () => {
    const pace = new CheckPace();
    expect(pace.perUserLevel).toBe(0);
    pace.observe(10, 9_000, 4);
    pace.observe(14, 9_000, 4);
    expect(pace.perUserLevel).toBeCloseTo(24 / 72_000, 12);
    expect(pace.check(9_000, 4)).toBeCloseTo(12, 9);
    const reserve = evaluationReserve({ perUserLevel: pace.perUserLevel, testUsers: 29_858, passes: 20 });
    expect(reserve).toBeCloseTo(RESERVE_MARGIN * PASS_COST * (24 / 72_000) * 29_858 * 20, 6);
    // twice the test users, or a machine twice as slow: twice the reserve
    expect(evaluationReserve({ perUserLevel: pace.perUserLevel, testUsers: 59_716, passes: 20 })).toBeCloseTo(2 * reserve, 6);
    expect(evaluationReserve({ perUserLevel: 2 * pace.perUserLevel, testUsers: 29_858, passes: 20 })).toBeCloseTo(2 * reserve, 6);
    // on the recorded Gowalla pace it covers the recorded evaluation and export (435 + 4 s), with a margin
    const gowalla = evaluationReserve({ perUserLevel: 10 / 36_000, testUsers: 29_858, passes: 20 });
    expect(gowalla).toBeGreaterThan(439);
    expect(gowalla).toBeLessThan(600);
  });

  it('ends tuning at the deadline less the reserve, or at the cap when that is sooner', () => {
    expect(tuningEnd({ start: 100, pipelineDeadline: 1_900, reserve: 500 })).toBe(1_400);
    expect(tuningEnd({ start: 100, pipelineDeadline: 1_900, reserve: 500, capSeconds: 600 })).toBe(700);
    expect(tuningEnd({ start: 100, pipelineDeadline: 1_900, reserve: 500, capSeconds: 5_000 })).toBe(1_400);
  });

  it('given an uncontended Gowalla speed, the screen, the duel and the final training leave the reserve for evaluation', () => {
    // 11 s an epoch, 6 s a check: 4 candidates × 8 epochs on a quarter of the edges, a 24-epoch duel, 72 final epochs
    const { reserve, end, plan } = pipelinePlan({ timeBudget: 1_800, elapsed: 40, checkSeconds: 6, secondsPerEpoch: 11 });
    expect(plan.skipped).toBeNull();
    expect([plan.rungs[0]!.candidates, plan.rungs[0]!.epochs, plan.duel!.epochs, plan.finalEpochs]).toEqual([4, 8, 24, 72]);
    const spent = 40 + plan.estimatedSeconds.search + plan.estimatedSeconds.duel + plan.estimatedSeconds.final;
    expect(spent + reserve).toBeLessThanOrEqual(1_800);
    expect(end + reserve).toBeCloseTo(1_800, 9);
    // the user-group stage keeps its share before the reserve
    expect(spent).toBeLessThanOrEqual(40 + (FINAL_SHARE + SEARCH_SHARE) * (end - 40) + 1e-9);
  });

  it('the recorded, contended Gowalla speed (15.5 s an epoch) affords no meaningful last rung: the defaults are kept', () => {
    const { plan } = pipelinePlan({ timeBudget: 1_800, elapsed: 40, checkSeconds: 7.3, secondsPerEpoch: 15.45 });
    expect(plan.rungs).toEqual([]);
    expect(plan.duel).toBeNull();
    expect(plan.finalEpochs).toBe(60);
    expect(plan.skipped).toMatch(/the defaults are kept/);
  });

  it('a slow machine keeps a larger reserve; it never trains the defaults fewer epochs than untuned', () => {
    const fast = pipelinePlan({ timeBudget: 1_800, elapsed: 40, checkSeconds: 10, secondsPerEpoch: 25 });
    const slow = pipelinePlan({ timeBudget: 1_800, elapsed: 40, checkSeconds: 20, secondsPerEpoch: 50 });
    expect(slow.reserve).toBeCloseTo(2 * fast.reserve, 6);
    expect(slow.end).toBeLessThan(fast.end);
    // the final training's own deadline (tune-backbone) ends such a run early, not the plan
    for (const p of [fast, slow]) expect([p.plan.finalEpochs, p.plan.rungs.length, p.plan.duel]).toEqual([60, 0, null]);
  });
});

describe("planHalving counts the final training's validation checks", () => {
  const base = { budgetSeconds: 1200, secondsPerEpoch: 25, searchFraction: 0.25, maxEpochs: 80, defaultEpochs: 20, maxCandidates: 6, eta: 3 };

  it('checks every round(epochs / 12) epochs and at the last', () => {
    expect([1, 5, 12, 24, 25, 28, 80].map(finalChecks)).toEqual([1, 5, 12, 12, 13, 14, 12]);
  });

  it('fits the epochs and their checks into the final share', () => {
    // 10 s a check: 28 epochs would check 14 times (840 s of the 720); 24 epochs check 12 times, 720 s exactly
    const p = planHalving({ ...base, checkSeconds: 10 });
    expect(p.finalEpochs).toBe(24);
    expect(p.estimatedSeconds.final).toBe(24 * 25 + 12 * 10);
    expect(p.estimatedSeconds.final).toBeLessThanOrEqual(FINAL_SHARE * base.budgetSeconds);
    expect(p.estimatedSeconds.search).toBeCloseTo(rungSeconds(p.rungs, 25), 9);
    expect(p.estimatedSeconds.search + p.estimatedSeconds.duel + p.estimatedSeconds.final).toBeLessThanOrEqual((FINAL_SHARE + SEARCH_SHARE) * base.budgetSeconds);
    // fixed epochs run no checks: nothing to count
    expect(planHalving({ ...base, checkSeconds: 10, fixedEpochs: 28 }).estimatedSeconds.final).toBe(28 * 25);
  });
});

describe('evaluateInTime (the β grid, the user-group counts)', () => {
  it('stops at the deadline, keeping what it evaluated, and says it stopped for time', async () => {
    const clock = fakeClock(45);
    const grid = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1];
    const r = await evaluateInTime(
      grid,
      async (beta) => {
        clock.advance(10);
        return { beta, score: -((beta - 0.3) ** 2) };
      },
      clock,
      () => 10,
    );
    // starts at 0, 10, 20, 30 end by 40; the fifth would end at 50
    expect(r.done.map((x) => x.beta)).toEqual([0, 0.05, 0.1, 0.15]);
    expect(r.stoppedForTime).toBe(true);
    expect(clock.now()).toBeLessThanOrEqual(45);
  });

  it('starts nothing when even the first would end late, and runs everything when time allows', async () => {
    const late = await evaluateInTime(
      [1, 2],
      async (v) => v,
      fakeClock(5),
      () => 10,
    );
    expect(late).toEqual({ done: [], stoppedForTime: true });
    const all = await evaluateInTime(
      [1, 2],
      async (v) => v,
      fakeClock(1e9),
      () => 10,
    );
    expect(all).toEqual({ done: [1, 2], stoppedForTime: false });
  });
});
