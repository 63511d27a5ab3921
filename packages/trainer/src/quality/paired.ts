import type { UserMetric } from './budgets.js';

/** Mean of a per-user difference and its standard error. */
export interface PairedDiff {
  mean: number;
  /** Sample standard deviation of the differences over √users; null with fewer than 2 users. */
  se: number | null;
}

/** How much model `a` beats model `b` on the same test users: positive means `a` is ahead. */
export interface PairedGain {
  recall20: PairedDiff;
  ndcg20: PairedDiff;
  /** Users evaluated by both. */
  users: number;
}

/**
 * `a − b` user by user, over the users both were evaluated on. Pairing removes the variance between users
 * that both models share, so the standard error is that of the *difference*, far smaller than either
 * metric's own. It measures the test users' sampling noise only, not the training seed's.
 */
export function pairedGain(a: UserMetric, b: UserMetric): PairedGain {
  if (a.perUser.recall20.length !== b.perUser.recall20.length) {
    throw new RangeError(`pairedGain: the models were evaluated on ${a.perUser.recall20.length} and ${b.perUser.recall20.length} users`);
  }
  const users: number[] = [];
  a.perUser.recall20.forEach((v, u) => {
    if (!Number.isNaN(v) && !Number.isNaN(b.perUser.recall20[u]!)) users.push(u);
  });
  const diff = (x: Float32Array, y: Float32Array): PairedDiff => {
    const n = users.length;
    if (n === 0) return { mean: 0, se: null };
    let sum = 0;
    for (const u of users) sum += x[u]! - y[u]!;
    const mean = sum / n;
    if (n < 2) return { mean, se: null };
    let ss = 0;
    for (const u of users) ss += (x[u]! - y[u]! - mean) ** 2;
    return { mean, se: Math.sqrt(ss / (n - 1) / n) };
  };
  return { recall20: diff(a.perUser.recall20, b.perUser.recall20), ndcg20: diff(a.perUser.ndcg20, b.perUser.ndcg20), users: users.length };
}
