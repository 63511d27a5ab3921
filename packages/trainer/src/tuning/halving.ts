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
  /** Share of the edges a screening rung trains on (a user subsample; 1: all). */
  searchFraction: number;
  /** Cap of the final training's epochs (early stopping may end it sooner). */
  maxEpochs: number;
  /**
   * The default recipe's epochs: the final training's cap is never below them (up to maxEpochs), so tuning never
   * trains the defaults shorter than the untuned pipeline does.
   */
  defaultEpochs: number;
  /** Measured seconds of one validation check of the final training ({@link finalChecks} of them); default 0. */
  checkSeconds?: number;
  /** The user fixed the epochs: the final training runs exactly these. */
  fixedEpochs?: number;
  maxCandidates: number;
  eta: number;
}

export interface TuningPlan {
  /** Screening rungs on the search subsample; candidate 0 (the defaults) is always among those promoted. */
  rungs: Rung[];
  /**
   * The last rung: the defaults against the screen's best challenger, each trained on every inner edge for
   * `epochs` (≥ {@link DUEL_SHARE} of the final epochs, a validation check epoch); both are the first epochs of
   * a final training, and the winner's goes on. Null when tuning was skipped.
   */
  duel: { epochs: number } | null;
  /** Epochs of the final training (a cap when early stopping is on). */
  finalEpochs: number;
  /** What the plan expects to spend: the screen, the duel's loser (its epochs and checks), the final training. */
  estimatedSeconds: { search: number; duel: number; final: number };
  /** Why the search was skipped and the defaults kept (null when it runs). */
  skipped: string | null;
}

/** Shares of the budget: the final training's epochs come first; the duel and the screen get the rest of these two. */
export const FINAL_SHARE = 0.6;
export const SEARCH_SHARE = 0.25;
/** The duel trains at least this share of the final epochs: a horizon long enough to judge the end, not the start. */
export const DUEL_SHARE = 1 / 3;
/** The screen judges at least the defaults and this many challengers, or nothing is searched. */
export const MIN_CHALLENGERS = 2;

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

/**
 * The duel's epochs for a final training of `finalEpochs`: at least {@link DUEL_SHARE} of them, rounded up to a
 * check epoch when the final training checks (early stopping), so both curves hold a check there.
 */
export function duelEpochs(finalEpochs: number, early: boolean): number {
  const least = Math.ceil(finalEpochs * DUEL_SHARE - 1e-9);
  if (!early) return least;
  const every = checkEvery(finalEpochs);
  return Math.min(finalEpochs, Math.ceil(least / every) * every);
}

/** Seconds the rungs cost at `secondsPerEpoch` for the full edge set. */
export function rungSeconds(rungs: readonly Rung[], secondsPerEpoch: number): number {
  return rungs.reduce((s, r) => s + r.candidates * r.epochs * r.edgeFraction * secondsPerEpoch, 0);
}

/**
 * The plan: the final training first (its epochs and checks within FINAL_SHARE of the budget, but never fewer
 * epochs than the defaults', up to maxEpochs); then the duel, the last rung, whose loser's epochs and checks are
 * its only extra cost (the winner's are the final training's first); then one screening rung on the subsample,
 * of as many candidates as fit (the defaults and at least {@link MIN_CHALLENGERS}), each trained 1/eta of the
 * duel's epochs. When the duel and that screen do not fit in FINAL_SHARE + SEARCH_SHARE of the budget, no search
 * runs and the defaults are kept: a search judged on a short horizon alone chose worse settings on Gowalla.
 */
export function planHalving(p: PlanInput): TuningPlan {
  const c = p.secondsPerEpoch;
  if (!(c > 0) || !(p.budgetSeconds > 0)) throw new RangeError(`planHalving: budget ${p.budgetSeconds} s and ${c} s per epoch must be positive`);
  const check = p.checkSeconds ?? 0;
  const early = p.fixedEpochs === undefined;
  const finalCost = (e: number) => e * c + (early ? finalChecks(e) * check : 0);
  const floor = Math.max(1, Math.min(p.defaultEpochs, p.maxEpochs));
  let finalEpochs = p.fixedEpochs ?? Math.max(1, Math.min(p.maxEpochs, Math.floor((FINAL_SHARE * p.budgetSeconds) / c)));
  if (early) while (finalEpochs > floor && finalCost(finalEpochs) > FINAL_SHARE * p.budgetSeconds) finalEpochs--;
  if (early) finalEpochs = Math.max(finalEpochs, floor);
  const none = (skipped: string): TuningPlan => ({ rungs: [], duel: null, finalEpochs, estimatedSeconds: { search: 0, duel: 0, final: finalCost(finalEpochs) }, skipped });
  if (p.maxCandidates < 1 + MIN_CHALLENGERS) return none(`tuning.candidates ${p.maxCandidates} holds fewer than the defaults and ${MIN_CHALLENGERS} challengers`);
  /** The duel and the widest screen that fit beside a final training of `f` epochs; null when none does. */
  const searchFor = (f: number) => {
    const room = (FINAL_SHARE + SEARCH_SHARE) * p.budgetSeconds - finalCost(f);
    const duel = duelEpochs(f, early);
    const duelCost = duel * c + (early ? Math.ceil(duel / checkEvery(f)) : 1) * check;
    const screen = (n: number): Rung => ({ candidates: n, epochs: Math.max(1, Math.round(duel / p.eta)), edgeFraction: p.searchFraction });
    let n0 = 0;
    for (let n = 1 + MIN_CHALLENGERS; n <= p.maxCandidates; n++) if (duelCost + rungSeconds([screen(n)], c) <= room) n0 = n;
    return { duel, duelCost, rungs: n0 ? [screen(n0)] : [], need: finalCost(f) + duelCost + rungSeconds([screen(1 + MIN_CHALLENGERS)], c) };
  };
  // Fewer final epochs (down to the defaults') before no search at all: the epochs past the defaults' are a
  // choice of early stopping, the knobs' a choice of the search.
  for (let f = finalEpochs; f >= (early ? floor : finalEpochs); f--) {
    const s = searchFor(f);
    if (s.rungs.length) {
      return { rungs: s.rungs, duel: { epochs: s.duel }, finalEpochs: f, estimatedSeconds: { search: rungSeconds(s.rungs, c), duel: s.duelCost, final: finalCost(f) }, skipped: null };
    }
  }
  const atLeast = searchFor(early ? floor : finalEpochs);
  return none(
    `the budget (${Math.round(p.budgetSeconds)} s) cannot afford a last rung of ${atLeast.duel} epochs on every edge beside a final training of ${early ? floor : finalEpochs}: the final training, that rung and the smallest screen need about ${Math.round(atLeast.need / (FINAL_SHARE + SEARCH_SHARE))} s; the defaults are kept`,
  );
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
  /** Those promoted out of the last rung that ran (`advance` of them, the protected one among them). */
  survivors: number[];
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
 * mean scaled by the epochs); a cut rung promotes from what it evaluated. The last rung promotes `advance` (default
 * 1). Candidate `protect` (when given) is promoted out of every rung whatever its score, evaluated or not: the
 * defaults must reach the comparison that can replace them.
 */
export async function runHalving(
  rungs: readonly Rung[],
  evaluate: (candidate: number, rung: number) => Promise<number>,
  clock: Clock,
  opts: { protect?: number; advance?: number } = {},
): Promise<HalvingResult> {
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
    if (!done.length) {
      if (r === 0) survivors = opts.protect !== undefined && opts.protect < survivors.length ? [opts.protect] : [];
      break;
    }
    previousMean = done.reduce((s, t) => s + t.seconds, 0) / done.length;
    const ranked = [...done].sort((a, b) => b.score - a.score || a.candidate - b.candidate);
    const keep = r + 1 < rungs.length ? rungs[r + 1]!.candidates : (opts.advance ?? 1);
    const guarded = opts.protect !== undefined && survivors.includes(opts.protect) ? [opts.protect] : [];
    const others = ranked.filter((t) => !guarded.includes(t.candidate)).slice(0, Math.max(0, keep - guarded.length));
    for (const t of [...ranked.filter((t) => guarded.includes(t.candidate)), ...others]) t.promoted = true;
    winner = ranked[0]!.candidate;
    survivors = [...guarded, ...others.map((t) => t.candidate)];
  }
  return { trials, winner, survivors, cut };
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
