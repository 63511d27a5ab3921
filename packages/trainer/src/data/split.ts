import { csrFromPairs } from './csr.js';
import { Random } from './random.js';
import type { CSR } from './types.js';

/** How one file of interactions becomes train and test. */
export type SplitStrategy =
  /** Per user, a seeded random `testFraction` of the interactions (rounded; at least 1 when the fraction is > 0 and the user has ≥ 2). */
  | { kind: 'random'; testFraction: number; seed: number }
  /** Per user, the latest interaction (by timestamp; ties by later line) is the test item. Needs a timestamp column. */
  | { kind: 'leave-last-out' };

export interface Interaction {
  user: number;
  item: number;
  /** Timestamp, or the line number when there is none: order of appearance. */
  time: number;
}

/** Users with a single interaction keep it in train: a user with nothing to learn from cannot be evaluated fairly. */
export function splitInteractions(nUsers: number, rows: readonly Interaction[], strategy: SplitStrategy): { train: CSR; test: CSR } {
  const byUser: Interaction[][] = Array.from({ length: nUsers }, () => []);
  for (const r of rows) byUser[r.user]!.push(r);
  const trU: number[] = [];
  const trI: number[] = [];
  const teU: number[] = [];
  const teI: number[] = [];
  const rng = strategy.kind === 'random' ? new Random(strategy.seed) : undefined;
  for (let u = 0; u < nUsers; u++) {
    const list = byUser[u]!;
    let test = new Set<Interaction>();
    if (list.length >= 2) {
      if (strategy.kind === 'random') {
        const order = rng!.shuffle(list.slice());
        const k = strategy.testFraction > 0 ? Math.max(1, Math.round(list.length * strategy.testFraction)) : 0;
        test = new Set(order.slice(0, Math.min(k, list.length - 1)));
      } else {
        let last = list[0]!;
        for (const r of list) if (r.time >= last.time) last = r;
        test.add(last);
      }
    }
    for (const r of list) {
      if (test.has(r)) {
        teU.push(u);
        teI.push(r.item);
      } else {
        trU.push(u);
        trI.push(r.item);
      }
    }
  }
  return {
    train: csrFromPairs(nUsers, Uint32Array.from(trU), Uint32Array.from(trI)).csr,
    test: csrFromPairs(nUsers, Uint32Array.from(teU), Uint32Array.from(teI)).csr,
  };
}
