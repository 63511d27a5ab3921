import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyArtifact } from '@peelrec/format';
import { directorySource } from '../src/export/fs-sink.js';
import { resolveConfig, train, type TrainOptions } from '../src/index.js';
import type { TuningReport } from '../src/tuning/index.js';
import { tempDir } from './temp-dir.js';

const tmp = () => tempDir('peelrec-tune-');

/** The pipeline's tiny synthetic case with tuning switched on (the synthetic preset turns it off). */
const tuned = (out: string): TrainOptions => ({
  data: { kind: 'synthetic', options: { users: 240, items: 300, seed: 5, meanInteractions: 20 } },
  out,
  qualityOut: join(out, '..', 'quality.json'),
  config: {
    fullDim: 32,
    blockDim: 8,
    itemGroups: 5,
    seed: 3,
    ablations: false,
    budgets: [0.5, 0.25],
    // f32 and f16: the budgets then serve two widths (32, 16); in i8 both hold the whole table
    dtypes: ['f32', 'f16'],
    backbone: { batch: 256, negatives: 64 },
    refine: { epochs: 2, batch: 256, negatives: 64 },
    tuning: { enabled: true, seconds: 600, candidates: 4, maxEpochs: 6, userGroups: [2, 1], testAgreement: true },
  },
});

const argmax = <T>(xs: readonly T[], score: (x: T) => number) => xs.reduce((a, b) => (score(b) > score(a) ? b : a));

describe('train with tuning (tiny synthetic)', () => {
  it('records every candidate with its validation figures, and builds the artifact from the choices', async () => {
    const dir = await tmp();
    const out = join(dir, 'artifact');
    const r = await train(tuned(out));
    const q = JSON.parse(await readFile(r.qualityPath!, 'utf8'));
    const t: TuningReport = q.tuning;
    // one screening rung of 4, then the last rung (the duel) on every inner edge at ≥ 1/3 of the final epochs
    expect(t.plan.rungs.map((x) => x.candidates)).toEqual([4]);
    expect(t.plan.finalEpochs).toBe(6);
    expect(t.plan.duel).toEqual({ epochs: 2 });
    expect(t.plan.skipped).toBeNull();
    // every candidate of the first rung is in the report, with its knobs and its validation (and test) figures
    expect(t.candidates.map((c) => c.id)).toEqual([0, 1, 2, 3]);
    for (const c of t.candidates) {
      const first = c.trials.find((x) => x.rung === 0)!;
      expect(first.epochs).toBe(t.plan.rungs[0]!.epochs);
      expect(first.validation.levels.map((l) => l.level)).toEqual(t.widths);
      expect(first.validation.score).toBeGreaterThan(0);
      expect(first.test!.score).toBeGreaterThan(0);
    }
    expect(t.widths).toEqual([32, 16]);
    // candidate 0 is today's defaults
    expect(t.candidates[0]!.knobs).toMatchObject({ temperature: 0.1, diversity: 10, lr: 2e-3, weightDecay: 0, nested: 'halvings' });
    // the defaults and the best challenger of rung 0 go on, whatever the defaults scored
    const challengers = t.candidates.filter((c) => c.id !== 0);
    const best = argmax(challengers, (c) => c.trials[0]!.validation.score);
    expect(t.candidates.filter((c) => c.trials[0]!.promoted).map((c) => c.id)).toEqual([0, best.id]);
    expect(t.duel.challenger).toBe(best.id);
    // the duel: both at the horizon on validation, the paired verdict recorded with its figures
    const verdict = t.duel.verdict!;
    expect(verdict.horizonEpochs).toBe(2);
    expect(verdict.users).toBe(t.validation.users);
    expect(verdict.margin).toBe(2);
    expect(verdict.kept).toBe(verdict.meanGain > 2 * verdict.standardError ? 'challenger' : 'defaults');
    const atHorizon = (id: number) => t.candidates[id]!.trials.find((x) => x.rung === 1)!;
    expect(atHorizon(0).validation.score).toBeCloseTo(verdict.defaultScore, 9);
    expect(atHorizon(best.id).validation.score).toBeCloseTo(verdict.challengerScore, 9);
    expect(t.duel.note).toBe(verdict.explanation);
    const winner = verdict.kept === 'challenger' ? best.id : 0;
    expect(t.final.candidate).toBe(winner);
    expect(atHorizon(winner).promoted).toBe(true);
    // the final curve starts with the winner's checks up to the horizon
    expect(t.final.curve.find((c) => c.epoch === 2)!.validation.score).toBeCloseTo(atHorizon(winner).validation.score, 9);
    // epochs, β and C are each the validation argmax of what was tried
    expect(t.final.bestEpoch).toBe(argmax(t.final.curve, (p) => p.validation.score).epoch);
    expect(t.smoothing!.chosen).toBe(argmax(t.smoothing!.tried, (s) => s.validation.score).beta);
    expect(t.userGroups!.tried.map((g) => g.userGroups)).toEqual([2, 1]);
    expect(t.userGroups!.chosen).toBe(argmax(t.userGroups!.tried, (g) => g.validation.score).userGroups);
    // the config in the report, and the artifact, are the chosen ones
    const win = t.candidates[t.final.candidate]!.knobs;
    expect(q.config.backbone).toMatchObject({
      temperature: win.temperature,
      fullTemperature: win.fullTemperature,
      diversity: win.diversity,
      lr: win.lr,
      weightDecay: win.weightDecay,
      softmaxEpochs: t.final.bestEpoch,
      smoothing: t.smoothing!.chosen,
    });
    expect(t.chosen).toMatchObject({ ...win, softmaxEpochs: t.final.bestEpoch, smoothing: t.smoothing!.chosen, userGroups: t.userGroups!.chosen });
    expect(q.config.userGroups).toBe(t.userGroups!.chosen);
    const v = await verifyArtifact(directorySource(out));
    expect(v.manifest.userGroups.count).toBe(t.userGroups!.chosen);
    // the agreement report covers the rungs, the epochs, β and C
    expect(t.agreement!.decisions.map((d) => d.decision)).toEqual(['rung 0', 'rung 1', 'epochs', 'smoothing', 'userGroups']);
    expect(t.agreement!.pairs).toBeGreaterThan(0);
    expect(q.seconds.tune).toBe(t.seconds);
    expect(t.validation.edges).toBeGreaterThan(0);
    // nothing was cut for time; the reserve was estimated from the checks' pace
    expect(t.deadline).toMatchObject({ timeBudget: 1800, passes: 4 + 4 * 2, stoppedForTime: [] });
    expect(t.deadline.perUserLevel).toBeGreaterThan(0);
    expect(t.deadline.testUsers).toBeGreaterThan(0);
    expect(t.smoothing!.stoppedForTime).toBe(false);
    expect(t.smoothing!.tried).toHaveLength(10);
    expect(t.userGroups!.stoppedForTime).toBe(false);
  }, 900_000);

  it('with no time left, keeps the best so far: β0 alone, the first C unscored, and says it stopped for time', async () => {
    const dir = await tmp();
    const o = tuned(join(dir, 'artifact'));
    const r = await train({ ...o, config: { ...o.config, timeBudget: 0.001, tuning: { enabled: true, candidates: 4, maxEpochs: 6, userGroups: [2, 1] } } });
    const t = r.quality.tuning!;
    expect(t.plan.rungs).toEqual([]);
    expect(t.plan.skipped).toMatch(/cannot afford a last rung .* the defaults are kept/);
    expect(t.duel).toEqual({ challenger: null, verdict: null, note: t.plan.skipped });
    expect(t.final.candidate).toBe(0);
    expect(t.final.reason).toBe('deadline');
    expect(t.smoothing).toMatchObject({ chosen: 0.15, stoppedForTime: true });
    expect(t.smoothing!.tried.map((s) => s.beta)).toEqual([0.15]);
    expect(t.userGroups).toEqual({ chosen: 2, tried: [], stoppedForTime: true });
    expect(t.deadline.stoppedForTime).toEqual(['final backbone', 'smoothing', 'userGroups']);
    expect(r.quality.config.userGroups).toBe(2);
    expect(r.manifest.userGroups.count).toBe(2);
  }, 300_000);

  it('leaves a knob the caller set alone, and says so', async () => {
    const dir = await tmp();
    const o = tuned(join(dir, 'artifact'));
    const r = await train({
      ...o,
      config: { ...o.config, backbone: { ...o.config!.backbone, diversity: 0 }, tuning: { enabled: true, seconds: 600, candidates: 3, maxEpochs: 3, userGroups: [1] } },
    });
    const t = r.quality.tuning!;
    expect(t.fixed).toEqual({ diversity: 'backbone.diversity' });
    for (const c of t.candidates) expect(c.knobs.diversity).toBe(0);
    expect(new Set(t.candidates.map((c) => c.knobs.temperature)).size).toBe(t.candidates.length);
    expect(r.quality.config.backbone.diversity).toBe(0);
    expect(t.agreement).toBeUndefined();
    for (const c of t.candidates) for (const x of c.trials) expect(x.test).toBeUndefined();
  }, 300_000);

  it('is on by default for data the user brings, off for the synthetic demo and with --no-tune', () => {
    expect(resolveConfig({}, { kind: 'lightgcn', dir: '.' }).tuning.enabled).toBe(true);
    expect(resolveConfig({}, { kind: 'delimited', file: 'x.csv' }).tuning.enabled).toBe(true);
    expect(resolveConfig({}, { kind: 'synthetic' }).tuning.enabled).toBe(false);
    expect(resolveConfig({ tuning: { enabled: false } }, { kind: 'lightgcn', dir: '.' }).tuning.enabled).toBe(false);
    // the whole pipeline's deadline decides when tuning ends; the tuner has no cap of its own unless given one
    expect(resolveConfig({}, { kind: 'lightgcn', dir: '.' }).timeBudget).toBe(1800);
    expect(resolveConfig({}, { kind: 'lightgcn', dir: '.' }).tuning.seconds).toBeUndefined();
  });
});
