/**
 * CIESS's per-entity quality (arXiv 2304.03501, Eq. 6): q_n = min(eval(e_n | E ⊙ M) / eval(e_n | E), 1), with eval
 * the mean of Recall and NDCG at 5, 10, 20. A user's eval is its own on the quick validation ranking; an item's is
 * the mean over its validation users: the sampled validation users who interacted with it (inner training or
 * held-out edges). All of it is read off one ranking pass per table (`ValidationMetric.fitnessPerUser`).
 *
 * Entities with no ranked user (most users, and the items no sampled user touched) get the whole table's ratio;
 * eval(E) = 0 counts as nothing lost (q = 1).
 */
import type { CSR } from '../../data/types.js';
import { HarnessError } from '../../harness/errors.js';

/** For each item, the sampled validation users who interacted with it, as a CSR over items. */
export interface ItemUsers {
  indptr: Uint32Array;
  users: Uint32Array;
}

/** Builds the item → sampled-users index from the inner training edges and the held-out pairs. */
export function itemValidationUsers(sample: Uint32Array, inner: CSR, valid: CSR, nItems: number): ItemUsers {
  const counts = new Uint32Array(nItems + 1);
  const each = (f: (u: number, i: number) => void) => {
    for (const u of sample) for (const c of [inner, valid]) for (let q = c.indptr[u]!; q < c.indptr[u + 1]!; q++) f(u, c.indices[q]!);
  };
  each((_u, i) => counts[i + 1]!++);
  for (let i = 0; i < nItems; i++) counts[i + 1]! += counts[i]!;
  const fill = counts.slice(0, nItems);
  const users = new Uint32Array(counts[nItems]!);
  each((u, i) => (users[fill[i]!++] = u));
  return { indptr: counts, users };
}

const ratio = (masked: number, full: number) => (full > 0 ? Math.min(masked / full, 1) : 1);

/** The whole table's ratio over the ranked users (the fallback of entities with none). */
export function overallQuality(masked: Float32Array, full: Float32Array): number {
  let m = 0;
  let f = 0;
  for (let u = 0; u < full.length; u++) {
    if (Number.isNaN(full[u]!)) continue;
    m += masked[u]!;
    f += full[u]!;
  }
  return ratio(m, f);
}

/** q of every user (by user index): `masked` and `full` are per-user evals, NaN for the users not ranked. */
export function userQuality(masked: Float32Array, full: Float32Array): Float32Array {
  if (masked.length !== full.length) throw new HarnessError(`ciess quality: ${masked.length} masked evals for ${full.length} full ones`);
  const fallback = overallQuality(masked, full);
  return Float32Array.from(full, (f, u) => (Number.isNaN(f) ? fallback : ratio(masked[u]!, f)));
}

/** q of every item (by item index): the ratio of its validation users' summed evals. */
export function itemQuality(index: ItemUsers, masked: Float32Array, full: Float32Array): Float32Array {
  const fallback = overallQuality(masked, full);
  const nItems = index.indptr.length - 1;
  const out = new Float32Array(nItems);
  for (let i = 0; i < nItems; i++) {
    const [from, to] = [index.indptr[i]!, index.indptr[i + 1]!];
    if (from === to) {
      out[i] = fallback;
      continue;
    }
    let m = 0;
    let f = 0;
    for (let p = from; p < to; p++) {
      const u = index.users[p]!;
      if (Number.isNaN(full[u]!)) continue;
      m += masked[u]!;
      f += full[u]!;
    }
    out[i] = ratio(m, f);
  }
  return out;
}

/** Items with at least one validation user (their q is their own, not the fallback). */
export function coveredItems(index: ItemUsers): number {
  let n = 0;
  for (let i = 0; i + 1 < index.indptr.length; i++) if (index.indptr[i + 1]! > index.indptr[i]!) n++;
  return n;
}
