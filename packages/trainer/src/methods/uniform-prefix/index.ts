/**
 * Uniform-prefix: one width for every item, the widest multiple of 8 whose table fits the budget in the harness's
 * encoding (quality/budgets.ts `uniformDim`, the quality suite's rule), cut from the shared backbone: its first w
 * columns (users cut to the same w), fine-tuned for the harness's epochs. What a nested backbone's prefix gives
 * with a little training; `uniform` is the same width retrained from scratch.
 */
import { denseOutcome } from '../../harness/dense.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome } from '../../harness/method.js';
import { asStoredValues, prefixColumns } from '../../harness/tables.js';
import { uniformDim } from '../../quality/budgets.js';

export const uniformPrefix: Method = {
  name: 'uniform-prefix',
  kind: 'dense',
  about: 'One width for every item: the widest multiple of 8 that fits, the backbone’s first w columns fine-tuned at that width.',
  async run(h: Harness): Promise<MethodOutcome> {
    const { dataset: d, backbone: e, options: o } = h;
    const budgets: BudgetOutcome[] = [];
    const notes: string[] = [];
    for (const fraction of o.budgets) {
      const budget = h.budgetBytes(fraction);
      const width = uniformDim(d.nItems, e.dim, 8, budget, o.dtype);
      if (width === 0) {
        notes.push(`${fraction}: no ${o.dtype} table of 8 dims fits ${budget} B`);
        continue;
      }
      const start = prefixColumns(e.items, e.dim, width);
      const items = asStoredValues(await h.fineTune(start, width, undefined, `uniform-prefix ${fraction}`), o.dtype);
      const outcome = await denseOutcome(h, fraction, { users: h.usersAt(width), items, dim: width }, {});
      budgets.push(outcome);
      const { test } = outcome;
      h.log(`uniform-prefix ${(fraction * 100).toFixed(0)}% (d=${width}): recall@20 ${test.recall20.toFixed(4)}, ndcg@20 ${test.ndcg20.toFixed(4)}`);
    }
    return { kind: 'dense', budgets, notes };
  },
};
