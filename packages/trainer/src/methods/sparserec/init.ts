/**
 * SparseRec's mask initialisation (arXiv 2411.12205, part 1) and plain DST's random one, both at the budget's
 * entry count: as many entries as the u8-CSR encoding holds in the budget's device bytes, index bytes included,
 * each row keeping ≥ 1 (magprune's `pruneToBudget`, the one accounting).
 *
 * Which NMF: the user table is the shared backbone's and stays frozen (harness rule), so an item's kept entries must
 * be the columns of *that* basis its users load on. A free NMF's k factors are an arbitrary basis (any permutation of
 * them fits as well), so their per-entry sizes say nothing about the backbone's column p. The factorisation here pins
 * W to the users' sign split [max(U, 0) | max(−U, 0)] (non-negative, 2d wide) and fits H ≥ 0 by multiplicative
 * updates: X ≈ W H, and entry (i, p) scores H[p][i] + H[d + p][i], how much item i's users need column p, either sign.
 */
import { Random } from '../../data/random.js';
import type { CSR } from '../../data/types.js';
import type { ValueDtype } from '../../harness/accounting.js';
import { pruneToBudget } from '../magprune/index.js';
import { nmf } from './nmf.js';

export type MaskInit = 'nmf' | 'random';

/** W = [max(U, 0) | max(−U, 0)], row-major [rows][2·dim]. */
export function signSplit(users: Float32Array, dim: number): Float32Array {
  const rows = users.length / dim;
  const w = new Float32Array(rows * 2 * dim);
  for (let u = 0; u < rows; u++) {
    for (let p = 0; p < dim; p++) {
      const v = users[u * dim + p]!;
      w[u * 2 * dim + (v >= 0 ? p : dim + p)] = Math.abs(v);
    }
  }
  return w;
}

/** Item-major [nItems][dim] scores of the anchored NMF: H[p][i] + H[dim + p][i]. */
export async function nmfScores(interactions: CSR, nItems: number, users: Float32Array, dim: number, iterations: number, seed: number): Promise<Float32Array> {
  const { h } = await nmf(interactions, nItems, { k: 2 * dim, iterations, seed, fixedW: signSplit(users, dim) });
  const scores = new Float32Array(nItems * dim);
  for (let i = 0; i < nItems; i++) for (let p = 0; p < dim; p++) scores[i * dim + p] = h[p * nItems + i]! + h[(dim + p) * nItems + i]!;
  return scores;
}

/** Plain DST's start: a uniform random mask (each row ≥ 1 entry) of the same entry count. */
export function randomScores(nItems: number, dim: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: nItems * dim }, () => rng.next());
}

/** The largest `scores` entries the budget holds, each row keeping ≥ 1 (the budget's u8-CSR bytes, index bytes included). */
export function initialMask(scores: Float32Array, dim: number, budget: number, dtype: ValueDtype, method: string): { mask: Uint8Array; nnz: number; bytes: number } {
  return pruneToBudget(scores, dim, budget, dtype, 1, method);
}
