/**
 * Non-negative matrix factorisation X ≈ W H of a sparse 0/1 matrix (users × items, CSR) by Lee and Seung's
 * multiplicative updates for the Frobenius loss (NIPS 2000): H ← H ⊙ (WᵀX) / (WᵀW H), W ← W ⊙ (X Hᵀ) / (W H Hᵀ).
 * No Node package for NMF is well kept (the npm ones are unmaintained dense toys), so it is written here, over the
 * CSR matrix on typed arrays: X is never made dense; an update costs O(nnz·k + (rows + cols)·k²), the k² part on
 * our WASM GEMM.
 *
 * `fixedW` pins W (the SparseRec method passes the frozen users' sign split, see init.ts): then only H moves, which
 * is the multiplicative non-negative least-squares fit of each item's column on those user features.
 */
import type { CSR } from '../../data/types.js';
import { Random } from '../../data/random.js';
import { HarnessError } from '../../harness/errors.js';
import { Gemm } from '../../kernels/gemm.js';
import { heapBytes, SharedHeap } from '../../kernels/heap.js';

export interface NmfOptions {
  /** Factor width k. */
  k: number;
  iterations: number;
  seed: number;
  /** Row-major [rows][k], non-negative: W stays as given. */
  fixedW?: Float32Array;
}

/** W row-major [rows][k], H row-major [k][cols]. */
export interface NmfFactors {
  w: Float32Array;
  h: Float32Array;
  k: number;
}

/** Guards the divisions of the multiplicative updates (a zero denominator keeps the entry where it is). */
const EPS = 1e-9;

export async function nmf(x: CSR, cols: number, o: NmfOptions): Promise<NmfFactors> {
  const rows = x.indptr.length - 1;
  const { k } = o;
  if (!(Number.isInteger(k) && k >= 1)) throw new HarnessError(`nmf: k must be a positive integer, got ${k}`);
  if (!(Number.isInteger(o.iterations) && o.iterations >= 0)) throw new HarnessError(`nmf: iterations must be a non-negative integer, got ${o.iterations}`);
  if (o.fixedW && o.fixedW.length !== rows * k) throw new HarnessError(`nmf: fixedW has ${o.fixedW.length} values, expected ${rows} × ${k}`);
  const rng = new Random(o.seed);
  // Uniform (0, 1] starts: a zero entry would stay zero under multiplicative updates.
  const w = o.fixedW ? o.fixedW.slice() : Float32Array.from({ length: rows * k }, () => 1 - rng.next());
  const h = Float32Array.from({ length: k * cols }, () => 1 - rng.next());
  if (o.iterations === 0) return { w, h, k };
  // The k×k-by-k×n products of the denominators run on our WASM GEMM (columns padded to a multiple of 8).
  const cp = Math.ceil(cols / 8) * 8;
  const kp = Math.ceil(k / 8) * 8;
  const heap = new SharedHeap(heapBytes([k * kp, k * cp, k * cp, rows * kp, rows * kp]));
  const gemm = await Gemm.create(heap);
  const [pGram, pH, pDen, pW, pDenW] = [heap.alloc(k * kp), heap.alloc(k * cp), heap.alloc(k * cp), heap.alloc(rows * kp), heap.alloc(rows * kp)];
  const [gramV, hV, denV, wV, denWV] = [heap.f32(pGram, k * kp), heap.f32(pH, k * cp), heap.f32(pDen, k * cp), heap.f32(pW, rows * kp), heap.f32(pDenW, rows * kp)];
  const gram = new Float64Array(k * k);
  const num = new Float64Array(Math.max(rows, cols) * k);
  const putGram = () => {
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) gramV[a * kp + b] = gram[a * k + b]!;
  };
  for (let it = 0; it < o.iterations; it++) {
    // H: numerator WᵀX [k][cols], denominator (WᵀW) H; every entry's update reads the old H (simultaneous update).
    // WᵀW on the GEMM too (a pinned W's once).
    if (it === 0 || !o.fixedW) {
      for (let u = 0; u < rows; u++) wV.set(w.subarray(u * k, (u + 1) * k), u * kp);
      gemm.call({ a: pW, b: pW, c: pGram, m: k, n: kp, k: rows, transA: true, lda: kp, ldb: kp, ldc: kp });
    }
    for (let a = 0; a < k; a++) hV.set(h.subarray(a * cols, (a + 1) * cols), a * cp);
    gemm.call({ a: pGram, b: pH, c: pDen, m: k, n: cp, k, lda: kp, ldb: cp, ldc: cp });
    num.fill(0, 0, k * cols);
    for (let u = 0; u < rows; u++) {
      for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) {
        const i = x.indices[q]!;
        for (let a = 0; a < k; a++) num[a * cols + i]! += w[u * k + a]!;
      }
    }
    for (let a = 0; a < k; a++) for (let i = 0; i < cols; i++) h[a * cols + i]! *= num[a * cols + i]! / (denV[a * cp + i]! + EPS);
    if (o.fixedW) continue;
    // W: numerator X Hᵀ [rows][k], denominator W (H Hᵀ).
    gramOfRows(h, k, cols, gram);
    putGram();
    for (let u = 0; u < rows; u++) wV.set(w.subarray(u * k, (u + 1) * k), u * kp);
    gemm.call({ a: pW, b: pGram, c: pDenW, m: rows, n: kp, k, lda: kp, ldb: kp, ldc: kp });
    num.fill(0, 0, rows * k);
    for (let u = 0; u < rows; u++) {
      for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) {
        const i = x.indices[q]!;
        for (let a = 0; a < k; a++) num[u * k + a]! += h[a * cols + i]!;
      }
    }
    for (let u = 0; u < rows; u++) for (let a = 0; a < k; a++) w[u * k + a]! *= num[u * k + a]! / (denWV[u * kp + a]! + EPS);
  }
  return { w, h, k };
}

/** WᵀW of a row-major [rows][k] matrix. */
function gramOf(w: Float32Array, rows: number, k: number, out: Float64Array): void {
  out.fill(0);
  for (let u = 0; u < rows; u++) {
    const o = u * k;
    for (let a = 0; a < k; a++) {
      const wa = w[o + a]!;
      if (wa === 0) continue;
      for (let b = 0; b < k; b++) out[a * k + b]! += wa * w[o + b]!;
    }
  }
}

/** H Hᵀ of a row-major [k][cols] matrix. */
function gramOfRows(h: Float32Array, k: number, cols: number, out: Float64Array): void {
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s = 0;
      for (let i = 0; i < cols; i++) s += h[a * cols + i]! * h[b * cols + i]!;
      out[a * k + b] = s;
      out[b * k + a] = s;
    }
  }
}

/** ‖X − W H‖²_F over the CSR matrix (for tests and the log): ‖X‖² − 2⟨X, WH⟩ + ⟨WᵀW, HHᵀ⟩. */
export function nmfLoss(x: CSR, cols: number, f: NmfFactors): number {
  const rows = x.indptr.length - 1;
  const { k, w, h } = f;
  const g1 = new Float64Array(k * k);
  const g2 = new Float64Array(k * k);
  gramOf(w, rows, k, g1);
  gramOfRows(h, k, cols, g2);
  let cross = 0;
  for (let u = 0; u < rows; u++) {
    for (let q = x.indptr[u]!; q < x.indptr[u + 1]!; q++) {
      const i = x.indices[q]!;
      for (let a = 0; a < k; a++) cross += w[u * k + a]! * h[a * cols + i]!;
    }
  }
  let quad = 0;
  for (let z = 0; z < k * k; z++) quad += g1[z]! * g2[z]!;
  return x.indptr[rows]! - 2 * cross + quad;
}
