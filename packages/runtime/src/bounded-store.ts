/**
 * A {@link ModelStore} whose every operation answers within a bound. IndexedDB transactions can wait on other
 * tabs (a long readwrite transaction, an upgrade) and a closed connection fails every call: a read that fails or
 * times out is a cache miss (the file comes from the network), and a write that does is a StorageError, which
 * stops persisting for the session (memory mode, with the reason in `info.storage`). A load never hangs on it.
 */
import { within } from './bounded.js';
import { StorageError } from './errors.js';
import { type CachedModel, type IndexedDbStore, type ModelKey, type ModelStore, QuotaError, type StoredFile } from './store.js';

export class BoundedStore implements ModelStore {
  readonly mode = 'indexeddb' as const;

  constructor(
    private readonly inner: IndexedDbStore,
    private readonly ms: number,
  ) {}

  current(manifestUrl: string): Promise<CachedModel | undefined> {
    return this.bounded('read the current version', () => this.inner.current(manifestUrl), undefined);
  }

  storedFiles(contentHash: string): Promise<Map<string, number>> {
    return this.bounded('read a version record', () => this.inner.storedFiles(contentHash), new Map<string, number>());
  }

  versions(): Promise<Set<string>> {
    return this.bounded('list the versions', () => this.inner.versions(), new Set<string>());
  }

  read(sha256: string): Promise<Uint8Array | undefined> {
    return this.bounded('read a file', () => this.inner.read(sha256), undefined);
  }

  readMany(sha256s: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return this.bounded(
      'read files',
      () => this.inner.readMany(sha256s),
      sha256s.map(() => undefined),
    );
  }

  write(model: ModelKey, sha256: string, bytes: Uint8Array, weight: number): Promise<void> {
    return this.change('write', () => this.inner.write(model, sha256, bytes, weight));
  }

  writeMany(model: ModelKey, files: readonly StoredFile[]): Promise<void> {
    return this.change('write', () => this.inner.writeMany(model, files));
  }

  promote(manifestUrl: string, contentHash: string): Promise<{ files: string[]; bytes: number }> {
    return this.change('promote', () => this.inner.promote(manifestUrl, contentHash));
  }

  markChecked(contentHash: string, manifest: string, manifestSha256: string): Promise<void> {
    return this.change('mark checked', () => this.inner.markChecked(contentHash, manifest, manifestSha256));
  }

  evict(contentHash: string, bytes: number, below: number, keep: ReadonlySet<string>): Promise<{ files: string[]; bytes: number }> {
    return this.change('evict', () => this.inner.evict(contentHash, bytes, below, keep));
  }

  close(): void {
    this.inner.close();
  }

  private bounded<T>(what: string, op: () => Promise<T>, miss: T): Promise<T> {
    if (this.inner.closedReason) return Promise.resolve(miss);
    return within(op(), this.ms, `IndexedDB (${what})`).catch(() => miss);
  }

  private async change<T>(what: string, op: () => Promise<T>): Promise<T> {
    const closed = this.inner.closedReason;
    if (closed) throw new StorageError(`IndexedDB ${what} failed: ${closed}`);
    try {
      return await within(op(), this.ms, `IndexedDB ${what}`);
    } catch (e) {
      if (e instanceof QuotaError || e instanceof StorageError) throw e;
      throw new StorageError(`IndexedDB ${what} failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }
}
