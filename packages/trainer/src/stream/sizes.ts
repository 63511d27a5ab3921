/**
 * SCALL's size rule (arXiv 2407.15411, §4.2), pure: an action of three numbers in (0, 1) → the user/item split of a
 * fixed budget and a power law per side, p_i ∝ (rank_i + 1)^−α by frequency rank; sizes are p_i · budget clipped to
 * [1, d_max], and the harness's `fitSizes` rescales before flooring and hands out the leftover, so the budget is met
 * exactly after clipping. Every assignment is checked: a total that differs from the budget throws.
 * The budget counts user and item values together (the paper's accounting: the action splits it between them).
 */
import type { Random } from '../data/random.js';
import { fitSizes } from '../harness/sizes.js';
import { StreamBudgetError } from './errors.js';

/** The action as the environment reads it: each number in (0, 1). */
export interface SizeAction {
  userShare: number;
  userAlpha: number;
  itemAlpha: number;
}

export const ALPHA_RANGE = [0.1, 30] as const;

/**
 * α from an action number in (0, 1), over [0.1, 30] and centred: a = 0.5 is α = 1 (Zipf's law, the fixed ablation),
 * log-linear on each half (0.1 → 1 below, 1 → 30 above). A policy starts near a = 0.5 (its tanh-squashed mean is
 * 0), so it starts at the rule the ablation serves and is rewarded for moving away from it; the uncentred log map
 * (a = 0.5 was α ≈ 1.7) started it on the steep side, where a few entities take d_max. A linear map would leave
 * α < 2 to 6 % of the range.
 */
export function alphaOf(a: number): number {
  const [lo, hi] = ALPHA_RANGE;
  const t = 2 * Math.min(1, Math.max(0, a)) - 1;
  return t < 0 ? lo ** -t : hi ** t;
}

/** The inverse of `alphaOf` (for a fixed action given as α). */
export function actionOfAlpha(alpha: number): number {
  const [lo, hi] = ALPHA_RANGE;
  const t = alpha < 1 ? -Math.log(alpha) / Math.log(lo) : Math.log(alpha) / Math.log(hi);
  return (t + 1) / 2;
}

/**
 * The users' share of the budget from an action number in (0, 1), centred on the row-count share `rows` (a = 0.5 is
 * the baselines' split) by adding the logits: a → 0 and a → 1 still reach every split.
 */
export function shareOf(a: number, rows: number): number {
  const logit = (x: number) => Math.log(x / (1 - x));
  const clamp = (x: number) => Math.min(1 - 1e-9, Math.max(1e-9, x));
  return 1 / (1 + Math.exp(-(logit(clamp(a)) + logit(clamp(rows)))));
}

/** Entities by frequency rank: most frequent first, ties by index (older entities first). */
export function frequencyOrder(freq: ArrayLike<number>): Uint32Array {
  return Uint32Array.from({ length: freq.length }, (_, i) => i).sort((a, b) => freq[b]! - freq[a]! || a - b);
}

export function powerLawWeights(n: number, alpha: number): Float64Array {
  return Float64Array.from({ length: n }, (_, r) => (r + 1) ** -alpha);
}

/**
 * Sizes by entity: `weightsByRank` (non-increasing) given to the entities in `order`, scaled so that the sizes, each
 * in [1, dMax], sum to `values` exactly (which must lie in [n, n · dMax]).
 */
export function sizesByRank(order: Uint32Array, weightsByRank: Float64Array, dMax: number, values: number): Uint16Array {
  const fitted = fitSizes(weightsByRank, dMax, values * 4, 'f32', 'scall');
  const out = new Uint16Array(order.length);
  for (let r = 0; r < order.length; r++) out[order[r]!] = fitted.sizesByPosition[r]!;
  return out;
}

/** The users' share of the budget, moved into the range where both sides fit: each row ≥ 1 and ≤ dMax. */
export function splitBudget(budget: number, nUsers: number, nItems: number, dMax: number, share: number): { users: number; items: number } {
  const lo = Math.max(nUsers, budget - nItems * dMax);
  const hi = Math.min(nUsers * dMax, budget - nItems);
  const users = Math.min(hi, Math.max(lo, Math.round(share * budget)));
  return { users, items: budget - users };
}

export interface Assignment {
  users: Uint16Array;
  items: Uint16Array;
  /** Values stored on each side; their sum is the budget (checked). */
  userValues: number;
  itemValues: number;
}

export interface SizingContext {
  segment: number;
  /** Values, users and items together. */
  budget: number;
  dMax: number;
  userFreq: ArrayLike<number>;
  itemFreq: ArrayLike<number>;
}

/** Throws unless the catalog fits the budget at one value a row and the budget fits it at d_max a row. */
export function checkCatalog(c: SizingContext): void {
  const n = c.userFreq.length + c.itemFreq.length;
  if (n > c.budget) throw new StreamBudgetError(c.segment, c.budget, n, 'the catalog has outgrown the budget (one value a row)');
  if (n * c.dMax < c.budget) throw new StreamBudgetError(c.segment, c.budget, n * c.dMax, 'the budget exceeds the full table: choose a smaller --budget');
}

/** The budget check, asserted for every assignment: Σ sizes = budget, every size in [1, dMax]. */
export function assertBudget(c: SizingContext, a: Assignment): Assignment {
  let total = 0;
  for (const side of [a.users, a.items]) {
    for (const d of side) {
      if (!(d >= 1 && d <= c.dMax)) throw new StreamBudgetError(c.segment, c.budget, d, `a size outside [1, ${c.dMax}]`);
      total += d;
    }
  }
  if (total !== c.budget) throw new StreamBudgetError(c.segment, c.budget, total, 'sizes do not meet the budget exactly');
  return a;
}

function assign(c: SizingContext, share: number, side: (n: number, freq: ArrayLike<number>, values: number, isUser: boolean) => Uint16Array): Assignment {
  checkCatalog(c);
  const split = splitBudget(c.budget, c.userFreq.length, c.itemFreq.length, c.dMax, share);
  return assertBudget(c, {
    users: side(c.userFreq.length, c.userFreq, split.users, true),
    items: side(c.itemFreq.length, c.itemFreq, split.items, false),
    userValues: split.users,
    itemValues: split.items,
  });
}

/** SCALL's sizes for an action (its `userShare` centred on the row-count split: `shareOf`). */
export function powerLawSizes(c: SizingContext, a: SizeAction): Assignment {
  return assign(c, shareOf(a.userShare, rowShare(c)), (n, freq, values, isUser) => sizesByRank(frequencyOrder(freq), powerLawWeights(n, alphaOf(isUser ? a.userAlpha : a.itemAlpha)), c.dMax, values));
}

/** The share of the budget users get when it is split by row count (the baselines' split). */
export function rowShare(c: SizingContext): number {
  return c.userFreq.length / (c.userFreq.length + c.itemFreq.length);
}

/** Baseline: one size for everyone (the leftover of the division to the first rows). */
export function uniformSizes(c: SizingContext): Assignment {
  return assign(c, rowShare(c), (n, _f, values) =>
    sizesByRank(
      Uint32Array.from({ length: n }, (_, i) => i),
      new Float64Array(n).fill(1),
      c.dMax,
      values,
    ),
  );
}

/** Baseline without RL: sizes proportional to the segment's frequency. */
export function frequencySizes(c: SizingContext): Assignment {
  return assign(c, rowShare(c), (_n, freq, values) => {
    const order = frequencyOrder(freq);
    return sizesByRank(
      order,
      Float64Array.from(order, (i) => freq[i]!),
      c.dMax,
      values,
    );
  });
}

/** Baseline: random weights given to a random order of the entities. */
export function randomSizes(c: SizingContext, rng: Random): Assignment {
  return assign(c, rowShare(c), (n, _f, values) => {
    const order = rng.shuffle(Uint32Array.from({ length: n }, (_, i) => i));
    const w = Float64Array.from({ length: n }, () => rng.next()).sort((x, y) => y - x);
    return sizesByRank(order, w, c.dMax, values);
  });
}
