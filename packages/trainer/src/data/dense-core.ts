/**
 * The k-core of an interaction graph: the largest set of pairs in which every user and every item has at least
 * k pairs. Dropping the users and items below k lowers other degrees, so it repeats until nothing changes; the
 * fixpoint is unique (it does not depend on the order of removals).
 */
import { DerivationError } from './derivation-error.js';
import type { PairList } from './pairs.js';

export interface CoreResult {
  readonly pairs: PairList;
  /** Passes over the pairs, the last of which removed nothing (1: the input already was a k-core). */
  readonly rounds: number;
}

function degrees(ids: Uint32Array, alive: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  for (let k = 0; k < ids.length; k++) if (alive[k]) out.set(ids[k]!, (out.get(ids[k]!) ?? 0) + 1);
  return out;
}

/** The k-core of `pairs` (each pair once), in input order. */
export function denseCore(pairs: PairList, k: number): CoreResult {
  if (!Number.isInteger(k) || k < 1) throw new DerivationError('dense core', `k = ${k} must be a positive integer`);
  const n = pairs.users.length;
  const alive = new Uint8Array(n).fill(1);
  let rounds = 0;
  for (let removed = 1; removed > 0; ) {
    rounds++;
    removed = 0;
    const du = degrees(pairs.users, alive);
    const di = degrees(pairs.items, alive);
    for (let j = 0; j < n; j++) {
      if (alive[j] && (du.get(pairs.users[j]!)! < k || di.get(pairs.items[j]!)! < k)) {
        alive[j] = 0;
        removed++;
      }
    }
  }
  const idx: number[] = [];
  for (let j = 0; j < n; j++) if (alive[j]) idx.push(j);
  return { pairs: { users: Uint32Array.from(idx, (j) => pairs.users[j]!), items: Uint32Array.from(idx, (j) => pairs.items[j]!) }, rounds };
}
