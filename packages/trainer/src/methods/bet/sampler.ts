/**
 * BET's action sampler (arXiv 2310.14884, §3.2): an action is a size for every entity, drawn so that it meets the
 * budget by construction. Per side (users, items) a distribution family is drawn at random, its parameter
 * β ~ U(0, β_max), and one value per entity; the values, sorted and scaled to the side's share of the budget, are
 * assigned by frequency rank (the most frequent entity gets the largest), which is SR's assignment
 * (methods/random-sizes: `rankedSizes`). An action whose largest unclamped size ⌊p̃_max · budget⌋ exceeds d_max is
 * drawn again, as the paper resamples it.
 *
 * Two accountings:
 * - `device` (the harness's, issue 20): the item table's device bytes; users stay full, so no w is drawn.
 * - `paper`: user + item parameters at a sparsity; the budget is split between the sides by w ~ U(0, 1), and a w
 *   that leaves a side under one value a row or over d_max a row is drawn again.
 *
 * One departure, forced by the `mixed` format (every row keeps ≥ 1 value): sizes are clamped to [1, d_max] by
 * fitSizes, which then rescales so the side still lands within one value of its budget, never over it.
 * The families are scipy's, whose names the paper uses: powerlaw(a = β), truncexpon(b = β), the standard normal
 * truncated to [0, β] (our choice of truncnorm's bounds: the draws must be non-negative to be shares) and lognorm(s = β).
 */
import type { Random } from '../../data/random.js';
import type { ValueDtype } from '../../harness/accounting.js';
import { HarnessError } from '../../harness/errors.js';
import { rankedSizes } from '../random-sizes/index.js';

export const FAMILIES = ['power-law', 'truncated-exponential', 'truncated-normal', 'log-normal'] as const;
export type Family = (typeof FAMILIES)[number];

/** β_max of each family, as the paper gives them. */
export const BETA_MAX: Readonly<Record<Family, number>> = { 'power-law': 20, 'truncated-exponential': 5, 'truncated-normal': 20, 'log-normal': 0.5 };

/** One side's draw: which family, which β. */
export interface SideDraw {
  family: Family;
  beta: number;
}

/** A sampled action: sizes by artifact position (non-increasing: frequency rank), per side. */
export interface BetAction {
  items: Uint16Array;
  itemDraw: SideDraw;
  /** Paper accounting only: user sizes by user frequency rank, and the share w of the budget they got. */
  users?: Uint16Array;
  userDraw?: SideDraw;
  w?: number;
  /** Draws made until this one met the d_max rule (1: the first did). */
  attempts: number;
}

/** One value of `family` with parameter β (inverse CDFs, and an exact rejection sampler for the truncated normal). */
export function drawValue(family: Family, beta: number, rng: Random): number {
  switch (family) {
    case 'power-law':
      // density β x^(β−1) on [0, 1]
      return rng.next() ** (1 / beta);
    case 'truncated-exponential':
      // density ∝ e^(−x) on [0, β]
      return -Math.log(1 - rng.next() * (1 - Math.exp(-beta)));
    case 'truncated-normal':
      for (;;) {
        if (beta < 1) {
          // uniform proposal on [0, β], accepted with e^(−x²/2) ≥ e^(−1/2)
          const x = rng.next() * beta;
          if (rng.next() < Math.exp((-x * x) / 2)) return x;
        } else {
          // half-normal proposal, accepted inside [0, β] (probability ≥ 0.68)
          const x = Math.abs(rng.normal());
          if (x <= beta) return x;
        }
      }
    case 'log-normal':
      return Math.exp(beta * rng.normal());
  }
}

/** A family drawn uniformly, β ~ U(0, β_max) (β = 0 has probability 0 but is excluded: it is no distribution). */
export function drawSide(rng: Random): SideDraw {
  const family = FAMILIES[rng.int(FAMILIES.length)]!;
  let beta = 0;
  while (beta === 0) beta = rng.next() * BETA_MAX[family];
  return { family, beta };
}

/** The budget an action must meet. */
export type SamplerBudget =
  | { accounting: 'device'; dim: number; nItems: number; budgetBytes: number; dtype: ValueDtype }
  | { accounting: 'paper'; dim: number; nItems: number; nUsers: number; sparsity: number };

/** Stored values the budget allows (paper: user + item parameters, kept = (1 − sparsity) of the full model). */
export function budgetValues(b: SamplerBudget): number {
  if (b.accounting === 'device') return Math.floor(b.budgetBytes / (b.dtype === 'f16' ? 2 : 4));
  return Math.floor((1 - b.sparsity) * (b.nUsers + b.nItems) * b.dim);
}

/**
 * Draws for a side that pass the d_max rule at `values` stored values, or undefined after a draw that fails it.
 * A side whose budget holds every row at d_max has one action: no draw is made, and all are equal.
 */
function sideDraws(n: number, dim: number, values: number, draw: SideDraw, rng: Random): Float64Array | undefined {
  const x = new Float64Array(n);
  if (values >= n * dim) return x.fill(1);
  let sum = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = drawValue(draw.family, draw.beta, rng);
    x[j] = v;
    sum += v;
    if (v > max) max = v;
  }
  if (!(sum > 0 && Number.isFinite(sum))) return undefined;
  return Math.floor((max / sum) * values) > dim ? undefined : x;
}

/** The most draws before the sampler gives up (the d_max rule rejects a share of actions, never most of them in practice). */
export const MAX_ATTEMPTS = 1000;

/** One action meeting `b`; throws HarnessError when MAX_ATTEMPTS draws all break the d_max rule. */
export function sampleAction(b: SamplerBudget, rng: Random): BetAction {
  const total = budgetValues(b);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (b.accounting === 'device') {
      const itemDraw = drawSide(rng);
      const x = sideDraws(b.nItems, b.dim, total, itemDraw, rng);
      if (!x) continue;
      return { items: rankedSizes(x, b.dim, total * 4, 'f32', 'bet').sizesByPosition, itemDraw, attempts: attempt + 1 };
    }
    const w = rng.next();
    const userValues = Math.floor(w * total);
    const itemValues = total - userValues;
    if (userValues < b.nUsers || userValues > b.nUsers * b.dim || itemValues < b.nItems || itemValues > b.nItems * b.dim) continue;
    const userDraw = drawSide(rng);
    const itemDraw = drawSide(rng);
    const u = sideDraws(b.nUsers, b.dim, userValues, userDraw, rng);
    const x = u && sideDraws(b.nItems, b.dim, itemValues, itemDraw, rng);
    if (!u || !x) continue;
    return {
      users: rankedSizes(u, b.dim, userValues * 4, 'f32', 'bet').sizesByPosition,
      userDraw,
      items: rankedSizes(x, b.dim, itemValues * 4, 'f32', 'bet').sizesByPosition,
      itemDraw,
      w,
      attempts: attempt + 1,
    };
  }
  throw new HarnessError(`bet: no action met the budget (${total} values, d_max ${b.dim}) in ${MAX_ATTEMPTS} draws`);
}
