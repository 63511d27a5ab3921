/**
 * A reported budget of a dense table (one width for every item, users cut to the same width): the shared outcome
 * of the uniform methods, so that both count bytes and sparsity alike.
 */
import { BYTES_PER_VALUE, paperSparsity } from './accounting.js';
import type { Harness } from './harness.js';
import type { BudgetOutcome } from './method.js';
import type { ScoredTables } from './metric.js';

/** Validation and test of `tables` (`tables.dim` wide, items as stored), their device bytes and papers' sparsity. */
export async function denseOutcome(h: Harness, fraction: number, tables: ScoredTables, details: Record<string, unknown>): Promise<BudgetOutcome> {
  const { dataset: d, backbone: e, options: o } = h;
  const width = tables.dim;
  const [validation, test] = [await h.validate(tables), await h.test(tables)];
  return {
    fraction,
    bytes: d.nItems * width * BYTES_PER_VALUE[o.dtype],
    dtype: o.dtype,
    test,
    validation,
    paperSparsity: paperSparsity({ nUsers: d.nUsers, nItems: d.nItems, dim: e.dim }, d.nUsers * width, d.nItems * width),
    details: { width, ...details },
  };
}
