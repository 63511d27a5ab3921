/**
 * Faults. Each leaves the page working and loses nothing: the error (when
 * there is one) is typed and names the problem, and a later load succeeds
 * with what was already verified and stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { refName, type BlockFile, type FileRef } from '@peelrec/format';
import { NetworkLog, countServed, fixture, manifestUrlOf, openHarness, relativeTo, type FixtureOnDisk } from './support.js';

const MODEL = 'small';

interface LoadResult {
  ok: boolean;
  error?: { name: string; message: string };
  recs?: string[];
  events?: { type: string; detail: unknown }[];
  storage?: { mode: string; reason?: string; storedBytes: number };
  selectedFiles?: FileRef[];
  contentHash?: string;
}

/** The block refs of the fixture that lie wholly inside bytes [first, last] of the file at `path`. */
function blocksWithin(fx: FixtureOnDisk, path: string, first: number, last: number): BlockFile[] {
  return fx.manifest.blocks.flatMap((b) => b.files).filter((f) => f.url === path && f.offset !== undefined && f.offset >= first && f.offset + f.byteLength - 1 <= last);
}

/** The first and last byte a request asked for (a Range header), or the whole file. */
async function rangeOf(request: { headerValue(name: string): Promise<string | null> }, size: number): Promise<[number, number]> {
  const m = /^bytes=(\d+)-(\d+)$/.exec((await request.headerValue('range')) ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [0, size - 1];
}

/** createRecommender + recommend + persisted, reporting errors by name and message instead of throwing. */
async function tryLoad(
  page: Page,
  opts: {
    url?: string;
    budget?: number | 'auto';
    user: string;
    storage?: 'indexeddb' | 'memory';
    /** load the user's group at creation (default true) */ prepare?: boolean;
    /** default: the runtime's ('cache-first') */ freshness?: 'cache-first' | 'network-first';
    /** default: the runtime's (the scoring worker) */ worker?: boolean;
  },
): Promise<LoadResult> {
  return page.evaluate(
    async ({ url, budget, user, storage, prepare, freshness, worker }) => {
      const events: { type: string; detail: unknown }[] = [];
      try {
        // Listeners go in at creation (the `on` option), so events fired while loading are seen too.
        const on = Object.fromEntries((['integrity', 'quota', 'eviction', 'storage', 'fallback'] as const).map((type) => [type, (detail: unknown) => events.push({ type, detail })]));
        const rec = await window.peel.createRecommender({
          manifestUrl: url,
          budget,
          backend: 'wasm',
          storage,
          wasmPaths: window.peel.wasmPaths,
          retries: 2,
          on,
          ...(prepare && { user: { id: user } }),
          ...(worker !== undefined && { worker }),
          ...(freshness && { freshness }),
        });
        const recs = await rec.recommend({ user: { id: user }, k: 10 });
        const s = await rec.persisted();
        const out = {
          ok: true,
          recs: recs.map((r) => r.itemId),
          events,
          storage: { mode: s.mode, reason: s.reason, storedBytes: s.storedBytes },
          selectedFiles: rec.info.selection.blocks.map((b) => b.file),
          contentHash: rec.info.model.contentHash,
        };
        await rec.dispose();
        return out;
      } catch (e) {
        return { ok: false, error: { name: (e as Error).name, message: (e as Error).message }, events };
      }
    },
    {
      url: opts.url ?? manifestUrlOf(MODEL),
      budget: opts.budget ?? 'auto',
      user: opts.user,
      storage: opts.storage ?? 'indexeddb',
      prepare: opts.prepare ?? true,
      freshness: opts.freshness,
      worker: opts.worker,
    },
  );
}

/** The recommendations of a clean, memory-only load: what every recovered load must match. */
async function cleanRecs(page: Page, user: string, url?: string): Promise<string[]> {
  const r = await tryLoad(page, { user, storage: 'memory', url });
  expect(r.error).toBeUndefined();
  return r.recs!;
}

test('corrupted block bytes are detected, fetched again, and never used or stored', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[0]!;
  await openHarness(page);
  // The clean reference load comes after the corrupted one: loaded first, its blocks would sit in the browser's
  // HTTP cache and the corrupted load would never reach the network (found on a freshly trained fixture).
  // Corrupt every block of item group 0 once (whatever dtype the runtime picks), flipping one byte in its middle:
  // blocks are byte ranges of packed files, so the bytes of a response are mapped back to the blocks they carry.
  const corrupted = new Set<string>();
  const requested: { path: string; range: [number, number] }[] = [];
  await context.route(/\/models\/small\//, async (route) => {
    const path = relativeTo(MODEL, new URL(route.request().url()).pathname);
    if (!fx.blockFiles.has(path)) return route.continue();
    const res = await route.fetch();
    const body = Buffer.from(await res.body());
    const range = await rangeOf(route.request(), body.length);
    requested.push({ path, range });
    const start = res.status() === 206 ? range[0] : 0;
    const group0 = fx.manifest.blocks.filter((b) => b.itemGroup === 0).flatMap((b) => b.files);
    for (const f of blocksWithin(fx, path, start, start + body.length - 1)) {
      if (!group0.includes(f) || corrupted.has(refName(f))) continue;
      body[f.offset! - start + (f.byteLength >> 1)]! ^= 0xff;
      corrupted.add(refName(f));
    }
    await route.fulfill({ response: res, body });
  });
  const net = new NetworkLog(context);
  const r = await tryLoad(page, { user });
  expect(r.error).toBeUndefined();
  const hit = r.selectedFiles!.filter((f) => corrupted.has(refName(f)));
  expect(hit.length).toBeGreaterThan(0);
  const integrity = r.events!.filter((e) => e.type === 'integrity');
  test.info().annotations.push({ type: 'integrity events', description: JSON.stringify(integrity) });
  // Each corrupted block was reported and its bytes requested twice (bad, then good), and the result equals the clean load.
  for (const f of hit) {
    expect(
      integrity.some((e) => (e.detail as { file: string }).file === refName(f)),
      refName(f),
    ).toBe(true);
    expect(requested.filter((q) => q.path === f.url && q.range[0] <= f.offset! && q.range[1] >= f.offset! + f.byteLength - 1).length, refName(f)).toBe(2);
  }
  expect(integrity.length).toBe(hit.length);
  await context.unrouteAll({ behavior: 'wait' });
  const expected = await cleanRecs(page, user);
  expect(r.recs).toEqual(expected);
  // What was stored is the good copy: a reload with no route serves from IndexedDB and still matches.
  net.clear();
  const again = await tryLoad(page, { user });
  expect(again.recs).toEqual(expected);
  const refetched = net.issued.filter((p) => fx.blockFiles.has(relativeTo(MODEL, p)));
  expect(refetched).toEqual([]);
});

test('a block that stays corrupted fails the load with an IntegrityError naming the file; the page recovers', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[0]!;
  await openHarness(page);
  await context.route(/\/models\/small\//, async (route) => {
    if (!fx.blockFiles.has(relativeTo(MODEL, new URL(route.request().url()).pathname))) return route.continue();
    const res = await route.fetch();
    const body = Buffer.from(await res.body());
    body[0]! ^= 0x01;
    await route.fulfill({ response: res, body });
  });
  const bad = await tryLoad(page, { user });
  expect(bad.ok).toBe(false);
  expect(bad.error!.name).toBe('IntegrityError');
  expect(bad.error!.message).toMatch(/Integrity check failed for \S+/);
  await context.unrouteAll({ behavior: 'wait' });
  const good = await tryLoad(page, { user });
  expect(good.error).toBeUndefined();
  expect(good.recs!.length).toBe(10);
});

test('a 404 on a block gives a DownloadError naming the file and status; a later load completes', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[0]!;
  await openHarness(page);
  const expected = await cleanRecs(page, user);
  let missing = '';
  await context.route(/\/models\/small\//, async (route) => {
    const path = relativeTo(MODEL, new URL(route.request().url()).pathname);
    if (!fx.blockFiles.has(path)) return route.continue();
    if (!missing) missing = path; // a packed block file: every range of it is missing
    if (path !== missing) return route.continue();
    await route.fulfill({ status: 404, body: 'not found' });
  });
  const bad = await tryLoad(page, { user });
  expect(bad.ok).toBe(false);
  expect(bad.error!.name).toBe('DownloadError');
  expect(bad.error!.message).toContain(missing);
  expect(bad.error!.message).toMatch(/404/);
  await context.unrouteAll({ behavior: 'wait' });
  const good = await tryLoad(page, { user });
  expect(good.error).toBeUndefined();
  expect(good.recs).toEqual(expected);
});

test('a truncated manifest gives a ManifestError saying it is not valid JSON', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const text = readFileSync(join(fx.dir, 'manifest.json'), 'utf8');
  await context.route(/\/models\/small\/manifest\.json$/, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: text.slice(0, text.length >> 1) }));
  await openHarness(page);
  const r = await tryLoad(page, { user: fx.userIds[0]! });
  expect(r.ok).toBe(false);
  expect(r.error!.name).toBe('ManifestError');
  expect(r.error!.message).toMatch(/not valid JSON/i);
  await context.unrouteAll({ behavior: 'wait' });
  expect((await tryLoad(page, { user: fx.userIds[0]! })).error).toBeUndefined();
});

test('a manifest of an unknown format version gives an UnsupportedVersionError naming both versions', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const json = JSON.parse(readFileSync(join(fx.dir, 'manifest.json'), 'utf8'));
  json.formatVersion = 99;
  await context.route(/\/models\/small\/manifest\.json$/, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(json) }));
  await openHarness(page);
  const r = await tryLoad(page, { user: fx.userIds[0]! });
  expect(r.ok).toBe(false);
  expect(r.error!.name).toBe('UnsupportedVersionError');
  expect(r.error!.message).toMatch(/version 99.*version\(s\) 2/);
});

test('a storage quota too small for the selection (CDP Storage.overrideQuotaForOrigin) evicts or falls back to memory, with an event, and still recommends', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[0]!;
  await openHarness(page);
  const expected = await cleanRecs(page, user);
  const cdp = await context.newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const quotaSize = 64 * 1024;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
  // Found on the first run: Chromium enforces the override on writes (QuotaExceededError) but
  // navigator.storage.estimate() still reports the unchanged quota, so the budget policy cannot see it.
  const est = await page.evaluate(() => navigator.storage.estimate());
  test.info().annotations.push({ type: 'estimate under override', description: JSON.stringify(est) });
  // An explicit budget: the app asked for it, so storage may not cut it (the store must cope instead).
  const budget = fx.manifest.items.count * fx.manifest.dims.fullDim * 4;
  const r = await tryLoad(page, { user, budget });
  test.info().annotations.push({ type: 'quota', description: JSON.stringify({ storage: r.storage, events: r.events, error: r.error }) });
  expect(r.error).toBeUndefined();
  expect(r.recs).toEqual(expected);
  // The runtime coped: it stored no more than the quota, and if it gave up on IndexedDB it says why.
  // (Quota events during createRecommender fire before a listener can be attached, so the state is what is asserted.)
  expect(r.storage!.storedBytes).toBeLessThanOrEqual(quotaSize);
  if (r.storage!.mode === 'memory') expect(r.storage!.reason).toMatch(/quota/i);
  else expect(r.events!.some((e) => e.type === 'quota' || e.type === 'eviction')).toBe(true);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
});

for (const [how, script] of [
  ['window.indexedDB is undefined', () => Object.defineProperty(window, 'indexedDB', { get: () => undefined, configurable: true })],
  [
    'indexedDB.open throws',
    () => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('The user denied permission to access the database.', 'SecurityError');
      };
    },
  ],
] as const) {
  test(`IndexedDB unavailable (${how}): memory mode, with the reason, and recommendations`, async ({ page }) => {
    const fx = fixture(MODEL);
    await page.addInitScript(script);
    await openHarness(page);
    // In-thread: the init script breaks this page's IndexedDB only, not a worker's (a browser without it lacks it in both).
    const r = await tryLoad(page, { user: fx.userIds[0]!, worker: false });
    expect(r.error).toBeUndefined();
    expect(r.storage!.mode).toBe('memory');
    expect(r.storage!.reason).toMatch(/indexeddb/i);
    expect(r.recs!.length).toBe(10);
  });
}

test('a model upgrade while a second tab holds the old version: the old tab keeps its results, the new one gets the new model, nothing mixes', async ({ context }) => {
  const v1 = fixture('small');
  const v2 = fixture('small-v2');
  expect(v2.manifest.model.contentHash).not.toBe(v1.manifest.model.contentHash);
  let current = v1;
  // /models/upgrade/ serves whichever version is current, as a CDN would after a deploy.
  await context.route(/\/models\/upgrade\/.+/, (route) => {
    const rel = new URL(route.request().url()).pathname.slice('/models/upgrade/'.length);
    return route.fulfill({ path: join(current.dir, rel), headers: { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' } });
  });
  const url = '/models/upgrade/manifest.json';
  const user = v1.userIds[0]!;
  const tabA = await context.newPage();
  await openHarness(tabA);
  const oldExpected = await cleanRecs(tabA, user, url);

  // Tab A holds v1 open.
  const holdA = await tabA.evaluate(
    async ({ url, user }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget: 'auto', backend: 'wasm', storage: 'indexeddb', wasmPaths: window.peel.wasmPaths });
      (window as unknown as { held: typeof rec }).held = rec;
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      await rec.persisted();
      return { hash: rec.info.model.contentHash, recs: recs.map((r) => r.itemId) };
    },
    { url, user },
  );
  expect(holdA.hash).toBe(v1.manifest.model.contentHash);
  expect(holdA.recs).toEqual(oldExpected);

  // Deploy v2; tab B loads it on the same load (network-first: with IndexedDB holding v1, cache-first would serve v1 first).
  current = v2;
  const tabB = await context.newPage();
  await openHarness(tabB);
  const newExpected = await cleanRecs(tabB, user, url);
  const b = await tryLoad(tabB, { url, user, freshness: 'network-first' });
  expect(b.error).toBeUndefined();
  expect(b.contentHash).toBe(v2.manifest.model.contentHash);
  expect(b.recs).toEqual(newExpected);

  // Tab A still answers from v1, unchanged.
  const stillA = await tabA.evaluate(
    async ({ user }) => {
      const rec = (window as unknown as { held: Awaited<ReturnType<typeof window.peel.createRecommender>> }).held;
      const recs = await rec.recommend({ user: { id: user }, k: 10 });
      return { hash: rec.info.model.contentHash, recs: recs.map((r) => r.itemId) };
    },
    { user },
  );
  expect(stillA.hash).toBe(v1.manifest.model.contentHash);
  expect(stillA.recs).toEqual(oldExpected);

  // Tab A reloads: v2, from IndexedDB where tab B stored it, equal to a clean v2 load.
  const net = new NetworkLog(context);
  await tabA.reload();
  await tabA.waitForFunction(() => typeof window.peel === 'object');
  const a2 = await tryLoad(tabA, { url, user });
  expect(a2.contentHash).toBe(v2.manifest.model.contentHash);
  expect(a2.recs).toEqual(newExpected);
  const blocks = net.issued.filter((p) => p.startsWith('/models/upgrade/') && v2.blockFiles.has(p.slice('/models/upgrade/'.length)));
  expect(blocks).toEqual([]);
});

test('going offline in the middle of a download fails the load clearly; back online, the next load completes and reuses what was stored', async ({ page, context }) => {
  const fx = fixture(MODEL);
  const user = fx.userIds[0]!;
  await openHarness(page);
  const expected = await cleanRecs(page, user);
  // The first block response carries 40% of its bytes, then the network is cut: every later request fails.
  let cut = false;
  const beforeCut: FileRef[] = [];
  await context.route(/\/models\/small\//, async (route) => {
    const path = relativeTo(MODEL, new URL(route.request().url()).pathname);
    if (!fx.blockFiles.has(path)) return route.continue();
    if (cut) return route.abort('internetdisconnected');
    cut = true;
    const res = await route.fetch();
    const body = await res.body();
    const [first] = await rangeOf(route.request(), body.length);
    const kept = body.subarray(0, Math.floor(body.length * 0.4));
    beforeCut.push(...blocksWithin(fx, path, first, first + kept.length - 1));
    await context.setOffline(true);
    return route.fulfill({ status: res.status(), headers: res.headers(), body: kept });
  });
  const bad = await tryLoad(page, { user });
  expect(bad.ok).toBe(false);
  // Nobody aborted this load: a cut network is a DownloadError naming the file, never an AbortError.
  expect(bad.error).toEqual({ name: 'DownloadError', message: expect.stringMatching(/^Download of \S+ failed: /) });
  expect(beforeCut.length).toBeGreaterThan(0);
  await context.setOffline(false);
  await context.unrouteAll({ behavior: 'wait' });
  const served = await countServed(context, `/models/${MODEL}/`);
  const good = await tryLoad(page, { user });
  expect(good.error).toBeUndefined();
  expect(good.recs).toEqual(expected);
  const second = served.filter((s) => fx.blockFiles.has(relativeTo(MODEL, s.path)));
  test
    .info()
    .annotations.push({ type: 'offline', description: `before the cut: ${beforeCut.length} blocks; after: ${second.length} requests for ${good.selectedFiles!.length - beforeCut.length} blocks` });
  // Blocks that arrived whole before the cut (so were verified and stored) are not fetched again; the rest are.
  const fetchedAgain = (f: FileRef) => second.some((s) => relativeTo(MODEL, s.path) === f.url && s.range && s.range[0] <= f.offset! + f.byteLength - 1 && s.range[1] >= f.offset!);
  expect(beforeCut.filter(fetchedAgain).map(refName), 'blocks that arrived before the cut but were fetched again').toEqual([]);
  const stored = new Set(beforeCut.map(refName));
  for (const f of good.selectedFiles!) expect(stored.has(refName(f)) || fetchedAgain(f), `${refName(f)} never arrived`).toBe(true);
});
