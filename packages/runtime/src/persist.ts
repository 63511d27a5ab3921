/**
 * IndexedDB writes off the critical path: recommendations start while the
 * verified bytes are still being written. Writes run one at a time (a 10 MB
 * put takes ~0.3 s and parallel puts only contend), and a file counts as
 * stored only after its transaction committed.
 *
 * On QuotaExceededError the store evicts this model's stored files of lower
 * weight than the one being written and retries once; if that frees nothing
 * or the retry fails too, persistence stops for the session (memory mode) and
 * a `quota` event says so. Nothing already resident is lost either way.
 */
import type { ModelStore } from './store.js';
import { QuotaError } from './store.js';
import type { RecommenderEventTarget } from './events.js';

export interface ModelKey {
  readonly contentHash: string;
  readonly manifestUrl: string;
  readonly manifest: string;
}

export class PersistQueue {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private stopped: string | undefined;
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
    if (this.store.mode === 'memory' || this.stopped || this.committed.has(sha256)) return;
    this.pending++;
    this.chain = this.chain
      .then(() => this.write(sha256, file, bytes, weight))
      .finally(() => {
        this.pending--;
      });
  }

  /** Resolves when every queued write has settled. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async write(sha256: string, file: string, bytes: Uint8Array, weight: number): Promise<void> {
    if (this.stopped) return;
    try {
      await this.store.write(this.model, sha256, bytes, weight);
      this.committed.set(sha256, bytes.byteLength);
      return;
    } catch (e) {
      if (!(e instanceof QuotaError)) return this.stop(file, `IndexedDB write failed: ${(e as Error).message}`, e);
    }
    // Quota: make room from less important files of this model, then try once more.
    try {
      const freed = await this.store.evict(this.model.contentHash, bytes.byteLength, weight, new Set([sha256]));
      if (freed.files.length) {
        for (const f of freed.files) this.committed.delete(f);
        this.events.emit('eviction', { files: freed.files, bytes: freed.bytes, reason: 'quota' });
        this.events.emit('quota', { file, action: 'evicted', error: 'QuotaExceededError' });
        await this.store.write(this.model, sha256, bytes, weight);
        this.committed.set(sha256, bytes.byteLength);
        return;
      }
      this.stop(file, 'storage quota exceeded and no lower-weight block to evict');
    } catch (e) {
      this.stop(file, `storage quota exceeded after eviction: ${(e as Error).message}`, e);
    }
  }

  private stop(file: string, reason: string, error?: unknown): void {
    this.stopped = reason;
    const quota = error === undefined || error instanceof QuotaError;
    if (quota) this.events.emit('quota', { file, action: 'memory', error: reason });
    this.events.emit('storage', { mode: 'memory', reason });
  }
}
