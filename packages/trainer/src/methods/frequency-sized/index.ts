/**
 * Frequency-sized: d_i ∝ (train count of i)^α fitted to each budget (harness/sizes.ts), α chosen per budget on
 * the quick validation metric from a small grid, on the backbone's table cut to the sizes (no fine-tuning per
 * candidate: one fine-tune of the chosen α). No search: the floor that BET, CIESS and SCALL must beat.
 */
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome, MixedVariant } from '../../harness/method.js';
import type { ValidationMetric } from '../../harness/metric.js';
import { mixedOutcome, sizedStart, sizesByItem, trainMixed } from '../../harness/mixed.js';
import { fitSizes } from '../../harness/sizes.js';

/** α = 0 is one size for all (a uniform table of any width); 1 is sizes proportional to frequency. */
export const ALPHA_GRID = [0, 0.25, 0.5, 0.75, 1] as const;

/** Sizes by item index for one α at one budget. */
export function frequencySizes(h: Harness, alpha: number, budget: number): Uint16Array {
  const weights = Float64Array.from(h.popularityByPosition, (c) => Math.max(1, c) ** alpha);
  return sizesByItem(fitSizes(weights, h.backbone.dim, budget, h.options.dtype, 'frequency-sized').sizesByPosition, h.order);
}

export const frequencySized: Method = {
  name: 'frequency-sized',
  kind: 'mixed',
  about: `Sizes ∝ frequency^α fitted to the budget, α from {${ALPHA_GRID.join(', ')}} on validation, fine-tuned with the mask.`,
  async run(h: Harness): Promise<MethodOutcome> {
    const { backbone: e, options: o } = h;
    const reported = new Set(o.budgets);
    const budgets: BudgetOutcome[] = [];
    const mixed: MixedVariant[] = [];
    const grid: Record<string, { alpha: number; recall20: number; ndcg20: number; se: number }[]> = {};
    for (const fraction of [...new Set([...o.budgets, ...o.variants])].sort((a, b) => b - a)) {
      const budget = h.budgetBytes(fraction);
      let best: { alpha: number; recall20: number; sizes: Uint16Array; metric: ValidationMetric } | undefined;
      const rows: (typeof grid)[string] = [];
      for (const alpha of ALPHA_GRID) {
        const sizes = frequencySizes(h, alpha, budget);
        const v = await h.validate({ users: e.users, items: sizedStart(h, sizes), dim: e.dim });
        rows.push({ alpha, recall20: v.recall20, ndcg20: v.ndcg20, se: v.se.recall20 });
        if (!best || v.recall20 > best.recall20) best = { alpha, recall20: v.recall20, sizes, metric: v };
      }
      grid[String(fraction)] = rows;
      const { variant, before } = await trainMixed(h, fraction, best!.sizes, `frequency-sized ${fraction}`, best!.metric);
      mixed.push(variant);
      if (!reported.has(fraction)) continue;
      const out = await mixedOutcome(h, variant, before, { alpha: best!.alpha });
      budgets.push(out);
      h.log(`frequency-sized ${(fraction * 100).toFixed(0)}% (α ${best!.alpha}): recall@20 ${out.test.recall20.toFixed(4)}, ndcg@20 ${out.test.ndcg20.toFixed(4)}`);
    }
    return { kind: 'mixed', budgets: budgets.sort((a, b) => o.budgets.indexOf(a.fraction) - o.budgets.indexOf(b.fraction)), mixed, extra: { alphaGrid: grid } };
  },
};
