/**
 * IndexedDB writes off the critical path: recommendations start while the
 * verified bytes are still being written. Writes are batched: everything
 * queued when the previous transaction finished goes into the next one (a
 * transaction per 64 KB block, each rewriting the model record, made the
 * cold start's writes several times slower than the data). A load may hold
 * the queue until its selection is resident, so writes do not compete with
 * the download for the main thread; a file counts as stored only after its
 * transaction committed.
 *
 * On QuotaExceededError the batch is retried file by file, heaviest first:
 * the store evicts this model's stored files of lower weight than the one
 * being written and retries once; if that frees nothing or the retry fails
 * too, persistence stops for the session (memory mode) and a `quota` event
 * says so. Nothing already resident is lost either way.
 */
import type { ModelKey, ModelStore, StoredFile } from './store.js';
import { QuotaError } from './store.js';
import type { RecommenderEventTarget } from './events.js';

interface Queued extends StoredFile {
  /** Names the file in events. */
  readonly file: string;
}

export class PersistQueue {
  private chain: Promise<void> = Promise.resolve();
  private queued: Queued[] = [];
  private readonly queuedBytes = new Map<string, Uint8Array>();
  /** The batch being written: its bytes are still served from here (a load must not download what is about to be stored). */
  private writing = new Map<string, Uint8Array>();
  private pending = 0;
  private draining = false;
  private holds = 0;
  private released: Promise<void> = Promise.resolve();
  private release_: () => void = () => {};
  private stopped: string | undefined;
  private discarded = false;
  /** sha256 → byteLength of files committed for this model. */
  readonly committed = new Map<string, number>();

  constructor(
    private readonly store: ModelStore,
    private readonly model: ModelKey,
    private readonly events: RecommenderEventTarget,
    initiallyStored: ReadonlyMap<string, number>,
  ) {
    for (const [k, v] of initiallyStored) this.committed.set(k, v);
  }

  /** Why persistence stopped for this session, if it did. */
  get stoppedReason(): string | undefined {
    return this.stopped;
  }

  get pendingWrites(): number {
    return this.pending;
  }

  get storedBytes(): number {
    let n = 0;
    for (const v of this.committed.values()) n += v;
    return n;
  }

  /** Queues a verified file; `file` names it in events. */
  enqueue(sha256: string, file: string, bytes: Uint8Array, weight: number): void {
    if (this.store.mode === 'memory' || this.stopped || this.discarded || this.committed.has(sha256) || this.queuedBytes.has(sha256)) return;
    this.pending++;
    this.queued.push({ sha256, file, bytes, weight });
    this.queuedBytes.set(sha256, bytes);
    this.schedule();
  }

  /** Verified bytes of a file queued or being written, if any. */
  bytesOf(sha256: string): Uint8Array | undefined {
    return this.writing.get(sha256) ?? this.queuedBytes.get(sha256);
  }

  /**
   * Drops the writes not started yet, and every later arrival: they belong to a load that turned out invalid,
   * whose requests still in flight may verify and arrive after this.
   */
  discard(): void {
    this.discarded = true;
    this.pending -= this.queued.length;
    this.queued = [];
    this.queuedBytes.clear();
  }

  /** Stops persisting for this session, dropping the writes not started: storage cannot hold what this load serves. */
  stopPersisting(reason: string): void {
    if (this.stopped) return;
    this.pending -= this.queued.length;
    this.queued = [];
    this.queuedBytes.clear();
    this.stopped = reason;
    this.events.emit('storage', { mode: 'memory', reason });
  }

  /** Queued writes wait until every hold is released (a load holds the queue until its selection is resident). */
  hold(): void {
    if (this.holds++ === 0) this.released = new Promise((r) => (this.release_ = r));
  }

  release(): void {
    if (this.holds === 0 || --this.holds > 0) return;
    this.release_();
    this.schedule();
  }

  /** Resolves when every queued write has settled (after the holds are released). */
  async idle(): Promise<void> {
    for (;;) {
      await this.released;
      const chain = this.chain;
      await chain;
      if (chain === this.chain && !this.queued.length && this.holds === 0) return;
    }
  }

  private schedule(): void {
    if (this.holds > 0 || this.draining || !this.queued.length) return;
    this.draining = true;
    this.chain = this.chain.then(async () => {
      try {
        while (this.queued.length && this.holds === 0) {
          const batch = this.queued.splice(0);
          this.queuedBytes.clear();
          this.writing = new Map(batch.map((f) => [f.sha256, f.bytes]));
          try {
            await this.writeBatch(batch);
          } finally {
            this.pending -= batch.length;
            this.writing = new Map();
          }
        }
      } finally {
        this.draining = false;
      }
    });
  }

  private async writeBatch(batch: Queued[]): Promise<void> {
    if (this.stopped) return;
    try {
      await this.store.writeMany(this.model, batch);
      for (const f of batch) this.committed.set(f.sha256, f.bytes.byteLength);
      return;
    } catch (e) {
      if (!(e instanceof QuotaError)) return this.stop(batch[0]!.file, `IndexedDB write failed: ${(e as Error).message}`, e);
    }
    // Quota: one file at a time, heaviest first, each making room from lighter files of this model.
    for (const f of [...batch].sort((a, b) => b.weight - a.weight)) {
      if (this.stopped) return;
      await this.writeOne(f);
    }
  }

  private async writeOne(f: Queued): Promise<void> {
    try {
      await this.store.write(this.model, f.sha256, f.bytes, f.weight);
      this.committed.set(f.sha256, f.bytes.byteLength);
      return;
    } catch (e) {
      if (!(e instanceof QuotaError)) return this.stop(f.file, `IndexedDB write failed: ${(e as Error).message}`, e);
    }
    try {
      const freed = await this.store.evict(this.model.contentHash, f.bytes.byteLength, f.weight, new Set([f.sha256]));
      if (freed.files.length) {
        for (const x of freed.files) this.committed.delete(x);
        this.events.emit('eviction', { files: freed.files, bytes: freed.bytes, reason: 'quota' });
        this.events.emit('quota', { file: f.file, action: 'evicted', error: 'QuotaExceededError' });
        await this.store.write(this.model, f.sha256, f.bytes, f.weight);
        this.committed.set(f.sha256, f.bytes.byteLength);
        return;
      }
      this.stop(f.file, 'storage quota exceeded and no lower-weight block to evict');
    } catch (e) {
      this.stop(f.file, `storage quota exceeded after eviction: ${(e as Error).message}`, e);
    }
  }

  private stop(file: string, reason: string, error?: unknown): void {
    this.stopped = reason;
    const quota = error === undefined || error instanceof QuotaError;
    if (quota) this.events.emit('quota', { file, action: 'memory', error: reason });
    this.events.emit('storage', { mode: 'memory', reason });
  }
}
