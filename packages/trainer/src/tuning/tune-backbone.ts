/**
 * The backbone's part of tuning: a timing probe, a screening rung over the knobs on a user subsample, then the
 * last rung on every inner edge: the defaults against the screen's best, both the first epochs of a final
 * training, the winner (the defaults unless beaten on a paired margin, duel.ts) going on with early stopping on
 * validation; then the smoothing β on that model.
 * Only the validation carve decides; test figures are computed beside it when asked, for the report.
 */
import { smoothOneHop, trainBackbone, type Embeddings } from '../backbone/index.js';
import { nestedWidths, type TrainConfig } from '../config.js';
import { Random } from '../data/random.js';
import type { CSR } from '../data/types.js';
import { evaluateInTime, type CheckPace } from './deadline.js';
import { duelVerdict, type DuelVerdict } from './duel.js';
import { FinalRun } from './final-run.js';
import { checkEvery as checkEveryFor, finalChecks, planHalving, runHalving, type Clock } from './halving.js';
import { scoreBackbone, type PerUserScores, type SplitData } from './objective.js';
import type { CandidateReport, Evaluation, TuningReport } from './report.js';
import { applyKnobs, defaultKnobs, nestedFor, sampleKnobs, type Knobs, type TunedSetting } from './space.js';

/** Smoothing strengths tried on the final backbone (the measured optimum on Gowalla was 0.15–0.2; on the small datasets of the suite 0.3–0.5 won, at the edge of a grid that stopped at 0.5). */
export const SMOOTHING_GRID = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1];
/** Checks of the final training without a better validation score before it stops. */
const PATIENCE = 3;
/** Share of the budget the backbone may use; the rest is the user-group stage's. */
const BACKBONE_SHARE = 0.85;

export interface BackboneTuningInput {
  cfg: TrainConfig;
  fixed: Partial<Record<TunedSetting, string>>;
  /** The inner (training) edges of the validation carve. */
  inner: CSR;
  nUsers: number;
  nItems: number;
  validation: SplitData;
  /** Report only. */
  test?: SplitData;
  widths: number[];
  /** Seconds (performance.now() / 1000) tuning started at. */
  start: number;
  /** When all tuning must end, re-estimated from `pace` (the reserve for evaluation and export follows it). */
  end: () => number;
  /** The speed of validation checks: every check here is timed into it. */
  pace: CheckPace;
  /** Users of the validation carve (a check's users). */
  valUsers: number;
  log: (line: string) => void;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface BackboneTuning {
  backbone: Embeddings;
  /** `cfg` with the chosen knobs, epochs and smoothing. */
  cfg: TrainConfig;
  report: Pick<TuningReport, 'plan' | 'candidates' | 'search' | 'duel' | 'final' | 'smoothing'>;
  knobs: Knobs;
}

const now = () => performance.now() / 1000;
const lite = (s: Awaited<ReturnType<typeof scoreBackbone>>) => ({ score: s.score, levels: s.levels });

/** A seeded subsample of the users whose rows hold about `edges` edges (all users when the data has fewer). */
export function subsampleUsers(inner: CSR, edges: number, seed: number): { csr: CSR; users: Uint32Array } | null {
  const n = inner.indptr.length - 1;
  const total = inner.indptr[n]!;
  if (total <= edges) return null;
  const order = new Random(seed ^ 0x7a11e5).shuffle(Array.from({ length: n }, (_, u) => u));
  const keep = new Uint8Array(n);
  let taken = 0;
  for (const u of order) {
    if (taken >= edges) break;
    keep[u] = 1;
    taken += inner.indptr[u + 1]! - inner.indptr[u]!;
  }
  const indptr = new Uint32Array(n + 1);
  const indices = new Uint32Array(taken);
  for (let u = 0, o = 0; u < n; u++) {
    if (keep[u]) {
      indices.set(inner.indices.subarray(inner.indptr[u]!, inner.indptr[u + 1]!), o);
      o += inner.indptr[u + 1]! - inner.indptr[u]!;
    }
    indptr[u + 1] = o;
  }
  const users = Uint32Array.from({ length: n }, (_, u) => u).filter((u) => keep[u]);
  return { csr: { indptr, indices }, users };
}

export async function tuneBackbone(t: BackboneTuningInput): Promise<BackboneTuning> {
  const { cfg, fixed, inner, nUsers, nItems, widths } = t;
  const threads = cfg.threads;
  const fixedSet = new Set(Object.keys(fixed));
  const beta0 = cfg.backbone.smoothing ?? 0.15;
  const halvings = fixed.nested ? (cfg.backbone.nested ?? []) : nestedWidths(cfg.fullDim, cfg.blockDim);
  const nestedOf = (k: Knobs) => (fixed.nested ? (cfg.backbone.nested ?? []) : nestedFor(k.nested, halvings, widths, cfg.fullDim));
  const deadline = () => t.start + BACKBONE_SHARE * (t.end() - t.start);
  /** Expected seconds of one validation check at the pace measured so far. */
  const checkSeconds = () => t.pace.check(t.valUsers, widths.length);
  /** The β grid after the final training: one check a β but the curve's own (kept out of the search's time). */
  const betaSeconds = () => (fixed.smoothing ? 0 : (SMOOTHING_GRID.length - 1) * checkSeconds());
  const sub = subsampleUsers(inner, cfg.tuning.searchEdges, cfg.seed);
  const searchCsr = sub?.csr ?? inner;
  const innerEdges = inner.indptr[nUsers]!;
  const searchEdges = searchCsr.indptr[nUsers]!;
  const restrict = (s: SplitData | undefined): SplitData | undefined => (s && sub ? { ...s, users: sub.users } : s);
  const searchVal = restrict(t.validation)!;
  const searchTest = restrict(t.test);

  /** Trains `k` for `epochs` on `train`; smoothing off, so the caller smooths and scores. */
  const trainFor = (k: Knobs, train: CSR, epochs: number, stage: string, onEpoch?: Parameters<typeof trainBackbone>[3]['onEpoch']) =>
    trainBackbone(train, nUsers, nItems, {
      ...applyKnobs(cfg, k, nestedOf(k)).backbone,
      softmaxEpochs: epochs,
      smoothing: 0,
      dim: cfg.fullDim,
      blockDim: cfg.blockDim,
      seed: cfg.seed,
      threads,
      onEpoch,
      onProgress: (s, done, total) => t.onProgress?.(`${stage}${s}`, done, total),
    });
  const evaluateWithUsers = async (e: Embeddings, train: CSR, beta: number, val: SplitData, test: SplitData | undefined): Promise<Evaluation & { perUser: PerUserScores }> => {
    const smoothed = beta > 0 ? smoothOneHop(e, train, beta) : e;
    const s0 = now();
    const scored = await scoreBackbone(smoothed, val, widths, threads);
    t.pace.observe(now() - s0, scored.users, widths.length);
    const validation = lite(scored);
    const out = test ? { validation, test: lite(await scoreBackbone(smoothed, test, widths, threads)) } : { validation };
    return { ...out, perUser: scored.perUser };
  };
  const evaluate = async (e: Embeddings, train: CSR, beta: number, val: SplitData, test: SplitData | undefined): Promise<Evaluation> => {
    const { perUser: _, ...ev } = await evaluateWithUsers(e, train, beta, val, test);
    return ev;
  };

  // Probe: one epoch of today's defaults on the search edges gives the seconds an epoch costs, and one check of
  // it on validation the seconds a check costs (and so the reserve for evaluation, hence when tuning ends).
  const base = defaultKnobs(cfg);
  let t0 = now();
  let probeEpoch = 0;
  const probe = await trainFor(base, searchCsr, 1, 'tune probe:', (_, stats) => {
    probeEpoch = stats.seconds;
    return false;
  });
  // the epoch itself, not the worker pool's start: on a small dataset the start is most of the wall time, and an
  // inflated probe would skip a search the budget affords
  const secondsPerEpoch = ((probeEpoch > 0 ? probeEpoch : now() - t0) * innerEdges) / searchEdges;
  await evaluate(probe, searchCsr, 0, t.validation, undefined);
  const plan = planHalving({
    budgetSeconds: Math.max(1e-3, t.end() - now() - betaSeconds()),
    secondsPerEpoch,
    searchFraction: searchEdges / innerEdges,
    maxEpochs: cfg.tuning.maxEpochs,
    checkSeconds: checkSeconds(),
    defaultEpochs: cfg.backbone.softmaxEpochs ?? 60,
    fixedEpochs: fixed.softmaxEpochs ? (cfg.backbone.softmaxEpochs ?? 60) : undefined,
    maxCandidates: cfg.tuning.candidates,
    eta: cfg.tuning.eta,
  });
  t.log(
    `tuning: ${secondsPerEpoch.toFixed(1)} s an epoch, ${checkSeconds().toFixed(1)} s a check; screen ${plan.rungs.map((r) => `${r.candidates}×${r.epochs}`).join(', ') || 'none'}; duel ${plan.duel ? `2×${plan.duel.epochs} on every edge` : 'none'}; final ≤ ${plan.finalEpochs} epochs`,
  );
  if (plan.skipped) t.log(`tuning: no search: ${plan.skipped}`);

  const rng = new Random(cfg.seed ^ 0x70e1);
  const knobs = Array.from({ length: plan.rungs[0]?.candidates ?? 1 }, (_, k) => (k === 0 ? base : sampleKnobs(rng, base, fixedSet)));
  const candidates: CandidateReport[] = knobs.map((k, id) => ({ id, knobs: k, nested: nestedOf(k), trials: [] }));
  // The search ends in time for the final training, re-estimated from the speed the search itself sees (the
  // probe's one epoch can misjudge a busy machine): the final backbone's epochs are worth more than a candidate.
  const clock = { now, deadline: deadline() - plan.estimatedSeconds.final - plan.estimatedSeconds.duel - betaSeconds() };
  const search = await runHalving(
    plan.rungs,
    async (c, r) => {
      const rung = plan.rungs[r]!;
      const s0 = now();
      const e = await trainFor(knobs[c]!, searchCsr, rung.epochs, `tune r${r} #${c}:`);
      const perEpoch = (now() - s0) / (rung.epochs * rung.edgeFraction);
      const duelCost = plan.duel ? plan.duel.epochs * Math.max(perEpoch, secondsPerEpoch) + Math.ceil(plan.duel.epochs / checkEveryFor(plan.finalEpochs)) * checkSeconds() : 0;
      clock.deadline = deadline() - plan.finalEpochs * Math.max(perEpoch, secondsPerEpoch) - (fixed.softmaxEpochs ? 0 : finalChecks(plan.finalEpochs) * checkSeconds()) - duelCost - betaSeconds();
      const ev = await evaluate(e, searchCsr, beta0, searchVal, searchTest);
      candidates[c]!.trials.push({ rung: r, epochs: rung.epochs, seconds: Math.round(now() - s0), promoted: false, ...ev });
      t.log(`tuning: rung ${r} candidate ${c}: validation ${ev.validation.score.toFixed(4)}${ev.test ? ` (test ${ev.test.score.toFixed(4)})` : ''}`);
      return ev.validation.score;
    },
    clock,
    { protect: 0, advance: 2 },
  );
  for (const tr of search.trials) {
    const rec = candidates[tr.candidate]!.trials.find((x) => x.rung === tr.rung);
    if (rec) rec.promoted = tr.promoted;
  }

  // The last rung: the defaults and the screen's best challenger each start the final training on every inner
  // edge; at the duel's horizon the paired verdict keeps one, which goes on (duel.ts, final-run.ts).
  const early = !fixed.softmaxEpochs;
  const checkEvery = early ? checkEveryFor(plan.finalEpochs) : plan.finalEpochs;
  const challenger = plan.duel ? search.survivors.find((c) => c !== 0) : undefined;
  const pauseAt = plan.duel && challenger !== undefined ? plan.duel.epochs : null;
  const run = (k: Knobs, label: string) =>
    new FinalRun({
      finalEpochs: plan.finalEpochs,
      early,
      checkEvery,
      patience: PATIENCE,
      pauseAt,
      train: (epochs, onEpoch) => trainFor(k, inner, epochs, label, (epoch, stats, snapshot) => onEpoch(epoch, stats.seconds, snapshot)),
      check: (e) => evaluateWithUsers(e, inner, beta0, t.validation, t.test),
      checkSeconds,
      now,
    });
  t0 = now();
  const defaults = run(base, 'tune final:');
  defaults.deadline = deadline;
  defaults.start();
  let final = defaults;
  let winnerId = 0;
  let verdict: DuelVerdict | null = null;
  let duelNote: string | null = plan.skipped;
  if (plan.duel && challenger === undefined) duelNote = 'the screen evaluated no challenger before its deadline: the defaults are kept';
  const defaultsReached = pauseAt !== null && (await defaults.paused);
  if (pauseAt !== null && !defaultsReached) duelNote = "the deadline ended the defaults' training before the duel's horizon: the defaults are kept";
  if (pauseAt !== null && challenger !== undefined && defaultsReached) {
    const ch = run(knobs[challenger]!, `tune duel #${challenger}:`);
    const perEpoch = Math.max(defaults.epochSeconds, secondsPerEpoch);
    // the challenger must leave time for the rest of the final training and the β grid
    ch.deadline = () => deadline() - (plan.finalEpochs - pauseAt) * perEpoch - (early ? finalChecks(plan.finalEpochs) - defaults.curve.length : 0) * checkSeconds() - betaSeconds();
    if (now() + Math.min(checkEvery, pauseAt) * perEpoch + checkSeconds() <= ch.deadline()) {
      const chStart = now();
      ch.start();
      const reached = await ch.paused;
      const horizon = Math.max(0, ...[...ch.perUser.keys()].filter((e) => defaults.perUser.has(e)));
      if (horizon > 0) verdict = duelVerdict(defaults.perUser.get(horizon)!, ch.perUser.get(horizon)!, horizon);
      const chAt = ch.curve.find((c) => c.epoch === horizon);
      if (chAt) candidates[challenger]!.trials.push({ rung: plan.rungs.length, epochs: horizon, seconds: Math.round(now() - chStart), promoted: false, ...strip(chAt) });
      const defAt = defaults.curve.find((c) => c.epoch === horizon);
      if (defAt) candidates[0]!.trials.push({ rung: plan.rungs.length, epochs: horizon, seconds: 0, promoted: false, ...strip(defAt) });
      if (verdict?.kept === 'challenger' && !reached) {
        verdict = { ...verdict, kept: 'defaults', explanation: `${verdict.explanation}; but the deadline ended the challenger's training before the horizon, so the defaults are kept` };
      }
      const chWins = verdict?.kept === 'challenger';
      (chWins ? ch : defaults).resume(true);
      (chWins ? defaults : ch).resume(false);
      if (chWins) {
        ch.deadline = deadline;
        final = ch;
        winnerId = challenger;
      }
      for (const c of [0, challenger]) {
        const tr = candidates[c]!.trials.find((x) => x.rung === plan.rungs.length);
        if (tr) tr.promoted = c === winnerId;
      }
      // A challenger that fails (a diverging loss, say) before it wins leaves the defaults in place.
      const failed = await ch.finished().then(
        () => null,
        (err: unknown) => {
          if (chWins) throw err;
          return err instanceof Error ? err.message : String(err);
        },
      );
      duelNote = failed ? `the challenger's training failed (${failed}): the defaults are kept` : (verdict?.explanation ?? 'the challenger reached no check: the defaults are kept');
    } else {
      defaults.resume(true);
      duelNote = "the deadline left no time for the challenger's training: the defaults are kept";
    }
    t.log(`tuning: duel, defaults against candidate ${challenger}: ${duelNote}`);
  }
  await defaults.finished();
  const win = knobs[winnerId]!;
  const { tables: chosen, epoch: bestEpoch } = final.chosen;
  const curve = final.curve;
  const lastEpoch = final.lastEpoch;
  const end = { reason: final.reason };
  const finalSeconds = now() - t0;
  t.log(`tuning: final candidate ${winnerId}: best epoch ${bestEpoch} of ${lastEpoch} (${end.reason})`);

  let beta = beta0;
  let smoothing: BackboneTuning['report']['smoothing'] = null;
  if (!fixed.smoothing) {
    // β0 on the chosen tables is the curve's best check already; the rest of the grid while the deadline allows
    const atBest = early ? curve.find((c) => c.epoch === bestEpoch) : undefined;
    const tried: NonNullable<BackboneTuning['report']['smoothing']>['tried'] = atBest ? [{ beta: beta0, validation: atBest.validation, ...(atBest.test ? { test: atBest.test } : {}) }] : [];
    const grid = [beta0, ...SMOOTHING_GRID.filter((x) => x !== beta0)].slice(tried.length);
    const betaClock: Clock = {
      now,
      get deadline() {
        return deadline();
      },
    };
    const rest = await evaluateInTime(grid, async (b) => ({ beta: b, ...(await evaluate(chosen, inner, b, t.validation, t.test)) }), betaClock, checkSeconds);
    tried.push(...rest.done);
    if (rest.stoppedForTime) t.log(`tuning: smoothing: the deadline stopped the β grid after ${tried.length} of ${SMOOTHING_GRID.length}`);
    beta = tried.reduce((a, b) => (b.validation.score > a.validation.score ? b : a), tried[0] ?? { beta: beta0, validation: { score: -Infinity, levels: [] } }).beta;
    smoothing = { chosen: beta, tried: tried.sort((a, b) => a.beta - b.beta), stoppedForTime: rest.stoppedForTime };
  }
  const tuned = applyKnobs(cfg, win, nestedOf(win));
  tuned.backbone = { ...tuned.backbone, softmaxEpochs: bestEpoch, smoothing: beta };
  return {
    backbone: beta > 0 ? smoothOneHop(chosen, inner, beta) : chosen,
    cfg: tuned,
    knobs: win,
    report: {
      plan: {
        ...plan,
        defaultEpochs: cfg.backbone.softmaxEpochs ?? 60,
        secondsPerEpoch: round(secondsPerEpoch, 2),
        checkSeconds: round(checkSeconds(), 2),
        searchUsers: sub?.users.length ?? nUsers,
        searchEdges,
      },
      candidates,
      search: { winner: search.winner, cut: search.cut },
      duel: { challenger: challenger ?? null, verdict, note: duelNote },
      final: { candidate: winnerId, maxEpochs: plan.finalEpochs, checkEvery, bestEpoch, stoppedAt: lastEpoch, reason: end.reason, seconds: round(finalSeconds, 1), curve },
      smoothing,
    },
  };
}

/** A curve point as a trial's figures. */
const strip = ({ epoch: _, ...ev }: Evaluation & { epoch: number }): Evaluation => ev;

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
