import { describe, expect, it } from 'vitest';
import type { IDBFactory } from 'fake-indexeddb';
import { ManifestError, type RecommenderEvents, type StorageInfo } from '../src/index.js';
import { assertPeelManifest, sha256Hex } from '@peelrec/format';
import { openIndexedDbStore } from '../src/store.js';
import { buildFixture } from './fixtures/artifact.js';
import { harness } from './helpers.js';
import { holdingCommits, until } from './fixtures/held-commits.js';
import { MANIFEST_URL } from './fixtures/serve.js';
import { FULL, tracking } from './fixtures/tracked.js';

const { open, track } = tracking();

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
    expect(assertPeelManifest(online.manifest).userGroups.centroids[0]![0]).toBe(h.fixture.manifest.userGroups.centroids[0]![0]);
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
