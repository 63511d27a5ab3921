/**
 * The demo page as a person uses it: on a phone, in new-user mode, with the
 * budget slider, without WebGPU, and offline after the first load.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devices, expect, test } from '@playwright/test';
import { byteSentences, chartRange, gridCells, horizontalOverflow, markerLabel, openDemo, parseBytes, shownBudget, waitReady } from './demo-page.js';
import { NetworkLog, deployable, fixture, privacyViolations, setDeviceMemory } from './support.js';
import { METHODS_FIXTURE } from '../scripts/fixtures.js';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '../artifacts');
mkdirSync(artifacts, { recursive: true });
const { defaultBrowserType: _ignored, ...pixel7 } = devices['Pixel 7'];

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
  const fx = fixture('demo');
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
    model: 'demo',
    modelFiles,
    secrets: tapped,
    // The app shell, and what the Compare methods card reads: the comparison's status and manifests (fixed paths, nothing of the user's).
    shell: new RegExp(`^/(index\\.html|sw\\.js)?$|^/assets/[^/]+$|^/models/methods/(status\\.json|(${METHODS_FIXTURE.exported.join('|')})/manifest\\.json)$`),
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

test.describe('what the budget decides (issue 18)', () => {
  test('the device decides: at deviceMemory 1 the grid selects strictly fewer blocks than at 8, with no slider; "simulate 1 GiB" selects the same as a real 1 GiB device', async ({
    page,
    browser,
  }) => {
    await setDeviceMemory(page, 1);
    await openDemo(page);
    const one = await gridCells(page);
    await expect(page.locator('#device-facts dd[data-fact="Decided by"]')).toHaveText('device memory');
    const desktop = await browser.newContext({ baseURL: test.info().project.use.baseURL });
    try {
      await setDeviceMemory(desktop, 8);
      const eight = await desktop.newPage();
      await openDemo(eight);
      const all = await gridCells(eight);
      test.info().annotations.push({ type: 'blocks', description: `1 GiB: ${one.selected} of ${one.total}; 8 GiB: ${all.selected} of ${all.total}` });
      expect(one.total).toBe(all.total);
      expect(one.selected).toBeGreaterThan(0);
      expect(one.selected).toBeLessThan(all.selected);
      expect(all.selected).toBe(all.total); // 128 MiB holds the whole table
      await eight.locator('#devices button[data-gib="1"]').click();
      await expect(eight.locator('#device-facts dd[data-fact="Decided by"]')).toHaveText('a simulated 1 GiB device');
      await expect.poll(async () => (await gridCells(eight)).pattern).toBe(one.pattern);
      expect(await shownBudget(eight)).toBe(await shownBudget(page));
    } finally {
      await desktop.close();
    }
  });

  test('the slider: a released thumb stays where it was let go, and one position is one budget however it is reached', async ({ page }) => {
    await setDeviceMemory(page, 8); // 128 MiB: the thumb starts at the right end (the whole table)
    await openDemo(page);
    const slider = page.locator('#budget');
    const auto = await shownBudget(page);
    await slider.scrollIntoViewIfNeeded(); // the mouse reaches what is on screen only
    const box = (await slider.boundingBox())!;
    const y = box.y + box.height / 2;
    // A drag from the thumb at the right end, let go at 30 %.
    await page.mouse.move(box.x + box.width - 8, y);
    await page.mouse.down();
    for (const f of [0.8, 0.6, 0.45, 0.3]) await page.mouse.move(box.x + box.width * f, y, { steps: 4 });
    await page.mouse.up();
    const released = await slider.inputValue();
    await expect.poll(() => shownBudget(page)).not.toBe(auto);
    await waitReady(page);
    const applied = await shownBudget(page);
    test.info().annotations.push({ type: 'released', description: `position ${released} of 1000: ${applied} B` });
    expect(await slider.inputValue()).toBe(released);
    // The same position from the automatic budget, and from the other end: the same budget each time.
    for (const via of ['auto', '0']) {
      if (via === 'auto') await page.locator('#budget-auto').click();
      else await slider.fill(via);
      await expect.poll(() => shownBudget(page)).not.toBe(applied);
      await slider.fill(released);
      await expect.poll(() => shownBudget(page)).toBe(applied);
      await waitReady(page);
      expect(await slider.inputValue()).toBe(released);
    }
  });

  test('the chart: the marker lies inside the labelled range, where its budget is, past the whole table and below the smallest measurement; its label crosses neither the curve nor other text', async ({
    page,
  }) => {
    await setDeviceMemory(page, 16); // 256 MiB: more than the whole table
    await openDemo(page);
    const check = async (where: string) => {
      const budget = await shownBudget(page);
      const { ticks, markerX } = await chartRange(page);
      const lo = ticks[0]!;
      const hi = ticks[ticks.length - 1]!;
      const [loBytes, hiBytes] = [parseBytes(lo.text), parseBytes(hi.text)];
      test.info().annotations.push({ type: where, description: `budget ${budget} B; range ${lo.text} … ${hi.text}; marker x ${markerX}` });
      // Labels carry three significant digits: 0.5 % either way.
      expect(budget, `${where}: budget inside the labelled range`).toBeGreaterThanOrEqual(loBytes * 0.995);
      expect(budget, `${where}: budget inside the labelled range`).toBeLessThanOrEqual(hiBytes * 1.005);
      const x = lo.x + (Math.log(budget / loBytes) / Math.log(hiBytes / loBytes)) * (hi.x - lo.x);
      expect(Math.abs(markerX - x), `${where}: marker at its budget`).toBeLessThan(2);
      const label = await markerLabel(page);
      expect(label.overlaps, `${where}: "${label.text}" overlaps`).toEqual([]);
      expect(label.crossesCurve, `${where}: "${label.text}" crosses the curve`).toBe(false);
    };
    await check('past the whole table');
    await expect(page.locator('#chart p')).toContainText('more than the whole table');
    await page.locator('#budget').fill('0'); // the smallest selection: below the trainer's smallest budget (5 %)
    await expect.poll(() => shownBudget(page)).toBeLessThan(2 * 1024 * 1024);
    await waitReady(page);
    await check('below the smallest measurement');
    await expect(page.locator('#chart p')).toContainText('below the smallest budget the trainer measured');
  });

  test('in new-user mode at 360 × 740 the list is on screen after a tap, beside the tapped tile (screenshot saved)', async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await openDemo(page);
    await page.locator('#mode-new').click();
    const tile = page.locator('#catalog button').nth(4);
    await tile.click();
    await expect(page.locator('#recs li')).toHaveCount(20);
    const onScreen = (e: Element) => {
      const r = e.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    };
    await expect.poll(() => page.locator('#recs li').first().evaluate(onScreen)).toBe(true);
    expect(await tile.evaluate(onScreen)).toBe(true);
    await page.screenshot({ path: join(artifacts, 'phone-360-after-tap.png') });
  });

  test('on a desktop (1280 × 800) the recommendations sit beside the budget, and the chart text is no larger than the body text (screenshot saved)', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await openDemo(page);
    const r = await page.evaluate(() => {
      const recs = document.getElementById('recs-card')!.getBoundingClientRect();
      const budget = document.getElementById('budget-h')!.closest('section')!.getBoundingClientRect();
      const svg = document.querySelector<SVGSVGElement>('#chart svg')!;
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const chartText = Math.max(...[...svg.querySelectorAll('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * scale));
      return { recsRight: recs.right, recsBottom: recs.bottom, budgetLeft: budget.left, budgetTop: budget.top, chartText, bodyText: parseFloat(getComputedStyle(document.body).fontSize) };
    });
    expect(r.budgetLeft).toBeGreaterThanOrEqual(r.recsRight);
    expect(r.budgetTop).toBeLessThan(r.recsBottom);
    expect(r.chartText).toBeLessThanOrEqual(r.bodyText);
    await page.screenshot({ path: join(artifacts, 'desktop-1280.png'), fullPage: true });
  });

  test('byte counts that share a sentence share one unit (no KiB beside MiB, no B beside either), whatever the budget', async ({ page }) => {
    await openDemo(page);
    const mixed = async () => (await byteSentences(page)).filter((t) => new Set([...t.matchAll(/\d (B|KiB|MiB)\b/g)].map((m) => m[1])).size > 1);
    expect(await mixed()).toEqual([]);
    for (const step of ['0', '500', '900']) {
      await page.locator('#budget').fill(step);
      await waitReady(page);
      expect(await mixed()).toEqual([]);
    }
  });
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
