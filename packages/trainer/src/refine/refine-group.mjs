// PEEL per-user-group refinement: the bi-level loop for one user group (trainer README, "Refinement"). Inner
// steps train the group's copy of the item table at a random elastic budget, the controller fixed; outer steps
// train the controller on held-out validation edges, the table fixed. Early stopping on validation loss, then
// the shipped weights are chosen on validation recall (validation.mjs). Plain JavaScript on purpose: it runs
// inside worker threads (which cannot load TypeScript without a loader) and on the main thread alike.

import { mulberry32 } from '../data/mulberry32.mjs';
import { heapViews } from '../kernels/heap-views.mjs';
import { Controller, ControllerFeatures } from './controller.mjs';
import { GroupTable } from './group-table.mjs';
import { chooseOnValidation, rankingUsers } from './validation.mjs';
import { recallAt20 } from './validation-recall.mjs';

/**
 * @typedef {import('./group-table.mjs').GroupTableTask & {
 *   groupPopularity: number[],
 *   members: number, membersCount: number, valUsers: number, valItems: number, valCount: number, weightsOut: number,
 *   epochs: number, patience: number, controllerLr: number, outerEvery: number, elastic: number[], hidden: number,
 *   softSelection: boolean, seed: number
 * }} RefineTask One user group's task: sizes, options and the byte offsets of its data in the shared heap.
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
 */

/**
 * The group's training edges (the inner split of its members' rows), as parallel user and item arrays.
 * @param {Uint32Array} ip @param {Uint32Array} ix the inner split (CSR) @param {Uint32Array} members
 */
function groupEdges(ip, ix, members) {
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
  return { eU, eI };
}

/**
 * Refines one user group. Writes the refined item table (best epoch by validation loss) to `task.out`
 * and the controller's weights [G][B] to `task.weightsOut`.
 * @param {RefineTask} t @param {ArrayBufferLike} buf @param {import('./group-table.mjs').GemmFn} gemm
 * @param {(done: number) => void} [tick] called after every batch
 * @returns {RefineResult}
 */
export function refineGroup(t, buf, gemm, tick) {
  const { blocks: B, itemGroups: G } = t;
  const P = t.batch;
  const rand = mulberry32(t.seed);
  const table = new GroupTable(t, buf, gemm);
  const { members, valUsers: valU, valItems: valI } = heapViews(Uint32Array, buf, t, { members: t.membersCount, valUsers: t.valCount, valItems: t.valCount });
  const weightsOut = new Float32Array(buf, t.weightsOut, G * B);
  const { eU, eI } = groupEdges(table.indptr, table.indices, members);
  const nEdges = eU.length;
  const features = new ControllerFeatures(t.groupPopularity, G, B);
  const x = features.x;
  const controller = new Controller(t.hidden, rand);

  // Validation loss averaged over the elastic budgets, on fixed negatives (same seed every time).
  const valLoss = (/** @type {Float64Array} */ w, /** @type {number} */ alpha) => {
    if (t.valCount === 0) return 0;
    let total = 0;
    for (const f of t.elastic) {
      table.setBudget(w, f);
      const r = mulberry32(t.seed ^ 0x5bd1e995);
      let sum = 0;
      for (let off = 0; off < t.valCount; off += P) {
        const rows = Math.min(P, t.valCount - off);
        sum += table.loss(valU, valI, off, rows, alpha, false, r) * rows;
      }
      total += sum / t.valCount;
    }
    return total / t.elastic.length;
  };
  const ranked = rankingUsers(valU, valI, t.seed);
  /** Validation Recall@20 at each elastic budget. */
  const valRecalls = (/** @type {Float64Array} */ w, renormalize = t.renormalize) =>
    t.elastic.map((f) => {
      table.setBudget(w, f, false, renormalize);
      return recallAt20(table, ranked.users, ranked.truth);
    });

  // Logit scale: the α that best fits the backbone's scores, by a coarse line search on training edges.
  const uniform = new Float64Array(G * B).fill(1 / B);
  let alpha = 1;
  {
    const probeRows = Math.min(P, nEdges);
    let bestLoss = Infinity;
    table.setBudget(uniform, 1);
    for (let e = -4; e <= 6; e += 0.5) {
      const a = 2 ** e;
      const l = table.loss(eU, eI, 0, probeRows, a, false, mulberry32(t.seed + 17));
      if (l < bestLoss) {
        bestLoss = l;
        alpha = a;
      }
    }
  }

  features.refresh();
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
      table.setBudget(fwd.w, frac);
      table.loss(bU, bI, 0, rows, alpha, true, rand);
      table.applyItemUpdate();
      features.observe(fwd.w, table.dwAcc, table.contribBatch, table.contribCount);
      // Outer step: the controller on held-out validation edges, embeddings fixed.
      if (t.valCount > 0 && ++batches % t.outerEvery === 0) {
        features.refresh();
        fwd = controller.forward(x, G, B);
        const vr = Math.min(P, t.valCount);
        for (let p = 0; p < vr; p++) {
          const k = Math.floor(rand() * t.valCount);
          vU[p] = valU[k];
          vI[p] = valI[k];
        }
        // Relaxed mask: the controller learns which blocks each budget keeps, not only their weighting.
        table.setBudget(fwd.w, t.elastic[Math.floor(rand() * t.elastic.length)], t.softSelection);
        table.loss(vU, vI, 0, vr, alpha, true, rand);
        table.discardItemGradients();
        controller.step(x, fwd, table.dwAcc, G, B, t.controllerLr);
        fwd = controller.forward(x, G, B);
      }
      tick?.(rows);
    }
    epochsRun = epoch;
    features.refresh();
    fwd = controller.forward(x, G, B);
    const vl = valLoss(fwd.w, alpha);
    if (vl < bestVal) {
      bestVal = vl;
      bestEpoch = epoch;
      bestWeights = fwd.w.slice();
      table.saveBest();
    } else if (epoch - bestEpoch >= t.patience) {
      break;
    }
  }
  table.restoreBest();
  const choice =
    t.valCount > 0
      ? chooseOnValidation(startWeights, bestWeights, bestEpoch, G, B, t.renormalize, valRecalls)
      : { weights: bestWeights, temperature: 1, learnedWeights: false, valRecallStart: 0, valRecallAfter: 0, ruleRecalls: { mean: [], truncated: [] } };
  for (let k = 0; k < G * B; k++) weightsOut[k] = choice.weights[k];
  return {
    temperature: choice.temperature,
    epochsRun,
    bestEpoch,
    alpha,
    valLossBefore: valBefore,
    valLossAfter: bestVal,
    valRecallAfter: choice.valRecallAfter,
    valRecallStart: choice.valRecallStart,
    learnedWeights: choice.learnedWeights,
    scoring: t.renormalize ? 'mean' : 'truncated',
    ruleRecalls: choice.ruleRecalls,
    rankedUsers: ranked.users.length,
    weights: Array.from(choice.weights),
    edges: nEdges,
    valEdges: t.valCount,
  };
}
