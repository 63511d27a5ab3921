/**
 * The trainer's v3 artifacts in real Chromium, as `methods --out` writes them (issues 21 to 23): BET's and CIESS's
 * (`mixed`) and SparseRec's (`sparse`) folders of the suite's method comparison (METHODS_FIXTURE: the
 * `peelrec-train methods` run whose artifacts the demo's Compare methods card serves), served by the harness under
 * /models/methods/<method>/. For each, on WASM and on WebGPU (SwiftShader, a browser of this file's own:
 * correctness only): the manifest names the method that made it and has the method's kind, and each budget (every
 * variant's bytes, and one between the two largest) is a fresh load that serves the variant `selectTable` picks,
 * within the budget, fetching that table's files alone, with the reference top-k (kind-serving.ts, computed here in
 * Node from the files on disk) for three known users and a new user's history.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type BrowserContext } from '@playwright/test';
import { decodeUserShard, type FileRef, isPeelManifest, type KindManifest, parseAnyManifest, selectTable, type TableSelectOptions } from '@peelrec/format';
import { METHODS_FIXTURE } from '../scripts/fixtures.js';
import { type KindArtifact, kindTopK, loadKind } from './kind-serving.js';
import { countServed, openHarness, topKMismatches } from './support.js';
import { webGpuBrowser, webGpuContext } from './webgpu-browser.js';

/** The comparison's methods with a v3 artifact, and the kind each must have. */
const METHODS = [
  { name: 'bet', kind: 'mixed' },
  { name: 'ciess', kind: 'mixed' },
  { name: 'sparserec', kind: 'sparse' },
] as const;
type Method = (typeof METHODS)[number];
type Backend = 'wasm' | 'webgpu';
const K = 10;
const prefixOf = (name: string) => `/models/methods/${name}/`;

type OnDisk = KindArtifact & { readonly userIds: readonly string[]; readonly itemIds: readonly string[] };

/** `name`'s artifact as `methods --out` wrote it, read from disk. */
function readArtifact(name: string): OnDisk {
  const dir = join(METHODS_FIXTURE.dir, name);
  const file = (url: string) => new Uint8Array(readFileSync(join(dir, url)));
  const m = parseAnyManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  if (isPeelManifest(m)) throw new Error(`${dir}: a peel-blocks artifact, not a v3 table`);
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
 * How the backend's layouts count values against the budget: WASM holds them as stored (mixed-wasm-layout.ts,
 * sparse-wasm-layout.ts), WebGPU widens them to f32 tensors (mixed-matmul-layout.ts, sparse-webgpu-layout.ts).
 */
const COUNTED: Record<Backend, TableSelectOptions> = { wasm: {}, webgpu: { residentDtype: 'f32' } };

/**
 * Each variant's bytes as `backend` counts them (selectTable on that variant alone), ascending, then one halfway
 * between the two largest (a fall-back, or for `mixed` a trimmed prefix, as the manifest's `selection` says).
 */
function budgetsOf(m: KindManifest, backend: Backend): number[] {
  const sizes = m.variants.map((v) => selectTable({ ...m, variants: [v] }, Number.MAX_SAFE_INTEGER, COUNTED[backend]).bytes).sort((a, b) => a - b);
  return [...sizes, Math.floor((sizes.at(-2)! + sizes.at(-1)!) / 2)];
}

async function scenario(context: BrowserContext, method: Method, backend: Backend): Promise<void> {
  const a = readArtifact(method.name);
  const m = a.manifest;
  const prefix = prefixOf(method.name);
  expect(m.provenance?.config, `${method.name}: the method that made the artifact`).toMatchObject({ method: method.name });
  expect(m.kind).toBe(method.kind);
  expect(m.variants.length).toBeGreaterThanOrEqual(2);
  // Known users from the first, middle and last shard; a history spread over the catalog.
  const users = [0, Math.floor(m.users.count / 2), m.users.count - 1];
  const history = [1, 7, Math.floor(m.items.count / 3), Math.floor(m.items.count / 2), m.items.count - 2];
  const served = await countServed(context, prefix);
  const page = await context.newPage();
  await openHarness(page);

  const picked = new Set<number>();
  for (const budget of budgetsOf(m, backend)) {
    const from = served.length;
    const { first: got } = await loadKind(page, {
      url: `${prefix}manifest.json`,
      backend,
      budget,
      storage: 'memory',
      users: users.map((u) => a.userIds[u]!),
      history: history.map((p) => a.itemIds[p]!),
      k: K,
    });
    const want = selectTable(m, budget, COUNTED[backend]);
    expect(got.backend).toBe(backend);
    expect(got.table).toEqual(want);
    expect(got.residentBytes).toBeGreaterThan(0);
    expect(got.residentBytes).toBeLessThanOrEqual(budget);
    users.forEach((u, i) => expect(topKMismatches(got.ranked[i]!, kindTopK(a, got.table, { vector: userVector(a, u) }, K)), `${budget} B, user ${a.userIds[u]}`).toEqual([]));
    expect(topKMismatches(got.ranked.at(-1)!, kindTopK(a, got.table, { history }, K)), `${budget} B, history user`).toEqual([]);
    // The table bytes it fetched are the chosen table's files alone: a sparse variant's payload, a mixed one's
    // permutation and kept columns (by Range).
    const variant = m.variants[want.variant]!;
    const refs = 'columns' in variant ? [...(variant.permutation ? [variant.permutation] : []), ...variant.columns.slice(0, want.columns).map((c) => c.file)] : [variant.file];
    const tables = served.slice(from).filter((s) => s.path.startsWith(`${prefix}tables/`));
    expect(tables.length).toBeGreaterThan(0);
    expect(new Set(tables.map((s) => s.path.slice(prefix.length)))).toEqual(new Set(refs.map((r) => r.url)));
    picked.add(got.table.variant);
  }
  expect(picked.size).toBe(m.variants.length);
  test.info().annotations.push({
    type: `${method.name}/${backend}`,
    description: `variants ${m.variants.map((v) => `${v.name} ${v.bytes} B`).join(', ')}; budgets as ${backend} counts them ${budgetsOf(m, backend).join(' / ')} B${m.kind === 'mixed' && m.selection ? `; selection ${JSON.stringify(m.selection)}` : ''}`,
  });
}

const title = (m: Method, on: string) => `${m.name} (${m.kind}) on ${on}: the trainer's artifact serves the variant selectTable picks at each budget, within it, with the reference top-k`;

for (const method of METHODS) {
  test(title(method, 'WASM'), async ({ context }) => {
    await scenario(context, method, 'wasm');
  });
}

test.describe('on WebGPU (SwiftShader)', () => {
  const gpu = webGpuBrowser();

  for (const method of METHODS) {
    test(title(method, 'WebGPU'), async ({ baseURL }) => {
      const context = await webGpuContext(gpu(), baseURL);
      try {
        await scenario(context, method, 'webgpu');
      } finally {
        await context.close();
      }
    });
  }
});
