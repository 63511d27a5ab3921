/**
 * Conformance fixtures of the v3 kinds, shared by the format's tests and the
 * runtime's (import `../../format/test/kinds-fixture.js`): a tiny
 * deterministic catalog (40 items × fullDim 8, 5 users) written through
 * `ArtifactWriter` into an in-memory store, with, for each variant, the dense
 * table it stands for, computed from the trained table without the decoders
 * (the oracle a kernel's top-k is checked against).
 */
import { ArtifactWriter, decodeBlock, encodeBlock, encodeUserShard, type KindManifestDraft, type MixedManifest, type SparseManifest, type SparsePayload, type VariantDtype } from '../src/index.js';
import { MemoryStore, rng } from './fixture.js';

export const KINDS_SHAPE = { items: 40, fullDim: 8, users: 5, seed: 20 } as const;

export interface KindFixture<M> {
  readonly store: MemoryStore;
  readonly manifest: M;
  /** The trained table, `items × fullDim` f32, row-major, artifact order. */
  readonly rows: Float32Array;
  /** The users' vectors, `users × fullDim` f32 (also in the artifact's user shard). */
  readonly users: Float32Array;
  /** Per variant (manifest order): the table it stands for, `items × fullDim` f32, 0 where nothing is stored, values rounded through its dtype. */
  readonly dense: readonly Float32Array[];
}

interface MixedSpec {
  readonly name: string;
  readonly dtype: VariantDtype;
  readonly sizes: (items: number, r: () => number) => number[];
}

interface SparseSpec {
  readonly name: string;
  readonly dtype: VariantDtype;
  readonly mask: (items: number, fullDim: number, r: () => number) => Uint8Array;
}

/** Whole table (identity order); frequency-sized, non-increasing in artifact order (no permutation); random sizes (a permutation). */
export const MIXED_SPECS: readonly MixedSpec[] = [
  { name: '100%', dtype: 'f32', sizes: (n) => Array.from({ length: n }, () => 8) },
  { name: 'freq', dtype: 'f16', sizes: (n) => Array.from({ length: n }, (_, p) => (p < 8 ? 8 : p < 16 ? 6 : p < 28 ? 3 : 1)) },
  { name: 'learned', dtype: 'f32', sizes: (n, r) => Array.from({ length: n }, (_, p) => (p === 3 ? 6 : 1 + Math.floor(r() * 6))) },
];

/** Every entry; about half (row 5 empty); about a fifth. */
export const SPARSE_SPECS: readonly SparseSpec[] = [
  { name: '100%', dtype: 'f32', mask: (n, d) => new Uint8Array(n * d).fill(1) },
  { name: 'half', dtype: 'f16', mask: (n, d, r) => Uint8Array.from({ length: n * d }, (_, i) => (Math.floor(i / d) !== 5 && r() < 0.5 ? 1 : 0)) },
  { name: 'fifth', dtype: 'f32', mask: (n, d, r) => Uint8Array.from({ length: n * d }, () => (r() < 0.2 ? 1 : 0)) },
];

/** `values` as stored in `dtype` and read back. */
export function roundTo(values: Float32Array, dtype: VariantDtype): Float32Array {
  return dtype === 'f32' ? values.slice() : decodeBlock(encodeBlock(values, dtype), dtype);
}

async function common(store: MemoryStore) {
  const { items, fullDim, users, seed } = KINDS_SHAPE;
  const r = rng(seed);
  const rows = Float32Array.from({ length: items * fullDim }, () => r() * 2 - 1);
  const vectors = Float32Array.from({ length: users * fullDim }, () => r() * 2 - 1);
  const w = new ArtifactWriter(store);
  const ids = await w.json(
    'items/ids.json',
    Array.from({ length: items }, (_, i) => `item-${i}`),
  );
  const shard = await w.file('users/shard-0000.bin', encodeUserShard(vectors, new Uint16Array(users), fullDim));
  const base = {
    format: 'peelrec' as const,
    dims: { fullDim },
    items: { count: items, ids },
    users: { count: users, shards: [{ start: 0, count: users, file: shard }] },
    provenance: { dataset: 'kinds-fixture', trainer: 'test', seed, createdAt: new Date(0).toISOString() },
  };
  return { r, rows, vectors, w, base };
}

const fractionOf = (bytes: number) => bytes / (KINDS_SHAPE.items * KINDS_SHAPE.fullDim * 4);

/** Writes the mixed fixture: three variants, one with a permutation. */
export async function writeMixedFixture(store = new MemoryStore()): Promise<KindFixture<MixedManifest>> {
  const { items, fullDim } = KINDS_SHAPE;
  const { r, rows, vectors, w, base } = await common(store);
  const variants = [];
  const dense: Float32Array[] = [];
  for (const spec of MIXED_SPECS) {
    const sizes = spec.sizes(items, r);
    const v = await w.mixedVariant({ name: spec.name, dtype: spec.dtype, rows, fullDim, sizes });
    variants.push({ ...v, fraction: fractionOf(v.bytes) });
    const kept = rows.map((x, i) => (i % fullDim < sizes[Math.floor(i / fullDim)]! ? x : 0));
    dense.push(roundTo(kept, spec.dtype));
  }
  const draft: KindManifestDraft = { ...base, kind: 'mixed', model: { id: 'kinds-fixture-mixed' }, variants };
  return { store, manifest: (await w.finishKind(draft)) as MixedManifest, rows, users: vectors, dense };
}

/** Writes the sparse fixture: three variants, one with an empty row. */
export async function writeSparseFixture(store = new MemoryStore()): Promise<KindFixture<SparseManifest>> {
  const { items, fullDim } = KINDS_SHAPE;
  const { r, rows, vectors, w, base } = await common(store);
  const variants = [];
  const dense: Float32Array[] = [];
  for (const spec of SPARSE_SPECS) {
    const mask = spec.mask(items, fullDim, r);
    const v = await w.sparseVariant({ name: spec.name, dtype: spec.dtype, rows, fullDim, mask });
    variants.push({ ...v, fraction: fractionOf(v.bytes) });
    dense.push(
      roundTo(
        rows.map((x, i) => (mask[i] ? x : 0)),
        spec.dtype,
      ),
    );
  }
  const draft: KindManifestDraft = { ...base, kind: 'sparse', model: { id: 'kinds-fixture-sparse' }, variants };
  return { store, manifest: (await w.finishKind(draft)) as SparseManifest, rows, users: vectors, dense };
}

/** A decoded mixed table (or a column prefix of one) as a dense `items × fullDim` table in artifact order. */
export function expandMixed(columns: readonly Float32Array[], permutation: Uint32Array | undefined, items: number, fullDim: number): Float32Array {
  const out = new Float32Array(items * fullDim);
  columns.forEach((col, r) => {
    for (let j = 0; j < col.length; j++) out[(permutation ? permutation[j]! : j) * fullDim + r] = col[j]!;
  });
  return out;
}

/** A decoded sparse table as a dense `items × fullDim` table. */
export function expandSparse(t: SparsePayload, items: number, fullDim: number): Float32Array {
  const out = new Float32Array(items * fullDim);
  for (let i = 0; i < items; i++) for (let k = t.rowPtr[i]!; k < t.rowPtr[i + 1]!; k++) out[i * fullDim + t.indices[k]!] = t.values[k]!;
  return out;
}

/** Scores of every item for `user` against a dense table: the formula both kinds reduce to. */
export function denseScores(table: Float32Array, user: Float32Array, fullDim: number): Float64Array {
  const out = new Float64Array(table.length / fullDim);
  for (let i = 0; i < out.length; i++) for (let r = 0; r < fullDim; r++) out[i]! += user[r]! * table[i * fullDim + r]!;
  return out;
}
