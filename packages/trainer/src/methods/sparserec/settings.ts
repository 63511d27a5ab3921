/**
 * SparseRec's and plain DST's settings, scaled down so that one budget takes ≤ 20 minutes on Gowalla on this
 * 2-core machine (issue 23), and the arithmetic behind them.
 *
 * Costs: the harness's Gowalla primitives (quick validation 0.93 s, test 8.1 s) and, for the table's own training
 * (one thread, typed arrays), CPU time measured at Gowalla's shape (40,981 items × 128 dims, batch 1024, 256
 * negatives, random users and edges, load ≈ 8 on 2 cores): 56 ms a batch with the sparse backward at the 20 %
 * budget (34 entries a row), 117 ms dense; 23 and 91 ms at 5 %; a prune-and-regrow step 1.6 s. Gowalla's 791
 * batches an epoch give 44 s (sparse) and 93 s (dense) an epoch at 20 %. The anchored NMF (30 updates of a
 * 256 × 40,981 H) ≈ 3 s an update, once a run for every budget. With the default grid (2 fractions × 2 decays,
 * interval 100 batches: 15 steps a run) and 2 epochs a run, each grid point trained and validated:
 *   sparse backward: 4 × (2 × 44 + 15 × 1.6 + 0.93) = 452 s, + served: 0.93 + 8.1 → ≈ 7.7 min a budget
 *   dense backward:  4 × (2 × 93 + 15 × 1.6 + 0.93) = 844 s, + 9 s                → ≈ 14.2 min a budget
 * plus ≈ 90 s of NMF a run. The paper trains from scratch for hundreds of epochs with a larger grid; here each
 * table starts from the shared backbone's values (as magprune's does) and trains 2 epochs a grid point.
 */
import { HarnessError } from '../../harness/errors.js';
import type { MaskInit } from './init.js';
import type { Decay } from './regrow.js';
import type { Backward, Regrowth } from './train.js';

export interface SparseRecSettings {
  init: MaskInit;
  regrowth: Regrowth;
  backward: Backward;
  /** Epochs of each grid point's training. */
  epochs: number;
  /** The grid chosen on validation: every fraction × interval × decay is trained, the best served. */
  fractions: number[];
  /** Batches between prune-and-regrow steps. */
  intervals: number[];
  decays: Decay[];
  /** Sparse backward: negatives a batch computes gradients for (of the recipe's K). */
  sampledNegatives: number;
  /** Multiplicative updates of the NMF. */
  nmfIterations: number;
}

/** SparseRec (all three parts); the ablations and plain DST change init, regrowth or backward. */
export const SPARSEREC_DEFAULTS: SparseRecSettings = {
  init: 'nmf',
  regrowth: 'accumulated',
  backward: 'sparse',
  epochs: 2,
  fractions: [0.1, 0.3],
  intervals: [100],
  decays: ['cosine', 'constant'],
  // A quarter of the 256 negatives: on synthetic data the 64 largest masses hold most of the softmax weight.
  sampledNegatives: 64,
  nmfIterations: 30,
};

export const DECAYS: readonly Decay[] = ['cosine', 'constant'];

/** Throws HarnessError on a setting that cannot run. */
export function checkSparseRecSettings(s: SparseRecSettings): SparseRecSettings {
  const atLeast = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new HarnessError(`sparserec: ${name} must be an integer ≥ ${min}, got ${v}`);
  };
  atLeast('epochs', s.epochs, 1);
  atLeast('sampled negatives', s.sampledNegatives, 0);
  atLeast('NMF iterations', s.nmfIterations, 0);
  if (s.fractions.length === 0 || s.intervals.length === 0 || s.decays.length === 0) throw new HarnessError('sparserec: the grid needs ≥ 1 fraction, interval and decay');
  for (const f of s.fractions) if (!(f >= 0 && f < 1)) throw new HarnessError(`sparserec: prune fractions must be in [0, 1), got ${f}`);
  for (const i of s.intervals) atLeast('interval', i, 1);
  for (const d of s.decays) if (!DECAYS.includes(d)) throw new HarnessError(`sparserec: decay must be one of ${DECAYS.join(', ')}, got ${d}`);
  return s;
}

/** The grid's points. */
export function grid(s: SparseRecSettings): { fraction: number; interval: number; decay: Decay }[] {
  return s.fractions.flatMap((fraction) => s.intervals.flatMap((interval) => s.decays.map((decay) => ({ fraction, interval, decay }))));
}

/** Gowalla's costs (see the header): seconds an epoch by backward, a step, a validation, a test. */
export const GOWALLA_DST_SECONDS = { epoch: { sparse: 44, dense: 93 }, batches: 791, step: 1.6, validate: 0.93, test: 8.1, nmf: 90 } as const;

/** One budget's seconds on Gowalla at these settings (the header's arithmetic; NMF once a run, not counted). */
export function estimateBudgetSeconds(s: SparseRecSettings, c = GOWALLA_DST_SECONDS): number {
  return grid(s).reduce((t, g) => {
    const steps = Math.floor((s.epochs * c.batches - 1) / g.interval);
    return t + s.epochs * c.epoch[s.backward] + steps * c.step + c.validate;
  }, c.validate + c.test);
}
