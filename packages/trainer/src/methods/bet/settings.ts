/**
 * BET's settings, scaled down from the paper's (h = 10 epochs per action on a GPU, T = 10–50) so that one budget
 * takes at most 20 minutes on Gowalla on this 2-core machine (issue 21), and the arithmetic behind them.
 *
 * The harness's measured primitive costs on Gowalla (methods-gowalla.json): fine-tune 11.7 s an epoch, quick
 * validation 1.9 s a call, test 20.9 s a call, apply sizes 0.04 s. Measured here, in CPU time on Gowalla's own item
 * frequencies: sampling m = 100 actions 1.4 s, the predictor's forward pass over them 0.35 s (0.25 s more for
 * strategy III's embeddings), one predictor step 0.16 s at a population of 30 (so ≈ 2.5 s an iteration besides
 * fine-tuning and validation). With T = 30, h = 2, R = 4 (the harness's own fine-tune length, which every other
 * masked method's table gets), top 5:
 *   search      30 × (2 × 11.7 + 1.9 + 2.5)   = 834 s
 *   retrain      5 × (4 × 11.7 + 1.9)         = 244 s
 *   served table: validation before and after fine-tuning, and test: 1.9 + 1.9 + 20.9 = 25 s
 *   one budget ≈ 1,103 s ≈ 18.4 min (and one 1.9 s validation of the full tables a run, for eval(E)).
 */
import { HarnessError } from '../../harness/errors.js';
import type { BetAccounting, BetSettings, SearchStrategy } from './search.js';
import type { PrimitiveSeconds } from '../../harness/costs.js';

/** The settings of a Gowalla budget in ≤ 20 minutes; `retrainEpochs` absent: the harness's fine-tune epochs. */
export const BET_DEFAULTS: Omit<BetSettings, 'retrainEpochs'> & { retrainEpochs?: number } = {
  iterations: 30,
  epochs: 2,
  candidates: 100,
  predictorSteps: 2,
  top: 5,
  strategy: 'guided',
  // Adam's 1e-3 moves the predictor little in the T · N = 60 steps of a search; 1e-2 fits the population in them.
  lr: 1e-2,
  accounting: 'device',
};

export const STRATEGIES: readonly SearchStrategy[] = ['guided', 'random'];
export const ACCOUNTINGS: readonly BetAccounting[] = ['device', 'paper'];

/** Throws HarnessError on a setting that cannot run (the CLI's parsers check integers; this checks ranges). */
export function checkSettings(s: BetSettings): BetSettings {
  const atLeast = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new HarnessError(`bet: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  atLeast('iterations', s.iterations, 1);
  atLeast('epochs', s.epochs, 0);
  atLeast('candidates', s.candidates, 1);
  atLeast('predictor steps', s.predictorSteps, 0);
  atLeast('top', s.top, 1);
  atLeast('retrain epochs', s.retrainEpochs, 0);
  if (!STRATEGIES.includes(s.strategy)) throw new HarnessError(`bet: strategy must be one of ${STRATEGIES.join(', ')}, got ${s.strategy}`);
  if (!ACCOUNTINGS.includes(s.accounting)) throw new HarnessError(`bet: accounting must be one of ${ACCOUNTINGS.join(', ')}, got ${s.accounting}`);
  if (!(s.lr > 0 && Number.isFinite(s.lr))) throw new HarnessError(`bet: the predictor's learning rate must be positive, got ${s.lr}`);
  return s;
}

/** The harness's Gowalla figures (see the header), and the overhead measured beside them. */
export const GOWALLA_SECONDS: PrimitiveSeconds = { fineTuneEpoch: 11.7, validate: 1.9, test: 20.9, iterationOverhead: 2.5 };

/** One budget's cost at these settings: the header's arithmetic, as figures. */
export function estimateSeconds(s: BetSettings, c: PrimitiveSeconds): { search: number; retrain: number; served: number; total: number } {
  const search = s.iterations * (s.epochs * c.fineTuneEpoch + c.validate + c.iterationOverhead);
  const retrain = Math.min(s.top, s.iterations) * (s.retrainEpochs * c.fineTuneEpoch + c.validate);
  const served = 2 * c.validate + c.test;
  return { search, retrain, served, total: search + retrain + served };
}
