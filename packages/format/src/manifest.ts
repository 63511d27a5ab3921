import type { z } from 'zod';
import {
  BYTES_PER_ELEMENT,
  FORMAT_MAGIC,
  ManifestSchema,
  SUPPORTED_VERSIONS,
  type BlockEntrySchema,
  type BlockFileSchema,
  type DtypeSchema,
  type FileRefSchema,
  type ItemGroupSchema,
  type BudgetMetricSchema,
} from './schema.js';
import { ManifestError, UnsupportedVersionError } from './errors.js';

export type Manifest = z.infer<typeof ManifestSchema>;
export type Dtype = z.infer<typeof DtypeSchema>;
export type FileRef = z.infer<typeof FileRefSchema>;
export type BlockFile = z.infer<typeof BlockFileSchema>;
export type BlockEntry = z.infer<typeof BlockEntrySchema>;
export type ItemGroup = z.infer<typeof ItemGroupSchema>;
export type BudgetMetric = z.infer<typeof BudgetMetricSchema>;

/** Byte length of one block payload: `blockDim × itemsInGroup` elements. */
export function blockByteLength(blockDim: number, itemsInGroup: number, dtype: Dtype): number {
  return blockDim * itemsInGroup * BYTES_PER_ELEMENT[dtype];
}

/** Byte length of a user shard: vectors then u16 group ids. */
export function userShardByteLength(fullDim: number, users: number): number {
  return users * fullDim * 4 + users * 2;
}

/**
 * Validates untrusted JSON (a parsed object or the raw text) as a v1 manifest.
 * Checks the schema first, then the cross-field invariants a schema cannot say
 * (groups cover the catalog, every block present once, sizes consistent).
 *
 * @throws UnsupportedVersionError for another `format`/`formatVersion`/`kind`.
 * @throws ManifestError listing every problem found.
 */
export function parseManifest(input: unknown): Manifest {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (cause) {
      throw new ManifestError(`Manifest is not valid JSON (${(cause as Error).message})`, [], { cause });
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ManifestError('Manifest must be a JSON object');
  }
  const head = json as Record<string, unknown>;
  if (head.format !== FORMAT_MAGIC) {
    throw new ManifestError(`Not a peelrec manifest (format is ${JSON.stringify(head.format)}, expected "${FORMAT_MAGIC}")`);
  }
  if (!SUPPORTED_VERSIONS.includes(head.formatVersion as number)) {
    throw new UnsupportedVersionError(head.formatVersion, SUPPORTED_VERSIONS);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ManifestError('Manifest does not match format v1', issues);
  }
  const problems = checkInvariants(parsed.data);
  if (problems.length) throw new ManifestError('Manifest is inconsistent', problems);
  return parsed.data;
}

function checkInvariants(m: Manifest): string[] {
  const out: string[] = [];
  const { fullDim, blockDim, blocksPerItem } = m.dims;
  if (fullDim !== blockDim * blocksPerItem) {
    out.push(`dims: fullDim ${fullDim} != blockDim ${blockDim} × blocksPerItem ${blocksPerItem}`);
  }
  let next = 0;
  m.itemGroups.forEach((g, i) => {
    if (g.start !== next) out.push(`itemGroups.${i}: starts at ${g.start}, expected ${next} (groups must be contiguous)`);
    next = g.start + g.count;
  });
  if (next !== m.items.count) out.push(`itemGroups: cover ${next} items, catalog has ${m.items.count}`);

  if (m.userGroups.centroids.length !== m.userGroups.count) {
    out.push(`userGroups.centroids: ${m.userGroups.centroids.length} rows, expected ${m.userGroups.count}`);
  }
  m.userGroups.centroids.forEach((c, i) => {
    if (c.length !== fullDim) out.push(`userGroups.centroids.${i}: length ${c.length}, expected ${fullDim}`);
  });

  let u = 0;
  m.users.shards.forEach((s, i) => {
    if (s.start !== u) out.push(`users.shards.${i}: starts at ${s.start}, expected ${u}`);
    u = s.start + s.count;
    const want = userShardByteLength(fullDim, s.count);
    if (s.file.byteLength !== want) out.push(`users.shards.${i}: byteLength ${s.file.byteLength}, expected ${want}`);
  });
  if (u !== m.users.count) out.push(`users.shards: cover ${u} users, expected ${m.users.count}`);

  const C = m.userGroups.count;
  const G = m.itemGroups.length;
  const B = blocksPerItem;
  const seen = new Uint8Array(C * G * B);
  m.blocks.forEach((e, i) => {
    if (e.userGroup >= C || e.itemGroup >= G || e.block >= B) {
      out.push(`blocks.${i}: (${e.userGroup}, ${e.itemGroup}, ${e.block}) out of range (${C}, ${G}, ${B})`);
      return;
    }
    const k = (e.userGroup * G + e.itemGroup) * B + e.block;
    if (seen[k]) out.push(`blocks.${i}: duplicate (${e.userGroup}, ${e.itemGroup}, ${e.block})`);
    seen[k] = 1;
    const dtypes = new Set<string>();
    for (const f of e.files) {
      if (dtypes.has(f.dtype)) out.push(`blocks.${i}: two ${f.dtype} files`);
      dtypes.add(f.dtype);
      const want = blockByteLength(blockDim, m.itemGroups[e.itemGroup]!.count, f.dtype);
      if (f.byteLength !== want) out.push(`blocks.${i}.${f.dtype}: byteLength ${f.byteLength}, expected ${want}`);
    }
  });
  const missing = seen.reduce((n, v) => n + (v ? 0 : 1), 0);
  if (missing) out.push(`blocks: ${missing} of ${C * G * B} (userGroup, itemGroup, block) entries missing`);
  return out.slice(0, 50);
}

/** Blocks of one user group, indexed `[itemGroup][block]`. */
export function blocksOfUserGroup(m: Manifest, userGroup: number): BlockEntry[][] {
  if (!Number.isInteger(userGroup) || userGroup < 0 || userGroup >= m.userGroups.count) {
    throw new RangeError(`userGroup ${userGroup} out of range [0, ${m.userGroups.count})`);
  }
  const table: BlockEntry[][] = m.itemGroups.map(() => new Array<BlockEntry>(m.dims.blocksPerItem));
  for (const e of m.blocks) if (e.userGroup === userGroup) table[e.itemGroup]![e.block] = e;
  return table;
}

/** The file of `entry` in `dtype`, or undefined if that encoding was not exported. */
export function fileOf(entry: BlockEntry, dtype: Dtype): BlockFile | undefined {
  return entry.files.find((f) => f.dtype === dtype);
}

/** Bytes of the full item table of one user group in `dtype` (what budget fractions are relative to). */
export function fullTableBytes(m: Manifest, dtype: Dtype = 'f32'): number {
  return m.items.count * m.dims.fullDim * BYTES_PER_ELEMENT[dtype];
}
