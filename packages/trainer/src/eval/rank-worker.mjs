// Worker for evaluateRanking: scores a fixed share of the evaluated users against all items with the SIMD
// GEMM, masks training items, keeps the top K and writes each user's Recall@K and NDCG@K (and at each smaller
// cutoff asked for, read off the same top K).
import { share, startWorker } from '../kernels/worker-runtime.mjs';

const USER_BATCH = 64; // users scored per GEMM pass
const ITEM_TILE = 1024; // item columns per call: a 128×1024 f32 tile (512 KiB) stays in L2

startWorker({
  /**
   * @param {{ users: number, itemsT: number, dim: number, nItems: number, nPad: number,
   *   trainIndptr: number, trainIndices: number, testIndptr: number, testIndices: number, unranked: number, nUsers: number,
   *   evalUsers: number, nEval: number, k: number, scratchA: number[], scratchC: number[], out: number,
   *   cutoffs: number[], outCutoffs: number }} t
   * @param {import('../kernels/worker-runtime.mjs').WorkerContext} ctx
   */
  rank(t, ctx) {
    const buf = ctx.buffer;
    const { dim, nItems, nPad, k } = t;
    const users = new Float32Array(buf, t.users, t.nUsers * dim);
    const trIp = new Uint32Array(buf, t.trainIndptr, t.nUsers + 1);
    const trIx = new Uint32Array(buf, t.trainIndices, trIp[t.nUsers]);
    const teIp = new Uint32Array(buf, t.testIndptr, t.nUsers + 1);
    const teIx = new Uint32Array(buf, t.testIndices, teIp[t.nUsers]);
    const unranked = new Uint32Array(buf, t.unranked, t.nUsers);
    const evalUsers = new Uint32Array(buf, t.evalUsers, t.nEval);
    const pA = t.scratchA[ctx.threadId];
    const pC = t.scratchC[ctx.threadId];
    const A = new Float32Array(buf, pA, USER_BATCH * dim);
    const C = new Float32Array(buf, pC, USER_BATCH * nPad);
    const out = new Float32Array(buf, t.out, 2 * t.nEval);
    const cutoffs = t.cutoffs;
    const nCut = cutoffs.length;
    const outCut = new Float32Array(buf, t.outCutoffs, 2 * nCut * t.nEval);
    const topS = new Float32Array(k);
    const topI = new Int32Array(k);
    // Ideal DCG prefix sums: idcg[n] = sum_{r<n} 1/log2(r+2).
    const idcg = new Float64Array(k + 1);
    for (let r = 0; r < k; r++) idcg[r + 1] = idcg[r] + 1 / Math.log2(r + 2);

    const [lo, hi] = share(t.nEval, ctx.threads, ctx.threadId);
    let lastTick = 0;
    for (let b0 = lo; b0 < hi; b0 += USER_BATCH) {
      const rows = Math.min(USER_BATCH, hi - b0);
      for (let r = 0; r < rows; r++) A.set(users.subarray(evalUsers[b0 + r] * dim, (evalUsers[b0 + r] + 1) * dim), r * dim);
      for (let j0 = 0; j0 < nPad; j0 += ITEM_TILE) {
        const w = Math.min(ITEM_TILE, nPad - j0);
        ctx.gemm(pA, dim, 1, t.itemsT + 4 * j0, nPad, pC + 4 * j0, nPad, rows, w, dim, 0);
      }
      for (let r = 0; r < rows; r++) {
        const u = evalUsers[b0 + r];
        const base = r * nPad;
        for (let q = trIp[u]; q < trIp[u + 1]; q++) C[base + trIx[q]] = -Infinity;
        topS.fill(-Infinity);
        topI.fill(-1);
        let floor = -Infinity;
        for (let i = 0; i < nItems; i++) {
          const s = C[base + i];
          if (!(s > floor)) continue; // ties keep the lower item index; NaN never enters
          let p = k - 1;
          while (p > 0 && topS[p - 1] < s) {
            topS[p] = topS[p - 1];
            topI[p] = topI[p - 1];
            p--;
          }
          topS[p] = s;
          topI[p] = i;
          floor = topS[k - 1];
        }
        const tLo = teIp[u];
        const tHi = teIp[u + 1];
        let hits = 0;
        let dcg = 0;
        // Test items outside the catalog cannot be in the top k: they count in |test_u| as misses.
        const nTest = tHi - tLo + unranked[u];
        const cutBase = 2 * nCut * (b0 + r);
        let c = 0;
        for (let p = 0; p < k; p++) {
          // The smaller cutoffs (ascending) are the prefix sums so far.
          while (c < nCut && cutoffs[c] === p) {
            outCut[cutBase + 2 * c] = hits / nTest;
            outCut[cutBase + 2 * c + 1] = dcg / idcg[Math.min(nTest, cutoffs[c])];
            c++;
          }
          const item = topI[p];
          if (item < 0) break;
          // test rows are sorted ascending: binary search
          let a = tLo;
          let b = tHi;
          while (a < b) {
            const mid = (a + b) >>> 1;
            if (teIx[mid] < item) a = mid + 1;
            else b = mid;
          }
          if (a < tHi && teIx[a] === item) {
            hits++;
            dcg += 1 / Math.log2(p + 2);
          }
        }
        for (; c < nCut; c++) {
          outCut[cutBase + 2 * c] = hits / nTest;
          outCut[cutBase + 2 * c + 1] = dcg / idcg[Math.min(nTest, cutoffs[c])];
        }
        out[2 * (b0 + r)] = hits / nTest;
        out[2 * (b0 + r) + 1] = dcg / idcg[Math.min(nTest, k)];
      }
      const done = b0 + rows - lo;
      if (ctx.threadId === 0 && done - lastTick >= 4096) {
        lastTick = done;
        ctx.progress(done, hi - lo);
      }
    }
    return null;
  },
});
