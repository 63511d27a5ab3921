import { describe, expect, it } from 'vitest';
import { gatherItems, liveCatalog, scatterItems, toLive } from '../src/stream/catalog.js';
import { StreamError } from '../src/stream/errors.js';

describe('stream: the methods see the live catalog only', () => {
  const c = liveCatalog(Uint32Array.of(1, 3), 4);
  const full = { dim: 2, users: Float32Array.of(9, 9), items: Float32Array.of(0, 0, 1, 1, 2, 2, 3, 3) };

  it('renumbers pairs to live positions and refuses a pair of a retired item', () => {
    expect(toLive(c, [{ user: 0, item: 3, time: 5 }])).toEqual([{ user: 0, item: 1, time: 5 }]);
    expect(() => toLive(c, [{ user: 0, item: 2, time: 6 }])).toThrow(StreamError);
    expect(() => liveCatalog(Uint32Array.of(4), 4)).toThrow(/no row/);
  });

  it('trains the live rows and writes them back, leaving a retired row as it was for its return', () => {
    const start = gatherItems(full, c);
    expect(Array.from(start.items)).toEqual([1, 1, 3, 3]);
    const trained = { dim: 2, users: Float32Array.of(8, 8), items: Float32Array.of(5, 5, 7, 7) };
    const back = scatterItems(full, trained, c);
    expect(Array.from(back.items)).toEqual([0, 0, 5, 5, 2, 2, 7, 7]);
    expect(Array.from(back.users)).toEqual([8, 8]);
    // the method's E before the segment is not touched
    expect(Array.from(full.items)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });
});
