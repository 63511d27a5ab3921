/**
 * Uniform: one width for every item, the widest multiple of 8 whose table fits the budget in the harness's
 * encoding (quality/budgets.ts `uniformDim`, the quality suite's rule), retrained at that width: warm-started
 * from the shared backbone's first w columns (users cut to the same w) and fine-tuned for the harness's epochs.
 * (The quality suite's uniform retrains from scratch for the full backbone epochs; at 3 widths that would cost
 * three backbones.)
 */
import { BYTES_PER_VALUE, paperSparsity } from '../../harness/accounting.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome } from '../../harness/method.js';
import { asStoredValues, prefixColumns } from '../../harness/tables.js';
import { uniformDim } from '../../quality/budgets.js';

export const uniform: Method = {
  name: 'uniform',
  kind: 'dense',
  about: 'One width for every item: the widest multiple of 8 that fits, warm-started from the backbone prefix and fine-tuned at that width.',
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
      const items = asStoredValues(await h.fineTune(start, width, undefined, `uniform ${fraction}`), o.dtype);
      const tables = { users: h.usersAt(width), items, dim: width };
      const [validation, test] = [await h.validate(tables), await h.test(tables)];
      budgets.push({
        fraction,
        bytes: d.nItems * width * BYTES_PER_VALUE[o.dtype],
        dtype: o.dtype,
        test,
        validation,
        paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, d.nUsers * width, d.nItems * width),
        details: { width },
      });
      h.log(`uniform ${(fraction * 100).toFixed(0)}% (d=${width}): recall@20 ${test.recall20.toFixed(4)}, ndcg@20 ${test.ndcg20.toFixed(4)}`);
    }
    return { kind: 'dense', budgets, notes };
  },
};
