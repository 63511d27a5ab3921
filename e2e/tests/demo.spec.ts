/**
 * The demo page as a person uses it: on a phone, in new-user mode, with the
 * budget slider, without WebGPU, and offline after the first load.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devices, expect, test, type Page } from '@playwright/test';
import { NetworkLog, deployable, fixture, privacyViolations } from './support.js';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '../artifacts');
mkdirSync(artifacts, { recursive: true });
const { defaultBrowserType: _ignored, ...pixel7 } = devices['Pixel 7'];

async function openDemo(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await waitReady(page);
}

async function waitReady(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-state', /ready|error/, { timeout: 60_000 });
  const status = await page.locator('#status').textContent();
  expect(await page.locator('body').getAttribute('data-state'), status ?? '').toBe('ready');
  await expect(page.locator('#recs li')).toHaveCount(20);
}

/** Elements whose right edge passes the viewport: what makes a phone scroll sideways. */
async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; width: number; offenders: string[] }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const offenders = [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5)
      .slice(0, 10)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} right=${el.getBoundingClientRect().right.toFixed(0)}`);
    return { scrollWidth: document.documentElement.scrollWidth, width, offenders };
  });
}

test.describe('on a Pixel 7', () => {
  test.use(pixel7);

  test('the page fits a Pixel-class phone with no horizontal overflow and shows every section (screenshot saved)', async ({ page }) => {
    await openDemo(page);
    const o = await horizontalOverflow(page);
    expect(o.offenders).toEqual([]);
    expect(o.scrollWidth).toBeLessThanOrEqual(o.width);
    for (const id of ['device-facts', 'grid', 'engine-facts', 'chart', 'recs']) await expect(page.locator(`#${id}`)).not.toBeEmpty();
    await expect(page.locator('#device-facts')).toContainText('Device memory');
    await expect(page.locator('#grid .cell')).not.toHaveCount(0);
    await page.screenshot({ path: join(artifacts, 'phone-pixel7.png'), fullPage: true });
    // Screen-sized views too, readable without scaling the whole page down.
    await page.screenshot({ path: join(artifacts, 'phone-pixel7-first-screen.png') });
    const cards = page.locator('section.card');
    for (let i = 1; i < (await cards.count()); i++) await cards.nth(i).screenshot({ path: join(artifacts, `phone-pixel7-card-${i}.png`) });
  });
});

test('at 360 px wide nothing overflows horizontally (screenshot saved)', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await openDemo(page);
  await page.locator('#mode-new').click();
  await page.locator('#catalog button').first().click();
  await expect(page.locator('#history .chip')).toHaveCount(1);
  await expect(page.locator('#recs li')).toHaveCount(20);
  const o = await horizontalOverflow(page);
  expect(o.offenders).toEqual([]);
  expect(o.scrollWidth).toBeLessThanOrEqual(360);
  await page.screenshot({ path: join(artifacts, 'phone-360-new-user.png'), fullPage: true });
});

test('new-user mode: each tap updates the recommendations on the device, and no request carries the tapped ids', async ({ page, context }) => {
  const fx = fixture('synthetic');
  const net = new NetworkLog(context);
  await openDemo(page);
  await page.locator('#mode-new').click();
  await expect(page.locator('#recs li')).toHaveCount(0);
  const tapped: string[] = [];
  let previous = '';
  for (const i of [3, 10, 17]) {
    const tile = page.locator('#catalog button').nth(i);
    const id = (await tile.getAttribute('data-item-id'))!;
    tapped.push(id);
    await tile.click();
    await expect(page.locator('#history .chip')).toHaveCount(tapped.length);
    await expect(page.locator('#recs li')).toHaveCount(20);
    await expect.poll(async () => (await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')).join())) !== previous).toBe(true);
    const ids = await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')!));
    for (const t of tapped) expect(ids).not.toContain(t);
    previous = ids.join();
  }
  // Names and categories from the synthetic catalog, not bare ids.
  await expect(page.locator('#recs li .cat').first()).not.toBeEmpty();
  const entries = await net.settled();
  const modelFiles = new Set(['manifest.json', ...fx.nonBlockFiles, ...fx.blockFiles]);
  const violations = privacyViolations(entries, {
    model: 'synthetic',
    modelFiles,
    secrets: tapped,
    shell: /^\/(index\.html|sw\.js)?$|^\/assets\/[^/]+$/,
    allowedQuery: /^\?__WB_REVISION__=[0-9a-f]+$/, // workbox precaching index.html by revision
  });
  expect(violations).toEqual([]);
});

test('the budget slider calls setBudget live: grid, memory and recommendations follow, and growing back restores them', async ({ page }) => {
  await openDemo(page);
  const state = () =>
    page.evaluate(() => ({
      selected: document.querySelectorAll('#grid .cell[data-selected="true"]').length,
      used: Number(document.querySelector<HTMLElement>('#bytes-used')!.dataset.used),
      budget: Number(document.querySelector<HTMLElement>('#bytes-used')!.dataset.budget),
      recs: [...document.querySelectorAll('#recs li')].map((li) => li.querySelector('.score')!.textContent).join(),
    }));
  const before = await state();
  await page.locator('#budget').fill('0');
  await expect.poll(async () => (await state()).selected).toBeLessThan(before.selected);
  await expect.poll(async () => (await state()).recs).not.toBe(before.recs);
  const small = await state();
  expect(small.used).toBeLessThanOrEqual(small.budget);
  expect(small.budget).toBeLessThan(before.budget);
  await page.locator('#budget').fill('1000');
  await expect.poll(async () => (await state()).selected).toBe(before.selected);
  await expect.poll(async () => (await state()).recs).toBe(before.recs);
  await page.locator('#budget-auto').click();
  await expect.poll(async () => (await state()).budget).toBe(before.budget);
});

test('without WebGPU (navigator.gpu removed) the demo works on WASM and says WebGPU is not available', async ({ page }) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await openDemo(page);
  await expect(page.locator('#engine-facts')).toContainText('not available in this browser');
  await expect(page.locator('#engine-facts dd[data-fact="Backend"]')).toContainText('wasm');
});

test('without deviceMemory (as in Firefox/Safari) the device card says so', async ({ page }) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { deviceMemory?: number }).deviceMemory;
  });
  await openDemo(page);
  await expect(page.locator('#device-facts')).toContainText('not reported by this browser');
});

test('after the first load the demo works offline: a reload with the network cut still recommends', async ({ page, context }) => {
  await openDemo(page);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
  });
  // The page says when the model is saved on the device; only then is offline use promised.
  await expect(page.locator('#engine-facts dd[data-fact="Offline"]')).toContainText('saved on this device', { timeout: 60_000 });
  const before = await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')).join());
  await context.setOffline(true);
  try {
    await page.reload();
    await waitReady(page).catch(async (e) => {
      throw new Error(`${(e as Error).message}\nstatus: ${await page.locator('#status').textContent()}`);
    });
    const after = await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')).join());
    expect(after).toBe(before);
    await expect(page.locator('#engine-facts')).toContainText('manifest from cache');
  } finally {
    await context.setOffline(false);
  }
});

test.describe('a deploy while the demo is open', () => {
  // The demo's service worker only precaches the page; blocking it keeps every model request visible to the route.
  test.use({ serviceWorkers: 'block' });

  test('the demo serves the stored version first, then says `updated` and shows the new model with its catalog', async ({ page, context }) => {
    const v1 = fixture('small');
    const v2 = fixture('small-v2');
    const h1 = v1.manifest.model.contentHash.slice(0, 12);
    const h2 = v2.manifest.model.contentHash.slice(0, 12);
    expect(h2).not.toBe(h1);
    const server = await deployable(context, 'demo-swr', v1);
    const path = '/?model=/models/demo-swr/manifest.json&backend=wasm';
    await openDemo(page, path);
    await expect(page.locator('#model-line')).toContainText(h1);
    await expect(page.locator('#engine-facts dd[data-fact="Offline"]')).toContainText('saved on this device', { timeout: 60_000 });

    // The deploy: the next load starts from IndexedDB (v1), then the background update switches to v2.
    server.current = v2;
    await page.reload();
    await waitReady(page);
    await expect(page.locator('#model-line')).toContainText(h2, { timeout: 60_000 });
    await expect(page.locator('#engine-facts')).toContainText(`updated from ${h1} to ${h2}`);
    await expect(page.locator('body')).toHaveAttribute('data-state', 'ready');
    // The recommendations and the user picker now come from v2.
    await expect(page.locator('#recs li')).toHaveCount(20);
    const shown = await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')!));
    const v2Items = new Set(v2.itemIds);
    expect(shown.filter((id) => !v2Items.has(id))).toEqual([]);
    const users = await page.locator('#user-picker option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(users.slice(0, 5)).toEqual(v2.userIds.slice(0, 5));
  });

  test('when the update cannot be fetched, the demo says so and keeps serving the stored version', async ({ page, context }) => {
    const v1 = fixture('small');
    const h1 = v1.manifest.model.contentHash.slice(0, 12);
    const server = await deployable(context, 'demo-fail', v1);
    await openDemo(page, '/?model=/models/demo-fail/manifest.json&backend=wasm');
    await expect(page.locator('#engine-facts dd[data-fact="Offline"]')).toContainText('saved on this device', { timeout: 60_000 });
    const before = await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')).join());
    server.manifestStatus = 404;
    await page.reload();
    await waitReady(page);
    await expect(page.locator('#engine-facts')).toContainText(`update failed (manifest)`, { timeout: 60_000 });
    await expect(page.locator('#engine-facts')).toContainText(`still serving ${h1}`);
    await expect(page.locator('#model-line')).toContainText(h1);
    await expect(page.locator('body')).toHaveAttribute('data-state', 'ready');
    const after = await page.locator('#recs li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item-id')).join());
    expect(after).toBe(before);
  });
});
