/**
 * Writing and verifying whole artifacts, independent of where bytes live:
 * the trainer plugs in the filesystem, tests a Map, a browser `fetch`.
 */
import { encodeBlock } from './codec.js';
import { IntegrityError, ManifestError } from './errors.js';
import { computeContentHash, sha256Hex } from './hash.js';
import { type AnyManifest, type AnyManifestFile, type KindManifest, isPeelManifest, type MixedVariant, type SparseVariant, variantRefs } from './kinds.js';
import { type KindManifestDraft, kindManifestOf, type MixedVariantSpec, mixedVariantUrl, type SparseVariantSpec, sparseVariantUrl, writeMixedVariant, writeSparseVariant } from './kinds-writer.js';
import { assertPeelManifest, parseAnyManifest, parseBlockTable, parseManifest } from './manifest.js';
import { refName, withBlockTables, type BlockEntry, type BlockTable, type Dtype, type FileRef, type Manifest, type ManifestFile } from './manifest-files.js';
import { selectionOrder } from './select.js';

export const MANIFEST_FILE = 'manifest.json';

export interface ArtifactSink {
  /** Stores `bytes` at `path` (relative to the artifact root, `/`-separated). */
  write(path: string, bytes: Uint8Array): Promise<void>;
}

export interface ArtifactSource {
  /** Reads the file at `path` (relative to the artifact root); rejects if absent. */
  read(path: string): Promise<Uint8Array>;
  /** Reads `byteLength` bytes at `offset` of the file (fewer when the file is shorter). Optional: without it a range is cut from `read`. */
  readRange?(path: string, offset: number, byteLength: number): Promise<Uint8Array>;
}

/** A manifest before hashing: everything but `model.contentHash` and the block tables, which `finish` writes from `blocks`. */
export type ManifestDraft = Omit<Manifest, 'model' | 'blockTables'> & { model: { id: string } };

/** One block of one user group, before encoding: its dim-major f32 values (see `blockFromRows`). */
export interface BlockPayload {
  readonly itemGroup: number;
  readonly block: number;
  readonly weight: number;
  readonly values: Float32Array;
}

/** The block table file name the writer gives user group `c`. */
export const blockTableUrl = (userGroup: number) => `blocks/u${userGroup}.json`;
/** The packed block file name the writer gives user group `c` in `dtype`. */
export const blockPackUrl = (userGroup: number, dtype: Dtype) => `blocks/u${userGroup}.${dtype}.bin`;

/** Writes payload files, returning their refs, then the block tables and the manifest last (so a reader never sees a manifest without its files). */
export class ArtifactWriter {
  /** Packs written so far (URL and block hashes), by the SHA-256 of their bytes: a byte-identical pack is referenced, not written again. */
  private readonly packs = new Map<string, { path: string; blockSha256: string[] }>();
  /** Variant files written so far: two variants whose names map to one file name must not overwrite each other. */
  private readonly variantUrls = new Set<string>();

  constructor(private readonly sink: ArtifactSink) {}

  async file(url: string, bytes: Uint8Array): Promise<FileRef> {
    await this.sink.write(url, bytes);
    return { url, byteLength: bytes.byteLength, sha256: await sha256Hex(bytes) };
  }

  async json(url: string, value: unknown): Promise<FileRef> {
    return this.file(url, new TextEncoder().encode(JSON.stringify(value)));
  }

  /**
   * Encodes every block of one user group in each dtype and writes one packed
   * file per dtype, blocks laid out in selection order (`selectionOrder`), so
   * that a device's selection at any budget is one or a few contiguous byte
   * ranges: a few HTTP Range requests instead of one request per block.
   * Returns the group's entries, each file a byte range of its pack.
   *
   * A pack byte-identical to one already written (user groups with the same
   * table and weights, e.g. every group whose refinement kept the shared
   * backbone) is not written again: the entries reference the earlier pack's
   * URL, so an artifact stores a shared table once.
   */
  async blockPack(userGroup: number, blocks: readonly BlockPayload[], dtypes: readonly Dtype[], url: (dtype: Dtype) => string = (d) => blockPackUrl(userGroup, d)): Promise<BlockEntry[]> {
    if (dtypes.length === 0) throw new RangeError('at least one block dtype must be exported');
    const groups = Math.max(...blocks.map((b) => b.itemGroup)) + 1;
    const table: BlockPayload[][] = Array.from({ length: groups }, () => []);
    for (const b of blocks) table[b.itemGroup]!.push(b);
    // selectionOrder only reads weights and indices; entries stand in for the payloads.
    const asEntry = new Map(blocks.map((b) => [b, { userGroup, itemGroup: b.itemGroup, block: b.block, weight: b.weight, files: [] } as BlockEntry]));
    const payloadOf = new Map([...asEntry].map(([p, e]) => [e, p]));
    const order = selectionOrder(table.map((g) => g.map((p) => asEntry.get(p)!))).map((e) => payloadOf.get(e)!);
    const files = new Map<BlockPayload, BlockEntry['files']>(blocks.map((b) => [b, []]));
    for (const dtype of dtypes) {
      const encoded = order.map((b) => encodeBlock(b.values, dtype));
      const pack = new Uint8Array(encoded.reduce((n, e) => n + e.byteLength, 0));
      let offset = 0;
      for (const bytes of encoded) {
        pack.set(bytes, offset);
        offset += bytes.byteLength;
      }
      const digest = await sha256Hex(pack);
      const earlier = this.packs.get(digest);
      const path = earlier?.path ?? url(dtype);
      const blockSha256 = earlier?.blockSha256 ?? (await Promise.all(encoded.map((bytes) => sha256Hex(bytes))));
      offset = 0;
      for (const [i, bytes] of encoded.entries()) {
        files.get(order[i]!)!.push({ dtype, url: path, offset, byteLength: bytes.byteLength, sha256: blockSha256[i]! });
        offset += bytes.byteLength;
      }
      if (earlier === undefined) {
        await this.sink.write(path, pack);
        this.packs.set(digest, { path, blockSha256 });
      }
    }
    return [...blocks].sort((a, b) => a.itemGroup - b.itemGroup || a.block - b.block).map((b) => ({ userGroup, itemGroup: b.itemGroup, block: b.block, weight: b.weight, files: files.get(b)! }));
  }

  /**
   * Encodes a `mixed` variant (v3) and writes it as one file (default `tables/mixed-<name>.<dtype>.bin`): the
   * permutation when the sizes are not already non-increasing, then its columns back to back, each a range ref.
   * @throws RangeError when that file was already written by this writer.
   */
  async mixedVariant(spec: MixedVariantSpec, url: string = mixedVariantUrl(spec.name, spec.dtype)): Promise<MixedVariant> {
    return writeMixedVariant((path, bytes) => this.sink.write(path, bytes), spec, this.claim(url));
  }

  /** Encodes a `sparse` variant (v3) and writes it as one file (default `tables/sparse-<name>.<dtype>.bin`). */
  async sparseVariant(spec: SparseVariantSpec, url: string = sparseVariantUrl(spec.name, spec.dtype)): Promise<SparseVariant> {
    return writeSparseVariant((path, bytes) => this.sink.write(path, bytes), spec, this.claim(url));
  }

  private claim(url: string): string {
    if (this.variantUrls.has(url)) throw new RangeError(`${url} was already written: variant names must map to distinct files`);
    this.variantUrls.add(url);
    return url;
  }

  /**
   * Validates a `mixed` or `sparse` draft (format v3), computes its content hash and writes `manifest.json` last.
   * @throws ManifestError when the draft breaks a consistency rule; nothing is written then.
   */
  async finishKind(draft: KindManifestDraft): Promise<KindManifest> {
    const manifest = await kindManifestOf(draft);
    await this.sink.write(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
    return manifest;
  }

  /**
   * Validates the draft, writes one block table per user group (`blocks/u<c>.json`),
   * computes the content hash and writes `manifest.json` last. Returns the
   * manifest with every block entry.
   */
  async finish(draft: ManifestDraft): Promise<Manifest> {
    const C = draft.userGroups.count;
    const tables: BlockTable[] = Array.from({ length: C }, (_, c) => ({ userGroup: c, blocks: draft.blocks.filter((e) => e.userGroup === c) }));
    const stray = draft.blocks.find((e) => !(e.userGroup >= 0 && e.userGroup < C));
    if (stray) throw new ManifestError(`block (${stray.userGroup}, ${stray.itemGroup}, ${stray.block}): user group out of range [0, ${C})`);
    const { blocks: _entries, ...rest } = draft;
    const texts = tables.map((t) => JSON.stringify(t));
    const refs = await Promise.all(
      texts.map(async (text, c) => {
        const bytes = new TextEncoder().encode(text);
        return { url: blockTableUrl(c), byteLength: bytes.byteLength, sha256: await sha256Hex(bytes) };
      }),
    );
    const withPlaceholder = { ...rest, blockTables: refs, model: { ...draft.model, contentHash: '0'.repeat(64) } } as ManifestFile;
    // Fail before writing anything inconsistent.
    const file = parseManifest(withPlaceholder);
    tables.forEach((t, c) => parseBlockTable(t, file, c));
    for (const [c, text] of texts.entries()) await this.sink.write(refs[c]!.url, new TextEncoder().encode(text));
    // Hashed from its JSON text, as a reader hashes it: whatever the draft holds beyond the schema is written, so it is covered too.
    const contentHash = await computeContentHash(JSON.stringify(withPlaceholder));
    const manifest: ManifestFile = { ...withPlaceholder, model: { ...withPlaceholder.model, contentHash } };
    await this.sink.write(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
    return withBlockTables(manifest, tables);
  }
}

/** Reads the bytes of `ref` (its range when it has an offset) and checks their length and SHA-256. */
export async function readVerified(source: ArtifactSource, ref: FileRef): Promise<Uint8Array> {
  const bytes = await readRef(source, ref);
  await verifyBytes(ref, bytes);
  return bytes;
}

async function readRef(source: ArtifactSource, ref: FileRef): Promise<Uint8Array> {
  if (ref.offset === undefined) return source.read(ref.url);
  if (source.readRange) return source.readRange(ref.url, ref.offset, ref.byteLength);
  return (await source.read(ref.url)).subarray(ref.offset, ref.offset + ref.byteLength);
}

/** @throws IntegrityError when `bytes` is not what `ref` promises. */
export async function verifyBytes(ref: FileRef, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength !== ref.byteLength) {
    throw new IntegrityError(refName(ref), String(ref.byteLength), String(bytes.byteLength), 'byteLength');
  }
  const actual = await sha256Hex(bytes);
  if (actual !== ref.sha256) throw new IntegrityError(refName(ref), ref.sha256, actual);
}

/**
 * Every payload ref of a manifest, in manifest order: ids, metadata, user shards, then the block files of the tables
 * it holds (`peel-blocks`; block tables not included) or every variant's refs (v3 kinds).
 */
export function filesOf(m: ManifestFile | AnyManifest): FileRef[] {
  const out: FileRef[] = [m.items.ids];
  if (m.items.metadata) out.push(m.items.metadata);
  if (m.users.ids) out.push(m.users.ids);
  for (const s of m.users.shards) out.push(s.file);
  if ('blocks' in m) for (const b of m.blocks) out.push(...b.files);
  if ('variants' in m) for (const v of m.variants) out.push(...variantRefs(v));
  return out;
}

/**
 * Reads `manifest.json` of a `peel-blocks` artifact, validates it and checks
 * its content hash, then reads, verifies and validates the block tables of
 * `userGroups` (default: all). Returns the manifest with those tables' entries.
 * @throws UnsupportedVersionError for a v3 kind: {@link readAnyManifest} reads those.
 */
export async function readManifest(source: ArtifactSource, options: { userGroups?: readonly number[] } = {}): Promise<Manifest> {
  const { file } = await readChecked(source);
  return withTables(source, assertPeelManifest(file), options.userGroups);
}

/**
 * Reads `manifest.json` of any kind this build reads and checks its content
 * hash: a `peel-blocks` manifest comes back with the block tables of
 * `userGroups` (default: all), a v3 kind as it is (it has no tables).
 */
export async function readAnyManifest(source: ArtifactSource, options: { userGroups?: readonly number[] } = {}): Promise<AnyManifest> {
  const { file } = await readChecked(source);
  return isPeelManifest(file) ? withTables(source, file, options.userGroups) : file;
}

/** `manifest.json`, parsed (any kind) and checked against its content hash. */
async function readChecked(source: ArtifactSource): Promise<{ file: AnyManifestFile }> {
  const text = new TextDecoder().decode(await source.read(MANIFEST_FILE));
  const file = parseAnyManifest(text);
  // The text, not `file`: the hash covers members the schema does not know, which parsing drops.
  const expected = await computeContentHash(text);
  if (expected !== file.model.contentHash) {
    throw new ManifestError(`model.contentHash is ${file.model.contentHash}, but the manifest hashes to ${expected}`);
  }
  return { file };
}

async function withTables(source: ArtifactSource, file: ManifestFile, userGroups: readonly number[] | undefined): Promise<Manifest> {
  const groups = userGroups ?? file.blockTables.map((_, c) => c);
  const tables = await Promise.all(
    groups.map(async (c) => {
      const ref = file.blockTables[c];
      if (!ref) throw new RangeError(`userGroup ${c} out of range [0, ${file.userGroups.count})`);
      return parseBlockTable(new TextDecoder().decode(await readVerified(source, ref)), file, c);
    }),
  );
  return withBlockTables(file, tables);
}

/**
 * Reads and checks a whole artifact: the manifest and its content hash, every
 * block table, and every file's hash. Each file is read once, however many
 * byte ranges of it are listed. For tooling and tests; a runtime verifies only
 * what it fetches.
 */
export async function verifyArtifact(source: ArtifactSource): Promise<{ manifest: Manifest; files: number; bytes: number }> {
  const manifest = await readManifest(source);
  return { manifest, ...(await verifyFiles(source, [...manifest.blockTables, ...filesOf(manifest)])) };
}

/** {@link verifyArtifact} for an artifact of any kind: every block table (`peel-blocks`) or variant file (v3). */
export async function verifyAnyArtifact(source: ArtifactSource): Promise<{ manifest: AnyManifest; files: number; bytes: number }> {
  const manifest = await readAnyManifest(source);
  return { manifest, ...(await verifyFiles(source, [...(isPeelManifest(manifest) ? manifest.blockTables : []), ...filesOf(manifest)])) };
}

/** Verifies every ref, reading each file once however many ranges of it are listed. */
async function verifyFiles(source: ArtifactSource, refs: readonly FileRef[]): Promise<{ files: number; bytes: number }> {
  const byUrl = new Map<string, FileRef[]>();
  for (const ref of refs) {
    const list = byUrl.get(ref.url);
    if (list) list.push(ref);
    else byUrl.set(ref.url, [ref]);
  }
  let bytes = 0;
  for (const [url, list] of byUrl) {
    if (list.every((r) => r.offset === undefined)) {
      for (const ref of list) bytes += (await readVerified(source, ref)).byteLength;
      continue;
    }
    const whole = await source.read(url);
    for (const ref of list) {
      const slice = ref.offset === undefined ? whole : whole.subarray(ref.offset, ref.offset + ref.byteLength);
      await verifyBytes(ref, slice);
      bytes += slice.byteLength;
    }
  }
  return { files: byUrl.size, bytes };
}

/**
 * An {@link ArtifactSource} over HTTP(S) with `fetch`, for pages and tools:
 * paths resolve against `base` (the manifest's URL or its folder), ranges
 * are HTTP Range requests (a server that ignores Range still works: the range
 * is cut from the whole body).
 */
export function fetchSource(base: string | URL, fetchFn: typeof fetch = globalThis.fetch.bind(globalThis)): ArtifactSource {
  const get = async (path: string, range?: { offset: number; byteLength: number }): Promise<Uint8Array> => {
    const url = new URL(path, base);
    const headers: Record<string, string> = range ? { Range: `bytes=${range.offset}-${range.offset + range.byteLength - 1}` } : {};
    const res = await fetchFn(url, { headers });
    if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
    const body = new Uint8Array(await res.arrayBuffer());
    return range && res.status !== 206 ? body.subarray(range.offset, range.offset + range.byteLength) : body;
  };
  return { read: (path) => get(path), readRange: (path, offset, byteLength) => get(path, { offset, byteLength }) };
}
