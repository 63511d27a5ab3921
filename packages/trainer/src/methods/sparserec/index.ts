/**
 * SparseRec (Qu, Qu, Chen, Zhao, Li, Yin, arXiv 2411.12205) and plain dynamic sparse training as harness methods of
 * the `sparse` kind: at each fraction, a mask at the budget's u8-CSR entry count (index bytes included) from the
 * anchored NMF (init.ts) or at random, then the item table's dynamic sparse training (train.ts) from the shared
 * backbone's values with prune-and-regrow (regrow.ts), the schedule chosen on validation from a small grid.
 * Variants each change one part: `sparserec-random-init`, `sparserec-last-batch`, `sparserec-dense-backward`; `dst`
 * changes all three (random init, last-batch regrowth, dense backward).
 */
import { BYTES_PER_VALUE, paperSparsity, sparseBytes } from '../../harness/accounting.js';
import { HarnessError } from '../../harness/errors.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome, SparseVariant } from '../../harness/method.js';
import type { ValidationMetric } from '../../harness/metric.js';
import { asStoredValues, keptPerRow } from '../../harness/tables.js';
import { initialMask, nmfScores, randomScores } from './init.js';
import { checkSparseRecSettings, estimateBudgetSeconds, GOWALLA_DST_SECONDS, grid, SPARSEREC_DEFAULTS, type SparseRecSettings } from './settings.js';
import { DstTable, runDst } from './train.js';

/** Salt of the method's generators, so that they follow no other seeded stream. */
const SALT = 0x5a7e;

export const SPARSEREC_VARIANTS = {
  sparserec: {},
  'sparserec-random-init': { init: 'random' },
  'sparserec-last-batch': { regrowth: 'last-batch' },
  'sparserec-dense-backward': { backward: 'dense' },
  dst: { init: 'random', regrowth: 'last-batch', backward: 'dense' },
} as const satisfies Record<string, Partial<SparseRecSettings>>;

export type SparseRecName = keyof typeof SPARSEREC_VARIANTS;

const ABOUT: Record<SparseRecName, string> = {
  sparserec: 'SparseRec: NMF mask init, regrowth by gradients accumulated between steps, sparse backward over sampled rows (arXiv 2411.12205).',
  'sparserec-random-init': "SparseRec's ablation: a random uniform mask instead of the NMF one.",
  'sparserec-last-batch': "SparseRec's ablation: regrowth by the last batch's gradients instead of the accumulated ones.",
  'sparserec-dense-backward': "SparseRec's ablation: a dense, table-sized gradient of every touched row instead of the sampled rows' active entries.",
  dst: 'Plain dynamic sparse training (RigL-style): random mask, last-batch regrowth, dense backward.',
};

/** The table served: rows at the norms of the backbone's rows under the final mask (the harness fine-tune's rule), as stored. */
function served(h: Harness, t: DstTable): Float32Array {
  const { backbone: e, options: o } = h;
  const out = t.values.slice();
  for (let r = 0; r < t.nItems; r++) {
    let a = 0;
    let b = 0;
    for (let p = r * e.dim; p < (r + 1) * e.dim; p++) {
      if (t.mask[p]) a += e.items[p]! ** 2;
      b += out[p]! ** 2;
    }
    const scale = b > 0 ? Math.sqrt(a / b) : 0;
    for (let p = r * e.dim; p < (r + 1) * e.dim; p++) out[p]! *= scale;
  }
  return asStoredValues(out, o.dtype);
}

/** The NMF scores of a run, computed once for SparseRec and the ablations that keep its init (same inputs, same result). */
const nmfByRun = new WeakMap<Harness, Map<number, Promise<Float32Array>>>();
function sharedNmf(h: Harness, iterations: number, compute: () => Promise<Float32Array>): Promise<Float32Array> {
  let byIterations = nmfByRun.get(h);
  if (!byIterations) nmfByRun.set(h, (byIterations = new Map()));
  let scores = byIterations.get(iterations);
  if (!scores) byIterations.set(iterations, (scores = compute()));
  return scores;
}

export function createSparseRec(name: SparseRecName, overrides: Partial<SparseRecSettings> = {}): Method {
  return {
    name,
    kind: 'sparse',
    about: ABOUT[name],
    async run(h: Harness): Promise<MethodOutcome> {
      const { dataset: d, backbone: e, options: o, split } = h;
      if (e.dim > 255) throw new HarnessError(`${name}: the sparse kind stores u8 indices, so at most 255 dims, not ${e.dim}`);
      const s = checkSparseRecSettings({ ...SPARSEREC_DEFAULTS, ...overrides, ...SPARSEREC_VARIANTS[name] });
      const recipe = o.fineTune;
      const t0 = process.cpuUsage();
      const scores =
        s.init === 'nmf'
          ? await sharedNmf(h, s.nmfIterations, () => nmfScores(split.validation.inner, d.nItems, e.users, e.dim, s.nmfIterations, o.seed ^ SALT))
          : randomScores(d.nItems, e.dim, o.seed ^ SALT);
      const t1 = process.cpuUsage(t0);
      const initCpuSeconds = (t1.user + t1.system) / 1e6;
      const reported = new Set(o.budgets);
      const budgets: BudgetOutcome[] = [];
      const sparse: SparseVariant[] = [];
      for (const fraction of [...new Set([...o.budgets, ...o.variants])].sort((a, b) => b - a)) {
        const budget = h.budgetBytes(fraction);
        const init = initialMask(scores, e.dim, budget, o.dtype, name);
        const users = e.users;
        const before = await h.validate({ users, items: h.applyMask(e.items, init.mask), dim: e.dim });
        let best: { items: Float32Array; mask: Uint8Array; validation: ValidationMetric; point: ReturnType<typeof grid>[number] } | undefined;
        const tried: Record<string, unknown>[] = [];
        let gradientBytes = 0;
        for (const point of grid(s)) {
          const table = new DstTable({ users, items: e.items, mask: init.mask, dim: e.dim, recipe, backward: s.backward, sampledNegatives: s.sampledNegatives });
          const label = `${name} ${(fraction * 100).toFixed(0)}% f${point.fraction} i${point.interval} ${point.decay}`;
          const r = runDst(
            table,
            { train: split.validation.inner, epochs: s.epochs, schedule: point, regrowth: s.regrowth, seed: o.seed ^ SALT, onProgress: (a, b) => h.progress(label, a, b) },
            recipe,
          );
          if (table.nnz() !== init.nnz) throw new HarnessError(`${name}: training changed the entry count from ${init.nnz} to ${table.nnz()}`);
          gradientBytes = table.gradientBytes();
          const items = served(h, table);
          const validation = await h.validate({ users, items, dim: e.dim });
          tried.push({ ...point, recall20: validation.recall20, ndcg20: validation.ndcg20, steps: r.steps, moved: r.moved, cpuSecondsPerEpoch: r.cpuSeconds / s.epochs, meanLoss: r.meanLoss });
          h.log(`${label}: validation recall@20 ${validation.recall20.toFixed(4)} (${r.steps} steps, ${r.moved} moved, ${(r.cpuSeconds / s.epochs).toFixed(1)} CPU s an epoch)`);
          if (!best || validation.recall20 > best.validation.recall20) best = { items, mask: table.mask.slice(), validation, point };
        }
        if (!best) throw new HarnessError(`${name}: an empty grid`);
        const bytes = sparseBytes(d.nItems, init.nnz, o.dtype);
        if (bytes > budget) throw new HarnessError(`${name}: ${bytes} B over the budget's ${budget} B`);
        sparse.push({ fraction, items: best.items, nnz: init.nnz, mask: best.mask });
        if (!reported.has(fraction)) continue;
        const test = await h.test({ users, items: best.items, dim: e.dim });
        const perRow = keptPerRow(best.mask, e.dim);
        budgets.push({
          fraction,
          bytes,
          dtype: o.dtype,
          test,
          validation: best.validation,
          paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, d.nUsers * e.dim, init.nnz),
          details: {
            nnz: init.nnz,
            nnzPerRow: { mean: init.nnz / d.nItems, min: perRow.reduce((a, b) => Math.min(a, b)), max: perRow.reduce((a, b) => Math.max(a, b)) },
            indexBytes: bytes - init.nnz * BYTES_PER_VALUE[o.dtype],
            chosen: best.point,
            grid: tried,
            gradientBytes,
            validationBeforeTraining: { recall20: before.recall20, ndcg20: before.ndcg20 },
          },
        });
        h.log(
          `${name} ${(fraction * 100).toFixed(0)}% (nnz ${init.nnz}): recall@20 ${test.recall20.toFixed(4)}, ndcg@20 ${test.ndcg20.toFixed(4)} (validation ${before.recall20.toFixed(4)} → ${best.validation.recall20.toFixed(4)})`,
        );
      }
      return {
        kind: 'sparse',
        budgets: budgets.sort((a, b) => o.budgets.indexOf(a.fraction) - o.budgets.indexOf(b.fraction)),
        sparse,
        extra: {
          settings: s,
          // The NMF is computed once a run: the first NMF method pays it, the others read it.
          initCpuSeconds,
          estimate: {
            perBudgetSeconds: estimateBudgetSeconds(s),
            from: GOWALLA_DST_SECONDS,
            about: 'one budget on Gowalla from measured costs (methods/sparserec/settings.ts); NMF once a run besides',
          },
        },
        notes: [`${name}: the harness's sampled-softmax loss with users frozen, from the backbone's values, not the paper's from-scratch BPR`],
      };
    },
  };
}
