/**
 * Fine-tuning from a warm start: the backbone trainer (backbone/train.ts, our WASM kernels) run for h epochs from
 * given tables, with the item mask re-applied after every update and the user table frozen. Users stay frozen
 * because an artifact has one user table for all its variants (format contract, issue 20): every method's item
 * table is scored against the shared backbone's users, so a comparison differs in the item table alone.
 *
 * The papers' accounting (BET, CIESS) sizes the users too and exports nothing, so there `fineTuneTables` trains
 * both sides under their masks, as the papers train the masked model: a truncated user row that never trains
 * carries the cut's whole loss, which makes user size look worth more than it is.
 */
import { trainBackbone } from '../backbone/index.js';
import type { CSR } from '../data/types.js';
import { HarnessError } from './errors.js';
import { applyMask } from './tables.js';

/**
 * The fine-tuning recipe, the same for every method: the backbone's sampled softmax on cosine scores at the
 * table's own width, no nested levels, no diversity term, no smoothing (the warm start has had its smoothing).
 */
export interface FineTuneRecipe {
  epochs: number;
  batch: number;
  negatives: number;
  temperature: number;
  lr: number;
}

export interface FineTuneInput {
  /** The inner training edges (the validation carve's `inner`). */
  train: CSR;
  /** Row-major [nUsers][dim]: frozen. */
  users: Float32Array;
  /** Row-major [nItems][dim]: the warm start. */
  items: Float32Array;
  dim: number;
  /** One byte an item entry, 1 = kept; absent: every entry trains. */
  mask?: Uint8Array;
  recipe: FineTuneRecipe;
  seed: number;
  threads: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * The fine-tuned item table, masked entries exactly 0. Training is on cosine scores, so it moves each row's
 * direction only; every row comes back at the length of its masked warm start, which keeps what the backbone's
 * row norms carry (on gowalla-core30 validation, unit rows lost 0.005–0.02 Recall@20 to this at every budget
 * for magprune and frequency-sized). With 0 epochs: the masked warm start itself, the same rule untrained.
 */
export async function fineTuneItems(f: FineTuneInput): Promise<Float32Array> {
  return (await fineTuneTables(f)).items;
}

/** Both tables fine-tuned; with `userMask` the users train under it (each row kept at its masked start's length), without it they come back as given. */
export async function fineTuneTables(f: FineTuneInput & { userMask?: Uint8Array }): Promise<{ users: Float32Array; items: Float32Array }> {
  const nUsers = f.users.length / f.dim;
  const nItems = f.items.length / f.dim;
  if (!Number.isInteger(nUsers) || !Number.isInteger(nItems)) throw new HarnessError(`fineTuneItems: tables are not multiples of dim ${f.dim}`);
  if (!(Number.isInteger(f.recipe.epochs) && f.recipe.epochs >= 0)) throw new HarnessError(`fineTuneItems: epochs must be a non-negative integer, got ${f.recipe.epochs}`);
  if (f.userMask && f.userMask.length !== f.users.length) throw new HarnessError(`fineTuneTables: userMask has ${f.userMask.length} entries, expected ${f.users.length}`);
  const start = f.mask ? applyMask(f.items, f.mask) : f.items;
  const users = f.userMask ? applyMask(f.users, f.userMask) : f.users;
  if (f.recipe.epochs === 0) return { users, items: start };
  const e = await trainBackbone(f.train, nUsers, nItems, {
    dim: f.dim,
    blockDim: 8,
    seed: f.seed,
    threads: f.threads,
    nested: [],
    diversity: 0,
    smoothing: 0,
    softmaxEpochs: f.recipe.epochs,
    batch: f.recipe.batch,
    negatives: f.recipe.negatives,
    temperature: f.recipe.temperature,
    lr: f.recipe.lr,
    init: { users, items: start },
    ...(f.mask ? { itemMask: f.mask } : {}),
    ...(f.userMask ? { userMask: f.userMask } : {}),
    freezeUsers: !f.userMask,
    onProgress: f.onProgress && ((_s, done, total) => f.onProgress?.(done, total)),
  });
  return { users: f.userMask ? withNormsOf(e.users, users, f.dim) : f.users, items: withNormsOf(e.items, start, f.dim) };
}

/** `rows` (unit rows) scaled to the norms of `like`'s rows. */
function withNormsOf(rows: Float32Array, like: Float32Array, dim: number): Float32Array {
  const out = rows.slice();
  for (let o = 0; o < out.length; o += dim) {
    let s = 0;
    for (let p = o; p < o + dim; p++) s += like[p]! * like[p]!;
    const n = Math.sqrt(s);
    for (let p = o; p < o + dim; p++) out[p]! *= n;
  }
  return out;
}
