import type { AnyManifestFile } from '@peelrec/format';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { indexItemsAtLoad, indexLoadedItems, LoadedItems } from '../src/loaded-items.js';

const N = 10_000;
const ref = (url: string) => ({ url, sha256: '0'.repeat(64), byteLength: 1 });
const manifest = (count: number) => ({ items: { count, ids: ref('items/ids.json') } }) as unknown as AnyManifestFile;

/** A load of `ids` as the recommender does it: the ids file's bytes, then parse. */
function loaded(ids: string[]): LoadedItems {
  const items = new LoadedItems();
  const m = manifest(ids.length);
  for (const job of items.jobs(m, false)) job.use(new TextEncoder().encode(JSON.stringify(ids)));
  items.parse(m);
  return items;
}

const ids = Array.from({ length: N }, (_, i) => `item-${i}`);
/** Map entries the index holds: counted through Map.prototype.set while `f` runs. */
function setsDuring(f: () => void): number {
  const spy = vi.spyOn(Map.prototype, 'set');
  try {
    f();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe('the id → position index in the scoring worker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    indexItemsAtLoad();
  });
  afterEach(() => vi.useRealTimers());

  it('is not built while the load parses, but after it is ready, a slice a task', () => {
    let items!: LoadedItems;
    expect(setsDuring(() => (items = loaded(ids)))).toBe(0);
    expect(setsDuring(() => indexLoadedItems())).toBe(0); // scheduled, not run
    const first = setsDuring(() => vi.advanceTimersToNextTimer());
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(N);
    expect(setsDuring(() => vi.runAllTimers())).toBe(N - first);
    expect(items.positionsOf(['item-0', 'item-9999', 'nope', 'item-4097'])).toEqual([0, 9999, 4097]);
  });

  it('answers in full when asked before the slices are done, and the slices then stop', () => {
    const items = loaded(ids);
    indexLoadedItems();
    vi.advanceTimersToNextTimer();
    expect(items.positionsOf(['item-9999', 'item-1'])).toEqual([9999, 1]);
    expect(setsDuring(() => vi.runAllTimers())).toBe(0);
  });

  it('maps a repeated id to its last position, as before', () => {
    const items = loaded(['a', 'b', 'a', ...ids]);
    indexLoadedItems();
    vi.runAllTimers();
    expect(items.positionsOf(['a', 'b'])).toEqual([2, 1]);
  });
});
