/**
 * The tuner's objective: what a candidate is judged by, on the validation carve (or, for the report only, on
 * test). A backbone is scored at the prefix widths the budgets serve; a PEEL model at its full table and at each
 * budget's selection. The score is the mean over those levels of (Recall@20 + NDCG@20) / 2: one artifact serves
 * every budget, so no single level decides.
 */
import type { Dtype } from '@peelrec/format';
import type { Embeddings } from '../backbone/index.js';
import { rowCount } from '../data/csr.js';
import type { CSR } from '../data/types.js';
import { evaluateRanking } from '../eval/index.js';
import type { ValidationSplit } from '../refine/index.js';

export interface LevelMetric {
  /** Prefix width in dimensions (a backbone), or the budget fraction (a PEEL model; 1: the full table). */
  level: number;
  recall20: number;
  ndcg20: number;
}

/** Each ranked user's own objective (the mean over levels of (Recall@20 + NDCG@20) / 2), for paired comparisons. */
export interface PerUserScores {
  users: Uint32Array;
  score: Float64Array;
}

export interface Scored {
  score: number;
  levels: LevelMetric[];
  users: number;
  perUser: PerUserScores;
}

/** What a split ranks: items to exclude per user, the held-out items, and optionally which users count. */
export interface SplitData {
  train: CSR;
  test: CSR;
  testUnranked?: Uint32Array;
  users?: Uint32Array;
}

export const scoreOf = (levels: readonly LevelMetric[]) => (levels.length ? levels.reduce((s, l) => s + (l.recall20 + l.ndcg20) / 2, 0) / levels.length : 0);

const ELEMENT_BYTES: Record<Dtype, number> = { f32: 4, f16: 2, i8: 1 };

/**
 * The prefix widths the budgets serve, widest first: at a fraction f of the full f32 table, the narrowest exported
 * encoding holds about f · 4 / bytes blocks of every item (the full width when that is all of them), and the full
 * width itself. For 128 × 8 in f32 and f16, budgets 0.5, 0.2, 0.1, 0.05: 128, 48, 24, 8.
 */
export function budgetWidths(fullDim: number, blockDim: number, budgets: readonly number[], dtypes: readonly Dtype[]): number[] {
  const B = fullDim / blockDim;
  const bytes = Math.min(...dtypes.map((d) => ELEMENT_BYTES[d]));
  const widths = new Set([fullDim]);
  for (const f of budgets) {
    const blocks = Math.min(B, Math.floor((f * B * 4) / bytes + 1e-9));
    if (blocks >= 1) widths.add(blocks * blockDim);
  }
  return [...widths].sort((a, b) => b - a);
}

/** The validation edges as a CSR over all users (rows of users who gave none are empty). */
export function validationCsr(v: ValidationSplit): CSR {
  const n = rowCount(v.inner);
  const indptr = new Uint32Array(n + 1);
  for (const u of v.valUsers) indptr[u + 1]!++;
  for (let u = 0; u < n; u++) indptr[u + 1]! += indptr[u]!;
  const fill = indptr.slice(0, n);
  const indices = new Uint32Array(v.valItems.length);
  v.valUsers.forEach((u, k) => {
    indices[fill[u]!++] = v.valItems[k]!;
  });
  for (let u = 0; u < n; u++) indices.subarray(indptr[u]!, indptr[u + 1]!).sort();
  return { indptr, indices };
}

/** The first `width` columns of a row-major table. */
function prefix(rows: Float32Array, dim: number, width: number): Float32Array {
  if (width === dim) return rows;
  const n = rows.length / dim;
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) out.set(rows.subarray(r * dim, r * dim + width), r * width);
  return out;
}

/** A backbone ranked by the dot product of its first `width` dimensions, at each width. */
export async function scoreBackbone(e: Embeddings, split: SplitData, widths: readonly number[], threads: number): Promise<Scored> {
  const levels: LevelMetric[] = [];
  let users = 0;
  let perUser: PerUserScores = { users: new Uint32Array(0), score: new Float64Array(0) };
  for (const w of widths) {
    const r = await evaluateRanking({
      users: prefix(e.users, e.dim, w),
      items: prefix(e.items, e.dim, w),
      dim: w,
      train: split.train,
      test: split.test,
      unranked: split.testUnranked,
      userSubset: split.users,
      threads,
    });
    levels.push({ level: w, recall20: r.recall20, ndcg20: r.ndcg20 });
    users = r.users;
    // every width ranks the same users in the same order: accumulate each one's mean over the levels
    if (perUser.users.length !== r.perUser.users.length) perUser = { users: r.perUser.users, score: new Float64Array(r.perUser.users.length) };
    for (let k = 0; k < perUser.score.length; k++) perUser.score[k]! += (r.perUser.recall20[k]! + r.perUser.ndcg20[k]!) / 2 / widths.length;
  }
  return { score: scoreOf(levels), levels, users, perUser };
}
