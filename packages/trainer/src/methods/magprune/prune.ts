/**
 * Global magnitude pruning with a per-row minimum (the pruning baseline of arXiv 2406.17335, on the item table):
 * every row keeps its `minPerRow` largest-magnitude entries, and the rest of the `nnz` entries go to the largest
 * magnitudes left anywhere in the table (ties by entry index). Pure: the mask only.
 */
import { HarnessError } from '../../harness/errors.js';

export function magnitudeMask(table: Float32Array, dim: number, nnz: number, minPerRow: number): Uint8Array {
  const rows = table.length / dim;
  if (!Number.isInteger(rows)) throw new HarnessError(`magnitudeMask: ${table.length} values are not rows of ${dim}`);
  if (!(Number.isInteger(minPerRow) && minPerRow >= 1 && minPerRow <= dim)) throw new HarnessError(`magnitudeMask: minPerRow ${minPerRow} outside [1, ${dim}]`);
  if (!(Number.isInteger(nnz) && nnz >= rows * minPerRow)) throw new HarnessError(`magnitudeMask: ${nnz} entries cannot give each of ${rows} rows ${minPerRow}`);
  const mask = new Uint8Array(table.length);
  if (nnz >= table.length) return mask.fill(1);
  // Each row's own minimum first.
  const idx = new Uint32Array(dim);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < dim; p++) idx[p] = p;
    const o = i * dim;
    idx.sort((a, b) => Math.abs(table[o + b]!) - Math.abs(table[o + a]!) || a - b);
    for (let k = 0; k < minPerRow; k++) mask[o + idx[k]!] = 1;
  }
  // Then the largest magnitudes left, globally: a threshold from the sorted magnitudes, ties by entry index.
  let left = nnz - rows * minPerRow;
  if (left === 0) return mask;
  const rest = new Float32Array(table.length - rows * minPerRow);
  let n = 0;
  for (let x = 0; x < table.length; x++) if (!mask[x]) rest[n++] = Math.abs(table[x]!);
  rest.sort();
  const threshold = rest[rest.length - left]!;
  for (let x = 0; x < table.length; x++) {
    if (!mask[x] && Math.abs(table[x]!) > threshold) {
      mask[x] = 1;
      left--;
    }
  }
  for (let x = 0; x < table.length && left > 0; x++) {
    if (!mask[x] && Math.abs(table[x]!) === threshold) {
      mask[x] = 1;
      left--;
    }
  }
  return mask;
}
