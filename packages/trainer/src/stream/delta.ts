/**
 * What a device would fetch to move from one segment's served item table to the next (issue 24), counted in the
 * values it stores (f16, the runtime's mixed tables): the rows of new items, the rows whose size changed, the rows
 * whose size held but whose stored values changed, and the rows that are the same to the bit. Items keep their
 * index across segments (numbered by first appearance), so row i of one segment is row i of the next.
 *
 * A row-level delta can skip only the last kind. Every method retrains its whole table warm-started each segment,
 * so this measures how much such a delta would save before the runtime is built for it.
 */
import { asStoredValues } from '../harness/tables.js';

/** A served item table: `dim`-wide rows, each masked to its size. */
export interface ServedItems {
  items: Float32Array;
  sizes: Uint16Array;
}

export interface ItemDelta {
  /** Bytes of every row's values: what a full download of the table's values holds. */
  fullBytes: number;
  newRows: number;
  newBytes: number;
  resizedRows: number;
  resizedBytes: number;
  revaluedRows: number;
  revaluedBytes: number;
  unchangedRows: number;
  unchangedBytes: number;
}

const F16_BYTES = 2;

/** `next` against `prev` (undefined: the first segment, where every row is new). */
export function itemDelta(prev: ServedItems | undefined, next: ServedItems, dim: number): ItemDelta {
  const d: ItemDelta = { fullBytes: 0, newRows: 0, newBytes: 0, resizedRows: 0, resizedBytes: 0, revaluedRows: 0, revaluedBytes: 0, unchangedRows: 0, unchangedBytes: 0 };
  const a = prev && asStoredValues(prev.items, 'f16');
  const b = asStoredValues(next.items, 'f16');
  for (let i = 0; i < next.sizes.length; i++) {
    const size = next.sizes[i]!;
    const bytes = size * F16_BYTES;
    d.fullBytes += bytes;
    if (!prev || !a || i >= prev.sizes.length) {
      d.newRows++;
      d.newBytes += bytes;
    } else if (prev.sizes[i] !== size) {
      d.resizedRows++;
      d.resizedBytes += bytes;
    } else if (!sameRow(a, b, i * dim, size)) {
      d.revaluedRows++;
      d.revaluedBytes += bytes;
    } else {
      d.unchangedRows++;
      d.unchangedBytes += bytes;
    }
  }
  return d;
}

function sameRow(a: Float32Array, b: Float32Array, at: number, size: number): boolean {
  // Object.is: a stored −0 against +0 is a changed bit pattern.
  for (let k = at; k < at + size; k++) if (!Object.is(a[k], b[k])) return false;
  return true;
}
