import { afterEach, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { ManifestError, type Recommender, type RecommenderEvents } from '../src/index.js';
import { sha256Hex } from '@peelrec/format';
import { openIndexedDbStore, QuotaError } from '../src/store.js';
import { buildFixture } from './fixtures/artifact.js';
import { harness, reference } from './helpers.js';

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});
const track = (r: Recommender) => (open.push(r), r);
const FULL = 60 * 16 * 4;

describe('IndexedDB cache', () => {
  it('a reload at the same budget downloads nothing, and works offline from the cached manifest', async () => {
    const h = await harness();
    const first = track(await h.open({ budget: 2000 }));
    const stored = await first.persisted();
    expect(stored).toMatchObject({ mode: 'indexeddb', pendingWrites: 0 });
    expect(stored.storedBytes).toBeGreaterThanOrEqual(first.info.selection.fileBytes);
    const want = await first.recommend({ user: { id: '2' }, k: 10 });
    await first.dispose();
    open.pop();

    const served = h.server.served;
    const again = track(await h.open({ budget: 2000 }));
    expect(h.server.served).toBe(served);
    expect(again.info).toMatchObject({ downloadedBytes: 0, manifestSource: 'network' });
    expect(again.info.cachedBytes).toBeGreaterThan(0);
    await again.dispose();
    open.pop();

    h.server.offline = true;
    const offline = track(await h.open({ budget: 2000 }));
    expect(offline.info.manifestSource).toBe('cache');
    expect(offline.info.model.contentHash).toBe(h.fixture.manifest.model.contentHash);
    // User shards were fetched by the first session and are in the cache too.
    expect(await offline.recommend({ user: { id: '2' }, k: 10 })).toEqual(want);
  });

  it('counts a file as stored only after its write committed', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL }));
    const early = rec.info.storage;
    const late = await rec.persisted();
    expect(late.storedBytes).toBeGreaterThanOrEqual(early.storedBytes);
    expect(late.pendingWrites).toBe(0);
    const store = await openIndexedDbStore(h.idb);
    const files = await store.storedFiles(h.fixture.manifest.model.contentHash);
    store.close();
    for (const b of rec.info.selection.blocks) expect(files.has(b.file.sha256)).toBe(true);
  });

  it('a new model version replaces the old one only once complete', async () => {
    const h = await harness({ seed: 1, modelId: 'v1' });
    const v1 = h.fixture.manifest.model.contentHash;
    track(await h.open({ budget: FULL, dtype: 'f32' }));
    await open[0]!.persisted();
    await open.pop()!.dispose();

    // v2 is published, but one of its blocks cannot be fetched: the load fails and v1 stays current.
    const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    h.server.fault = (path) => (path === 'blocks/u0/g2/b3.f32.bin' ? 'http404' : undefined);
    await expect(h.open({ budget: FULL, dtype: 'f32' })).rejects.toThrow(/404/);
    h.server.offline = true;
    const stillV1 = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(stillV1.info.model.contentHash).toBe(v1);
    expect(stillV1.info.downloadedBytes).toBe(0);
    await open.pop()!.dispose();

    // Once v2 loads completely it becomes current and v1's files go.
    h.server.offline = false;
    h.server.fault = () => undefined;
    const evictions: RecommenderEvents['eviction'][] = [];
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: { eviction: (e) => evictions.push(e) } }));
    await rec.persisted();
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    expect(evictions).toEqual([expect.objectContaining({ reason: 'replaced' })]);
    expect(evictions[0]!.files.length).toBeGreaterThanOrEqual(12);
    await open.pop()!.dispose();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    const store = await openIndexedDbStore(h.idb);
    expect((await store.storedFiles(v1)).size).toBe(0);
    store.close();
  });

  it('readMany returns verified bytes in the order asked, undefined for absent files, and deletes corrupt records', async () => {
    const h = await harness();
    const store = await openIndexedDbStore(h.idb);
    const model = { contentHash: 'c', manifestUrl: 'u', manifest: '{}' };
    const good = new Uint8Array([1, 2, 3]);
    const goodSha = await sha256Hex(good);
    const badSha = await sha256Hex(new Uint8Array([9]));
    await store.write(model, goodSha, good, 1);
    await store.write(model, badSha, new Uint8Array([8]), 1); // bytes that no longer match their key
    expect(await store.readMany([badSha, 'f'.repeat(64), goodSha])).toEqual([undefined, undefined, good]);
    expect(await store.read(badSha)).toBeUndefined();
    expect(await store.readMany([])).toEqual([]);
    store.close();
  });

  it('a cached manifest edited in IndexedDB is not trusted: online the network copy wins, offline the load fails', async () => {
    const h = await harness();
    track(await h.open({ budget: 2000 }));
    await open[0]!.persisted();
    await open.pop()!.dispose();
    // Tamper with the stored manifest text but keep its content hash field.
    await new Promise<void>((resolve, reject) => {
      const req = h.idb.open('peelrec-runtime');
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const db = req.result;
        const tx = db.transaction('models', 'readwrite');
        const models = tx.objectStore('models');
        const get = models.get(h.fixture.manifest.model.contentHash);
        get.onsuccess = () => {
          const rec = get.result as { manifest: string };
          const m = JSON.parse(rec.manifest);
          m.userGroups.centroids[0][0] += 1;
          models.put({ ...rec, manifest: JSON.stringify(m) });
        };
        tx.oncomplete = () => (db.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
    });
    const online = track(await h.open({ budget: 2000 }));
    expect(online.manifest.userGroups.centroids[0]![0]).toBe(h.fixture.manifest.userGroups.centroids[0]![0]);
    await online.dispose();
    open.pop();
    h.server.offline = true;
    await expect(h.open({ budget: 2000 })).rejects.toBeInstanceOf(ManifestError);
  });

  it('falls back to memory when IndexedDB cannot be opened', async () => {
    const h = await harness();
    const broken = { open: () => { throw new DOMException('The user denied storage', 'InvalidStateError'); } } as unknown as IDBFactory;
    const storage: RecommenderEvents['storage'][] = [];
    const rec = track(await h.open({ budget: FULL, indexedDB: broken, on: { storage: (e) => storage.push(e) } }));
    expect(rec.info.storage).toMatchObject({ requested: 'indexeddb', mode: 'memory' });
    expect(rec.info.storage.reason).toMatch(/denied storage/);
    expect(storage).toHaveLength(1);
    expect(await rec.recommend({ user: { id: '0' }, k: 3 })).toHaveLength(3);
  });

  it("storage: 'memory' writes nothing", async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL, storage: 'memory' }));
    expect(await rec.persisted()).toMatchObject({ mode: 'memory', storedBytes: 0 });
    const store = await openIndexedDbStore(h.idb);
    expect((await store.storedFiles(h.fixture.manifest.model.contentHash)).size).toBe(0);
    store.close();
  });
});

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
    const limit = limitFilesStore(4000, 'QuotaExceededError');
    try {
      const quota: RecommenderEvents['quota'][] = [];
      const evictions: RecommenderEvents['eviction'][] = [];
      const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: { quota: (e) => quota.push(e), eviction: (e) => evictions.push(e) } }));
      const info = await rec.persisted();
      expect(limit.used()).toBeLessThanOrEqual(4000);
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
      expect(await store.storedFiles(model.contentHash)).toEqual(new Set(['b'.repeat(64)]));
    } finally {
      limit.restore();
      store.close();
    }
  });
});
