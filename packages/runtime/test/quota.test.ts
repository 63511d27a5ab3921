import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import type { RecommenderEvents } from '../src/index.js';
import { openIndexedDbStore, QuotaError } from '../src/store.js';
import { harness, reference } from './helpers.js';
import { FULL, tracking } from './fixtures/tracked.js';

const { track } = tracking();

/** Makes the fake IndexedDB's `files` store refuse puts beyond `limit` bytes, the way a full origin does. */
function limitFilesStore(limit: number, as: 'QuotaExceededError' | 'AbortError') {
  const proto = (globalThis as unknown as { IDBObjectStore: { prototype: IDBObjectStore } }).IDBObjectStore.prototype;
  const put = proto.put;
  const del = proto.delete;
  const sizes = new Map<string, number>();
  const used = () => [...sizes.values()].reduce((a, b) => a + b, 0);
  proto.put = function (this: IDBObjectStore, value: { sha256?: string; bytes?: Uint8Array }, key?: IDBValidKey) {
    if (this.name === 'files' && value.bytes) {
      const size = value.bytes.byteLength;
      if (used() - (sizes.get(value.sha256!) ?? 0) + size > limit) throw new DOMException('quota', as);
      sizes.set(value.sha256!, size);
    }
    return put.call(this, value, key);
  } as typeof proto.put;
  proto.delete = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
    if (this.name === 'files') sizes.delete(String(key));
    return del.call(this, key);
  } as typeof proto.delete;
  return {
    used,
    restore: () => {
      proto.put = put;
      proto.delete = del;
    },
  };
}

describe('quota', () => {
  it('evicts lower-weight files to store higher-weight blocks, scoring unaffected', async () => {
    const h = await harness();
    const hash = h.fixture.manifest.model.contentHash;
    // A cache already holding light files of this model (e.g. from a larger budget earlier).
    const store = await openIndexedDbStore(h.idb);
    const light = ['1', '2', '3'].map((c) => c.repeat(64));
    for (const sha of light) await store.write({ contentHash: hash, manifestUrl: 'https://peelrec.test/model/manifest.json', manifest: '{}' }, sha, new Uint8Array(1000), 1e-9);
    store.close();
    // Room for the files every load needs (ids, metadata, the group's block table) and half the blocks.
    const m = h.fixture.manifest;
    const cap = m.items.ids.byteLength + m.items.metadata!.byteLength + m.blockTables[0]!.byteLength + FULL / 2;
    const limit = limitFilesStore(cap, 'QuotaExceededError');
    try {
      const quota: RecommenderEvents['quota'][] = [];
      const evictions: RecommenderEvents['eviction'][] = [];
      const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: { quota: (e) => quota.push(e), eviction: (e) => evictions.push(e) } }));
      const info = await rec.persisted();
      expect(limit.used()).toBeLessThanOrEqual(cap);
      expect(quota.filter((q) => q.action === 'evicted').length).toBeGreaterThan(0);
      const evicted = evictions.filter((e) => e.reason === 'quota').flatMap((e) => e.files);
      expect(evicted.length).toBeGreaterThan(0);
      for (const sha of evicted) expect(light).toContain(sha); // only the light files made room
      expect(info.storedBytes).toBeGreaterThan(0);
      const vector = h.fixture.userVectors.subarray(0, 16);
      const got = await rec.recommend({ user: { vector, group: 0 }, k: 10 });
      expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, vector, 10).map((r) => r.position));
    } finally {
      limit.restore();
    }
  });

  it('treats an AbortError from a write as quota and goes to memory mode when nothing can be evicted', async () => {
    const h = await harness();
    const limit = limitFilesStore(0, 'AbortError');
    try {
      const quota: RecommenderEvents['quota'][] = [];
      const rec = track(await h.open({ budget: FULL, on: { quota: (e) => quota.push(e) } }));
      const info = await rec.persisted();
      expect(quota).toEqual([expect.objectContaining({ action: 'memory' })]);
      expect(info).toMatchObject({ mode: 'memory', storedBytes: 0 });
      expect(info.reason).toMatch(/quota/);
    } finally {
      limit.restore();
    }
  });

  it('reports QuotaError from the store for a quota-like failure', async () => {
    const idb = new IDBFactory();
    const store = await openIndexedDbStore(idb);
    const limit = limitFilesStore(4, 'QuotaExceededError');
    try {
      const model = { contentHash: 'a'.repeat(64), manifestUrl: 'https://x/m.json', manifest: '{}' };
      await store.write(model, 'b'.repeat(64), new Uint8Array(4), 1);
      await expect(store.write(model, 'c'.repeat(64), new Uint8Array(4), 1)).rejects.toBeInstanceOf(QuotaError);
      expect(await store.storedFiles(model.contentHash)).toEqual(new Map([['b'.repeat(64), 4]]));
    } finally {
      limit.restore();
      store.close();
    }
  });
});
