/**
 * The schemas of format v3: the table kinds `mixed` (per-item sizes, prefix
 * columns) and `sparse` (CSR rows with u8 indices), issue 20. They share
 * every v2 member that is not about blocks (items, users, metrics,
 * provenance) and replace the block tables by `variants`: one table per
 * trained target size, the same for every user. `schema/manifest.v3.json` is
 * generated from `ManifestV3Schema`. Objects strip unknown members, as in v2.
 */
import { z } from 'zod';
import { FileRefSchema, FORMAT_MAGIC, KINDS_VERSION, PeelBlocksManifestSchema } from './schema.js';

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();
/** The v2 members a v3 manifest keeps unchanged (same JSON Schema, same meaning). */
const v2 = PeelBlocksManifestSchema.shape;

/** Element encodings of v3 values; `i8` may come later, not in this build. */
export const VariantDtypeSchema = z.enum(['f32', 'f16']);

const variantCommon = {
  /** Unique within the manifest, e.g. "20%". Not a file name: writers derive a safe one. */
  name: z.string().min(1),
  /** The target it was trained for, as a fraction of the full f32 item table (fullDim × items.count × 4). */
  fraction: z.number().positive().optional(),
  dtype: VariantDtypeSchema,
  /** Device bytes of the variant as stored: the sum of its file refs' byte lengths, index and permutation bytes included. */
  bytes: count,
};

/** Dimension r of rows 0 … count − 1, rows in the variant's order (largest size first). */
export const MixedColumnSchema = z.object({ count: positive, file: FileRefSchema });

export const MixedVariantSchema = z.object({
  ...variantCommon,
  /** Row → artifact position: `items.count` unsigned LE ints, u16 when items.count ≤ 65536, else u32. Absent: identity. */
  permutation: FileRefSchema.optional(),
  /** `columns[r]` holds dimension r of the first `count_r` rows; counts non-increasing, `count_0 = items.count`. */
  columns: z.array(MixedColumnSchema).min(1),
});

export const SparseVariantSchema = z.object({
  ...variantCommon,
  /** Total stored entries. */
  nnz: count,
  /** `rowNnz` (items.count × u8), `indices` (nnz × u8), zero padding to 4 bytes, `values` (nnz × dtype). */
  file: FileRefSchema,
});

const kindCommon = {
  format: z.literal(FORMAT_MAGIC),
  formatVersion: z.literal(KINDS_VERSION),
  model: v2.model,
  /** `fullDim`: the user vector's length; every item keeps at most that many values. */
  dims: z.object({ fullDim: positive }),
  items: v2.items,
  /** As v2: each shard `count × fullDim` f32 vectors, then `count` u16 group ids (all 0: these kinds have no user groups). */
  users: v2.users,
  metrics: v2.metrics,
  provenance: v2.provenance,
};

/**
 * Mixed only: whether a budget between two variants trims the larger one or falls back to the smaller one whole,
 * decided by the trainer on its validation data (README, "Selection"). Absent: `selectTable` trims, as before.
 */
export const MixedSelectionSchema = z.object({
  trim: z.boolean(),
  /** The evidence: validation Recall@20 of the trimmed larger variant minus the smaller one whole, mean over `budgets` budgets. */
  trimMinusFallback: z.object({ recall20: z.number(), se: z.number().nonnegative().optional(), budgets: positive }).optional(),
});

export const MixedManifestSchema = z.object({ ...kindCommon, kind: z.literal('mixed'), variants: z.array(MixedVariantSchema).min(1), selection: MixedSelectionSchema.optional() });
export const SparseManifestSchema = z.object({ ...kindCommon, kind: z.literal('sparse'), variants: z.array(SparseVariantSchema).min(1) });

/** `manifest.json` of format v3 (the shape of `schema/manifest.v3.json`). */
export const ManifestV3Schema = z.discriminatedUnion('kind', [MixedManifestSchema, SparseManifestSchema]);

/** Every kind this build reads, discriminated on `kind`; `parseAnyManifest` also checks each kind's `formatVersion`. */
export const ManifestSchema = z.discriminatedUnion('kind', [PeelBlocksManifestSchema, MixedManifestSchema, SparseManifestSchema]);
