/**
 * The tuner's settings (`TrainConfig.tuning`) and their defaults. Separate from config.ts so the schema, the
 * pipeline and the tuner share one definition without a cycle.
 */

export interface TuningConfig {
  /** Choose the backbone's knobs, the smoothing and the user groups on validation (`--no-tune`: false). */
  enabled: boolean;
  /**
   * Optional cap, in wall-clock seconds, on everything the tuner does: the search, the final backbone (whose
   * training it is) and the user-group stage. Tuning ends at this cap or at the pipeline's deadline less the
   * reserve for evaluation and export (`timeBudget`), whichever comes first. Work is checked against the end
   * before each unit starts (one training, one evaluation), so a run overshoots by at most the unit in flight.
   * `--tune-seconds`; unset by default.
   */
  seconds?: number;
  /** Most candidates of the screening rung (candidate 0 is always today's defaults); fewer, longer rungs. */
  candidates: number;
  /** Successive-halving factor: each rung keeps 1/eta of the candidates and trains them eta× longer. */
  eta: number;
  /** Most epochs of the final backbone; early stopping on validation usually ends it sooner. */
  maxEpochs: number;
  /** Search rungs train on a seeded subsample of the users with about this many training edges (all when fewer). */
  searchEdges: number;
  /** User-group counts C tried on validation (those with at least 50 users per group); the first is tried first. */
  userGroups: number[];
  /**
   * Report only: also evaluate every candidate on the test split, to measure how often validation and test agree
   * on which candidate is better (`tuning.agreement` in the quality report). Never used to choose.
   */
  testAgreement: boolean;
}

/**
 * No cap of the tuner's own: the pipeline's `timeBudget` (default 1,800 s, issue 19's 30 minutes on the project's
 * 2-core machine) sets when tuning ends, less the reserve for evaluation and export that tuning measures
 * (deadline.ts; about 460 s on Gowalla, whose recorded evaluation took 435 s and export 4 s).
 */
export const TUNING_DEFAULTS: TuningConfig = {
  enabled: true,
  candidates: 6,
  eta: 3,
  maxEpochs: 80,
  searchEdges: 200_000,
  userGroups: [8, 1, 4, 16],
  testAgreement: false,
};
