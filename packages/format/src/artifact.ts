/**
 * Writing and verifying whole artifacts, independent of where bytes live:
 * the trainer plugs in the filesystem, tests a Map, a browser `fetch`.
 */
import { IntegrityError, ManifestError } from './errors.js';
import { computeContentHash, sha256Hex } from './hash.js';
import { parseManifest, type FileRef, type Manifest } from './manifest.js';

export const MANIFEST_FILE = 'manifest.json';

export interface ArtifactSink {
  /** Stores `bytes` at `path` (relative to the artifact root, `/`-separated). */
  write(path: string, bytes: Uint8Array): Promise<void>;
}

export interface ArtifactSource {
  /** Reads the file at `path` (relative to the artifact root); rejects if absent. */
  read(path: string): Promise<Uint8Array>;
}

/** A manifest before hashing: everything but `model.contentHash`. */
export type ManifestDraft = Omit<Manifest, 'model'> & { model: { id: string } };

/** Writes payload files, returning their refs, then the manifest last (so a reader never sees a manifest without its files). */
export class ArtifactWriter {
  constructor(private readonly sink: ArtifactSink) {}

  async file(url: string, bytes: Uint8Array): Promise<FileRef> {
    await this.sink.write(url, bytes);
    return { url, byteLength: bytes.byteLength, sha256: await sha256Hex(bytes) };
  }

  async json(url: string, value: unknown): Promise<FileRef> {
    return this.file(url, new TextEncoder().encode(JSON.stringify(value)));
  }

  /** Validates, computes the content hash, writes `manifest.json`, and returns the final manifest. */
  async finish(draft: ManifestDraft): Promise<Manifest> {
    const withPlaceholder = { ...draft, model: { ...draft.model, contentHash: '0'.repeat(64) } } as Manifest;
    parseManifest(withPlaceholder); // fail before writing anything inconsistent
    const manifest: Manifest = { ...withPlaceholder, model: { ...draft.model, contentHash: await computeContentHash(withPlaceholder) } };
    await this.sink.write(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
    return manifest;
  }
}

/** Reads one file and checks its length and SHA-256 against `ref`. */
export async function readVerified(source: ArtifactSource, ref: FileRef): Promise<Uint8Array> {
  const bytes = await source.read(ref.url);
  await verifyBytes(ref, bytes);
  return bytes;
}

/** @throws IntegrityError when `bytes` is not what `ref` promises. */
export async function verifyBytes(ref: FileRef, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength !== ref.byteLength) {
    throw new IntegrityError(ref.url, String(ref.byteLength), String(bytes.byteLength), 'byteLength');
  }
  const actual = await sha256Hex(bytes);
  if (actual !== ref.sha256) throw new IntegrityError(ref.url, ref.sha256, actual);
}

/** Every file the manifest references, in manifest order. */
export function filesOf(m: Manifest): FileRef[] {
  const out: FileRef[] = [m.items.ids];
  if (m.items.metadata) out.push(m.items.metadata);
  if (m.users.ids) out.push(m.users.ids);
  for (const s of m.users.shards) out.push(s.file);
  for (const b of m.blocks) out.push(...b.files);
  return out;
}

/**
 * Reads `manifest.json`, validates it, checks its content hash and every
 * file's hash. For tooling and tests; a runtime verifies only what it fetches.
 */
export async function verifyArtifact(source: ArtifactSource): Promise<{ manifest: Manifest; files: number; bytes: number }> {
  const text = new TextDecoder().decode(await source.read(MANIFEST_FILE));
  const manifest = parseManifest(text);
  const expected = await computeContentHash(manifest);
  if (expected !== manifest.model.contentHash) {
    throw new ManifestError(`model.contentHash is ${manifest.model.contentHash}, but the manifest hashes to ${expected}`);
  }
  let bytes = 0;
  const files = filesOf(manifest);
  for (const ref of files) bytes += (await readVerified(source, ref)).byteLength;
  return { manifest, files: files.length, bytes };
}
