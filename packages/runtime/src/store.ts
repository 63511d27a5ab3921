/**
 * The model cache: IndexedDB through `idb`, or an inert memory store.
 *
 * Schema (database `peelrec-runtime`, version {@link SCHEMA_VERSION}):
 *  - `files`   key sha256   → { sha256, bytes, weight }  content-addressed, so
 *                                 unchanged blocks survive a new model version
 *  - `models`  key contentHash → { contentHash, manifestUrl, manifest (text), files: sha256[] (committed only), sizes: sha256 → bytes }
 *  - `current` key manifestUrl → { manifestUrl, contentHash } the last complete version
 *
 * Rules: bytes reach `write` only after they passed their check (integrity.ts); each write
 * (one file, or a batch: `writeMany`) is its own transaction opened after the
 * bytes are in hand (a transaction that awaits the network auto-commits under
 * you); a file counts as stored once `tx.done` resolved; `promote` switches `current` to a new version only when
 * the caller says it is complete, then drops what no kept version references.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { BROWSER_API_MS, within } from './bounded.js';
import { StorageError, TimeoutError } from './errors.js';
import { manifestTextHash, mismatch } from './integrity.js';
import { bestEffort } from './settle.js';

export const DB_NAME = 'peelrec-runtime';
export const SCHEMA_VERSION = 1;

interface FileRecord {
  sha256: string;
  bytes: Uint8Array;
  weight: number;
}
interface ModelRecord {
  contentHash: string;
  manifestUrl: string;
  manifest: string;
  files: string[];
  /** Byte length of each committed file (records written before sizes were kept lack it). */
  sizes?: Record<string, number>;
  /**
   * SHA-256 of `manifest` as it passed the full check: a cache-first start whose stored text still hashes to it
   * skips the schema walk and the content hash (an edited or corrupted record does not, and is fully checked).
   */
  manifestSha256?: string;
  updatedAt: number;
}
interface CurrentRecord {
  manifestUrl: string;
  contentHash: string;
}

export interface CacheSchema extends DBSchema {
  files: { key: string; value: FileRecord };
  models: { key: string; value: ModelRecord; indexes: { byUrl: string } };
  current: { key: string; value: CurrentRecord };
}

/** The write failed for lack of space (QuotaExceededError, or the AbortError some browsers report instead). */
export class QuotaError extends StorageError {}

export interface CachedModel {
  readonly contentHash: string;
  readonly manifest: string;
  /** Files committed for this version: sha256 → byte length. */
  readonly files: ReadonlyMap<string, number>;
  /** SHA-256 of `manifest` when it was checked (absent in records written before it was kept). */
  readonly manifestSha256?: string;
}

/** The version a file is written for: its record's key, and what the record keeps (the URL, the manifest text). */
export interface ModelKey {
  readonly contentHash: string;
  readonly manifestUrl: string;
  readonly manifest: string;
}

/** A verified file to store, with the weight eviction ranks it by. */
export interface StoredFile {
  readonly sha256: string;
  readonly bytes: Uint8Array;
  readonly weight: number;
}

export interface ModelStore {
  readonly mode: 'indexeddb' | 'memory';
  /** The last complete version cached for this manifest URL. */
  current(manifestUrl: string): Promise<CachedModel | undefined>;
  /** Files committed for this model version: sha256 → byte length. */
  storedFiles(contentHash: string): Promise<Map<string, number>>;
  /** Content hashes of every model version with a record (so that a version without one needs no `storedFiles` read). */
  versions(): Promise<Set<string>>;
  /** Bytes of a stored file, re-verified against its hash; undefined when absent or corrupt (a corrupt record is deleted). */
  read(sha256: string): Promise<Uint8Array | undefined>;
  /** {@link read} of several files, fetched in one transaction and verified concurrently; results in the order asked. */
  readMany(sha256s: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /** Commits one verified file for a model version. @throws QuotaError, StorageError */
  write(model: ModelKey, sha256: string, bytes: Uint8Array, weight: number): Promise<void>;
  /** Commits several verified files in one transaction: all or none. @throws QuotaError, StorageError */
  writeMany(model: ModelKey, files: readonly StoredFile[]): Promise<void>;
  /** Makes `contentHash` the current version of its URL and deletes other versions of that URL and unreferenced files. Returns the deleted files. */
  promote(manifestUrl: string, contentHash: string): Promise<{ files: string[]; bytes: number }>;
  /**
   * Records that `manifest`, hashing to `manifestSha256`, passed the full check as this version's text: the
   * version's record (if any) keeps it, replacing a stored text that differs (an edited or corrupted one would
   * otherwise fail every later offline start).
   */
  markChecked(contentHash: string, manifest: string, manifestSha256: string): Promise<void>;
  /** Deletes this version's files with weight below `below`, lowest first, until `bytes` are freed. */
  evict(contentHash: string, bytes: number, below: number, keep: ReadonlySet<string>): Promise<{ files: string[]; bytes: number }>;
  close(): void;
}

/** A store that keeps nothing: memory mode holds only the resident tensors. */
export class MemoryStore implements ModelStore {
  // Any store's mode: a store that records writes without keeping them extends this one in IndexedDB mode (test/persist.test.ts).
  readonly mode: ModelStore['mode'] = 'memory';
  async current() {
    return undefined;
  }
  async storedFiles() {
    return new Map<string, number>();
  }
  async versions() {
    return new Set<string>();
  }
  async read() {
    return undefined;
  }
  async readMany(sha256s: readonly string[]) {
    return sha256s.map(() => undefined);
  }
  async write(_model: ModelKey, _sha256: string, _bytes: Uint8Array, _weight: number) {}
  async writeMany(_model: ModelKey, _files: readonly StoredFile[]) {}
  async promote() {
    return { files: [], bytes: 0 };
  }
  async evict() {
    return { files: [], bytes: 0 };
  }
  async markChecked() {}
  close() {}
}

/**
 * Opens the IndexedDB store; rejects with StorageError when IndexedDB is missing, blocked, broken or silent for
 * `ms` (an open queued behind another tab's blocked upgrade or deletion never answers), and callers fall back to
 * memory. The connection closes itself when another tab needs to upgrade or delete the database.
 */
export async function openIndexedDbStore(factory: IDBFactory | undefined = globalThis.indexedDB, ms = BROWSER_API_MS): Promise<IndexedDbStore> {
  if (!factory) throw new StorageError('IndexedDB is not available in this context');
  // idb's openDB calls the global indexedDB synchronously; an injected factory (tests, workers) is swapped in for that call only.
  const g = globalThis as { indexedDB?: IDBFactory };
  const previous = g.indexedDB;
  const state: ConnectionState = {};
  let opening: Promise<IDBPDatabase<CacheSchema>> | undefined;
  try {
    opening = new Promise<IDBPDatabase<CacheSchema>>((resolve, reject) => {
      const swap = previous !== factory;
      if (swap) g.indexedDB = factory;
      try {
        openDB<CacheSchema>(DB_NAME, SCHEMA_VERSION, {
          upgrade(db, oldVersion) {
            // Version 1 is the first schema; later versions migrate here by oldVersion.
            if (oldVersion < 1) {
              db.createObjectStore('files', { keyPath: 'sha256' });
              db.createObjectStore('models', { keyPath: 'contentHash' }).createIndex('byUrl', 'manifestUrl');
              db.createObjectStore('current', { keyPath: 'manifestUrl' });
            }
          },
          blocked() {
            reject(new StorageError('IndexedDB upgrade is blocked by another tab holding an older version open'));
          },
          // Another tab (a newer runtime, or an app clearing data) must not wait on this one: close, go on in memory.
          blocking(_current, _blocked, event) {
            state.closed = 'the database was closed for another tab upgrading or deleting it';
            (event.target as IDBDatabase).close();
          },
          terminated() {
            state.closed = 'the browser closed the database connection';
          },
        }).then(resolve, reject);
      } finally {
        if (swap) g.indexedDB = previous;
      }
    });
    const db = await within(opening, ms, 'IndexedDB open');
    return new IndexedDbStore(db, state);
  } catch (e) {
    // An open that answers after its bound must not stay open: it would block other tabs' upgrades for nothing.
    if (opening) bestEffort(opening.then((db) => db.close()));
    if (e instanceof TimeoutError) throw new StorageError(`IndexedDB did not open within ${ms} ms (another tab may be upgrading or deleting the database)`, { cause: e });
    throw e instanceof StorageError ? e : new StorageError(`IndexedDB cannot be opened: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}

/** A record's committed files with their sizes (0 where an older record did not keep them). */
function filesOf(model: ModelRecord): Map<string, number> {
  return new Map(model.files.map((f) => [f, model.sizes?.[f] ?? 0]));
}

/**
 * The bytes alone in their buffer: structured clone (IndexedDB) copies a view's
 * whole ArrayBuffer, so a block cut from a larger download would be stored
 * with all of it.
 */
function own(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

export function isQuotaLike(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'AbortError';
}

/** Set by the connection's callbacks when it closed under the store. */
interface ConnectionState {
  closed?: string;
}

export class IndexedDbStore implements ModelStore {
  readonly mode = 'indexeddb' as const;

  constructor(
    /** Open to cached-models.ts, which lists and deletes whole models in transactions of its own. */
    readonly db: IDBPDatabase<CacheSchema>,
    private readonly state: ConnectionState = {},
  ) {}

  /** Why the connection is closed (another tab's upgrade or deletion, the browser), if it is. */
  get closedReason(): string | undefined {
    return this.state.closed;
  }

  async current(manifestUrl: string): Promise<CachedModel | undefined> {
    const tx = this.db.transaction(['current', 'models'], 'readonly');
    const cur = await tx.objectStore('current').get(manifestUrl);
    const model = cur && (await tx.objectStore('models').get(cur.contentHash));
    await tx.done;
    return model && { contentHash: model.contentHash, manifest: model.manifest, files: filesOf(model), ...(model.manifestSha256 && { manifestSha256: model.manifestSha256 }) };
  }

  async storedFiles(contentHash: string): Promise<Map<string, number>> {
    const model = await this.db.get('models', contentHash);
    return model ? filesOf(model) : new Map();
  }

  async versions(): Promise<Set<string>> {
    return new Set(await this.db.getAllKeys('models'));
  }

  async read(sha256: string): Promise<Uint8Array | undefined> {
    return this.verified(sha256, await this.db.get('files', sha256));
  }

  async readMany(sha256s: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (!sha256s.length) return [];
    const tx = this.db.transaction('files', 'readonly');
    const recs = await Promise.all(sha256s.map((s) => tx.store.get(s)));
    await tx.done;
    return Promise.all(sha256s.map((s, i) => this.verified(s, recs[i])));
  }

  /** The record's bytes if they still pass their check against `sha256` (integrity.ts); a corrupt record is deleted. */
  private async verified(sha256: string, rec: FileRecord | undefined): Promise<Uint8Array | undefined> {
    if (!rec) return undefined;
    const bytes = rec.bytes instanceof Uint8Array ? rec.bytes : new Uint8Array(rec.bytes as ArrayBufferLike);
    if ((await mismatch(bytes, { sha256 })) !== undefined) {
      await this.db.delete('files', sha256);
      return undefined;
    }
    return bytes;
  }

  write(model: ModelKey, sha256: string, bytes: Uint8Array, weight: number): Promise<void> {
    return this.writeMany(model, [{ sha256, bytes, weight }]);
  }

  async writeMany(model: ModelKey, list: readonly StoredFile[]): Promise<void> {
    if (!list.length) return;
    // Hashed before the transaction opens (awaiting anything else inside it would let it auto-commit); only
    // verified manifests reach the store (a load whose manifest fails its check stores nothing).
    const manifestSha256 = await this.textHash(model.contentHash, model.manifest);
    const tx = this.db.transaction(['files', 'models'], 'readwrite');
    // Every request's promise, so that an abort (which rejects them all) leaves none unhandled.
    const requests: Promise<unknown>[] = [];
    const req = <T>(p: Promise<T>): Promise<T> => (requests.push(p), p);
    try {
      const files = tx.objectStore('files');
      const models = tx.objectStore('models');
      // Requests are queued without awaiting each other: one round trip to the database for the batch.
      const existing = await Promise.all(list.map((f) => req(files.get(f.sha256))));
      const puts = list.filter((f, i) => !existing[i] || existing[i]!.weight < f.weight).map((f) => req(files.put({ sha256: f.sha256, bytes: own(f.bytes), weight: f.weight })));
      const rec = (await req(models.get(model.contentHash))) ?? { ...model, files: [], sizes: {}, updatedAt: 0 };
      const sizes = (rec.sizes ??= {});
      if (rec.manifest === model.manifest) rec.manifestSha256 = manifestSha256;
      const listed = new Set(rec.files);
      for (const f of list) {
        if (!listed.has(f.sha256)) rec.files.push(f.sha256);
        listed.add(f.sha256);
        sizes[f.sha256] = f.bytes.byteLength;
      }
      rec.updatedAt = Date.now();
      await Promise.all([...puts, req(models.put(rec))]);
      await tx.done;
    } catch (e) {
      const cause = tx.error ?? e;
      bestEffort(tx.done); // the abort is reported below, as QuotaError or StorageError
      for (const r of requests) bestEffort(r); // an abort rejects every request of the transaction
      try {
        tx.abort(); // all or none: puts issued before a synchronous throw must not commit
      } catch {
        // already aborted or finished
      }
      const what = list.length === 1 ? list[0]!.sha256 : `${list.length} files`;
      if (isQuotaLike(cause) || isQuotaLike(e)) throw new QuotaError(`IndexedDB quota exceeded writing ${what}`, { cause });
      throw new StorageError(`IndexedDB write failed: ${(cause as Error)?.message ?? cause}`, { cause });
    }
  }

  private readonly textHashes = new Map<string, Promise<string>>();
  private textHash(contentHash: string, text: string): Promise<string> {
    let h = this.textHashes.get(contentHash);
    if (!h) this.textHashes.set(contentHash, (h = manifestTextHash(text)));
    return h;
  }

  async markChecked(contentHash: string, manifest: string, manifestSha256: string): Promise<void> {
    const tx = this.db.transaction('models', 'readwrite');
    const rec = await tx.store.get(contentHash);
    if (rec && (rec.manifest !== manifest || rec.manifestSha256 !== manifestSha256)) {
      rec.manifest = manifest;
      rec.manifestSha256 = manifestSha256;
      this.textHashes.set(contentHash, Promise.resolve(manifestSha256));
      await tx.store.put(rec);
    }
    await tx.done;
  }

  async promote(manifestUrl: string, contentHash: string): Promise<{ files: string[]; bytes: number }> {
    const tx = this.db.transaction(['files', 'models', 'current'], 'readwrite');
    const models = tx.objectStore('models');
    const filesStore = tx.objectStore('files');
    const previous = await models.index('byUrl').getAll(manifestUrl);
    await tx.objectStore('current').put({ manifestUrl, contentHash });
    const kept = new Set((await models.get(contentHash))?.files ?? []);
    // Files may be shared with other URLs' models: keep everything any remaining model references.
    const stale = previous.filter((m) => m.contentHash !== contentHash);
    for (const m of stale) await models.delete(m.contentHash);
    const others = (await models.getAll()).filter((m) => m.contentHash !== contentHash);
    for (const m of others) for (const f of m.files) kept.add(f);
    const deleted: string[] = [];
    let bytes = 0;
    for (const m of stale) {
      for (const f of m.files) {
        if (kept.has(f) || deleted.includes(f)) continue;
        const rec = await filesStore.get(f);
        if (rec) bytes += rec.bytes.byteLength;
        await filesStore.delete(f);
        deleted.push(f);
      }
    }
    await tx.done;
    return { files: deleted, bytes };
  }

  async evict(contentHash: string, bytes: number, below: number, keep: ReadonlySet<string>): Promise<{ files: string[]; bytes: number }> {
    const tx = this.db.transaction(['files', 'models'], 'readwrite');
    const models = tx.objectStore('models');
    const filesStore = tx.objectStore('files');
    const model = await models.get(contentHash);
    const candidates: FileRecord[] = [];
    for (const f of model?.files ?? []) {
      if (keep.has(f)) continue;
      const rec = await filesStore.get(f);
      if (rec && rec.weight < below) candidates.push(rec);
    }
    candidates.sort((a, b) => a.weight - b.weight || (a.sha256 < b.sha256 ? -1 : 1));
    const deleted: string[] = [];
    let freed = 0;
    for (const rec of candidates) {
      if (freed >= bytes) break;
      await filesStore.delete(rec.sha256);
      deleted.push(rec.sha256);
      freed += rec.bytes.byteLength;
    }
    if (model && deleted.length) {
      model.files = model.files.filter((f) => !deleted.includes(f));
      for (const f of deleted) delete model.sizes?.[f];
      await models.put(model);
    }
    await tx.done;
    return { files: deleted, bytes: freed };
  }

  close(): void {
    this.state.closed ??= 'closed';
    this.db.close();
  }
}
