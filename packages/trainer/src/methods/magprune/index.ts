/**
 * Magprune: global magnitude pruning of the shared backbone's item table to the budget (`sparse` kind: u8-CSR,
 * every index byte charged, format contract), with a per-row minimum, then fine-tuning with the mask re-applied
 * after every update (arXiv 2406.17335's simple baseline that rivals the searched methods).
 */
import { BYTES_PER_VALUE, paperSparsity, sparseBytes, sparseCapacity, type ValueDtype } from '../../harness/accounting.js';
import { HarnessError, MethodBudgetError } from '../../harness/errors.js';
import type { Harness } from '../../harness/harness.js';
import type { BudgetOutcome, Method, MethodOutcome, SparseVariant } from '../../harness/method.js';
import { asStoredValues } from '../../harness/tables.js';
import { magnitudeMask } from './prune.js';

/** Entries every row keeps whatever its magnitudes: an item with none could not be ranked at all. */
export const MIN_PER_ROW = 1;

/** The pruned mask at `budget` bytes: as many entries as the u8-CSR encoding holds (`method` names the caller in errors). */
export function pruneToBudget(items: Float32Array, dim: number, budget: number, dtype: ValueDtype, minPerRow = MIN_PER_ROW, method = 'magprune'): { mask: Uint8Array; nnz: number; bytes: number } {
  const rows = items.length / dim;
  const capacity = sparseCapacity(rows, budget, dtype);
  if (capacity < rows * minPerRow) throw new MethodBudgetError(method, budget, sparseBytes(rows, rows * minPerRow, dtype));
  const nnz = Math.min(capacity, items.length);
  return { mask: magnitudeMask(items, dim, nnz, minPerRow), nnz, bytes: sparseBytes(rows, nnz, dtype) };
}

export const magprune: Method = {
  name: 'magprune',
  kind: 'sparse',
  about: `Global magnitude pruning of the backbone's item table to the budget's u8-CSR bytes (each row keeps ≥ ${MIN_PER_ROW}), then fine-tuning with the mask (arXiv 2406.17335).`,
  async run(h: Harness): Promise<MethodOutcome> {
    const { dataset: d, backbone: e, options: o } = h;
    // u8 indices and row counts (format contract)
    if (e.dim > 255) throw new HarnessError(`magprune: the sparse kind stores u8 indices, so at most 255 dims, not ${e.dim}`);
    const reported = new Set(o.budgets);
    const budgets: BudgetOutcome[] = [];
    const sparse: SparseVariant[] = [];
    for (const fraction of [...new Set([...o.budgets, ...o.variants])].sort((a, b) => b - a)) {
      const { mask, nnz, bytes } = pruneToBudget(e.items, e.dim, h.budgetBytes(fraction), o.dtype);
      const users = h.usersAt(e.dim);
      const before = await h.validate({ users, items: h.applyMask(e.items, mask), dim: e.dim });
      const items = asStoredValues(await h.fineTune(e.items, e.dim, mask, `magprune ${fraction}`), o.dtype);
      sparse.push({ fraction, items, nnz, mask });
      if (!reported.has(fraction)) continue;
      const tables = { users, items, dim: e.dim };
      const [validation, test] = [await h.validate(tables), await h.test(tables)];
      budgets.push({
        fraction,
        bytes,
        dtype: o.dtype,
        test,
        validation,
        paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, d.nUsers * e.dim, nnz),
        details: { nnz, minPerRow: MIN_PER_ROW, indexBytes: bytes - nnz * BYTES_PER_VALUE[o.dtype], validationBeforeFineTune: { recall20: before.recall20, ndcg20: before.ndcg20 } },
      });
      h.log(
        `magprune ${(fraction * 100).toFixed(0)}% (nnz ${nnz}): recall@20 ${test.recall20.toFixed(4)}, ndcg@20 ${test.ndcg20.toFixed(4)} (validation ${before.recall20.toFixed(4)} → ${validation.recall20.toFixed(4)})`,
      );
    }
    return { kind: 'sparse', budgets: budgets.sort((a, b) => o.budgets.indexOf(a.fraction) - o.budgets.indexOf(b.fraction)), sparse };
  },
};
