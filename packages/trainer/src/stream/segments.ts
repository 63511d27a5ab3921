/**
 * The streaming protocol of issue 24 (SCALL, arXiv 2407.15411, §5.1), as a pure function of a timestamped log:
 * - sort by time and number users and items by first appearance, so the entities known at any moment are a
 *   prefix [0, n) and a table grows by appending rows;
 * - cut a segment as soon as `segmentNew` new users plus items have appeared in it;
 * - from segment 1 on, prepend a replay of past interactions: a reservoir sample of the whole past, filtered to
 *   users present in the segment and to items the segment or the `liveWindow` segments before it show,
 *   `replayShare` of the segment's size;
 * - of (replay ++ segment), the first 1 − testShare trains and the rest tests;
 * - the validation carve is the latest `valShare` of the training part; models train on the rest (`inner`);
 * - a segment's catalog is the items still live, read off the log alone (it has no removal events): those its
 *   training part holds (replay included) or that the `liveWindow` segments before it show; the others are retired;
 * - validation and test keep only pairs whose user and item some inner part, this one or an earlier one, trained,
 *   and (test) whose item is in the catalog.
 * So a retired item is neither trained, replayed, validated, tested nor served.
 */
import { Random } from '../data/random.js';
import type { TimedInteractions } from '../data/types.js';
import { StreamError } from './errors.js';

export interface SegmentOptions {
  /** New users plus items that close a segment (the paper's 15,000, scaled to the data). */
  segmentNew: number;
  /** Replay size as a share of the segment's own interactions (0.2). */
  replayShare: number;
  /** Share of (replay ++ segment) that tests, the latest (0.2). */
  testShare: number;
  /** Share of the training part carved for validation, the latest (0.1). */
  valShare: number;
  /** Capacity of the reservoir of past interactions. */
  reservoir: number;
  /**
   * Segments before this one whose interactions keep an item in the catalog: an item missing from the log for
   * `liveWindow` + 1 segments in a row is retired (Infinity: never; the catalog only grows, as before issue 24's
   * withdrawals).
   */
  liveWindow: number;
  seed: number;
}

export const SEGMENT_DEFAULTS: Omit<SegmentOptions, 'segmentNew' | 'seed'> = {
  replayShare: 0.2,
  testShare: 0.2,
  valShare: 0.1,
  reservoir: 20_000,
  // 1: an item silent for one segment by chance keeps its row, and a withdrawn one is served at most one segment
  // after its last interaction. On the default synthetic stream (seed 7, 8 segments), summed over segments: W = 0
  // retires 81 items not yet withdrawn and serves no withdrawn one; W = 1, 16 and 1,036; W = 2, 5 and 1,914. W = 0
  // wins there only because its segments hold ~20k interactions: on the e2e fixture's early segments (~100) it
  // retires a fifth of a catalog still on sale.
  liveWindow: 1,
};

/** A (user, item) pair in the renumbered indices; `time` orders it. */
export interface Pair {
  user: number;
  item: number;
  time: number;
}

export interface Segment {
  index: number;
  /** Entities known by the end of the training part: tables have these many rows. */
  nUsers: number;
  nItems: number;
  /** New users and items that first appeared in this segment. */
  newUsers: number;
  newItems: number;
  /** The segment's own interactions. */
  interactions: number;
  /** The replayed past interactions (part of `inner`, first). */
  replay: Pair[];
  /** What models train on: replay ++ the segment's training part, minus the validation carve. */
  inner: Pair[];
  validation: Pair[];
  test: Pair[];
  /** Held-out pairs dropped because their user or item was never trained, or (test) their item is retired. */
  dropped: { validation: number; test: number };
  /**
   * The segment's catalog, ascending: items with a row that its training part (replay included) holds, or that the
   * log shows in the `liveWindow` segments before it. The other rows are retired: not trained, ranked or served.
   */
  live: Uint32Array;
  /** Against the last segment's catalog: items live for the first time, retired, and live again after a retirement. */
  catalog: { added: number; retired: number; returned: number };
  /**
   * Pairs left out because their item is retired: past pairs of present users not offered to the replay, and test
   * pairs (counted in `dropped.test` too) of an item the segment shows only after its test cut.
   */
  retiredPairs: { replay: number; test: number };
}

export interface Segmented {
  segments: Segment[];
  /** Original index of each renumbered user and item. */
  userOrder: Uint32Array;
  itemOrder: Uint32Array;
}

/** Sorts by time (ties keep the log's order), renumbers by first appearance. */
function renumber(log: TimedInteractions): { rows: Pair[]; userOrder: Uint32Array; itemOrder: Uint32Array; newUser: Uint8Array; newItem: Uint8Array } {
  const idx = Array.from(log.rows, (_, k) => k).sort((a, b) => log.rows[a]!.time - log.rows[b]!.time || a - b);
  const uMap = new Int32Array(log.nUsers).fill(-1);
  const iMap = new Int32Array(log.nItems).fill(-1);
  const userOrder: number[] = [];
  const itemOrder: number[] = [];
  const newUser = new Uint8Array(idx.length);
  const newItem = new Uint8Array(idx.length);
  const rows = idx.map((k, n) => {
    const r = log.rows[k]!;
    if (uMap[r.user]! < 0) {
      uMap[r.user] = userOrder.push(r.user) - 1;
      newUser[n] = 1;
    }
    if (iMap[r.item]! < 0) {
      iMap[r.item] = itemOrder.push(r.item) - 1;
      newItem[n] = 1;
    }
    return { user: uMap[r.user]!, item: iMap[r.item]!, time: r.time };
  });
  return { rows, userOrder: Uint32Array.from(userOrder), itemOrder: Uint32Array.from(itemOrder), newUser, newItem };
}

/** [start, end) of each segment: one closes on the row that brings its new entities to `segmentNew`. */
export function segmentBounds(isNew: Uint8Array, segmentNew: number): [number, number][] {
  if (!(Number.isInteger(segmentNew) && segmentNew >= 1)) throw new StreamError(`segmentNew must be an integer ≥ 1, got ${segmentNew}`);
  const out: [number, number][] = [];
  let start = 0;
  let seen = 0;
  for (let n = 0; n < isNew.length; n++) {
    seen += isNew[n]!;
    if (seen >= segmentNew) {
      out.push([start, n + 1]);
      start = n + 1;
      seen = 0;
    }
  }
  if (start < isNew.length) out.push([start, isNew.length]);
  return out;
}

/** Algorithm R: a uniform sample of everything offered so far, `capacity` at most. */
export class Reservoir<T> {
  readonly items: T[] = [];
  private offered = 0;
  constructor(
    private readonly capacity: number,
    private readonly rng: Random,
  ) {}
  offer(x: T): void {
    if (this.items.length < this.capacity) this.items.push(x);
    else {
      const j = this.rng.int(this.offered + 1);
      if (j < this.capacity) this.items[j] = x;
    }
    this.offered++;
  }
}

export function segmentStream(log: TimedInteractions, o: SegmentOptions): Segmented {
  if (!(o.liveWindow >= 0 && (Number.isInteger(o.liveWindow) || o.liveWindow === Number.POSITIVE_INFINITY)))
    throw new StreamError(`liveWindow must be an integer ≥ 0 or Infinity, got ${o.liveWindow}`);
  for (const [name, v] of [
    ['replayShare', o.replayShare],
    ['testShare', o.testShare],
    ['valShare', o.valShare],
  ] as const) {
    if (!(v >= 0 && v < 1)) throw new StreamError(`${name} must be in [0, 1), got ${v}`);
  }
  const { rows, userOrder, itemOrder, newUser, newItem } = renumber(log);
  const isNew = newUser.map((v, n) => v + newItem[n]!);
  const count = (flags: Uint8Array, start: number, end: number) => flags.subarray(start, end).reduce((a, b) => a + b, 0);
  const rng = new Random(o.seed);
  const reservoir = new Reservoir<Pair>(o.reservoir, rng.fork(1));
  const replayRng = rng.fork(2);
  const trainedUser = new Uint8Array(userOrder.length);
  const trainedItem = new Uint8Array(itemOrder.length);
  let maxUser = -1;
  let maxItem = -1;
  // The last earlier segment whose own rows hold each item (−1: none), and whether it was ever in a catalog.
  const lastSeen = new Float64Array(itemOrder.length).fill(-1);
  const everLive = new Uint8Array(itemOrder.length);
  let previous = new Uint8Array(0);
  const segments: Segment[] = [];
  for (const [start, end] of segmentBounds(isNew, o.segmentNew)) {
    const t = segments.length;
    const own = rows.slice(start, end);
    const inWindow = (item: number) => lastSeen[item]! >= 0 && lastSeen[item]! >= t - o.liveWindow;
    let replay: Pair[] = [];
    let replayRetired = 0;
    if (t > 0) {
      // Like its users, the replay's items are read off the whole segment: those it shows or the window kept.
      const present = new Set(own.map((r) => r.user));
      const shown = new Set(own.map((r) => r.item));
      const ofPresent = reservoir.items.filter((r) => present.has(r.user));
      const candidates = ofPresent.filter((r) => inWindow(r.item) || shown.has(r.item));
      replayRetired = ofPresent.length - candidates.length;
      replay = replayRng
        .shuffle(candidates)
        .slice(0, Math.min(candidates.length, Math.round(o.replayShare * own.length)))
        .sort((a, b) => a.time - b.time);
    }
    const all = [...replay, ...own];
    const cut = Math.round((1 - o.testShare) * all.length);
    const valCut = Math.max(replay.length, cut - Math.round(o.valShare * (cut - replay.length)));
    const inner = all.slice(0, valCut);
    const isLive = new Uint8Array(itemOrder.length);
    for (const r of all.slice(0, cut)) {
      maxUser = Math.max(maxUser, r.user);
      maxItem = Math.max(maxItem, r.item);
      isLive[r.item] = 1;
    }
    for (const r of inner) {
      trainedUser[r.user] = 1;
      trainedItem[r.item] = 1;
    }
    const live: number[] = [];
    const catalog = { added: 0, retired: 0, returned: 0 };
    for (let i = 0; i <= maxItem; i++) {
      if (inWindow(i)) isLive[i] = 1;
      if (!isLive[i]) continue;
      live.push(i);
      if (!everLive[i]) catalog.added++;
      else if (!previous[i]) catalog.returned++;
      everLive[i] = 1;
    }
    for (let i = 0; i < previous.length; i++) if (previous[i] && !isLive[i]) catalog.retired++;
    previous = isLive;
    const known = (r: Pair) => trainedUser[r.user] === 1 && trainedItem[r.item] === 1;
    const valRaw = all.slice(valCut, cut);
    const testRaw = all.slice(cut);
    const validation = valRaw.filter(known);
    const testKnown = testRaw.filter(known);
    // An item back after W + 1 silent segments whose return falls after the cut is not served: not ranked either.
    const test = testKnown.filter((r) => isLive[r.item] === 1);
    segments.push({
      index: segments.length,
      nUsers: maxUser + 1,
      nItems: maxItem + 1,
      newUsers: count(newUser, start, end),
      newItems: count(newItem, start, end),
      interactions: own.length,
      replay,
      inner,
      validation,
      test,
      dropped: { validation: valRaw.length - validation.length, test: testRaw.length - test.length },
      live: Uint32Array.from(live),
      catalog,
      retiredPairs: { replay: replayRetired, test: testKnown.length - test.length },
    });
    for (const r of own) {
      reservoir.offer(r);
      lastSeen[r.item] = t;
    }
  }
  return { segments, userOrder, itemOrder };
}
