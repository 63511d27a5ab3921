/**
 * The backbone's part of tuning: a timing probe, successive halving over the knobs on a user subsample, the
 * winner trained on every inner edge with early stopping on validation, then the smoothing β on that model.
 * Only the validation carve decides; test figures are computed beside it when asked, for the report.
 */
import { smoothOneHop, trainBackbone, type Embeddings } from '../backbone/index.js';
import { nestedWidths, type TrainConfig } from '../config.js';
import { Random } from '../data/random.js';
import type { CSR } from '../data/types.js';
import { evaluateInTime, type CheckPace } from './deadline.js';
import { checkEvery as checkEveryFor, EarlyStopping, finalChecks, planHalving, runHalving, type Clock } from './halving.js';
import { scoreBackbone, type SplitData } from './objective.js';
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
  report: Pick<TuningReport, 'plan' | 'candidates' | 'search' | 'final' | 'smoothing'>;
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
  const evaluate = async (e: Embeddings, train: CSR, beta: number, val: SplitData, test: SplitData | undefined): Promise<Evaluation> => {
    const smoothed = beta > 0 ? smoothOneHop(e, train, beta) : e;
    const s0 = now();
    const scored = await scoreBackbone(smoothed, val, widths, threads);
    t.pace.observe(now() - s0, scored.users, widths.length);
    const validation = lite(scored);
    return test ? { validation, test: lite(await scoreBackbone(smoothed, test, widths, threads)) } : { validation };
  };

  // Probe: one epoch of today's defaults on the search edges gives the seconds an epoch costs, and one check of
  // it on validation the seconds a check costs (and so the reserve for evaluation, hence when tuning ends).
  const base = defaultKnobs(cfg);
  let t0 = now();
  const probe = await trainFor(base, searchCsr, 1, 'tune probe:');
  const secondsPerEpoch = ((now() - t0) * innerEdges) / searchEdges;
  await evaluate(probe, searchCsr, 0, t.validation, undefined);
  const plan = planHalving({
    budgetSeconds: Math.max(1e-3, t.end() - now() - betaSeconds()),
    secondsPerEpoch,
    searchFraction: searchEdges / innerEdges,
    maxEpochs: cfg.tuning.maxEpochs,
    checkSeconds: checkSeconds(),
    fixedEpochs: fixed.softmaxEpochs ? (cfg.backbone.softmaxEpochs ?? 60) : undefined,
    maxCandidates: cfg.tuning.candidates,
    eta: cfg.tuning.eta,
  });
  t.log(
    `tuning: ${secondsPerEpoch.toFixed(1)} s an epoch, ${checkSeconds().toFixed(1)} s a check; rungs ${plan.rungs.map((r) => `${r.candidates}×${r.epochs}`).join(', ') || 'none'}; final ≤ ${plan.finalEpochs} epochs`,
  );

  const rng = new Random(cfg.seed ^ 0x70e1);
  const knobs = Array.from({ length: plan.rungs[0]?.candidates ?? 1 }, (_, k) => (k === 0 ? base : sampleKnobs(rng, base, fixedSet)));
  const candidates: CandidateReport[] = knobs.map((k, id) => ({ id, knobs: k, nested: nestedOf(k), trials: [] }));
  // The search ends in time for the final training, re-estimated from the speed the search itself sees (the
  // probe's one epoch can misjudge a busy machine): the final backbone's epochs are worth more than a candidate.
  const clock = { now, deadline: deadline() - plan.estimatedSeconds.final - betaSeconds() };
  const search = await runHalving(
    plan.rungs,
    async (c, r) => {
      const rung = plan.rungs[r]!;
      const s0 = now();
      const e = await trainFor(knobs[c]!, searchCsr, rung.epochs, `tune r${r} #${c}:`);
      const perEpoch = (now() - s0) / (rung.epochs * rung.edgeFraction);
      clock.deadline = deadline() - plan.finalEpochs * Math.max(perEpoch, secondsPerEpoch) - (fixed.softmaxEpochs ? 0 : finalChecks(plan.finalEpochs) * checkSeconds()) - betaSeconds();
      const ev = await evaluate(e, searchCsr, beta0, searchVal, searchTest);
      candidates[c]!.trials.push({ rung: r, epochs: rung.epochs, seconds: Math.round(now() - s0), promoted: false, ...ev });
      t.log(`tuning: rung ${r} candidate ${c}: validation ${ev.validation.score.toFixed(4)}${ev.test ? ` (test ${ev.test.score.toFixed(4)})` : ''}`);
      return ev.validation.score;
    },
    clock,
  );
  for (const tr of search.trials) {
    const rec = candidates[tr.candidate]!.trials.find((x) => x.rung === tr.rung);
    if (rec) rec.promoted = tr.promoted;
  }

  // The winner on every inner edge; the validation curve picks the epoch (unless the caller fixed the epochs).
  const win = knobs[search.winner]!;
  const early = !fixed.softmaxEpochs;
  const checkEvery = early ? checkEveryFor(plan.finalEpochs) : plan.finalEpochs;
  const stopper = new EarlyStopping(PATIENCE);
  const curve: TuningReport['final']['curve'] = [];
  let best: Embeddings | undefined;
  const end: { reason: TuningReport['final']['reason'] } = { reason: early ? 'max epochs' : 'fixed epochs' };
  let lastEpoch = 0;
  let epochSeconds = 0;
  t0 = now();
  const last = await trainFor(win, inner, plan.finalEpochs, 'tune final:', async (epoch, stats, snapshot) => {
    lastEpoch = epoch;
    epochSeconds = Math.max(epochSeconds, stats.seconds);
    if (!early) return false;
    if (epoch % checkEvery === 0 || epoch === plan.finalEpochs) {
      const e = snapshot();
      const ev = await evaluate(e, inner, beta0, t.validation, t.test);
      curve.push({ epoch, ...ev });
      if (stopper.observe(epoch, ev.validation.score)) best = e;
      if (stopper.stop) {
        end.reason = 'early stopping';
        return true;
      }
    }
    if (now() + epochSeconds + (early ? checkSeconds() : 0) > deadline()) {
      end.reason = 'deadline';
      return true;
    }
    return false;
  });
  // Stopped by the deadline between checks: the last state is checked too, so it can win.
  if (early && end.reason === 'deadline' && curve.at(-1)?.epoch !== lastEpoch) {
    const ev = await evaluate(last, inner, beta0, t.validation, t.test);
    curve.push({ epoch: lastEpoch, ...ev });
    if (stopper.observe(lastEpoch, ev.validation.score)) best = last;
  }
  const chosen = early ? best! : last;
  const bestEpoch = early ? stopper.bestEpoch : lastEpoch;
  const finalSeconds = now() - t0;
  t.log(`tuning: final candidate ${search.winner}: best epoch ${bestEpoch} of ${lastEpoch} (${end.reason})`);

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
      plan: { ...plan, secondsPerEpoch: round(secondsPerEpoch, 2), checkSeconds: round(checkSeconds(), 2), searchUsers: sub?.users.length ?? nUsers, searchEdges },
      candidates,
      search: { winner: search.winner, cut: search.cut },
      final: { candidate: search.winner, maxEpochs: plan.finalEpochs, checkEvery, bestEpoch, stoppedAt: lastEpoch, reason: end.reason, seconds: round(finalSeconds, 1), curve },
      smoothing,
    },
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
