/**
 * The types of the v3 table kinds and the byte arithmetic their readers,
 * writers and selection share (README, "Kind `mixed`" and "Kind `sparse`").
 */
import type { z } from 'zod';
import type { MixedColumnSchema, MixedManifestSchema, MixedSelectionSchema, MixedVariantSchema, SparseManifestSchema, SparseVariantSchema, VariantDtypeSchema } from './kinds-schema.js';
import type { Manifest, ManifestFile } from './manifest-files.js';
import { BYTES_PER_ELEMENT, FORMAT_VERSION, KINDS_VERSION } from './constants.js';

export type MixedManifest = z.infer<typeof MixedManifestSchema>;
export type SparseManifest = z.infer<typeof SparseManifestSchema>;
/** A manifest of one of the v3 kinds: one table per trained size (`variants`), the same for every user. */
export type KindManifest = MixedManifest | SparseManifest;
export type MixedVariant = z.infer<typeof MixedVariantSchema>;
/** A mixed manifest's `selection`: the trainer's trim-or-fall-back choice and its evidence. */
export type MixedSelection = z.infer<typeof MixedSelectionSchema>;
export type MixedColumn = z.infer<typeof MixedColumnSchema>;
export type SparseVariant = z.infer<typeof SparseVariantSchema>;
export type Variant = MixedVariant | SparseVariant;
export type VariantDtype = z.infer<typeof VariantDtypeSchema>;
/** What `parseAnyManifest` returns: a v2 `peel-blocks` manifest or a v3 kind manifest. */
export type AnyManifestFile = ManifestFile | KindManifest;
/** What `readAnyManifest` returns: a `peel-blocks` manifest with its block tables read, or a v3 kind manifest. */
export type AnyManifest = Manifest | KindManifest;

/**
 * The one `formatVersion` of each kind. A later version of a kind may be readable by a later build
 * (`UnsupportedVersionError`); an earlier one was never written (`ManifestError`).
 */
export const KIND_VERSIONS: Readonly<Record<'peel-blocks' | 'mixed' | 'sparse', number>> = { 'peel-blocks': FORMAT_VERSION, mixed: KINDS_VERSION, sparse: KINDS_VERSION };

/** Sparse row counts and indices are u8, so a sparse table is at most 255 wide. */
export const SPARSE_MAX_FULL_DIM = 255;
/** Permutation entries are u16 up to this many items, u32 above. */
export const PERMUTATION_U16_MAX_ITEMS = 65536;

export const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Bytes of one permutation entry for a catalog of `count` items. */
export function permutationEntryBytes(count: number): 2 | 4 {
  return count <= PERMUTATION_U16_MAX_ITEMS ? 2 : 4;
}

/** Byte length of a permutation file: `count` u16 or u32. */
export function permutationByteLength(count: number): number {
  return count * permutationEntryBytes(count);
}

/** Byte length of one mixed column of `rows` values. */
export function mixedColumnByteLength(rows: number, dtype: VariantDtype): number {
  return rows * BYTES_PER_ELEMENT[dtype];
}

/** Byte offset of the values section of a sparse payload: row counts and indices, padded to 4 bytes. */
export function sparseValuesOffset(count: number, nnz: number): number {
  return align4(count + nnz);
}

/** Byte length of a sparse payload: `align4(count + nnz) + nnz × bytesPerElement`. */
export function sparseByteLength(count: number, nnz: number, dtype: VariantDtype): number {
  return sparseValuesOffset(count, nnz) + nnz * BYTES_PER_ELEMENT[dtype];
}

/** Every file ref of a variant, in file order (a mixed variant's permutation first). */
export function variantRefs(variant: Variant): z.infer<typeof MixedColumnSchema>['file'][] {
  if ('file' in variant) return [variant.file];
  return [...(variant.permutation ? [variant.permutation] : []), ...variant.columns.map((c) => c.file)];
}

/** A mixed variant's row sizes: row j keeps `#{r : count_r > j}` dimensions. */
export function mixedRowSizes(variant: Pick<MixedVariant, 'columns'>, rows: number): Uint16Array {
  const sizes = new Uint16Array(rows);
  for (const c of variant.columns) for (let j = 0; j < c.count && j < rows; j++) sizes[j]!++;
  return sizes;
}

/** Narrows a manifest of any kind to `peel-blocks` (v2). */
export function isPeelManifest<M extends { kind: string }>(m: M): m is Extract<M, { kind: 'peel-blocks' }> {
  return m.kind === 'peel-blocks';
}

/** Narrows a manifest of any kind to the v3 kinds `mixed` and `sparse`. */
export function isKindManifest<M extends { kind: string }>(m: M): m is Extract<M, { kind: 'mixed' | 'sparse' }> {
  return m.kind === 'mixed' || m.kind === 'sparse';
}
