/**
 * The v3 kind layouts in real Chromium, against the float64 reference on seeded tables (exact sums, so equal
 * bit for bit): on tfjs-wasm the kernel's paths, both builds (mixed: the dense scan band by band; sparse: the
 * CSR scan); on WebGPU (SwiftShader: correctness only) tfjs matMul per band for mixed and the WGSL programs for
 * sparse. Also which entry the registry opens on each backend, resident bytes, item vectors and freed tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { sourceResolve } from '../../../scripts/source-condition.mjs';
import type { CaseResult, CaseSpec } from './kinds/kinds-page.js';
import { startServer, type TestServer } from './server.js';
import { launch, openPage } from './page.js';

let dir: string;
let server: TestServer;
let browser: Browser;
const pages = new Map<string, Page>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peelrec-kinds-page-'));
  const root = fileURLToPath(new URL('./kinds/', import.meta.url));
  await build({ ...sourceResolve, configFile: false, root, logLevel: 'warn', build: { outDir: dir, emptyOutDir: true, target: 'es2022', minify: true, chunkSizeWarningLimit: 4096 } });
  server = await startServer(dir, new Map());
  browser = await launch(['--enable-unsafe-webgpu']);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A page on `backend` (one per backend: tfjs keeps one active backend per page). */
async function pageOn(backend: 'wasm' | 'webgpu'): Promise<Page> {
  let p = pages.get(backend);
  if (!p) {
    p = await openPage(browser, server.url);
    expect(await p.evaluate((b) => window.kinds.backend(b), backend)).toBe(backend);
    pages.set(backend, p);
  }
  return p;
}

const check = async (backend: 'wasm' | 'webgpu', spec: CaseSpec, factory: string): Promise<CaseResult> =>
  (await pageOn(backend)).evaluate(([s, f]) => window.kinds.check(s, f), [spec, factory] as const);

const MIXED: CaseSpec[] = [
  { kind: 'mixed', seed: 1, items: 300, fullDim: 24, dtype: 'f32', identity: false, trim: false },
  { kind: 'mixed', seed: 2, items: 300, fullDim: 24, dtype: 'f16', identity: true, trim: false },
  { kind: 'mixed', seed: 3, items: 257, fullDim: 16, dtype: 'f16', identity: false, trim: true },
];
const SPARSE: CaseSpec[] = [
  { kind: 'sparse', seed: 4, items: 300, fullDim: 40, dtype: 'f32', density: 0.3 },
  { kind: 'sparse', seed: 5, items: 333, fullDim: 40, dtype: 'f16', density: 0.1 },
  { kind: 'sparse', seed: 6, items: 100, fullDim: 12, dtype: 'f16', density: 0 },
  // 625 chunks of 32 rows: each thread of the chunk-starts program sums several; half the rows are empty.
  { kind: 'sparse', seed: 7, items: 20_000, fullDim: 16, dtype: 'f32', density: 0.2, zeroRows: 0.5 },
];

function expectAgreement(r: CaseResult, counted: 'file' | 'f32'): void {
  expect(r.requests.length).toBeGreaterThan(0);
  for (const { got, want } of r.requests) expect(got).toEqual(want);
  expect(r.vectors.got).toEqual(r.vectors.want);
  expect(r.residentBytes).toBeLessThanOrEqual(r.selectionBytes);
  if (counted === 'file') expect(r.residentBytes).toBe(r.fileBytes);
  expect(r.residentDtype).toBe(counted === 'f32' ? 'f32' : null);
  expect(r.tensorsHeld).toBeGreaterThan(0);
  expect(r.tensorsLeft).toBe(0);
}

describe('kind layouts in Chromium', () => {
  it.each([
    ['wasm', 'mixed', 'mixed-wasm-relaxed-simd'],
    ['wasm', 'sparse', 'sparse-wasm-relaxed-simd'],
    ['webgpu', 'mixed', 'mixed-matmul'],
    ['webgpu', 'sparse', 'sparse-webgpu'],
  ] as const)('on %s the registry opens %s tables with %s', async (backend, kind, name) => {
    expect(await (await pageOn(backend)).evaluate((k) => window.kinds.opens(k), kind)).toBe(name);
  });

  describe.each(['mixed-wasm-relaxed-simd', 'mixed-wasm-simd'])('%s on wasm', (factory) => {
    it.each(MIXED.map((s) => [`${s.dtype}${'identity' in s && s.identity ? ', identity' : ', permuted'}${'trim' in s && s.trim ? ', trimmed' : ''}`, s] as const))(
      '%s: the reference top-k, as stored',
      async (_, spec) => {
        expectAgreement(await check('wasm', spec, factory), 'file');
      },
    );
  });

  describe.each(['sparse-wasm-relaxed-simd', 'sparse-wasm-simd'])('%s on wasm', (factory) => {
    it.each(SPARSE.map((s) => [`${s.dtype}, density ${'density' in s ? s.density : ''}`, s] as const))('%s: the reference top-k, as stored', async (_, spec) => {
      expectAgreement(await check('wasm', spec, factory), 'file');
    });
  });

  it.each(MIXED.map((s) => [`${s.dtype}${'trim' in s && s.trim ? ', trimmed' : ''}`, s] as const))('mixed-matmul on webgpu, %s: the reference top-k, widened', async (_, spec) => {
    expectAgreement(await check('webgpu', spec, 'mixed-matmul'), 'f32');
  });

  it.each(SPARSE.map((s) => [`${s.dtype}, density ${'density' in s ? s.density : ''}`, s] as const))('sparse-webgpu on webgpu, %s: the reference top-k, widened', async (_, spec) => {
    const r = await check('webgpu', spec, 'sparse-webgpu');
    expectAgreement(r, 'f32');
    // Widened as counted: the row counts and indices padded to 4 bytes, then 4 bytes a value.
    expect(r.residentBytes).toBe(r.selectionBytes);
  });
});
