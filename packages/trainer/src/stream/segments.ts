/**
 * The streaming protocol of issue 24 (SCALL, arXiv 2407.15411, §5.1), as a pure function of a timestamped log:
 * - sort by time and number users and items by first appearance, so the entities known at any moment are a
 *   prefix [0, n) and a table grows by appending rows;
 * - cut a segment as soon as `segmentNew` new users plus items have appeared in it;
 * - from segment 1 on, prepend a replay of past interactions: a reservoir sample of the whole past, filtered to
 *   users present in the segment, `replayShare` of the segment's size;
 * - of (replay ++ segment), the first 1 − testShare trains and the rest tests;
 * - the validation carve is the latest `valShare` of the training part; models train on the rest (`inner`);
 * - validation and test keep only pairs whose user and item some inner part, this one or an earlier one, trained.
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
  seed: number;
}

export const SEGMENT_DEFAULTS: Omit<SegmentOptions, 'segmentNew' | 'seed'> = { replayShare: 0.2, testShare: 0.2, valShare: 0.1, reservoir: 20_000 };

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
  /** Held-out pairs dropped because their user or item was never trained. */
  dropped: { validation: number; test: number };
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
  const segments: Segment[] = [];
  for (const [start, end] of segmentBounds(isNew, o.segmentNew)) {
    const own = rows.slice(start, end);
    let replay: Pair[] = [];
    if (segments.length > 0) {
      const present = new Set(own.map((r) => r.user));
      const candidates = reservoir.items.filter((r) => present.has(r.user));
      replay = replayRng
        .shuffle(candidates)
        .slice(0, Math.min(candidates.length, Math.round(o.replayShare * own.length)))
        .sort((a, b) => a.time - b.time);
    }
    const all = [...replay, ...own];
    const cut = Math.round((1 - o.testShare) * all.length);
    const valCut = Math.max(replay.length, cut - Math.round(o.valShare * (cut - replay.length)));
    const inner = all.slice(0, valCut);
    for (const r of all.slice(0, cut)) {
      maxUser = Math.max(maxUser, r.user);
      maxItem = Math.max(maxItem, r.item);
    }
    for (const r of inner) {
      trainedUser[r.user] = 1;
      trainedItem[r.item] = 1;
    }
    const known = (r: Pair) => trainedUser[r.user] === 1 && trainedItem[r.item] === 1;
    const valRaw = all.slice(valCut, cut);
    const testRaw = all.slice(cut);
    const validation = valRaw.filter(known);
    const test = testRaw.filter(known);
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
    });
    for (const r of own) reservoir.offer(r);
  }
  return { segments, userOrder, itemOrder };
}
