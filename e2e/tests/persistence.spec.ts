/**
 * Persistence: verified blocks go to IndexedDB, so a reload at the same budget
 * downloads no block, and a recommender created with the network cut still
 * recommends (manifest and blocks from IndexedDB).
 */
import { expect, test, type Page } from '@playwright/test';
import { NetworkLog, deployable, fixture, manifestUrlOf, openHarness, relativeTo } from './support.js';

const MODEL = 'synthetic';

async function load(page: Page, user: string) {
  return page.evaluate(
    async ({ url, user }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget: 'auto', backend: 'wasm', storage: 'indexeddb', wasmPaths: window.peel.wasmPaths, user: { id: user } });
      const recs = await rec.recommend({ user: { id: user }, k: 20 });
      const storage = await rec.persisted();
      const i = rec.info;
      const out = {
        recs: recs.map((r) => r.itemId),
        manifestSource: i.manifestSource,
        fileBytes: i.selection.fileBytes,
        downloadedBytes: i.downloadedBytes,
        cachedBytes: i.cachedBytes,
        storedBytes: storage.storedBytes,
        mode: storage.mode,
        contentHash: i.model.contentHash,
      };
      await rec.dispose();
      return out;
    },
    { url: manifestUrlOf(MODEL), user },
  );
}

test('a reload at the same budget downloads no block again and recommends the same items', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[1]!;
  const net = new NetworkLog(context);
  await openHarness(page);
  const first = await load(page, user);
  expect(first.mode).toBe('indexeddb');
  expect(first.storedBytes).toBeGreaterThanOrEqual(first.fileBytes);
  // Issued requests, not finished ones: Chromium may report a block response read to its end as ERR_ABORTED.
  const firstBlocks = net.issued.filter((p) => fx.blockFiles.has(relativeTo(MODEL, p)));
  expect(firstBlocks.length).toBeGreaterThan(0);

  net.clear();
  await page.reload();
  await page.waitForFunction(() => typeof window.peel === 'object');
  const second = await load(page, user);
  const secondFiles = await net.modelFiles(MODEL);
  const secondBlocks = net.issued.filter((p) => fx.blockFiles.has(relativeTo(MODEL, p)));
  expect(secondBlocks).toEqual([]); // no request for any packed block file
  expect(second.cachedBytes).toBeGreaterThanOrEqual(second.fileBytes);
  expect(second.recs).toEqual(first.recs);
  test.info().annotations.push({ type: 'reload', description: `second load fetched: ${secondFiles.map((f) => `${relativeTo(MODEL, f.path)} ${f.bytes} B`).join(', ') || 'nothing'}` });
});

test('with the network cut, a new recommender still recommends from IndexedDB (manifest from the cache)', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[2]!;
  await openHarness(page);
  const online = await load(page, user);
  await context.setOffline(true);
  try {
    const offline = await load(page, user);
    expect(offline.manifestSource).toBe('cache');
    expect(offline.downloadedBytes).toBe(0);
    expect(offline.contentHash).toBe(online.contentHash);
    expect(offline.recs).toEqual(online.recs);
  } finally {
    await context.setOffline(false);
  }
});

/** Creates a recommender in the page (cache-first, the default) and reports what it served and which events came. */
async function warmLoad(page: Page, url: string, user: string) {
  return page.evaluate(
    async ({ url, user }) => {
      const events: { type: string; detail: unknown }[] = [];
      // Kept on the page, so that a later evaluate sees events that came in between.
      (window as unknown as { heldEvents: typeof events }).heldEvents = events;
      const on = Object.fromEntries((['revalidated', 'updated', 'updatefailed'] as const).map((type) => [type, (detail: unknown) => events.push({ type, detail })]));
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget: 'auto', backend: 'wasm', wasmPaths: window.peel.wasmPaths, on });
      (window as unknown as { held: typeof rec }).held = rec;
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      return { source: rec.info.manifestSource, hash: rec.info.model.contentHash, recs: recs.map((r) => r.itemId), events };
    },
    { url, user },
  );
}

/** The top 10 of a clean network-first load in memory: what the version the server has now serves. */
async function cleanLoad(page: Page, url: string, user: string): Promise<string[]> {
  return page.evaluate(
    async ({ url, user }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, backend: 'wasm', storage: 'memory', wasmPaths: window.peel.wasmPaths, freshness: 'network-first' });
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      await rec.dispose();
      return recs.map((r) => r.itemId);
    },
    { url, user },
  );
}

/** A first (network) load, once its blocks are in IndexedDB, then a reload of the page: the setting of a warm start. */
async function loadStoredThenReload(page: Page, url: string, user: string) {
  await openHarness(page);
  const cold = await warmLoad(page, url, user);
  await page.evaluate(async () => (window as unknown as { held: { persisted(): Promise<unknown> } }).held.persisted());
  await page.reload();
  await page.waitForFunction(() => typeof window.peel === 'object');
  return cold;
}

test('cache-first: a warm start is ready from IndexedDB while the manifest request is held back', async ({ page, context }) => {
  const fx = fixture('small');
  const server = await deployable(context, 'warm', fx);
  const url = '/models/warm/manifest.json';
  const user = fx.userIds[0]!;
  const cold = await loadStoredThenReload(page, url, user);
  expect(cold.source).toBe('network');

  let release = () => {};
  server.hold = new Promise((r) => (release = r));
  const requestsBefore = server.manifestRequests;
  const warm = await warmLoad(page, url, user); // resolves only if the load does not wait for the manifest
  expect(warm.source).toBe('cache');
  expect(warm.hash).toBe(fx.manifest.model.contentHash);
  expect(warm.recs).toEqual(cold.recs);
  expect(warm.events).toEqual([]); // the revalidation has not answered
  await expect.poll(() => server.manifestRequests).toBe(requestsBefore + 1);
  // Once the manifest answers, the revalidation says the cached version is current.
  release();
  const revalidated = await page.waitForFunction(() => (window as unknown as { heldEvents: { type: string; detail: unknown }[] }).heldEvents.find((e) => e.type !== 'progress')?.detail);
  expect(await revalidated.jsonValue()).toEqual({ changed: false, contentHash: fx.manifest.model.contentHash });
  expect(await page.evaluate(() => (window as unknown as { heldEvents: { type: string }[] }).heldEvents.map((e) => e.type))).toEqual(['revalidated']);
});

test('cache-first: a deploy is served from the next load on: the old version first, then `updated`, then the new one', async ({ page, context }) => {
  const v1 = fixture('small');
  const v2 = fixture('small-v2');
  const server = await deployable(context, 'swr', v1);
  const url = '/models/swr/manifest.json';
  const user = v1.userIds[0]!;
  const first = await loadStoredThenReload(page, url, user);

  server.current = v2;
  const served = await warmLoad(page, url, user);
  expect(served.source).toBe('cache');
  expect(served.hash).toBe(v1.manifest.model.contentHash);
  expect(served.recs).toEqual(first.recs);
  // The update arrives in the background; every request before it ran on v1 whole, every one after on v2.
  const after = await page.evaluate(
    async ({ user }) => {
      const rec = (window as unknown as { held: Awaited<ReturnType<typeof window.peel.createRecommender>> }).held;
      const events = (window as unknown as { heldEvents: { type: string; detail: unknown }[] }).heldEvents;
      const before: string[][] = [];
      // Requests go on while the update loads; the loop ends once it switched (or failed).
      const outcome = () => events.find((e) => e.type === 'updated' || e.type === 'updatefailed');
      while (!outcome() && before.length < 4000) {
        const hash = rec.info.model.contentHash;
        const recs = await rec.recommend({ user: { id: user }, k: 10 });
        if (rec.info.model.contentHash === hash) before.push([hash, ...recs.map((r) => r.itemId)]);
        await new Promise((r) => setTimeout(r, 5));
      }
      const o = outcome();
      const updated = o?.type === 'updated' ? o.detail : o;
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      return { updated, hash: rec.info.model.contentHash, recs: recs.map((r) => r.itemId), before };
    },
    { user },
  );
  expect(after.updated).toEqual({ from: { id: v1.manifest.model.id, contentHash: v1.manifest.model.contentHash }, to: { id: v2.manifest.model.id, contentHash: v2.manifest.model.contentHash } });
  expect(after.hash).toBe(v2.manifest.model.contentHash);
  // v2's results equal a clean network-first v2 load.
  await page.reload();
  await page.waitForFunction(() => typeof window.peel === 'object');
  const clean = await cleanLoad(page, url, user);
  expect(after.recs).toEqual(clean);
  for (const [hash, ...recs] of after.before) expect(recs).toEqual(hash === v1.manifest.model.contentHash ? first.recs : clean);
  test.info().annotations.push({ type: 'update', description: `${after.before.length} requests answered while v2 loaded in the background` });
  // The next load starts from v2, stored before the switch.
  const next = await warmLoad(page, url, user);
  expect(next).toMatchObject({ source: 'cache', hash: v2.manifest.model.contentHash, recs: clean });
});

test("checkForUpdate: an open page moves to a redeploy in the scoring worker, within its budget (updates 'within-budget')", async ({ page, context }) => {
  const v1 = fixture('small');
  const v2 = fixture('small-v2');
  const server = await deployable(context, 'open', v1);
  const url = '/models/open/manifest.json';
  const user = v1.userIds[0]!;
  await openHarness(page);
  const opened = await page.evaluate(
    async ({ url, user }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget: 'auto', backend: 'wasm', wasmPaths: window.peel.wasmPaths, updates: 'within-budget' });
      (window as unknown as { held: typeof rec }).held = rec;
      const nothing = await rec.checkForUpdate();
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      return { nothing, recs: recs.map((r) => r.itemId), budget: rec.info.budget.bytes };
    },
    { url, user },
  );
  expect(opened.nothing).toEqual({ changed: false, contentHash: v1.manifest.model.contentHash, updated: false });

  server.current = v2;
  const moved = await page.evaluate(
    async ({ user }) => {
      const rec = (window as unknown as { held: Awaited<ReturnType<typeof window.peel.createRecommender>> }).held;
      const check = await rec.checkForUpdate();
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      const out = { check, hash: rec.info.model.contentHash, resident: rec.info.residentBytes, recs: recs.map((r) => r.itemId) };
      await rec.dispose();
      return out;
    },
    { user },
  );
  expect(moved.check).toEqual({ changed: true, contentHash: v2.manifest.model.contentHash, updated: true });
  expect(moved.hash).toBe(v2.manifest.model.contentHash);
  expect(moved.resident).toBeLessThanOrEqual(opened.budget);
  // v2 serves as a clean load of v2 would.
  const clean = await cleanLoad(page, url, user);
  expect(moved.recs).toEqual(clean);
  expect(moved.recs).not.toEqual(opened.recs);
});
