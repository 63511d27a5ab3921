/**
 * The SDK as a web developer outside this repository gets it (issue 18): both packages packed with pnpm,
 * installed with npm into a stock Vite app in a temporary folder (the registry for everything else),
 * type-checked under the strictest tsconfig an app may use, built with Vite, and run in Chromium against the
 * demo's model. The app (e2e/scratch-app) runs the runtime README's quick start, verbatim.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test, type ConsoleMessage, type Page, type Response } from '@playwright/test';
import { SOURCE_CONDITION } from '../../scripts/source-condition.mjs';
import { cleanEnv, freePort, pinnedPnpm, repoRoot as repo, run } from './processes.js';

const scratchApp = join(repo, 'e2e/scratch-app');
const runtimeReadme = join(repo, 'packages/runtime/README.md');
const pnpm = pinnedPnpm;
const version = (pkg: string) => JSON.parse(readFileSync(join(repo, 'packages', pkg, 'package.json'), 'utf8')).version as string;
const MARKER = '<!-- quick-start: e2e/scratch-app/src/main.ts';

/** The ```ts block that follows the quick-start marker in the runtime README. */
function quickStart(): string {
  const text = readFileSync(runtimeReadme, 'utf8');
  const at = text.indexOf(MARKER);
  expect(at, `packages/runtime/README.md has no "${MARKER} …" line before its quick start`).toBeGreaterThanOrEqual(0);
  const block = /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  expect(block, 'no ```ts block after the quick-start marker').not.toBeNull();
  return block![1]!;
}

function tarList(tarball: string): string[] {
  return run('tar -t', 'tar', ['-tzf', tarball], dirname(tarball)).output.trim().split('\n');
}

function tarManifest(tarball: string): Record<string, unknown> {
  return JSON.parse(run('tar -x package.json', 'tar', ['-xzOf', tarball, 'package/package.json'], dirname(tarball)).output) as Record<string, unknown>;
}

/** Every file an `exports` map points at, except under the workspace-only source condition. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([k, v]) => (k === SOURCE_CONDITION ? [] : exportTargets(v)));
}

async function untilServes(url: string, server: ChildProcess, log: () => string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    expect(server.exitCode, `vite preview exited early:\n${log()}`).toBeNull();
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
  }
  throw new Error(`vite preview did not serve ${url} within 30 s:\n${log()}`);
}

/**
 * Serves the app with `vite <args>`, opens it, and checks what the quick start shows and logs. Returns the seconds
 * from navigation to both lists. `wasmUrl` is where the SIMD binary must come from.
 */
async function runsInChromium(page: Page, app: string, args: readonly string[], wasmUrl: RegExp, inWorker: boolean): Promise<number> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  let log = '';
  const server = spawn(process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), ...args, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: app, env: cleanEnv() });
  server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const messages: ConsoleMessage[] = [];
  const onConsole = (m: ConsoleMessage) => void messages.push(m);
  const wasm: { url: string; status: number; type: string | undefined }[] = [];
  const onResponse = (r: Response) => void (r.url().endsWith('.wasm') && wasm.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] }));
  const workers: string[] = [];
  const onWorker = (w: { url(): string }) => void workers.push(w.url());
  page.on('console', onConsole);
  page.on('response', onResponse);
  page.on('worker', onWorker);
  try {
    await untilServes(url, server, () => log);
    const t0 = Date.now();
    await page.goto(url);
    const lists = page.locator('#app ol');
    await expect(lists).toHaveCount(2, { timeout: 60_000 });
    const seconds = (Date.now() - t0) / 1000;
    await expect(page.locator('#app h2')).toHaveText(['For user-00000', 'For a new user who liked item-01335 and item-02394']);
    const [known, newUser] = [await lists.nth(0).locator('li').allTextContents(), await lists.nth(1).locator('li').allTextContents()];
    for (const list of [known, newUser]) {
      expect(list).toHaveLength(10);
      for (const line of list) expect(line).toMatch(/^\S.* \(item-\d{5}\)$/); // the catalog's name, then the id
    }
    expect(newUser.join('\n'), 'a history user is not recommended their own history').not.toMatch(/item-01335|item-02394/);
    expect(newUser).not.toEqual(known);

    const texts = (type: string) => messages.filter((m) => m.type() === type).map((m) => m.text());
    expect(texts('log').join('\n')).toMatch(/^peelrec: \d+ items, scored on wasm; /m);
    expect(wasm, `the WASM binaries fetched (one, the SIMD build, from ${wasmUrl})`).toEqual([{ url: expect.stringMatching(wasmUrl), status: 200, type: 'application/wasm' }]);
    // One adapter request per page (a browser warns "No available adapters." on each), and one debug line. In the
    // scoring worker the request is the worker's (the page makes none: synchronous IPC on its main thread), made on
    // the worker's own navigator.gpu, which the page's stub does not reach: its reason is this machine's.
    expect(await page.evaluate(() => (window as unknown as { adapterRequests: number }).adapterRequests)).toBe(inWorker ? 0 : 1);
    // The build runs the SDK's scoring worker. Under Vite's dev server (the SDK pre-bundled) the worker is created
    // but its script does not start: the SDK loads in-thread and says so at debug level.
    expect(
      workers.filter((u) => /scoring-worker/.test(u)),
      'the scoring worker',
    ).toHaveLength(1);
    const noWorker = inWorker ? [] : ['[peelrec] the scoring worker did not start; loading on this thread'];
    const pageLine = '[peelrec] WebGPU: requestAdapter returned no adapter; scoring on WASM or CPU';
    const scoringWorker = page.workers().find((w) => /scoring-worker/.test(w.url()));
    // The worker logs the line when its navigator.gpu answered no adapter; without navigator.gpu it asks nothing.
    const workerAsked = inWorker && (await scoringWorker!.evaluate(() => 'gpu' in navigator && Boolean((navigator as { gpu?: unknown }).gpu)));
    // In-thread, the page asks once the worker did not start: its line comes second.
    const lines = inWorker ? (workerAsked ? [expect.stringMatching(/^\[peelrec\] WebGPU: /)] : []) : [...noWorker, pageLine];
    expect(texts('debug').filter((t) => t.includes('[peelrec]'))).toEqual(lines);
    expect(texts('warning'), 'console warnings').toEqual([]);
    expect(texts('error'), 'console errors').toEqual([]);
    return seconds;
  } finally {
    page.off('console', onConsole);
    page.off('response', onResponse);
    page.off('worker', onWorker);
    server.kill();
  }
}

test('the runtime README quick start is the scratch app’s src/main.ts, character for character', () => {
  const main = readFileSync(join(scratchApp, 'src/main.ts'), 'utf8');
  expect(quickStart(), 'packages/runtime/README.md (quick start) and e2e/scratch-app/src/main.ts differ: change both together').toBe(main);
});

test('npm pack of the runtime refuses, naming pnpm pack, instead of writing a tarball npm cannot install (workspace:*)', () => {
  const r = spawnSync('npm', ['pack', '--dry-run'], { cwd: join(repo, 'packages/runtime'), env: cleanEnv(), encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  expect(r.status, output).not.toBe(0);
  expect(output).toContain('npm pack would ship "@peelrec/format": "workspace:*", which npm cannot install (EUNSUPPORTEDPROTOCOL)');
  expect(output).toContain('Pack with pnpm');
});

test('packed with pnpm and installed with npm outside the workspace, the quick start type-checks strictly (TypeScript 7 and 5.9), builds, and recommends in Chromium', async ({ page }) => {
  test.setTimeout(6 * 60_000);
  const work = mkdtempSync(join(tmpdir(), 'peelrec-scratch-'));
  try {
    const packs = join(work, 'packs');
    const app = join(work, 'app');
    const seconds: Record<string, number> = {};
    const tarballs = { format: join(packs, `peelrec-format-${version('format')}.tgz`), runtime: join(packs, `peelrec-runtime-${version('runtime')}.tgz`) };

    await test.step('pnpm pack builds dist/ and writes both tarballs', () => {
      const packArgs = ['exec', '--yes', `--package=${pnpm}`, '--', 'pnpm', '--filter', '@peelrec/format', '--filter', '@peelrec/runtime', 'pack', '--pack-destination', packs];
      seconds.pack = run('pnpm pack', 'npm', packArgs, repo).seconds;
      expect(readdirSync(packs).sort()).toEqual([tarballs.format, tarballs.runtime].map((t) => t.slice(packs.length + 1)).sort());
    });

    await test.step('each tarball is installable: dist/ with types, a license, no workspace: protocol', () => {
      for (const [name, tarball] of Object.entries(tarballs)) {
        const files = tarList(tarball);
        const pkg = tarManifest(tarball);
        expect(JSON.stringify(pkg), `${name}: the packed package.json`).not.toContain('workspace:');
        expect(pkg.license).toBe('MIT');
        for (const f of ['LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts']) expect(files, `${name} lacks ${f}`).toContain(`package/${f}`);
        expect(
          files.filter((f) => f.startsWith('package/src/')),
          `${name} ships its sources`,
        ).toEqual([]);
        for (const target of exportTargets(pkg.exports)) expect(files, `${name}: exports names ${target}, which the tarball lacks`).toContain(`package/${target.replace(/^\.\//, '')}`);
      }
      const runtime = tarManifest(tarballs.runtime) as { dependencies: Record<string, string>; peerDependencies: Record<string, string> };
      expect(runtime.dependencies['@peelrec/format']).toBe(version('format'));
      for (const p of ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-backend-webgpu']) expect(runtime.peerDependencies[`@tensorflow/${p}`]).toBe('~4.22.0');
    });

    await test.step('npm install of both tarballs into a fresh Vite app (TF.js 4.22 comes as peers)', () => {
      cpSync(scratchApp, app, { recursive: true });
      // The quick start's model: the demo's, as the README copies it (the suite's web server trained it).
      cpSync(join(repo, 'public/models/synthetic'), join(app, 'public/models/synthetic'), { recursive: true });
      seconds.install = run('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarballs.format, tarballs.runtime], app).seconds;
      const installed = (p: string) => JSON.parse(readFileSync(join(app, 'node_modules', p, 'package.json'), 'utf8')).version as string;
      expect(installed('@peelrec/runtime')).toBe(version('runtime'));
      expect(installed('@tensorflow/tfjs-core')).toBe('4.22.0');
      expect(installed('@tensorflow/tfjs-backend-wasm')).toBe('4.22.0');
    });

    await test.step('tsc passes under strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, erasableSyntaxOnly, skipLibCheck false: TypeScript 7 (the template’s) and 5.9', () => {
      const tsconfig = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8').replace(/\/\*.*?\*\//g, '')).compilerOptions;
      expect(tsconfig).toMatchObject({
        strict: true,
        erasableSyntaxOnly: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        noEmit: true,
      });
      seconds.tsc = run('tsc (the app’s TypeScript 7)', process.execPath, [join(app, 'node_modules/typescript/bin/tsc')], app).seconds;
      // The workspace's TypeScript, which many apps still use, on the same project.
      const ts5 = createRequire(join(repo, 'e2e/package.json')).resolve('typescript/bin/tsc');
      expect(JSON.parse(readFileSync(join(dirname(ts5), '../package.json'), 'utf8')).version).toMatch(/^5\./);
      seconds.tsc5 = run('tsc (TypeScript 5.9)', process.execPath, [ts5, '-p', join(app, 'tsconfig.json')], app).seconds;
    });

    await test.step('vite build emits the tfjs-backend-wasm binaries the SDK names (no wasmPaths in the app)', () => {
      seconds.build = run('vite build', process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build'], app).seconds;
      const wasm = readdirSync(join(app, 'dist/assets')).filter((f) => f.endsWith('.wasm'));
      expect(wasm.map((f) => f.replace(/-[\w-]{8}\.wasm$/, '.wasm')).sort()).toEqual(['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm']);
    });

    // A browser without a WebGPU adapter, made the same on every machine; counts the SDK's adapter requests.
    await page.addInitScript(() => {
      const w = window as unknown as { adapterRequests: number };
      w.adapterRequests = 0;
      const gpu = { requestAdapter: async () => (w.adapterRequests++, null) };
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => gpu, configurable: true });
    });

    await test.step('vite preview of the build, in Chromium: ten recommendations for user-00000 and ten for a history-only new user, on WASM, without console noise', async () => {
      seconds.preview = await runsInChromium(page, app, ['preview'], /\/assets\/tfjs-backend-wasm-simd-[\w-]{8}\.wasm$/, true);
    });

    await test.step('the same under the dev server, where Vite pre-bundles the SDK (the binaries come from node_modules)', async () => {
      seconds.dev = await runsInChromium(page, app, [], /\/node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-simd\.wasm$/, false);
    });

    test.info().annotations.push({ type: 'seconds', description: JSON.stringify(seconds) });
    console.log(`[package] seconds: ${JSON.stringify(seconds)}`);
  } finally {
    // Deleted even when a step failed (each run leaves about 200 MB); retried while a killed vite server lets go.
    rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }
});
