/**
 * Backends agree with the plain-TypeScript reference (`scoreReference`) on
 * the small catalog. This project launches Chromium with
 * --enable-unsafe-webgpu, so WebGPU is SwiftShader: a real but software
 * adapter (isFallbackAdapter), ~400× slower than WASM.
 */
import { expect, test, type Page } from '@playwright/test';
import { fixture, manifestUrlOf, openHarness, topKMismatches, type Ranked } from './support.js';

const MODEL = 'small';
const K = 10;

interface Agreement {
  backend: string;
  fallbacks: { backend: string; reason: string }[];
  adapter?: { isFallbackAdapter: boolean };
  users: { id: string; group: number; got: Ranked[]; ref: Ranked[] }[];
}

/** Creates a recommender with `backend`, scores `users`, and computes the reference for each under the same selection. */
async function agreement(page: Page, backend: 'webgpu' | 'wasm' | 'cpu' | 'auto', users: { id: string; pos: number }[], budgetShare: number): Promise<Agreement> {
  return page.evaluate(
    async ({ url, backend, users, k, budgetShare }) => {
      const { createRecommender, format, wasmPaths, referenceTopK, userVector } = window.peel;
      const manifestUrl = new URL(url, location.href);
      const probe = await fetch(manifestUrl).then((r) => r.json());
      const m = format.parseManifest(probe);
      // A budget that keeps only part of the table, so selection matters to the scores.
      const budget = Math.round(format.fullTableBytes(m, 'f32') * budgetShare);
      const rec = await createRecommender({ manifestUrl, budget, backend, storage: 'memory', wasmPaths });
      const out: Agreement = { backend: rec.info.backend.name, fallbacks: [...rec.info.backend.fallbacks], adapter: rec.info.backend.adapter, users: [] };
      for (const { id, pos } of users) {
        const got = await rec.recommend({ user: { id }, k });
        const { vector, group } = await userVector(manifestUrl, m, pos);
        if (rec.info.userGroup !== group) throw new Error(`runtime scored user ${id} with group ${rec.info.userGroup}, the shard says ${group}`);
        const ref = await referenceTopK(manifestUrl, m, rec.info.selection, vector, k);
        out.users.push({ id, group, got: got.map((r) => ({ position: r.position, score: r.score })), ref });
      }
      await rec.dispose();
      return out;
    },
    { url: manifestUrlOf(MODEL), backend, users, k: K, budgetShare },
  );
}

function expectAgreement(a: Agreement): void {
  for (const u of a.users) {
    expect(topKMismatches(u.got, u.ref), `user ${u.id} (group ${u.group}) on ${a.backend}`).toEqual([]);
  }
}

/** A few users spread over the user groups. */
function someUsers(): { id: string; pos: number }[] {
  const fx = fixture(MODEL);
  const n = fx.userIds.length;
  return [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1].map((pos) => ({ id: fx.userIds[pos]!, pos }));
}

test('WebGPU (forced, SwiftShader) returns the same top-k as the reference, at a partial budget', async ({ page }) => {
  await openHarness(page);
  const hasGpu = await page.evaluate(async () => !!(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
  expect(hasGpu, 'Chromium launched with --enable-unsafe-webgpu exposes an adapter').toBe(true);
  const a = await agreement(page, 'webgpu', someUsers(), 0.5);
  expect(a.backend).toBe('webgpu');
  expect(a.adapter?.isFallbackAdapter).toBe(true);
  expectAgreement(a);
});

test('WASM with navigator.gpu removed returns the same top-k as the reference, and auto mode says WebGPU is missing', async ({ page }) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await openHarness(page);
  expect(await page.evaluate(() => 'gpu' in navigator)).toBe(false);
  const a = await agreement(page, 'auto', someUsers(), 0.5);
  expect(a.backend).toBe('wasm');
  expect(a.fallbacks.map((f) => f.backend)).toContain('webgpu');
  expectAgreement(a);
});

test('CPU (forced) returns the same top-k as the reference', async ({ page }) => {
  await openHarness(page);
  const a = await agreement(page, 'cpu', someUsers().slice(0, 2), 1);
  expect(a.backend).toBe('cpu');
  expectAgreement(a);
});

test('auto mode passes over the software WebGPU adapter for WASM and reports why', async ({ page }) => {
  await openHarness(page);
  const a = await agreement(page, 'auto', someUsers().slice(0, 1), 1);
  expect(a.backend).toBe('wasm');
  expect(a.adapter?.isFallbackAdapter).toBe(true);
  const webgpu = a.fallbacks.find((f) => f.backend === 'webgpu');
  expect(webgpu, JSON.stringify(a.fallbacks)).toBeTruthy();
  expect(webgpu!.reason).toMatch(/software|fallback|swiftshader/i);
  expectAgreement(a);
});
