import type { CSR } from '../data/types.js';
import { Random } from '../data/random.js';

/**
 * Carve a validation split out of TRAINING rows for choosing knobs (the test split is never used for that):
 * each user with at least 2 items gives floor(fraction·n) of them (at least 1) to `valid`, chosen uniformly
 * with the seeded generator; the rest stay in `fit`. Rows stay sorted.
 */
export function holdoutSplit(train: CSR, fraction: number, seed: number): { fit: CSR; valid: CSR } {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`holdoutSplit: fraction must be in (0, 1), got ${fraction}`);
  const rows = train.indptr.length - 1;
  const rng = new Random(seed);
  const fitIp = new Uint32Array(rows + 1);
  const valIp = new Uint32Array(rows + 1);
  const fitIx: number[] = [];
  const valIx: number[] = [];
  for (let u = 0; u < rows; u++) {
    const row = Array.from(train.indices.subarray(train.indptr[u], train.indptr[u + 1]));
    const n = row.length;
    const take = n >= 2 ? Math.max(1, Math.floor(fraction * n)) : 0;
    const pick = new Uint8Array(n);
    const order = rng.shuffle(Array.from({ length: n }, (_, x) => x));
    for (let x = 0; x < take; x++) pick[order[x]!] = 1;
    for (let x = 0; x < n; x++) (pick[x] ? valIx : fitIx).push(row[x]!);
    fitIp[u + 1] = fitIx.length;
    valIp[u + 1] = valIx.length;
  }
  return { fit: { indptr: fitIp, indices: Uint32Array.from(fitIx) }, valid: { indptr: valIp, indices: Uint32Array.from(valIx) } };
}
