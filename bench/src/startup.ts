/**
 * Start-up: a cold load (fresh browser context: empty HTTP cache and
 * IndexedDB) until the first recommendations, then a reload in the same
 * context (warm: blocks from IndexedDB). The server counts every artifact byte.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { StartupResult } from '../page/startup.js';
import type { StaticServer } from './server.js';

/** Main-thread task time of the page (CDP Performance.getMetrics TaskDuration/ScriptDuration, ms): wall time inside tasks, so it separates a busy main thread from one waiting on the network. */
export interface Busy {
  readonly taskMs: number;
  readonly scriptMs: number;
}

async function busy(cdp: CDPSession): Promise<Busy> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const get = (n: string) => (metrics.find((m) => m.name === n)?.value ?? NaN) * 1000;
  return { taskMs: get('TaskDuration'), scriptMs: get('ScriptDuration') };
}

function since(a: Busy, b: Busy): Busy {
  // Metrics restart with a new renderer; otherwise they accumulate across the reload.
  return b.taskMs >= a.taskMs ? { taskMs: b.taskMs - a.taskMs, scriptMs: b.scriptMs - a.scriptMs } : b;
}

export interface StartupRun {
  readonly coldBusy: Busy;
  readonly warmBusy: Busy;
  readonly cold: StartupResult;
  readonly warm: StartupResult;
  /** Diagnostic: a cold load with storage 'memory', to see what IndexedDB costs the cold path. */
  readonly coldMemory: StartupResult;
  /** Diagnostic: a cold load and its reload with `worker: false` (on the page's thread), with their main-thread task time. */
  readonly inThread: { readonly cold: StartupResult; readonly warm: StartupResult; readonly coldBusy: Busy; readonly warmBusy: Busy };
  readonly coldServed: Served;
  readonly warmServed: Served;
  /**
   * Cold loads for a `{ history }` user (issue 27), each in a fresh context: `blind` with the default group-blind
   * plan, `revealing` with `groupBlind: false` (the history's own group fetched: what a history session did before).
   */
  readonly history: { readonly blind: ColdRun; readonly revealing: ColdRun };
}

export interface ColdRun {
  readonly result: StartupResult;
  readonly served: Served;
}

interface Served {
  /** On the wire (JSON gzip-compressed). */
  readonly bytes: number;
  readonly uncompressedBytes: number;
  readonly requests: number;
  /** Bytes by kind of file: manifest, items (ids/metadata), users (shards), blocks. */
  readonly byKind: Record<string, number>;
}

function kindOf(path: string): string {
  const rel = path.split('/').slice(1).join('/'); // drop the catalog directory
  if (rel === 'manifest.json') return 'manifest';
  if (rel.startsWith('blocks/') && rel.endsWith('.json')) return 'block tables';
  return rel.split('/')[0] ?? rel;
}

function snapshot(server: StaticServer): Served {
  const byKind: Record<string, number> = {};
  for (const [path, bytes] of server.artifacts.files) byKind[kindOf(path)] = (byKind[kindOf(path)] ?? 0) + bytes;
  return { bytes: server.artifacts.bytes, uncompressedBytes: server.artifacts.uncompressedBytes, requests: server.artifacts.requests, byKind };
}

async function resultOf(page: Page): Promise<StartupResult> {
  await page.waitForFunction(() => window.startup || window.startupError, null, { timeout: 120_000 });
  const err = await page.evaluate(() => window.startupError);
  if (err) throw new Error(`start-up page failed: ${err}`);
  return (await page.evaluate(() => window.startup))!;
}

/** A cold load of `url` in a fresh context (empty HTTP cache and IndexedDB), with the bytes the server sent. */
async function coldRun(browser: Browser, server: StaticServer, url: string): Promise<ColdRun> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    server.reset();
    await page.goto(url);
    const result = await resultOf(page);
    return { result, served: snapshot(server) };
  } finally {
    await context.close();
  }
}

/** A cold load of `url` in a fresh context and its reload (warm): each one's main-thread task time and the bytes the server sent. */
async function coldAndWarm(browser: Browser, server: StaticServer, url: string) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    server.reset();
    await page.goto(url);
    const cold = await resultOf(page);
    const coldBusy = await busy(cdp);
    const coldServed = snapshot(server);
    server.reset();
    await page.reload();
    const warm = await resultOf(page);
    return { cold, warm, coldBusy, warmBusy: since(coldBusy, await busy(cdp)), coldServed, warmServed: snapshot(server) };
  } finally {
    await context.close();
  }
}

export async function runStartup(
  browser: Browser,
  server: StaticServer,
  catalog: string,
  budgetBytes: number,
  runs: number,
  history: readonly string[],
  log: (s: string) => void,
): Promise<StartupRun[]> {
  const out: StartupRun[] = [];
  await server.precompress(catalog);
  const base = `${server.origin}/startup.html?manifest=/artifacts/${catalog}/manifest.json&budget=${budgetBytes}`;
  const url = `${base}&user=0`;
  const historyUrl = `${base}&history=${history.map(encodeURIComponent).join(',')}`;
  for (let i = 0; i < runs; i++) {
    const { cold, warm, coldBusy, warmBusy, coldServed, warmServed } = await coldAndWarm(browser, server, url);
    const coldMemory = (await coldRun(browser, server, `${url}&storage=memory`)).result;
    const { coldServed: _c, warmServed: _w, ...inThread } = await coldAndWarm(browser, server, `${url}&worker=false`);
    const blind = await coldRun(browser, server, historyUrl);
    const revealing = await coldRun(browser, server, `${historyUrl}&groupBlind=false`);
    log(
      `  start-up run ${i + 1}: cold memory-storage ${coldMemory.firstRecommendationsMs.toFixed(0)} ms, cold ${cold.firstRecommendationsMs.toFixed(0)} ms (${coldServed.bytes} B), warm ${warm.firstRecommendationsMs.toFixed(0)} ms (${warmServed.bytes} B); main-thread tasks ${coldBusy.taskMs.toFixed(0)} / ${warmBusy.taskMs.toFixed(0)} ms`,
    );
    log(
      `    history user (group ${blind.result.userGroup}), cold: group-blind ${blind.result.firstRecommendationsMs.toFixed(0)} ms (${blind.served.bytes} B), groupBlind false ${revealing.result.firstRecommendationsMs.toFixed(0)} ms (${revealing.served.bytes} B)`,
    );
    log(
      `    worker false: cold ${inThread.cold.firstRecommendationsMs.toFixed(0)} ms, warm ${inThread.warm.firstRecommendationsMs.toFixed(0)} ms; main-thread tasks ${inThread.coldBusy.taskMs.toFixed(0)} / ${inThread.warmBusy.taskMs.toFixed(0)} ms`,
    );
    out.push({ cold, warm, coldMemory, inThread, coldServed, warmServed, coldBusy, warmBusy, history: { blind, revealing } });
  }
  return out;
}
