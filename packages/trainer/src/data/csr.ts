import type { CSR } from './types.js';

export function csrFromPairs(nRows: number, rows: Uint32Array, cols: Uint32Array): { csr: CSR; duplicates: number } {
  const counts = new Uint32Array(nRows + 1);
  for (let k = 0; k < rows.length; k++) counts[rows[k]! + 1]!++;
  for (let r = 0; r < nRows; r++) counts[r + 1]! += counts[r]!;
  const fill = counts.slice(0, nRows);
  const raw = new Uint32Array(rows.length);
  for (let k = 0; k < rows.length; k++) raw[fill[rows[k]!]!++] = cols[k]!;
  const indptr = new Uint32Array(nRows + 1);
  const indices: number[] = [];
  let duplicates = 0;
  for (let r = 0; r < nRows; r++) {
    const row = raw.subarray(counts[r]!, counts[r + 1]!).sort();
    for (let k = 0; k < row.length; k++) {
      if (k > 0 && row[k] === row[k - 1]) duplicates++;
      else indices.push(row[k]!);
    }
    indptr[r + 1] = indices.length;
  }
  return { csr: { indptr, indices: Uint32Array.from(indices) }, duplicates };
}

export function nnz(csr: CSR): number {
  return csr.indices.length;
}

export function rowOf(csr: CSR, r: number): Uint32Array {
  return csr.indices.subarray(csr.indptr[r]!, csr.indptr[r + 1]!);
}

/** Number of rows. */
export function rowCount(csr: CSR): number {
  return csr.indptr.length - 1;
}

/** Removes from `b` every pair also in `a` (same shape), returning the result and how many were removed. */
export function subtract(b: CSR, a: CSR): { csr: CSR; removed: number } {
  const n = rowCount(b);
  const indptr = new Uint32Array(n + 1);
  const out: number[] = [];
  let removed = 0;
  for (let r = 0; r < n; r++) {
    const ar = r < rowCount(a) ? rowOf(a, r) : new Uint32Array(0);
    let p = 0;
    for (const c of rowOf(b, r)) {
      while (p < ar.length && ar[p]! < c) p++;
      if (p < ar.length && ar[p] === c) removed++;
      else out.push(c);
    }
    indptr[r + 1] = out.length;
  }
  return { csr: { indptr, indices: Uint32Array.from(out) }, removed };
}

/** Interactions per column (item popularity). */
export function columnCounts(csr: CSR, nCols: number): Uint32Array {
  const out = new Uint32Array(nCols);
  for (const c of csr.indices) out[c]!++;
  return out;
}
