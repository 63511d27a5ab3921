/**
 * The item table's dynamic sparse training on typed arrays: the harness's loss (the backbone's sampled softmax on
 * cosine scores, users frozen, K uniform negatives shared by a batch, the log(nItems/K) correction, lazy Adam on the
 * rows a batch touches), with a fixed entry count that prune-and-regrow (regrow.ts) moves every `interval` batches.
 * The forward pass is sparse in every mode: a row's score reads its active entries only.
 *
 * Backward, for a row x with active set A and contributors b (coefficient c_b = ∂L/∂s_b, unit user û_b):
 * s_b = û_b·x/‖x‖, so ∂L/∂x = (a − σ x/‖x‖)/‖x‖ with a = Σ_b c_b û_b and σ = Σ_b c_b s_b.
 * - `dense`: a at every entry of every touched row (the batch's positives and all K negatives), written into a
 *   table-sized gradient G, as an autograd framework holds an embedding's gradient; Adam reads G's active entries.
 * - `sparse` (SparseRec part 3): the important rows only, a at their active entries only, no table-sized gradient.
 *   Important rows: every positive (each carries its edge's whole pull, 1 − p₀), and the `sampledNegatives` negatives
 *   of largest softmax mass Σ_b p_bj. A negative's gradient is (Σ_b p_bj û_b − …)/τ‖x‖, so its size is bounded by its
 *   mass: the negatives left out are those whose push is smallest (the "hard negatives" carry the signal). A negative
 *   that is also a positive of the batch always counts, so a chosen row's update is exactly the dense one.
 * Regrowth needs the gradient of inactive entries. Dense: every touched row's, from G. Sparse: the positives' alone
 * (one user each, B·d a batch, no K factor), so that no negative's inactive entries are ever computed.
 */
import type { CSR } from '../../data/types.js';
import { Random } from '../../data/random.js';
import { HarnessError } from '../../harness/errors.js';
import { pruneAndRegrow, moveCount, type Schedule } from './regrow.js';

export type Backward = 'sparse' | 'dense';
export type Regrowth = 'accumulated' | 'last-batch';

export interface DstRecipe {
  batch: number;
  negatives: number;
  temperature: number;
  lr: number;
}

export interface DstTableInput {
  /** Row-major [nUsers][dim], frozen. */
  users: Float32Array;
  /** Row-major [nItems][dim], the start (inactive entries are set to 0). */
  items: Float32Array;
  mask: Uint8Array;
  dim: number;
  recipe: DstRecipe;
  backward: Backward;
  /** Sparse backward: negatives a batch computes gradients for. */
  sampledNegatives: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPS = 1e-8;

/** One table under training: values, mask, Adam's moments, the regrowth signal, and the batch scratch. */
export class DstTable {
  readonly dim: number;
  readonly nItems: number;
  readonly values: Float32Array;
  readonly mask: Uint8Array;
  /** The gradient of inactive entries summed since the signal was last cleared (regrowth's evidence). */
  readonly signal: Float32Array;
  readonly backward: Backward;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly uhat: Float32Array;
  private readonly o: DstRecipe;
  private readonly sampled: number;
  private step = 0;
  // Active entries by row (CSR), rebuilt after each prune-and-regrow.
  private rowPtr: Uint32Array;
  private cols: Uint8Array;
  // Batch scratch: users transposed [dim][B], scores and softmax weights [K][B], one slot per touched row.
  private readonly ut: Float32Array;
  private readonly s: Float32Array;
  private readonly pw: Float32Array;
  private readonly s0: Float32Array;
  private readonly p0: Float32Array;
  private readonly mx: Float32Array;
  private readonly sum: Float32Array;
  private readonly slotOf: Int32Array;
  private readonly slotRow: Uint32Array;
  private readonly slotInv: Float32Array;
  private readonly slotSigma: Float64Array;
  private readonly slotUsed: Uint8Array;
  private readonly rowA: Float32Array;
  /** Dense backward only: the table-sized gradient. */
  private readonly g: Float32Array | undefined;

  constructor(t: DstTableInput) {
    const { dim } = t;
    if (dim > 256) throw new HarnessError(`dst: at most 256 dims (u8 column indices), not ${dim}`);
    if (t.items.length !== t.mask.length || t.items.length % dim !== 0) throw new HarnessError('dst: items and mask must be [nItems][dim]');
    this.dim = dim;
    this.nItems = t.items.length / dim;
    this.o = t.recipe;
    this.backward = t.backward;
    this.sampled = Math.max(0, Math.min(t.sampledNegatives, t.recipe.negatives));
    this.mask = t.mask.slice();
    this.values = t.items.slice();
    for (let x = 0; x < this.values.length; x++) if (!this.mask[x]) this.values[x] = 0;
    this.m = new Float32Array(this.values.length);
    this.v = new Float32Array(this.values.length);
    this.signal = new Float32Array(this.values.length);
    this.uhat = unitRows(t.users, dim);
    const B = t.recipe.batch;
    const K = t.recipe.negatives;
    this.ut = new Float32Array(dim * B);
    this.s = new Float32Array(K * B);
    this.pw = new Float32Array(K * B);
    this.s0 = new Float32Array(B);
    this.p0 = new Float32Array(B);
    this.mx = new Float32Array(B);
    this.sum = new Float32Array(B);
    this.slotOf = new Int32Array(this.nItems).fill(-1);
    this.slotRow = new Uint32Array(B + K);
    this.slotInv = new Float32Array(B + K);
    this.slotSigma = new Float64Array(B + K);
    this.slotUsed = new Uint8Array(B + K);
    this.rowA = new Float32Array((B + K) * dim);
    this.g = t.backward === 'dense' ? new Float32Array(this.values.length) : undefined;
    [this.rowPtr, this.cols] = activeLists(this.mask, dim);
  }

  /** Bytes of the buffers the backward pass holds: the slots' rows, and the dense mode's table-sized gradient. */
  gradientBytes(): number {
    return this.rowA.byteLength + this.slotSigma.byteLength + this.pw.byteLength + (this.g?.byteLength ?? 0);
  }

  nnz(): number {
    return this.rowPtr[this.nItems]!;
  }

  /**
   * One batch of edges (users[b], positives[b]) against the shared `negatives`; adds the inactive entries' gradient
   * to `signal` when `collect`. Returns the mean loss and the rows whose values were updated.
   */
  train(users: Uint32Array, positives: Uint32Array, negatives: Uint32Array, collect: boolean): { loss: number; updated: Uint32Array } {
    const { dim } = this;
    const B = this.o.batch;
    const n = users.length;
    const K = negatives.length;
    if (n > B || K !== this.o.negatives || positives.length !== n) throw new HarnessError(`dst: a batch of ${n} edges and ${K} negatives, expected ≤ ${B} and ${this.o.negatives}`);
    const tau = this.o.temperature;
    const shift = Math.log(this.nItems / K);
    const { ut, s, pw, s0, p0, rowA, uhat, values, mask, rowPtr, cols } = this;
    let slots = 0;
    const slot = (i: number): number => {
      let z = this.slotOf[i]!;
      if (z >= 0) return z;
      z = slots++;
      this.slotOf[i] = z;
      this.slotRow[z] = i;
      this.slotInv[z] = invNorm(values, i * dim, rowPtr, cols, i);
      this.slotSigma[z] = 0;
      this.slotUsed[z] = 0;
      rowA.fill(0, z * dim, (z + 1) * dim);
      return z;
    };
    for (let b = 0; b < n; b++) for (let p = 0; p < dim; p++) ut[p * B + b] = uhat[users[b]! * dim + p]!;
    // Forward: cosine scores from active entries.
    for (let b = 0; b < n; b++) {
      const i = positives[b]!;
      const z = slot(i);
      this.slotUsed[z] = 1;
      let d = 0;
      for (let q = rowPtr[i]!; q < rowPtr[i + 1]!; q++) d += uhat[users[b]! * dim + cols[q]!]! * values[i * dim + cols[q]!]!;
      s0[b] = d * this.slotInv[z]!;
    }
    for (let k = 0; k < K; k++) {
      const j = negatives[k]!;
      const inv = this.slotInv[slot(j)]!;
      const row = k * B;
      s.fill(0, row, row + n);
      for (let q = rowPtr[j]!; q < rowPtr[j + 1]!; q++) {
        const p = cols[q]!;
        const x = values[j * dim + p]! * inv;
        if (x === 0) continue;
        const base = p * B;
        for (let b = 0; b < n; b++) s[row + b]! += ut[base + b]! * x;
      }
    }
    // Sampled softmax per edge: the positive against the K negatives (+ log(nItems/K)); row-wise over k, so that
    // every pass reads the [K][B] scores contiguously.
    const { mx, sum } = this;
    for (let b = 0; b < n; b++) mx[b] = s0[b]! / tau;
    for (let k = 0; k < K; k++) for (let b = 0, r = k * B; b < n; b++) mx[b] = Math.max(mx[b]!, s[r + b]! / tau + shift);
    for (let b = 0; b < n; b++) sum[b] = Math.exp(s0[b]! / tau - mx[b]!);
    for (let k = 0; k < K; k++) {
      for (let b = 0, r = k * B; b < n; b++) {
        const e = Math.exp(s[r + b]! / tau + shift - mx[b]!);
        pw[r + b] = e;
        sum[b]! += e;
      }
    }
    let loss = 0;
    for (let b = 0; b < n; b++) {
      p0[b] = Math.exp(s0[b]! / tau - mx[b]!) / sum[b]!;
      loss -= Math.log(p0[b]! + 1e-30);
      sum[b] = 1 / sum[b]!;
    }
    for (let k = 0; k < K; k++) for (let b = 0, r = k * B; b < n; b++) pw[r + b]! *= sum[b]!;
    const chosen = this.chooseNegatives(negatives, n);
    const dense = this.backward === 'dense';
    // Negatives' a and σ (coefficient p_bj/τ).
    for (let k = 0; k < K; k++) {
      if (!chosen[k]) continue;
      const j = negatives[k]!;
      const z = this.slotOf[j]!;
      this.slotUsed[z] = 1;
      const row = k * B;
      let sigma = 0;
      for (let b = 0; b < n; b++) sigma += pw[row + b]! * s[row + b]!;
      this.slotSigma[z]! += sigma / tau;
      const q0 = dense ? 0 : rowPtr[j]!;
      const q1 = dense ? dim : rowPtr[j + 1]!;
      for (let q = q0; q < q1; q++) {
        const p = dense ? q : cols[q]!;
        let a = 0;
        for (let b = 0, base = p * B; b < n; b++) a += pw[row + b]! * ut[base + b]!;
        rowA[z * dim + p]! += a / tau;
      }
    }
    // Positives' (coefficient (p₀ − 1)/τ); the sparse mode's regrowth signal comes from here.
    for (let b = 0; b < n; b++) {
      const i = positives[b]!;
      const z = this.slotOf[i]!;
      const c = (p0[b]! - 1) / tau;
      this.slotSigma[z]! += c * s0[b]!;
      const u = users[b]! * dim;
      const inv = this.slotInv[z]!;
      for (let p = 0; p < dim; p++) {
        if (dense || mask[i * dim + p]) rowA[z * dim + p]! += c * uhat[u + p]!;
        else if (collect) this.signal[i * dim + p]! += c * uhat[u + p]! * inv;
      }
    }
    return { loss: loss / n, updated: this.update(slots, collect) };
  }

  /** Which negatives get a backward pass: all (dense), or the largest softmax masses and every batch positive (sparse). */
  private chooseNegatives(negatives: Uint32Array, n: number): Uint8Array {
    const K = negatives.length;
    const B = this.o.batch;
    const chosen = new Uint8Array(K);
    if (this.backward === 'dense') return chosen.fill(1);
    const mass = new Float64Array(K);
    for (let k = 0; k < K; k++) for (let b = 0; b < n; b++) mass[k]! += this.pw[k * B + b]!;
    const byMass = Array.from({ length: K }, (_, k) => k).sort((a, b) => mass[b]! - mass[a]! || a - b);
    for (let r = 0; r < this.sampled; r++) this.slotUsed[this.slotOf[negatives[byMass[r]!]!]!] = 1;
    // A row is chosen whole: every draw of a chosen item, and every negative that is a positive (slotUsed already).
    for (let k = 0; k < K; k++) chosen[k] = this.slotUsed[this.slotOf[negatives[k]!]!]!;
    return chosen;
  }

  /** Lazy Adam on the active entries of the slots used; dense: through the table-sized gradient. */
  private update(slots: number, collect: boolean): Uint32Array {
    const { dim, values, mask, rowA, g } = this;
    this.step++;
    const lr = (this.o.lr * Math.sqrt(1 - BETA2 ** this.step)) / (1 - BETA1 ** this.step);
    if (g) g.fill(0);
    const updated: number[] = [];
    for (let z = 0; z < slots; z++) {
      const i = this.slotRow[z]!;
      this.slotOf[i] = -1;
      if (!this.slotUsed[z]) continue;
      updated.push(i);
      const inv = this.slotInv[z]!;
      const sigma = this.slotSigma[z]!;
      const o = i * dim;
      if (g) {
        for (let p = 0; p < dim; p++) g[o + p] = (rowA[z * dim + p]! - sigma * values[o + p]! * inv) * inv;
        if (collect) for (let p = 0; p < dim; p++) if (!mask[o + p]) this.signal[o + p]! += g[o + p]!;
      }
      for (let q = this.rowPtr[i]!; q < this.rowPtr[i + 1]!; q++) {
        const x = o + this.cols[q]!;
        const grad = g ? g[x]! : (rowA[z * dim + this.cols[q]!]! - sigma * values[x]! * inv) * inv;
        this.m[x] = BETA1 * this.m[x]! + (1 - BETA1) * grad;
        this.v[x] = BETA2 * this.v[x]! + (1 - BETA2) * grad * grad;
        values[x]! -= (lr * this.m[x]!) / (Math.sqrt(this.v[x]!) + ADAM_EPS);
      }
    }
    return Uint32Array.from(updated);
  }

  /** Prune-and-regrow `count` entries by |signal|, then clear the signal; moved entries restart Adam. */
  regrow(count: number): number {
    const { dropped, grown } = pruneAndRegrow(this.values, this.mask, this.signal, this.dim, count);
    for (const x of [...dropped, ...grown]) this.m[x] = this.v[x] = 0;
    this.signal.fill(0);
    [this.rowPtr, this.cols] = activeLists(this.mask, this.dim);
    return grown.length;
  }
}

export interface DstRun {
  /** Inner training edges (users × items). */
  train: CSR;
  epochs: number;
  schedule: Schedule;
  regrowth: Regrowth;
  seed: number;
  onProgress?: (done: number, total: number) => void;
}

/** Trains `table` for the epochs, prune-and-regrow on the schedule; returns the steps, entries moved and CPU seconds. */
export function runDst(table: DstTable, r: DstRun, recipe: DstRecipe): { steps: number; moved: number; cpuSeconds: number; meanLoss: number } {
  const nnz = r.train.indptr[r.train.indptr.length - 1]!;
  const eu = new Uint32Array(nnz);
  for (let u = 0; u + 1 < r.train.indptr.length; u++) eu.fill(u, r.train.indptr[u]!, r.train.indptr[u + 1]!);
  const perm = Uint32Array.from({ length: nnz }, (_, e) => e);
  const rng = new Random(r.seed);
  const shuffle = rng.fork(1);
  const draw = rng.fork(2);
  const B = recipe.batch;
  const nBatches = Math.ceil(nnz / B);
  const total = r.epochs * nBatches;
  const negs = new Uint32Array(recipe.negatives);
  const users = new Uint32Array(B);
  const items = new Uint32Array(B);
  let steps = 0;
  let moved = 0;
  let loss = 0;
  const c0 = process.cpuUsage();
  for (let g = 0; g < total; g++) {
    if (g % nBatches === 0) shuffle.shuffle(perm);
    const from = (g % nBatches) * B;
    const n = Math.min(B, nnz - from);
    for (let b = 0; b < n; b++) {
      users[b] = eu[perm[from + b]!]!;
      items[b] = r.train.indices[perm[from + b]!]!;
    }
    for (let k = 0; k < negs.length; k++) negs[k] = draw.int(table.nItems);
    const stepAfter = stepsAfter(g, r.schedule.interval, total);
    loss += table.train(users.subarray(0, n), items.subarray(0, n), negs, collectsSignal(r.regrowth, g, r.schedule.interval, total)).loss;
    if (stepAfter) {
      moved += table.regrow(moveCount(r.schedule, table.nnz(), g + 1, total));
      steps++;
    }
    r.onProgress?.(g + 1, total);
  }
  const c = process.cpuUsage(c0);
  return { steps, moved, cpuSeconds: (c.user + c.system) / 1e6, meanLoss: loss / Math.max(1, total) };
}

/** Whether a prune-and-regrow step follows batch `g` (0-based) of `total`. */
function stepsAfter(g: number, interval: number, total: number): boolean {
  return (g + 1) % interval === 0 && g + 1 < total;
}

/** Whether batch `g` adds to the regrowth signal: every batch since the last step (accumulated), or only the one before a step (last-batch, plain DST). */
export function collectsSignal(regrowth: Regrowth, g: number, interval: number, total: number): boolean {
  return regrowth === 'accumulated' || stepsAfter(g, interval, total);
}

/** Unit rows (users are frozen: normalised once). */
function unitRows(t: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let o = 0; o < t.length; o += dim) {
    let q = 0;
    for (let p = o; p < o + dim; p++) q += t[p]! * t[p]!;
    const inv = q > 0 ? 1 / Math.sqrt(q) : 0;
    for (let p = o; p < o + dim; p++) out[p] = t[p]! * inv;
  }
  return out;
}

/** 1/‖row‖ over its active entries (1 for an all-zero row, whose gradient is then a itself). */
function invNorm(values: Float32Array, o: number, rowPtr: Uint32Array, cols: Uint8Array, i: number): number {
  let q = 0;
  for (let z = rowPtr[i]!; z < rowPtr[i + 1]!; z++) q += values[o + cols[z]!]! ** 2;
  return q > 0 ? 1 / Math.sqrt(q) : 1;
}

/** Active column lists by row. */
function activeLists(mask: Uint8Array, dim: number): [Uint32Array, Uint8Array] {
  const rows = mask.length / dim;
  const rowPtr = new Uint32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    let c = 0;
    for (let p = i * dim; p < (i + 1) * dim; p++) c += mask[p]!;
    rowPtr[i + 1] = rowPtr[i]! + c;
  }
  const cols = new Uint8Array(rowPtr[rows]!);
  let q = 0;
  for (let x = 0; x < mask.length; x++) if (mask[x]) cols[q++] = x % dim;
  return [rowPtr, cols];
}
