/**
 * Random sizes (BET's "SR" baseline, arXiv 2310.14884): one seeded draw of random weights, sorted and assigned by
 * frequency rank (the most popular item gets the largest), scaled to each budget (harness/sizes.ts), then
 * fine-tuned with the sizes' mask. Sizes fall along the popularity order, so the `mixed` variant needs no permutation.
 */
import { Random } from '../../data/random.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome, MixedVariant } from '../../harness/method.js';
import { mixedOutcome, sizesByItem, trainMixed } from '../../harness/mixed.js';
import type { ValueDtype } from '../../harness/accounting.js';
import { type FittedSizes, fitSizes } from '../../harness/sizes.js';

/** Salt of the draw's generator, so that it does not follow any other seeded stream. */
const SALT = 0x5a17;

/**
 * SR's assignment, which BET's sampler shares: random draws sorted so the most popular position gets the largest
 * and fitted to `budget` (harness/sizes.ts), sizes by artifact position (non-increasing).
 */
export function rankedSizes(draws: Float64Array, dim: number, budget: number, dtype: ValueDtype, method: string): FittedSizes {
  return fitSizes(draws.slice().sort().reverse(), dim, budget, dtype, method);
}

export const randomSizes: Method = {
  name: 'random-sizes',
  kind: 'mixed',
  about: "BET's SR: random sizes, assigned by frequency rank and scaled to the budget, fine-tuned with the mask.",
  async run(h: Harness): Promise<MethodOutcome> {
    const { dataset: d, backbone: e, options: o } = h;
    const rng = new Random(o.seed ^ SALT);
    const draws = Float64Array.from({ length: d.nItems }, () => rng.next());
    const reported = new Set(o.budgets);
    const budgets: BudgetOutcome[] = [];
    const mixed: MixedVariant[] = [];
    for (const fraction of [...new Set([...o.budgets, ...o.variants])].sort((a, b) => b - a)) {
      const fit = rankedSizes(draws, e.dim, h.budgetBytes(fraction), o.dtype, 'random-sizes');
      const { variant, before } = await trainMixed(h, fraction, sizesByItem(fit.sizesByPosition, h.order), `random-sizes ${fraction}`);
      mixed.push(variant);
      if (!reported.has(fraction)) continue;
      const out = await mixedOutcome(h, variant, before, {});
      budgets.push(out);
      h.log(`random-sizes ${(fraction * 100).toFixed(0)}%: recall@20 ${out.test.recall20.toFixed(4)}, ndcg@20 ${out.test.ndcg20.toFixed(4)}`);
    }
    return { kind: 'mixed', budgets: budgets.sort((a, b) => o.budgets.indexOf(a.fraction) - o.budgets.indexOf(b.fraction)), mixed };
  },
};
