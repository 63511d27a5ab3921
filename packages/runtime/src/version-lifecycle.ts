/**
 * One model version in the cache, from open to promote: the store it is kept in (IndexedDB, else memory with the
 * reason), its write queue, the files other stored versions already hold, the checked manifest text its record
 * keeps, and its promotion to the current version of its URL once everything its selection needs is committed
 * (older versions, and the files only they used, go then).
 */
import type { AnyManifestFile, Manifest, Selection } from '@peelrec/format';
import { BROWSER_API_MS } from './bounded.js';
import { BoundedStore } from './bounded-store.js';
import { StorageError } from './errors.js';
import type { RecommenderEventTarget } from './events.js';
import { isBlind } from './group-blind.js';
import { manifestTextHash } from './integrity.js';
import { PersistQueue } from './persist.js';
import { bestEffort } from './settle.js';
import { MemoryStore, openIndexedDbStore, type CachedModel, type ModelStore } from './store.js';
import type { RecommenderOptions, StorageInfo } from './types.js';

/** What makes a version complete for `selection`: the item files loaded, the block tables its plan uses, and its blocks (SHA-256s). */
export function requiredFiles(m: Manifest, selection: Selection, withMetadata: boolean): string[] {
  const tables = isBlind(selection) ? m.blockTables : [m.blockTables[selection.userGroup]!];
  return [m.items.ids, ...(withMetadata && m.items.metadata ? [m.items.metadata] : []), ...tables, ...selection.blocks.map((b) => b.file)].map((r) => r.sha256);
}

export class VersionLifecycle {
  /** Memory until (and unless) IndexedDB opens. */
  store: ModelStore = new MemoryStore();
  private storageReason: string | undefined;
  /** The version's write queue, once {@link begin} named the version. */
  queue: PersistQueue | undefined;
  private contentHash = '';
  /** Files committed by other stored versions than this one (sha256 → byte length), looked up once when first asked; empty in memory mode. */
  private others: () => Promise<ReadonlyMap<string, number>> = () => Promise.resolve(new Map());
  private promoting: Promise<void> = Promise.resolve();

  constructor(
    private readonly manifestUrl: string,
    private readonly options: RecommenderOptions,
    private readonly events: RecommenderEventTarget,
    /** Whether the recommender was disposed: a promotion settling after that emits no `persisted`. */
    private readonly disposed: () => boolean,
  ) {}

  /** Opens the store: IndexedDB unless storage is 'memory'; a database that cannot be opened leaves the load in memory, with a `storage` event. */
  async open(): Promise<void> {
    if (this.options.storage === 'memory') return;
    try {
      const ms = this.options.timeouts?.browserApiMs ?? BROWSER_API_MS;
      this.store = new BoundedStore(await openIndexedDbStore(this.options.indexedDB, ms), ms);
    } catch (e) {
      this.storageReason = e instanceof StorageError ? e.message : `IndexedDB unavailable: ${(e as Error)?.message ?? e}`;
      this.store = new MemoryStore();
      this.events.emit('storage', { mode: 'memory', reason: this.storageReason });
    }
  }

  /** Once the store is `opened`, reads the URL's last complete version and the versions stored (a read that fails: none). */
  records(opened: Promise<void>): { cachedVersion: Promise<CachedModel | undefined>; versions: Promise<Set<string>> } {
    return {
      cachedVersion: opened.then(() => this.store.current(this.manifestUrl)).catch(() => undefined),
      versions: opened.then(() => this.store.versions()).catch(() => new Set<string>()),
    };
  }

  /**
   * Names the version `m` this load serves (its text is `text`; `cached` is the last complete version of the URL):
   * its write queue starts from the files already committed for it, held until the load releases it. Files other
   * stored versions committed (the store is content-addressed) are read from IndexedDB instead of downloaded, and
   * committed for this version too; they are looked up only when a load lacks a file, so a warm start of a stored
   * version never waits for it.
   */
  async begin(m: AnyManifestFile, text: string, cached: CachedModel | undefined, versions: Promise<ReadonlySet<string>>): Promise<PersistQueue> {
    const hash = (this.contentHash = m.model.contentHash);
    const stored = cached?.contentHash === hash ? cached.files : (await versions).has(hash) ? await this.store.storedFiles(hash) : new Map<string, number>();
    let others: Promise<ReadonlyMap<string, number>> | undefined;
    this.others = () => (others ??= versions.then((v) => this.filesOfOtherVersions(hash, cached, v)));
    this.queue = new PersistQueue(this.store, { contentHash: hash, manifestUrl: this.manifestUrl, manifest: text }, this.events, stored);
    // IndexedDB writes wait until the first selection is resident: recommendations first, persistence right after.
    this.queue.hold();
    return this.queue;
  }

  /** Files committed by other stored versions than this one: sha256 → byte length. */
  otherVersionsFiles(): Promise<ReadonlyMap<string, number>> {
    return this.others();
  }

  private async filesOfOtherVersions(own: string, cached: CachedModel | undefined, versions: ReadonlySet<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const v of versions) {
      if (v === own) continue;
      const files = cached?.contentHash === v ? cached.files : await this.store.storedFiles(v).catch(() => new Map<string, number>());
      for (const [sha, n] of files) out.set(sha, n);
    }
    return out;
  }

  /**
   * The text that passed the full check is the one the store keeps for this version: a cached text gets its check
   * hash (the next cache-first start may trust it; records from before the hash was kept), and a network copy
   * replaces a stored text of the same version that differs (it failed its check, or it would have been trusted), so
   * an offline start can read this version again. `textSha` is the text's hash when already known.
   */
  keepCheckedText(checked: AnyManifestFile, text: string, fromCache: CachedModel | undefined, cached: CachedModel | undefined, textSha: string | undefined): void {
    const keep = fromCache ?? (cached?.contentHash === checked.model.contentHash && cached.manifest !== text ? cached : undefined);
    if (keep) bestEffort((textSha ? Promise.resolve(textSha) : manifestTextHash(text)).then((sha) => this.store.markChecked(keep.contentHash, text, sha)));
  }

  /** Whether this load persists what it loads (IndexedDB open, persistence not stopped). */
  get persisting(): boolean {
    return this.store.mode === 'indexeddb' && !this.queue?.stoppedReason;
  }

  /** Bytes committed for this version. */
  get storedBytes(): number {
    return this.queue?.storedBytes ?? 0;
  }

  /** Once the files `required` (SHA-256s) are all committed, this version becomes the cached one and older ones go. */
  schedulePromote(required: readonly string[]): void {
    const contentHash = this.contentHash;
    this.promoting = this.promoting
      .then(() => this.queue!.idle())
      .then(async () => {
        if (this.store.mode !== 'indexeddb' || this.queue!.stoppedReason) return;
        if (!required.every((s) => this.queue!.committed.has(s))) return;
        const removed = await this.store.promote(this.manifestUrl, contentHash);
        if (removed.files.length) this.events.emit('eviction', { files: removed.files, bytes: removed.bytes, reason: 'replaced' });
      })
      .catch((e) => {
        this.events.emit('storage', { mode: this.store.mode, reason: `could not mark the model version complete: ${(e as Error)?.message ?? e}` });
      })
      .then(() => {
        if (!this.disposed()) this.events.emit('persisted', this.info());
      });
  }

  info(): StorageInfo {
    const requested = this.options.storage ?? 'indexeddb';
    const stopped = this.queue?.stoppedReason;
    const mode = this.store.mode === 'indexeddb' && !stopped ? 'indexeddb' : 'memory';
    const reason = this.storageReason ?? stopped;
    return { requested, mode, ...(reason && { reason }), storedBytes: this.queue?.storedBytes ?? 0, pendingWrites: this.queue?.pendingWrites ?? 0 };
  }

  /** Resolves once the queued writes and the promotions scheduled so far have settled. */
  async settle(): Promise<void> {
    await this.queue?.idle();
    await this.promoting;
  }

  /** Lets queued writes commit, then closes the database. */
  async close(): Promise<void> {
    await this.settle();
    this.store.close();
  }
}
