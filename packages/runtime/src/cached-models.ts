/**
 * Cache management for apps, as WebLLM's `hasModelInCache` / `deleteModelAllInfoInCache`: list the models this
 * runtime stored in IndexedDB (schema in store.ts), and delete one. Each call opens the database, runs one
 * transaction, and closes it; the open and the transaction are bounded by `timeouts.browserApiMs`, like every
 * IndexedDB wait of a load. The app asked, so a failure is a StorageError, not a silent empty answer.
 */
import type { IDBPDatabase } from 'idb';
import { BROWSER_API_MS, within } from './bounded.js';
import { OptionError, StorageError } from './errors.js';
import { checkCacheOptions, checkManifestUrl } from './options.js';
import { openIndexedDbStore, type CacheSchema } from './store.js';
import type { CacheDeletion, CachedModelInfo, CacheOptions } from './types.js';

type Db = IDBPDatabase<CacheSchema>;
type ModelRecord = CacheSchema['models']['value'];

/**
 * The models stored in IndexedDB, one entry per manifest URL, sorted by URL.
 * @throws OptionError for a bad option; StorageError when IndexedDB is unavailable, fails or does not answer in time.
 */
export async function listCachedModels(options?: CacheOptions): Promise<CachedModelInfo[]> {
  return withDatabase(checkCacheOptions(options), 'list the cached models', listModels);
}

/**
 * Deletes every stored version of the model at `manifestUrl` (resolved against the page, as `createRecommender`
 * resolves it) and the files no other stored model uses. A recommender still open for that URL keeps serving
 * from memory, and may store its files again: dispose it first.
 * @throws OptionError for a bad URL or option; StorageError as {@link listCachedModels}.
 */
export async function deleteCachedModel(manifestUrl: string | URL, options?: CacheOptions): Promise<CacheDeletion> {
  const url = absolute(checkManifestUrl(manifestUrl));
  return withDatabase(checkCacheOptions(options), `delete the cached model ${url}`, (db) => deleteModel(db, url));
}

function absolute(url: string | URL): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(String(url), base).href;
  } catch {
    throw new OptionError('manifestUrl', url, `an absolute URL${base ? ', or one relative to the page' : ' (no page location to resolve a relative one against)'}`);
  }
}

async function withDatabase<T>(options: CacheOptions, what: string, op: (db: Db) => Promise<T>): Promise<T> {
  const ms = options.timeouts?.browserApiMs ?? BROWSER_API_MS;
  const store = await openIndexedDbStore(options.indexedDB, ms);
  try {
    return await within(op(store.db), ms, `IndexedDB (${what})`);
  } catch (e) {
    throw new StorageError(`IndexedDB could not ${what}: ${(e as Error)?.message ?? e}`, { cause: e });
  } finally {
    store.close(); // waits for a transaction that is still running, so nothing is cut in half
  }
}

/**
 * A version record is keyed by content hash and names the URL that stored it first, so one artifact published at
 * two URLs has one record and two `current` pointers: a URL's versions are the records it stored and the one its
 * pointer names.
 */
function versionsByUrl(models: readonly ModelRecord[], currents: readonly { manifestUrl: string; contentHash: string }[]) {
  const byHash = new Map(models.map((m) => [m.contentHash, m]));
  const out = new Map<string, { versions: Set<ModelRecord>; current?: ModelRecord }>();
  const entry = (url: string) => out.get(url) ?? out.set(url, { versions: new Set() }).get(url)!;
  for (const m of models) entry(m.manifestUrl).versions.add(m);
  for (const c of currents) {
    const m = byHash.get(c.contentHash);
    if (!m) continue;
    const e = entry(c.manifestUrl);
    e.versions.add(m);
    e.current = m;
  }
  return out;
}

async function listModels(db: Db): Promise<CachedModelInfo[]> {
  const tx = db.transaction(['models', 'current', 'files'], 'readonly');
  const [models, currents] = await Promise.all([tx.objectStore('models').getAll(), tx.objectStore('current').getAll()]);
  const out: CachedModelInfo[] = [];
  for (const [manifestUrl, { versions, current }] of versionsByUrl(models, currents)) {
    const sizes = new Map<string, number>();
    for (const m of versions) for (const f of m.files) sizes.set(f, m.sizes?.[f] ?? sizes.get(f) ?? -1);
    // Records from before sizes were kept: the stored bytes themselves say.
    for (const [f, n] of sizes) if (n < 0) sizes.set(f, (await tx.objectStore('files').get(f))?.bytes.byteLength ?? 0);
    out.push({
      manifestUrl,
      ...(current && { current: { id: modelId(current.manifest), contentHash: current.contentHash } }),
      versions: versions.size,
      files: sizes.size,
      bytes: [...sizes.values()].reduce((a, b) => a + b, 0),
      updatedAt: Math.max(...[...versions].map((m) => m.updatedAt)),
    });
  }
  await tx.done;
  return out.sort((a, b) => (a.manifestUrl < b.manifestUrl ? -1 : a.manifestUrl > b.manifestUrl ? 1 : 0));
}

/** `model.id` of a stored manifest text (it passed its check when stored; an unreadable one has no id to show). */
function modelId(manifest: string): string {
  try {
    const id = (JSON.parse(manifest) as { model?: { id?: unknown } }).model?.id;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}

/**
 * One transaction: the URL's pointer goes, and so does each version it stored that no other URL's pointer names
 * (such a version passes to that URL), then each of their files that no remaining version lists.
 */
async function deleteModel(db: Db, manifestUrl: string): Promise<CacheDeletion> {
  const tx = db.transaction(['files', 'models', 'current'], 'readwrite');
  const models = tx.objectStore('models');
  const files = tx.objectStore('files');
  const currents = tx.objectStore('current');
  await currents.delete(manifestUrl);
  const others = new Map((await currents.getAll()).map((c) => [c.contentHash, c.manifestUrl]));
  const mine: ModelRecord[] = [];
  for (const m of await models.index('byUrl').getAll(manifestUrl)) {
    const heir = others.get(m.contentHash);
    if (heir) await models.put({ ...m, manifestUrl: heir });
    else {
      await models.delete(m.contentHash);
      mine.push(m);
    }
  }
  const kept = new Set((await models.getAll()).flatMap((m) => m.files));
  const deleted = new Set<string>();
  let bytes = 0;
  for (const m of mine) {
    for (const f of m.files) {
      if (kept.has(f) || deleted.has(f)) continue;
      const size = m.sizes?.[f] ?? (await files.get(f))?.bytes.byteLength;
      if ((await files.getKey(f)) === undefined) continue; // evicted earlier
      await files.delete(f);
      deleted.add(f);
      bytes += size ?? 0;
    }
  }
  await tx.done;
  return { versions: mine.length, files: deleted.size, bytes };
}
