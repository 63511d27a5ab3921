/**
 * Writing the v3 kinds: one file per variant, and the manifest. The
 * `ArtifactWriter` methods `mixedVariant`, `sparseVariant` and `finishKind`
 * are thin wrappers over these, so that `artifact.ts` stays about reading and
 * verifying.
 */
import { computeContentHash, sha256Hex } from './hash.js';
import { encodeMixedVariant, encodeSparse } from './kinds-codec.js';
import { isKindManifest, type KindManifest, type MixedManifest, type MixedVariant, type SparseManifest, type SparseVariant, type VariantDtype } from './kinds.js';
import { ManifestError } from './errors.js';
import { parseAnyManifest } from './manifest.js';
import type { FileRef } from './manifest-files.js';
import { KINDS_VERSION } from './constants.js';

/** A manifest of a v3 kind before hashing: `formatVersion` may be left out (it is {@link KINDS_VERSION}). */
type DraftOf<M extends KindManifest> = Omit<M, 'model' | 'formatVersion'> & { model: { id: string }; formatVersion?: M['formatVersion'] };
export type KindManifestDraft = DraftOf<MixedManifest> | DraftOf<SparseManifest>;

interface VariantSpecCommon {
  /** Unique within the manifest, e.g. "20%"; the file name is derived from it ({@link fileSafe}). */
  readonly name: string;
  readonly fraction?: number;
  readonly dtype: VariantDtype;
  /** The dense trained table, `items × fullDim` f32, row-major, artifact order. */
  readonly rows: Float32Array;
  readonly fullDim: number;
}

export interface MixedVariantSpec extends VariantSpecCommon {
  /** Dimensions item p keeps: its first `sizes[p]` (1 … fullDim). */
  readonly sizes: ArrayLike<number>;
}

export interface SparseVariantSpec extends VariantSpecCommon {
  /** Entries kept (nonzero = keep), `items × fullDim`; default: the nonzero values. */
  readonly mask?: ArrayLike<number>;
}

/** A name as a file-name part: `%` becomes `pct`, anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export function fileSafe(name: string): string {
  return name.replaceAll('%', 'pct').replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The file the writer gives a mixed variant. */
export const mixedVariantUrl = (name: string, dtype: VariantDtype) => `tables/mixed-${fileSafe(name)}.${dtype}.bin`;
/** The file the writer gives a sparse variant. */
export const sparseVariantUrl = (name: string, dtype: VariantDtype) => `tables/sparse-${fileSafe(name)}.${dtype}.bin`;

type Write = (path: string, bytes: Uint8Array) => Promise<void>;

/**
 * Encodes a mixed variant and writes it as one file: the permutation (when not the identity), then column 0, 1, …
 * back to back, each a range ref with its own SHA-256, so a device that trims fetches one prefix range and verifies it.
 */
export async function writeMixedVariant(write: Write, spec: MixedVariantSpec, url: string): Promise<MixedVariant> {
  const payload = encodeMixedVariant(spec.rows, spec.fullDim, spec.sizes, spec.dtype);
  const parts = [...(payload.permutation ? [payload.permutation] : []), ...payload.columns];
  const file = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  const refs: FileRef[] = [];
  let offset = 0;
  for (const part of parts) {
    file.set(part, offset);
    refs.push({ url, offset, byteLength: part.byteLength, sha256: await sha256Hex(part) });
    offset += part.byteLength;
  }
  await write(url, file);
  const columnRefs = payload.permutation ? refs.slice(1) : refs;
  return {
    name: spec.name,
    ...(spec.fraction !== undefined && { fraction: spec.fraction }),
    dtype: spec.dtype,
    bytes: file.byteLength,
    ...(payload.permutation && { permutation: refs[0]! }),
    columns: payload.counts.map((count, r) => ({ count, file: columnRefs[r]! })),
  };
}

/** Encodes a sparse variant and writes it as one whole file. */
export async function writeSparseVariant(write: Write, spec: SparseVariantSpec, url: string): Promise<SparseVariant> {
  const { bytes, nnz } = encodeSparse(spec.rows, spec.fullDim, spec.dtype, spec.mask);
  await write(url, bytes);
  return {
    name: spec.name,
    ...(spec.fraction !== undefined && { fraction: spec.fraction }),
    dtype: spec.dtype,
    bytes: bytes.byteLength,
    nnz,
    file: { url, byteLength: bytes.byteLength, sha256: await sha256Hex(bytes) },
  };
}

/**
 * The manifest of `draft`, validated (`parseAnyManifest`: schema and consistency rules) and content-hashed by the
 * same rule as v2. What the draft holds beyond the schema is kept, so the hash covers it.
 * @throws ManifestError when the draft is inconsistent or not of a v3 kind.
 */
export async function kindManifestOf(draft: KindManifestDraft): Promise<KindManifest> {
  const withPlaceholder = { ...draft, formatVersion: KINDS_VERSION, model: { ...draft.model, contentHash: '0'.repeat(64) } } as KindManifest;
  if (!isKindManifest(parseAnyManifest(withPlaceholder))) throw new ManifestError(`finishKind writes the mixed and sparse kinds, not ${JSON.stringify(draft.kind)}`);
  const contentHash = await computeContentHash(JSON.stringify(withPlaceholder));
  return { ...withPlaceholder, model: { ...withPlaceholder.model, contentHash } };
}
