/**
 * What a device would fetch to move from one segment's served item table to the next (issue 24), counted in the
 * values it stores (f16, the runtime's mixed tables): the rows of new items, the rows whose size changed, the rows
 * whose size held but whose stored values changed, and the rows that are the same to the bit. Items keep their
 * index across segments (numbered by first appearance); a table of live items only names each row's item (`ids`),
 * and a row is matched to the previous table's row of the same item. Rows of items no longer served are dropped.
 *
 * A row-level delta can skip only the last kind. Every method retrains its whole table warm-started each segment,
 * so this measures how much such a delta would save before the runtime is built for it.
 */
import { asStoredValues } from '../harness/tables.js';

/** A served item table: `dim`-wide rows, each masked to its size. */
export interface ServedItems {
  items: Float32Array;
  sizes: Uint16Array;
  /** The item index of each row (absent: row i is item i). */
  ids?: Uint32Array;
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
  /** Rows of the previous table whose item this one no longer serves (retired). */
  droppedRows: number;
}

const F16_BYTES = 2;

/** `next` against `prev` (undefined: the first segment, where every row is new). */
export function itemDelta(prev: ServedItems | undefined, next: ServedItems, dim: number): ItemDelta {
  const d: ItemDelta = { fullBytes: 0, newRows: 0, newBytes: 0, resizedRows: 0, resizedBytes: 0, revaluedRows: 0, revaluedBytes: 0, unchangedRows: 0, unchangedBytes: 0, droppedRows: 0 };
  const a = prev && asStoredValues(prev.items, 'f16');
  const b = asStoredValues(next.items, 'f16');
  const idOf = (t: ServedItems, r: number) => (t.ids ? t.ids[r]! : r);
  const prevRow = new Map<number, number>();
  if (prev) for (let r = 0; r < prev.sizes.length; r++) prevRow.set(idOf(prev, r), r);
  const kept = new Set<number>();
  for (let i = 0; i < next.sizes.length; i++) {
    const size = next.sizes[i]!;
    const bytes = size * F16_BYTES;
    const j = prevRow.get(idOf(next, i));
    d.fullBytes += bytes;
    if (!prev || !a || j === undefined) {
      d.newRows++;
      d.newBytes += bytes;
      continue;
    }
    kept.add(j);
    if (prev.sizes[j] !== size) {
      d.resizedRows++;
      d.resizedBytes += bytes;
    } else if (!sameRow(a, j * dim, b, i * dim, size)) {
      d.revaluedRows++;
      d.revaluedBytes += bytes;
    } else {
      d.unchangedRows++;
      d.unchangedBytes += bytes;
    }
  }
  d.droppedRows = prevRow.size - kept.size;
  return d;
}

function sameRow(a: Float32Array, at: number, b: Float32Array, bt: number, size: number): boolean {
  // Object.is: a stored −0 against +0 is a changed bit pattern.
  for (let k = 0; k < size; k++) if (!Object.is(a[at + k], b[bt + k])) return false;
  return true;
}
