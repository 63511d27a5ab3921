import { describe, expect, it } from 'vitest';
import { trainBackbone } from '../src/backbone/index.js';
import { Random } from '../src/data/random.js';
import { csrOf, growTables, trainSegment } from '../src/stream/model.js';
import type { Pair } from '../src/stream/segments.js';

const dim = 16;
const rng = new Random(11);
const pairs: Pair[] = Array.from({ length: 1500 }, (_, t) => ({ user: rng.int(60), item: rng.int(40), time: t }));
const unique = [...new Map(pairs.map((p) => [`${p.user}:${p.item}`, p])).values()];
const train = csrOf(60, unique);
const recipe = { epochs: 2, batch: 128, negatives: 32, temperature: 0.1, lr: 0.01 };

describe('streaming backbone: E ⊙ M on both tables', () => {
  it('trainBackbone keeps masked user entries exactly 0 through training (userMask; no smoothing, which re-masks), and trains the kept ones', async () => {
    const userMask = new Uint8Array(60 * dim);
    for (let u = 0; u < 60; u++) userMask.fill(1, u * dim, u * dim + 1 + (u % dim));
    const e = await trainBackbone(train, 60, 40, { dim, blockDim: 8, seed: 2, threads: 2, softmaxEpochs: 2, batch: 128, negatives: 32, smoothing: 0, userMask });
    for (let x = 0; x < e.users.length; x++) if (!userMask[x]) expect(e.users[x]).toBe(0);
    const kept = Array.from(e.users).filter((v, x) => userMask[x] && v !== 0).length;
    expect(kept).toBe(userMask.reduce((a, b) => a + b, 0));
  });

  it('trainSegment serves E ⊙ M and writes only the kept entries back into E', async () => {
    const start = growTables(undefined, dim, 60, 40, unique, new Random(1));
    const userSizes = Uint16Array.from({ length: 60 }, (_, u) => 1 + (u % dim));
    const itemSizes = Uint16Array.from({ length: 40 }, (_, i) => 1 + ((3 * i) % dim));
    const t = await trainSegment({ start, userSizes, itemSizes, train, recipe, seed: 1, threads: 2 });
    for (let u = 0; u < 60; u++) {
      for (let p = 0; p < dim; p++) {
        const x = u * dim + p;
        if (p < userSizes[u]!) expect(t.full.users[x]).toBe(t.served.users[x]);
        else {
          expect(t.served.users[x]).toBe(0);
          // masked now: E keeps its last value for a later segment that widens the row
          expect(t.full.users[x]).toBe(start.users[x]);
        }
      }
    }
    for (let i = 0; i < 40; i++) for (let p = itemSizes[i]!; p < dim; p++) expect(t.served.items[i * dim + p]).toBe(0);
  });

  it('growTables keeps old rows and starts a new row at the mean of its known neighbours', () => {
    const prev = growTables(undefined, 2, 2, 2, [], new Random(1));
    prev.items.set([1, 0, 0, 1]);
    const grown = growTables(
      prev,
      2,
      3,
      3,
      [
        { user: 2, item: 0, time: 0 },
        { user: 2, item: 1, time: 1 },
        { user: 2, item: 2, time: 2 },
      ],
      new Random(2),
    );
    expect(Array.from(grown.users.subarray(0, 4))).toEqual(Array.from(prev.users));
    expect(Array.from(grown.items.subarray(0, 4))).toEqual([1, 0, 0, 1]);
    // user 2 took items 0 and 1 (known) and 2 (new, ignored): mean (0.5, 0.5) plus noise of std 0.01
    expect(grown.users[4]).toBeCloseTo(0.5, 1);
    expect(grown.users[5]).toBeCloseTo(0.5, 1);
    expect(grown.users.length).toBe(6);
  });
});
