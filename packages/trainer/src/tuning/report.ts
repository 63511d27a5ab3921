/** What the tuner writes into the quality report (`tuning`): every candidate, its figures, and each choice. */
import type { DuelVerdict } from './duel.js';
import type { EndReason } from './final-run.js';
import type { Rung } from './halving.js';
import type { LevelMetric } from './objective.js';
import type { Knobs, TunedSetting } from './space.js';

/** A score on one split: the objective and the levels it averages. */
export interface SplitScore {
  score: number;
  levels: LevelMetric[];
}

/** One evaluation of a candidate: validation decides; test is there only when `tuning.testAgreement` asked for it. */
export interface Evaluation {
  validation: SplitScore;
  test?: SplitScore;
}

export interface CandidateReport {
  id: number;
  knobs: Knobs;
  /** The nested widths its placement gives. */
  nested: number[];
  trials: (Evaluation & { rung: number; epochs: number; seconds: number; promoted: boolean })[];
}

export interface TuningReport {
  method: string;
  /**
   * The tuning's budget (from the pipeline's `timeBudget` less the reserve, or `tuning.seconds` when that is
   * sooner) and what the tuner spent, the final backbone and the user-group stage included.
   */
  budgetSeconds: number;
  seconds: number;
  /**
   * The pipeline's deadline: its `timeBudget`, the seconds kept for evaluation and export (from the measured pace
   * of validation checks: `perUserLevel` seconds a user and level, scaled to the test users and `passes`), and the
   * stages the deadline cut short (empty when none was).
   */
  deadline: { timeBudget: number; reserveSeconds: number; perUserLevel: number; testUsers: number; passes: number; stoppedForTime: string[] };
  /** Settings the caller fixed (flag or config key), left untouched. */
  fixed: Partial<Record<TunedSetting, string>>;
  /** The carve everything is chosen on (the test split never is). */
  validation: { users: number; edges: number; valUserFraction: number; valFraction: number };
  objective: string;
  /** Prefix widths a backbone is scored at. */
  widths: number[];
  plan: {
    /** The screening rungs (on the search subsample). */
    rungs: Rung[];
    /** The last rung on every inner edge (the defaults against the screen's best), null when skipped. */
    duel: { epochs: number } | null;
    /** Why no search ran and the defaults were kept (null when it ran). */
    skipped: string | null;
    /** The defaults' epochs: the final training's cap never goes below them (up to `tuning.maxEpochs`). */
    defaultEpochs: number;
    finalEpochs: number;
    secondsPerEpoch: number;
    /** Measured seconds of one validation check (every width, every validation user). */
    checkSeconds: number;
    /** Users and training edges of the search rungs' subsample. */
    searchUsers: number;
    searchEdges: number;
    estimatedSeconds: { search: number; duel: number; final: number };
  };
  candidates: CandidateReport[];
  /** The search's winner, and the rungs the deadline cut short. */
  search: { winner: number; cut: { rung: number; evaluated: number }[] };
  /**
   * The last rung: the defaults (candidate 0) against the screen's best challenger, at the longest horizon both
   * trained on every inner edge; the challenger replaces the defaults only on a paired margin (duel.ts). `verdict`
   * is null when no comparison ran; `note` says why, or restates the verdict.
   */
  duel: { challenger: number | null; verdict: DuelVerdict | null; note: string | null };
  /** The winner trained on every inner edge, with early stopping on validation every `checkEvery` epochs. */
  final: {
    candidate: number;
    maxEpochs: number;
    checkEvery: number;
    bestEpoch: number;
    stoppedAt: number;
    reason: EndReason;
    seconds: number;
    curve: (Evaluation & { epoch: number })[];
  };
  /** β of the final smoothing, each tried on the final backbone; null when the caller fixed it. */
  smoothing: { chosen: number; tried: (Evaluation & { beta: number })[]; stoppedForTime: boolean } | null;
  /** User groups C, each built (groups, refinement) on the final backbone and scored at full size and every budget. */
  userGroups: { chosen: number; tried: (Evaluation & { userGroups: number; seconds: number })[]; stoppedForTime: boolean } | null;
  /** The values the pipeline then used. */
  chosen: Knobs & { nestedWidths: number[]; softmaxEpochs: number; smoothing: number; userGroups: number };
  /** How often validation and test order a pair of candidates the same way (only with `tuning.testAgreement`). */
  agreement?: AgreementReport;
  notes: string[];
}

export interface DecisionAgreement {
  /** Which decision: `rung 0`, `rung 1`, `epochs`, `smoothing`, `userGroups`. */
  decision: string;
  options: number;
  /** Pairs validation orders (not tied), and of those, how many test orders the same way. */
  pairs: number;
  agree: number;
  kendallTau: number | null;
  /** Whether validation's best option is also test's best. */
  winnerAgrees: boolean;
}

export interface AgreementReport {
  decisions: DecisionAgreement[];
  pairs: number;
  agree: number;
  /** agree / pairs. */
  share: number | null;
  /** Decisions whose winner was also test's best, of those with at least two options. */
  winnersAgree: number;
  decisionsCompared: number;
}
