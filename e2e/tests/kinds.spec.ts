/**
 * Table kinds (format v3, issue 20) in real Chromium: a small `mixed` and a small `sparse` artifact (300 items,
 * fullDim 24, three f32 variants), written here with the format's writer and served by the e2e server under
 * /models/kinds/. On WASM and on WebGPU (SwiftShader: a browser of this file's own, launched with
 * --enable-unsafe-webgpu) each of four budgets serves the variant `selectTable` picks, within the budget, with the
 * reference's top-k (computed here in Node from the same tables): the three variants' own sizes, and one between the
 * two largest, where `mixed` holds a column prefix of the largest (trimming is the default) and `sparse` falls back
 * to the middle variant; `setBudget` switches variant; a warm reload serves from IndexedDB without a request for
 * table bytes. On WebGPU a lost device moves the table to WASM, reloaded from IndexedDB, as PEEL's blocks are.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { selectTable, type FileRef, type KindManifest, type TableSelection } from '@peelrec/format';
import { buildKindFixture, type KindFixture } from '../../packages/runtime/test/fixtures/kind-artifact.js';
import { bytesOf } from '../../packages/runtime/test/fixtures/artifact.js';
import { kindsDir } from '../scripts/fixtures.js';
import { type KindArtifact, kindTopK, type Loaded, loadKind } from './kind-serving.js';
import { countServed, openHarness, topKMismatches, type ServedRequest } from './support.js';
import { webGpuBrowser, webGpuContext } from './webgpu-browser.js';

const KINDS = ['mixed', 'sparse'] as const;
type Kind = (typeof KINDS)[number];
const K = 10;
/** Users scored at each budget (artifact positions; their ids are "0" … "n-1"), and a new user's history. */
const USERS = [0, 13, 29];
const HISTORY = [2, 40, 77, 150, 260];

const fixtures = new Map<Kind, KindFixture>();
const prefixOf = (kind: Kind) => `/models/kinds/${kind}/`;

test.beforeAll(async () => {
  for (const kind of KINDS) {
    const dir = join(kindsDir, kind);
    rmSync(dir, { recursive: true, force: true });
    const write = async (path: string, bytes: Uint8Array) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), bytes);
    };
    fixtures.set(kind, await buildKindFixture({ kind, seed: 20, items: 300, fullDim: 24, users: 40, usersPerShard: 16 }, { write }));
  }
});

/** Each variant's bytes (all f32: counted alike whether a layout widens or not), ascending: the three budgets. */
function budgetsOf(m: KindManifest): number[] {
  return m.variants.map((v) => v.bytes).sort((a, b) => a - b);
}

/** A budget halfway between the two largest variants: a column prefix of the largest for `mixed`. */
const betweenOf = (budgets: readonly number[]) => Math.floor((budgets[1]! + budgets[2]!) / 2);

/** The fixture as the reference reads it. */
const artifactOf = (fx: KindFixture): KindArtifact => ({ manifest: fx.manifest, bytes: (ref) => bytesOf(fx.files, ref) });

const userVector = (fx: KindFixture, u: number) => fx.userVectors.slice(u * fx.manifest.dims.fullDim, (u + 1) * fx.manifest.dims.fullDim);

/** A load of `kind`'s artifact scoring USERS and the HISTORY user (kind-serving.ts). */
const load = (page: Page, o: { kind: Kind; backend: 'wasm' | 'webgpu'; budget: number; storage: 'memory' | 'indexeddb'; grow?: readonly number[] }) =>
  loadKind(page, { ...o, url: `${prefixOf(o.kind)}manifest.json`, users: USERS.map(String), history: HISTORY.map((p) => `item-${p}`), k: K });

/** The load serves what `selectTable` picks at its budget, within it, with the reference's top-k for every user. */
function expectServed(fx: KindFixture, got: Loaded, backend: string, budget: number): void {
  expect(got.backend).toBe(backend);
  expect(got.budget).toBe(budget);
  expect(got.table).toEqual(selectTable(fx.manifest, budget));
  expect(got.residentBytes).toBeGreaterThan(0);
  expect(got.residentBytes).toBeLessThanOrEqual(budget);
  USERS.forEach((u, i) => expect(topKMismatches(got.ranked[i]!, kindTopK(artifactOf(fx), got.table, { vector: userVector(fx, u) }, K)), `user ${u}`).toEqual([]));
  expect(topKMismatches(got.ranked.at(-1)!, kindTopK(artifactOf(fx), got.table, { history: HISTORY }, K)), 'history user').toEqual([]);
}

/** Bytes served for the variant files (tables/), per request, since `from`. */
const tableRequests = (kind: Kind, served: readonly ServedRequest[], from = 0) => served.slice(from).filter((s) => s.path.startsWith(`${prefixOf(kind)}tables/`));

/** The files `table` holds: a mixed variant's permutation and kept columns, a sparse variant's payload. */
function refsOf(fx: KindFixture, table: TableSelection): FileRef[] {
  const v = fx.manifest.variants[table.variant]!;
  return 'columns' in v ? [...(v.permutation ? [v.permutation] : []), ...v.columns.slice(0, table.columns).map((c) => c.file)] : [v.file];
}

/**
 * The served table bytes are exactly the files of `tables`, each once (a file whose SHA-256 an earlier table
 * holds is read from IndexedDB: the store is content-addressed), a mixed variant's by Range.
 */
function expectFetched(fx: KindFixture, tables: readonly TableSelection[], requests: readonly ServedRequest[]): void {
  const seen = new Set<string>();
  const refs = tables.flatMap((t) => refsOf(fx, t)).filter((r) => !seen.has(r.sha256) && seen.add(r.sha256));
  expect(new Set(requests.map((s) => s.path.slice(s.path.indexOf('/tables/') + 1)))).toEqual(new Set(refs.map((r) => r.url)));
  expect(requests.reduce((n, s) => n + s.bytes, 0)).toBe(refs.reduce((n, r) => n + r.byteLength, 0));
  if (fx.manifest.kind === 'mixed') expect(requests.every((s) => s.status === 206 && s.range !== undefined)).toBe(true);
}

/**
 * What a stored WebGPU load serves before and after its device is lost (the harness destroys it), the fallbacks
 * announced, and the table bytes requested from the loss on (`served` counts them).
 */
async function loseDevice(
  page: Page,
  kind: Kind,
  budget: number,
  served: readonly ServedRequest[],
): Promise<{ before: Loaded; after: Loaded; fallbacks: { from: string; to: string; reason: string }[]; requested: ServedRequest[] }> {
  const args = { url: `${prefixOf(kind)}manifest.json`, budget, users: USERS, history: HISTORY, k: K };
  type Args = typeof args;
  const report = ({ users, history, k }: Args) => {
    const held = window as unknown as { lostRec: Awaited<ReturnType<Window['peel']['createRecommender']>> };
    return (async () => {
      const rec = held.lostRec;
      const ranked = [];
      for (const u of users) ranked.push((await rec.recommend({ user: { id: String(u) }, k })).map((r) => ({ position: r.position, score: r.score })));
      ranked.push((await rec.recommend({ user: { history: history.map((p) => `item-${p}`) }, k })).map((r) => ({ position: r.position, score: r.score })));
      const i = rec.info;
      return { backend: i.backend.name, manifestSource: i.manifestSource, budget: i.budget.bytes, table: i.table!, residentBytes: i.residentBytes, ranked };
    })();
  };
  await page.evaluate(async ({ url, budget }) => {
    const { createRecommender, wasmPaths } = window.peel;
    const fallbacks: unknown[] = [];
    // In-thread (worker: false): the harness loses this page's WebGPU device; a scoring worker's device is out of its reach.
    const rec = await createRecommender({ manifestUrl: url, budget, backend: 'webgpu', storage: 'indexeddb', wasmPaths, worker: false, on: { fallback: (f) => fallbacks.push(f) } });
    await rec.persisted();
    Object.assign(window, { lostRec: rec, lostFallbacks: fallbacks });
  }, args);
  const before = await page.evaluate(report, args);
  const from = served.length;
  await page.evaluate(() => window.peel.loseDevice());
  // The next request waits for the recovery (queued by the device's lost promise) and is served by WASM.
  const after = await page.evaluate(report, args);
  const fallbacks = await page.evaluate(async () => {
    const held = window as unknown as { lostRec: { dispose(): Promise<void> }; lostFallbacks: { from: string; to: string; reason: string }[] };
    await held.lostRec.dispose();
    return held.lostFallbacks;
  });
  return { before, after, fallbacks, requested: tableRequests(kind, served, from) };
}

async function scenario(context: BrowserContext, kind: Kind, backend: 'wasm' | 'webgpu'): Promise<void> {
  const fx = fixtures.get(kind)!;
  const budgets = budgetsOf(fx.manifest);
  const served = await countServed(context, prefixOf(kind));
  const page = await context.newPage();
  await openHarness(page);

  // Four budgets, each a fresh load that keeps nothing: the variant, its downloads, the top-k.
  const picked = new Set<number>();
  const tables: TableSelection[] = [];
  for (const budget of [...budgets, betweenOf(budgets)]) {
    const from = served.length;
    const { first } = await load(page, { kind, backend, budget, storage: 'memory' });
    expectServed(fx, first, backend, budget);
    expectFetched(fx, [first.table], tableRequests(kind, served, from));
    picked.add(first.table.variant);
    tables.push(first.table);
  }
  expect(picked.size).toBe(3);
  // Between the two largest variants: mixed holds the largest one's column prefix (more than the middle variant
  // whole), sparse falls back to the middle variant.
  const betweenTable = tables.at(-1)!;
  const largest = fx.manifest.variants.findIndex((v) => v.bytes === budgets[2]);
  const middle = fx.manifest.variants.findIndex((v) => v.bytes === budgets[1]);
  if (kind === 'mixed') {
    expect(betweenTable).toMatchObject({ variant: largest, trimmed: true });
    expect(betweenTable.bytes).toBeGreaterThan(budgets[1]!);
  } else {
    expect(betweenTable).toMatchObject({ variant: middle, trimmed: false });
  }

  // setBudget: the smallest variant, stored, then without a reload the budget between the two largest (mixed: a
  // prefix of the largest), then the largest: each switch downloads only the files no earlier table stored, so the
  // prefix grows to its whole variant by the missing columns alone.
  let from = served.length;
  const between = betweenOf(budgets);
  const { first, grown } = await load(page, { kind, backend, budget: budgets[0]!, storage: 'indexeddb', grow: [between, budgets[2]!] });
  const [mid, full] = grown as [Loaded, Loaded];
  expectServed(fx, first, backend, budgets[0]!);
  expectServed(fx, mid, backend, between);
  expectServed(fx, full, backend, budgets[2]!);
  expect(mid.table.variant).not.toBe(first.table.variant);
  expect(full.table).toMatchObject({ variant: largest, trimmed: false });
  if (kind === 'mixed') expect(mid.table).toMatchObject({ variant: largest, trimmed: true });
  // Each table's files, less what an earlier one stored: every file requested once, none of the held prefix again.
  const requests = tableRequests(kind, served, from);
  expectFetched(fx, [first.table, mid.table, full.table], requests);
  test.info().annotations.push({
    type: `${kind}/${backend}`,
    description: `variants ${budgets.join(' / ')} B; small, then ${between} B, then the largest: ${requests.map((s) => `${s.path.split('/').pop()} ${s.bytes} B`).join(', ')}`,
  });

  // A warm reload at the largest budget: the manifest from the cache first, and not one request for table bytes.
  await page.reload();
  await openHarness(page);
  from = served.length;
  const warm = await load(page, { kind, backend, budget: budgets[2]!, storage: 'indexeddb' });
  expect(warm.first.manifestSource).toBe('cache');
  expect(warm.changed).toBe(false); // the server confirmed the version it served
  expectServed(fx, warm.first, backend, budgets[2]!);
  expect(tableRequests(kind, served, from)).toEqual([]);
}

for (const kind of KINDS) {
  test(`${kind} on WASM: four budgets (one between variants: mixed trims) pick their tables within budget with the reference top-k; setBudget switches, a prefix grows by its missing columns; a warm reload fetches no table bytes`, async ({
    context,
  }) => {
    await scenario(context, kind, 'wasm');
  });
}

test.describe('on WebGPU (SwiftShader)', () => {
  const gpu = webGpuBrowser();

  for (const kind of KINDS) {
    test(`${kind} on WebGPU: four budgets (one between variants: mixed trims) pick their tables within budget with the reference top-k; setBudget switches, a prefix grows by its missing columns; a warm reload fetches no table bytes`, async ({
      baseURL,
    }) => {
      const context = await webGpuContext(gpu(), baseURL);
      try {
        await scenario(context, kind, 'webgpu');
      } finally {
        await context.close();
      }
    });
  }

  for (const kind of KINDS) {
    test(`${kind} on WebGPU: a lost device moves the table to WASM, the same variant reloaded from IndexedDB, with the reference top-k`, async ({ baseURL }) => {
      const context = await gpu().newContext({ baseURL });
      try {
        const fx = fixtures.get(kind)!;
        const budget = budgetsOf(fx.manifest)[1]!;
        const served = await countServed(context, prefixOf(kind));
        const page = await context.newPage();
        await openHarness(page);
        const { before, after, fallbacks, requested } = await loseDevice(page, kind, budget, served);
        expectServed(fx, before, 'webgpu', budget);
        expectServed(fx, after, 'wasm', budget);
        expect(after.table).toEqual(before.table);
        expect(fallbacks).toEqual([{ from: 'webgpu', to: 'wasm', reason: expect.stringMatching(/lost/) }]);
        expect(requested).toEqual([]); // the variant came back from IndexedDB
      } finally {
        await context.close();
      }
    });
  }
});
