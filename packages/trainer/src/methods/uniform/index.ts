/**
 * Uniform: one width for every item, the widest multiple of 8 whose table fits the budget in the harness's
 * encoding (quality/budgets.ts `uniformDim`, the quality suite's rule), and a model retrained from scratch at that
 * width: the quality suite's uniform baseline (quality/uniform-model.ts), the backbone recipe less its nesting, on
 * the harness's training edges (the carve's inner edges, as the shared backbone). No warm start: `uniform-prefix`
 * is the backbone's first w columns fine-tuned. The model has its own user table, trained with its items: a
 * plain model at width w is users and items both, as a device serving it would hold.
 */
import type { Embeddings } from '../../backbone/index.js';
import { denseOutcome } from '../../harness/dense.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome } from '../../harness/method.js';
import { asStoredValues } from '../../harness/tables.js';
import { uniformDim } from '../../quality/budgets.js';
import { trainUniformModel } from '../../quality/uniform-model.js';

export const uniform: Method = {
  name: 'uniform',
  kind: 'dense',
  about:
    'One width for every item: the widest multiple of 8 that fits in the harness dtype, a plain model retrained from scratch at that width (the quality suite’s uniform baseline: the backbone recipe without nesting, its own users), values stored in that dtype.',
  async run(h: Harness): Promise<MethodOutcome> {
    const { dataset: d, backbone: e, options: o, config: cfg } = h;
    const budgets: BudgetOutcome[] = [];
    const notes: string[] = [];
    // Budgets that allow the same width share its model, as in the quality suite.
    const models = new Map<number, { model: Embeddings; seconds: number }>();
    for (const fraction of o.budgets) {
      const budget = h.budgetBytes(fraction);
      const width = uniformDim(d.nItems, e.dim, cfg.blockDim, budget, o.dtype);
      if (width === 0) {
        notes.push(`${fraction}: no ${o.dtype} table of ${cfg.blockDim} dims fits ${budget} B`);
        continue;
      }
      let trained = models.get(width);
      if (!trained) {
        const t = performance.now();
        const model = await trainUniformModel(h.split.validation.inner, d.nUsers, d.nItems, cfg, width, (s, done, total) => h.progress(`uniform-${width} ${s}`, done, total));
        trained = { model, seconds: (performance.now() - t) / 1000 };
        models.set(width, trained);
      }
      const { model, seconds } = trained;
      const outcome = await denseOutcome(h, fraction, { users: model.users, items: asStoredValues(model.items, o.dtype), dim: width }, { trainSeconds: Math.round(seconds * 10) / 10 });
      budgets.push(outcome);
      const { test } = outcome;
      h.log(`uniform ${(fraction * 100).toFixed(0)}% (d=${width}, retrained): recall@20 ${test.recall20.toFixed(4)}, ndcg@20 ${test.ndcg20.toFixed(4)}`);
    }
    return {
      kind: 'dense',
      budgets,
      notes,
      extra: {
        retrained: {
          from: 'scratch',
          epochs: cfg.backbone.softmaxEpochs,
          nested: [],
          users: 'its own, trained with the items',
          storedAs: `${o.dtype} at the width the budget allows`,
        },
      },
    };
  },
};
