import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTimedInteractions } from '../src/data/delimited.js';
import { Random } from '../src/data/random.js';
import type { TimedInteractions } from '../src/data/types.js';
import { StreamError } from '../src/stream/errors.js';
import { Reservoir, segmentBounds, segmentStream } from '../src/stream/segments.js';
import { generateStream } from '../src/synthetic/stream.js';
import { tempDir } from './temp-dir.js';

/** A log of `n` rows with ids given per row; times are shuffled so the protocol must sort. */
function log(rows: [string, string][], rng = new Random(3)): TimedInteractions {
  const users = new Map<string, number>();
  const items = new Map<string, number>();
  const out = rows.map(([u, i], t) => {
    if (!users.has(u)) users.set(u, users.size);
    if (!items.has(i)) items.set(i, items.size);
    return { user: users.get(u)!, item: items.get(i)!, time: 1000 + t };
  });
  return { name: 't', nUsers: users.size, nItems: items.size, rows: rng.shuffle(out), userIds: [...users.keys()], itemIds: [...items.keys()] };
}

describe('segmentBounds: a segment closes on the row that brings its new users + items to segmentNew', () => {
  it.each([
    {
      flags: [2, 1, 0, 1, 0, 2, 0],
      n: 3,
      want: [
        [0, 2],
        [2, 6],
        [6, 7],
      ],
    },
    {
      flags: [2, 2, 2],
      n: 2,
      want: [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
    },
    { flags: [1, 0, 0, 0], n: 5, want: [[0, 4]] },
  ])('$flags with $n', ({ flags, n, want }) => {
    expect(segmentBounds(Uint8Array.from(flags), n)).toEqual(want);
  });
});

describe('Reservoir (algorithm R)', () => {
  it('keeps everything up to its capacity, then a uniform sample of the stream', () => {
    const r = new Reservoir<number>(3, new Random(1));
    for (let k = 0; k < 3; k++) r.offer(k);
    expect(r.items).toEqual([0, 1, 2]);
    // every offered value ends in the reservoir with probability capacity / n
    const hits = new Float64Array(100);
    for (let trial = 0; trial < 2000; trial++) {
      const s = new Reservoir<number>(10, new Random(trial + 7));
      for (let k = 0; k < 100; k++) s.offer(k);
      for (const k of s.items) hits[k]!++;
    }
    for (const h of hits) expect(h / 2000).toBeGreaterThan(0.06);
    for (const h of hits) expect(h / 2000).toBeLessThan(0.14);
  });
});

describe('segmentStream: the protocol of issue 24', () => {
  const stream = generateStream({ steps: 10, interactionsPerStep: 800, initialUsers: 60, initialItems: 40, newUsersPerStep: 30, newItemsPerStep: 20, seed: 5 });
  const options = { segmentNew: 120, replayShare: 0.2, testShare: 0.2, valShare: 0.1, reservoir: 2000, liveWindow: 1, seed: 9 };
  const { segments } = segmentStream(stream, options);

  it('renumbers by first appearance in time order, so known entities are a prefix that only grows', () => {
    const l = log([
      ['b', 'y'],
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'z'],
    ]);
    const s = segmentStream(l, { ...options, segmentNew: 100, testShare: 0, valShare: 0 });
    // sorted by time: (b,y) (a,x) (b,x) (c,z): b→0, a→1, c→2; y→0, x→1, z→2
    expect(s.segments[0]!.inner.map((p) => [p.user, p.item])).toEqual([
      [0, 0],
      [1, 1],
      [0, 1],
      [2, 2],
    ]);
    expect(Array.from(s.userOrder, (u) => l.userIds[u])).toEqual(['b', 'a', 'c']);
    for (let t = 1; t < segments.length; t++) {
      expect(segments[t]!.nUsers).toBeGreaterThanOrEqual(segments[t - 1]!.nUsers);
      expect(segments[t]!.nItems).toBeGreaterThanOrEqual(segments[t - 1]!.nItems);
    }
  });

  it('cuts segments by new users + items: every segment but the last brings exactly segmentNew', () => {
    expect(segments.length).toBeGreaterThan(3);
    for (const s of segments.slice(0, -1)) expect(s.newUsers + s.newItems).toBe(options.segmentNew);
    expect(segments.reduce((n, s) => n + s.interactions, 0)).toBe(stream.rows.length);
  });

  it('replays nothing in segment 0, then 20 % of the segment, past rows of users present in it, prepended', () => {
    const { userOrder } = segmentStream(stream, options);
    expect(segments[0]!.replay).toEqual([]);
    let start = segments[0]!.interactions;
    for (const s of segments.slice(1)) {
      expect(s.replay.length).toBe(Math.round(0.2 * s.interactions));
      // the synthetic stream's time is the row's index: replayed rows come from before the segment
      for (const r of s.replay) expect(r.time).toBeLessThan(start);
      // users present in the segment's own rows (original ids: held-out rows may have been dropped)
      const present = new Set(stream.rows.slice(start, start + s.interactions).map((r) => r.user));
      for (const r of s.replay) expect(present.has(userOrder[r.user]!)).toBe(true);
      // prepended: the inner part starts with the replay, in time order
      expect(s.inner.slice(0, s.replay.length)).toEqual(s.replay);
      for (let k = 1; k < s.replay.length; k++) expect(s.replay[k]!.time).toBeGreaterThanOrEqual(s.replay[k - 1]!.time);
      start += s.interactions;
    }
  });

  it('tests on the last 20 % of replay ++ segment and validates on the latest 10 % of the rest, by time', () => {
    for (const s of segments) {
      const total = s.replay.length + s.interactions;
      const cut = Math.round(0.8 * total);
      expect(s.test.length + s.dropped.test).toBe(total - cut);
      expect(s.validation.length + s.dropped.validation + s.inner.length).toBe(cut);
      const lastInner = Math.max(...s.inner.map((r) => r.time));
      for (const r of s.validation) expect(r.time).toBeGreaterThan(lastInner);
      const lastVal = Math.max(lastInner, ...s.validation.map((r) => r.time));
      for (const r of s.test) expect(r.time).toBeGreaterThan(lastVal);
    }
  });

  it('keeps held-out pairs only when their user and item were trained, in this inner part or an earlier one', () => {
    const users = new Set<number>();
    const items = new Set<number>();
    let dropped = 0;
    for (const s of segments) {
      for (const r of s.inner) {
        users.add(r.user);
        items.add(r.item);
      }
      for (const r of [...s.validation, ...s.test]) {
        expect(users.has(r.user)).toBe(true);
        expect(items.has(r.item)).toBe(true);
        expect(r.user).toBeLessThan(s.nUsers);
        expect(r.item).toBeLessThan(s.nItems);
      }
      dropped += s.dropped.test;
    }
    // new users arrive all the time: some test pairs must have been dropped, or the rule was not exercised
    expect(dropped).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', () => {
    const again = segmentStream(stream, options).segments;
    expect(again.map((s) => s.replay)).toEqual(segments.map((s) => s.replay));
  });
});

describe('segmentStream: the catalog, live items read off the log (issue 24)', () => {
  const at = (w: number, rows: [string, string][], more: Partial<Parameters<typeof segmentStream>[1]> = {}) =>
    segmentStream(log(rows), { segmentNew: 1, replayShare: 0, testShare: 0, valShare: 0, reservoir: 100, seed: 1, liveWindow: w, ...more });
  // One new user a row: each row is a segment. Item a is silent in segments 1 and 2, then comes back.
  const rows: [string, string][] = [
    ['u0', 'a'],
    ['u1', 'b'],
    ['u2', 'b'],
    ['u3', 'a'],
  ];
  const live = (s: ReturnType<typeof segmentStream>) => s.segments.map((x) => Array.from(x.live));

  it.each([
    { w: 0, want: [[0], [1], [1], [0]], retired: [0, 1, 0, 1], returned: [0, 0, 0, 1] },
    { w: 1, want: [[0], [0, 1], [1], [0, 1]], retired: [0, 0, 1, 0], returned: [0, 0, 0, 1] },
    { w: Number.POSITIVE_INFINITY, want: [[0], [0, 1], [0, 1], [0, 1]], retired: [0, 0, 0, 0], returned: [0, 0, 0, 0] },
  ])('window $w: an item silent for W + 1 segments retires, and is back when the log shows it again', ({ w, want, retired, returned }) => {
    const s = at(w, rows);
    expect(live(s)).toEqual(want);
    expect(s.segments.map((x) => x.catalog.retired)).toEqual(retired);
    expect(s.segments.map((x) => x.catalog.returned)).toEqual(returned);
    // rows stay: a retired item keeps its index, the table its row
    expect(s.segments.map((x) => x.nItems)).toEqual([1, 2, 2, 2]);
  });

  it('drops a test pair of an item the segment shows only after its test cut, and counts it', () => {
    // the last segment (it never closes): c is new and trains, a comes back in the test part only
    const tail: [string, string][] = [
      ['u0', 'a'],
      ['u1', 'b'],
      ['u0', 'c'],
      ['u1', 'a'],
    ];
    for (const [w, kept] of [
      [1, 0],
      [2, 1],
    ] as const) {
      const last = at(w, tail, { testShare: 0.5, segmentNew: 2 }).segments.at(-1)!;
      expect(last.test).toHaveLength(kept);
      expect(last.retiredPairs.test).toBe(1 - kept);
      expect(last.dropped.test).toBe(1 - kept);
    }
  });

  it('never trains, replays, validates or tests on a retired item, and offers the replay only live items', () => {
    const stream = generateStream({ steps: 10, interactionsPerStep: 800, initialUsers: 60, initialItems: 40, newUsersPerStep: 30, newItemsPerStep: 20, seed: 5, itemLifetime: 2 });
    const { segments } = segmentStream(stream, { segmentNew: 120, replayShare: 0.2, testShare: 0.2, valShare: 0.1, reservoir: 2000, liveWindow: 1, seed: 9 });
    let previous = new Set<number>();
    for (const s of segments) {
      const live = new Set(s.live);
      for (const r of [...s.replay, ...s.inner, ...s.validation, ...s.test]) expect(live.has(r.item)).toBe(true);
      for (const i of s.live) expect(i).toBeLessThan(s.nItems);
      const gone = [...previous].filter((i) => !live.has(i)).length;
      expect(gone).toBe(s.catalog.retired);
      expect(s.live.length).toBe(previous.size - s.catalog.retired + s.catalog.added + s.catalog.returned);
      previous = live;
    }
    // withdrawal was exercised: items retired and replay candidates were left out for it
    expect(segments.reduce((n, s) => n + s.catalog.retired, 0)).toBeGreaterThan(20);
    expect(segments.reduce((n, s) => n + s.retiredPairs.replay, 0)).toBeGreaterThan(0);
    // a window of Infinity is the grow-only protocol: every row live, nothing left out
    for (const s of segmentStream(stream, { segmentNew: 120, replayShare: 0.2, testShare: 0.2, valShare: 0.1, reservoir: 2000, liveWindow: Number.POSITIVE_INFINITY, seed: 9 }).segments) {
      expect(Array.from(s.live)).toEqual(Array.from({ length: s.nItems }, (_, i) => i));
      expect(s.retiredPairs).toEqual({ replay: 0, test: 0 });
    }
  });

  it('rejects a window that is not a whole number of segments', () => {
    expect(() => at(0.5, rows)).toThrow(StreamError);
    expect(() => at(-1, rows)).toThrow(/liveWindow/);
  });
});

describe('generateStream: the seeded synthetic stream', () => {
  const o = { steps: 8, interactionsPerStep: 600, initialUsers: 50, initialItems: 40, newUsersPerStep: 20, newItemsPerStep: 10, seed: 2 };
  it('is deterministic for a seed and differs for another', () => {
    expect(generateStream(o).rows).toEqual(generateStream(o).rows);
    expect(generateStream({ ...o, seed: 3 }).rows).not.toEqual(generateStream(o).rows);
  });

  it('grows its catalog over time, and items age: late interactions go mostly to recent items', () => {
    const s = generateStream(o);
    expect(s.nUsers).toBe(50 + 7 * 20);
    expect(s.nItems).toBe(40 + 7 * 10);
    const last = s.rows.slice(-600);
    const recent = last.filter((r) => r.item >= 40 + 4 * 10).length;
    // the last three steps' items are 30 of 110, but aged popularity sends them far more than 27 % of picks
    expect(recent / last.length).toBeGreaterThan(0.4);
  });

  it('withdraws items: none is picked from its withdrawal step on, lifetimes average itemLifetime, and never withdraws none', () => {
    const s = generateStream({ ...o, steps: 12, itemLifetime: 3 });
    const stepOf = (row: number) => {
      let step = 0;
      while (step + 1 < s.stepStart.length && s.stepStart[step + 1]! <= row) step++;
      return step;
    };
    s.rows.forEach((r, n) => {
      expect(stepOf(n)).toBeGreaterThanOrEqual(s.itemBorn[r.item]!);
      expect(stepOf(n)).toBeLessThan(s.itemWithdrawn[r.item]!);
    });
    const lifetimes = Array.from(s.itemWithdrawn, (w, i) => w - s.itemBorn[i]!);
    expect(lifetimes.filter((l) => l < 12 - 1).length).toBeGreaterThan(s.nItems / 2);
    // exponential with mean 3 over 150 items: within ±25 %
    expect(lifetimes.reduce((a, b) => a + b, 0) / lifetimes.length).toBeGreaterThan(2.25);
    expect(lifetimes.reduce((a, b) => a + b, 0) / lifetimes.length).toBeLessThan(3.75);
    const never = generateStream({ ...o, itemLifetime: Number.POSITIVE_INFINITY });
    expect(never.itemWithdrawn.every((w) => w === Number.POSITIVE_INFINITY)).toBe(true);
    // lifetimes draw from a generator of their own: one that no item reaches leaves the stream as it is without them
    expect(generateStream({ ...o, itemLifetime: 1e9 }).rows).toEqual(never.rows);
  });

  it('has power-law popularity: the top 10 % of items take a large share of each step', () => {
    const s = generateStream({ ...o, drift: 0, itemHalfLife: Number.POSITIVE_INFINITY });
    const counts = new Float64Array(s.nItems);
    for (const r of s.rows) counts[r.item]!++;
    const sorted = Array.from(counts).sort((a, b) => b - a);
    const top = sorted.slice(0, Math.ceil(s.nItems / 10)).reduce((a, b) => a + b, 0);
    expect(top / s.rows.length).toBeGreaterThan(0.25);
  });
});

describe('readTimedInteractions: a timestamped file as a stream', () => {
  it('reads MovieLens ratings.dat (::) with its timestamps, keeps the latest of a repeated pair, and thresholds ratings', async () => {
    const dir = await tempDir('peelrec-stream-');
    const file = join(dir, 'ratings.dat');
    await writeFile(file, '1::10::5::300\n2::10::4::100\n1::11::2::200\n2::12::5::50\n2::10::5::400\n');
    const log = await readTimedInteractions(file, { delimiter: '::', ratingThreshold: 4 });
    expect(log.rows.map((r) => [log.userIds[r.user], log.itemIds[r.item], r.time])).toEqual([
      ['1', '10', 300],
      ['2', '10', 400],
      ['2', '12', 50],
    ]);
    // sorted by time, the stream starts with user 2's item 12
    const s = segmentStream(log, { segmentNew: 100, replayShare: 0.2, testShare: 0, valShare: 0, reservoir: 10, liveWindow: 1, seed: 1 });
    expect(s.segments[0]!.inner.map((r) => r.time)).toEqual([50, 300, 400]);
    await expect(readTimedInteractions(file, { delimiter: '::', columns: { timestamp: null } })).rejects.toThrow(/timestamp/);
  });
});
