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
  children?: number[];
}

export interface ProfileLine {
  readonly fn: string;
  readonly where: string;
  readonly selfPercent: number;
  /** Self time plus its callees' (a recursive function counted once per stack). */
  readonly totalPercent: number;
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
    const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\t${n.callFrame.url.split('/').pop() ?? ''}:${n.callFrame.lineNumber + 1}`;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    let total = 0;
    // Depth first from each root; `onStack` counts each key on the current path, so a recursive function's hits count once.
    const onStack = new Map<string, number>();
    const visit = (n: ProfileNode): number => {
      const key = keyOf(n);
      const hits = n.hitCount ?? 0;
      total += hits;
      self.set(key, (self.get(key) ?? 0) + hits);
      const outer = onStack.get(key) ?? 0;
      onStack.set(key, outer + 1);
      let sum = hits;
      for (const c of n.children ?? []) sum += visit(byId.get(c)!);
      onStack.set(key, outer);
      if (outer === 0) inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
      return sum;
    };
    const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
    for (const root of profile.nodes.filter((n) => !children.has(n.id))) visit(root);
    const pct = (v: number) => Number(((100 * v) / total).toFixed(1));
    const top = [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([k, v]) => {
        const [fn, where] = k.split('\t');
        return { fn: fn!, where: where!, selfPercent: pct(v), totalPercent: pct(inclusive.get(k) ?? v) };
      });
    return { msPerCall, top };
  } finally {
    await context.close();
  }
}
