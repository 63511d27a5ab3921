// @ts-check
// PEEL per-user-group refinement: the bi-level loop for one user group. Plain JavaScript on purpose: it runs
// inside worker threads (which cannot load TypeScript without a loader) and on the main thread alike.
// All large arrays live in one shared WebAssembly memory so the SIMD GEMM kernel can read them.
// The method and its formulae are documented in the trainer README ("Refinement").

import { mulberry32 } from '../data/mulberry32.mjs';

/**
 * @typedef {{
 *   nUsers: number, nItems: number, dim: number, blockDim: number, blocks: number, itemGroups: number,
 *   users: number, items: number, innerIndptr: number, innerIndices: number, itemGroupOf: number,
 *   groupPopularity: number[],
 *   members: number, membersCount: number, valUsers: number, valItems: number, valCount: number,
 *   out: number, weightsOut: number,
 *   scratch: { work: number, gradAcc: number, adamM: number, adamV: number, up: number, vnT: number, s: number, dvnT: number },
 *   batch: number, negatives: number, epochs: number, patience: number, lr: number, controllerLr: number,
 *   outerEvery: number, elastic: number[], hidden: number, renormalize: boolean, softSelection: boolean, seed: number
 * }} RefineTask
 * @typedef {object} RefineResult
 * @property {number} epochsRun
 * @property {number} bestEpoch
 * @property {number} alpha
 * @property {number} temperature Temperature applied to the controller's weights, chosen on validation (1 = as learned).
 * @property {number} valLossBefore
 * @property {number} valLossAfter
 * @property {number} valRecallAfter Validation Recall@20 (mean over the elastic budgets) of the shipped table and weights; 0
 *   without validation edges. refineGroup reports it under the trained-for rule, refineUserGroups under the pooled choice.
 * @property {number} valRecallStart Validation Recall@20 of the untrained controller's weights (first-k selection) on the
 *   shipped table, trained-for scoring rule.
 * @property {boolean} learnedWeights Whether the learned weights beat the untrained controller's on validation Recall@20 and were kept.
 * @property {'mean' | 'truncated'} scoring The scoring rule (@peelrec/format README, "Scoring"): refineGroup reports the
 *   trained-for rule; refineUserGroups replaces it with the one chosen on validation pooled over the groups (chooseScoring).
 * @property {{ mean: number[], truncated: number[] }} ruleRecalls Validation Recall@20 of the shipped table and weights at each
 *   elastic budget, under each scoring rule (empty without validation edges).
 * @property {number} rankedUsers Validation users ranked for the recalls.
 * @property {number[]} weights
 * @property {number} edges
 * @property {number} valEdges
 * @typedef {(a: number, sai: number, sap: number, b: number, ldb: number, c: number, ldc: number,
 *   m: number, n: number, k: number, acc: number) => void} GemmFn
 */

const FEATURES = 3;
/**
 * Most validation users of a group ranked against all items for the choices made on validation recall.
 * Every one counts: a group has about a thousand on Gowalla, one held-out item each, so the standard error
 * of its recall (~0.012) is already as large as the differences being chosen between.
 */
const RANK_USERS = 4096;
/** Candidate sharpness of the weights (w_T ∝ w^(1/T)); large T is close to equal weights, same order. */
const TEMPERATURES = [1, 2, 4, 16, 256];

/**
 * Offset of the per-block decay: softplus(z + DECAY_OFFSET) ≈ 0.018 at z = 0, so the first weights are
 * near-uniform (refinement starts from the backbone's scores) yet already ordered.
 */
const DECAY_OFFSET = -4;

function softplus(/** @type {number} */ v) {
  return v > 20 ? v : Math.log1p(Math.exp(v));
}

/**
 * The controller: a 2-layer MLP shared by every (item group, block) of one user group.
 * x[g][b] = (popularity of g, loss signal of (g,b), contribution of (g,b));  z = w2·tanh(W1 x + b1).
 * The backbone is nested (a block is trained to add to the blocks before it), so weights must fall with the
 * block index: logit[g][b] = −Σ_{1 ≤ b' ≤ b} softplus(z[g][b'] + DECAY_OFFSET) and weights[g][·] = softmax_b.
 * The controller thus learns how fast each item group's blocks lose importance, which is what decides how
 * many blocks each item group keeps at a budget; selection always keeps a prefix of an item's blocks.
 */
export class Controller {
  /** @param {number} hidden @param {() => number} rand */
  constructor(hidden, rand) {
    this.hidden = hidden;
    this.params = new Float64Array(hidden * FEATURES + hidden + hidden);
    const s1 = 1 / Math.sqrt(FEATURES);
    for (let k = 0; k < hidden * FEATURES; k++) this.params[k] = (rand() * 2 - 1) * s1;
    // Output weights start at 0: z = 0 everywhere, so every item group starts with the same weights and a
    // budget keeps the same number of blocks of each (first-k). Any random start would not be neutral:
    // within-group softmax makes a steeper group's first blocks heavier, so it would keep more of them.
    // (The output weights get gradient at once, the hidden layer after them.)
    this.m = new Float64Array(this.params.length);
    this.v = new Float64Array(this.params.length);
    this.t = 0;
  }

  /**
   * @param {Float64Array} x [G*B*FEATURES]
   * @param {number} G @param {number} B
   * @returns {{ w: Float64Array, h: Float64Array, z: Float64Array }} softmax weights [G*B], hidden activations
   *   [G*B*hidden] and MLP outputs [G*B]
   */
  forward(x, G, B) {
    const H = this.hidden;
    const p = this.params;
    const w = new Float64Array(G * B);
    const z = new Float64Array(G * B);
    const h = new Float64Array(G * B * H);
    for (let gb = 0; gb < G * B; gb++) {
      let o = 0;
      for (let j = 0; j < H; j++) {
        let a = p[H * FEATURES + j];
        for (let f = 0; f < FEATURES; f++) a += p[j * FEATURES + f] * x[gb * FEATURES + f];
        const hj = Math.tanh(a);
        h[gb * H + j] = hj;
        o += p[H * FEATURES + H + j] * hj;
      }
      z[gb] = o;
    }
    for (let g = 0; g < G; g++) {
      let logit = 0;
      let sum = 0;
      for (let b = 0; b < B; b++) {
        if (b > 0) logit -= softplus(z[g * B + b] + DECAY_OFFSET);
        sum += w[g * B + b] = Math.exp(logit); // logit ≤ 0: no overflow
      }
      for (let b = 0; b < B; b++) w[g * B + b] /= sum;
    }
    return { w, h, z };
  }

  /**
   * dL/dparams from dL/dweights (backprop through the softmax, the cumulative decay and the MLP).
   * @param {Float64Array} x @param {{ w: Float64Array, h: Float64Array, z: Float64Array }} fwd @param {Float64Array} dw
   * @param {number} G @param {number} B
   * @returns {Float64Array}
   */
  gradient(x, fwd, dw, G, B) {
    const H = this.hidden;
    const p = this.params;
    const grad = new Float64Array(p.length);
    const dzs = new Float64Array(B);
    for (let g = 0; g < G; g++) {
      let dot = 0;
      for (let b = 0; b < B; b++) dot += fwd.w[g * B + b] * dw[g * B + b];
      // Back through the softmax (dL/dlogit) and the cumulative decay: z[g][b'] lowers every logit b ≥ b'.
      let suffix = 0;
      for (let b = B - 1; b >= 1; b--) {
        suffix += fwd.w[g * B + b] * (dw[g * B + b] - dot);
        const zb = fwd.z[g * B + b] + DECAY_OFFSET;
        dzs[b] = -suffix / (1 + Math.exp(-zb));
      }
      dzs[0] = 0;
      for (let b = 0; b < B; b++) {
        const gb = g * B + b;
        const dz = dzs[b];
        if (dz === 0) continue;
        for (let j = 0; j < H; j++) {
          const hj = fwd.h[gb * H + j];
          grad[H * FEATURES + H + j] += dz * hj;
          const dpre = dz * p[H * FEATURES + H + j] * (1 - hj * hj);
          grad[H * FEATURES + j] += dpre;
          for (let f = 0; f < FEATURES; f++) grad[j * FEATURES + f] += dpre * x[gb * FEATURES + f];
        }
      }
    }
    return grad;
  }

  /**
   * One Adam step on dL/dweights.
   * @param {Float64Array} x @param {{ w: Float64Array, h: Float64Array, z: Float64Array }} fwd @param {Float64Array} dw
   * @param {number} G @param {number} B @param {number} lr
   */
  step(x, fwd, dw, G, B, lr) {
    const p = this.params;
    const grad = this.gradient(x, fwd, dw, G, B);
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let k = 0; k < p.length; k++) {
      this.m[k] = b1 * this.m[k] + (1 - b1) * grad[k];
      this.v[k] = b2 * this.v[k] + (1 - b2) * grad[k] * grad[k];
      p[k] -= (lr * this.m[k]) / c1 / (Math.sqrt(this.v[k] / c2) + 1e-8);
    }
  }
}

/**
 * Softmax weights at temperature T: w_T[g][b] ∝ w[g][b]^(1/T) within each item group (same order).
 * @param {Float64Array} w @param {number} G @param {number} B @param {number} T
 */
export function sharpen(w, G, B, T) {
  const out = new Float64Array(G * B);
  for (let g = 0; g < G; g++) {
    let max = -Infinity;
    for (let b = 0; b < B; b++) max = Math.max(max, Math.log(w[g * B + b]) / T);
    let sum = 0;
    for (let b = 0; b < B; b++) sum += out[g * B + b] = Math.exp(Math.log(w[g * B + b]) / T - max);
    for (let b = 0; b < B; b++) out[g * B + b] /= sum;
  }
  return out;
}

/** Arithmetic mean; 0 for no values (a group without validation users has no recalls). */
export function mean(/** @type {readonly number[]} */ xs) {
  return xs.length ? xs.reduce((a, v) => a + v, 0) / xs.length : 0;
}

/**
 * Which candidate weights replace the start (first-k) weights, by validation Recall@20 per elastic budget:
 * the best mean among the candidates that rank no worse than the start weights at *any* budget, and only
 * if that mean beats the start's. One artifact serves every budget, so a gain at one budget may not be
 * bought with a loss at another: weights that differ across item groups change how many blocks each item
 * group keeps, and an allocation that wins at the full table can collapse at a small budget.
 * @param {readonly number[]} start recall of the start weights at each budget
 * @param {readonly (readonly number[])[]} candidates the same for each candidate
 * @returns {number} the chosen candidate's index, or −1 (keep the start weights)
 */
export function chooseWeights(start, candidates) {
  let best = -1;
  let bestMean = mean(start);
  candidates.forEach((r, k) => {
    if (r.length !== start.length) throw new RangeError(`chooseWeights: candidate ${k} has ${r.length} budgets, expected ${start.length}`);
    if (r.some((v, b) => v < start[b])) return;
    const m = mean(r);
    if (m > bestMean) {
      best = k;
      bestMean = m;
    }
  });
  return best;
}

/**
 * The scoring rule for every user group, chosen on validation Recall@20 pooled over the groups (each
 * group's mean over the budget fractions, weighted by its ranked users). The rules differ only where item
 * groups keep different numbers of blocks, by a few per cent; one group's ~1,000 validation items cannot
 * resolve that (on Gowalla the single-group ablation tied exactly and kept the rule that lost 5 % on test),
 * the pool of all groups can. Ties keep the trained-for rule.
 * @param {readonly { ruleRecalls: { mean: readonly number[], truncated: readonly number[] }, rankedUsers: number }[]} groups
 * @param {'mean' | 'truncated'} trainedFor
 * @returns {{ scoring: 'mean' | 'truncated', mean: number, truncated: number }} the rule and the pooled recalls
 */
export function chooseScoring(groups, trainedFor) {
  let users = 0;
  const pooled = { mean: 0, truncated: 0 };
  for (const g of groups) {
    if (g.rankedUsers === 0) continue;
    for (const rule of /** @type {const} */ (['mean', 'truncated'])) {
      const r = g.ruleRecalls[rule];
      if (r.length === 0) throw new RangeError(`chooseScoring: a group with ${g.rankedUsers} ranked users has no '${rule}' recalls`);
      pooled[rule] += g.rankedUsers * mean(r);
    }
    users += g.rankedUsers;
  }
  if (users === 0) return { scoring: trainedFor, mean: 0, truncated: 0 };
  pooled.mean /= users;
  pooled.truncated /= users;
  const other = trainedFor === 'mean' ? 'truncated' : 'mean';
  return { scoring: pooled[other] > pooled[trainedFor] ? other : trainedFor, ...pooled };
}

/**
 * Sets `mask` to 1 at each item group's highest-weight block (selection keeps it at any budget) and returns
 * the indices (g·B + b) of every other block, in index order.
 * @param {Float64Array} w @param {number} G @param {number} B @param {Uint8Array | Float64Array} mask
 * @returns {number[]}
 */
function keepTops(w, G, B, mask) {
  const rest = [];
  for (let g = 0; g < G; g++) {
    let top = g * B;
    for (let b = 1; b < B; b++) if (w[g * B + b] > w[top]) top = g * B + b;
    mask[top] = 1;
    for (let b = 0; b < B; b++) if (g * B + b !== top) rest.push(g * B + b);
  }
  return rest;
}

/**
 * Which blocks a budget keeping `keep` of the G·B blocks retains, by the rule of selectBlocks in
 * @peelrec/format (item groups are near-equal in size, so every block costs the same): each item group's
 * highest-weight block first, then the rest by descending weight, ties by (itemGroup, block).
 * @param {Float64Array} w @param {number} G @param {number} B @param {number} keep
 * @returns {Uint8Array}
 */
export function keepMask(w, G, B, keep) {
  const mask = new Uint8Array(G * B);
  if (keep >= G * B) return mask.fill(1);
  const rest = keepTops(w, G, B, mask);
  rest.sort((a, c) => w[c] - w[a] || a - c);
  for (let k = 0; k < keep - G && k < rest.length; k++) mask[rest[k]] = 1;
  return mask;
}

/** Width of the relaxed mask's sigmoid, as a share of the spread (std) of the log-weights it ranks. */
const SOFT_WIDTH = 0.25;

/**
 * The relaxed keepMask the controller's outer step trains through: as in keepMask, each item group's top block
 * is kept (m = 1); every other block gets m = σ((log w − θ)/κ), with θ set (by bisection) so that the masks sum
 * to keep − G. A hard mask gives the controller no gradient for *which* blocks a budget keeps, only for how the
 * kept ones are weighed; this one does.
 * @param {Float64Array} w @param {number} G @param {number} B @param {number} keep
 * @param {number} [kappa] sigmoid width in log-weight units (default SOFT_WIDTH·std of the ranked log-weights)
 * @returns {{ m: Float64Array, s: Float64Array, kappa: number }} masks and ∂m/∂log w at fixed θ (0 where forced)
 */
export function softKeep(w, G, B, keep, kappa) {
  const m = new Float64Array(G * B);
  const s = new Float64Array(G * B);
  const free = keepTops(w, G, B, m);
  const target = Math.min(Math.max(keep - G, 0), free.length);
  const l = free.map((k) => Math.log(w[k]));
  if (kappa === undefined) {
    const mean = l.reduce((a, v) => a + v, 0) / (l.length || 1);
    kappa = SOFT_WIDTH * Math.sqrt(l.reduce((a, v) => a + (v - mean) ** 2, 0) / (l.length || 1)) || 1e-3;
  }
  const k = kappa;
  const sig = (/** @type {number} */ v) => 1 / (1 + Math.exp(-v));
  let lo = Math.min(...l, 0) - 40 * k;
  let hi = Math.max(...l, 0) + 40 * k;
  for (let it = 0; it < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(lo)); it++) {
    const th = (lo + hi) / 2;
    let sum = 0;
    for (const v of l) sum += sig((v - th) / k);
    if (sum > target) lo = th;
    else hi = th;
  }
  const theta = (lo + hi) / 2;
  free.forEach((idx, j) => {
    const mj = sig((l[j] - theta) / k);
    m[idx] = mj;
    s[idx] = (mj * (1 - mj)) / k;
  });
  return { m, s, kappa: k };
}

/**
 * The factors each (item group, block) of the scores is scaled by: eff = B·w·m / S_g, with S_g = Σ_b w·m over
 * the group (the weighted mean over kept blocks) when renormalising, else 1.
 * @param {Float64Array} w @param {Float64Array | Uint8Array} m @param {number} G @param {number} B
 * @param {boolean} renormalize @param {Float64Array} [out]
 */
export function effectiveFactors(w, m, G, B, renormalize, out = new Float64Array(G * B)) {
  for (let g = 0; g < G; g++) {
    let S = 0;
    for (let b = 0; b < B; b++) S += w[g * B + b] * m[g * B + b];
    if (!renormalize || S <= 0) S = 1;
    for (let b = 0; b < B; b++) out[g * B + b] = (B * w[g * B + b] * m[g * B + b]) / S;
  }
  return out;
}

/**
 * dL/dw from dL/deff (see effectiveFactors). With a relaxed mask (`soft`), also through the masks: m moves
 * with log w at fixed θ, and θ moves with every log w so that Σ m stays on budget.
 * @param {Float64Array} w @param {Float64Array | Uint8Array} m @param {{ s: Float64Array } | null} soft
 * @param {Float64Array} dEff @param {number} G @param {number} B @param {boolean} renormalize
 * @param {Float64Array} [out]
 */
export function effectiveBackward(w, m, soft, dEff, G, B, renormalize, out = new Float64Array(G * B)) {
  const dM = soft ? new Float64Array(G * B) : null;
  for (let g = 0; g < G; g++) {
    let S = 0;
    for (let b = 0; b < B; b++) S += w[g * B + b] * m[g * B + b];
    let dot = 0;
    if (!renormalize || S <= 0) S = 1;
    else for (let b = 0; b < B; b++) dot += (dEff[g * B + b] * w[g * B + b] * m[g * B + b]) / S;
    for (let b = 0; b < B; b++) {
      const k = g * B + b;
      const dA = (B / S) * (dEff[k] - dot); // dL/d(w·m)
      out[k] = dA * m[k];
      if (dM) dM[k] = dA * w[k];
    }
  }
  if (soft && dM) {
    let ss = 0;
    let sd = 0;
    for (let k = 0; k < G * B; k++) {
      ss += soft.s[k];
      sd += soft.s[k] * dM[k];
    }
    const shift = ss > 0 ? sd / ss : 0;
    for (let k = 0; k < G * B; k++) out[k] += (soft.s[k] * (dM[k] - shift)) / w[k];
  }
  return out;
}

/**
 * Refines one user group. Writes the refined item table (best epoch by validation loss) to `task.out`
 * and the controller's weights [G][B] to `task.weightsOut`.
 * @param {RefineTask} t @param {ArrayBuffer | SharedArrayBuffer} buf @param {GemmFn} gemm
 * @param {(done: number) => void} [tick] called after every batch
 * @returns {RefineResult}
 */
export function refineGroup(t, buf, gemm, tick) {
  const { nUsers, nItems, dim: D, blockDim, blocks: B, itemGroups: G } = t;
  const P = t.batch;
  const N = t.negatives;
  const rand = mulberry32(t.seed);
  const U = new Float32Array(buf, t.users, nUsers * D);
  const V0 = new Float32Array(buf, t.items, nItems * D);
  const ip = new Uint32Array(buf, t.innerIndptr, nUsers + 1);
  const ix = new Uint32Array(buf, t.innerIndices, ip[nUsers]);
  const groupOf = new Uint32Array(buf, t.itemGroupOf, nItems);
  const members = new Uint32Array(buf, t.members, t.membersCount);
  const valU = new Uint32Array(buf, t.valUsers, t.valCount);
  const valI = new Uint32Array(buf, t.valItems, t.valCount);
  const best = new Float32Array(buf, t.out, nItems * D);
  const weightsOut = new Float32Array(buf, t.weightsOut, G * B);
  const sc = t.scratch;
  const V = new Float32Array(buf, sc.work, nItems * D);
  const gradAcc = new Float32Array(buf, sc.gradAcc, nItems * D);
  const aM = new Float32Array(buf, sc.adamM, nItems * D);
  const aV = new Float32Array(buf, sc.adamV, nItems * D);
  const Up = new Float32Array(buf, sc.up, P * D);
  const VnT = new Float32Array(buf, sc.vnT, D * N);
  const S = new Float32Array(buf, sc.s, P * N);
  const dVnT = new Float32Array(buf, sc.dvnT, D * N);
  V.set(V0);
  best.set(V0);
  aM.fill(0);
  aV.fill(0);
  gradAcc.fill(0);

  // The group's training edges (the inner split).
  let nEdges = 0;
  for (let k = 0; k < members.length; k++) nEdges += ip[members[k] + 1] - ip[members[k]];
  const eU = new Uint32Array(nEdges);
  const eI = new Uint32Array(nEdges);
  for (let k = 0, e = 0; k < members.length; k++) {
    const u = members[k];
    for (let q = ip[u]; q < ip[u + 1]; q++, e++) {
      eU[e] = u;
      eI[e] = ix[q];
    }
  }

  // Learning rate relative to the table's scale, so it suits any backbone.
  let sq = 0;
  for (let k = 0; k < V0.length; k++) sq += V0[k] * V0[k];
  const lr = t.lr * Math.sqrt(sq / V0.length);
  const shift = Math.log(nItems / N);
  const blockOf = new Uint16Array(D);
  for (let d = 0; d < D; d++) blockOf[d] = Math.floor(d / blockDim);

  // Controller features: popularity (fixed) and two running signals per (g, b).
  const x = new Float64Array(G * B * FEATURES);
  const lossSignal = new Float64Array(G * B);
  const contribution = new Float64Array(G * B);
  const popMean = t.groupPopularity.reduce((a, v) => a + v, 0) / G;
  const popStd = Math.sqrt(t.groupPopularity.reduce((a, v) => a + (v - popMean) ** 2, 0) / G) || 1;
  const refreshFeatures = () => {
    let r1 = 0;
    let r2 = 0;
    for (let k = 0; k < G * B; k++) {
      r1 += lossSignal[k] ** 2;
      r2 += contribution[k] ** 2;
    }
    r1 = Math.sqrt(r1 / (G * B)) || 1;
    r2 = Math.sqrt(r2 / (G * B)) || 1;
    for (let g = 0; g < G; g++) {
      for (let b = 0; b < B; b++) {
        const k = g * B + b;
        x[k * FEATURES] = (t.groupPopularity[g] - popMean) / popStd;
        x[k * FEATURES + 1] = lossSignal[k] / r1;
        x[k * FEATURES + 2] = contribution[k] / r2;
      }
    }
  };
  const controller = new Controller(t.hidden, rand);

  const negItems = new Uint32Array(N);
  const eff = new Float64Array(G * B); // B·w·mask: the factor each block of each item group is scaled by
  /** @type {Uint8Array | Float64Array} */
  let curMask = new Uint8Array(G * B).fill(1);
  /** @type {{ m: Float64Array, s: Float64Array } | null} */
  let curSoft = null;
  /** @type {Float64Array} The weights behind `eff`. */
  let curW = new Float64Array(G * B).fill(1 / B);
  /** Scoring rule behind `eff`: the mean over kept blocks (renormalised) or the truncated full-table score. */
  let curRenorm = t.renormalize;
  const dwAcc = new Float64Array(G * B);
  const contribBatch = new Float64Array(G * B);
  const contribCount = new Float64Array(G);
  const gpos = new Float64Array(P);
  /** @type {number[]} */
  let touched = [];
  const isTouched = new Uint8Array(nItems);
  const negIndex = new Map();

  /**
   * Loss of the weighted, masked scores on P' edges (eU/eI style arrays from `off`), sampled softmax with
   * N shared uniform negatives. With `train`, accumulates item gradients (gradAcc), dL/dw (dwAcc) and the
   * contribution statistics.
   * @param {Uint32Array} us @param {Uint32Array} is @param {number} off @param {number} rows
   * @param {number} alpha @param {boolean} train @param {() => number} r
   */
  const batchLoss = (us, is, off, rows, alpha, train, r) => {
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
    effectiveBackward(curW, curMask, curSoft, dwAcc.slice(), G, B, curRenorm, dwAcc);
    return loss / rows;
  };

  let step = 0;
  const b1 = 0.9;
  const b2 = 0.999;
  const applyItemUpdate = () => {
    step++;
    const c1 = 1 - b1 ** step;
    const c2 = 1 - b2 ** step;
    for (const it of touched) {
      for (let d = it * D; d < it * D + D; d++) {
        const gr = gradAcc[d];
        aM[d] = b1 * aM[d] + (1 - b1) * gr;
        aV[d] = b2 * aV[d] + (1 - b2) * gr * gr;
        V[d] -= (lr * aM[d]) / c1 / (Math.sqrt(aV[d] / c2) + 1e-12);
        gradAcc[d] = 0;
      }
      isTouched[it] = 0;
    }
    touched = [];
  };

  /**
   * Scores at a budget keeping `fraction` of the blocks: the hard mask selectBlocks applies, or its relaxation;
   * with the scoring rule refinement trains for unless `renormalize` says otherwise.
   */
  const setEff = (/** @type {Float64Array} */ w, /** @type {number} */ fraction, soft = false, renormalize = t.renormalize) => {
    const keep = Math.max(G, Math.round(fraction * G * B));
    curSoft = soft && keep < G * B ? softKeep(w, G, B, keep) : null;
    curMask = curSoft ? curSoft.m : keepMask(w, G, B, keep);
    curW = w;
    curRenorm = renormalize;
    effectiveFactors(w, curMask, G, B, renormalize, eff);
  };

  // Validation loss averaged over the elastic budgets, on fixed negatives (same seed every time).
  const valLoss = (/** @type {Float64Array} */ w, /** @type {number} */ alpha) => {
    if (t.valCount === 0) return 0;
    let total = 0;
    for (const f of t.elastic) {
      setEff(w, f);
      const r = mulberry32(t.seed ^ 0x5bd1e995);
      let sum = 0;
      for (let off = 0; off < t.valCount; off += P) {
        const rows = Math.min(P, t.valCount - off);
        sum += batchLoss(valU, valI, off, rows, alpha, false, r) * rows;
      }
      total += sum / t.valCount;
    }
    return total / t.elastic.length;
  };

  // Validation ranking: Recall@20 over all items (the user's inner training items excluded) for up to
  // RANK_USERS validation users of the group, the metric the weights' sharpness is chosen on.
  const valSets = new Map();
  for (let k = 0; k < t.valCount; k++) {
    let l = valSets.get(valU[k]);
    if (!l) valSets.set(valU[k], (l = []));
    l.push(valI[k]);
  }
  const rankUsers = [...valSets.keys()].sort((a, b) => a - b);
  {
    const r = mulberry32(t.seed ^ 0x27d4eb2f);
    for (let k = rankUsers.length - 1; k > 0; k--) {
      const j = Math.floor(r() * (k + 1));
      [rankUsers[k], rankUsers[j]] = [rankUsers[j], rankUsers[k]];
    }
    rankUsers.length = Math.min(rankUsers.length, RANK_USERS);
  }
  const isExcluded = (/** @type {number} */ u, /** @type {number} */ it) => {
    let lo = ip[u];
    let hi = ip[u + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ix[mid] < it) lo = mid + 1;
      else hi = mid;
    }
    return lo < ip[u + 1] && ix[lo] === it;
  };
  /** Mean Recall@20 of the validation users under the current `eff`, ranked P users at a time. */
  const rankRecall = () => {
    const n = rankUsers.length;
    if (n === 0) return 0;
    const K = 20;
    const topS = new Float64Array(P * K);
    const topI = new Int32Array(P * K);
    const floor = new Float64Array(P);
    let total = 0;
    for (let c0 = 0; c0 < n; c0 += P) {
      const rows = Math.min(P, n - c0);
      topS.fill(-Infinity);
      topI.fill(-1);
      floor.fill(-Infinity);
      for (let p = 0; p < rows; p++) Up.set(U.subarray(rankUsers[c0 + p] * D, rankUsers[c0 + p] * D + D), p * D);
      for (let start = 0; start < nItems; start += N) {
        const w = Math.min(N, nItems - start);
        for (let j = 0; j < N; j++) {
          const it = start + j;
          if (j >= w) {
            for (let d = 0; d < D; d++) VnT[d * N + j] = 0;
            continue;
          }
          const gB = groupOf[it] * B;
          for (let d = 0; d < D; d++) VnT[d * N + j] = eff[gB + blockOf[d]] * V[it * D + d];
        }
        gemm(sc.up, D, 1, sc.vnT, N, sc.s, N, rows, N, D, 0);
        for (let p = 0; p < rows; p++) {
          const u = rankUsers[c0 + p];
          for (let j = 0; j < w; j++) {
            const v = S[p * N + j];
            if (v <= floor[p] || isExcluded(u, start + j)) continue;
            // replace the current minimum of the row's top K
            let mi = p * K;
            for (let q = p * K + 1; q < p * K + K; q++) if (topS[q] < topS[mi]) mi = q;
            topS[mi] = v;
            topI[mi] = start + j;
            let f = Infinity;
            for (let q = p * K; q < p * K + K; q++) if (topS[q] < f) f = topS[q];
            floor[p] = f;
          }
        }
      }
      for (let p = 0; p < rows; p++) {
        const truth = new Set(valSets.get(rankUsers[c0 + p]));
        let hits = 0;
        for (let q = p * K; q < p * K + K; q++) if (truth.has(topI[q])) hits++;
        total += hits / truth.size;
      }
    }
    return total / n;
  };
  /** Validation Recall@20 at each elastic budget. */
  const valRecalls = (/** @type {Float64Array} */ w, renormalize = t.renormalize) =>
    t.elastic.map((f) => {
      setEff(w, f, false, renormalize);
      return rankRecall();
    });

  // Logit scale: the α that best fits the backbone's scores, by a coarse line search on training edges.
  const uniform = new Float64Array(G * B).fill(1 / B);
  let alpha = 1;
  {
    const probeRows = Math.min(P, nEdges);
    let bestLoss = Infinity;
    setEff(uniform, 1);
    for (let e = -4; e <= 6; e += 0.5) {
      const a = 2 ** e;
      const l = batchLoss(eU, eI, 0, probeRows, a, false, mulberry32(t.seed + 17));
      if (l < bestLoss) {
        bestLoss = l;
        alpha = a;
      }
    }
  }

  refreshFeatures();
  let fwd = controller.forward(x, G, B);
  // The untrained controller's weights are the fallback: near-uniform and falling with the block index, so
  // if no epoch beats them on validation every item group keeps (nearly) the same number of blocks: first-k.
  const valBefore = valLoss(fwd.w, alpha);
  let bestVal = valBefore;
  let bestEpoch = 0;
  const startWeights = fwd.w.slice();
  let bestWeights = startWeights.slice();
  let epochsRun = 0;
  const order = Uint32Array.from({ length: nEdges }, (_, k) => k);
  const bU = new Uint32Array(P);
  const bI = new Uint32Array(P);
  const vU = new Uint32Array(P);
  const vI = new Uint32Array(P);
  let batches = 0;
  for (let epoch = 1; epoch <= t.epochs && nEdges > 0; epoch++) {
    for (let k = nEdges - 1; k > 0; k--) {
      const j = Math.floor(rand() * (k + 1));
      const tmp = order[k];
      order[k] = order[j];
      order[j] = tmp;
    }
    for (let off = 0; off < nEdges; off += P) {
      const rows = Math.min(P, nEdges - off);
      for (let p = 0; p < rows; p++) {
        bU[p] = eU[order[off + p]];
        bI[p] = eI[order[off + p]];
      }
      // Inner step: embeddings on training edges, at a random elastic budget, controller fixed.
      const frac = t.elastic[Math.floor(rand() * t.elastic.length)];
      setEff(fwd.w, frac);
      batchLoss(bU, bI, 0, rows, alpha, true, rand);
      applyItemUpdate();
      for (let k = 0; k < G * B; k++) {
        lossSignal[k] = 0.9 * lossSignal[k] + 0.1 * fwd.w[k] * dwAcc[k];
        const c = contribCount[Math.floor(k / B)];
        if (c > 0) contribution[k] = 0.9 * contribution[k] + 0.1 * (contribBatch[k] / c);
      }
      // Outer step: the controller on held-out validation edges, embeddings fixed.
      if (t.valCount > 0 && ++batches % t.outerEvery === 0) {
        refreshFeatures();
        fwd = controller.forward(x, G, B);
        const vr = Math.min(P, t.valCount);
        for (let p = 0; p < vr; p++) {
          const k = Math.floor(rand() * t.valCount);
          vU[p] = valU[k];
          vI[p] = valI[k];
        }
        // Relaxed mask: the controller learns which blocks each budget keeps, not only their weighting.
        setEff(fwd.w, t.elastic[Math.floor(rand() * t.elastic.length)], t.softSelection);
        batchLoss(vU, vI, 0, vr, alpha, true, rand);
        // Discard the item gradients of the validation batch: validation data never trains embeddings.
        for (const it of touched) {
          gradAcc.fill(0, it * D, it * D + D);
          isTouched[it] = 0;
        }
        touched = [];
        controller.step(x, fwd, dwAcc, G, B, t.controllerLr);
        fwd = controller.forward(x, G, B);
      }
      tick?.(rows);
    }
    epochsRun = epoch;
    refreshFeatures();
    fwd = controller.forward(x, G, B);
    const vl = valLoss(fwd.w, alpha);
    if (vl < bestVal) {
      bestVal = vl;
      bestEpoch = epoch;
      bestWeights = fwd.w.slice();
      best.set(V);
    } else if (epoch - bestEpoch >= t.patience) {
      break;
    }
  }
  // Sharpness of the weights, chosen on validation: w_T ∝ w^(1/T) keeps the order of an item group's blocks
  // but, renormalised per item group, not the order across item groups, so T changes how many blocks each
  // item group keeps as well as how kept blocks are weighed (large T: nearly equal weights, so the item
  // groups whose weights fall slowest keep nearly all their blocks first).
  // Chosen by validation Recall@20 rather than loss: the sampled-softmax loss rewards sharper weights that
  // rank worse across item groups.
  let temperature = 1;
  let valRecallAfter = 0;
  let valRecallStart = 0;
  let learned = false;
  /** @type {'mean' | 'truncated'} */
  const scoring = t.renormalize ? 'mean' : 'truncated';
  /** @type {{ mean: number[], truncated: number[] }} */
  let ruleRecalls = { mean: [], truncated: [] };
  V.set(best);
  if (t.valCount > 0) {
    const start = valRecalls(startWeights);
    /** @type {number[][]} */
    let recalls = [];
    let k = -1;
    valRecallStart = mean(start);
    valRecallAfter = valRecallStart;
    if (bestEpoch > 0) {
      const candidates = TEMPERATURES.map((T) => sharpen(bestWeights, G, B, T));
      recalls = candidates.map((w) => valRecalls(w));
      // The learned weights must beat the untrained controller's (first-k selection) on the refined table;
      // otherwise the group keeps the refined table with those.
      k = chooseWeights(start, recalls);
      learned = k >= 0;
      if (learned) {
        temperature = TEMPERATURES[k];
        bestWeights = candidates[k];
        valRecallAfter = mean(recalls[k]);
      }
    }
    if (!learned) bestWeights = startWeights;
    // Both scoring rules on the shipped weights (the rule never changes which blocks are kept, only how the
    // kept blocks' scores are scaled). The choice between them is pooled over all user groups
    // (chooseScoring): one group's validation users are too few to tell them apart.
    const trained = learned ? recalls[k] : start;
    const other = valRecalls(bestWeights, !t.renormalize);
    ruleRecalls = t.renormalize ? { mean: trained, truncated: other } : { mean: other, truncated: trained };
  }
  for (let k = 0; k < G * B; k++) weightsOut[k] = bestWeights[k];
  return {
    temperature,
    epochsRun,
    bestEpoch,
    alpha,
    valLossBefore: valBefore,
    valLossAfter: bestVal,
    valRecallAfter,
    valRecallStart,
    learnedWeights: learned,
    scoring,
    ruleRecalls,
    rankedUsers: rankUsers.length,
    weights: Array.from(bestWeights),
    edges: nEdges,
    valEdges: t.valCount,
  };
}
