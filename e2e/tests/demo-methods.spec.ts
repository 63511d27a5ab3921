/**
 * The demo's Compare methods card (issues 20 to 23) on the suite's method comparison (METHODS_FIXTURE: peel,
 * magprune, frequency-sized, BET, CIESS and SparseRec from one `peelrec-train methods` run), served by the demo at
 * /models/methods/.
 */
import { expect, test } from '@playwright/test';
import { gridCells, openDemo, parseBytes, shownBudget } from './demo-page.js';

/** Every method the card must list, with the kind of its artifact. */
const KINDS = [
  ['peel', 'peel-blocks'],
  ['magprune', 'sparse'],
  ['frequency-sized', 'mixed'],
  ['bet', 'mixed'],
  ['ciess', 'mixed'],
  ['sparserec', 'sparse'],
] as const;

test('Compare methods: the card lists each method of one run at its device bytes with the budget marked; Serve loads that artifact through the SDK, and a failed switch keeps the old model serving', async ({
  page,
}) => {
  type Served = { kind: string; model: { id: string }; metrics: { budgets: { bytes: number }[] }; variants?: { file: { url: string } }[] };
  const served: Record<string, Served> = {};
  for (const [name] of KINDS) {
    const res = await page.request.get(`/models/methods/${name}/manifest.json`);
    expect(res.status(), `${name}: the suite's method comparison (e2e/scripts/fixtures.ts, METHODS_FIXTURE)`).toBe(200);
    served[name] = (await res.json()) as Served;
  }
  const tableFiles = served.magprune!.variants!.map((v) => new URL(v.file.url, 'http://host/models/methods/magprune/').pathname);
  await openDemo(page);
  const card = page.locator('#methods');
  await expect(card.locator('tr[data-method]')).toHaveCount(KINDS.length);
  for (const [name, kind] of KINDS) {
    const row = card.locator(`tr[data-method="${name}"]`);
    await expect(row).toHaveAttribute('data-kind', kind);
    expect(served[name]!.kind).toBe(kind);
    // Every point the run measured, at the bytes its manifest states, and the text says the same bytes.
    const points = await row.locator('.point').evaluateAll((els) => els.map((e) => ({ bytes: Number((e as HTMLElement).dataset.bytes), text: e.textContent! })));
    expect(points.map((p) => p.bytes).sort((a, b) => a - b)).toEqual(served[name]!.metrics.budgets.map((b) => b.bytes).sort((a, b) => a - b));
    for (const p of points) {
      expect(p.bytes, `${name}: ${p.text}`).toBeGreaterThan(0);
      expect(parseBytes(p.text.split(' → ')[0]!) / p.bytes, p.text).toBeCloseTo(1, 1);
    }
  }
  await expect(card.locator('svg polyline[data-method]')).toHaveCount(KINDS.length);
  expect(Number(await card.locator('svg line.now').getAttribute('data-bytes'))).toBe(await shownBudget(page));
  const resident = page.locator('#methods-resident');
  await expect(resident).toHaveAttribute('data-method', 'page');

  /** The list the page shows, and what the recommender serving now returns for the picked user, and what it holds. */
  const shownAndServed = () =>
    page.evaluate(async () => {
      type Rec = { recommend(o: object): Promise<{ itemId: string }[]>; info: { table?: { kind: string } }; manifest: { model: { id: string } } };
      const rec = (window as unknown as { peelrecDemo: { rec: Rec } }).peelrecDemo.rec;
      const user = (document.getElementById('user-picker') as HTMLSelectElement).value;
      const list = (await rec.recommend({ user: { id: user }, k: 20 })).map((r) => r.itemId).join();
      const shown = [...document.querySelectorAll('#recs li')].map((li) => li.getAttribute('data-item-id')).join();
      return { shown, served: list, kind: rec.info.table?.kind ?? 'peel-blocks', model: rec.manifest.model.id };
    });
  const before = await shownAndServed();

  // A switch whose table cannot be fetched fails in the card, and the page's model keeps serving.
  const isTable = (url: URL) => tableFiles.includes(url.pathname); // unroute matches the very same function
  await page.route(isTable, (route) => route.abort());
  await card.locator('button[data-method="magprune"]').click();
  await expect(page.locator('#methods-error')).toContainText('Could not switch to magprune');
  await expect(page.locator('#methods-error')).toContainText("Still serving this page's model");
  await expect(resident).toHaveAttribute('data-method', 'page');
  await expect(page.locator('#recs li')).toHaveCount(20);
  expect(await shownAndServed()).toEqual(before);
  await page.unroute(isTable);

  // magprune: its sparse table, through the same SDK.
  const tableRequest = page.waitForRequest((r) => tableFiles.includes(new URL(r.url()).pathname));
  await card.locator('button[data-method="magprune"]').click();
  await tableRequest;
  await expect(resident).toHaveAttribute('data-method', 'magprune');
  await expect(resident).toHaveAttribute('data-kind', 'sparse');
  await expect(resident).toContainText('sparse table, variant');
  await expect(page.locator('#methods-error')).toHaveCount(0);
  await expect(page.locator('#recs li')).toHaveCount(20);
  await expect
    .poll(async () => {
      const s = await shownAndServed();
      return s.shown === s.served && s.shown !== before.shown && s.kind === 'sparse' && s.model === served.magprune!.model.id;
    })
    .toBe(true);

  // peel: the run's own PEEL artifact (the same backbone as magprune's), not the page's model.
  await card.locator('button[data-method="peel"]').click();
  await expect(resident).toHaveAttribute('data-method', 'peel');
  await expect(resident).toHaveAttribute('data-kind', 'peel-blocks');
  await expect(page.locator('#recs li')).toHaveCount(20);
  await expect
    .poll(async () => {
      const s = await shownAndServed();
      return s.shown === s.served && s.kind === 'peel-blocks' && s.model === served.peel!.model.id;
    })
    .toBe(true);
  expect(served.peel!.model.id).not.toBe(before.model);

  // The searched and trained tables (issues 21 to 23): BET's and CIESS's mixed, SparseRec's sparse, each through
  // the same SDK, each switched to from the one before.
  for (const [name, kind] of KINDS.filter(([n]) => ['bet', 'ciess', 'sparserec'].includes(n))) {
    await card.locator(`button[data-method="${name}"]`).click();
    await expect(resident).toHaveAttribute('data-method', name);
    await expect(resident).toHaveAttribute('data-kind', kind);
    await expect(resident).toContainText(`Serving ${name}: ${kind} table, variant`);
    await expect(page.locator('#methods-error')).toHaveCount(0);
    await expect(page.locator('#recs li')).toHaveCount(20);
    await expect
      .poll(
        async () => {
          const s = await shownAndServed();
          return s.shown === s.served && s.kind === kind && s.model === served[name]!.model.id;
        },
        { message: `${name} serves its own artifact` },
      )
      .toBe(true);
  }

  // And back to the page's own model.
  await card.locator('button[data-method="page"]').click();
  await expect(resident).toHaveAttribute('data-method', 'page');
  await expect.poll(async () => (await shownAndServed()).shown).toBe(before.shown);
  expect((await gridCells(page)).selected).toBeGreaterThan(0);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready');
});

test('Compare methods: while the server still prepares the comparison the card says so, and fills in once it is ready', async ({ page }) => {
  const status = '**/models/methods/status.json';
  await page.route(status, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ state: 'preparing', since: new Date().toISOString() }) }));
  await openDemo(page);
  await expect(page.locator('#methods-state')).toHaveAttribute('data-state', 'preparing');
  await expect(page.locator('#methods tr[data-method]')).toHaveCount(0);
  await expect(page.locator('#recs li')).toHaveCount(20); // the page's own model serves meanwhile
  await page.unroute(status);
  await expect(page.locator('#methods tr[data-method]')).toHaveCount(KINDS.length);
  await expect(page.locator('#methods-state')).toHaveCount(0);
});
