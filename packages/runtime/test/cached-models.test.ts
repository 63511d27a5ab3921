import { describe, expect, it } from 'vitest';
import { deleteCachedModel, listCachedModels, OptionError, StorageError, TimeoutError, type CacheOptions } from '../src/index.js';
import { DB_NAME } from '../src/store.js';
import { recording } from './error-contract.js';
import { harness, type Harness } from './helpers.js';
import { BASE, MANIFEST_URL } from './fixtures/serve.js';

const OTHER_URL = 'https://peelrec.test/other/manifest.json';
const list = (o?: CacheOptions) => recording(listCachedModels(o));
const remove = (url: string | URL, o?: CacheOptions) => recording(deleteCachedModel(url, o));

/** Opens `h`'s artifact at `url` (served from the same files), stores what the load selected, and closes it. */
async function store(h: Harness, url = MANIFEST_URL, idb = h.idb): Promise<number> {
  const fetch = ((input: RequestInfo | URL, init?: RequestInit) => h.server.fetch(String(input).replace(new URL('.', url).href, BASE), init)) as typeof globalThis.fetch;
  const rec = await h.open({ manifestUrl: url, fetch, indexedDB: idb, budget: 'auto' });
  const { storedBytes } = await rec.persisted();
  await rec.dispose();
  return storedBytes;
}

describe('listCachedModels and deleteCachedModel', () => {
  it('lists a stored model by manifest URL: its current version, files and bytes', async () => {
    const h = await harness();
    expect(await list({ indexedDB: h.idb })).toEqual([]);
    const bytes = await store(h);
    const [entry, ...rest] = await list({ indexedDB: h.idb });
    expect(rest).toEqual([]);
    expect(entry).toEqual({
      manifestUrl: MANIFEST_URL,
      current: { id: 'fixture', contentHash: h.fixture.manifest.model.contentHash },
      versions: 1,
      files: expect.any(Number),
      bytes,
      updatedAt: expect.any(Number),
    });
    expect(entry!.files).toBeGreaterThan(2); // item ids, metadata, a block table, blocks
    expect(entry!.updatedAt).toBeLessThanOrEqual(Date.now());
  });

  it('deletes one URL: its versions go, and a later load downloads again; the other model stays whole', async () => {
    const h = await harness();
    const other = await harness({ seed: 2, modelId: 'other' });
    const bytes = await store(h);
    await store(other, OTHER_URL, h.idb);
    const before = await list({ indexedDB: h.idb });
    expect(before.map((m) => m.manifestUrl)).toEqual([MANIFEST_URL, OTHER_URL]);

    // The two catalogs are the same items: the id and metadata files are one stored copy, which the other keeps.
    const { ids, metadata } = h.fixture.manifest.items;
    expect(other.fixture.manifest.items.ids.sha256).toBe(ids.sha256);
    const shared = ids.byteLength + metadata!.byteLength;
    expect(await remove(MANIFEST_URL, { indexedDB: h.idb })).toEqual({ versions: 1, files: before[0]!.files - 2, bytes: bytes - shared });
    expect(await list({ indexedDB: h.idb })).toEqual([before[1]]);

    const served = h.server.served;
    const rec = await h.open({ budget: 'auto' });
    expect(rec.info.manifestSource).toBe('network');
    expect(rec.info.cachedBytes).toBe(shared); // only what the other model still holds
    expect(h.server.served - served).toBeGreaterThan(0);
    await rec.dispose();
  });

  it('one artifact at two URLs: deleting either keeps what the other serves', async () => {
    const h = await harness();
    await store(h);
    await store(h, OTHER_URL); // the same version: every file, and its record, are shared
    const [atMain, atOther] = await list({ indexedDB: h.idb });
    expect(atOther).toEqual({ ...atMain, manifestUrl: OTHER_URL, updatedAt: expect.any(Number) });
    // The first URL stored the version; deleting it hands the version to the other URL.
    expect(await remove(MANIFEST_URL, { indexedDB: h.idb })).toEqual({ versions: 0, files: 0, bytes: 0 });
    expect(await list({ indexedDB: h.idb })).toEqual([{ ...atOther, updatedAt: expect.any(Number) }]);
    h.server.offline = true;
    const fetch = ((input: RequestInfo | URL, init?: RequestInit) => h.server.fetch(String(input).replace('/other/', '/model/'), init)) as typeof globalThis.fetch;
    const rec = await h.open({ manifestUrl: OTHER_URL, fetch, budget: 'auto' });
    expect(rec.info).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    await rec.dispose();
    h.server.offline = false;
    expect(await remove(OTHER_URL, { indexedDB: h.idb })).toEqual({ versions: 1, files: atOther!.files, bytes: atOther!.bytes });
    expect(await list({ indexedDB: h.idb })).toEqual([]);
    // Deleting what is not stored removes nothing.
    expect(await remove(OTHER_URL, { indexedDB: h.idb })).toEqual({ versions: 0, files: 0, bytes: 0 });
  });

  it('resolves a URL as createRecommender does: a URL object and its string name the same model', async () => {
    const h = await harness();
    await store(h);
    expect(await remove(new URL(MANIFEST_URL), { indexedDB: h.idb })).toMatchObject({ versions: 1 });
    expect(await list({ indexedDB: h.idb })).toEqual([]);
  });

  it('checks its arguments before opening anything: OptionError naming the option', async () => {
    const h = await harness();
    const refused = async (p: Promise<unknown>, option: string) => {
      const e = await p.catch((x: unknown) => x);
      expect(e).toBeInstanceOf(OptionError);
      expect((e as OptionError).option).toBe(option);
    };
    await refused(list({ timeouts: { stallMs: 5 } } as never), 'timeouts.stallMs');
    await refused(list({ timeouts: { browserApiMs: 0 } }), 'timeouts.browserApiMs');
    await refused(list({ indexedDB: {} as IDBFactory }), 'indexedDB');
    await refused(list('fast' as never), 'options');
    await refused(remove(42 as never, { indexedDB: h.idb }), 'manifestUrl');
    await refused(remove('', { indexedDB: h.idb }), 'manifestUrl');
    await refused(remove('models/manifest.json', { indexedDB: h.idb }), 'manifestUrl'); // relative, and no page here
  });

  it('an IndexedDB that fails or does not answer is a StorageError (a TimeoutError its cause), within the bound', async () => {
    const broken = {
      open: () => {
        throw new DOMException('The user denied storage', 'InvalidStateError');
      },
    } as unknown as IDBFactory;
    const denied = await list({ indexedDB: broken }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(StorageError);
    expect((denied as Error).message).toMatch(/denied storage/);
    // Another tab holds the database and ignores versionchange, a third waits to upgrade it: every open queues.
    const h = await harness();
    const holder = await new Promise<IDBDatabase>((resolve) => {
      const req = h.idb.open(DB_NAME, 1);
      req.onsuccess = () => resolve(req.result);
    });
    const upgrade = h.idb.open(DB_NAME, 2);
    await new Promise((r) => (upgrade.onblocked = r));
    const t0 = Date.now();
    const timedOut = await remove(MANIFEST_URL, { indexedDB: h.idb, timeouts: { browserApiMs: 50 } }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(StorageError);
    expect((timedOut as Error).cause).toBeInstanceOf(TimeoutError);
    expect(Date.now() - t0).toBeLessThan(2000);
    holder.close();
    upgrade.onsuccess = () => upgrade.result.close();
  });
});
