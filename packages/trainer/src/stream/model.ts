/**
 * The streaming backbone: SCALL's E ⊙ M on both tables. Each method keeps a full-width table E per side from segment
 * to segment; a segment grows E by the new rows, trains E ⊙ M (the first d_n entries of each row) warm-started
 * from it, and writes the trained entries back, so an entry masked out now keeps its last trained value for a later
 * segment that widens the row again. The recipe is the method harness's fine-tune (HARNESS_DEFAULTS.fineTune:
 * sampled softmax on cosine scores, no nesting, diversity or smoothing) with the user table trained too, masked.
 */
import { trainBackbone } from '../backbone/index.js';
import { csrFromPairs } from '../data/csr.js';
import type { Random } from '../data/random.js';
import type { CSR } from '../data/types.js';
import { evaluateRanking } from '../eval/index.js';
import type { FineTuneRecipe } from '../harness/finetune.js';
import { applyMask, sizesMask } from '../harness/tables.js';
import type { Pair } from './segments.js';

/** Row-major [rows][dim] tables of one model. */
export interface Tables {
  dim: number;
  users: Float32Array;
  items: Float32Array;
}

/** Standard deviation of a fresh row's entries (the backbone's initialisation). */
const INIT_STD = 0.1;

export function csrOf(nUsers: number, pairs: readonly Pair[]): CSR {
  return csrFromPairs(
    nUsers,
    Uint32Array.from(pairs, (p) => p.user),
    Uint32Array.from(pairs, (p) => p.item),
  ).csr;
}

/**
 * E grown to `nUsers` × `nItems` rows. A new row starts at the mean of its neighbours' existing rows in `pairs`
 * (the items a new user took, the users who took a new item) plus a little noise, so it begins where its first
 * interactions point; a row with no known neighbour starts as the backbone initialises one.
 */
export function growTables(prev: Tables | undefined, dim: number, nUsers: number, nItems: number, pairs: readonly Pair[], rng: Random): Tables {
  const oldU = prev ? prev.users.length / dim : 0;
  const oldI = prev ? prev.items.length / dim : 0;
  const users = new Float32Array(nUsers * dim);
  const items = new Float32Array(nItems * dim);
  if (prev) {
    users.set(prev.users);
    items.set(prev.items);
  }
  const sumU = new Float64Array((nUsers - oldU) * dim);
  const cntU = new Uint32Array(nUsers - oldU);
  const sumI = new Float64Array((nItems - oldI) * dim);
  const cntI = new Uint32Array(nItems - oldI);
  for (const p of pairs) {
    if (p.user >= oldU && p.item < oldI) {
      cntU[p.user - oldU]!++;
      for (let k = 0; k < dim; k++) sumU[(p.user - oldU) * dim + k]! += items[p.item * dim + k]!;
    }
    if (p.item >= oldI && p.user < oldU) {
      cntI[p.item - oldI]!++;
      for (let k = 0; k < dim; k++) sumI[(p.item - oldI) * dim + k]! += users[p.user * dim + k]!;
    }
  }
  const fill = (table: Float32Array, first: number, sum: Float64Array, cnt: Uint32Array) => {
    for (let r = 0; r < cnt.length; r++) {
      const o = (first + r) * dim;
      for (let k = 0; k < dim; k++) {
        const noise = rng.normal() * INIT_STD;
        table[o + k] = cnt[r]! > 0 ? sum[r * dim + k]! / cnt[r]! + 0.1 * noise : noise;
      }
    }
  };
  fill(users, oldU, sumU, cntU);
  fill(items, oldI, sumI, cntI);
  return { dim, users, items };
}

export interface SegmentTraining {
  /** The warm start E (full width). */
  start: Tables;
  userSizes: Uint16Array;
  itemSizes: Uint16Array;
  train: CSR;
  recipe: FineTuneRecipe;
  seed: number;
  threads: number;
  onProgress?: (done: number, total: number) => void;
}

/** The trained model: `served` is E ⊙ M as a device stores it; `full` is E with the trained entries written back. */
export interface Trained {
  served: Tables;
  full: Tables;
}

export async function trainSegment(s: SegmentTraining): Promise<Trained> {
  const { dim } = s.start;
  const userMask = sizesMask(s.userSizes, dim);
  const itemMask = sizesMask(s.itemSizes, dim);
  const e = await trainBackbone(s.train, s.userSizes.length, s.itemSizes.length, {
    dim,
    blockDim: 8,
    seed: s.seed,
    threads: s.threads,
    nested: [],
    diversity: 0,
    smoothing: 0,
    softmaxEpochs: s.recipe.epochs,
    batch: s.recipe.batch,
    negatives: s.recipe.negatives,
    temperature: s.recipe.temperature,
    lr: s.recipe.lr,
    init: { users: s.start.users, items: s.start.items },
    userMask,
    itemMask,
    onProgress: s.onProgress && ((_stage, done, total) => s.onProgress?.(done, total)),
  });
  const served = { dim, users: applyMask(e.users, userMask), items: applyMask(e.items, itemMask) };
  const writeBack = (full: Float32Array, trained: Float32Array, mask: Uint8Array) => full.map((v, x) => (mask[x] ? trained[x]! : v));
  return { served, full: { dim, users: writeBack(s.start.users, served.users, userMask), items: writeBack(s.start.items, served.items, itemMask) } };
}

export interface Fitness {
  recall20: number;
  ndcg20: number;
  users: number;
  /** Per evaluated user, in one order for every table ranked on the same pairs: what paired differences need. */
  perUser: { recall20: Float32Array; ndcg20: Float32Array };
}

/** Recall@20 and NDCG@20 of `held` (pairs) ranked over every known item, each user's `seen` items excluded (0 with no pairs). */
export async function rankHeldOut(t: Tables, seen: CSR, held: readonly Pair[], threads: number): Promise<Fitness> {
  if (held.length === 0) return { recall20: 0, ndcg20: 0, users: 0, perUser: { recall20: new Float32Array(0), ndcg20: new Float32Array(0) } };
  const nUsers = t.users.length / t.dim;
  const r = await evaluateRanking({ users: t.users, items: t.items, dim: t.dim, train: seen, test: csrOf(nUsers, held), threads });
  return { recall20: r.recall20, ndcg20: r.ndcg20, users: r.users, perUser: { recall20: r.perUser.recall20, ndcg20: r.perUser.ndcg20 } };
}

/** SCALL's fitness: the mean of Recall@20 and NDCG@20. */
export const fitnessOf = (f: Fitness) => (f.recall20 + f.ndcg20) / 2;
