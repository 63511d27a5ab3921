/**
 * The runtime in real Chromium: a Vite-built page, real IndexedDB, real WASM
 * and WebGPU (SwiftShader) backends, against a small fixture artifact served
 * over HTTP. Every backend must return the reference top-k.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { decodeBlock, type Selection } from '@peelrec/format';
import { scoreReference, type RecommenderInfo } from '../src/index.js';
import { buildFixture, bytesOf, type Fixture } from '../test/fixtures/artifact.js';
import { startServer, type TestServer } from './server.js';
import { buildPage, expectAgreement, launch as launchChromium, open, openPage as openPageAt, type PageSetup, recommendMany } from './page.js';

// 300 items × 32 dims (4 blocks of 8), item groups 30/90/180, 3 user groups: small enough for SwiftShader.
const DIMS = 32;
const FULL = 300 * DIMS * 4;
const MIN = 300 * 8 * 4;

let fixture: Fixture;
let server: TestServer;
let outDir: string;
let removePage: (() => Promise<void>) | undefined;
const browsers: Browser[] = [];

beforeAll(async () => {
  fixture = await buildFixture({ seed: 5, items: 300, blockDim: 8, blocksPerItem: 4, itemGroupSizes: [30, 90, 180], userGroups: 3, users: 24, usersPerShard: 8 });
  const page = await buildPage();
  outDir = page.dir;
  removePage = page.remove;
  server = await startServer(outDir, fixture.files);
});

afterAll(async () => {
  for (const b of browsers) await b.close();
  await server?.close();
  await removePage?.();
});

async function launch(extra: string[] = []): Promise<Browser> {
  const b = await launchChromium(extra);
  browsers.push(b);
  return b;
}

const openPage = (browser: Browser, setup: PageSetup = {}, url = server.url): Promise<Page> => openPageAt(browser, url, setup);

function userRequest(u: number, k = 20) {
  return { user: { vector: Array.from(fixture.userVectors.subarray(u * DIMS, (u + 1) * DIMS)), group: fixture.userGroups[u]! }, k };
}

function referenceFor(selection: Selection, u: number, k = 20, exclude: number[] = []) {
  const byKey = new Map(selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b]));
  return scoreReference({
    manifest: fixture.manifest,
    selection,
    vector: fixture.userVectors.subarray(u * DIMS, (u + 1) * DIMS),
    k,
    exclude,
    block: (g, b) => {
      const f = byKey.get(`${g}/${b}`)!.file;
      return decodeBlock(bytesOf(fixture.files, f), f.dtype);
    },
  });
}

/** Scores each user of every group at the current selection and compares. */
async function checkAgainstReference(page: Page) {
  const groups = [0, 1, 2];
  for (const g of groups) {
    const users = [...fixture.userGroups.keys()].filter((u) => fixture.userGroups[u] === g).slice(0, 3);
    const results = await recommendMany(
      page,
      users.map((u) => userRequest(u)),
    );
    const info: RecommenderInfo = await page.evaluate(() => window.driver.info());
    expect(info.userGroup).toBe(g);
    expect(info.residentBytes).toBeLessThanOrEqual(info.budget.bytes);
    users.forEach((u, i) => expectAgreement(results[i]!, referenceFor(info.selection, u)));
  }
}

describe('WebGPU off', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });

  it('auto picks WASM with SIMD, says why not WebGPU, and agrees with the reference at every budget', async () => {
    const page = await openPage(browser, { noGpu: true });
    const info = await open(page, { backend: 'auto', budget: FULL, storage: 'memory' });
    expect(info.backend.name).toBe('wasm');
    expect(info.backend.wasm).toEqual({ simd: true, threads: false });
    expect(info.backend.fallbacks).toEqual([{ backend: 'webgpu', reason: expect.stringMatching(/navigator\.gpu/) }]);
    const dtypes = new Set<string>();
    for (const budget of [FULL, 20_000, MIN]) {
      const now: RecommenderInfo = await page.evaluate((b) => window.driver.setBudget(b), budget);
      expect(now.residentBytes).toBeLessThanOrEqual(budget);
      // The only live tensors are the resident embeddings: a shrink freed the rest before resolving.
      expect((await page.evaluate(() => window.driver.memory())).numBytes).toBe(now.residentBytes);
      // On WASM blocks stay in their file's dtype: f16 ones cost 2 bytes per value.
      expect(now.residentBytes).toBe(now.selection.fileBytes);
      dtypes.add(now.selection.dtype);
      await checkAgainstReference(page);
    }
    expect([...dtypes].sort()).toEqual(['f16', 'f32']); // f32 at the full budget, f16 (more blocks) below it
    // Exclusions: the best items of the unrestricted top-k are skipped, the rest move up.
    const last: RecommenderInfo = await page.evaluate(() => window.driver.info());
    const u = [...fixture.userGroups.keys()].find((x) => fixture.userGroups[x] === last.userGroup)!;
    const skip = referenceFor(last.selection, u, 5).map((r) => r.position);
    const [excluded] = await recommendMany(page, [{ ...userRequest(u), exclude: skip.map((p) => fixture.itemIds[p]!) }]);
    expectAgreement(excluded!, referenceFor(last.selection, u, 20, skip));
    expect(excluded!.some((r) => skip.includes(r.position))).toBe(false);
    const events: { type: string }[] = await page.evaluate(() => window.driver.events());
    expect(events.filter((e) => e.type === 'fallback')).toHaveLength(1);
    await page.context().close();
  });

  it('WASM kernel: a switch to a user group that shares the resident pack but scores by another rule downloads nothing and agrees', async () => {
    const shared = await buildFixture({
      seed: 6,
      items: 300,
      blockDim: 8,
      blocksPerItem: 4,
      itemGroupSizes: [30, 90, 180],
      userGroups: 2,
      users: 8,
      usersPerShard: 8,
      sharedTable: true,
      scoring: ['mean', 'truncated'],
    });
    const sharedServer = await startServer(outDir, shared.files);
    try {
      const page = await openPage(browser, { noGpu: true }, sharedServer.url);
      // Part of each item group's blocks (f16 files: 9,600 B hold 2 of 4), so the two rules weigh them differently.
      const first = await open(page, { backend: 'wasm', budget: 10_000, storage: 'memory', userGroup: 0 });
      expect(first.selection.blocks.length).toBeLessThan(12);
      expect(first.userGroup).toBe(0);
      const before = sharedServer.modelRequests.filter((p) => p.endsWith('.bin') && p.startsWith('blocks/')).length;
      expect(before).toBeGreaterThan(0);
      const u = 1; // user 1 is in group 1
      const vector = Array.from(shared.userVectors.subarray(u * DIMS, (u + 1) * DIMS));
      const [got] = await recommendMany(page, [{ user: { vector, group: 1 }, k: 20 }]);
      const info: RecommenderInfo = await page.evaluate(() => window.driver.info());
      expect(info.userGroup).toBe(1);
      expect(info.selection.scoring).toBe('truncated');
      expect(sharedServer.modelRequests.filter((p) => p.endsWith('.bin') && p.startsWith('blocks/'))).toHaveLength(before);
      const byKey = new Map(info.selection.blocks.map((b) => [`${b.itemGroup}/${b.block}`, b]));
      const want = scoreReference({
        manifest: shared.manifest,
        selection: info.selection,
        vector: shared.userVectors.subarray(u * DIMS, (u + 1) * DIMS),
        k: 20,
        block: (g, b) => {
          const f = byKey.get(`${g}/${b}`)!.file;
          return decodeBlock(bytesOf(shared.files, f), f.dtype);
        },
      });
      expectAgreement(got!, want);
      await page.context().close();
    } finally {
      await sharedServer.close();
    }
  });

  it('keeps f16 blocks as f16 on WASM: a budget below one f32 block per item group is served there, and refused on cpu (f32 resident)', async () => {
    const page = await openPage(browser, { noGpu: true });
    const budget = MIN - 1; // one f16 block per item group fits, one f32 block does not
    const info = await open(page, { backend: 'wasm', budget, storage: 'memory' });
    expect(info.selection.dtype).toBe('f16');
    expect(info.residentBytes).toBe(info.selection.fileBytes);
    expect(info.residentBytes).toBeLessThanOrEqual(budget);
    expect((await page.evaluate(() => window.driver.memory())).numBytes).toBe(info.residentBytes);
    await checkAgainstReference(page);
    await page.evaluate(() => window.driver.dispose());
    const refused = await page.evaluate(
      (b) =>
        window.driver.open({ backend: 'cpu', budget: b, storage: 'memory' }).then(
          () => null,
          (e: Error) => ({ name: e.name, minimumBytes: (e as Error & { minimumBytes?: number }).minimumBytes }),
        ),
      budget,
    );
    expect(refused).toEqual({ name: 'BudgetTooSmallError', minimumBytes: MIN });
    await page.context().close();
  });

  it('the cpu backend agrees with the reference', async () => {
    const page = await openPage(browser, { noGpu: true });
    const info = await open(page, { backend: 'cpu', budget: 30_000, storage: 'memory' });
    expect(info.backend).toMatchObject({ name: 'cpu', fallbacks: [] });
    await checkAgainstReference(page);
    await page.context().close();
  });

  it('leaks no tensors across 1,000 calls on WASM', async () => {
    const page = await openPage(browser, { noGpu: true });
    await open(page, { backend: 'wasm', budget: FULL, storage: 'memory' });
    const { before, after } = await page.evaluate(async () => {
      const request = { user: { id: '0' }, k: 10 };
      await window.driver.recommend(request);
      const before = window.driver.memory();
      for (let i = 0; i < 1000; i++) await window.driver.recommend(request);
      return { before, after: window.driver.memory() };
    });
    expect(after).toEqual(before);
    await page.context().close();
  });

  it.each([
    ['old bucket 0.25 GiB', 0.25, 'deviceMemory', 4 * 1024 * 1024],
    ["Chrome 147+'s 32 GiB", 32, 'deviceMemory', 512 * 1024 * 1024],
    ['absent (Firefox, Safari)', null, 'default', 16 * 1024 * 1024],
  ] as const)('auto budget from navigator.deviceMemory: %s', async (_name, deviceMemory, decidedBy, bytes) => {
    const page = await openPage(browser, { noGpu: true, deviceMemory });
    const info = await open(page, { backend: 'wasm', budget: 'auto', storage: 'indexeddb' });
    expect(info.budget.inputs.deviceMemory).toBe(deviceMemory ?? undefined);
    expect(info.budget.inputs.storage?.quota).toBeGreaterThan(0); // navigator.storage.estimate() was read
    expect(info.budget).toMatchObject({ decidedBy, bytes });
    expect(info.residentBytes).toBeLessThanOrEqual(bytes);
    await page.context().close();
  });

  it('cross-origin isolated: WASM still runs single-threaded (threaded tfjs-wasm hangs in this build) and agrees', async () => {
    server.isolated = true;
    try {
      const page = await openPage(browser, { noGpu: true });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      const info = await open(page, { backend: 'wasm', budget: FULL, storage: 'memory' });
      expect(info.backend.wasm).toEqual({ simd: true, threads: false });
      await checkAgainstReference(page);
      await page.context().close();
    } finally {
      server.isolated = false;
    }
  });

  it('reads deviceMemory and storage.estimate() inside a worker too', async () => {
    const page = await openPage(browser, { noGpu: true });
    const pageMemory = await page.evaluate(() => (navigator as { deviceMemory?: number }).deviceMemory);
    const decision = (await page.evaluate(() => window.driver.workerBudget())) as RecommenderInfo['budget'];
    expect(pageMemory).toBeGreaterThan(0);
    expect(decision.inputs.deviceMemory).toBe(pageMemory);
    expect(decision.inputs.storage?.quota).toBeGreaterThan(0);
    expect(['deviceMemory', 'storage']).toContain(decision.decidedBy);
    await page.context().close();
  });

  it('persists across reloads: the same budget downloads nothing, and an offline reload still works', async () => {
    const page = await openPage(browser, { noGpu: true });
    const first = await open(page, { backend: 'wasm', budget: 20_000 });
    expect(first.storage.mode).toBe('indexeddb');
    expect(first.downloadedBytes).toBeGreaterThan(0);
    const stored = await page.evaluate(() => window.driver.persisted());
    expect(stored.pendingWrites).toBe(0);
    expect(stored.storedBytes).toBeGreaterThanOrEqual(first.selection.fileBytes);
    const [want] = await recommendMany(page, [userRequest(0)]);

    const before = server.modelRequests.length;
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    const again = await open(page, { backend: 'wasm', budget: 20_000 });
    expect(again.downloadedBytes).toBe(0);
    expect(again.cachedBytes).toBeGreaterThan(0);
    // Cache-first: ready from IndexedDB; the manifest is revalidated in the background, and nothing else is requested.
    expect(again.manifestSource).toBe('cache');
    await expect.poll(() => server.modelRequests.slice(before)).toEqual(['manifest.json']);

    server.offline = true;
    try {
      await page.reload();
      await page.waitForFunction(() => document.title === 'ready');
      const offline = await open(page, { backend: 'wasm', budget: 20_000 });
      expect(offline.manifestSource).toBe('cache');
      expect(offline.downloadedBytes).toBe(0);
      expect((await recommendMany(page, [userRequest(0)]))[0]).toEqual(want);
    } finally {
      server.offline = false;
    }
    await page.context().close();
  });
});

describe('WebGPU on (SwiftShader)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch(['--enable-unsafe-webgpu']);
  });

  it('auto prefers WASM over the software adapter and says so', async () => {
    const page = await openPage(browser);
    const info = await open(page, { backend: 'auto', budget: MIN, storage: 'memory' });
    expect(info.backend.adapter?.isFallbackAdapter).toBe(true);
    expect(info.backend.name).toBe('wasm');
    expect(info.backend.fallbacks).toEqual([{ backend: 'webgpu', reason: expect.stringMatching(/isFallbackAdapter/) }]);
    await page.context().close();
  });

  it('forced WebGPU agrees with the reference, honours the binding limit, and falls back when the device is lost', async () => {
    const page = await openPage(browser);
    const info = await open(page, { backend: 'webgpu', budget: 20_000, storage: 'memory' });
    expect(info.backend.name).toBe('webgpu');
    expect(info.budget.inputs.maxStorageBufferBindingSize).toBeGreaterThan(0);
    await checkAgainstReference(page);

    await page.evaluate(() => window.driver.loseDevice());
    // The next request waits for the recovery and is served by WASM.
    const [after] = await recommendMany(page, [userRequest(0)]);
    const now: RecommenderInfo = await page.evaluate(() => window.driver.info());
    expect(now.backend.name).toBe('wasm');
    expect(now.backend.fallbacks[0]).toMatchObject({ backend: 'webgpu', reason: expect.stringMatching(/lost/) });
    expectAgreement(after!, referenceFor(now.selection, 0));
    await page.context().close();
  });
});
