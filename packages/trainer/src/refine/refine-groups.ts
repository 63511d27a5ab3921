import type { Scoring } from '@peelrec/format';
import { rowCount } from '../data/csr.js';
import { Random } from '../data/random.js';
import type { CSR } from '../data/types.js';
import type { ItemGroups } from '../groups/item-groups.js';
import { SharedHeap, heapBytes } from '../kernels/heap.js';
import { WorkerPool } from '../kernels/pool.js';
import type { RefineResult, RefineTask } from './refine-group.mjs';
import { chooseScoring, mean } from './validation.mjs';

export interface RefineOptions {
  /** Maximum epochs over each group's inner training edges (early stopping on validation). */
  epochs: number;
  /** Epochs without validation improvement before stopping. */
  patience: number;
  /** Positive edges per step. */
  batch: number;
  /** Uniform negatives shared by a step (a multiple of 8 for the GEMM kernel). */
  negatives: number;
  /** Adam learning rate of the item table, relative to its RMS entry. */
  lr: number;
  controllerLr: number;
  /** One controller (outer) step every this many embedding (inner) steps. */
  outerEvery: number;
  /** Fractions of the blocks kept in the budgets refinement trains for (one drawn per step). */
  elastic: number[];
  /** Hidden units of the controller MLP. */
  hidden: number;
  /**
   * Score with weights renormalised over each item group's kept blocks (a weighted mean of the kept blocks'
   * scores), as @peelrec/format's scoring rule does, so items that keep fewer blocks are not scored lower
   * for it. False: the plain weighted sum.
   */
  renormalize: boolean;
  /**
   * Train the controller through a relaxed (sigmoid) version of the budget's keep-mask, so its outer step
   * learns which blocks each budget keeps. False: through the hard mask (only the kept blocks' weighting).
   */
  softSelection: boolean;
  /** Share of a validation user's training items held out (at least one). */
  valFraction: number;
  /**
   * Share of the users (with ≥ 3 training items) who give validation items. The validation edges are
   * carved out before pretraining, so every one costs the backbone a training edge: few users, one item each.
   */
  valUserFraction: number;
  seed: number;
  threads: number;
}

export const REFINE_DEFAULTS: RefineOptions = {
  epochs: 8,
  patience: 2,
  batch: 1024,
  negatives: 256,
  lr: 2e-3,
  controllerLr: 1e-2,
  outerEvery: 2,
  elastic: [1, 0.4, 0.2, 0.1],
  hidden: 16,
  renormalize: true,
  softSelection: true,
  valFraction: 0.05,
  valUserFraction: 0.3,
  seed: 1,
  threads: 2,
};

export interface RefinedGroups {
  /** Per user group: the refined item table, row-major [nItems][dim], in item-index order. */
  tables: Float32Array[];
  /** Per user group: controller weights [itemGroup][block], softmax over blocks. */
  weights: Float32Array[];
  /** Per user group: the scoring rule, chosen on validation pooled over the groups (the same for all). */
  scoring: Scoring[];
  stats: (RefineResult & { id: number })[];
}

export interface RefineInput {
  users: Float32Array;
  items: Float32Array;
  dim: number;
  blockDim: number;
  nUsers: number;
  nItems: number;
  train: CSR;
  /** User group of every user. */
  assignment: Uint16Array;
  groupCount: number;
  itemGroups: ItemGroups;
  options: RefineOptions;
  /**
   * The inner/validation split of `train` (see carveValidation). Pass the split the backbone was pretrained
   * on (its `inner` part), so the validation edges are unseen by every table the controller is judged on.
   * Default: carved here from `train` with `options.valFraction` and `options.seed`.
   */
  validation?: ValidationSplit;
  onProgress?: (done: number, total: number) => void;
}

export interface ValidationSplit {
  inner: CSR;
  valUsers: Uint32Array;
  valItems: Uint32Array;
}

/**
 * Splits each user's training items into an inner part (pretraining, refinement) and a
 * validation part (controller, early stopping, the choices made on validation): for a seeded
 * `userFraction` share of the users with ≥ 3 items, a seeded max(1, round(f·n)) of their items.
 * The test split is never touched.
 */
export function carveValidation(train: CSR, fraction: number, seed: number, userFraction = 1): ValidationSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  if (!(userFraction >= 0 && userFraction <= 1)) throw new RangeError(`validation user fraction must be in [0, 1], got ${userFraction}`);
  const n = rowCount(train);
  const rng = new Random(seed);
  const pick = new Random(seed ^ 0x5f3759df);
  const indptr = new Uint32Array(n + 1);
  const inner: number[] = [];
  const vu: number[] = [];
  const vi: number[] = [];
  for (let u = 0; u < n; u++) {
    const row = Array.from(train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!));
    // drawn for every user, so the users picked do not depend on the others' row lengths
    const picked = pick.next() < userFraction;
    if (row.length >= 3 && fraction > 0 && picked) {
      const held = new Set(rng.shuffle(row.slice()).slice(0, Math.max(1, Math.round(fraction * row.length))));
      for (const i of row) {
        if (held.has(i)) {
          vu.push(u);
          vi.push(i);
        } else inner.push(i);
      }
    } else inner.push(...row);
    indptr[u + 1] = inner.length;
  }
  return { inner: { indptr, indices: Uint32Array.from(inner) }, valUsers: Uint32Array.from(vu), valItems: Uint32Array.from(vi) };
}

/** Refines every user group's copy of the item table with its own controller; groups run in parallel worker threads. */
export async function refineUserGroups(input: RefineInput): Promise<RefinedGroups> {
  const { users, items, dim: D, blockDim, nUsers, nItems, groupCount: C, itemGroups, options: o } = input;
  if (D % blockDim !== 0) throw new RangeError(`dim ${D} is not a multiple of blockDim ${blockDim}`);
  if (o.negatives % 8 !== 0) throw new RangeError(`negatives must be a multiple of 8, got ${o.negatives}`);
  const B = D / blockDim;
  const G = itemGroups.groups.length;
  const { inner, valUsers, valItems } = input.validation ?? carveValidation(input.train, o.valFraction, o.seed, o.valUserFraction);

  const members: number[][] = Array.from({ length: C }, () => []);
  for (let u = 0; u < nUsers; u++) members[input.assignment[u]!]!.push(u);
  const vals: { u: number[]; i: number[] }[] = Array.from({ length: C }, () => ({ u: [], i: [] }));
  for (let k = 0; k < valUsers.length; k++) {
    const c = input.assignment[valUsers[k]!]!;
    vals[c]!.u.push(valUsers[k]!);
    vals[c]!.i.push(valItems[k]!);
  }
  const edges = members.map((m) => m.reduce((s, u) => s + inner.indptr[u + 1]! - inner.indptr[u]!, 0));
  const threads = Math.max(1, Math.min(o.threads, C));

  const itemGroupOf = new Uint32Array(nItems);
  for (let p = 0; p < nItems; p++) itemGroupOf[itemGroups.order[p]!] = itemGroups.groupOfPosition[p]!;
  // Mean log-popularity of each item group: the controller's popularity feature.
  const groupPopularity = itemGroups.groups.map((g) => {
    let s = 0;
    for (let p = g.start; p < g.start + g.count; p++) s += Math.log1p(itemGroups.popularity[p]!);
    return s / g.count;
  });

  const P = o.batch;
  const N = o.negatives;
  const table = nItems * D;
  const counts = [nUsers * D, table, nUsers + 1, inner.indices.length, nItems, nUsers, valUsers.length, valUsers.length, C * G * B, 1];
  for (let c = 0; c < C; c++) counts.push(table);
  for (let t = 0; t < threads; t++) counts.push(table, table, table, table, P * D, D * N, P * N, D * N);
  const heap = new SharedHeap(heapBytes(counts));
  const base = {
    nUsers,
    nItems,
    dim: D,
    blockDim,
    blocks: B,
    itemGroups: G,
    users: heap.putF32(users),
    items: heap.putF32(items),
    innerIndptr: heap.putU32(inner.indptr),
    innerIndices: heap.putU32(inner.indices),
    itemGroupOf: heap.putU32(itemGroupOf),
    groupPopularity,
    batch: P,
    negatives: N,
    epochs: o.epochs,
    patience: o.patience,
    lr: o.lr,
    controllerLr: o.controllerLr,
    outerEvery: o.outerEvery,
    elastic: o.elastic,
    hidden: o.hidden,
    renormalize: o.renormalize,
    softSelection: o.softSelection,
  };
  const membersPtr = heap.putU32(members.flat());
  const valUPtr = heap.putU32(vals.flatMap((v) => v.u));
  const valIPtr = heap.putU32(vals.flatMap((v) => v.i));
  const weightsPtr = heap.alloc(C * G * B);
  const counter = heap.alloc(1);
  let mOff = 0;
  let vOff = 0;
  const groups: (Partial<RefineTask> & { id: number })[] = [];
  for (let c = 0; c < C; c++) {
    groups.push({
      id: c,
      members: membersPtr + 4 * mOff,
      membersCount: members[c]!.length,
      valUsers: valUPtr + 4 * vOff,
      valItems: valIPtr + 4 * vOff,
      valCount: vals[c]!.u.length,
      out: heap.alloc(table),
      weightsOut: weightsPtr + 4 * c * G * B,
      // Per-group seed: results do not depend on which thread runs the group.
      seed: (o.seed * 1_000_003 + c * 7919 + 1) >>> 0,
    });
    mOff += members[c]!.length;
    vOff += vals[c]!.u.length;
  }
  const scratch: RefineTask['scratch'][] = [];
  for (let t = 0; t < threads; t++) {
    scratch.push({
      work: heap.alloc(table),
      gradAcc: heap.alloc(table),
      adamM: heap.alloc(table),
      adamV: heap.alloc(table),
      up: heap.alloc(P * D),
      vnT: heap.alloc(D * N),
      s: heap.alloc(P * N),
      dvnT: heap.alloc(D * N),
    });
  }
  // Longest-first onto the least-loaded thread: balanced and deterministic.
  const plan: number[][] = Array.from({ length: threads }, () => []);
  const load = new Array<number>(threads).fill(0);
  for (const c of [...members.keys()].sort((a, b) => edges[b]! - edges[a]! || a - b)) {
    const t = load.indexOf(Math.min(...load));
    plan[t]!.push(c);
    load[t]! += edges[c]!;
  }
  const totalEdges = edges.reduce((a, b) => a + b, 0) * o.epochs;

  const pool = await WorkerPool.start(new URL('./refine-worker.mjs', import.meta.url), heap, threads);
  let perThread: (RefineResult & { id: number })[][];
  try {
    perThread = await pool.run({ type: 'refine', base, groups, plan, scratch, counter, totalEdges }, input.onProgress);
  } finally {
    await pool.close();
  }
  const stats = perThread.flat().sort((a, b) => a.id - b.id);
  const { scoring } = chooseScoring(stats, o.renormalize ? 'mean' : 'truncated');
  for (const s of stats) {
    s.scoring = scoring;
    s.valRecallAfter = mean(s.ruleRecalls[scoring]); // 0 without validation users, as before
  }
  return {
    tables: groups.map((g) => heap.f32(g.out!, table).slice()),
    weights: groups.map((_, c) => heap.f32(weightsPtr + 4 * c * G * B, G * B).slice()),
    scoring: stats.map((s) => s.scoring),
    stats,
  };
}
