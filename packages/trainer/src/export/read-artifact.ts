import { ManifestError, decodeBlock, decodeUserShard, exportedDtypes, fileOf, readVerified, verifyArtifact, type ArtifactSource, type Dtype, type Manifest } from '@peelrec/format';
import type { Dataset, ItemMeta } from '../data/types.js';
import { DataError } from '../data/errors.js';
import type { ItemGroups } from '../groups/item-groups.js';
import type { PeelModel } from '../quality/peel-model.js';
import { directorySource } from './fs-sink.js';

export interface LoadedArtifact {
  manifest: Manifest;
  /** The model in artifact (popularity) order: item index = artifact position. */
  model: PeelModel;
  itemIds: string[];
  itemMeta?: ItemMeta[];
  userIds: string[];
  /** The dtype the tables were decoded from: the most precise one exported (f32, lossless; then f16; then i8). */
  decodedFrom: Dtype;
}

/** Reads and fully verifies an artifact folder (every hash), decoding it to an in-memory model. */
export async function readArtifact(dir: string): Promise<LoadedArtifact> {
  const source = directorySource(dir);
  const { manifest: m } = await verifyArtifact(source);
  const text = async (ref: Manifest['items']['ids']) => JSON.parse(new TextDecoder().decode(await readVerified(source, ref)));
  const itemIds = (await text(m.items.ids)) as string[];
  const itemMeta = m.items.metadata ? ((await text(m.items.metadata)) as ItemMeta[]) : undefined;
  const userIds = m.users.ids ? ((await text(m.users.ids)) as string[]) : Array.from({ length: m.users.count }, (_, u) => String(u));
  const D = m.dims.fullDim;
  const B = m.dims.blocksPerItem;
  const bd = m.dims.blockDim;
  const nItems = m.items.count;
  const users = new Float32Array(m.users.count * D);
  const assignment = new Uint16Array(m.users.count);
  for (const s of m.users.shards) {
    const { vectors, groups } = decodeUserShard(await readVerified(source, s.file), D, s.count);
    users.set(vectors, s.start * D);
    assignment.set(groups, s.start);
  }
  const C = m.userGroups.count;
  const G = m.itemGroups.length;
  const decodedFrom = exportedDtypes(m)[0];
  if (!decodedFrom) throw new ManifestError(`${dir}: no block encoding is exported for every block`);
  const tables = Array.from({ length: C }, () => new Float32Array(nItems * D));
  const weights = Array.from({ length: C }, () => new Float32Array(G * B));
  // Blocks are byte ranges of one pack per (user group, dtype): keep the last file read instead of re-reading it per block.
  let last: { url: string; bytes: Promise<Uint8Array> } | undefined;
  const packs: ArtifactSource = {
    read(url) {
      if (last?.url !== url) last = { url, bytes: source.read(url) };
      return last.bytes;
    },
  };
  for (const e of [...m.blocks].sort((a, b) => a.userGroup - b.userGroup)) {
    const f = fileOf(e, decodedFrom)!;
    const g = m.itemGroups[e.itemGroup]!;
    const payload = decodeBlock(await readVerified(packs, f), decodedFrom);
    const t = tables[e.userGroup]!;
    for (let r = 0; r < bd; r++) for (let i = 0; i < g.count; i++) t[(g.start + i) * D + e.block * bd + r] = payload[r * g.count + i]!;
    weights[e.userGroup]![e.itemGroup * B + e.block] = e.weight;
  }
  const groupOfPosition = new Uint16Array(nItems);
  m.itemGroups.forEach((g, k) => groupOfPosition.fill(k, g.start, g.start + g.count));
  const identity = Uint32Array.from({ length: nItems }, (_, i) => i);
  const itemGroups: ItemGroups = {
    order: identity,
    position: identity.slice(),
    groups: m.itemGroups.map((g) => ({ start: g.start, count: g.count })),
    groupOfPosition,
    popularity: new Uint32Array(nItems),
  };
  const model: PeelModel = {
    dim: D,
    blockDim: bd,
    nUsers: m.users.count,
    nItems,
    users,
    assignment,
    centroids: m.userGroups.centroids,
    itemGroups,
    tables,
    weights,
    ...(m.userGroups.scoring ? { scoring: m.userGroups.scoring } : {}),
  };
  return { manifest: m, model, itemIds, itemMeta, userIds, decodedFrom };
}

/**
 * Re-indexes a loaded artifact to a dataset's user and item indices, so it can be evaluated on that
 * dataset's train/test split. Every dataset user and item must be in the artifact.
 */
export function alignToDataset(a: LoadedArtifact, d: Dataset): PeelModel {
  const m = a.model;
  const D = m.dim;
  const itemIndex = new Map(d.itemIds.map((id, i) => [id, i] as const));
  if (a.itemIds.length !== d.nItems) {
    throw new DataError(d.name, undefined, `the artifact has ${a.itemIds.length} items, the dataset ${d.nItems}: not the same catalog`);
  }
  const order = new Uint32Array(m.nItems);
  a.itemIds.forEach((id, p) => {
    const i = itemIndex.get(id);
    if (i === undefined) throw new DataError(d.name, undefined, `artifact item ${JSON.stringify(id)} is not in the dataset`);
    order[p] = i;
  });
  const position = new Uint32Array(m.nItems);
  order.forEach((i, p) => (position[i] = p));
  const tables = m.tables.map((t) => {
    const out = new Float32Array(t.length);
    for (let p = 0; p < m.nItems; p++) out.set(t.subarray(p * D, p * D + D), order[p]! * D);
    return out;
  });
  const userIndex = new Map(a.userIds.map((id, u) => [id, u] as const));
  const users = new Float32Array(d.nUsers * D);
  const assignment = new Uint16Array(d.nUsers);
  d.userIds.forEach((id, u) => {
    const k = userIndex.get(id);
    if (k === undefined) throw new DataError(d.name, undefined, `dataset user ${JSON.stringify(id)} is not in the artifact`);
    users.set(m.users.subarray(k * D, k * D + D), u * D);
    assignment[u] = m.assignment[k]!;
  });
  return { ...m, nUsers: d.nUsers, users, assignment, tables, itemGroups: { ...m.itemGroups, order, position } };
}
