/**
 * The scoring worker (the default where Workers exist): the page's recommender is a proxy, the model loads and
 * scores in a dedicated module Worker. It must serve what the in-thread path serves, with the budget the page
 * decides (a page's deviceMemory override does not reach workers), its events and its error classes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RecommenderInfo } from '../src/index.js';
import { buildFixture, type Fixture } from '../test/fixtures/artifact.js';
import { startServer, type TestServer } from './server.js';
import { buildPage, launch, open, openPage, recommendMany } from './page.js';

const DIMS = 32;
const FULL = 300 * DIMS * 4;
const MIN = 300 * 8 * 4;

let fixture: Fixture;
let server: TestServer;
let removePage: (() => Promise<void>) | undefined;
let browser: Browser;

beforeAll(async () => {
  fixture = await buildFixture({ seed: 5, items: 300, blockDim: 8, blocksPerItem: 4, itemGroupSizes: [30, 90, 180], userGroups: 3, users: 24, usersPerShard: 8 });
  const page = await buildPage();
  removePage = page.remove;
  server = await startServer(page.dir, fixture.files);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await removePage?.();
});

const requests = () =>
  [0, 5, 11, 17].map((u) => ({
    user: { vector: Array.from(fixture.userVectors.subarray(u * DIMS, (u + 1) * DIMS)), group: fixture.userGroups[u]! },
    k: 20,
    exclude: [fixture.itemIds[3]!, fixture.itemIds[250]!],
  }));

describe('scoring worker', () => {
  it("runs in a Worker (worker: true; the default where Workers exist, see worker-protocol.test.ts), with the page's deviceMemory, and serves what the in-thread path serves", async () => {
    const page = await openPage(browser, server.url, { deviceMemory: 0.25, noGpu: true });
    await page.evaluate(() => {
      const W = window.Worker;
      const started: string[] = [];
      (window as unknown as { workersStarted: string[] }).workersStarted = started;
      window.Worker = class extends W {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          started.push(options?.name ?? '');
        }
      };
    });
    const info = await open(page, { backend: 'wasm', storage: 'memory', worker: true });
    expect(await page.evaluate(() => window.driver.workersStarted())).toEqual(['peelrec-scoring']);
    // Decided by the page's reading: the worker's own navigator reports Chromium's value, not 0.25.
    expect(info.budget.inputs.deviceMemory).toBe(0.25);
    expect(info.budget.decidedBy).toBe('deviceMemory');
    const inWorker = await recommendMany(page, requests());
    const catalogInWorker = await page.evaluate(() => window.driver.catalog());
    await page.evaluate(() => window.driver.dispose());
    await open(page, { backend: 'wasm', storage: 'memory', budget: info.budget.bytes, worker: false });
    const inThread = await recommendMany(page, requests());
    expect(inWorker).toEqual(inThread);
    // The catalog crosses packed (catalog.ts) and is rebuilt on the page: the same ids and metadata, by position.
    expect(catalogInWorker.ids).toEqual([...fixture.itemIds]);
    expect(catalogInWorker.metadata).toHaveLength(300);
    expect(catalogInWorker).toEqual(await page.evaluate(() => window.driver.catalog()));
    expect(inWorker.flat().some((r) => r.itemId === fixture.itemIds[3] || r.itemId === fixture.itemIds[250])).toBe(false);
    await page.context().close();
  });

  it("a page served by the worker never loads the in-thread loader's code; a page without the worker does", async () => {
    const scripts = (page: import('playwright-core').Page) =>
      page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((r) => new URL(r.name).pathname)
          .filter((n) => n.endsWith('.js')),
      );
    const served = await openPage(browser, server.url, { noGpu: true });
    await open(served, { backend: 'wasm', storage: 'memory', budget: FULL, worker: true });
    expect(await recommendMany(served, requests().slice(0, 1))).toHaveLength(1);
    // The page's own resources (the worker's fetches are in the worker's timeline).
    expect((await scripts(served)).filter((n) => n.includes('fresh-recommender'))).toEqual([]);
    await served.context().close();
    const alone = await openPage(browser, server.url, { noGpu: true });
    await open(alone, { backend: 'wasm', storage: 'memory', budget: FULL, worker: false });
    expect((await scripts(alone)).filter((n) => n.includes('fresh-recommender'))).toHaveLength(1);
    await alone.context().close();
  });

  it("a warm start in the worker does not load the format's schemas; the cold start that stored the version did", async () => {
    const page = await openPage(browser, server.url, { noGpu: true });
    const schemaChunks: string[] = [];
    // Requests of the page and of its worker (Chromium reports both to the page).
    page.on('request', (r) => void (new URL(r.url()).pathname.includes('schema-checks') && schemaChunks.push(r.url())));
    const cold = await open(page, { backend: 'wasm', budget: FULL, worker: true });
    expect(cold.storage.mode).toBe('indexeddb');
    expect(schemaChunks.length).toBeGreaterThan(0);
    expect((await page.evaluate(() => window.driver.persisted())).pendingWrites).toBe(0);
    schemaChunks.length = 0;
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    const warm = await open(page, { backend: 'wasm', budget: FULL, worker: true });
    expect(warm).toMatchObject({ manifestSource: 'cache', downloadedBytes: 0 });
    expect(await recommendMany(page, requests().slice(0, 1))).toHaveLength(1);
    // The background revalidation found the same manifest text: nothing to check either.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    expect(schemaChunks).toEqual([]);
    await page.context().close();
  });

  it('makes no WebGPU adapter request on the page (synchronous IPC on its main thread): the worker asks', async () => {
    const page = await openPage(browser, server.url);
    await page.evaluate(() => {
      // The page's navigator.gpu, counting requests: the worker's navigator is its own and is not replaced.
      const asked: string[] = [];
      (window as unknown as { adapterRequests: string[] }).adapterRequests = asked;
      Object.defineProperty(Navigator.prototype, 'gpu', {
        get: () => ({ requestAdapter: async () => (asked.push('page'), null) }),
        configurable: true,
      });
    });
    const info = await open(page, { backend: 'auto', storage: 'memory', budget: FULL, worker: true });
    expect(info.backend.name).not.toBe('webgpu');
    expect(await page.evaluate(() => (window as unknown as { adapterRequests: string[] }).adapterRequests)).toEqual([]);
    expect(await recommendMany(page, requests().slice(0, 1))).toHaveLength(1);
    await page.context().close();
  });

  it('loads on the page when the worker script cannot be fetched (offline without a cached copy), and says so', async () => {
    const page = await openPage(browser, server.url, { noGpu: true });
    await page.context().route(/scoring-worker/, (route) => route.abort());
    const debug: string[] = [];
    page.on('console', (m) => void (m.type() === 'debug' && debug.push(m.text())));
    const info = await open(page, { backend: 'wasm', storage: 'memory', budget: FULL, worker: true });
    expect(info.backend.name).toBe('wasm');
    const [recs] = await recommendMany(page, requests().slice(0, 1));
    expect(recs).toHaveLength(20);
    // In-thread: this page's tfjs holds the resident tensors.
    expect((await page.evaluate(() => window.driver.memory())).numBytes).toBe(info.residentBytes);
    expect(debug.filter((t) => t.includes('scoring worker'))).toEqual(['[peelrec] the scoring worker did not start; loading on this thread']);
    await page.context().close();
  });

  it('mirrors info after setBudget, forwards its events, and rejects with the error classes the page imports', async () => {
    const page = await openPage(browser, server.url, { noGpu: true });
    await open(page, { backend: 'wasm', storage: 'memory', budget: FULL, worker: true });
    const shrunk: RecommenderInfo = await page.evaluate((b) => window.driver.setBudget(b), MIN);
    expect(shrunk.budget.bytes).toBe(MIN);
    expect(shrunk.residentBytes).toBeLessThanOrEqual(MIN);
    const events: { type: string; detail: { residentBytes?: number } }[] = await page.evaluate(() => window.driver.events());
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['budget', 'selection']));
    expect(events.find((e) => e.type === 'selection')!.detail.residentBytes).toBe(shrunk.residentBytes);
    const failure = await page.evaluate(() => window.driver.setBudgetFailure(1));
    expect(failure).toEqual({ name: 'BudgetTooSmallError', tooSmall: true, peelrec: true, minimumBytes: expect.any(Number) });
    // A refused budget changed nothing.
    expect(((await page.evaluate(() => window.driver.info())) as RecommenderInfo).budget.bytes).toBe(MIN);
    await page.context().close();
  });
});
