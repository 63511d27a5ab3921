/**
 * The schemas of format v2: `manifest.json` and the per-user-group block
 * tables it pins. Zod is the single source of truth: the TypeScript types are
 * inferred from it, and `schema/manifest.v2.json` and
 * `schema/block-table.v2.json` (JSON Schema, for exporters in other
 * languages) are generated from it. Objects are zod's default (strip): a
 * member the schema does not know is accepted and dropped from the parsed
 * value, so a v2 reader ignores what a later writer adds (README, "Unknown
 * members"); the content hash still covers it.
 */
import { z } from 'zod';
import { type DtypeName, FORMAT_MAGIC, FORMAT_VERSION } from './constants.js';

export { BYTES_PER_ELEMENT, DTYPE_PRECISION_ORDER, FORMAT_MAGIC, FORMAT_VERSION, I8_HEADER_BYTES, KINDS_VERSION, SUPPORTED_VERSIONS } from './constants.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256 (64 chars)');
/** Relative to the manifest's own URL; no scheme, no leading slash, no `..` (a manifest cannot point off its artifact). */
const relativeUrl = z
  .string()
  .min(1)
  .refine((u) => !/^[a-z][a-z0-9+.-]*:/i.test(u) && !u.startsWith('/') && !u.split('/').includes('..'), {
    message: 'relative URL inside the artifact (no scheme, no leading "/", no "..")',
  });
const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/** Element encodings of block payloads. `i8` payloads start with their block's f32 scale (README, "Binary payloads"). */
export const DtypeSchema = z.enum(['f32', 'f16', 'i8']);
// constants.ts names the same encodings without zod: the two lists cannot drift apart.
const sameDtypes: [DtypeName, z.infer<typeof DtypeSchema>] extends [z.infer<typeof DtypeSchema>, DtypeName] ? true : never = true;
void sameDtypes;

/**
 * How a user group's scores treat the blocks a budget did not select (README, "Scoring"):
 * `mean` renormalises the weights over each item group's selected blocks (a weighted mean);
 * `truncated` keeps the full table's weights, so unselected blocks simply count as zero.
 */
export const ScoringSchema = z.enum(['mean', 'truncated']);
/**
 * Bytes of the artifact, addressed relative to the manifest and pinned by hash:
 * the whole file at `url`, or with `offset` the range
 * `[offset, offset + byteLength)` of it (several refs may share one file).
 */
export const FileRefSchema = z.object({
  url: relativeUrl,
  /** Byte offset inside `url`; absent means the ref is the whole file, which is exactly `byteLength` long. */
  offset: count.optional(),
  byteLength: count,
  sha256: sha256Hex,
});

export const BlockFileSchema = FileRefSchema.extend({ dtype: DtypeSchema });

/** One memory unit: block `block` of item group `itemGroup`, as refined for user group `userGroup`. */
export const BlockEntrySchema = z.object({
  userGroup: count,
  itemGroup: count,
  block: count,
  /** Controller weight (softmax within the item group). Scoring multiplies the block by it; selection ranks by it. */
  weight: z.number().finite().nonnegative(),
  /** The same block in each exported encoding, one file each. */
  files: z.array(BlockFileSchema).min(1),
});

export const ItemGroupSchema = z.object({ start: count, count: positive });

export const UserShardSchema = z.object({ start: count, count: positive, file: FileRefSchema });

export const MetricSchema = z.object({ recall20: z.number(), ndcg20: z.number() });

export const BudgetMetricSchema = MetricSchema.extend({
  fraction: z.number().positive(),
  bytes: count,
  dtype: DtypeSchema,
});

/**
 * `blocks/u<c>.json` (any name the manifest gives): every block of one user
 * group, each (itemGroup, block) exactly once. A device fetches only the table
 * of its user's group.
 */
export const BlockTableSchema = z.object({
  userGroup: count,
  blocks: z.array(BlockEntrySchema).min(1),
});

export const PeelBlocksManifestSchema = z.object({
  format: z.literal(FORMAT_MAGIC),
  formatVersion: z.literal(FORMAT_VERSION),
  /**
   * The table kind. `peel-blocks` is always v2; the kinds `mixed` and
   * `sparse` are v3 (`kinds-schema.ts`).
   */
  kind: z.literal('peel-blocks'),
  model: z.object({
    id: z.string().min(1),
    /** SHA-256 of the canonical (RFC 8785) JSON of this manifest's text, unknown members included, with `model.contentHash` = "" and without `provenance`. */
    contentHash: sha256Hex,
  }),
  dims: z.object({ fullDim: positive, blockDim: positive, blocksPerItem: positive }),
  /** Block payload layout; see the README for why dim-major. */
  layout: z.literal('dim-major'),
  items: z.object({
    count: positive,
    /** JSON array of external ids (strings), in artifact order (most popular first). */
    ids: FileRefSchema,
    /** Optional JSON array, in artifact order, of `{ name, category }` objects. */
    metadata: FileRefSchema.optional(),
  }),
  /** Contiguous ranges of artifact item positions, most popular group first, covering [0, items.count). */
  itemGroups: z.array(ItemGroupSchema).min(1),
  userGroups: z.object({
    count: positive,
    /** k-means centroids in the full user-embedding space, [count][fullDim]; assign a new user to the nearest (Euclidean). */
    centroids: z.array(z.array(z.number().finite())),
    /** Scoring rule of each user group, [count]; absent means `mean` for every group. */
    scoring: z.array(ScoringSchema).optional(),
  }),
  users: z.object({
    count: count,
    /** Optional JSON array of external user ids in artifact order; absent means ids are "0" … "count-1". */
    ids: FileRefSchema.optional(),
    /** Each shard: `count × fullDim` f32 LE vectors, then `count` u16 LE user-group ids. */
    shards: z.array(UserShardSchema),
  }),
  /** The block table of each user group, indexed by user group (`blockTables[c]` holds group c's blocks). */
  blockTables: z.array(FileRefSchema).min(1),
  metrics: z
    .object({
      dataset: z.string(),
      split: z.string(),
      full: MetricSchema.optional(),
      budgets: z.array(BudgetMetricSchema),
    })
    .optional(),
  provenance: z.object({
    dataset: z.string(),
    datasetSha256: sha256Hex.optional(),
    trainer: z.string(),
    seed: z.number().int(),
    createdAt: z.string(),
    config: z.record(z.string(), z.unknown()).optional(),
  }),
});

/**
 * `manifest.json` of format v2: a discriminated union on `kind` of its one kind (the shape of
 * `schema/manifest.v2.json`). Every kind this build reads: `ManifestSchema` (`kinds-schema.ts`).
 */
export const ManifestV2Schema = z.discriminatedUnion('kind', [PeelBlocksManifestSchema]);
