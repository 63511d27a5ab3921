/**
 * Random artifacts with the shape of a real one, for timing only: their scores
 * mean nothing, so they never stand in for quality figures. Written with the
 * format package's ArtifactWriter so the runtime loads them like any other.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactWriter, FORMAT_VERSION, encodeUserShard, readManifest, type BlockPayload, type Manifest, type ManifestDraft } from '@peelrec/format';

export interface CatalogShape {
  /** Directory name under the cache and the `catalog` column of the results. */
  readonly name: string;
  /** What the rows say the catalog is, e.g. "random values, Gowalla shape". */
  readonly label: string;
  readonly items: number;
  readonly blockDim: number;
  readonly blocksPerItem: number;
  readonly itemGroups: number;
  readonly userGroups: number;
  readonly users: number;
  readonly usersPerShard: number;
  readonly seed: number;
}

/** 40,981 items and 29,858 users (Gowalla's counts) in the trainer's default shape: 16 blocks of 8 dims, 20 item groups, 8 user groups, f32 + f16 + i8 packs; 64 users per shard (32 KiB: what a known user costs to look up). */
export const GOWALLA_SHAPE: CatalogShape = {
  name: 'gowalla-shape',
  label: 'random values in the shape of the Gowalla artifact (40,981 items, 16 blocks × 8 dims, 20 item groups, 8 user groups)',
  items: 40_981,
  blockDim: 8,
  blocksPerItem: 16,
  itemGroups: 20,
  userGroups: 8,
  users: 29_858,
  usersPerShard: 64,
  seed: 1,
};

/**
 * One million items. 4-dim blocks so a 16 MB budget still holds one f32 block
 * per item group (1M × 4 dims × 4 bytes = 16 MB); 8 blocks to keep the files
 * on disk (f32 + f16 + i8) near 230 MB.
 */
export const MILLION_SHAPE: CatalogShape = {
  name: 'synthetic-1m',
  label: 'synthetic random catalog (1,000,000 items, 8 blocks × 4 dims, 20 item groups)',
  items: 1_000_000,
  blockDim: 4,
  blocksPerItem: 8,
  itemGroups: 20,
  userGroups: 1,
  users: 256,
  usersPerShard: 256,
  seed: 2,
};

/** A small catalog for the software WebGPU adapter (~400× slower than WASM here). */
export const SMALL_SHAPE: CatalogShape = {
  name: 'small',
  label: 'random values, 2,000 items, 16 blocks × 8 dims, 4 item groups',
  items: 2_000,
  blockDim: 8,
  blocksPerItem: 16,
  itemGroups: 4,
  userGroups: 1,
  users: 64,
  usersPerShard: 64,
  seed: 3,
};

/** Bump when the generator changes so cached artifacts are rebuilt. */
const GENERATOR_VERSION = 3;

/** mulberry32: a tiny seeded PRNG, so every run benchmarks the same bytes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Approximately N(0, sd) by the sum of three uniforms: enough for timing data. */
export function fillNormal(out: Float32Array, rand: () => number, sd: number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = (rand() + rand() + rand() - 1.5) * 2 * sd;
  return out;
}

function splitEvenly(total: number, parts: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const count = Math.floor(total / parts) + (p < total % parts ? 1 : 0);
    out.push({ start, count });
    start += count;
  }
  return out;
}

/**
 * Writes the artifact of `shape` under `cacheDir/<name>` unless an identical
 * one (same shape and generator version) is already there.
 * Returns the directory and the parsed manifest.
 */
export async function ensureCatalog(shape: CatalogShape, cacheDir: string, log: (s: string) => void = () => {}): Promise<{ dir: string; manifest: Manifest }> {
  const dir = join(cacheDir, shape.name);
  const stamp = JSON.stringify({ GENERATOR_VERSION, shape });
  try {
    if ((await readFile(join(dir, 'shape.json'), 'utf8')) === stamp) {
      return { dir, manifest: await readManifest({ read: async (p) => new Uint8Array(await readFile(join(dir, p))) }) };
    }
  } catch {
    /* not generated yet */
  }
  log(`generating ${shape.name} (${shape.label}) in ${dir}`);
  await rm(dir, { recursive: true, force: true });
  const writer = new ArtifactWriter({
    async write(path, bytes) {
      const file = join(dir, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    },
  });
  const rand = prng(shape.seed);
  const { items, blockDim, blocksPerItem, itemGroups: G, userGroups: C } = shape;
  const fullDim = blockDim * blocksPerItem;
  const groups = splitEvenly(items, G);

  const ids = await writer.json(
    'items/ids.json',
    Array.from({ length: items }, (_, i) => `item-${i}`),
  );
  const centroids = Array.from({ length: C }, () => Array.from(fillNormal(new Float32Array(fullDim), rand, 0.1)));
  const shards = [];
  for (const s of splitEvenly(shape.users, Math.ceil(shape.users / shape.usersPerShard))) {
    const vectors = fillNormal(new Float32Array(s.count * fullDim), rand, 0.1);
    const groupIds = new Uint16Array(s.count).map((_, i) => (s.start + i) % C);
    const file = await writer.file(`users/shard-${s.start}.bin`, encodeUserShard(vectors, groupIds, fullDim));
    shards.push({ ...s, file });
  }

  const blocks: ManifestDraft['blocks'] = [];
  for (let c = 0; c < C; c++) {
    const payloads: BlockPayload[] = [];
    for (let g = 0; g < G; g++) {
      // Controller-like weights: a softmax over random logits, so a few blocks dominate each group.
      const logits = Array.from({ length: blocksPerItem }, () => rand() * 4);
      const z = logits.reduce((a, l) => a + Math.exp(l), 0);
      for (let b = 0; b < blocksPerItem; b++) {
        payloads.push({ itemGroup: g, block: b, weight: Math.exp(logits[b]!) / z, values: fillNormal(new Float32Array(blockDim * groups[g]!.count), rand, 0.1) });
      }
    }
    // As the trainer exports: one packed file per (user group, dtype), in selection order.
    blocks.push(...(await writer.blockPack(c, payloads, ['f32', 'f16', 'i8'])));
  }
  const manifest = await writer.finish({
    format: 'peelrec',
    formatVersion: FORMAT_VERSION,
    kind: 'peel-blocks',
    model: { id: `bench-${shape.name}` },
    dims: { fullDim, blockDim, blocksPerItem },
    layout: 'dim-major',
    items: { count: items, ids },
    itemGroups: groups,
    userGroups: { count: C, centroids },
    users: { count: shape.users, shards },
    blocks,
    provenance: {
      dataset: `none: ${shape.label}`,
      trainer: `@peelrec/bench random catalog generator v${GENERATOR_VERSION}`,
      seed: shape.seed,
      createdAt: new Date(0).toISOString(),
      config: { ...shape },
    },
  });
  await writeFile(join(dir, 'shape.json'), stamp);
  return { dir, manifest };
}
