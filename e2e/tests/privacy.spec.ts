/**
 * Privacy: a session that recommends for `{ history }` users sends nothing
 * about the history. Every request is logged; each must be a plain GET of a
 * static file the app shell or the manifest names, with no body, no query,
 * and no history id anywhere in its URL or headers.
 */
import { expect, test } from '@playwright/test';
import { NetworkLog, fixture, manifestUrlOf, openHarness, privacyViolations } from './support.js';

const MODEL = 'synthetic';

test('recommending for {history} users sends no history or chosen item id in any request', async ({ page, context }) => {
  const fx = fixture(MODEL);
  // Items from the long tail: a request mentioning them could not be a coincidence of popularity order.
  const n = fx.itemIds.length;
  const history = [n >> 1, (n >> 1) + 7, (n >> 2) * 3, n - 3, n - 11].map((p) => fx.itemIds[p]!);
  const exclude = [fx.itemIds[5]!];
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  const net = new NetworkLog(context);
  await openHarness(page);
  const r = await page.evaluate(
    async ({ url, history, exclude }) => {
      const rec = await window.peel.createRecommender({ manifestUrl: url, budget: 'auto', backend: 'wasm', storage: 'indexeddb', wasmPaths: window.peel.wasmPaths });
      const lists: string[][] = [];
      for (let i = 1; i <= history.length; i++) {
        const recs = await rec.recommend({ user: { history: history.slice(0, i) }, k: 20, exclude });
        lists.push(recs.map((x) => x.itemId));
      }
      await rec.persisted();
      await rec.dispose();
      return lists;
    },
    { url: manifestUrlOf(MODEL), history, exclude },
  );
  // The session really used the history: non-empty lists that change as it grows, never containing history or excluded items.
  expect(r.every((l) => l.length === 20)).toBe(true);
  expect(new Set(r.map((l) => l.join())).size).toBeGreaterThan(1);
  for (let i = 0; i < r.length; i++) {
    for (const h of history.slice(0, i + 1)) expect(r[i]).not.toContain(h);
    expect(r[i]).not.toContain(exclude[0]);
  }
  const entries = await net.settled();
  const modelFiles = new Set(['manifest.json', ...fx.nonBlockFiles, ...fx.blockFiles]);
  const violations = privacyViolations(entries, { model: MODEL, modelFiles, secrets: [...history, ...exclude], shell: /^\/(index\.html)?$|^\/assets\/[^/]+$/ });
  test.info().annotations.push({ type: 'requests', description: entries.map((e) => `${e.method} ${e.path} ${e.status} ${e.bytes}B`).join('\n') });
  expect(violations).toEqual([]);
  expect(sockets).toEqual([]);
  // Not an id, but worth knowing: block URLs name the user group, so which groups' blocks a session fetches
  // tells the server the nearest k-means group of the history (coarse: 1 of userGroups.count).
  const groups = [...new Set(entries.map((e) => /\/blocks\/u(\d+)\./.exec(e.path)?.[1]).filter((g) => g !== undefined))];
  test.info().annotations.push({ type: 'user groups revealed by block URLs', description: groups.join(', ') || 'none' });
});
