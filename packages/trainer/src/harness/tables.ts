/**
 * Table primitives the methods call many times: a size assignment or an entry mask applied to an item table,
 * the values as the device stores them, and a uniform width's prefix.
 * Tables are row-major [rows][dim] Float32Arrays in item-index order; masks are one byte an entry (1 = kept).
 */
import { decodeBlock, encodeBlock } from '@peelrec/format';
import type { ValueDtype } from './accounting.js';
import { HarnessError } from './errors.js';

/** The entry mask of a size assignment: row i keeps its first `sizes[i]` dimensions. */
export function sizesMask(sizes: ArrayLike<number>, dim: number): Uint8Array {
  const mask = new Uint8Array(sizes.length * dim);
  for (let i = 0; i < sizes.length; i++) {
    const d = sizes[i]!;
    if (!(Number.isInteger(d) && d >= 1 && d <= dim)) throw new HarnessError(`sizesMask: item ${i} has size ${d}, outside [1, ${dim}]`);
    mask.fill(1, i * dim, i * dim + d);
  }
  return mask;
}

/** A copy of `table` with every masked-out entry set to 0. */
export function applyMask(table: Float32Array, mask: Uint8Array): Float32Array {
  if (mask.length !== table.length) throw new HarnessError(`applyMask: a mask of ${mask.length} entries for a table of ${table.length}`);
  const out = new Float32Array(table.length);
  for (let x = 0; x < table.length; x++) if (mask[x]) out[x] = table[x]!;
  return out;
}

/** A copy of `table` where row i keeps its first `sizes[i]` dimensions (the rest 0). */
export function applySizes(table: Float32Array, dim: number, sizes: ArrayLike<number>): Float32Array {
  if (table.length !== sizes.length * dim) throw new HarnessError(`applySizes: ${sizes.length} sizes for a table of ${table.length / dim} rows`);
  const out = new Float32Array(table.length);
  for (let i = 0; i < sizes.length; i++) out.set(table.subarray(i * dim, i * dim + sizes[i]!), i * dim);
  return out;
}

/** Row i's kept entries: for checks and the papers' accounting. */
export function keptPerRow(mask: Uint8Array, dim: number): Uint16Array {
  const out = new Uint16Array(mask.length / dim);
  for (let i = 0; i < out.length; i++) {
    let n = 0;
    for (let p = i * dim; p < (i + 1) * dim; p++) n += mask[p]!;
    out[i] = n;
  }
  return out;
}

/** The values as a device decodes them from `dtype` (f16 rounds each value; f32 is the table itself). */
export function asStoredValues(table: Float32Array, dtype: ValueDtype): Float32Array {
  return dtype === 'f32' ? table : decodeBlock(encodeBlock(table, dtype), dtype);
}

/** The first `width` columns of a `dim`-wide table. */
export function prefixColumns(table: Float32Array, dim: number, width: number): Float32Array {
  if (!(Number.isInteger(width) && width >= 1 && width <= dim)) throw new HarnessError(`prefixColumns: width ${width} outside [1, ${dim}]`);
  const rows = table.length / dim;
  const out = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) out.set(table.subarray(i * dim, i * dim + width), i * width);
  return out;
}

/** `values[order[p]]` for every position p: item-indexed values in artifact (popularity) order. */
export function byPosition<T extends Uint8Array | Uint16Array | Uint32Array>(values: T, order: Uint32Array): T {
  const out = values.slice() as T;
  for (let p = 0; p < order.length; p++) out[p] = values[order[p]!]!;
  return out;
}
