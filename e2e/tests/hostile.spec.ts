/**
 * A hostile world: a model server that misbehaves at the HTTP level, a database another tab blocks or deletes, a
 * nearly full device, and requests that ask for absurd things. The SDK gives correct results or a typed error
 * within a bounded time, stores nothing wrong, and a later load recovers.
 */
import { expect, test, type Page } from '@playwright/test';
import { DEMO_PORT } from '../scripts/fixtures.js';
import { hostileServer, type HostileServer, type Misbehaviour } from './hostile-server.js';
import { fixture, manifestUrlOf, openHarness } from './support.js';

const MODEL = 'small';
/** The bound every load here must finish within: retries 2 × stall 1.5 s plus backoff, with room for a slow core. */
const BOUND_MS = 30_000;

interface Outcome {
  ok: boolean;
  ms: number;
  recs?: string[];
  error?: { name: string; message: string };
  storage?: { mode: string; reason?: string };
}

/** One load and one recommendation, with every error reported by name; 'hang' if it has not settled within BOUND_MS. */
async function load(page: Page, url: string, user: string, extra: Record<string, unknown> = {}): Promise<Outcome | 'hang'> {
  return page.evaluate(
    async ({ url, user, extra, bound }) => {
      const t0 = performance.now();
      const run = (async (): Promise<Outcome> => {
        try {
          const rec = await window.peel.createRecommender({
            manifestUrl: url,
            backend: 'wasm',
            wasmPaths: window.peel.wasmPaths,
            retries: 2,
            timeouts: { stallMs: 1500, browserApiMs: 2000 },
            ...extra,
          });
          const recs = (await rec.recommend({ user: { id: user }, k: 10 })).map((r) => r.itemId);
          const s = await rec.persisted();
          await rec.dispose();
          return { ok: true, ms: performance.now() - t0, recs, storage: { mode: s.mode, reason: s.reason } };
        } catch (e) {
          return { ok: false, ms: performance.now() - t0, error: { name: (e as Error).name, message: (e as Error).message } };
        }
      })();
      return Promise.race([run, new Promise<'hang'>((r) => setTimeout(() => r('hang'), bound))]);
    },
    { url, user, extra, bound: BOUND_MS },
  );
}

/** Every file record in the runtime's database, re-hashed: the keys whose bytes do not hash to them, and how many there are. */
async function storedFiles(page: Page): Promise<{ count: number; bad: string[] }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('peelrec-runtime');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    if (!db.objectStoreNames.contains('files')) return (db.close(), { count: 0, bad: [] });
    const records = await new Promise<{ sha256: string; bytes: Uint8Array<ArrayBuffer> }[]>((resolve, reject) => {
      const req = db.transaction('files').objectStore('files').getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    const bad: string[] = [];
    for (const r of records) {
      const hex = [...new Uint8Array(await crypto.subtle.digest('SHA-256', r.bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
      if (hex !== r.sha256) bad.push(r.sha256);
    }
    return { count: records.length, bad };
  });
}

const clearDb = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const req = indexedDB.deleteDatabase('peelrec-runtime');
        req.onsuccess = () => resolve();
        req.onerror = () => resolve();
      }),
  );

test.describe('a server that misbehaves', () => {
  let server: HostileServer;
  const fx = fixture(MODEL);
  const user = fx.userIds[3]!;
  const isBlock = (p: string) => fx.blockFiles.has(p);

  test.beforeAll(async () => {
    server = await hostileServer(MODEL, fx.dir);
  });
  test.afterAll(async () => {
    await server.close();
  });

  /** For each misbehaviour: what a load gives when every block request misbehaves (the first time only, then always). */
  const cases: [Misbehaviour, { always: string }][] = [
    ['ignore-range', { always: 'correct' }],
    ['wrong-range', { always: 'IntegrityError' }],
    ['short-body', { always: 'DownloadError' }],
    ['stall-body', { always: 'DownloadError' }],
    ['stall-headers', { always: 'DownloadError' }],
  ];
  for (const [how, want] of cases) {
    test(`${how}: once, the load retries to the right results; always, ${want.always === 'correct' ? 'still the right results' : `a ${want.always}`} in bounded time; nothing wrong is stored; the next load recovers`, async ({
      page,
    }) => {
      await openHarness(page);
      const url = `${server.origin}/models/${MODEL}/manifest.json`;
      const clean = await load(page, manifestUrlOf(MODEL), user, { storage: 'memory' });
      expect(clean).not.toBe('hang');
      const expected = (clean as Outcome).recs!;
      expect(expected).toHaveLength(10);

      server.fault = (p, attempt) => (isBlock(p) && attempt === 0 ? how : undefined);
      const once = await load(page, url, user);
      expect(once).not.toBe('hang');
      expect((once as Outcome).error).toBeUndefined();
      expect((once as Outcome).recs).toEqual(expected);
      expect(await storedFiles(page)).toMatchObject({ bad: [] });
      await clearDb(page);

      server.fault = (p) => (isBlock(p) ? how : undefined);
      const always = (await load(page, url, user)) as Outcome;
      expect(always).not.toBe('hang');
      test.info().annotations.push({ type: `${how} always`, description: `${Math.round(always.ms)} ms: ${always.error?.name ?? 'ok'} ${always.error?.message ?? ''}` });
      if (want.always === 'correct') expect(always.recs).toEqual(expected);
      else expect(always.error?.name).toBe(want.always);
      const stored = await storedFiles(page);
      expect(stored.bad).toEqual([]);

      server.fault = () => undefined;
      const after = (await load(page, url, user)) as Outcome;
      expect(after.error).toBeUndefined();
      expect(after.recs).toEqual(expected);
      expect(after.storage?.mode).toBe('indexeddb');
      await clearDb(page);
    });
  }

  test('a manifest request that is never answered ends in a DownloadError (stalled) within the bound', async ({ page }) => {
    await openHarness(page);
    server.fault = (p) => (p === 'manifest.json' ? 'stall-headers' : undefined);
    const r = (await load(page, `${server.origin}/models/${MODEL}/manifest.json`, user, { storage: 'memory' })) as Outcome;
    expect(r).not.toBe('hang');
    expect(r.error?.name).toBe('DownloadError');
    expect(r.error?.message).toMatch(/no response for 1500 ms \(stalled\)$/);
    server.fault = () => undefined;
  });
});

test('an IndexedDB open queued behind another tab’s blocked upgrade: the load serves from memory within the bound, with the reason', async ({ page, context }) => {
  await openHarness(page);
  const other = await context.newPage();
  await openHarness(other);
  // The other tab holds the database at version 1 and ignores versionchange; its second open (version 2) is blocked,
  // so every later open of the database waits behind it.
  await other.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const req = indexedDB.open('peelrec-runtime', 1);
        req.onsuccess = () => {
          (window as unknown as { held: IDBDatabase }).held = req.result;
          const upgrade = indexedDB.open('peelrec-runtime', 2);
          upgrade.onblocked = () => resolve();
        };
      }),
  );
  const fx = fixture(MODEL);
  const r = await load(page, manifestUrlOf(MODEL), fx.userIds[0]!);
  expect(r).not.toBe('hang');
  expect((r as Outcome).error).toBeUndefined();
  expect((r as Outcome).recs).toHaveLength(10);
  expect((r as Outcome).storage).toEqual({ mode: 'memory', reason: 'IndexedDB did not open within 2000 ms (another tab may be upgrading or deleting the database)' });
  await other.close();
});

test('a loaded recommender closes its database when another tab deletes it, and keeps serving', async ({ page, context }) => {
  await openHarness(page);
  const fx = fixture(MODEL);
  await page.evaluate(
    async ({ url, user }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, backend: 'wasm', wasmPaths: window.peel.wasmPaths });
      await rec.recommend({ user: { id: user }, k: 5 });
      await rec.persisted();
      (window as unknown as { rec: unknown }).rec = rec;
    },
    { url: manifestUrlOf(MODEL), user: fx.userIds[0]! },
  );
  const other = await context.newPage();
  await openHarness(other);
  const outcome = await other.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const req = indexedDB.deleteDatabase('peelrec-runtime');
        req.onsuccess = () => resolve('deleted');
        req.onblocked = () => setTimeout(() => resolve('blocked for 5 s'), 5000);
      }),
  );
  expect(outcome).toBe('deleted');
  const again = await page.evaluate(async (user) => {
    const rec = (window as unknown as { rec: { recommend(r: unknown): Promise<unknown[]>; dispose(): Promise<void> } }).rec;
    const n = (await rec.recommend({ user: { id: user }, k: 5 })).length;
    await rec.dispose();
    return n;
  }, fx.userIds[1]!);
  expect(again).toBe(5);
  await other.close();
});

test('k = 2 ** 29 on the WASM kernel returns the whole catalog, and the page goes on: dispose and a new recommender work', async ({ page }) => {
  await openHarness(page);
  const fx = fixture(MODEL);
  const r = await page.evaluate(
    async ({ url, user }) => {
      const open = () => window.peel.createRecommender({ manifestUrl: url, backend: 'wasm', wasmPaths: window.peel.wasmPaths, storage: 'memory' });
      const rec = await open();
      const all = await rec.recommend({ user: { id: user }, k: 2 ** 29 });
      const top = (await rec.recommend({ user: { id: user }, k: 10 })).map((x) => x.itemId);
      const backend = rec.info.backend.name;
      await rec.dispose();
      const next = await open();
      const again = (await next.recommend({ user: { id: user }, k: 10 })).map((x) => x.itemId);
      await next.dispose();
      return { n: all.length, distinct: new Set(all.map((x) => x.itemId)).size, top, again, backend };
    },
    { url: manifestUrlOf(MODEL), user: fx.userIds[2]! },
  );
  expect(r.backend).toBe('wasm');
  expect(r.n).toBe(fx.manifest.items.count);
  expect(r.distinct).toBe(fx.manifest.items.count);
  expect(r.again).toEqual(r.top);
});

test('a nearly full phone (storage.estimate: 10 MB quota, 9.99 MB used): the demo serves from memory and says why', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(StorageManager.prototype, 'estimate', { value: async () => ({ quota: 10_000_000, usage: 9_990_000 }), configurable: true });
  });
  await page.goto(`http://localhost:${DEMO_PORT}/`);
  await expect(page.locator('body')).toHaveAttribute('data-state', /ready|error/, { timeout: 60_000 });
  expect(await page.locator('body').getAttribute('data-state'), (await page.locator('#status').textContent()) ?? '').toBe('ready');
  await expect(page.locator('#recs li')).toHaveCount(20);
  await expect(page.locator('#engine-facts')).toContainText('memory only: storage headroom of');
});
