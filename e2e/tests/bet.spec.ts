/**
 * BET's artifact (issue 21) in real Chromium, as the trainer writes it: the `bet/` folder of the suite's method
 * comparison (METHODS_FIXTURE: the `peelrec-train methods` run whose artifacts the demo's Compare methods card
 * serves), served by the harness under /models/methods/bet/. On WASM and on WebGPU (SwiftShader, a browser of this
 * file's own: correctness only), each budget (every variant's bytes, and one between the two largest) is a fresh
 * load that serves the variant `selectTable` picks, within the budget, fetching that variant's table file alone,
 * with the reference top-k (kind-serving.ts, computed here in Node from the files on disk) for three known users
 * and a new user's history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test, type Browser, type BrowserContext } from '@playwright/test';
import { decodeUserShard, type FileRef, isPeelManifest, type KindManifest, parseAnyManifest, selectTable, type TableSelectOptions } from '@peelrec/format';
import { CHROMIUM_FLAGS, findChromium } from '../../scripts/chromium.mjs';
import { METHODS_FIXTURE } from '../scripts/fixtures.js';
import { type KindArtifact, kindTopK, type Loaded, loadKind } from './kind-serving.js';
import { countServed, openHarness, topKMismatches } from './support.js';

const PREFIX = '/models/methods/bet/';
const K = 10;

/** The artifact as `methods --out` wrote it, read from disk. */
function readBet(): KindArtifact & { readonly userIds: readonly string[]; readonly itemIds: readonly string[] } {
  const dir = join(METHODS_FIXTURE.dir, 'bet');
  const file = (url: string) => new Uint8Array(readFileSync(join(dir, url)));
  const m = parseAnyManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (isPeelManifest(m)) throw new Error(`${dir}: a peel-blocks artifact, not BET's mixed table`);
  const json = (ref: FileRef | undefined, n: number) => (ref ? (JSON.parse(new TextDecoder().decode(file(ref.url))) as string[]) : Array.from({ length: n }, (_, i) => String(i)));
  return {
    manifest: m,
    bytes: (ref) => (ref.offset === undefined ? file(ref.url) : file(ref.url).subarray(ref.offset, ref.offset + ref.byteLength)),
    userIds: json(m.users.ids, m.users.count),
    itemIds: json(m.items.ids, m.items.count),
  };
}

/** A known user's vector, from its shard on disk. */
function userVector(a: KindArtifact, position: number): Float32Array {
  const d = a.manifest.dims.fullDim;
  const shard = a.manifest.users.shards.find((s) => position >= s.start && position < s.start + s.count)!;
  const { vectors } = decodeUserShard(a.bytes(shard.file), d, shard.count);
  return vectors.slice((position - shard.start) * d, (position - shard.start + 1) * d);
}

/**
 * How the backend's mixed layout counts values against the budget: WASM holds the f16 columns as stored
 * (mixed-wasm-layout.ts), WebGPU widens them to f32 tensors (mixed-matmul-layout.ts).
 */
const COUNTED: Record<'wasm' | 'webgpu', TableSelectOptions> = { wasm: {}, webgpu: { residentDtype: 'f32' } };

/**
 * Each variant's bytes as `backend` counts them (selectTable on that variant alone), ascending, then one halfway
 * between the two largest (a fall-back or a trimmed prefix, as the manifest's `selection` says).
 */
function budgetsOf(m: KindManifest, backend: 'wasm' | 'webgpu'): number[] {
  const sizes = m.variants.map((v) => selectTable({ ...m, variants: [v] }, Number.MAX_SAFE_INTEGER, COUNTED[backend]).bytes).sort((a, b) => a - b);
  return [...sizes, Math.floor((sizes.at(-2)! + sizes.at(-1)!) / 2)];
}

async function scenario(context: BrowserContext, backend: 'wasm' | 'webgpu'): Promise<void> {
  const bet = readBet();
  const m = bet.manifest;
  expect(m.kind).toBe('mixed');
  expect(m.provenance?.config).toMatchObject({ method: 'bet' });
  expect(m.variants.length).toBeGreaterThanOrEqual(2);
  // Known users from the first, middle and last shard; a history spread over the catalog.
  const users = [0, Math.floor(m.users.count / 2), m.users.count - 1];
  const history = [1, 7, Math.floor(m.items.count / 3), Math.floor(m.items.count / 2), m.items.count - 2];
  const served = await countServed(context, PREFIX);
  const page = await context.newPage();
  await openHarness(page);

  const picked = new Set<number>();
  for (const budget of budgetsOf(m, backend)) {
    const from = served.length;
    const { first } = await loadKind(page, {
      url: `${PREFIX}manifest.json`,
      backend,
      budget,
      storage: 'memory',
      users: users.map((u) => bet.userIds[u]!),
      history: history.map((p) => bet.itemIds[p]!),
      k: K,
    });
    const want = selectTable(m, budget, COUNTED[backend]);
    const got: Loaded = first;
    expect(got.backend).toBe(backend);
    expect(got.table).toEqual(want);
    expect(got.residentBytes).toBeGreaterThan(0);
    expect(got.residentBytes).toBeLessThanOrEqual(budget);
    users.forEach((u, i) => expect(topKMismatches(got.ranked[i]!, kindTopK(bet, got.table, { vector: userVector(bet, u) }, K)), `${budget} B, user ${bet.userIds[u]}`).toEqual([]));
    expect(topKMismatches(got.ranked.at(-1)!, kindTopK(bet, got.table, { history }, K)), `${budget} B, history user`).toEqual([]);
    // The table bytes it fetched are the chosen variant's file alone (its columns by Range).
    const variant = m.variants[want.variant]!;
    const files = 'columns' in variant ? new Set(variant.columns.map((c) => c.file.url)) : new Set([variant.file.url]);
    const tables = served.slice(from).filter((s) => s.path.startsWith(`${PREFIX}tables/`));
    expect(tables.length).toBeGreaterThan(0);
    expect(new Set(tables.map((s) => s.path.slice(PREFIX.length)))).toEqual(files);
    picked.add(got.table.variant);
  }
  expect(picked.size).toBe(m.variants.length);
  test.info().annotations.push({
    type: `bet/${backend}`,
    description: `variants ${m.variants.map((v) => `${v.name} ${v.bytes} B`).join(', ')}; budgets as ${backend} counts them ${budgetsOf(m, backend).join(' / ')} B${m.kind === 'mixed' && m.selection ? `; selection ${JSON.stringify(m.selection)}` : ''}`,
  });
}

test("BET on WASM: the trainer's artifact serves the variant selectTable picks at each budget, within it, with the reference top-k", async ({ context }) => {
  await scenario(context, 'wasm');
});

test.describe('on WebGPU (SwiftShader)', () => {
  let gpu: Browser;
  test.beforeAll(async () => {
    gpu = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_FLAGS, '--enable-unsafe-webgpu'] });
  });
  test.afterAll(async () => {
    await gpu?.close();
  });

  test("BET on WebGPU: the trainer's artifact serves the variant selectTable picks at each budget, within it, with the reference top-k", async ({ baseURL }) => {
    const context = await gpu.newContext({ baseURL });
    try {
      const page = await context.newPage();
      await openHarness(page);
      expect(await page.evaluate(async () => !!(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()))).toBe(true);
      await page.close();
      await scenario(context, 'webgpu');
    } finally {
      await context.close();
    }
  });
});
