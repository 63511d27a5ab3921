/** The `methods` command's --sparserec-* flags: SparseRec's and plain DST's settings (methods/sparserec/settings.ts). */
import { type Command, InvalidArgumentError } from 'commander';
import { intAtLeast, list, num } from './cli-common.js';
import type { Decay } from './methods/sparserec/regrow.js';
import { DECAYS, SPARSEREC_DEFAULTS, type SparseRecSettings } from './methods/sparserec/settings.js';

export interface SparseRecFlags {
  sparserecEpochs?: number;
  sparserecFractions?: number[];
  sparserecIntervals?: number[];
  sparserecDecays?: Decay[];
  sparserecSampledNegatives?: number;
  sparserecNmfIterations?: number;
}

const decays = (v: string): Decay[] =>
  list(v).map((d) => {
    if (!(DECAYS as readonly string[]).includes(d)) throw new InvalidArgumentError(`decays must be of ${DECAYS.join(', ')}, got ${d}`);
    return d as Decay;
  });

export function addSparseRecOptions(cmd: Command): Command {
  const d = SPARSEREC_DEFAULTS;
  return cmd
    .option('--sparserec-epochs <n>', `SparseRec/DST: epochs of each grid point's training (default ${d.epochs})`, intAtLeast('sparserec epochs', 1))
    .option('--sparserec-fractions <list>', `SparseRec/DST: prune fractions of the grid chosen on validation (default ${d.fractions.join(',')})`, (v) => list(v).map((s) => num('prune fraction')(s)))
    .option('--sparserec-intervals <list>', `SparseRec/DST: batches between prune-and-regrow steps, a grid (default ${d.intervals.join(',')})`, (v) => list(v).map((s) => intAtLeast('interval', 1)(s)))
    .option('--sparserec-decays <list>', `SparseRec/DST: decay of the prune fraction, a grid of ${DECAYS.join(',')} (default ${d.decays.join(',')})`, decays)
    .option('--sparserec-sampled-negatives <m>', `SparseRec: negatives a batch's sparse backward computes (default ${d.sampledNegatives})`, intAtLeast('sampled negatives', 0))
    .option('--sparserec-nmf-iterations <n>', `SparseRec: multiplicative NMF updates of the mask init (default ${d.nmfIterations})`, intAtLeast('NMF iterations', 0));
}

export function sparseRecOverrides(f: SparseRecFlags): Partial<SparseRecSettings> {
  return {
    ...(f.sparserecEpochs !== undefined ? { epochs: f.sparserecEpochs } : {}),
    ...(f.sparserecFractions ? { fractions: f.sparserecFractions } : {}),
    ...(f.sparserecIntervals ? { intervals: f.sparserecIntervals } : {}),
    ...(f.sparserecDecays ? { decays: f.sparserecDecays } : {}),
    ...(f.sparserecSampledNegatives !== undefined ? { sampledNegatives: f.sparserecSampledNegatives } : {}),
    ...(f.sparserecNmfIterations !== undefined ? { nmfIterations: f.sparserecNmfIterations } : {}),
  };
}
