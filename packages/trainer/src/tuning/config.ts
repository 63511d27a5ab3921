/**
 * The tuner's settings (`TrainConfig.tuning`) and their defaults. Separate from config.ts so the schema, the
 * pipeline and the tuner share one definition without a cycle.
 */

export interface TuningConfig {
  /** Choose the backbone's knobs, the smoothing and the user groups on validation (`--no-tune`: false). */
  enabled: boolean;
  /**
   * Wall-clock seconds for everything the tuner does: the search, the final backbone (whose training it is) and
   * the user-group stage. Work is checked against it before each unit starts (one training, one evaluation), so
   * a run overshoots by at most the unit in flight. `--tune-seconds`.
   */
  seconds: number;
  /** Most candidates of the first rung (candidate 0 is always today's defaults). */
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
 * The default budget keeps the Gowalla pipeline within 30 minutes on the project's 2-core machine. From the
 * recorded run (bench/results/quality-gowalla.json, `seconds`): 2,014 s, of which pretrain 1,502 s (60 nested
 * epochs, 25 s each), user groups and refinement 73 s, and load, evaluation and export 439 s. With tuning, the
 * backbone and the user-group stage happen inside the budget and the other 439 s stay, so the budget may be at
 * most 1,800 − 439 = 1,361 s; 1,200 s leaves 12 % for the machine's variation. On that machine the final
 * backbone then gets about 0.6 · 1,200 / 25 ≈ 29 epochs; on a quiet one (12 s an epoch, the 889 s run) about 60.
 */
export const TUNING_DEFAULTS: TuningConfig = {
  enabled: true,
  seconds: 1200,
  candidates: 12,
  eta: 3,
  maxEpochs: 80,
  searchEdges: 200_000,
  userGroups: [8, 1, 4, 16],
  testAgreement: false,
};
