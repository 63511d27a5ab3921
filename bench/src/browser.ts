/** Headless system Chromium through playwright-core (Playwright cannot download browsers here). */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // performance.memory in exact bytes rather than bucketed.
  '--enable-precise-memory-info',
];

export function chromiumPath(): string {
  return process.env.PEELREC_CHROMIUM || '/usr/bin/chromium';
}

export async function launch(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : [])],
  });
}
