/**
 * PEEL as a method of the harness: a thin adapter over the pipeline's own stages (build-peel.ts: user groups,
 * item groups, per-group refinement with the controller) on the harness's shared backbone and validation carve,
 * so PEEL here is the model `train --no-tune` builds with the same seed. Each budget is PEEL's device selection
 * (`selectBlocks`, encodings f32 and f16 as exported by default), scored per user group as quality/budgets.ts does.
 */
import { selectBlocks } from '@peelrec/format';
import { buildPeel } from '../../build-peel.js';
import { paperSparsity } from '../../harness/accounting.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome } from '../../harness/method.js';
import { evaluateSelected } from '../../quality/budgets.js';
import { selectionManifest } from '../../quality/peel-model.js';

export const peel: Method = {
  name: 'peel',
  kind: 'peel-blocks',
  about: "PEEL (this project): per-user-group refined item tables, a controller's block weights, selectBlocks at the budget (the pipeline's build-peel.ts on the shared backbone).",
  async run(h: Harness): Promise<MethodOutcome> {
    const { dataset: d, config: cfg } = h;
    const parts = await buildPeel(d, cfg, { backbone: h.backbone, validation: h.split.validation, stage: 'peel:' });
    const m = parts.model;
    const manifest = selectionManifest(m, cfg.dtypes);
    const groupsWithUsers = [...new Set(m.assignment)];
    const budgets: BudgetOutcome[] = [];
    for (const fraction of h.options.budgets) {
      const budget = h.budgetBytes(fraction);
      const r = await evaluateSelected(m, manifest, budget, h.split.test, { threads: h.options.threads });
      // What one device holds: one user group's selection (mean over the groups with users).
      let bytes = 0;
      let entries = 0;
      for (const c of groupsWithUsers) {
        const s = selectBlocks(manifest, c, budget, { dtype: 'auto' });
        bytes += s.bytes;
        for (const b of s.blocks) entries += m.itemGroups.groups[b.itemGroup]!.count * m.blockDim;
      }
      bytes = Math.round(bytes / groupsWithUsers.length);
      entries /= groupsWithUsers.length;
      budgets.push({
        fraction,
        bytes,
        dtype: r.dtype,
        test: r,
        paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: m.dim }, d.nUsers * m.dim, entries),
        details: { blocks: r.blocks },
      });
      h.log(`peel ${(fraction * 100).toFixed(0)}%: recall@20 ${r.recall20.toFixed(4)}, ndcg@20 ${r.ndcg20.toFixed(4)} (${r.dtype}, ${r.blocks.toFixed(1)} blocks)`);
    }
    return {
      kind: 'peel-blocks',
      budgets,
      peel: m,
      extra: { refineSeconds: round(parts.seconds.refine), clusterSeconds: round(parts.seconds.cluster), userGroups: m.tables.length, itemGroups: m.itemGroups.groups.length },
      notes: ["bytes and paperSparsity are one user group's selection (what a device holds), mean over the groups; the model stores one refined table per user group"],
    };
  },
};

const round = (x: number) => Math.round(x * 10) / 10;
