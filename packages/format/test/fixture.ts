import { ArtifactWriter, blockFromRows, encodeBlock, encodeUserShard, type ArtifactSink, type BlockPayload, type ArtifactSource, type Dtype, type Manifest, type ManifestDraft } from '../src/index.js';

/** An in-memory artifact store. */
export class MemoryStore implements ArtifactSink, ArtifactSource {
  readonly files = new Map<string, Uint8Array>();
  async write(path: string, bytes: Uint8Array): Promise<void> {
    this.files.set(path, bytes.slice());
  }
  async read(path: string): Promise<Uint8Array> {
    const b = this.files.get(path);
    if (!b) throw new Error(`no such file: ${path}`);
    return b;
  }
}

/** Mulberry32: a tiny seeded PRNG so fixtures are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FixtureShape {
  items: number;
  itemGroups: number;
  userGroups: number;
  users: number;
  blockDim: number;
  blocksPerItem: number;
  dtypes: Dtype[];
  seed: number;
  /** One packed file per (user group, dtype) with byte-range refs (the writer's default), or one file per block. */
  packed?: boolean;
  /** Every user group gets user group 0's table and weights (as groups that all keep a shared backbone do). */
  identicalGroups?: boolean;
}

export const SMALL: FixtureShape = { items: 50, itemGroups: 4, userGroups: 2, users: 6, blockDim: 2, blocksPerItem: 4, dtypes: ['f32', 'f16'], seed: 1 };

/** Group sizes that differ (like real popularity cuts) and cover all items. */
export function groupSizes(items: number, groups: number): number[] {
  const base = Math.floor(items / groups);
  return Array.from({ length: groups }, (_, g) => base + (g < items % groups ? 1 : 0));
}

/** Writes a complete random artifact and returns its manifest. */
export async function writeFixture(store: ArtifactSink, shape: FixtureShape = SMALL): Promise<Manifest> {
  const r = rng(shape.seed);
  const fullDim = shape.blockDim * shape.blocksPerItem;
  const w = new ArtifactWriter(store);
  const sizes = groupSizes(shape.items, shape.itemGroups);
  let start = 0;
  const itemGroups = sizes.map((count) => {
    const g = { start, count };
    start += count;
    return g;
  });
  const ids = await w.json(
    'items/ids.json',
    Array.from({ length: shape.items }, (_, i) => `item-${i}`),
  );
  const blocks: Manifest['blocks'] = [];
  let payloads: BlockPayload[] = [];
  for (let c = 0; c < shape.userGroups; c++) {
    if (c > 0 && shape.identicalGroups) {
      blocks.push(...(await w.blockPack(c, payloads, shape.dtypes)));
      continue;
    }
    const rows = Float32Array.from({ length: shape.items * fullDim }, () => r() * 2 - 1);
    payloads = [];
    for (let g = 0; g < shape.itemGroups; g++) {
      const raw = Array.from({ length: shape.blocksPerItem }, () => r());
      const sum = raw.reduce((a, b) => a + b, 0);
      for (let b = 0; b < shape.blocksPerItem; b++) {
        payloads.push({ itemGroup: g, block: b, weight: raw[b]! / sum, values: blockFromRows(rows, fullDim, shape.blockDim, b, itemGroups[g]!.start, itemGroups[g]!.count) });
      }
    }
    if (shape.packed !== false) {
      blocks.push(...(await w.blockPack(c, payloads, shape.dtypes)));
      continue;
    }
    for (const p of payloads) {
      const files = [];
      for (const dtype of shape.dtypes) {
        files.push({ dtype, ...(await w.file(`blocks/${c}/${p.itemGroup}/${p.block}.${dtype}`, encodeBlock(p.values, dtype))) });
      }
      blocks.push({ userGroup: c, itemGroup: p.itemGroup, block: p.block, weight: p.weight, files });
    }
  }
  const vectors = Float32Array.from({ length: shape.users * fullDim }, () => r());
  const groups = Uint16Array.from({ length: shape.users }, (_, i) => i % shape.userGroups);
  const shard = await w.file('users/0.bin', encodeUserShard(vectors, groups, fullDim));
  const draft: ManifestDraft = {
    format: 'peelrec',
    formatVersion: 2,
    kind: 'peel-blocks',
    model: { id: 'fixture' },
    dims: { fullDim, blockDim: shape.blockDim, blocksPerItem: shape.blocksPerItem },
    layout: 'dim-major',
    items: { count: shape.items, ids },
    itemGroups,
    userGroups: {
      count: shape.userGroups,
      centroids: Array.from({ length: shape.userGroups }, () => Array.from({ length: fullDim }, () => r())),
    },
    users: { count: shape.users, shards: [{ start: 0, count: shape.users, file: shard }] },
    blocks,
    provenance: { dataset: 'fixture', trainer: 'test', seed: shape.seed, createdAt: new Date(0).toISOString() },
  };
  return w.finish(draft);
}
