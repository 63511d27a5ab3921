import { afterEach, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { ManifestError, type Recommender, type RecommenderEvents, type StorageInfo } from '../src/index.js';
import { sha256Hex } from '@peelrec/format';
import { openIndexedDbStore, QuotaError } from '../src/store.js';
import { buildFixture } from './fixtures/artifact.js';
import { harness, reference } from './helpers.js';
import { holdingCommits, until } from './fixtures/held-commits.js';
import { MANIFEST_URL } from './fixtures/serve.js';

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});
const track = (r: Recommender) => (open.push(r), r);
const FULL = 60 * 16 * 4;

describe('IndexedDB cache', () => {
  it('a reload at the same budget downloads nothing, and works offline from the cached manifest', async () => {
    const h = await harness();
    let persistedEvent: StorageInfo | undefined;
    const first = track(await h.open({ budget: 2000, on: { persisted: (e) => (persistedEvent = e) } }));
    const stored = await first.persisted();
    expect(stored).toMatchObject({ mode: 'indexeddb', pendingWrites: 0 });
    expect(stored.storedBytes).toBeGreaterThanOrEqual(first.info.selection.fileBytes);
    // The event says the same once the creation's writes have settled (the model version is then complete).
    expect(persistedEvent).toEqual(stored);
    const want = await first.recommend({ user: { id: '2' }, k: 10 });
    await first.dispose();
    open.pop();

    const served = h.server.served;
    const again = track(await h.open({ budget: 2000, freshness: 'network-first' }));
    expect(h.server.served).toBe(served);
    expect(again.info).toMatchObject({ downloadedBytes: 0, manifestSource: 'network' });
    expect(again.info.cachedBytes).toBeGreaterThan(0);
    await again.dispose();
    open.pop();

    // Cache-first (the default): served from the cached manifest, which the network then confirms.
    let onRevalidated: (e: RecommenderEvents['revalidated']) => void = () => {};
    const revalidated = new Promise<RecommenderEvents['revalidated']>((r) => (onRevalidated = r));
    const warm = track(await h.open({ budget: 2000, on: { revalidated: (e) => onRevalidated(e) } }));
    expect(warm.info).toMatchObject({ downloadedBytes: 0, manifestSource: 'cache' });
    expect(await revalidated).toEqual({ changed: false, contentHash: h.fixture.manifest.model.contentHash });
    expect(h.server.served).toBe(served);
    // The stored text's hash as it passed its check is kept: a cache-first start whose text still hashes to it skips
    // the full check (an edited record does not: see below).
    const store = await openIndexedDbStore(h.idb);
    const current = await store.current(MANIFEST_URL);
    store.close();
    expect(current?.manifestSha256).toBe(await sha256Hex(h.fixture.files.get('manifest.json')!));
    await warm.dispose();
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
    const idb = holdingCommits(h.idb);
    const rec = track(await h.open({ budget: FULL, indexedDB: idb.factory }));
    try {
      // Writes start once the selection is resident; wait for one that the database committed but has not confirmed.
      await until(() => idb.held() > 0);
      expect(rec.info.storage.pendingWrites).toBeGreaterThan(0);
      expect(rec.info.storage.storedBytes).toBe(0);
      expect(rec.info.cachedBytes).toBe(0);
    } finally {
      idb.commit(); // also on failure: dispose would otherwise wait out the store's bound
    }
    const late = await rec.persisted();
    expect(late.pendingWrites).toBe(0);
    const store = await openIndexedDbStore(h.idb);
    const files = await store.storedFiles(h.fixture.manifest.model.contentHash);
    store.close();
    for (const b of rec.info.selection.blocks) expect(files.has(b.file.sha256)).toBe(true);
    expect(late.storedBytes).toBe([...files.values()].reduce((a, b) => a + b, 0));
  });

  it('network-first: a new model version is used on the same load, and replaces the old one only once complete', async () => {
    const h0 = await harness({ seed: 1, modelId: 'v1' });
    const h = { ...h0, open: (extra: Parameters<typeof h0.open>[0] = {}) => h0.open({ freshness: 'network-first', ...extra }) };
    const v1 = h.fixture.manifest.model.contentHash;
    track(await h.open({ budget: FULL, dtype: 'f32' }));
    await open[0]!.persisted();
    await open.pop()!.dispose();

    // v2 is published, but one of its blocks cannot be fetched: the load fails and v1 stays current.
    const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'http404' : undefined);
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

  it('a cached manifest edited in IndexedDB is not trusted: offline the load fails; online the network copy wins and repairs the stored one', async () => {
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
    h.server.offline = true;
    await expect(h.open({ budget: 2000 })).rejects.toBeInstanceOf(ManifestError);
    h.server.offline = false;
    const online = track(await h.open({ budget: 2000 }));
    expect(online.manifest.userGroups.centroids[0]![0]).toBe(h.fixture.manifest.userGroups.centroids[0]![0]);
    const want = await online.recommend({ user: { id: '2' }, k: 10 });
    await online.persisted();
    await online.dispose();
    open.pop();
    // The copy that passed its check replaced the edited text: offline, the version loads again, unchanged.
    const store = await openIndexedDbStore(h.idb);
    const current = await store.current(MANIFEST_URL);
    store.close();
    expect(current?.manifest).toBe(new TextDecoder().decode(h.fixture.files.get('manifest.json')!));
    expect(current?.manifestSha256).toBe(await sha256Hex(h.fixture.files.get('manifest.json')!));
    h.server.offline = true;
    const offline = track(await h.open({ budget: 2000 }));
    expect(offline.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    expect(await offline.recommend({ user: { id: '2' }, k: 10 })).toEqual(want);
  });

  it('a format v1 model left in IndexedDB by an older runtime: offline the load names the version it cannot read, online the v2 version replaces it', async () => {
    const h = await harness();
    track(await h.open({ budget: 2000 }));
    await open[0]!.persisted();
    await open.pop()!.dispose();
    // What an older runtime would have left: the current version of this URL is a format v1 model (another content
    // hash, no check hash), whose files are the same content-addressed bytes.
    const V1 = 'f'.repeat(64);
    await new Promise<void>((resolve, reject) => {
      const req = h.idb.open('peelrec-runtime');
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const db = req.result;
        const tx = db.transaction(['models', 'current'], 'readwrite');
        const models = tx.objectStore('models');
        const get = models.get(h.fixture.manifest.model.contentHash);
        get.onsuccess = () => {
          const rec = get.result as { manifest: string; manifestSha256?: string };
          const { manifestSha256: _checked, ...older } = rec;
          const text = JSON.parse(rec.manifest);
          models.delete(h.fixture.manifest.model.contentHash);
          models.put({ ...older, contentHash: V1, manifest: JSON.stringify({ ...text, formatVersion: 1, model: { ...text.model, contentHash: V1 } }) });
          tx.objectStore('current').put({ manifestUrl: MANIFEST_URL, contentHash: V1 });
        };
        tx.oncomplete = () => (db.close(), resolve());
        tx.onerror = () => reject(tx.error);
      };
    });
    h.server.offline = true;
    await expect(h.open({ budget: 2000 })).rejects.toMatchObject({ name: 'UnsupportedVersionError', found: 1 });
    h.server.offline = false;
    // Cache-first cannot serve v1, so the load goes to the network and loads the v2 version, reading the files
    // v1 shares with it from IndexedDB.
    const online = track(await h.open({ budget: 2000 }));
    expect(online.info.model.contentHash).toBe(h.fixture.manifest.model.contentHash);
    expect(online.info.manifestSource).toBe('network');
    expect(online.info.downloadedBytes).toBe(0);
    expect(await online.recommend({ user: { id: '2' }, k: 5 })).toHaveLength(5);
    await online.persisted();
    await online.dispose();
    open.pop();
    // v2 is now the current version and the v1 record is gone: the next start offline serves v2.
    const store = await openIndexedDbStore(h.idb);
    expect([...(await store.versions())]).toEqual([h.fixture.manifest.model.contentHash]);
    store.close();
    h.server.offline = true;
    const offline = track(await h.open({ budget: 2000 }));
    expect(offline.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    expect(offline.manifest.formatVersion).toBe(2);
  });

  it('a manifest that fails its full check stores nothing, even what its first requests brought, and reports the check', async () => {
    const h = await harness();
    // Edited without re-hashing: the plain parse that starts the first requests accepts it, the full check does not.
    const edited = { ...h.fixture.manifest, model: { ...h.fixture.manifest.model, id: 'edited' } };
    const { blocks: _entries, ...file } = edited;
    h.fixture.files.set('manifest.json', new TextEncoder().encode(JSON.stringify(file)));
    const err = await h.open({ budget: 2000, user: { id: '1' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect(err.message).toMatch(/contentHash/);
    expect(h.server.requests).toEqual(expect.arrayContaining(['items/ids.json', 'users/shard-0.bin'])); // they did start early
    const store = await openIndexedDbStore(h.idb);
    expect(await store.versions()).toEqual(new Set());
    expect(await store.readMany([h.fixture.manifest.items.ids.sha256])).toEqual([undefined]);
    store.close();
  });

  it('falls back to memory when IndexedDB cannot be opened', async () => {
    const h = await harness();
    const broken = {
      open: () => {
        throw new DOMException('The user denied storage', 'InvalidStateError');
      },
    } as unknown as IDBFactory;
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

/** Resolves with the first `name` event of a recommender being created (listeners passed in `on`). */
function nextEvent<E extends keyof RecommenderEvents>(name: E) {
  let resolve: (e: RecommenderEvents[E]) => void = () => {};
  const event = new Promise<RecommenderEvents[E]>((r) => (resolve = r));
  return { event, on: { [name]: (e: RecommenderEvents[E]) => resolve(e) } as { [K in E]: (e: RecommenderEvents[E]) => void } };
}

describe('cache-first (stale-while-revalidate)', () => {
  /** v1 stored and current; the server then publishes v2 (blocks at the same paths, new bytes). */
  async function publishedOver() {
    const h = await harness({ seed: 1, modelId: 'v1' });
    const first = await h.open({ budget: FULL, dtype: 'f32' });
    const v1Recs = await first.recommend({ user: { id: '2' }, k: 10 });
    await first.persisted();
    await first.dispose();
    const v2 = await buildFixture({ seed: 2, modelId: 'v2' });
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    return { h, v1: h.fixture.manifest.model.contentHash, v1Recs, v2 };
  }

  it('a new version that shares files with the stored one reads them from IndexedDB: only what changed is downloaded, and the shared files survive the switch', async () => {
    const h = await harness({ seed: 1, modelId: 'v1' });
    const first = track(await h.open({ budget: FULL, dtype: 'f32' }));
    await first.persisted();
    await open.pop()!.dispose();
    const v1 = h.fixture.manifest.model.contentHash;
    // Re-published under another id: a new content hash, every other file byte-identical.
    const v2 = await buildFixture({ seed: 1, modelId: 'v2' });
    expect(v2.manifest.model.contentHash).not.toBe(v1);
    h.fixture.files.clear();
    for (const [k, v] of v2.files) h.fixture.files.set(k, v);
    const served = h.server.served;
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', freshness: 'network-first' }));
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    expect(rec.info.downloadedBytes).toBe(0);
    expect(h.server.served).toBe(served);
    expect(rec.info.cachedBytes).toBeGreaterThanOrEqual(rec.info.selection.fileBytes);
    const user = v2.userVectors.slice(0, v2.manifest.dims.fullDim);
    const got = await rec.recommend({ user: { vector: user, group: 0 }, k: 5 });
    expect(got.map((r) => r.position)).toEqual(reference(rec, v2.files, user, 5).map((r) => r.position));
    // v2 committed the shared files for itself, so promoting it (which drops v1) keeps them: offline, v2 loads whole.
    await rec.persisted();
    await open.pop()!.dispose();
    const store = await openIndexedDbStore(h.idb);
    expect([...(await store.versions())]).toEqual([v2.manifest.model.contentHash]);
    store.close();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    expect(offline.info.model.contentHash).toBe(v2.manifest.model.contentHash);
  });

  it('a warm start is ready from IndexedDB while the manifest request has not answered', async () => {
    const h = await harness();
    track(await h.open({ budget: 2000 }));
    await open[0]!.persisted();
    await open.pop()!.dispose();
    const requests = h.server.requests.length;
    h.server.fault = (path) => (path === 'manifest.json' ? 'hang' : undefined);
    const rec = track(await h.open({ budget: 2000 }));
    expect(rec.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    const fullDim = h.fixture.manifest.dims.fullDim;
    const user = h.fixture.userVectors.slice(0, fullDim);
    const got = await rec.recommend({ user: { vector: user, group: rec.info.userGroup }, k: 5 });
    expect(got.map((r) => r.position)).toEqual(reference(rec, h.fixture.files, user, 5).map((r) => r.position));
    // The manifest request is out (and still pending): nothing else went to the network.
    expect(h.server.requests.slice(requests)).toEqual(['manifest.json']);
  });

  it('serves the cached version, downloads the new one in the background, then switches to it with an `updated` event', async () => {
    const { h, v1, v1Recs, v2 } = await publishedOver();
    const v2Hash = v2.manifest.model.contentHash;
    const updated = nextEvent('updated');
    const progress: string[] = [];
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: updated.on, onProgress: (p) => progress.push(p.file) }));
    expect(rec.info.model.contentHash).toBe(v1);
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs); // (reads the user's shard: its own progress)
    const progressAtReady = progress.length;
    const seen: string[] = [];
    let switched = false;
    void updated.event.then(() => (switched = true));
    // Requests while the update loads each run on one whole version: v1's results until the switch.
    while (!switched) {
      const recs = await rec.recommend({ user: { id: '2' }, k: 10 });
      seen.push(switched ? 'after' : JSON.stringify(recs) === JSON.stringify(v1Recs) ? 'v1' : 'other');
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(seen.filter((s) => s === 'other')).toEqual([]);
    expect(await updated.event).toEqual({ from: { id: 'v1', contentHash: v1 }, to: { id: 'v2', contentHash: v2Hash } });
    expect(rec.info.model.contentHash).toBe(v2Hash);
    expect(rec.info.manifestSource).toBe('network');
    // The background load reports no progress to the app's load callback (that load was over), though it downloaded blocks.
    expect(progress.length).toBe(progressAtReady);
    expect(rec.info.downloadedBytes).toBeGreaterThan(0);
    const user = { id: '2' };
    const after = await rec.recommend({ user, k: 10 });
    expect(after).not.toEqual(v1Recs);
    // The new version was stored and made current before it served: offline, a reload gets it, and v1 is gone.
    await rec.dispose();
    open.pop();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info.model.contentHash).toBe(v2Hash);
    expect(await offline.recommend({ user, k: 10 })).toEqual(after);
    const store = await openIndexedDbStore(h.idb);
    expect((await store.storedFiles(v1)).size).toBe(0);
    store.close();
  });

  it('a failed revalidation is an event and the cached version keeps serving: manifest unreachable, or a new version that cannot load', async () => {
    const { h, v1, v1Recs } = await publishedOver();
    h.server.fault = (path) => (path === 'manifest.json' ? 'http404' : undefined);
    const failed = nextEvent('updatefailed');
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', on: failed.on }));
    expect(await failed.event).toMatchObject({ stage: 'manifest', reason: expect.stringMatching(/404/) });
    expect(rec.info.model.contentHash).toBe(v1);
    expect(await rec.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs);
    await open.pop()!.dispose();

    // v2's manifest answers but one of its blocks does not: v1 serves on and stays the current version in IndexedDB.
    h.server.fault = (path) => (path === 'blocks/u0.f32.bin' ? 'http404' : undefined);
    const failedLoad = nextEvent('updatefailed');
    const revalidated = nextEvent('revalidated');
    const again = track(await h.open({ budget: FULL, dtype: 'f32', on: { ...failedLoad.on, ...revalidated.on } }));
    expect((await revalidated.event).changed).toBe(true);
    expect(await failedLoad.event).toMatchObject({ stage: 'download', error: expect.objectContaining({ name: 'DownloadError' }) });
    expect(again.info.model.contentHash).toBe(v1);
    expect(await again.recommend({ user: { id: '2' }, k: 10 })).toEqual(v1Recs);
    await open.pop()!.dispose();
    h.server.offline = true;
    const offline = track(await h.open({ budget: FULL, dtype: 'f32' }));
    expect(offline.info.model.contentHash).toBe(v1);
  });

  it('a cached version lacking what this load needs, whose files the server replaced, falls back to loading the new version', async () => {
    const { h, v2 } = await publishedOver();
    // v1 was stored for group 0 only; group 1's block table and blocks are v2's now (v1's bytes fail their hash).
    const rec = track(await h.open({ budget: FULL, dtype: 'f32', userGroup: 1 }));
    expect(rec.info.model.contentHash).toBe(v2.manifest.model.contentHash);
    expect(rec.info.manifestSource).toBe('network');
  });
});

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
