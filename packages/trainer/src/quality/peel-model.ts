import { FORMAT_MAGIC, FORMAT_VERSION, blockByteLength, blockFromRows, decodeBlock, encodeBlock, type Dtype, type Manifest, type Scoring, type SelectedBlock } from '@peelrec/format';
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

/** Where a row-major table's blocks lie: which items form each item group, and how many dims a block holds. */
export interface BlockLayout {
  dim: number;
  blockDim: number;
  itemGroups: Pick<ItemGroups, 'order' | 'groups'>;
}

/** One item group of every item, in index order: the blocks of a plain (uniform) table exported as a single group. */
export function singleGroupLayout(nItems: number, dim: number, blockDim: number): BlockLayout {
  return { dim, blockDim, itemGroups: { order: Uint32Array.from({ length: nItems }, (_, i) => i), groups: [{ start: 0, count: nItems }] } };
}

/**
 * A row-major [nItems][dim] table as the device decodes it from `dtype` blocks. f32 and f16 round each element
 * alone, so the whole table goes through the codec at once. i8 shares one scale per block (an item group × blockDim
 * dims), so each block is built as the writer builds it (`blockFromRows` over the group's items in artifact order),
 * encoded, decoded and put back: bit-identical to decoding the exported block.
 */
export function asStored(table: Float32Array, dtype: Dtype, layout: BlockLayout): Float32Array {
  if (dtype === 'f32') return table;
  if (dtype !== 'i8') return decodeBlock(encodeBlock(table, dtype), dtype);
  const { dim: D, blockDim: bd } = layout;
  const { order, groups } = layout.itemGroups;
  if (D % bd !== 0) throw new RangeError(`asStored: ${D} dims are not whole blocks of ${bd}`);
  if (table.length !== order.length * D) throw new RangeError(`asStored: a table of ${table.length} values for ${order.length} items × ${D} dims`);
  const out = new Float32Array(table.length);
  for (const { start, count } of groups) {
    const rows = new Float32Array(count * D);
    for (let i = 0; i < count; i++) rows.set(table.subarray(order[start + i]! * D, order[start + i]! * D + D), i * D);
    for (let b = 0; b < D / bd; b++) {
      const decoded = decodeBlock(encodeBlock(blockFromRows(rows, D, bd, b, 0, count), 'i8'), 'i8');
      for (let i = 0; i < count; i++) {
        const row = order[start + i]! * D + b * bd;
        for (let r = 0; r < bd; r++) out[row + r] = decoded[r * count + i]!;
      }
    }
  }
  return out;
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
  const src = stored ?? asStored(m.tables[userGroup]!, dtype, m);
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
  const blocks: Manifest['blocks'] = [];
  weights.forEach((w, c) => {
    m.itemGroups.groups.forEach((g, gi) => {
      for (let b = 0; b < B; b++) {
        blocks.push({
          userGroup: c,
          itemGroup: gi,
          block: b,
          weight: w[gi * B + b]!,
          files: dtypes.map((dtype) => ({ url: `selection/${c}/${gi}/${b}.${dtype}`, byteLength: blockByteLength(m.blockDim, g.count, dtype), sha256: zero, dtype })),
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
