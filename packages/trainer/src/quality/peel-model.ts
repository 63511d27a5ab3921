import { FORMAT_MAGIC, FORMAT_VERSION, decodeBlock, encodeBlock, type Dtype, type Manifest, type Scoring, type SelectedBlock } from '@peelrec/format';
import type { ItemGroups } from '../groups/item-groups.js';

/** A trained PEEL model in memory: what the artifact stores, in the dataset's item-index order. */
export interface PeelModel {
  dim: number;
  blockDim: number;
  nUsers: number;
  nItems: number;
  /** Row-major [nUsers][dim] f32. */
  users: Float32Array;
  /** User group of each user. */
  assignment: Uint16Array;
  centroids: number[][];
  itemGroups: ItemGroups;
  /** Per user group: the refined item table, row-major [nItems][dim], item-index order. */
  tables: Float32Array[];
  /** Per user group: controller weights, [itemGroup][block]. */
  weights: Float32Array[];
  /** Per user group: the scoring rule (@peelrec/format README, "Scoring"); absent means `mean` for all. */
  scoring?: Scoring[];
}

export function blocksPerItem(m: { dim: number; blockDim: number }): number {
  return m.dim / m.blockDim;
}

/** The table as the device sees it after the `dtype` round trip (f16 rounding is exactly the runtime's). */
export function asStored(table: Float32Array, dtype: Dtype): Float32Array {
  return dtype === 'f32' ? table : decodeBlock(encodeBlock(table, dtype), dtype);
}

/** A selected block and the factor its score is multiplied by, as @peelrec/format's `selectBlocks` gives it. */
export type ScoredBlock = Pick<SelectedBlock, 'itemGroup' | 'block' | 'scoreWeight'>;

/**
 * The item table whose inner product with a user vector is PEEL's score under a selection: row i = concat
 * over blocks b of (selected ? scoreWeight · v_{i,b} : 0), for i's item group. The scoring rule (`mean` or
 * `truncated`) is not applied here but in `selectBlocks`' `scoreWeight`, the browser's code; the
 * "unweighted" ablation passes scoreWeight 1 (a plain truncated dot product). Item-index order.
 */
export function effectiveTable(m: PeelModel, userGroup: number, blocks: readonly ScoredBlock[], dtype: Dtype, stored?: Float32Array): Float32Array {
  const D = m.dim;
  const bd = m.blockDim;
  const B = blocksPerItem(m);
  const src = stored ?? asStored(m.tables[userGroup]!, dtype);
  const out = new Float32Array(m.nItems * D);
  const { order, groups } = m.itemGroups;
  for (const { itemGroup, block: b, scoreWeight: w } of blocks) {
    const g = groups[itemGroup];
    if (!g || !(b >= 0 && b < B)) throw new RangeError(`effectiveTable: no block (${itemGroup}, ${b}) in a model of ${groups.length} item groups × ${B} blocks`);
    for (let p = g.start; p < g.start + g.count; p++) {
      const row = order[p]! * D;
      for (let d = b * bd; d < (b + 1) * bd; d++) out[row + d] = w * src[row + d]!;
    }
  }
  return out;
}

/**
 * A manifest with the model's groups, sizes and weights but placeholder files, for running
 * `selectBlocks` on models that are not exported (ablations). Selection depends only on weights and
 * byte lengths, which are exact here.
 */
export function selectionManifest(m: PeelModel, dtypes: readonly Dtype[], weights: Float32Array[] = m.weights): Manifest {
  const B = blocksPerItem(m);
  const zero = '0'.repeat(64);
  const bytesPer: Record<Dtype, number> = { f32: 4, f16: 2 };
  const blocks: Manifest['blocks'] = [];
  weights.forEach((w, c) => {
    m.itemGroups.groups.forEach((g, gi) => {
      for (let b = 0; b < B; b++) {
        blocks.push({
          userGroup: c,
          itemGroup: gi,
          block: b,
          weight: w[gi * B + b]!,
          files: dtypes.map((dtype) => ({ url: `selection/${c}/${gi}/${b}.${dtype}`, byteLength: m.blockDim * g.count * bytesPer[dtype], sha256: zero, dtype })),
        });
      }
    });
  });
  return {
    format: FORMAT_MAGIC,
    formatVersion: FORMAT_VERSION,
    kind: 'peel-blocks',
    model: { id: 'selection', contentHash: zero },
    dims: { fullDim: m.dim, blockDim: m.blockDim, blocksPerItem: B },
    layout: 'dim-major',
    items: { count: m.nItems, ids: { url: 'items.json', byteLength: 0, sha256: zero } },
    itemGroups: m.itemGroups.groups.map((g) => ({ start: g.start, count: g.count })),
    userGroups: { count: weights.length, centroids: m.centroids.slice(0, weights.length), ...(m.scoring ? { scoring: m.scoring.slice(0, weights.length) } : {}) },
    users: { count: 0, shards: [] },
    blockTables: weights.map((_, c) => ({ url: `selection/${c}.json`, byteLength: 0, sha256: zero })),
    blocks,
    provenance: { dataset: 'selection', trainer: 'selection', seed: 0, createdAt: '' },
  };
}
