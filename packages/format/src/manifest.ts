import type { z } from 'zod';
import {
  BYTES_PER_ELEMENT,
  I8_HEADER_BYTES,
  FORMAT_MAGIC,
  FORMAT_VERSION,
  BlockTableSchema,
  ManifestSchema,
  SUPPORTED_VERSIONS,
  type BlockEntrySchema,
  type BlockFileSchema,
  type DtypeSchema,
  type ScoringSchema,
  type FileRefSchema,
  type ItemGroupSchema,
  type BudgetMetricSchema,
} from './schema.js';
import { ManifestError, UnsupportedVersionError } from './errors.js';

/** What `manifest.json` holds: everything but the block entries, which live in one table file per user group. */
export type ManifestFile = z.infer<typeof ManifestSchema>;
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

/** Byte length of a user shard: vectors then u16 group ids. */
export function userShardByteLength(fullDim: number, users: number): number {
  return users * fullDim * 4 + users * 2;
}

/** How events and errors name a ref: its URL, with the byte range (`#bytes=first-last`, as in HTTP) when it is part of a file. */
export function refName(ref: FileRef): string {
  return ref.offset === undefined ? ref.url : `${ref.url}#bytes=${ref.offset}-${ref.offset + ref.byteLength - 1}`;
}

function parseJson(input: unknown, what: string): Record<string, unknown> {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (cause) {
      throw new ManifestError(`${what} is not valid JSON (${(cause as Error).message})`, [], { cause });
    }
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ManifestError(`${what} must be a JSON object`);
  }
  return json as Record<string, unknown>;
}

function schemaIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/**
 * Validates untrusted JSON (a parsed object or the raw text) as `manifest.json`
 * of format v2. Checks the schema first, then the cross-field invariants a
 * schema cannot say (groups cover the catalog, one block table per user group,
 * sizes consistent). The block entries are in the tables: {@link parseBlockTable}.
 *
 * @throws UnsupportedVersionError for another `formatVersion`.
 * @throws ManifestError listing every problem found.
 */
export function parseManifest(input: unknown): ManifestFile {
  const head = parseJson(input, 'Manifest');
  if (head.format !== FORMAT_MAGIC) {
    throw new ManifestError(`Not a peelrec manifest (format is ${JSON.stringify(head.format)}, expected "${FORMAT_MAGIC}")`);
  }
  if (!SUPPORTED_VERSIONS.includes(head.formatVersion as number)) {
    throw new UnsupportedVersionError(head.formatVersion, SUPPORTED_VERSIONS);
  }
  const parsed = ManifestSchema.safeParse(head);
  if (!parsed.success) throw new ManifestError(`Manifest does not match format v${FORMAT_VERSION}`, schemaIssues(parsed.error));
  const problems = checkInvariants(parsed.data);
  if (problems.length) throw new ManifestError('Manifest is inconsistent', problems);
  return parsed.data;
}

function checkInvariants(m: ManifestFile): string[] {
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
  if (m.userGroups.scoring && m.userGroups.scoring.length !== m.userGroups.count) {
    out.push(`userGroups.scoring: ${m.userGroups.scoring.length} entries, expected one per user group (${m.userGroups.count})`);
  }
  if (m.blockTables.length !== m.userGroups.count) {
    out.push(`blockTables: ${m.blockTables.length} tables, expected one per user group (${m.userGroups.count})`);
  }

  let u = 0;
  m.users.shards.forEach((s, i) => {
    if (s.start !== u) out.push(`users.shards.${i}: starts at ${s.start}, expected ${u}`);
    u = s.start + s.count;
    const want = userShardByteLength(fullDim, s.count);
    if (s.file.byteLength !== want) out.push(`users.shards.${i}: byteLength ${s.file.byteLength}, expected ${want}`);
  });
  if (u !== m.users.count) out.push(`users.shards: cover ${u} users, expected ${m.users.count}`);
  out.push(...rangeProblems([...m.blockTables.map((f, i) => ({ path: `blockTables.${i}`, ref: f })), ...m.users.shards.map((s, i) => ({ path: `users.shards.${i}.file`, ref: s.file }))]));
  return out.slice(0, 50);
}

/**
 * A file is either whole (refs without offset, all of one length) or cut into
 * ranges that do not overlap: anything else means two refs claim the same bytes.
 */
function rangeProblems(refs: readonly { path: string; ref: FileRef }[]): string[] {
  const out: string[] = [];
  const byUrl = new Map<string, { path: string; ref: FileRef }[]>();
  for (const r of refs) {
    const list = byUrl.get(r.ref.url);
    if (list) list.push(r);
    else byUrl.set(r.ref.url, [r]);
  }
  for (const [url, list] of byUrl) {
    if (list.length < 2) continue;
    const whole = list.filter((r) => r.ref.offset === undefined);
    if (whole.length && whole.length < list.length) {
      out.push(`${whole[0]!.path}: ${url} is referenced both whole and by byte range`);
      continue;
    }
    if (whole.length) continue; // the same whole file listed twice is harmless
    const sorted = [...list].sort((a, b) => a.ref.offset! - b.ref.offset!);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      if (sorted[i]!.ref.offset! < prev.ref.offset! + prev.ref.byteLength) out.push(`${sorted[i]!.path}: byte range overlaps ${prev.path} in ${url}`);
    }
  }
  return out;
}

/**
 * Validates untrusted JSON as the block table of `userGroup` in `manifest`:
 * the schema, then every (itemGroup, block) in range and present exactly
 * once, each file's byte length, at most one file per dtype, and no two
 * ranges of one file overlapping.
 *
 * @throws ManifestError listing every problem found.
 */
export function parseBlockTable(input: unknown, manifest: ManifestFile, userGroup: number): BlockTable {
  const name = manifest.blockTables[userGroup]?.url ?? `block table ${userGroup}`;
  const parsed = BlockTableSchema.safeParse(parseJson(input, name));
  if (!parsed.success) throw new ManifestError(`${name} does not match format v${FORMAT_VERSION}`, schemaIssues(parsed.error));
  const t = parsed.data;
  const out: string[] = [];
  if (t.userGroup !== userGroup) out.push(`userGroup: ${t.userGroup}, expected ${userGroup}`);
  const G = manifest.itemGroups.length;
  const B = manifest.dims.blocksPerItem;
  const seen = new Uint8Array(G * B);
  const ranged: { path: string; ref: FileRef }[] = [];
  t.blocks.forEach((e, i) => {
    if (e.userGroup !== userGroup) out.push(`blocks.${i}: userGroup ${e.userGroup} in the table of user group ${userGroup}`);
    if (e.itemGroup >= G || e.block >= B) {
      out.push(`blocks.${i}: (${e.itemGroup}, ${e.block}) out of range (${G}, ${B})`);
      return;
    }
    const k = e.itemGroup * B + e.block;
    if (seen[k]) out.push(`blocks.${i}: duplicate (${e.userGroup}, ${e.itemGroup}, ${e.block})`);
    seen[k] = 1;
    const dtypes = new Set<string>();
    for (const f of e.files) {
      if (dtypes.has(f.dtype)) out.push(`blocks.${i}: two ${f.dtype} files`);
      dtypes.add(f.dtype);
      const want = blockByteLength(manifest.dims.blockDim, manifest.itemGroups[e.itemGroup]!.count, f.dtype);
      if (f.byteLength !== want) out.push(`blocks.${i}.${f.dtype}: byteLength ${f.byteLength}, expected ${want}`);
      ranged.push({ path: `blocks.${i}.${f.dtype}`, ref: f });
    }
  });
  const missing = seen.reduce((n, v) => n + (v ? 0 : 1), 0);
  if (missing) out.push(`blocks: ${missing} of ${G * B} (itemGroup, block) entries missing`);
  out.push(...rangeProblems(ranged));
  if (out.length) throw new ManifestError(`${name} is inconsistent`, out.slice(0, 50));
  return t;
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
