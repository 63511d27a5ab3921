import { columnCounts } from '../data/csr.js';
import type { CSR } from '../data/types.js';

export interface ItemGroups {
  /** `order[p]` = item index at artifact position p (most popular first). */
  order: Uint32Array;
  /** `position[i]` = artifact position of item i. */
  position: Uint32Array;
  /** Contiguous [start, start+count) position ranges, most popular first. */
  groups: { start: number; count: number }[];
  /** `groupOf[p]` for each position. */
  groupOfPosition: Uint16Array;
  /** Train interactions of each item, by position. */
  popularity: Uint32Array;
}

/**
 * Sorts items by train popularity (descending, ties by ascending id) and
 * cuts the order into `count` contiguous groups of near-equal size
 * (sizes differ by at most one, larger groups first).
 */
export function groupItems(train: CSR, nItems: number, count: number): ItemGroups {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`item group count must be ≥ 1, got ${count}`);
  if (count > nItems) throw new RangeError(`cannot cut ${nItems} items into ${count} groups`);
  const counts = columnCounts(train, nItems);
  const order = Uint32Array.from({ length: nItems }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const position = new Uint32Array(nItems);
  order.forEach((item, p) => (position[item] = p));
  const groups: { start: number; count: number }[] = [];
  const base = Math.floor(nItems / count);
  const extra = nItems % count;
  let start = 0;
  for (let g = 0; g < count; g++) {
    const size = base + (g < extra ? 1 : 0);
    groups.push({ start, count: size });
    start += size;
  }
  const groupOfPosition = new Uint16Array(nItems);
  groups.forEach((g, k) => groupOfPosition.fill(k, g.start, g.start + g.count));
  const popularity = Uint32Array.from(order, (i) => counts[i]!);
  return { order, position, groups, groupOfPosition, popularity };
}
