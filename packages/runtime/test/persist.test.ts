import { describe, expect, it } from 'vitest';
import { RecommenderEventTarget } from '../src/events.js';
import { PersistQueue } from '../src/persist.js';
import { StorageError } from '../src/errors.js';
import { MemoryStore, QuotaError, type StoredFile } from '../src/store.js';

/**
 * An IndexedDB-mode store whose batch writes wait for `next()`: what is queued, written and committed can be watched
 * step by step. Everything else is the product's inert store.
 */
class GatedStore extends MemoryStore {
  override readonly mode = 'indexeddb' as const;
  readonly batches: string[][] = [];
  private gates: (() => void)[] = [];
  failWith: Error | undefined;

  override async writeMany(_model: unknown, files: readonly StoredFile[]): Promise<void> {
    this.batches.push(files.map((f) => f.sha256));
    await new Promise<void>((r) => this.gates.push(r));
    if (this.failWith) throw this.failWith;
  }

  override async write(_model: unknown, sha256: string, bytes: Uint8Array, weight: number): Promise<void> {
    return this.writeMany(_model, [{ sha256, bytes, weight }]);
  }

  /** Lets the oldest waiting batch finish. */
  next(): void {
    this.gates.shift()?.();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const model = { contentHash: 'c', manifestUrl: 'u', manifest: '{}' };
const bytes = (n: number) => new Uint8Array([n, n, n]);

describe('PersistQueue', () => {
  it('holds writes until released, then writes everything queued in one batch, and the next arrivals in the next', async () => {
    const store = new GatedStore();
    const q = new PersistQueue(store, model, new RecommenderEventTarget(), new Map());
    q.hold();
    q.enqueue('a', 'file-a', bytes(1), 1);
    q.enqueue('b', 'file-b', bytes(2), 1);
    await tick();
    expect(store.batches).toEqual([]); // held: nothing written while a load runs
    expect(q.pendingWrites).toBe(2);
    q.release();
    await tick();
    expect(store.batches).toEqual([['a', 'b']]);
    q.enqueue('c', 'file-c', bytes(3), 1);
    q.enqueue('d', 'file-d', bytes(4), 1);
    let idle = false;
    void q.idle().then(() => (idle = true));
    store.next();
    await tick();
    expect(store.batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect([...q.committed.keys()]).toEqual(['a', 'b']);
    expect(idle).toBe(false);
    store.next();
    await tick();
    expect(idle).toBe(true);
    expect(q.storedBytes).toBe(12);
    expect(q.pendingWrites).toBe(0);
  });

  it('serves the bytes of files queued or being written, and forgets them once committed', async () => {
    const store = new GatedStore();
    const q = new PersistQueue(store, model, new RecommenderEventTarget(), new Map());
    q.hold();
    q.enqueue('a', 'file-a', bytes(7), 1);
    expect(q.bytesOf('a')).toEqual(bytes(7)); // queued
    q.release();
    await tick();
    expect(store.waiting).toBe(1);
    expect(q.bytesOf('a')).toEqual(bytes(7)); // being written
    store.next();
    await q.idle();
    expect(q.bytesOf('a')).toBeUndefined();
    expect(q.committed.has('a')).toBe(true);
  });

  it('discard drops the writes not started, so nothing of an invalid load is stored', async () => {
    const store = new GatedStore();
    const q = new PersistQueue(store, model, new RecommenderEventTarget(), new Map());
    q.hold();
    q.enqueue('a', 'file-a', bytes(1), 1);
    q.discard();
    // a request of the invalid load that was still in flight verifies after the discard
    q.enqueue('b', 'file-b', bytes(2), 1);
    q.release();
    await q.idle();
    expect(store.batches).toEqual([]);
    expect(q.pendingWrites).toBe(0);
  });

  it('a failed batch stops persistence with a storage event; a quota failure retries file by file, heaviest first', async () => {
    const events = new RecommenderEventTarget();
    const seen: string[] = [];
    events.on('storage', (e) => seen.push(e.reason));
    const store = new GatedStore();
    store.failWith = new StorageError('disk on fire');
    const q = new PersistQueue(store, model, events, new Map());
    q.enqueue('a', 'file-a', bytes(1), 1);
    store.next();
    await tick();
    store.next();
    await q.idle();
    expect(q.stoppedReason).toMatch(/disk on fire/);
    expect(seen).toEqual([expect.stringMatching(/IndexedDB write failed: disk on fire/)]);

    const order: string[] = [];
    const quotaStore = new GatedStore();
    quotaStore.failWith = new QuotaError('full');
    quotaStore.write = async (_m, sha) => void order.push(sha);
    const q2 = new PersistQueue(quotaStore, model, new RecommenderEventTarget(), new Map());
    q2.hold();
    q2.enqueue('light', 'file-light', bytes(1), 0.1);
    q2.enqueue('heavy', 'file-heavy', bytes(2), 0.9);
    q2.release();
    await tick();
    quotaStore.next();
    await q2.idle();
    expect(order).toEqual(['heavy', 'light']);
    expect([...q2.committed.keys()].sort()).toEqual(['heavy', 'light']);
  });
});
