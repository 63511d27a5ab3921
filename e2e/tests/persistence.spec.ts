/**
 * Persistence: verified blocks go to IndexedDB, so a reload at the same budget
 * downloads no block, and a recommender created with the network cut still
 * recommends (manifest and blocks from IndexedDB).
 */
import { expect, test, type Page } from '@playwright/test';
import { NetworkLog, fixture, manifestUrlOf, openHarness, relativeTo } from './support.js';

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
  const firstBlocks = (await net.modelFiles(MODEL)).filter((f) => fx.blockFiles.has(relativeTo(MODEL, f.path)));
  expect(firstBlocks.length).toBeGreaterThan(0);

  net.clear();
  await page.reload();
  await page.waitForFunction(() => typeof window.peel === 'object');
  const second = await load(page, user);
  const secondFiles = await net.modelFiles(MODEL);
  const secondBlocks = net.issued.filter((p) => fx.blockFiles.has(relativeTo(MODEL, p)));
  expect(secondBlocks).toEqual([]);
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
