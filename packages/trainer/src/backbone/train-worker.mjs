// Worker for trainBackbone: one epoch of MF with sampled softmax over shared tables, in lockstep with the
// other workers. Each batch runs in two phases separated by barriers:
//   1. every thread normalises the batch's K shared negatives, then runs forward + backward for a fixed
//      range of the batch's edges (SIMD GEMMs against the negatives), leaving per-edge gradients and its
//      partial gradient of the negatives in shared memory;
//   2. Adam on touched rows, each thread owning the rows with id mod T == its index; gradients are summed
//      in batch order and the negatives' partial sums in thread order.
// No phase depends on timing, so (seed, threads) fixes the result bit for bit.
import { heapViews } from '../kernels/heap-views.mjs';
import { share, startWorker } from '../kernels/worker-runtime.mjs';

/** Rows of each thread's batch share that estimate the block cross-correlation of the diversity term. */
const DIVERSITY_ROWS = 128;

/** @type {Map<string, any>} */
const scratch = new Map();
/**
 * Thread-local buffers that survive between epochs.
 * @template T
 * @param {string} key
 * @param {() => T} make
 * @returns {T}
 */
function local(key, make) {
  let v = scratch.get(key);
  if (!v) scratch.set(key, (v = make()));
  return v;
}

startWorker({
  /**
   * @param {any} t task (see backbone/train.ts: SoftmaxEpochTask)
   * @param {import('../kernels/worker-runtime.mjs').WorkerContext} ctx
   */
  softmaxEpoch(t, ctx) {
    const buf = ctx.buffer;
    const T = ctx.threads;
    const tid = ctx.threadId;
    const { dim: d, nNeg, batch: B, nnz, nUsers, nItems, tau, shift, lr, beta1, beta2, eps, lambda, blockDim } = t;
    // Nested (prefix) levels: the loss is the mean over the scores of the first `levels[m]` dimensions, each
    // a cumulative sum of per-segment products, so the GEMM work equals one full-width pass.
    /** @type {number[]} */
    const levels = t.levels;
    /** @type {number[]} */
    const levelTau = t.levelTau;
    const M = levels.length;
    const LB = B * nNeg; // floats per level in my.L
    const { edgeUser: eU, edgeItem: eI, perm, negs: negAll } = heapViews(Uint32Array, buf, t, { edgeUser: nnz, edgeItem: nnz, perm: nnz, negs: t.nBatches * nNeg });
    const { gradU, gradP, U: Utab, I: Itab } = heapViews(Float32Array, buf, t, { gradU: B * d, gradP: B * d, U: nUsers * d, I: nItems * d });
    const dNegP = t.dNegPartial.map((/** @type {number} */ p) => new Float32Array(buf, p, nNeg * d));
    const my = t.threadScratch[tid];
    const { idxU, idxP } = heapViews(Uint32Array, buf, my, { idxU: B, idxP: B });
    // This thread's scratch (see threadScratch in backbone/train.ts), by name and element count.
    const scratchViews = heapViews(Float32Array, buf, my, {
      negHat: nNeg * d,
      negT: d * nNeg,
      negNorm: nNeg,
      gradN: nNeg * d,
      C: d * d,
      pos: B,
      stat: 2 * B,
      acc: (B + nNeg) * d,
      Uh: B * d,
      Ph: B * d,
      dUh: B * d,
      dPh: B * d,
      L: M * LB,
      posN: M * B,
      gposN: M * B,
      statN: 2 * M * B,
      segNorms: (2 * B + nNeg) * M,
    });
    const { negHat, negT, negNorm, gradN, C: Cm, pos: posS, stat, acc, Uh, Ph, dUh, dPh, L: Lall, posN, gposN, statN, segNorms } = scratchViews;
    const slotU = local('slotU', () => new Int32Array(nUsers).fill(-1));
    const slotI = local('slotI', () => new Int32Array(nItems).fill(-1));
    const touched = new Int32Array(buf, my.touched, B + nNeg);
    /** @type {Uint8Array | null} */
    const mask = t.mask ? new Uint8Array(buf, t.mask, nItems * d) : null;
    /** @type {Uint8Array | null} */
    const userMask = t.userMask ? new Uint8Array(buf, t.userMask, nUsers * d) : null;
    const K = ctx.kernel;

    let step = t.step0;
    let loss = 0;
    let divPenalty = 0;

    /** Lazy Adam on the rows collected in `acc` (global step for the bias correction). */
    const adam = (/** @type {number} */ W, /** @type {number} */ M, /** @type {number} */ V, /** @type {number} */ count) => {
      const bc1 = 1 - beta1 ** step;
      const bc2 = 1 - beta2 ** step;
      K.adam_rows(W, M, V, my.acc, my.touched, count, d, beta1, beta2, lr / bc1, 1 / bc2, eps);
      if (t.decay === 1) return;
      // decoupled weight decay on the rows just stepped (each owned by this thread alone)
      const tab = W === t.U ? Utab : Itab;
      for (let s = 0; s < count; s++) {
        const o = touched[s] * d;
        for (let p = 0; p < d; p++) tab[o + p] *= t.decay;
      }
    };
    /** Add `src[off..off+d)` to the accumulator slot of `row`. */
    const add = (/** @type {Int32Array} */ slot, /** @type {number} */ row, /** @type {Float32Array} */ src, /** @type {number} */ off, /** @type {{n: number}} */ cnt) => {
      let s = slot[row];
      if (s < 0) {
        s = slot[row] = cnt.n++;
        touched[s] = row;
        acc.fill(0, s * d, s * d + d);
      }
      const a0 = s * d;
      for (let p = 0; p < d; p++) acc[a0 + p] += src[off + p];
    };
    /** Diversity term on X (rows × d, unit rows): C = XᵀX/n, penalty λ·Σ_{b≠b'}‖C_bb'‖², dX += (4λ/(nT))·X·C_off. */
    const diversity = (/** @type {number} */ pX, /** @type {number} */ pdX, /** @type {number} */ n) => {
      ctx.gemm(pX, 1, d, pX, d, my.C, d, d, d, n, 0);
      const coef = (4 * lambda) / (n * T);
      for (let i = 0; i < d; i++) {
        const bi = Math.floor(i / blockDim);
        for (let j = 0; j < d; j++) {
          const c = Cm[i * d + j] / n;
          if (Math.floor(j / blockDim) === bi) Cm[i * d + j] = 0;
          else {
            divPenalty += (lambda * c * c) / T;
            Cm[i * d + j] = coef * c;
          }
        }
      }
      ctx.gemm(pX, d, 1, my.C, d, pdX, d, n, d, d, 1);
    };

    // Nested mode normalises each segment (level increment) of a row to norm √(len/d) instead of the whole
    // row to 1: every prefix then has a fixed norm, so no level can win by moving energy into the first
    // blocks (with whole-row normalisation the short levels starve the last segment to ~0).
    const segStart = levels.map((_, m) => (m === 0 ? 0 : levels[m - 1]));
    const segScale = levels.map((p1, m) => Math.sqrt((p1 - segStart[m]) / d));
    const NU = 0;
    const NP = B * M;
    const NN = 2 * B * M;
    /** dst[r] = src[row] with each segment scaled to norm segScale; the segments' norms go to segNorms[n0 + m]. */
    const segNormalize = (/** @type {Float32Array} */ src, /** @type {number} */ row, /** @type {Float32Array} */ dst, /** @type {number} */ o, /** @type {number} */ n0) => {
      for (let m = 0; m < M; m++) {
        let sq = 0;
        for (let p = segStart[m]; p < levels[m]; p++) sq += src[row * d + p] * src[row * d + p];
        const n = Math.sqrt(sq);
        segNorms[n0 + m] = n;
        const inv = n > 0 ? segScale[m] / n : 0;
        for (let p = segStart[m]; p < levels[m]; p++) dst[o + p] = src[row * d + p] * inv;
      }
    };
    /** Back through segNormalize: per segment, dx = (s/‖x‖)(g − e(e·g)) with e = x̂/s. */
    const segBackward = (
      /** @type {Float32Array} */ xh,
      /** @type {Float32Array} */ g,
      /** @type {number} */ o,
      /** @type {number} */ n0,
      /** @type {Float32Array} */ out,
      /** @type {number} */ oo,
    ) => {
      for (let m = 0; m < M; m++) {
        const sc = segScale[m];
        const n = segNorms[n0 + m];
        if (n === 0) {
          for (let p = segStart[m]; p < levels[m]; p++) out[oo + p] = 0;
          continue;
        }
        let dot = 0;
        for (let p = segStart[m]; p < levels[m]; p++) dot += (xh[o + p] / sc) * g[o + p];
        for (let p = segStart[m]; p < levels[m]; p++) out[oo + p] = (sc / n) * (g[o + p] - (xh[o + p] / sc) * dot);
      }
    };
    const nestedForwardBackward = (/** @type {number} */ rows, /** @type {number} */ bs) => {
      let lossSum = 0;
      let p0 = 0;
      for (let m = 0; m < M; m++) {
        const p1 = levels[m];
        const Lm = my.L + 4 * m * LB;
        if (m > 0) Lall.copyWithin(m * LB, (m - 1) * LB, (m - 1) * LB + rows * nNeg);
        ctx.gemm(my.Uh + 4 * p0, d, 1, my.negT + 4 * p0 * nNeg, nNeg, Lm, nNeg, rows, nNeg, p1 - p0, m > 0 ? 1 : 0);
        for (let r = 0; r < rows; r++) {
          let s = m > 0 ? posN[(m - 1) * B + r] : 0;
          for (let p = p0; p < p1; p++) s += Uh[r * d + p] * Ph[r * d + p];
          posN[m * B + r] = s;
        }
        p0 = p1;
      }
      for (let m = 0; m < M; m++) {
        const Lm = my.L + 4 * m * LB;
        const tm = levelTau[m];
        K.softmax_rows(Lm, rows, nNeg, my.posN + 4 * m * B, 1 / tm, shift, 1 / (bs * tm), my.gposN + 4 * m * B, my.statN + 8 * m * B);
        for (let r = 0; r < rows; r++) lossSum += (Math.log(statN[2 * (m * B + r) + 1]) + statN[2 * (m * B + r)] - posN[m * B + r] / tm) / M;
      }
      // Segment m's gradient is the sum of the gradients of every level that contains it (levels m..M-1).
      for (let m = M - 2; m >= 0; m--) {
        const a = m * LB;
        const b = (m + 1) * LB;
        for (let q = 0; q < rows * nNeg; q++) Lall[a + q] += Lall[b + q];
        for (let r = 0; r < rows; r++) gposN[m * B + r] += gposN[(m + 1) * B + r];
      }
      p0 = 0;
      for (let m = 0; m < M; m++) {
        const p1 = levels[m];
        const Lm = my.L + 4 * m * LB;
        ctx.gemm(Lm, nNeg, 1, my.negHat + 4 * p0, d, my.dUh + 4 * p0, d, rows, p1 - p0, nNeg, 0);
        ctx.gemm(Lm, 1, nNeg, my.Uh + 4 * p0, d, t.dNegPartial[tid] + 4 * p0, d, nNeg, p1 - p0, rows, 0);
        for (let r = 0; r < rows; r++) {
          const g = gposN[m * B + r];
          for (let p = p0; p < p1; p++) {
            dUh[r * d + p] += g * Ph[r * d + p];
            dPh[r * d + p] = g * Uh[r * d + p];
          }
        }
        p0 = p1;
      }
      return lossSum;
    };

    for (let bi = 0; bi < t.nBatches; bi++) {
      const e0 = bi * B;
      const bs = Math.min(B, nnz - e0);
      step++;
      const negs = negAll.subarray(bi * nNeg, (bi + 1) * nNeg);
      // Phase 1: every thread normalises all of the batch's negatives into its own buffers (cheaper than
      // a barrier when the machine is busy), row-major and transposed.
      if (M === 1) K.gather_unit_rows(t.I, t.negs + 4 * bi * nNeg, nNeg, d, my.negHat, my.negNorm);
      else for (let j = 0; j < nNeg; j++) segNormalize(Itab, negs[j], negHat, j * d, NN + j * M);
      for (let j = 0; j < nNeg; j++) for (let p = 0; p < d; p++) negT[p * nNeg + j] = negHat[j * d + p];
      // ... then forward and backward for this thread's edges.
      const [r0, r1] = share(bs, T, tid);
      const rows = r1 - r0;
      if (rows > 0) {
        for (let r = 0; r < rows; r++) {
          const e = perm[e0 + r0 + r];
          idxU[r] = eU[e];
          idxP[r] = eI[e];
        }
        if (M === 1) {
          K.gather_unit_rows(t.U, my.idxU, rows, d, my.Uh, my.normU);
          K.gather_unit_rows(t.I, my.idxP, rows, d, my.Ph, my.normP);
        } else {
          for (let r = 0; r < rows; r++) {
            segNormalize(Utab, idxU[r], Uh, r * d, NU + r * M);
            segNormalize(Itab, idxP[r], Ph, r * d, NP + r * M);
          }
        }
        if (M === 1) {
          ctx.gemm(my.Uh, d, 1, my.negT, nNeg, my.L, nNeg, rows, nNeg, d, 0);
          K.row_dots(my.Uh, my.Ph, rows, d, my.pos);
          K.softmax_rows(my.L, rows, nNeg, my.pos, 1 / tau, shift, 1 / (bs * tau), my.gpos, my.stat);
          for (let r = 0; r < rows; r++) loss += Math.log(stat[2 * r + 1]) + stat[2 * r] - posS[r] / tau;
          ctx.gemm(my.L, nNeg, 1, my.negHat, d, my.dUh, d, rows, d, nNeg, 0);
          ctx.gemm(my.L, 1, nNeg, my.Uh, d, t.dNegPartial[tid], d, nNeg, d, rows, 0);
          K.pair_grads(my.Uh, my.Ph, my.gpos, rows, d, my.dUh, my.dPh);
        } else {
          loss += nestedForwardBackward(rows, bs);
        }
        if (lambda > 0) {
          const n = Math.min(rows, DIVERSITY_ROWS);
          diversity(my.Uh, my.dUh, n);
          diversity(my.Ph, my.dPh, n);
        }
        // Back through the row normalisation: d x = (d x̂ − x̂ (x̂·d x̂)) / ‖x‖, into the shared gradient rows.
        if (M === 1) {
          K.unit_backward(my.Uh, my.dUh, my.normU, rows, d, t.gradU + 4 * r0 * d);
          K.unit_backward(my.Ph, my.dPh, my.normP, rows, d, t.gradP + 4 * r0 * d);
        } else {
          for (let r = 0; r < rows; r++) {
            segBackward(Uh, dUh, r * d, NU + r * M, gradU, (r0 + r) * d);
            segBackward(Ph, dPh, r * d, NP + r * M, gradP, (r0 + r) * d);
          }
        }
      } else {
        dNegP[tid].fill(0);
      }
      ctx.sync();
      // Phase 2: each thread updates the rows it owns (id mod T), summing gradients in batch order.
      const cnt = { n: 0 };
      for (let r = 0; r < bs; r++) {
        const u = eU[perm[e0 + r]];
        if (u % T === tid) add(slotU, u, gradU, r * d, cnt);
      }
      for (let s = 0; s < cnt.n; s++) slotU[touched[s]] = -1;
      if (!t.freezeUsers) adam(t.U, t.mU, t.vU, cnt.n);
      if (userMask && !t.freezeUsers) {
        for (let s = 0; s < cnt.n; s++) {
          const o = touched[s] * d;
          for (let p = 0; p < d; p++) if (userMask[o + p] === 0) Utab[o + p] = 0;
        }
      }
      cnt.n = 0;
      for (let r = 0; r < bs; r++) {
        const i = eI[perm[e0 + r]];
        if (i % T === tid) add(slotI, i, gradP, r * d, cnt);
      }
      for (let j = 0; j < nNeg; j++) {
        const i = negs[j];
        if (i % T !== tid) continue;
        // negative j's gradient: partial sums in thread order, then back through its normalisation
        const o = j * d;
        let a = 0;
        for (let p = 0; p < d; p++) {
          let g = 0;
          for (let q = 0; q < T; q++) g += dNegP[q][o + p];
          gradN[o + p] = g;
          a += g * negHat[o + p];
        }
        if (M === 1) {
          const inv = 1 / negNorm[j];
          for (let p = 0; p < d; p++) gradN[o + p] = (gradN[o + p] - a * negHat[o + p]) * inv;
        } else {
          segBackward(negHat, gradN, o, NN + j * M, gradN, o);
        }
        add(slotI, i, gradN, o, cnt);
      }
      for (let s = 0; s < cnt.n; s++) slotI[touched[s]] = -1;
      adam(t.I, t.mI, t.vI, cnt.n);
      // A pruned entry goes back to exactly 0 after every update of its row (rows are owned: no race).
      if (mask) {
        for (let s = 0; s < cnt.n; s++) {
          const o = touched[s] * d;
          for (let p = 0; p < d; p++) if (mask[o + p] === 0) Itab[o + p] = 0;
        }
      }
      ctx.sync();
      if (tid === 0 && (bi & 63) === 63) ctx.progress(bi + 1, t.nBatches);
    }
    return { loss, divPenalty };
  },
});
