/** Headless system Chromium through playwright-core (Playwright cannot download browsers here). */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { CHROMIUM_FLAGS as BASE_FLAGS, findChromium } from '../../scripts/chromium.mjs';

export const CHROMIUM_FLAGS = [
  ...BASE_FLAGS,
  // performance.memory in exact bytes rather than bucketed.
  '--enable-precise-memory-info',
];

export function chromiumPath(): string {
  return findChromium();
}

export async function launch(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : [])],
  });
}

/** Runs `use` on a fresh context's bench page once it is ready (one case of a section), closing the context after. */
export async function onBenchPage<T>(browser: Browser, origin: string, use: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/bench.html`);
    await page.waitForFunction(() => document.title === 'ready');
    return await use(page, context);
  } finally {
    await context.close();
  }
}
