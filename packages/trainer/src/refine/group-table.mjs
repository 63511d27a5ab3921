// One user group's copy of the item table under refinement, scored at a budget: the sampled-softmax loss and
// its gradients (refinement's inner and outer steps) and the table's Adam step. Every large array is a view of
// the shared WebAssembly memory, where the SIMD GEMM kernel reads it. Plain JavaScript: refinement runs in
// worker threads.

import { heapViews } from '../kernels/heap-views.mjs';
import { effectiveBackward, effectiveFactors, keepMask, softKeep } from './block-selection.mjs';

/**
 * @typedef {import('../kernels/worker-runtime.mjs').GemmExports['gemm']} GemmFn
 * @typedef {{ work: number, gradAcc: number, adamM: number, adamV: number, up: number, vnT: number, s: number, dvnT: number }} GroupScratch
 *   Byte offsets of a thread's scratch regions in the shared heap.
 * @typedef {{ nUsers: number, nItems: number, dim: number, blockDim: number, blocks: number, itemGroups: number,
 *   users: number, items: number, innerIndptr: number, innerIndices: number, itemGroupOf: number, out: number,
 *   scratch: GroupScratch, batch: number, negatives: number, lr: number, renormalize: boolean }} GroupTableTask
 *   The part of a RefineTask (refine-group.mjs) the table reads: sizes and byte offsets.
 */

export class GroupTable {
  /**
   * Starts from the backbone's item table (`task.items`), with fresh Adam moments; the best table so far
   * (`task.out`) starts as that table too.
   * @param {GroupTableTask} t @param {ArrayBufferLike} buf @param {GemmFn} gemm
   */
  constructor(t, buf, gemm) {
    const { nUsers, nItems, dim: D, blockDim, blocks: B, itemGroups: G } = t;
    const P = t.batch;
    const N = t.negatives;
    /** @readonly */ this.nItems = nItems;
    /** @readonly */ this.D = D;
    /** @readonly */ this.B = B;
    /** @readonly */ this.G = G;
    /** @readonly */ this.P = P;
    /** @readonly */ this.N = N;
    this.gemm = gemm;
    /** Byte offsets of the GEMM operands' scratch (the kernel takes offsets, not views). */
    this.sc = t.scratch;
    const shared = heapViews(Float32Array, buf, t, { users: nUsers * D, items: nItems * D, out: nItems * D });
    const { innerIndptr, itemGroupOf } = heapViews(Uint32Array, buf, t, { innerIndptr: nUsers + 1, itemGroupOf: nItems });
    /** The inner training split (CSR): the group's training edges, and the items each user's ranking excludes. */
    this.indptr = innerIndptr;
    this.indices = new Uint32Array(buf, t.innerIndices, innerIndptr[nUsers]);
    this.groupOf = itemGroupOf;
    this.U = shared.users;
    this.best = shared.out;
    const { work, gradAcc, adamM, adamV, up, vnT, s, dvnT } = heapViews(Float32Array, buf, t.scratch, {
      work: nItems * D,
      gradAcc: nItems * D,
      adamM: nItems * D,
      adamV: nItems * D,
      up: P * D,
      vnT: D * N,
      s: P * N,
      dvnT: D * N,
    });
    /** The table being refined, [nItems][D]. */
    this.V = work;
    this.gradAcc = gradAcc;
    this.aM = adamM;
    this.aV = adamV;
    this.Up = up;
    this.VnT = vnT;
    this.S = s;
    this.dVnT = dvnT;
    const V0 = shared.items;
    work.set(V0);
    this.best.set(V0);
    adamM.fill(0);
    adamV.fill(0);
    gradAcc.fill(0);

    // Learning rate relative to the table's scale, so it suits any backbone.
    let sq = 0;
    for (let k = 0; k < V0.length; k++) sq += V0[k] * V0[k];
    this.lr = t.lr * Math.sqrt(sq / V0.length);
    this.shift = Math.log(nItems / N);
    this.blockOf = new Uint16Array(D);
    for (let d = 0; d < D; d++) this.blockOf[d] = Math.floor(d / blockDim);

    this.negItems = new Uint32Array(N);
    /** B·w·mask: the factor each block of each item group is scaled by. */
    this.eff = new Float64Array(G * B);
    /** @type {Uint8Array | Float64Array} */
    this.curMask = new Uint8Array(G * B).fill(1);
    /** @type {{ m: Float64Array, s: Float64Array } | null} */
    this.curSoft = null;
    /** @type {Float64Array} The weights behind `eff`. */
    this.curW = new Float64Array(G * B).fill(1 / B);
    /** Scoring rule behind `eff`: the mean over kept blocks (renormalised) or the truncated full-table score. */
    this.curRenorm = t.renormalize;
    /** The scoring rule refinement trains for. */
    this.renormalize = t.renormalize;
    /** dL/dw of the last training batch, [G*B]. */
    this.dwAcc = new Float64Array(G * B);
    /** Σ u·v of the last training batch's positives per (g, b), and its positives per item group. */
    this.contribBatch = new Float64Array(G * B);
    this.contribCount = new Float64Array(G);
    this.gpos = new Float64Array(P);
    /** @type {number[]} Items with gradient in gradAcc. */
    this.touched = [];
    this.isTouched = new Uint8Array(nItems);
    /** @type {Map<number, number>} */
    this.negIndex = new Map();
    this.step = 0;
  }

  /**
   * Scores at a budget keeping `fraction` of the blocks: the hard mask selectBlocks applies, or its relaxation;
   * with the scoring rule refinement trains for unless `renormalize` says otherwise.
   * @param {Float64Array} w @param {number} fraction @param {boolean} [soft] @param {boolean} [renormalize]
   */
  setBudget(w, fraction, soft = false, renormalize = this.renormalize) {
    const { G, B } = this;
    const keep = Math.max(G, Math.round(fraction * G * B));
    this.curSoft = soft && keep < G * B ? softKeep(w, G, B, keep) : null;
    this.curMask = this.curSoft ? this.curSoft.m : keepMask(w, G, B, keep);
    this.curW = w;
    this.curRenorm = renormalize;
    effectiveFactors(w, this.curMask, G, B, renormalize, this.eff);
  }

  /**
   * Loss of the weighted, masked scores on `rows` edges (us[off..], is[off..]), sampled softmax with N shared
   * uniform negatives. With `train`, accumulates item gradients (gradAcc), dL/dw (dwAcc) and the contribution
   * statistics.
   * @param {Uint32Array} us @param {Uint32Array} is @param {number} off @param {number} rows
   * @param {number} alpha @param {boolean} train @param {() => number} r
   */
  loss(us, is, off, rows, alpha, train, r) {
    const { nItems, D, B, G, N, gemm, sc, U, V, Up, VnT, S, dVnT, gradAcc, eff, groupOf, blockOf, negItems, negIndex, shift, gpos } = this;
    const { dwAcc, contribBatch, contribCount, isTouched, touched } = this;
    negIndex.clear();
    for (let j = 0; j < N; j++) {
      const it = Math.floor(r() * nItems);
      negItems[j] = it;
      if (!negIndex.has(it)) negIndex.set(it, j);
    }
    for (let p = 0; p < rows; p++) Up.set(U.subarray(us[off + p] * D, us[off + p] * D + D), p * D);
    for (let j = 0; j < N; j++) {
      const it = negItems[j];
      const g = groupOf[it];
      for (let d = 0; d < D; d++) VnT[d * N + j] = eff[g * B + blockOf[d]] * V[it * D + d];
    }
    gemm(sc.up, D, 1, sc.vnT, N, sc.s, N, rows, N, D, 0);
    let loss = 0;
    for (let p = 0; p < rows; p++) {
      const it = is[off + p];
      const g = groupOf[it];
      let s = 0;
      for (let d = 0; d < D; d++) s += Up[p * D + d] * eff[g * B + blockOf[d]] * V[it * D + d];
      const lp = alpha * s;
      const clash = negIndex.has(it) ? it : -1;
      let max = lp;
      for (let j = 0; j < N; j++) {
        const l = negItems[j] === clash ? -Infinity : alpha * S[p * N + j] + shift;
        S[p * N + j] = l;
        if (l > max) max = l;
      }
      const ePos = Math.exp(lp - max);
      let sum = ePos;
      for (let j = 0; j < N; j++) sum += S[p * N + j] = Math.exp(S[p * N + j] - max);
      loss += max + Math.log(sum) - lp;
      if (train) {
        const scale = alpha / rows / sum;
        for (let j = 0; j < N; j++) S[p * N + j] *= scale;
        gpos[p] = ((ePos / sum - 1) * alpha) / rows;
      }
    }
    if (!train) return loss / rows;
    // dL/d(effective negatives)ᵀ = Upᵀ · dS
    gemm(sc.up, 1, D, sc.s, N, sc.dvnT, N, D, N, rows, 0);
    dwAcc.fill(0);
    contribBatch.fill(0);
    contribCount.fill(0);
    const mark = (/** @type {number} */ it) => {
      if (!isTouched[it]) {
        isTouched[it] = 1;
        touched.push(it);
      }
    };
    for (let j = 0; j < N; j++) {
      const it = negItems[j];
      mark(it);
      const gB = groupOf[it] * B;
      for (let d = 0; d < D; d++) {
        const gd = dVnT[d * N + j];
        const k = gB + blockOf[d];
        gradAcc[it * D + d] += eff[k] * gd;
        dwAcc[k] += gd * V[it * D + d];
      }
    }
    for (let p = 0; p < rows; p++) {
      const it = is[off + p];
      const gp = gpos[p];
      mark(it);
      const g = groupOf[it];
      const gB = g * B;
      contribCount[g]++;
      for (let d = 0; d < D; d++) {
        const u = Up[p * D + d];
        const v = V[it * D + d];
        const k = gB + blockOf[d];
        gradAcc[it * D + d] += eff[k] * gp * u;
        dwAcc[k] += gp * u * v;
        contribBatch[k] += u * v;
      }
    }
    // dL/deff → dL/dw (through the relaxed mask too when the outer step uses one).
    effectiveBackward(this.curW, this.curMask, this.curSoft, dwAcc.slice(), G, B, this.curRenorm, dwAcc);
    return loss / rows;
  }

  /** One Adam step of the table on the items the last training batch touched. */
  applyItemUpdate() {
    const { D, V, aM, aV, gradAcc, isTouched, lr } = this;
    const b1 = 0.9;
    const b2 = 0.999;
    const step = ++this.step;
    const c1 = 1 - b1 ** step;
    const c2 = 1 - b2 ** step;
    for (const it of this.touched) {
      for (let d = it * D; d < it * D + D; d++) {
        const gr = gradAcc[d];
        aM[d] = b1 * aM[d] + (1 - b1) * gr;
        aV[d] = b2 * aV[d] + (1 - b2) * gr * gr;
        V[d] -= (lr * aM[d]) / c1 / (Math.sqrt(aV[d] / c2) + 1e-12);
        gradAcc[d] = 0;
      }
      isTouched[it] = 0;
    }
    this.touched = [];
  }

  /** Drops the item gradients of the last batch (a validation batch: validation data never trains the table). */
  discardItemGradients() {
    const { D, gradAcc, isTouched } = this;
    for (const it of this.touched) {
      gradAcc.fill(0, it * D, it * D + D);
      isTouched[it] = 0;
    }
    this.touched = [];
  }

  /** Keeps the current table as the best so far. */
  saveBest() {
    this.best.set(this.V);
  }

  /** Makes the best table so far the current one. */
  restoreBest() {
    this.V.set(this.best);
  }
}
