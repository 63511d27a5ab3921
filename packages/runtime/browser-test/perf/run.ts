/**
 * Measures the runtime in headless Chromium, A/B side by side in one run:
 *   tsx browser-test/perf/run.ts scoring <artifactDir> <budgetBytes> [rounds]
 *   tsx browser-test/perf/run.ts startup <artifactDir> <budgetBytes> [runs] [tuningJsonB]
 * Artifacts come from outside the repo (e.g. the bench's generated catalogs).
 * Prints p50/p95 (ms) and ratios; nothing here asserts timings.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from 'playwright-core';
import initWabt from 'wabt';
import { CHROMIUM_FLAGS, findChromium } from '../../../../scripts/chromium.mjs';
import { sourceResolve } from '../../../../scripts/source-condition.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const [mode, artifactDir, budgetArg, countArg, tuningArg] = process.argv.slice(2);
if (!mode || !artifactDir || !budgetArg) throw new Error('usage: run.ts scoring|startup <artifactDir> <budgetBytes> [count] [tuningJson]');
const budget = Number(budgetArg);
const FLAGS = [...CHROMIUM_FLAGS];
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

const outDir = '/tmp/peelrec-perf/page';
await build({ ...sourceResolve, configFile: false, root: here, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022', minify: true } });

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const file = path.startsWith('/model/') ? normalize(join(artifactDir, path.slice(7))) : normalize(join(outDir, path === '/' ? 'index.html' : path));
  try {
    await stat(file);
    const whole = await readFile(file);
    // One byte range (packed blocks are fetched that way), as static hosts serve it.
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const body = range ? whole.subarray(Number(range[1]), Number(range[2]) + 1) : whole;
    res.writeHead(range ? 206 : 200, {
      ...(range && { 'content-range': `bytes ${range[1]}-${Number(range[1]) + body.byteLength - 1}/${whole.byteLength}` }),
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': path.startsWith('/model/') ? 'no-cache' : 'max-age=3600',
      // Cross-origin isolated: performance.now() resolves to 5 µs instead of 100 µs.
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const browser = await chromium.launch({ executablePath: findChromium(), args: FLAGS });

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
};
const fmt = (x: number) => x.toFixed(3);

try {
  if (mode === 'scoring') {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page]', e.message));
    await page.goto(origin);
    await page.waitForFunction(() => document.title === 'ready');
    const info = await page.evaluate(([b, be]) => window.perf.open('/model/manifest.json', b as number, be as 'wasm' | 'cpu'), [budget, process.env.PERF_BACKEND ?? 'wasm'] as const);
    console.log('resident', info.residentBytes, 'blocks', info.blocks, 'memory', JSON.stringify(info.memory));
    const wabt = await initWabt();
    const parsed = wabt.parseWat('bound.wat', await readFile(join(here, 'bound.wat'), 'utf8'), { simd: true });
    const bytes = Buffer.from(parsed.toBinary({}).buffer).toString('base64');
    if ((process.env.PERF_BACKEND ?? 'wasm') === 'wasm') await page.evaluate((b) => window.perf.initBound(b), bytes);
    const manifest = JSON.parse(await readFile(join(artifactDir, 'manifest.json'), 'utf8'));
    const vector = Array.from({ length: manifest.dims.fullDim }, (_, i) => Math.sin(i + 1));
    const rounds = Number(countArg ?? 60);
    const r = await page.evaluate(([v, n]) => window.perf.series(n as number, v as number[], 0, ['item-3', '7']), [vector, rounds] as const);
    console.log('agree', r.agree, JSON.stringify(r.top), JSON.stringify(r.matmulTop));
    const b50 = r.samples.bound!.length ? pct(r.samples.bound!, 0.5) : NaN;
    for (const [name, xs] of Object.entries(r.samples)) {
      if (!xs.length) continue;
      console.log(`${name.padEnd(8)} p50 ${fmt(pct(xs, 0.5))} ms  p95 ${fmt(pct(xs, 0.95))} ms  ×bound ${fmt(pct(xs, 0.5) / b50)}`);
    }
    console.log(`bound: ${fmt(info.residentBytes / 1e9 / (b50 / 1e3))} GB/s`);
  } else {
    const runs = Number(countArg ?? 3);
    const variants: Record<string, string> = { A: '{}', ...(tuningArg ? { B: tuningArg } : {}) };
    const results: Record<string, { cold: number[]; warm: number[]; coldReady: number[]; warmReady: number[]; bytes: number[]; coldFiles: number[]; warmFiles: number[] }> = {};
    for (let run = 0; run < runs; run++) {
      for (const [name, tuning] of Object.entries(variants)) {
        const ctx = await browser.newContext();
        const page = await ctx.newPage();
        page.on('pageerror', (e) => console.error('[page]', e.message));
        const url = `${origin}/?startup=${encodeURIComponent('/model/manifest.json')}&budget=${budget}&tuning=${encodeURIComponent(tuning)}`;
        const one = async () => {
          await page.goto(url);
          await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 120_000 });
          return page.evaluate(() => window.startupResult as Record<string, number | string | string[]>);
        };
        const cold = await one();
        if (run === 0 && name === 'A') {
          for (const c of [4, 6])
            console.log(
              'fetch only, concurrency',
              c,
              JSON.stringify(await page.evaluate(([f, n]) => window.perf.fetchOnly(f as string[], n as number), [cold.files as unknown as string[], c] as const)),
            );
        }
        delete cold.files;
        const warm = await one();
        delete warm.files;
        if (cold.error || warm.error) throw new Error(String(cold.error ?? warm.error));
        const acc = (results[name] ??= { cold: [], warm: [], coldReady: [], warmReady: [], bytes: [], coldFiles: [], warmFiles: [] });
        acc.coldFiles.push(cold.filesMs as number);
        acc.warmFiles.push(warm.filesMs as number);
        acc.cold.push(cold.firstMs as number);
        acc.warm.push(warm.firstMs as number);
        acc.coldReady.push(cold.scriptStartMs as number);
        acc.warmReady.push(warm.scriptStartMs as number);
        acc.bytes.push((cold.downloadedBytes as number) / (cold.selectedFileBytes as number));
        console.log(name, 'cold', JSON.stringify(cold), '\n ', name, 'warm', JSON.stringify(warm));
        await ctx.close();
      }
    }
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `${name} ${variants[name]}: cold first-recs p50 ${fmt(pct(r.cold, 0.5))} ms (script start ${fmt(pct(r.coldReady, 0.5))}), warm p50 ${fmt(pct(r.warm, 0.5))} ms (script start ${fmt(pct(r.warmReady, 0.5))}); files phase cold ${fmt(pct(r.coldFiles, 0.5))} warm ${fmt(pct(r.warmFiles, 0.5))} ms; downloaded/selected files ${fmt(pct(r.bytes, 0.5))}`,
      );
    }
  }
} finally {
  await browser.close();
  server.close();
}
