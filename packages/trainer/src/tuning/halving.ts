/**
 * Successive halving (Jamieson & Talwalkar 2016; one bracket of Hyperband), as pure policy: the plan that fits a
 * time budget, and the loop that runs rungs against any objective and clock. Nothing here trains a model.
 */

/** One rung: how many candidates it evaluates, for how many epochs, on what share of the training edges. */
export interface Rung {
  candidates: number;
  epochs: number;
  edgeFraction: number;
}

export interface PlanInput {
  /** Seconds for the search and the final training together. */
  budgetSeconds: number;
  /** Measured seconds of one epoch over every training edge. */
  secondsPerEpoch: number;
  /** Share of the edges a search rung trains on (a user subsample; 1: all). */
  searchFraction: number;
  /** Cap of the final training's epochs (early stopping may end it sooner). */
  maxEpochs: number;
  /** Measured seconds of one validation check of the final training ({@link finalChecks} of them); default 0. */
  checkSeconds?: number;
  /** The user fixed the epochs: the final training runs exactly these. */
  fixedEpochs?: number;
  maxCandidates: number;
  eta: number;
}

export interface TuningPlan {
  /** Search rungs, fewer candidates and more epochs each: candidates[r + 1] = ⌈candidates[r] / eta⌉. */
  rungs: Rung[];
  /** Epochs of the final training (a cap when early stopping is on). */
  finalEpochs: number;
  /** What the plan expects to spend, from `secondsPerEpoch` and `checkSeconds` (final: its epochs and checks). */
  estimatedSeconds: { search: number; final: number };
}

/** Shares of the budget: the final training's epochs come first; the search gets the rest of these two. */
export const FINAL_SHARE = 0.6;
export const SEARCH_SHARE = 0.25;

/** About this many validation checks over the final training's epoch cap. */
export const CHECKS = 12;

/** Epochs between the final training's validation checks. */
export function checkEvery(epochs: number): number {
  return Math.max(1, Math.round(epochs / CHECKS));
}

/** Validation checks of a final training of `epochs` epochs: every {@link checkEvery} epochs, and the last. */
export function finalChecks(epochs: number): number {
  const every = checkEvery(epochs);
  return Math.ceil(epochs / every);
}

/** Seconds the rungs cost at `secondsPerEpoch` for the full edge set. */
export function rungSeconds(rungs: readonly Rung[], secondsPerEpoch: number): number {
  return rungs.reduce((s, r) => s + r.candidates * r.epochs * r.edgeFraction * secondsPerEpoch, 0);
}

/**
 * The largest search that fits: the final training, its epochs and validation checks, gets up to FINAL_SHARE of
 * the budget (at most maxEpochs), the
 * search what is left of FINAL_SHARE + SEARCH_SHARE (the rest is for the user-group stage and the validation
 * checks). Two rungs of eta²- and eta-fold shorter training than the final one when at least 2·eta candidates
 * fit; else rungs eta times shorter still (a slow machine or a large dataset: more candidates judged on less
 * training beat almost none); else the two-rung shape that fits the most, at least eta; else one rung of at least
 * 2; else no rung (today's defaults, untuned).
 */
export function planHalving(p: PlanInput): TuningPlan {
  const c = p.secondsPerEpoch;
  if (!(c > 0) || !(p.budgetSeconds > 0)) throw new RangeError(`planHalving: budget ${p.budgetSeconds} s and ${c} s per epoch must be positive`);
  const check = p.checkSeconds ?? 0;
  const finalCost = (e: number) => e * c + (p.fixedEpochs === undefined ? finalChecks(e) * check : 0);
  let finalEpochs = p.fixedEpochs ?? Math.max(1, Math.min(p.maxEpochs, Math.floor((FINAL_SHARE * p.budgetSeconds) / c)));
  if (p.fixedEpochs === undefined) while (finalEpochs > 1 && finalCost(finalEpochs) > FINAL_SHARE * p.budgetSeconds) finalEpochs--;
  const final = finalCost(finalEpochs);
  const room = (FINAL_SHARE + SEARCH_SHARE) * p.budgetSeconds - final;
  const shorter = (k: number) => Math.max(1, Math.round(finalEpochs / p.eta ** k));
  /** The most candidates rung 0 can take with these rung epochs, and the rungs. */
  const widest = (epochs: number[]) => {
    const rungsFor = (n0: number): Rung[] => {
      let n = n0;
      return epochs.map((e) => {
        const r = { candidates: n, epochs: e, edgeFraction: p.searchFraction };
        n = Math.ceil(n / p.eta);
        return r;
      });
    };
    let best = 0;
    for (let n0 = 2; n0 <= p.maxCandidates; n0++) if (rungSeconds(rungsFor(n0), c) <= room) best = n0;
    return { n0: best, rungs: rungsFor(best) };
  };
  const long = widest([shorter(2), shorter(1)]);
  const short = widest([shorter(3), shorter(2)]);
  const single = widest([shorter(1)]);
  const pick =
    long.n0 >= Math.min(p.maxCandidates, 2 * p.eta)
      ? long
      : short.n0 >= Math.min(p.maxCandidates, 2 * p.eta)
        ? short
        : ([long, short].find((s) => s.n0 >= p.eta) ?? (single.n0 >= 2 ? single : undefined));
  const rungs = pick?.rungs ?? [];
  return { rungs, finalEpochs, estimatedSeconds: { search: rungSeconds(rungs, c), final } };
}

/** One evaluation of one candidate in one rung. */
export interface Trial {
  candidate: number;
  rung: number;
  score: number;
  seconds: number;
  /** Whether it went on to the next rung (or, in the last rung, won). */
  promoted: boolean;
}

export interface HalvingResult {
  trials: Trial[];
  /** The candidate with the best score in the last rung that evaluated any; 0 when nothing was evaluated. */
  winner: number;
  /** Rungs cut short by the deadline, with how many candidates they evaluated. */
  cut: { rung: number; evaluated: number }[];
}

export interface Clock {
  now(): number;
  /** In `now()`'s unit: no evaluation starts that is expected to end after it. */
  deadline: number;
}

/**
 * Runs the rungs: rung 0 evaluates candidates 0 … rungs[0].candidates − 1; each next rung the best
 * rungs[r + 1].candidates of the previous one (ties to the lower index). An evaluation starts only when the
 * clock says it is expected to end by the deadline (expected: the rung's mean so far, or the previous rung's
 * mean scaled by the epochs); a cut rung promotes from what it evaluated.
 */
export async function runHalving(rungs: readonly Rung[], evaluate: (candidate: number, rung: number) => Promise<number>, clock: Clock): Promise<HalvingResult> {
  const trials: Trial[] = [];
  const cut: HalvingResult['cut'] = [];
  let survivors = Array.from({ length: rungs[0]?.candidates ?? 0 }, (_, k) => k);
  let winner = 0;
  let previousMean = 0;
  for (let r = 0; r < rungs.length && survivors.length; r++) {
    const scale = r > 0 ? rungs[r]!.epochs / rungs[r - 1]!.epochs : 0;
    const done: Trial[] = [];
    for (const candidate of survivors) {
      const expected = done.length ? done.reduce((s, t) => s + t.seconds, 0) / done.length : previousMean * scale;
      if (clock.now() + expected > clock.deadline) {
        cut.push({ rung: r, evaluated: done.length });
        break;
      }
      const t0 = clock.now();
      const score = await evaluate(candidate, r);
      done.push({ candidate, rung: r, score, seconds: clock.now() - t0, promoted: false });
    }
    trials.push(...done);
    if (!done.length) break;
    previousMean = done.reduce((s, t) => s + t.seconds, 0) / done.length;
    const ranked = [...done].sort((a, b) => b.score - a.score || a.candidate - b.candidate);
    const keep = r + 1 < rungs.length ? rungs[r + 1]!.candidates : 1;
    for (const t of ranked.slice(0, keep)) t.promoted = true;
    winner = ranked[0]!.candidate;
    survivors = ranked.slice(0, keep).map((t) => t.candidate);
  }
  return { trials, winner, cut };
}

/**
 * Early stopping on a validation curve: tracks the best score and its epoch; `stop` once `patience` checks in a
 * row have not beaten it.
 */
export class EarlyStopping {
  bestScore = -Infinity;
  bestEpoch = 0;
  private since = 0;
  constructor(readonly patience: number) {}

  /** Records a check; returns whether this epoch is the new best. */
  observe(epoch: number, score: number): boolean {
    if (score > this.bestScore) {
      this.bestScore = score;
      this.bestEpoch = epoch;
      this.since = 0;
      return true;
    }
    this.since++;
    return false;
  }

  get stop(): boolean {
    return this.since >= this.patience;
  }
}
