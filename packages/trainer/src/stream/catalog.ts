/**
 * A segment's catalog as the methods see it (issue 24): its live items only (segments.ts decides which), renumbered
 * 0..n−1 in index order, so training, ranking, sizing and export never see a retired row and the budget goes to
 * live items alone. A method's full E keeps every item's row across segments, a retired one untouched, so an item
 * that comes back resumes from its last trained row.
 */
import { StreamError } from './errors.js';
import type { Tables } from './model.js';
import type { Pair, Segment } from './segments.js';

export interface LiveCatalog {
  /** Full item index of each live position, ascending. */
  live: Uint32Array;
  /** Live position of each full item index; −1 for a retired one. */
  position: Int32Array;
}

export function liveCatalog(live: Uint32Array, nItems: number): LiveCatalog {
  const position = new Int32Array(nItems).fill(-1);
  live.forEach((item, p) => {
    if (item >= nItems) throw new StreamError(`live item ${item} has no row (${nItems} items)`);
    position[item] = p;
  });
  return { live, position };
}

/** Pairs with their items at live positions; a pair of a retired item is a protocol error, never dropped here. */
export function toLive(c: LiveCatalog, pairs: readonly Pair[]): Pair[] {
  return pairs.map((r) => {
    const item = r.item < c.position.length ? c.position[r.item]! : -1;
    if (item < 0) throw new StreamError(`a pair of retired item ${r.item} reached training or evaluation`);
    return { user: r.user, item, time: r.time };
  });
}

/** The segment as the methods see it: its pairs over live positions (the protocol's counts unchanged). */
export function liveSegment(seg: Segment, c: LiveCatalog): Segment {
  return { ...seg, replay: toLive(c, seg.replay), inner: toLive(c, seg.inner), validation: toLive(c, seg.validation), test: toLive(c, seg.test) };
}

/** The live rows of `full`'s item table (users whole). */
export function gatherItems(full: Tables, c: LiveCatalog): Tables {
  const { dim } = full;
  const items = new Float32Array(c.live.length * dim);
  c.live.forEach((item, p) => items.set(full.items.subarray(item * dim, (item + 1) * dim), p * dim));
  return { dim, users: full.users, items };
}

/** `full` with `trained`'s users and live item rows written back; retired rows keep their values. */
export function scatterItems(full: Tables, trained: Tables, c: LiveCatalog): Tables {
  const { dim } = full;
  const items = full.items.slice();
  c.live.forEach((item, p) => items.set(trained.items.subarray(p * dim, (p + 1) * dim), item * dim));
  return { dim, users: trained.users, items };
}
