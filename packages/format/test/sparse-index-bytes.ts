/**
 * The measurement behind the sparse kind's index encoding (README, "Why u8
 * CSR"): bytes of a catalog stored as u8 CSR (one count byte per row, one
 * index byte per entry) against a bitmap (fullDim / 8 bytes per row), values
 * alike. Computed, bytes only: no timing.
 */
import { BYTES_PER_ELEMENT, sparseByteLength, type VariantDtype } from '../src/index.js';

export const INDEX_STUDY = { items: 10_000, fullDim: 128, densities: [0.05, 0.1, 0.2, 0.5], dtypes: ['f16', 'f32'] as VariantDtype[] };

/** Bytes of the whole catalog as a bitmap: `fullDim / 8` bytes per row, then the values. */
export function bitmapBytes(items: number, fullDim: number, nnz: number, dtype: VariantDtype): number {
  return items * Math.ceil(fullDim / 8) + nnz * BYTES_PER_ELEMENT[dtype];
}

/** The README's table: bytes per item of each encoding (catalog bytes / items). */
export function indexEncodingTable(): string {
  const { items, fullDim, densities, dtypes } = INDEX_STUDY;
  const perItem = (bytes: number) => (bytes / items).toFixed(1);
  const lines = [`| row density | entries per row | ${dtypes.map((d) => `${d} CSR | ${d} bitmap`).join(' | ')} |`, `|---|---|${dtypes.map(() => '---|---').join('|')}|`];
  for (const density of densities) {
    const nnz = Math.round(density * fullDim * items);
    const cells = dtypes.map((d) => `${perItem(sparseByteLength(items, nnz, d))} | ${perItem(bitmapBytes(items, fullDim, nnz, d))}`);
    lines.push(`| ${density * 100} % | ${(nnz / items).toFixed(1)} | ${cells.join(' | ')} |`);
  }
  lines.push(`| dense table, no index | ${fullDim} | ${dtypes.map((d) => `${fullDim * BYTES_PER_ELEMENT[d]} | —`).join(' | ')} |`);
  return lines.join('\n');
}

/** The largest `nnz` whose catalog bytes fit `budget` under `bytesOf`. */
function fitting(budget: number, bytesOf: (nnz: number) => number, most: number): number {
  let lo = 0;
  let hi = most;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytesOf(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The README's second table: entries per row each encoding holds at a budget (a fraction of the full f32 table). */
export function entriesAtBudgetTable(fractions: readonly number[] = [0.05, 0.1, 0.2]): string {
  const { items, fullDim, dtypes } = INDEX_STUDY;
  const lines = [`| budget (of the f32 table) | bytes per item | ${dtypes.map((d) => `${d} CSR | ${d} bitmap`).join(' | ')} |`, `|---|---|${dtypes.map(() => '---|---').join('|')}|`];
  for (const f of fractions) {
    const budget = f * items * fullDim * 4;
    const per = (nnz: number) => (nnz / items).toFixed(1);
    const cells = dtypes.map(
      (d) => `${per(fitting(budget, (n) => sparseByteLength(items, n, d), items * fullDim))} | ${per(fitting(budget, (n) => bitmapBytes(items, fullDim, n, d), items * fullDim))}`,
    );
    lines.push(`| ${f * 100} % | ${(budget / items).toFixed(1)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
