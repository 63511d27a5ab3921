import type { CSR } from '../data/types.js';
import { Random } from '../data/random.js';
import { SharedHeap, heapBytes } from '../kernels/heap.js';
import { WorkerPool, defaultThreads } from '../kernels/pool.js';
import { smoothOneHop } from './smooth.js';

export interface BackboneOptions {
  /** Full embedding dimension (default pipeline: 128). Multiple of 8 and of blockDim. */
  dim: number;
  /** Dimensions per block (default pipeline: 8). */
  blockDim: number;
  seed: number;
  /** Worker threads; default 2. The result is identical for the same (seed, threads). */
  threads?: number;
  /**
   * λ of the diversity regularizer between blocks (0 disables it: the "noDiversity" ablation). Default 0.
   * For a batch X of unit-norm rows (user rows and, separately, positive-item rows), C = XᵀX / n is the
   * d×d correlation of the embedding coordinates and C_bb' its (blockDim × blockDim) sub-matrix between
   * blocks b and b'. The penalty is  λ · Σ_{b ≠ b'} ‖C_bb'‖²_F : it is zero when every block carries
   * information uncorrelated with the other blocks, so any subset of blocks kept on a device stays useful.
   * It is estimated on the first 128 rows of each thread's share of every batch.
   */
  diversity?: number;
  /**
   * Nested (Matryoshka-style) training: prefix widths, in dimensions, whose truncated scores are trained
   * alongside the full one, so a device that keeps only the first blocks of an item still ranks well.
   * The widths cut each row into segments [0, ℓ₁), [ℓ₁, ℓ₂), …, [ℓ_k, dim); each segment is normalised to
   * norm √(len/dim) (instead of the whole row to 1), so every prefix of width ℓ has norm √(ℓ/dim) and
   * s_ℓ(u, i) = Σ_{p < ℓ} û_p î_p is (ℓ/dim) times a length-weighted mean of segment cosines. The loss is the
   * mean over levels ℓ ∈ nested ∪ {dim} of the sampled softmax on s_ℓ / (τ·ℓ/dim). Fixed prefix norms keep
   * the short levels from starving the last segment (with whole-row normalisation they push the rows'
   * energy into the first blocks). Ascending multiples of 8 and of blockDim, below dim. Default: none.
   */
  nested?: number[];
  /** Epochs of MF with sampled softmax. Default 60. */
  softmaxEpochs?: number;
  /** Edges per batch. Default 1024. */
  batch?: number;
  /** Uniform negatives shared by a batch. Default 256. */
  negatives?: number;
  /** Softmax temperature on cosine scores. Default 0.1. */
  temperature?: number;
  /** Temperature of the whole-row level (with `nested`, the prefix levels keep `temperature`). Default: `temperature`. */
  fullTemperature?: number;
  /** Adam learning rate. Default 2e-3. */
  lr?: number;
  /** Std of the normal initialisation. Default 0.1. */
  initStd?: number;
  /** β of the one-hop smoothing applied at the end (0 disables). Default 0.15. */
  smoothing?: number;
  /**
   * Warm start (the method harness's fine-tuning): start from these row-major tables instead of the seeded
   * normal initialisation. Adam's moments still start at zero. Absent: the plain path, bit for bit as before.
   */
  init?: { users: Float32Array; items: Float32Array };
  /**
   * Item mask, row-major [nItems][dim], 1 = kept, 0 = pruned: applied to the starting item table and re-applied
   * to every item row after each of its updates, so a pruned entry is exactly 0 in every forward pass and in
   * the result (after the smoothing too). A masked entry's gradient still reaches Adam's moments; its weight is
   * reset to 0 after each step. Every row must keep at least one entry.
   */
  itemMask?: Uint8Array;
  /** User mask, row-major [nUsers][dim], the item mask's rule for the user table (SCALL's E⊙M on both sides, issue 24). */
  userMask?: Uint8Array;
  /** Train the item table only: the user rows keep their starting values (a table of `init`'s users, say). */
  freezeUsers?: boolean;
  /**
   * Decoupled weight decay (AdamW): every row an Adam step touches is also scaled by (1 − lr·weightDecay).
   * Scores are cosines, so the decay changes no score directly: it shrinks the rows and with them the
   * effective step size late in training, a regulariser of scale-invariant models. Default 0 (none).
   */
  weightDecay?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
  /**
   * Called after each epoch with the current (unsmoothed, row-normalised) embeddings, e.g. for validation.
   * Returning (or resolving to) true stops training after this epoch (early stopping).
   */
  onEpoch?: (epoch: number, stats: EpochStats, snapshot: () => Embeddings) => unknown;
}

export interface EpochStats {
  /** Mean sampled-softmax loss over the epoch's edges. */
  loss: number;
  /** Mean diversity penalty per batch. */
  diversity: number;
  seconds: number;
}

/** Row-major [n][dim] tables. */
export interface Embeddings {
  dim: number;
  nUsers: number;
  nItems: number;
  users: Float32Array;
  items: Float32Array;
}

function resolved(o: BackboneOptions) {
  return {
    threads: o.threads ?? defaultThreads(),
    diversity: o.diversity ?? 0,
    softmaxEpochs: o.softmaxEpochs ?? 60,
    batch: o.batch ?? 1024,
    negatives: o.negatives ?? 256,
    temperature: o.temperature ?? 0.1,
    fullTemperature: o.fullTemperature ?? o.temperature ?? 0.1,
    lr: o.lr ?? 2e-3,
    initStd: o.initStd ?? 0.1,
    smoothing: o.smoothing ?? 0.15,
    weightDecay: o.weightDecay ?? 0,
    nested: o.nested ?? [],
  };
}

/**
 * Rows as the trainer scores them: each segment [cuts[m-1], cuts[m]) scaled to norm √(len/dim), where
 * cuts ends with dim (one segment: plain unit rows).
 */
function normalizedRows(src: Float32Array, dim: number, cuts: readonly number[]): Float32Array {
  const out = new Float32Array(src.length);
  for (let o = 0; o < src.length; o += dim) {
    let start = 0;
    for (const end of cuts) {
      let s = 0;
      for (let p = start; p < end; p++) s += src[o + p]! * src[o + p]!;
      const inv = s > 0 ? Math.sqrt((end - start) / dim / s) : 0;
      for (let p = start; p < end; p++) out[o + p] = src[o + p]! * inv;
      start = end;
    }
  }
  return out;
}

/**
 * Pretrain the global user and item tables.
 *
 * Recipe: matrix factorisation trained with sampled softmax on cosine scores (temperature τ): for each
 * training edge (u, i) in a batch, loss = −log softmax over [cos(u,i)/τ, cos(u,j)/τ + log(nItems/K)] where
 * j runs over K uniform negatives shared by the batch (the log term corrects for sampling). Adam on the
 * touched rows only, plus the block diversity term (see `diversity`). At the end the rows are normalised
 * and smoothed once over the interaction graph: E = E₀ + β·Â E₀ (Â: symmetric-normalised one-hop
 * propagation), rescaled to E₀'s mean row norm.
 */
export async function trainBackbone(train: CSR, nUsers: number, nItems: number, opts: BackboneOptions): Promise<Embeddings> {
  const { dim, blockDim } = opts;
  const o = resolved(opts);
  if (!Number.isInteger(dim) || dim <= 0 || dim % 8 !== 0) throw new RangeError(`trainBackbone: dim must be a positive multiple of 8, got ${dim}`);
  if (!Number.isInteger(blockDim) || blockDim <= 0 || dim % blockDim !== 0) throw new RangeError(`trainBackbone: blockDim ${blockDim} must divide dim ${dim}`);
  if (o.negatives % 8 !== 0 || o.negatives <= 0) throw new RangeError(`trainBackbone: negatives must be a positive multiple of 8, got ${o.negatives}`);
  for (const [name, t] of [
    ['temperature', o.temperature],
    ['fullTemperature', o.fullTemperature],
  ] as const) {
    if (!(t > 0 && Number.isFinite(t))) throw new RangeError(`trainBackbone: ${name} must be a positive number, got ${t}`);
  }
  if (!(o.weightDecay >= 0 && o.lr * o.weightDecay < 1)) throw new RangeError(`trainBackbone: weightDecay must be ≥ 0 with lr·weightDecay < 1, got ${o.weightDecay}`);
  if (train.indptr.length !== nUsers + 1) throw new RangeError(`trainBackbone: train has ${train.indptr.length - 1} rows, expected ${nUsers}`);
  const nnz = train.indptr[nUsers]!;
  if (nnz === 0) throw new RangeError('trainBackbone: no training interactions');
  for (let q = 0; q < nnz; q++) if (train.indices[q]! >= nItems) throw new RangeError(`trainBackbone: train refers to item ${train.indices[q]} but there are ${nItems} items`);

  let prev = 0;
  for (const w of o.nested) {
    if (!Number.isInteger(w) || w <= prev || w >= dim || w % 8 !== 0 || w % blockDim !== 0) {
      throw new RangeError(`trainBackbone: nested widths must be ascending multiples of 8 and of blockDim (${blockDim}) below dim ${dim}, got ${o.nested.join(',')}`);
    }
    prev = w;
  }
  const mask = opts.itemMask;
  if (mask && mask.length !== nItems * dim) throw new RangeError(`trainBackbone: itemMask has ${mask.length} entries, expected ${nItems} × ${dim}`);
  const userMask = opts.userMask;
  if (userMask && userMask.length !== nUsers * dim) throw new RangeError(`trainBackbone: userMask has ${userMask.length} entries, expected ${nUsers} × ${dim}`);
  if (opts.init && (opts.init.users.length !== nUsers * dim || opts.init.items.length !== nItems * dim)) {
    throw new RangeError(`trainBackbone: init tables of ${opts.init.users.length} and ${opts.init.items.length} values, expected ${nUsers} × ${dim} and ${nItems} × ${dim}`);
  }
  const levels = [...o.nested, dim];
  const M = levels.length;
  const T = Math.max(1, Math.min(o.threads, 64));
  const B = o.batch;
  const K = o.negatives;
  const nBatches = Math.ceil(nnz / B);
  // Tables and Adam moments, edge lists, the epoch's permutation and negatives, per-edge gradients ...
  const counts = [nUsers * dim, nItems * dim, nUsers * dim, nUsers * dim, nItems * dim, nItems * dim, nnz, nnz, nnz, nBatches * K, B * dim, B * dim];
  // ... and each thread's scratch (see threadScratch below).
  for (let t = 0; t < T; t++) counts.push(K * dim, 4 * B * dim, M * B * K, dim * dim, 8 * B, (B + K) * (dim + 1), 3 * K * dim + K, 4 * M * B, (2 * B + K) * M);
  // The mask, one byte an entry, last: without one the heap's layout is the plain path's.
  if (mask) counts.push(Math.ceil(mask.length / 4));
  if (userMask) counts.push(Math.ceil(userMask.length / 4));
  const heap = new SharedHeap(heapBytes(counts));
  const rng = new Random(opts.seed);
  const initRng = rng.fork(1);
  const shuffleRng = rng.fork(2);
  const negRng = rng.fork(3);

  const pU = heap.alloc(nUsers * dim);
  const pI = heap.alloc(nItems * dim);
  const U = heap.f32(pU, nUsers * dim);
  const I = heap.f32(pI, nItems * dim);
  if (opts.init) {
    U.set(opts.init.users);
    I.set(opts.init.items);
  } else {
    for (let x = 0; x < U.length; x++) U[x] = initRng.normal() * o.initStd;
    for (let x = 0; x < I.length; x++) I[x] = initRng.normal() * o.initStd;
  }
  const edgeUser = heap.alloc(nnz);
  const eu = heap.u32(edgeUser, nnz);
  for (let u = 0; u < nUsers; u++) eu.fill(u, train.indptr[u]!, train.indptr[u + 1]!);
  const edgeItem = heap.putU32(train.indices.subarray(0, nnz));
  const pPerm = heap.alloc(nnz);
  const perm = heap.u32(pPerm, nnz);
  for (let e = 0; e < nnz; e++) perm[e] = e;
  const pNegs = heap.alloc(nBatches * K);
  const negs = heap.u32(pNegs, nBatches * K);
  const task = {
    type: 'softmaxEpoch',
    dim,
    blockDim,
    nNeg: K,
    batch: B,
    nnz,
    nUsers,
    nItems,
    nBatches,
    tau: o.fullTemperature,
    shift: Math.log(nItems / K),
    lr: o.lr,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    lambda: o.diversity,
    decay: 1 - o.lr * o.weightDecay,
    levels,
    levelTau: levels.map((w) => ((w === dim ? o.fullTemperature : o.temperature) * w) / dim),
    step0: 0,
    U: pU,
    I: pI,
    mU: heap.alloc(nUsers * dim),
    vU: heap.alloc(nUsers * dim),
    mI: heap.alloc(nItems * dim),
    vI: heap.alloc(nItems * dim),
    edgeUser,
    edgeItem,
    perm: pPerm,
    negs: pNegs,
    gradU: heap.alloc(B * dim),
    gradP: heap.alloc(B * dim),
    dNegPartial: [] as number[],
    threadScratch: [] as Array<Record<string, number>>,
    /** Byte offset of the item mask (u8 per entry), 0 when there is none. */
    mask: 0,
    /** Byte offset of the user mask, 0 when there is none. */
    userMask: 0,
    freezeUsers: opts.freezeUsers === true,
  };
  // Adam moments start at zero: the heap is zero-filled.
  for (let t = 0; t < T; t++) {
    task.dNegPartial.push(heap.alloc(K * dim));
    task.threadScratch.push({
      Uh: heap.alloc(B * dim),
      Ph: heap.alloc(B * dim),
      dUh: heap.alloc(B * dim),
      dPh: heap.alloc(B * dim),
      L: heap.alloc(M * B * K),
      C: heap.alloc(dim * dim),
      posN: heap.alloc(M * B),
      gposN: heap.alloc(M * B),
      statN: heap.alloc(2 * M * B),
      segNorms: heap.alloc((2 * B + K) * M),
      negHat: heap.alloc(K * dim),
      negT: heap.alloc(dim * K),
      negNorm: heap.alloc(K),
      gradN: heap.alloc(K * dim),
      pos: heap.alloc(B),
      gpos: heap.alloc(B),
      idxU: heap.alloc(B),
      idxP: heap.alloc(B),
      normU: heap.alloc(B),
      normP: heap.alloc(B),
      stat: heap.alloc(2 * B),
      acc: heap.alloc((B + K) * dim),
      touched: heap.alloc(B + K),
    });
  }

  if (mask) {
    task.mask = heap.alloc(Math.ceil(mask.length / 4));
    new Uint8Array(heap.memory.buffer, task.mask, mask.length).set(mask);
    for (let x = 0; x < I.length; x++) if (!mask[x]) I[x] = 0;
  }
  if (userMask) {
    task.userMask = heap.alloc(Math.ceil(userMask.length / 4));
    new Uint8Array(heap.memory.buffer, task.userMask, userMask.length).set(userMask);
    for (let x = 0; x < U.length; x++) if (!userMask[x]) U[x] = 0;
  }
  const snapshot = (): Embeddings => ({ dim, nUsers, nItems, users: normalizedRows(U, dim, levels), items: normalizedRows(I, dim, levels) });
  const pool = await WorkerPool.start(new URL('./train-worker.mjs', import.meta.url), heap, T);
  try {
    for (let epoch = 0; epoch < o.softmaxEpochs; epoch++) {
      const t0 = performance.now();
      shuffleRng.shuffle(perm);
      for (let x = 0; x < negs.length; x++) negs[x] = negRng.int(nItems);
      const results = await pool.run<{ loss: number; divPenalty: number }>(task, (d, n) => opts.onProgress?.('pretrain', epoch + d / n, o.softmaxEpochs));
      task.step0 += nBatches;
      const stats: EpochStats = {
        loss: results.reduce((s, r) => s + r.loss, 0) / nnz,
        diversity: results.reduce((s, r) => s + r.divPenalty, 0) / nBatches,
        seconds: (performance.now() - t0) / 1000,
      };
      if (!Number.isFinite(stats.loss)) throw new Error(`trainBackbone: loss diverged at epoch ${epoch + 1}`);
      opts.onProgress?.('pretrain', epoch + 1, o.softmaxEpochs);
      if ((await opts.onEpoch?.(epoch + 1, stats, snapshot)) === true) break;
    }
  } finally {
    await pool.close();
  }
  const e0 = snapshot();
  if (o.smoothing === 0) return e0;
  const smoothed = smoothOneHop(e0, train, o.smoothing);
  // Smoothing adds user rows to item rows: the pruned entries go back to 0.
  if (mask) for (let x = 0; x < smoothed.items.length; x++) if (!mask[x]) smoothed.items[x] = 0;
  if (userMask) for (let x = 0; x < smoothed.users.length; x++) if (!userMask[x]) smoothed.users[x] = 0;
  return smoothed;
}
