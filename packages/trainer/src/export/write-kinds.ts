/**
 * Export of the new table kinds (format v3, issue 20): one `mixed` or `sparse` artifact whose variants are a
 * method's tables at several target fractions, scored against one user table (the harness's shared users).
 * Items in artifact (popularity) order as in v2; user shards as in v2 with every group id 0.
 */
import { ArtifactWriter, encodeUserShard, FORMAT_MAGIC, type KindManifest, type KindManifestDraft, type Manifest, type MixedSelection, type MixedVariant, type SparseVariant } from '@peelrec/format';
import type { Dataset } from '../data/types.js';
import type { ValueDtype } from '../harness/accounting.js';
import { prepareOutputDir } from './output-dir.js';

/** One trained table: item-indexed rows (`items × dim`), with its sizes (mixed) or its kept entries (sparse). */
export interface ExportedTable {
  fraction: number;
  items: Float32Array;
  sizes?: Uint16Array;
  mask?: Uint8Array;
}

export interface KindExport {
  kind: 'mixed' | 'sparse';
  modelId: string;
  dataset: Pick<Dataset, 'nUsers' | 'nItems' | 'userIds' | 'itemIds' | 'itemMeta'>;
  /** Item index at each artifact position. */
  order: Uint32Array;
  /** Row-major [nUsers][dim]: the one user table of every variant. */
  users: Float32Array;
  dim: number;
  dtype: ValueDtype;
  tables: readonly ExportedTable[];
  usersPerShard: number;
  metrics?: Manifest['metrics'];
  provenance: Manifest['provenance'];
  /** Mixed only: the trim-or-fall-back choice decided on validation (harness/trim-choice.ts); absent: not measured. */
  selection?: MixedSelection;
}

/** "20%" for 0.2. */
export const variantName = (fraction: number) => `${+(fraction * 100).toFixed(2)}%`;

function inArtifactOrder<T extends Float32Array | Uint8Array>(rows: T, order: Uint32Array, dim: number): T {
  const out = new (rows.constructor as { new (n: number): T })(rows.length);
  for (let p = 0; p < order.length; p++) out.set(rows.subarray(order[p]! * dim, order[p]! * dim + dim), p * dim);
  return out;
}

/** Writes the artifact into `outDir` (new, empty, or one the trainer wrote: output-dir.ts); returns its manifest. */
export async function exportKindArtifact(outDir: string, x: KindExport): Promise<KindManifest> {
  const writer = new ArtifactWriter(await prepareOutputDir(outDir));
  const d = x.dataset;
  const D = x.dim;
  const ids = await writer.json(
    'items/ids.json',
    Array.from(x.order, (i) => d.itemIds[i]!),
  );
  const metadata = d.itemMeta
    ? await writer.json(
        'items/metadata.json',
        Array.from(x.order, (i) => ({ name: d.itemMeta![i]!.name, category: d.itemMeta![i]!.category })),
      )
    : undefined;
  const defaultIds = d.userIds.every((id, u) => id === String(u));
  const userIds = defaultIds ? undefined : await writer.json('users/ids.json', d.userIds);
  const shards: Manifest['users']['shards'] = [];
  for (let start = 0, k = 0; start < d.nUsers; start += x.usersPerShard, k++) {
    const count = Math.min(x.usersPerShard, d.nUsers - start);
    const bytes = encodeUserShard(x.users.subarray(start * D, (start + count) * D), new Uint16Array(count), D);
    shards.push({ start, count, file: await writer.file(`users/shard-${String(k).padStart(4, '0')}.bin`, bytes) });
  }
  const common = {
    format: FORMAT_MAGIC as KindManifestDraft['format'],
    model: { id: x.modelId },
    dims: { fullDim: D },
    items: { count: d.nItems, ids, ...(metadata ? { metadata } : {}) },
    users: { count: d.nUsers, ...(userIds ? { ids: userIds } : {}), shards },
    ...(x.metrics ? { metrics: x.metrics } : {}),
    provenance: x.provenance,
  };
  const sorted = [...x.tables].sort((a, b) => b.fraction - a.fraction);
  let draft: KindManifestDraft;
  if (x.kind === 'mixed') {
    const variants: MixedVariant[] = [];
    for (const t of sorted) {
      const sizes = Uint16Array.from(x.order, (i) => t.sizes![i]!);
      variants.push(await writer.mixedVariant({ name: variantName(t.fraction), fraction: t.fraction, dtype: x.dtype, rows: inArtifactOrder(t.items, x.order, D), fullDim: D, sizes }));
    }
    draft = { ...common, kind: 'mixed', variants, ...(x.selection && { selection: x.selection }) };
  } else {
    const variants: SparseVariant[] = [];
    for (const t of sorted) {
      variants.push(
        await writer.sparseVariant({
          name: variantName(t.fraction),
          fraction: t.fraction,
          dtype: x.dtype,
          rows: inArtifactOrder(t.items, x.order, D),
          fullDim: D,
          ...(t.mask ? { mask: inArtifactOrder(t.mask, x.order, D) } : {}),
        }),
      );
    }
    draft = { ...common, kind: 'sparse', variants };
  }
  return writer.finishKind(draft);
}
