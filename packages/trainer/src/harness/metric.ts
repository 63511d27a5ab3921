/**
 * The harness's one metric: Recall@20 and NDCG@20 by full ranking, training items excluded (eval/ranking.ts),
 * per user so that any two methods pair on the same users (quality/paired.ts). Test: every test user, against
 * all of train. Validation: the split's seeded sample of validation users against the inner training edges,
 * with the standard error of the mean stated.
 */
import { evaluateRanking } from '../eval/index.js';
import { scatter, type UserMetric } from '../quality/budgets.js';
import type { MethodSplit } from './split.js';

/** Scores are `users · items` (row-major, `dim` wide): a method passes its tables as the device stores them. */
export interface ScoredTables {
  users: Float32Array;
  items: Float32Array;
  dim: number;
}

export interface ValidationMetric extends UserMetric {
  /** Standard error of each mean over the sampled users (their spread only, not the training seed's). */
  se: { recall20: number; ndcg20: number };
  users: number;
  /** Mean Recall and NDCG at 5, 10 and 20 (BET's fitness averages all six, arXiv 2310.14884), from the same ranking. */
  atCutoffs: { k: number; recall: number; ndcg: number }[];
  /**
   * Each sampled user's mean of Recall and NDCG at 5, 10, 20 (BET's and CIESS's eval of one user), by user index, NaN
   * for the users not ranked: CIESS's per-entity quality reads it off the same ranking.
   */
  fitnessPerUser: Float32Array;
}

/** The cutoffs the quick metric also reports. */
export const VALIDATION_CUTOFFS = [5, 10, 20] as const;

/** Test metric of every test user. */
export async function testMetric(t: ScoredTables, split: MethodSplit, threads: number): Promise<UserMetric> {
  const { test } = split;
  const r = await evaluateRanking({ users: t.users, items: t.items, dim: t.dim, train: test.train, test: test.test, unranked: test.testUnranked, threads });
  return { recall20: r.recall20, ndcg20: r.ndcg20, perUser: scatter(t.users.length / t.dim, [r.perUser]) };
}

function standardError(values: Float32Array): number {
  const n = values.length;
  if (n < 2) return 0;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return Math.sqrt(ss / (n - 1) / n);
}

/** The mean of every cutoff's Recall and NDCG per ranked user, scattered over all users (NaN elsewhere). */
function fitnessPerUser(nUsers: number, ranked: Uint32Array, atCutoffs: Float32Array, nCutoffs: number): Float32Array {
  const out = new Float32Array(nUsers).fill(Number.NaN);
  const width = 2 * nCutoffs;
  ranked.forEach((u, e) => {
    let s = 0;
    for (let j = 0; j < width; j++) s += atCutoffs[e * width + j]!;
    out[u] = s / width;
  });
  return out;
}

/** The quick validation metric: the sampled validation users ranked over every item but their inner training items. */
export async function validationMetric(t: ScoredTables, split: MethodSplit, threads: number): Promise<ValidationMetric> {
  const r = await evaluateRanking({
    users: t.users,
    items: t.items,
    dim: t.dim,
    train: split.validation.inner,
    test: split.valid,
    userSubset: split.validationSample,
    cutoffs: VALIDATION_CUTOFFS,
    threads,
  });
  return {
    recall20: r.recall20,
    ndcg20: r.ndcg20,
    perUser: scatter(t.users.length / t.dim, [r.perUser]),
    se: { recall20: standardError(r.perUser.recall20), ndcg20: standardError(r.perUser.ndcg20) },
    users: r.users,
    atCutoffs: r.atCutoffs,
    fitnessPerUser: fitnessPerUser(t.users.length / t.dim, r.perUser.users, r.perUserAtCutoffs, r.atCutoffs.length),
  };
}
