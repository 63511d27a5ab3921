/**
 * i8 blocks in real Chromium, on an artifact that exports f32, f16 and i8: the WASM kernel keeps i8 resident at
 * one byte per value and scores it exactly as `i8Scores` (its JS twin), within the query's 15-bit rounding of
 * the float64 reference; cpu widens i8 to f32, WebGPU (SwiftShader: correctness only) keeps it at one byte per
 * value (stored-webgpu-layout.ts), and both agree with the reference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { decodeBlock, type Selection } from '@peelrec/format';
import { i8Scores, scoreReference, topK, type RecommenderInfo } from '../src/index.js';
import { buildFixture, bytesOf, type Fixture } from '../test/fixtures/artifact.js';
import { startServer, type TestServer } from './server.js';
import { buildPage, expectAgreement, launch, open, openPage, recommendMany } from './page.js';

// 300 items × 32 dims (4 blocks of 8), item groups 30/90/180, 3 user groups, as runtime.browser.test.ts.
const DIMS = 32;
const FULL = 300 * DIMS * 4;
/** One f32 block per item group; i8 holds all but one block there (its blocks cost 8·n + 4 bytes). */
const MIN_F32 = 300 * 8 * 4;
/** Below one f16 block per item group (4,800 B): only i8 (2,412 B for one per group) fits. */
const I8_ONLY = 3_000;
/**
 * i8 on WASM against an unrounded scorer, relative to the best score: the user's coefficients are rounded to 8 bits
 * (a step of max |f| / 127 per item group), as the blocks' values are. Measured here: 0.25–0.27 % of the best score.
 */
const I8_TOLERANCE = 0.01;

let fixture: Fixture;
let server: TestServer;
let page: { dir: string; remove: () => Promise<void> } | undefined;
const browsers: Browser[] = [];

beforeAll(async () => {
  fixture = await buildFixture({
    seed: 7,
    items: 300,
    blockDim: 8,
    blocksPerItem: 4,
    itemGroupSizes: [30, 90, 180],
    userGroups: 3,
    users: 24,
    usersPerShard: 8,
    dtypes: ['f32', 'f16', 'i8'],
  });
  page = await buildPage();
  server = await startServer(page.dir, fixture.files);
});

afterAll(async () => {
  for (const b of browsers) await b.close();
  await server?.close();
  await page?.remove();
});

async function browser(extra: string[] = []): Promise<Browser> {
  const b = await launch(extra);
  browsers.push(b);
  return b;
}

const vectorOf = (u: number) => fixture.userVectors.subarray(u * DIMS, (u + 1) * DIMS);
const fileOf = (selection: Selection, g: number, b: number) => bytesOf(fixture.files, selection.blocks.find((x) => x.itemGroup === g && x.block === b)!.file);

function reference(selection: Selection, u: number, exclude: number[]) {
  return scoreReference({ manifest: fixture.manifest, selection, vector: vectorOf(u), k: 20, exclude, block: (g, b) => decodeBlock(fileOf(selection, g, b), selection.dtype) });
}

/**
 * Three users of every user group, with exclusions: each top-20 agrees with the float64 reference, and, when
 * `exact`, equals the i8 kernel's JS twin bit for bit (scores and order). Returns each group's info, with the
 * bytes of the live tensors then.
 */
async function checkUsers(p: Page, exact: boolean): Promise<(RecommenderInfo & { tensorBytes: number })[]> {
  const seen: (RecommenderInfo & { tensorBytes: number })[] = [];
  for (const g of [0, 1, 2]) {
    const users = [...fixture.userGroups.keys()].filter((u) => fixture.userGroups[u] === g).slice(0, 3);
    const exclude = [1, 40, 200, 299];
    const results = await recommendMany(
      p,
      users.map((u) => ({ user: { vector: Array.from(vectorOf(u)), group: g }, k: 20, exclude: exclude.map((i) => fixture.itemIds[i]!) })),
    );
    const info: RecommenderInfo = await p.evaluate(() => window.driver.info());
    expect(info.userGroup).toBe(g);
    seen.push({ ...info, tensorBytes: (await p.evaluate(() => window.driver.memory())).numBytes });
    users.forEach((u, i) => {
      const want = reference(info.selection, u, exclude);
      if (!exact) return expectAgreement(results[i]!, want);
      const scores = i8Scores({ manifest: fixture.manifest, selection: info.selection, vector: vectorOf(u), block: (gi, b) => fileOf(info.selection, gi, b) });
      expect(results[i]!.map(({ position, score }) => ({ position, score }))).toEqual(topK(scores, 20, new Set(exclude)).map(({ position, score }) => ({ position, score })));
      // The float64 reference, to the rounding of the user's coefficients to 8 bits (bounded in kernel-i8.test.ts).
      expectAgreement(results[i]!, want, I8_TOLERANCE * Math.abs(want[0]!.score));
    });
  }
  return seen;
}

describe('i8 blocks, WebGPU off', () => {
  it('WASM: auto moves from f32 to f16 to i8 as the budget tightens; i8 stays int8 resident and scores exactly as i8Scores', async () => {
    const p = await openPage(await browser(), server.url, { noGpu: true });
    await open(p, { backend: 'wasm', budget: FULL, storage: 'memory' });
    const dtypes: string[] = [];
    for (const budget of [FULL, 20_000, MIN_F32, I8_ONLY]) {
      const now: RecommenderInfo = await p.evaluate((b) => window.driver.setBudget(b), budget);
      dtypes.push(now.selection.dtype);
      for (const info of await checkUsers(p, now.selection.dtype === 'i8')) {
        const { selection } = info;
        expect(info.residentBytes).toBeLessThanOrEqual(budget);
        // f32 and f16 at their file size; i8 at one byte per value, its 4-byte scales in the kernel's plan.
        expect(info.residentBytes).toBe(selection.fileBytes - (selection.dtype === 'i8' ? 4 * selection.blocks.length : 0));
        expect(info.tensorBytes).toBe(info.residentBytes);
      }
    }
    expect(dtypes).toEqual(['f32', 'f16', 'i8', 'i8']);
    await p.context().close();
  });

  it('WASM i8 reads item vectors back as scale × q: a history user folds in as on cpu, and their top-k agree', async () => {
    const history = ['item-3', 'item-50', 'item-120', 'item-250'];
    const got: Awaited<ReturnType<typeof recommendMany>>[number][] = [];
    // Budgets that hold every i8 block (12 of 8·n + 4 bytes; cpu counts them as f32): one selection on both.
    for (const [backend, budget] of [
      ['wasm', FULL / 4 + 48],
      ['cpu', FULL],
    ] as const) {
      const p = await openPage(await browser(), server.url, { noGpu: true });
      const info = await open(p, { backend, budget, storage: 'memory', dtype: 'i8' });
      expect(info.selection.blocks).toHaveLength(12);
      got.push((await recommendMany(p, [{ user: { history }, k: 20 }]))[0]!);
      await p.context().close();
    }
    // WASM rounds the user's i8 coefficients to 8 bits; cpu widens the blocks to f32 and does not.
    expectAgreement(got[0]!, got[1]!, I8_TOLERANCE * Math.abs(got[1]![0]!.score));
  });

  it('cpu: i8 asked for is widened to f32 (and counted so), and agrees with the reference', async () => {
    const p = await openPage(await browser(), server.url, { noGpu: true });
    const info = await open(p, { backend: 'cpu', budget: 20_000, storage: 'memory', dtype: 'i8' });
    expect(info.backend.name).toBe('cpu');
    expect(info.selection.dtype).toBe('i8');
    for (const now of await checkUsers(p, false)) {
      expect(now.residentBytes).toBe(now.selection.bytes);
      expect(now.residentBytes).toBe((now.selection.fileBytes - 4 * now.selection.blocks.length) * 4);
    }
    await p.context().close();
  });
});

describe('i8 blocks, WebGPU on (SwiftShader)', () => {
  it('forced WebGPU: auto moves from f32 to f16 to i8 as the budget tightens; each stays at its file size on the GPU and agrees with the reference', async () => {
    const p = await openPage(await browser(['--enable-unsafe-webgpu']), server.url);
    await open(p, { backend: 'webgpu', budget: FULL, storage: 'memory' });
    const dtypes: string[] = [];
    for (const budget of [FULL, 20_000, MIN_F32, I8_ONLY]) {
      const now: RecommenderInfo = await p.evaluate((b) => window.driver.setBudget(b), budget);
      expect(now.backend.name).toBe('webgpu');
      dtypes.push(now.selection.dtype);
      for (const info of await checkUsers(p, false)) {
        const { selection } = info;
        expect(info.residentBytes).toBeLessThanOrEqual(budget);
        // The stored values only: an i8 block's 4-byte scale multiplies the user's rows on the CPU.
        expect(info.residentBytes).toBe(selection.fileBytes - (selection.dtype === 'i8' ? 4 * selection.blocks.length : 0));
        // Beside them, the program's table of item groups: 6 int32 a group.
        expect(info.tensorBytes).toBe(info.residentBytes + 3 * 6 * 4);
      }
    }
    // f32 widened everything before: the same budgets held f32 blocks only, or refused the last one.
    expect(dtypes).toEqual(['f32', 'f16', 'i8', 'i8']);
    await p.context().close();
  });

  it('WebGPU i8 reads item vectors back as scale × q: a history user folds in as on WASM, and their top-k agree', async () => {
    const history = ['item-3', 'item-50', 'item-120', 'item-250'];
    const got: Awaited<ReturnType<typeof recommendMany>>[number][] = [];
    for (const [backend, flags] of [
      ['webgpu', ['--enable-unsafe-webgpu']],
      ['wasm', []],
    ] as const) {
      const p = await openPage(await browser([...flags]), server.url, backend === 'wasm' ? { noGpu: true } : {});
      const info = await open(p, { backend, budget: FULL / 4 + 48, storage: 'memory', dtype: 'i8' });
      expect(info.backend.name).toBe(backend);
      expect(info.selection.blocks).toHaveLength(12);
      got.push((await recommendMany(p, [{ user: { history }, k: 20 }]))[0]!);
      await p.context().close();
    }
    // WASM rounds the user's i8 coefficients to 8 bits; WebGPU multiplies them in f32.
    expectAgreement(got[0]!, got[1]!, I8_TOLERANCE * Math.abs(got[0]![0]!.score));
  });
});
