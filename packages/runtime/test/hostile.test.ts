import { afterEach, describe, expect, it } from 'vitest';
import { computeContentHash, sha256Hex } from '@peelrec/format';
import { DownloadError, ManifestError, readBudgetInputs, type Recommender, type RecommenderEvents } from '../src/index.js';
import { DB_NAME } from '../src/store.js';
import { harness } from './helpers.js';

const open: Recommender[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.dispose();
});
const track = (r: Recommender) => (open.push(r), r);

const FULL = 60 * 16 * 4;

/** Settles `p`, or fails the test if it has not within `ms` (a hang). */
async function settles<T>(p: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; ms: number }> {
  const t0 = Date.now();
  const hang = new Promise<'hang'>((r) => setTimeout(() => r('hang'), ms));
  const out = await Promise.race([
    p.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    hang,
  ]);
  expect(out, `still waiting after ${ms} ms`).not.toBe('hang');
  return { ...(out as { value?: T; error?: unknown }), ms: Date.now() - t0 };
}

describe('a nearly full device', () => {
  it('serves from memory when the storage headroom cannot hold the smallest selection, and stores nothing', async () => {
    const h = await harness();
    const storage: RecommenderEvents['storage'][] = [];
    // 1,000 bytes of headroom: half of it is below this model's smallest f32 selection (960 bytes).
    const rec = track(await h.open({ budget: 'auto', dtype: 'f32', budgetInputs: { deviceMemory: 4, storage: { quota: 10_000_000, usage: 9_999_000 } }, on: { storage: (e) => storage.push(e) } }));
    expect(rec.info.storage.mode).toBe('memory');
    expect(rec.info.storage.reason).toMatch(/^storage headroom of 1000 bytes cannot hold the smallest selection \(960 bytes\): serving from memory, nothing is stored$/);
    expect(storage.map((s) => s.mode)).toEqual(['memory']);
    expect(rec.info.budget.decidedBy).toBe('deviceMemory');
    expect(rec.info.selection.bytes).toBe(FULL); // 4 GiB / 64 holds the whole table
    expect(await rec.recommend({ user: { id: '0' }, k: 5 })).toHaveLength(5);
    const persisted = await rec.persisted();
    expect(persisted).toMatchObject({ mode: 'memory', storedBytes: 0, pendingWrites: 0 });
    const stored = await new Promise<number>((resolve, reject) => {
      const req = h.idb.open(DB_NAME);
      req.onsuccess = () => {
        const db = req.result;
        const count = db.transaction('files').objectStore('files').count();
        count.onsuccess = () => (db.close(), resolve(count.result));
        count.onerror = () => reject(count.error);
      };
      req.onerror = () => reject(req.error);
    });
    expect(stored).toBe(0);
  });
});

describe('browser APIs that never answer', () => {
  it('an IndexedDB open queued behind another tab’s blocked upgrade: the load goes on in memory', async () => {
    const h = await harness();
    // "Another tab" holds the database at version 1 and ignores versionchange; a third asks for version 2 (blocked),
    // so every later open waits in the queue behind it.
    const holder = await new Promise<IDBDatabase>((resolve) => {
      const req = h.idb.open(DB_NAME, 1);
      req.onsuccess = () => resolve(req.result);
    });
    const upgrade = h.idb.open(DB_NAME, 2);
    const blocked = new Promise((r) => (upgrade.onblocked = r));
    await blocked;
    const { value: rec, ms } = await settles(h.open({ budget: FULL, timeouts: { browserApiMs: 200 } }), 5000);
    track(rec!);
    expect(ms).toBeLessThan(3000);
    expect(rec!.info.storage).toMatchObject({ mode: 'memory', reason: 'IndexedDB did not open within 200 ms (another tab may be upgrading or deleting the database)' });
    expect(await rec!.recommend({ user: { id: '0' }, k: 3 })).toHaveLength(3);
    holder.close();
    upgrade.onsuccess = () => upgrade.result.close();
  });

  it('closes its connection when another tab deletes (or upgrades) the database, and goes on serving', async () => {
    const h = await harness();
    const rec = track(await h.open({ budget: FULL }));
    await rec.persisted();
    const deleted = new Promise<'deleted' | 'blocked'>((resolve) => {
      const req = h.idb.deleteDatabase(DB_NAME);
      req.onsuccess = () => resolve('deleted');
      req.onblocked = () => resolve('blocked');
    });
    expect((await settles(deleted, 3000)).value).toBe('deleted');
    expect(await rec.recommend({ user: { id: '1' }, k: 3 })).toHaveLength(3);
    await rec.setBudget(FULL / 2); // a load after the close: its writes fail into memory mode, not into the caller
    expect((await rec.persisted()).mode).toBe('memory');
    expect(rec.info.storage.reason).toMatch(/closed for another tab upgrading or deleting it/);
  });

  it('storage.estimate() that never resolves counts as no storage input', async () => {
    const g = globalThis as { navigator?: unknown };
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { deviceMemory: 2, storage: { estimate: () => new Promise(() => {}) } }, configurable: true });
    try {
      const { value } = await settles(readBudgetInputs(100), 3000);
      expect(value).toEqual({ deviceMemory: 2, storage: undefined });
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete g.navigator;
    }
  });
});

describe('a server that stalls', () => {
  it('a block request that never answers is cut after stallMs and retried: the load completes', async () => {
    const h = await harness();
    h.server.fault = (path, attempt) => (path.startsWith('blocks/') && !path.endsWith('.json') && attempt === 0 ? 'stall' : undefined);
    const { value: rec } = await settles(h.open({ budget: FULL, storage: 'memory', timeouts: { stallMs: 150 } }), 5000);
    track(rec!);
    expect(h.server.requests.filter((p) => p.startsWith('blocks/') && !p.endsWith('.json')).length).toBeGreaterThan(1);
    expect(await rec!.recommend({ user: { id: '0' }, k: 3 })).toHaveLength(3);
  });

  it('a manifest request that always stalls ends in DownloadError (stalled) within the retries', async () => {
    const h = await harness();
    h.server.fault = (path) => (path === 'manifest.json' ? 'stall' : undefined);
    const { error } = await settles(h.open({ budget: FULL, storage: 'memory', retries: 1, timeouts: { stallMs: 100 } }), 5000);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(/no response for 100 ms \(stalled\)$/);
  });
});

describe('a block table that fails validation', () => {
  it('reaches the caller as ManifestError, once, not as a retried network error or a TypeError', async () => {
    const h = await harness();
    const manifest = JSON.parse(new TextDecoder().decode(h.fixture.files.get('manifest.json')));
    const ref = manifest.blockTables[0];
    const table = JSON.parse(new TextDecoder().decode(h.fixture.files.get(ref.url)));
    const bad = new TextEncoder().encode(JSON.stringify({ ...table, userGroup: 1 }));
    h.fixture.files.set(ref.url, bad);
    manifest.blockTables[0] = { ...ref, sha256: await sha256Hex(bad), byteLength: bad.byteLength };
    manifest.model.contentHash = await computeContentHash(manifest);
    h.fixture.files.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
    const { error } = await settles(h.open({ budget: FULL, storage: 'memory', userGroup: 0 }), 5000);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message).toMatch(/userGroup/);
    expect(h.server.requests.filter((p) => p === ref.url)).toHaveLength(1);
  });
});
