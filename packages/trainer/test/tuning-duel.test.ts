import { describe, expect, it } from 'vitest';
import type { Embeddings } from '../src/backbone/index.js';
import { Random } from '../src/data/random.js';
import { MARGIN_SE, duelVerdict } from '../src/tuning/duel.js';
import { FinalRun } from '../src/tuning/final-run.js';
import type { PerUserScores } from '../src/tuning/objective.js';

const scores = (users: number[], score: number[]): PerUserScores => ({ users: Uint32Array.from(users), score: Float64Array.from(score) });

/** n users whose defaults score `base` and whose challenger scores `base + gain + noise` (seeded). */
function paired(n: number, gain: number, noise: number, seed: number) {
  const r = new Random(seed);
  const users = Array.from({ length: n }, (_, u) => u);
  const base = users.map(() => r.next());
  return {
    defaults: scores(users, base),
    challenger: scores(
      users,
      base.map((b) => b + gain + (r.next() - 0.5) * noise),
    ),
  };
}

describe('duelVerdict (the last rung keeps the defaults unless the challenger wins by 2 paired SE)', () => {
  it.each([
    // gain, noise: what the verdict keeps
    { gain: 0.05, noise: 0.1, kept: 'challenger' },
    { gain: 0.002, noise: 0.5, kept: 'defaults' },
    { gain: 0, noise: 0.1, kept: 'defaults' },
    { gain: -0.05, noise: 0.1, kept: 'defaults' },
  ] as const)('gain $gain with noise $noise over 400 users: keeps the $kept', ({ gain, noise, kept }) => {
    const { defaults, challenger } = paired(400, gain, noise, 7);
    const v = duelVerdict(defaults, challenger, 20);
    expect(v.kept).toBe(kept);
    expect(v.users).toBe(400);
    expect(v.horizonEpochs).toBe(20);
    expect(v.margin).toBe(MARGIN_SE);
    expect(v.challengerScore - v.defaultScore).toBeCloseTo(v.meanGain, 12);
    expect(v.meanGain > MARGIN_SE * v.standardError).toBe(kept === 'challenger');
  });

  it('computes the paired mean and standard error by hand, pairing users by id', () => {
    // gains 0.1, 0.3, 0.2 (users listed in different orders; user 9 has no pair)
    const v = duelVerdict(scores([1, 2, 3], [0.5, 0.4, 0.1]), scores([3, 9, 1, 2], [0.3, 0.9, 0.6, 0.7]), 12);
    expect(v.users).toBe(3);
    expect(v.meanGain).toBeCloseTo(0.2, 12);
    expect(v.standardError).toBeCloseTo(Math.sqrt(0.01 / 3), 12);
    expect(v.z).toBeCloseTo(0.2 / Math.sqrt(0.01 / 3), 9);
    expect(v.kept).toBe('challenger');
    expect(v.explanation).toMatch(/more than 2 paired standard errors: \+0\.20000 ± 0\.05774 \(z 3\.46\) over 3 users at 12 epochs/);
  });

  it('a lead just under the margin keeps the defaults; identical scores, or one user, too', () => {
    // gains 0.1, 0.0, 0.2: mean 0.1, SE 0.0577, z 1.73 < 2
    expect(duelVerdict(scores([0, 1, 2], [0, 0, 0]), scores([0, 1, 2], [0.1, 0, 0.2]), 5).kept).toBe('defaults');
    expect(duelVerdict(scores([0, 1, 2], [0.3, 0.2, 0.1]), scores([0, 1, 2], [0.3, 0.2, 0.1]), 5)).toMatchObject({ kept: 'defaults', meanGain: 0, z: null });
    expect(duelVerdict(scores([0], [0]), scores([0], [1]), 5)).toMatchObject({ kept: 'defaults', users: 1 });
  });
});

/** A fake training: epoch e's tables hold e; the check scores them by `curve(e)` for every one of 3 users. */
function fakeRun(o: { finalEpochs: number; pauseAt: number | null; curve: (e: number) => number; early?: boolean; clock?: { t: number } }) {
  const epochsRun: number[] = [];
  const tables = (e: number): Embeddings => ({ dim: 1, nUsers: 1, nItems: 1, users: Float32Array.of(e), items: Float32Array.of(e) });
  const run = new FinalRun({
    finalEpochs: o.finalEpochs,
    early: o.early ?? true,
    checkEvery: 2,
    patience: 2,
    pauseAt: o.pauseAt,
    train: async (epochs, onEpoch) => {
      let e = 0;
      for (e = 1; e <= epochs; e++) {
        epochsRun.push(e);
        if (o.clock) o.clock.t += 1;
        if (await onEpoch(e, 1, () => tables(e))) break;
      }
      return tables(Math.min(e, epochs));
    },
    check: async (t) => {
      const s = o.curve(t.users[0]!);
      return { validation: { score: s, levels: [] }, perUser: scores([0, 1, 2], [s, s, s]) };
    },
    checkSeconds: () => 0,
    now: () => o.clock?.t ?? 0,
  });
  return { run, epochsRun };
}

describe('FinalRun (the duel pauses both final trainings at its horizon)', () => {
  it('pauses at the horizon after its check; the loser stops there and the winner trains to the end', async () => {
    const a = fakeRun({ finalEpochs: 12, pauseAt: 4, curve: (e) => e });
    const b = fakeRun({ finalEpochs: 12, pauseAt: 4, curve: (e) => e / 2 });
    a.run.start();
    expect(await a.run.paused).toBe(true);
    expect(a.epochsRun).toEqual([1, 2, 3, 4]);
    b.run.start();
    expect(await b.run.paused).toBe(true);
    expect([...a.run.perUser.keys()]).toEqual([2, 4]);
    a.run.resume(true);
    b.run.resume(false);
    await Promise.all([a.run.finished(), b.run.finished()]);
    expect(a.epochsRun).toHaveLength(12);
    expect(b.epochsRun).toHaveLength(4);
    expect(b.run.reason).toBe('lost the duel');
    expect(a.run.reason).toBe('max epochs');
    expect(a.run.chosen.epoch).toBe(12);
  });

  it('early stopping waits for the horizon: a curve that peaks at once still reaches the duel', async () => {
    // best at epoch 2, worse after: patience 2 would stop at epoch 6, before a horizon at 8
    const r = fakeRun({ finalEpochs: 24, pauseAt: 8, curve: (e) => (e === 2 ? 1 : 0.5) });
    r.run.start();
    expect(await r.run.paused).toBe(true);
    expect(r.epochsRun).toHaveLength(8);
    r.run.resume(true);
    await r.run.finished();
    expect(r.run.reason).toBe('early stopping');
    expect(r.epochsRun).toHaveLength(10);
    expect(r.run.chosen.epoch).toBe(2);
  });

  it('a training that fails before the horizon says it never paused, and fails only when asked for its end', async () => {
    const run = new FinalRun({
      finalEpochs: 12,
      early: true,
      checkEvery: 2,
      patience: 2,
      pauseAt: 4,
      train: async (_, onEpoch) => {
        await onEpoch(1, 1, () => ({ dim: 1, nUsers: 1, nItems: 1, users: Float32Array.of(1), items: Float32Array.of(1) }));
        throw new Error('loss diverged');
      },
      check: async () => ({ validation: { score: 0, levels: [] }, perUser: scores([0], [0]) }),
      checkSeconds: () => 0,
      now: () => 0,
    });
    run.start();
    expect(await run.paused).toBe(false);
    await expect(run.finished()).rejects.toThrow('loss diverged');
  });

  it('a run the deadline ends before the horizon says it never paused', async () => {
    const clock = { t: 0 };
    const r = fakeRun({ finalEpochs: 24, pauseAt: 8, curve: (e) => e, clock });
    r.run.deadline = () => 3.5;
    r.run.start();
    expect(await r.run.paused).toBe(false);
    await r.run.finished();
    expect(r.run.reason).toBe('deadline');
    // after epoch 3 a fourth would end at 4 s, past 3.5
    expect(r.epochsRun).toEqual([1, 2, 3]);
    // the last state was checked too, so the deadline's epoch can win
    expect(r.run.curve.map((c) => c.epoch)).toEqual([2, 3]);
    expect(r.run.chosen.epoch).toBe(3);
  });
});
