import {
  ArtifactWriter,
  FORMAT_MAGIC,
  FORMAT_VERSION,
  blockFromRows,
  encodeUserShard,
  type ArtifactSink,
  type BlockPayload,
  type BudgetMetric,
  type Dtype,
  type Manifest,
  type ManifestDraft,
} from '@peelrec/format';
import type { ItemMeta } from '../data/types.js';
import { blocksPerItem, type PeelModel } from '../quality/peel-model.js';

export interface ArtifactInfo {
  /** Stable model id (part of the content hash). */
  modelId: string;
  /** External item ids, by item index. */
  itemIds: readonly string[];
  itemMeta?: readonly ItemMeta[];
  /** External user ids, by user index; omitted from the artifact when they are "0" … "n-1". */
  userIds: readonly string[];
  dtypes: readonly Dtype[];
  usersPerShard: number;
  metrics?: { dataset: string; split: string; full?: { recall20: number; ndcg20: number }; budgets: BudgetMetric[] };
  provenance: Manifest['provenance'];
}

/** Everything but the manifest: returns the draft, so metrics computed with `selectBlocks` on it can be added before `finish`. */
export async function writePayloads(sink: ArtifactSink, m: PeelModel, info: ArtifactInfo): Promise<{ writer: ArtifactWriter; draft: ManifestDraft }> {
  const writer = new ArtifactWriter(sink);
  const D = m.dim;
  const B = blocksPerItem(m);
  const { order, groups } = m.itemGroups;
  if (info.dtypes.length === 0) throw new RangeError('at least one block dtype must be exported');
  if (info.itemIds.length !== m.nItems) throw new RangeError(`${info.itemIds.length} item ids for ${m.nItems} items`);
  if (info.userIds.length !== m.nUsers) throw new RangeError(`${info.userIds.length} user ids for ${m.nUsers} users`);

  const ids = await writer.json(
    'items/ids.json',
    Array.from(order, (i) => info.itemIds[i]!),
  );
  const metadata = info.itemMeta
    ? await writer.json(
        'items/metadata.json',
        Array.from(order, (i) => ({ name: info.itemMeta![i]!.name, category: info.itemMeta![i]!.category })),
      )
    : undefined;
  const defaultIds = info.userIds.every((id, u) => id === String(u));
  const userIds = defaultIds ? undefined : await writer.json('users/ids.json', info.userIds);

  const shards: Manifest['users']['shards'] = [];
  for (let start = 0, k = 0; start < m.nUsers; start += info.usersPerShard, k++) {
    const count = Math.min(info.usersPerShard, m.nUsers - start);
    const bytes = encodeUserShard(m.users.subarray(start * D, (start + count) * D), m.assignment.subarray(start, start + count), D);
    shards.push({ start, count, file: await writer.file(`users/shard-${String(k).padStart(4, '0')}.bin`, bytes) });
  }

  const blocks: Manifest['blocks'] = [];
  for (let c = 0; c < m.tables.length; c++) {
    // Rows in artifact (popularity) order, so each item group is a contiguous range.
    const rows = new Float32Array(m.nItems * D);
    for (let p = 0; p < m.nItems; p++) rows.set(m.tables[c]!.subarray(order[p]! * D, order[p]! * D + D), p * D);
    const payloads: BlockPayload[] = [];
    for (let g = 0; g < groups.length; g++) {
      for (let b = 0; b < B; b++) {
        payloads.push({ itemGroup: g, block: b, weight: m.weights[c]![g * B + b]!, values: blockFromRows(rows, D, m.blockDim, b, groups[g]!.start, groups[g]!.count) });
      }
    }
    // One file per (user group, dtype), blocks in selection order: a device fetches its selection in a few Range requests.
    blocks.push(...(await writer.blockPack(c, payloads, info.dtypes)));
  }

  const draft: ManifestDraft = {
    format: FORMAT_MAGIC,
    formatVersion: FORMAT_VERSION,
    kind: 'peel-blocks',
    model: { id: info.modelId },
    dims: { fullDim: D, blockDim: m.blockDim, blocksPerItem: B },
    layout: 'dim-major',
    items: { count: m.nItems, ids, ...(metadata ? { metadata } : {}) },
    itemGroups: groups.map((g) => ({ start: g.start, count: g.count })),
    userGroups: { count: m.tables.length, centroids: m.centroids, ...(m.scoring ? { scoring: m.scoring } : {}) },
    users: { count: m.nUsers, ...(userIds ? { ids: userIds } : {}), shards },
    blocks,
    ...(info.metrics ? { metrics: info.metrics } : {}),
    provenance: info.provenance,
  };
  return { writer, draft };
}

/** The draft as a Manifest for `selectBlocks` before the content hash and the block tables exist. */
export function draftAsManifest(draft: ManifestDraft): Manifest {
  const zero = '0'.repeat(64);
  return { ...draft, model: { ...draft.model, contentHash: zero }, blockTables: Array.from({ length: draft.userGroups.count }, (_, c) => ({ url: `blocks/u${c}.json`, byteLength: 0, sha256: zero })) };
}

/** Writes the whole artifact; returns the final manifest. */
export async function exportModel(sink: ArtifactSink, m: PeelModel, info: ArtifactInfo): Promise<Manifest> {
  const { writer, draft } = await writePayloads(sink, m, info);
  return writer.finish(draft);
}
