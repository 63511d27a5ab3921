/**
 * The types of a manifest and its block tables, and the helpers that read them, apart from their validation
 * (manifest.ts): zod-free, so that a reader of a manifest it already trusts (the runtime's warm start) does not
 * load the schemas.
 */
import type { z } from 'zod';
import { BYTES_PER_ELEMENT, I8_HEADER_BYTES } from './constants.js';
import type { BlockEntrySchema, BlockFileSchema, BlockTableSchema, BudgetMetricSchema, DtypeSchema, FileRefSchema, ItemGroupSchema, ManifestV2Schema, ScoringSchema } from './schema.js';

/** What `manifest.json` holds: everything but the block entries, which live in one table file per user group. */
export type ManifestFile = z.infer<typeof ManifestV2Schema>;
/** What a block table file holds: the blocks of one user group. */
export type BlockTable = z.infer<typeof BlockTableSchema>;
export type Dtype = z.infer<typeof DtypeSchema>;
export type Scoring = z.infer<typeof ScoringSchema>;
export type FileRef = z.infer<typeof FileRefSchema>;
export type BlockFile = z.infer<typeof BlockFileSchema>;
export type BlockEntry = z.infer<typeof BlockEntrySchema>;
export type ItemGroup = z.infer<typeof ItemGroupSchema>;
export type BudgetMetric = z.infer<typeof BudgetMetricSchema>;

/**
 * A manifest with block entries: `manifest.json` plus the entries of the block
 * tables read so far. Tools (trainer, verifier) hold every table; a runtime
 * holds the tables of the user groups it loaded. `selectBlocks` needs the
 * table of the group it selects for.
 */
export type Manifest = ManifestFile & { blocks: BlockEntry[] };

/** Byte length of one block payload: `blockDim × itemsInGroup` elements, after the scale for `i8`. */
export function blockByteLength(blockDim: number, itemsInGroup: number, dtype: Dtype): number {
  return blockDim * itemsInGroup * BYTES_PER_ELEMENT[dtype] + (dtype === 'i8' ? I8_HEADER_BYTES : 0);
}

/** How events and errors name a ref: its URL, with the byte range (`#bytes=first-last`, as in HTTP) when it is part of a file. */
export function refName(ref: FileRef): string {
  return ref.offset === undefined ? ref.url : `${ref.url}#bytes=${ref.offset}-${ref.offset + ref.byteLength - 1}`;
}

/** `manifest` with the entries of `tables` added (a table already present is not added twice). */
export function withBlockTables(manifest: ManifestFile | Manifest, tables: readonly BlockTable[]): Manifest {
  const have = 'blocks' in manifest ? manifest.blocks : [];
  const present = new Set(have.map((e) => e.userGroup));
  const added = tables.filter((t) => !present.has(t.userGroup)).flatMap((t) => t.blocks);
  return { ...manifest, blocks: [...have, ...added] };
}

/** The manifest.json part of a manifest with blocks (what is written and content-hashed). */
export function manifestFileOf(m: Manifest | ManifestFile): ManifestFile {
  if (!('blocks' in m)) return m;
  const { blocks: _entries, ...file } = m;
  return file;
}

/** Blocks of one user group, indexed `[itemGroup][block]`. @throws RangeError when that group's table is not loaded. */
export function blocksOfUserGroup(m: Pick<Manifest, 'blocks' | 'itemGroups' | 'userGroups' | 'dims'>, userGroup: number): BlockEntry[][] {
  if (!Number.isInteger(userGroup) || userGroup < 0 || userGroup >= m.userGroups.count) {
    throw new RangeError(`userGroup ${userGroup} out of range [0, ${m.userGroups.count})`);
  }
  const table: BlockEntry[][] = m.itemGroups.map(() => new Array<BlockEntry>(m.dims.blocksPerItem));
  let n = 0;
  for (const e of m.blocks) {
    if (e.userGroup !== userGroup) continue;
    table[e.itemGroup]![e.block] = e;
    n++;
  }
  if (n === 0) throw new RangeError(`the block table of user group ${userGroup} is not loaded`);
  if (n !== m.itemGroups.length * m.dims.blocksPerItem) throw new RangeError(`user group ${userGroup} has ${n} block entries, expected ${m.itemGroups.length * m.dims.blocksPerItem}`);
  return table;
}

/** The file of `entry` in `dtype`, or undefined if that encoding was not exported. */
export function fileOf(entry: BlockEntry, dtype: Dtype): BlockFile | undefined {
  return entry.files.find((f) => f.dtype === dtype);
}

/** Bytes of the full item table of one user group in `dtype` (what budget fractions are relative to). */
export function fullTableBytes(m: Pick<ManifestFile, 'items' | 'dims'>, dtype: Dtype = 'f32'): number {
  return m.items.count * m.dims.fullDim * BYTES_PER_ELEMENT[dtype];
}
