/** Headless system Chromium through playwright-core (Playwright cannot download browsers here). */
import { chromium, type Browser } from 'playwright-core';

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
