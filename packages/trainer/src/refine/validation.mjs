// What refinement decides on validation, as pure functions: which validation users are ranked, which weights
// a user group ships (the learned ones at a chosen sharpness, or the untrained controller's) and, pooled over
// the groups, which scoring rule every group uses. The recalls they read come from validation-recall.mjs.

import { mulberry32 } from '../data/mulberry32.mjs';

/**
 * Most validation users of a group ranked against all items for the choices made on validation recall.
 * Every one counts: a group has about a thousand on Gowalla, one held-out item each, so the standard error
 * of its recall (~0.012) is already as large as the differences being chosen between.
 */
const RANK_USERS = 4096;
/** Candidate sharpness of the weights (w_T ∝ w^(1/T)); large T is close to equal weights, same order. */
const TEMPERATURES = [1, 2, 4, 16, 256];

/**
 * @typedef {{ mean: number[], truncated: number[] }} RuleRecalls Validation Recall@20 at each elastic budget,
 *   under each scoring rule.
 * @typedef {object} WeightChoice The weights a user group ships and the validation figures behind them.
 * @property {Float64Array} weights
 * @property {number} temperature Temperature applied to the learned weights (1 = as learned, or not kept).
 * @property {boolean} learnedWeights Whether the learned weights beat the untrained controller's and were kept.
 * @property {number} valRecallStart Mean Recall@20 of the untrained controller's weights, trained-for rule.
 * @property {number} valRecallAfter The same for the shipped weights.
 * @property {RuleRecalls} ruleRecalls The shipped weights' recalls under both rules.
 */

/**
 * The validation users a group ranks, and each one's held-out items: every validation user of the group if
 * there are at most RANK_USERS, else a seeded sample of that many.
 * @param {Uint32Array} valU @param {Uint32Array} valI the group's validation edges @param {number} seed
 * @returns {{ users: number[], truth: Map<number, number[]> }}
 */
export function rankingUsers(valU, valI, seed) {
  /** @type {Map<number, number[]>} */
  const truth = new Map();
  for (let k = 0; k < valU.length; k++) {
    let l = truth.get(valU[k]);
    if (!l) truth.set(valU[k], (l = []));
    l.push(valI[k]);
  }
  const users = [...truth.keys()].sort((a, b) => a - b);
  const r = mulberry32(seed ^ 0x27d4eb2f);
  for (let k = users.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [users[k], users[j]] = [users[j], users[k]];
  }
  users.length = Math.min(users.length, RANK_USERS);
  return { users, truth };
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
 * The weights a group with validation users ships. Sharpness is chosen on validation: w_T ∝ w^(1/T) keeps the
 * order of an item group's blocks but, renormalised per item group, not the order across item groups, so T
 * changes how many blocks each item group keeps as well as how kept blocks are weighed (large T: nearly equal
 * weights, so the item groups whose weights fall slowest keep nearly all their blocks first). Chosen by
 * validation Recall@20 rather than loss: the sampled-softmax loss rewards sharper weights that rank worse
 * across item groups. The learned weights must beat the untrained controller's (first-k selection) on the
 * refined table (chooseWeights); otherwise the group keeps the refined table with those.
 * @param {Float64Array} start the untrained controller's weights
 * @param {Float64Array} learned the weights of the best epoch (by validation loss)
 * @param {number} bestEpoch 0: no epoch beat the start, there are no learned weights to try
 * @param {number} G @param {number} B
 * @param {boolean} renormalize the scoring rule trained for (true: 'mean')
 * @param {(w: Float64Array, renormalize?: boolean) => number[]} recalls Recall@20 at each elastic budget on the
 *   refined table, under the trained-for rule unless `renormalize` says otherwise
 * @returns {WeightChoice}
 */
export function chooseOnValidation(start, learned, bestEpoch, G, B, renormalize, recalls) {
  const startRecalls = recalls(start);
  let weights = start;
  let temperature = 1;
  let learnedWeights = false;
  /** @type {number[]} */
  let trained = startRecalls;
  if (bestEpoch > 0) {
    const candidates = TEMPERATURES.map((T) => sharpen(learned, G, B, T));
    const candidateRecalls = candidates.map((w) => recalls(w));
    const k = chooseWeights(startRecalls, candidateRecalls);
    if (k >= 0) {
      learnedWeights = true;
      temperature = TEMPERATURES[k];
      weights = candidates[k];
      trained = candidateRecalls[k];
    }
  }
  // Both scoring rules on the shipped weights (the rule never changes which blocks are kept, only how the
  // kept blocks' scores are scaled). The choice between them is pooled over all user groups
  // (chooseScoring): one group's validation users are too few to tell them apart.
  const other = recalls(weights, !renormalize);
  return {
    weights,
    temperature,
    learnedWeights,
    valRecallStart: mean(startRecalls),
    valRecallAfter: mean(trained),
    ruleRecalls: renormalize ? { mean: trained, truncated: other } : { mean: other, truncated: trained },
  };
}
