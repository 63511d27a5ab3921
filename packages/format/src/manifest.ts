import type { z } from 'zod';
import { rangeProblems, shardProblems } from './checks.js';
import { FORMAT_MAGIC, FORMAT_VERSION, SUPPORTED_VERSIONS } from './constants.js';
import { ManifestError, UnsupportedVersionError } from './errors.js';
import { kindProblems } from './kinds-check.js';
import { ManifestSchema } from './kinds-schema.js';
import { type AnyManifest, type AnyManifestFile, isPeelManifest, KIND_VERSIONS } from './kinds.js';
import { blockByteLength, type BlockTable, type FileRef, type ManifestFile } from './manifest-files.js';
import { BlockTableSchema } from './schema.js';

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
 * of a `peel-blocks` artifact (format v2). Checks the schema first, then the
 * cross-field invariants a schema cannot say (groups cover the catalog, one
 * block table per user group, sizes consistent). The block entries are in the
 * tables: {@link parseBlockTable}. Every kind: {@link parseAnyManifest}.
 *
 * @throws UnsupportedVersionError for a version this build does not read, and for a v3 kind (`mixed`, `sparse`),
 *   which a reader of `peel-blocks` cannot use: as a v2-only build refuses it.
 * @throws ManifestError listing every problem found.
 */
export function parseManifest(input: unknown): ManifestFile {
  return assertPeelManifest(parseAnyManifest(input));
}

/**
 * Validates untrusted JSON as `manifest.json` of any kind this build reads:
 * v2 `peel-blocks` ({@link parseManifest}'s checks) or v3 `mixed` / `sparse`
 * (README, "Consistency rules"). Narrow the result with `isPeelManifest` /
 * `isKindManifest`.
 *
 * @throws UnsupportedVersionError for a `formatVersion` this build does not read, or a kind at a version later than
 *   its own (a v3 `peel-blocks`), which a later build may read.
 * @throws ManifestError for a kind at a version earlier than its own (a v2 `mixed` was never written), an unknown
 *   kind, and every schema or consistency problem.
 */
export function parseAnyManifest(input: unknown): AnyManifestFile {
  const head = parseJson(input, 'Manifest');
  if (head.format !== FORMAT_MAGIC) {
    throw new ManifestError(`Not a peelrec manifest (format is ${JSON.stringify(head.format)}, expected "${FORMAT_MAGIC}")`);
  }
  const version = head.formatVersion as number;
  if (!SUPPORTED_VERSIONS.includes(version)) throw new UnsupportedVersionError(head.formatVersion, SUPPORTED_VERSIONS);
  const kindVersion = Object.hasOwn(KIND_VERSIONS, head.kind as string) ? KIND_VERSIONS[head.kind as keyof typeof KIND_VERSIONS] : undefined;
  if (kindVersion !== undefined && version > kindVersion) throw new UnsupportedVersionError(version, [kindVersion], head.kind as string);
  if (kindVersion !== undefined && version < kindVersion) {
    throw new ManifestError(`Manifest of kind ${JSON.stringify(head.kind)} has formatVersion ${version}; that kind is version ${kindVersion}`);
  }
  const parsed = ManifestSchema.safeParse(head);
  if (!parsed.success) throw new ManifestError(`Manifest does not match format v${version}`, schemaIssues(parsed.error));
  const m = parsed.data;
  const problems = isPeelManifest(m) ? checkInvariants(m) : kindProblems(m);
  if (problems.length) throw new ManifestError('Manifest is inconsistent', problems);
  return m;
}

/**
 * `m` if it is a `peel-blocks` manifest, for callers that read only that kind.
 * @throws UnsupportedVersionError otherwise, naming the kind and its version (what a v2-only reader says of it).
 */
export function assertPeelManifest<M extends AnyManifest | AnyManifestFile>(m: M): Extract<M, { kind: 'peel-blocks' }> {
  if (isPeelManifest(m)) return m;
  throw new UnsupportedVersionError(m.formatVersion, [FORMAT_VERSION], m.kind, `this reader takes peel-blocks (version ${FORMAT_VERSION}) only; parseAnyManifest and readAnyManifest read every kind`);
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

  out.push(...shardProblems(m.users, fullDim));
  out.push(...rangeProblems([...m.blockTables.map((f, i) => ({ path: `blockTables.${i}`, ref: f })), ...m.users.shards.map((s, i) => ({ path: `users.shards.${i}.file`, ref: s.file }))]));
  return out.slice(0, 50);
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
