/**
 * `--profile`: where the runtime's scoring time goes on the 1M catalog, from
 * Chromium's CPU profiler (pages built unminified so functions keep their names).
 * Prints the functions with the most self time; writes results/profile-runtime.json.
 */
import type { Browser } from 'playwright-core';
import type { ProfileCase } from '../page/profile.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface ProfileLine {
  readonly fn: string;
  readonly where: string;
  readonly selfPercent: number;
}

export async function profileRuntime(browser: Browser, origin: string, spec: ProfileCase): Promise<{ msPerCall: number; top: ProfileLine[] }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/bench.html`);
    await page.waitForFunction(() => document.title === 'ready');
    await page.evaluate((s) => window.peelBench.prepareRuntimeLoop(s), spec);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    const msPerCall = await page.evaluate(() => (window as unknown as { runtimeLoop: () => Promise<number> }).runtimeLoop());
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
    const self = new Map<string, number>();
    let total = 0;
    for (const n of profile.nodes) {
      const hits = n.hitCount ?? 0;
      total += hits;
      const file = n.callFrame.url.split('/').pop() ?? '';
      const key = `${n.callFrame.functionName || '(anonymous)'}\t${file}:${n.callFrame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + hits);
    }
    const top = [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([k, v]) => {
        const [fn, where] = k.split('\t');
        return { fn: fn!, where: where!, selfPercent: Number(((100 * v) / total).toFixed(1)) };
      });
    return { msPerCall, top };
  } finally {
    await context.close();
  }
}
