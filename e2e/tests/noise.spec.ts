/**
 * Issue 18's noise, each checked where it came from: pnpm's "Ignored build scripts" box on every install,
 * `npm run demo` on a busy port, Ctrl-C on `npm run demo`, and the demo page's missing favicon and doubled
 * "No available adapters." warning.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { DEMO_PORT } from '../scripts/fixtures.js';
import { cleanEnv, freePort, pinnedPnpm, repoRoot, run } from './processes.js';

test('a fresh pnpm install of the workspace prints no "Ignored build scripts" warning', () => {
  // The workspace's manifests alone, installed from the store that `npm test` has just filled.
  const dir = mkdtempSync(join(tmpdir(), 'peelrec-install-'));
  try {
    for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml']) cpSync(join(repoRoot, f), join(dir, f));
    for (const parent of ['packages', 'apps']) {
      for (const name of readdirSync(join(repoRoot, parent))) {
        mkdirSync(join(dir, parent, name), { recursive: true });
        cpSync(join(repoRoot, parent, name, 'package.json'), join(dir, parent, name, 'package.json'));
      }
    }
    for (const name of ['e2e', 'bench']) {
      mkdirSync(join(dir, name));
      cpSync(join(repoRoot, name, 'package.json'), join(dir, name, 'package.json'));
    }
    const { output } = run('pnpm install', 'npm', ['exec', '--yes', `--package=${pinnedPnpm}`, '--', 'pnpm', 'install', '--frozen-lockfile', '--offline'], dir);
    expect(output).toMatch(/Done in/);
    expect(output).not.toMatch(/Ignored build scripts|approve-builds/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Listens on `port` of localhost, as a first `npm run demo` does. */
function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, 'localhost', () => resolve(s));
  });
}

test('npm run demo on a port already in use says so before building, and how to choose another', async () => {
  test.setTimeout(120_000);
  const port = await freePort('localhost');
  const blocker = await occupy(port);
  try {
    const child = spawn('npm', ['run', 'demo'], { cwd: repoRoot, env: cleanEnv({ PORT: String(port) }) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(1);
    expect(out).toContain(`port ${port} is already in use (another \`npm run demo\`?). Stop that server, or choose another port: PORT=${port + 1} npm run demo`);
    expect(out, 'the port is checked before the model and the build').not.toMatch(/\[peelrec\] model |built in/);
    expect(out).not.toContain('ERR_PNPM');
  } finally {
    blocker.close();
  }
});

test('Ctrl-C on the demo stops the server and exits 0, without a pnpm error', async () => {
  test.setTimeout(300_000);
  const port = await freePort('localhost');
  // `npm run demo` runs this script; in its own process group, which a terminal's Ctrl-C signals as a whole.
  const child = spawn(process.execPath, ['scripts/run.mjs', 'demo'], { cwd: repoRoot, env: cleanEnv({ PORT: String(port) }), detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
  try {
    await expect.poll(() => out, { timeout: 240_000, message: 'the demo never printed its URL' }).toContain(`peelrec demo: http://localhost:${port}/`);
    expect((await fetch(`http://localhost:${port}/`)).status).toBe(200);
    process.kill(-child.pid!, 'SIGINT');
    expect(await closed, out).toEqual([0, null]);
    expect(out.trimEnd()).toMatch(/\[peelrec\] demo stopped$/);
    expect(out).not.toMatch(/ERR_PNPM|exit 130|\[peelrec\] demo failed/);
    await expect(fetch(`http://localhost:${port}/`)).rejects.toThrow();
  } finally {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
});

test('the demo page asks for no missing file (favicon included), for a WebGPU adapter once (in its scoring worker, none on the page), and finds its WASM binaries unaided', async ({ page }) => {
  // A browser without an adapter, the same on every machine; counts the requests (Chromium warns on each).
  await page.addInitScript(() => {
    const w = window as unknown as { adapterRequests: number };
    w.adapterRequests = 0;
    const gpu = { requestAdapter: async () => (w.adapterRequests++, null) };
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => gpu, configurable: true });
  });
  const errors: string[] = [];
  const debug: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' ? errors.push(m.text()) : m.type() === 'debug' && debug.push(m.text())));
  await page.goto(`http://localhost:${DEMO_PORT}/`);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('#recs li').first()).toBeVisible();
  expect(errors).toEqual([]);
  // The SDK scores in its worker: the page asks for no adapter (synchronous IPC on its main thread), the worker asks
  // once on its own navigator.gpu, which the stub above does not reach, and logs one debug line when it gets none.
  const worker = page.workers().find((w) => /scoring-worker/.test(w.url()));
  expect(worker, 'the scoring worker runs').toBeDefined();
  expect(await page.evaluate(() => (window as unknown as { adapterRequests: number }).adapterRequests)).toBe(0);
  const workerHasGpu = await worker!.evaluate(() => Boolean((navigator as { gpu?: unknown }).gpu));
  expect(debug.filter((t) => t.startsWith('[peelrec] WebGPU: '))).toHaveLength(workerHasGpu ? 1 : 0);
  // The demo passes no wasmPaths: the binaries the runtime names were emitted by its build and found.
  const backend = await page.evaluate(() => (window as unknown as { peelrecDemo: { rec: { info: { backend: { name: string; fallbacks: unknown[] } } } } }).peelrecDemo.rec.info.backend);
  expect(backend.name, JSON.stringify(backend.fallbacks)).toBe('wasm');
});
