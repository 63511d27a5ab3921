/**
 * What the browser test files share: the Vite-built test page, Chromium, a page per context with the navigator
 * set up as asked, the driver's calls, and how a top-k is held to the float64 reference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Recommendation, RecommenderInfo, ScoredPosition } from '../src/index.js';
import type { OpenOptions } from './driver.js';
import { CHROMIUM_FLAGS, findChromium } from '../../../scripts/chromium.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Builds the test page into a temporary directory; `remove` deletes it. */
export async function buildPage(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'peelrec-runtime-page-'));
  try {
    await build({ configFile: join(here, 'vite.config.ts'), build: { outDir: dir } });
  } catch (e) {
    // The caller gets no `remove` to call.
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Chromium with the shared flags and `extra`; the caller closes it. */
export function launch(extra: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_FLAGS, ...extra] });
}

export interface PageSetup {
  /** A number to report, `null` to remove navigator.deviceMemory (Firefox, Safari), undefined to leave Chromium's. */
  deviceMemory?: number | null;
  /** Remove navigator.gpu (WebGPU off). */
  noGpu?: boolean;
}

/** A page of its own context at `url`, ready for the driver. */
export async function openPage(browser: Browser, url: string, setup: PageSetup = {}): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(({ deviceMemory, noGpu }) => {
    if (deviceMemory === null) delete (Navigator.prototype as { deviceMemory?: number }).deviceMemory;
    else if (deviceMemory !== undefined) Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => deviceMemory, configurable: true });
    if (noGpu) delete (Navigator.prototype as { gpu?: unknown }).gpu;
  }, setup);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[page error]', e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready');
  return page;
}

export const open = (page: Page, options: OpenOptions): Promise<RecommenderInfo> => page.evaluate((o) => window.driver.open(o), options);
export const recommendMany = (page: Page, requests: Parameters<Window['driver']['recommendMany']>[0]): Promise<Recommendation[][]> => page.evaluate((r) => window.driver.recommendMany(r), requests);

/**
 * Same top-k as the reference: positions equal, except that items whose scores tie within float tolerance may swap.
 * `tolerance` (absolute) replaces both bounds for a scorer that rounds by design (i8 on WASM: 8-bit user codes).
 */
export function expectAgreement(got: readonly Recommendation[], want: readonly ScoredPosition[], tolerance?: number) {
  expect(got).toHaveLength(want.length);
  got.forEach((r, i) => {
    if (tolerance !== undefined) expect(Math.abs(r.score - want[i]!.score)).toBeLessThanOrEqual(tolerance);
    else expect(r.score).toBeCloseTo(want[i]!.score, 3);
    if (r.position !== want[i]!.position) expect(Math.abs(r.score - want[i]!.score)).toBeLessThan(tolerance ?? 1e-4);
  });
}
