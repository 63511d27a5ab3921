import { blockByteLength, selectBlocks, type Dtype, type Manifest } from '@peelrec/format';
import type { CSR } from '../data/types.js';
import { evaluateRanking, type RankingMetrics } from '../eval/index.js';
import { asStored, blocksPerItem, effectiveTable, selectionManifest, singleGroupLayout, type PeelModel, type ScoredBlock } from './peel-model.js';

export interface Metric {
  recall20: number;
  ndcg20: number;
}

/** The means only: a `UserMetric`'s per-user values are for paired comparisons, not for reports. */
export function pick(m: Metric): Metric {
  return { recall20: m.recall20, ndcg20: m.ndcg20 };
}

/**
 * A metric with each test user's own values, indexed by user (NaN for users without test items), so two
 * models can be compared user by user (see pairedGain). Not serialised: `pick` the means for reports.
 */
export interface UserMetric extends Metric {
  perUser: { recall20: Float32Array; ndcg20: Float32Array };
}

/** Spreads evaluateRanking's per-user values over a user-indexed pair of arrays (NaN elsewhere). */
export function scatter(nUsers: number, parts: readonly RankingMetrics['perUser'][]): UserMetric['perUser'] {
  const recall20 = new Float32Array(nUsers).fill(NaN);
  const ndcg20 = new Float32Array(nUsers).fill(NaN);
  for (const p of parts) {
    p.users.forEach((u, e) => {
      recall20[u] = p.recall20[e]!;
      ndcg20[u] = p.ndcg20[e]!;
    });
  }
  return { recall20, ndcg20 };
}

export interface EvalData {
  train: CSR;
  test: CSR;
  /** Per user, test items outside the catalog: misses (Dataset.testUnranked). */
  testUnranked?: Uint32Array;
}

/** Budget in bytes for a fraction of one user group's full f32 item table. */
export function budgetBytes(m: { nItems: number; dim: number }, fraction: number): number {
  return Math.floor(fraction * m.nItems * m.dim * 4);
}

interface GroupView {
  blocks: readonly ScoredBlock[];
  dtype: Dtype;
}

/** Users of each group. */
export function groupMembers(assignment: Uint16Array, count: number): Uint32Array[] {
  const lists: number[][] = Array.from({ length: count }, () => []);
  assignment.forEach((c, u) => lists[c]!.push(u));
  return lists.map((l) => Uint32Array.from(l));
}

/**
 * Ranking quality of a PEEL model where each user group sees its own
 * selection: all-item ranking of every user against its group's effective
 * table, averaged over users.
 *
 * Two exact ways to compute it. Per group: one ranking call per user group
 * with that group's users. Joint: one call where user u of group c is placed
 * in slot c of a C·dim vector and item rows are the C effective tables side
 * by side, so <ũ, ẽ_i> = <u, e^{(c)}_i> (the other slots add exact zeros).
 * Joint costs C× the arithmetic but one thread-pool start instead of C:
 * it wins on small catalogs (the demo), per group wins on Gowalla.
 */
export async function evaluateGroups(m: PeelModel, data: EvalData, view: (userGroup: number) => GroupView, threads?: number): Promise<UserMetric> {
  const C = m.tables.length;
  const members = groupMembers(m.assignment, C);
  const views = Array.from({ length: C }, (_, c) => (members[c]!.length ? view(c) : undefined));
  const tables = views.map((v, c) => (v ? effectiveTable(m, c, v.blocks, v.dtype) : undefined));
  const D = m.dim;
  // ~10 GFMA/s for the kernel on this class of machine, ~0.3 s per pool start: pick the cheaper.
  const jointSeconds = (m.nUsers * m.nItems * C * D) / 1e10;
  const perGroupSeconds = (m.nUsers * m.nItems * D) / 1e10 + 0.3 * C;
  if (C > 1 && jointSeconds < perGroupSeconds) {
    const JD = C * D;
    const users = new Float32Array(m.nUsers * JD);
    for (let u = 0; u < m.nUsers; u++) users.set(m.users.subarray(u * D, u * D + D), u * JD + m.assignment[u]! * D);
    const items = new Float32Array(m.nItems * JD);
    tables.forEach((t, c) => {
      if (!t) return;
      for (let i = 0; i < m.nItems; i++) items.set(t.subarray(i * D, i * D + D), i * JD + c * D);
    });
    const r = await evaluateRanking({ users, items, dim: JD, train: data.train, test: data.test, unranked: data.testUnranked, threads });
    return { recall20: r.recall20, ndcg20: r.ndcg20, perUser: scatter(m.nUsers, [r.perUser]) };
  }
  let recall = 0;
  let ndcg = 0;
  let users = 0;
  const parts: RankingMetrics['perUser'][] = [];
  for (let c = 0; c < C; c++) {
    if (!tables[c]) continue;
    const r = await evaluateRanking({ users: m.users, items: tables[c]!, dim: D, train: data.train, test: data.test, unranked: data.testUnranked, userSubset: members[c], threads });
    recall += r.recall20 * r.users;
    ndcg += r.ndcg20 * r.users;
    users += r.users;
    parts.push(r.perUser);
  }
  const perUser = scatter(m.nUsers, parts);
  return users ? { recall20: recall / users, ndcg20: ndcg / users, perUser } : { recall20: 0, ndcg20: 0, perUser };
}

/** Every block, learned weights: what a device with room for the whole table gets. */
export function evaluateFull(m: PeelModel, data: EvalData, dtype: Dtype = 'f32', threads?: number): Promise<UserMetric> {
  const manifest = selectionManifest(m, [dtype]);
  // every block of one user group, i8 scales included
  const everything = m.itemGroups.groups.reduce((n, g) => n + blocksPerItem(m) * blockByteLength(m.blockDim, g.count, dtype), 0);
  return evaluateGroups(m, data, (c) => ({ blocks: selectBlocks(manifest, c, everything, { dtype }).blocks, dtype }), threads);
}

/**
 * PEEL at a budget: `selectBlocks` (the browser's code) on `manifest` per user group, scored with the
 * learned weights. Returns the dtype selection chose (the same for every group: their sizes are equal) and
 * the blocks it kept, mean over the user groups that have users.
 *
 * `storedAs` scores the selected blocks decoded from another encoding than the one selection chose: `f32`
 * gives the same blocks unquantised, so what quantising costs is apart from what the extra blocks gain.
 */
export async function evaluateSelected(
  m: PeelModel,
  manifest: Manifest,
  budget: number,
  data: EvalData,
  opts: { dtype?: Dtype | 'auto'; storedAs?: Dtype; threads?: number } = {},
): Promise<UserMetric & { dtype: Dtype; blocks: number }> {
  let dtype: Dtype | undefined;
  let blocks = 0;
  let groups = 0;
  const metric = await evaluateGroups(
    m,
    data,
    (c) => {
      const s = selectBlocks(manifest, c, budget, { dtype: opts.dtype ?? 'auto' });
      dtype = s.dtype;
      blocks += s.blocks.length;
      groups++;
      return { blocks: s.blocks, dtype: opts.storedAs ?? s.dtype };
    },
    opts.threads,
  );
  return { ...metric, dtype: dtype!, blocks: blocks / groups };
}

/**
 * Ablation (c): PEEL's refined blocks without the learned weights. Selection (still `selectBlocks`) sees
 * weights that rank block 0 highest, then block 1, …, so every item group keeps its first k blocks
 * (leftovers to the most popular groups); scores weigh every kept block equally.
 */
export async function evaluateUnweighted(m: PeelModel, budget: number, data: EvalData, dtypes: readonly Dtype[], threads?: number): Promise<UserMetric & { dtype: Dtype }> {
  const B = blocksPerItem(m);
  const G = m.itemGroups.groups.length;
  const firstK = Float32Array.from({ length: G * B }, (_, k) => (B - (k % B)) / B);
  const manifest = selectionManifest(
    m,
    dtypes,
    m.tables.map(() => firstK),
  );
  let dtype: Dtype | undefined;
  const metric = await evaluateGroups(
    m,
    data,
    (c) => {
      const s = selectBlocks(manifest, c, budget, { dtype: 'auto' });
      dtype = s.dtype;
      return { blocks: s.blocks.map((b) => ({ ...b, scoreWeight: 1 })), dtype: s.dtype };
    },
    threads,
  );
  return { ...metric, dtype: dtype! };
}

/**
 * Largest dimension whose `dtype` item table fits `budget`: a multiple of blockDim (and of 8, which the
 * trainer's kernel needs), at most fullDim; 0 if none fits. The table is counted as an exported single-group
 * artifact would hold it, blocks of blockDim dims over all items: in i8, one byte an element (about 4× the
 * f32 width) plus each block's 4-byte scale.
 */
export function uniformDim(nItems: number, fullDim: number, blockDim: number, budget: number, dtype: Dtype): number {
  let step = blockDim;
  while (step % 8 !== 0) step += blockDim;
  const stepBytes = (step / blockDim) * blockByteLength(blockDim, nItems, dtype);
  return Math.min(fullDim, Math.floor(budget / stepBytes) * step);
}

/**
 * Plain embeddings (one table for everyone), items stored in `dtype`. In i8 the table is quantised as one item
 * group of all items with one scale per block of `blockDim` dims, the granularity of an exported single-group
 * artifact (and the one `uniformDim` counts); f32 and f16 round elementwise, so `blockDim` does not matter there.
 */
export async function evaluatePlain(e: { users: Float32Array; items: Float32Array; dim: number }, data: EvalData, dtype: Dtype, opts: { blockDim: number; threads?: number }): Promise<UserMetric> {
  const items = asStored(e.items, dtype, singleGroupLayout(e.items.length / e.dim, e.dim, opts.blockDim));
  const r = await evaluateRanking({ users: e.users, items, dim: e.dim, train: data.train, test: data.test, unranked: data.testUnranked, threads: opts.threads });
  return { recall20: r.recall20, ndcg20: r.ndcg20, perUser: scatter(e.users.length / e.dim, [r.perUser]) };
}
