import canonicalize from 'canonicalize';
import { manifestFileOf, type Manifest, type ManifestFile } from './manifest.js';

/** SHA-256 through WebCrypto, which both Node ≥ 20 and browsers provide as `globalThis.crypto.subtle`. */
export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto (crypto.subtle) is unavailable: a secure context (https or localhost) is required');
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const digest = await subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  let hex = '';
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * The model's content version: SHA-256 of the RFC 8785 canonical JSON of
 * `manifest.json` (block entries of a {@link Manifest} are left out: they are
 * pinned through the tables' hashes) with `model.contentHash` blanked and
 * `provenance` dropped, so two trainings with the same seed and data hash the
 * same even though their timestamps differ. The manifest pins every file and
 * table by hash, and each table every block, so this pins every byte.
 */
export async function computeContentHash(manifest: ManifestFile | Manifest): Promise<string> {
  const { provenance: _dropped, ...rest } = manifestFileOf(manifest);
  const text = canonicalize({ ...rest, model: { ...rest.model, contentHash: '' } });
  if (text === undefined) throw new Error('manifest is not serialisable');
  return sha256Hex(new TextEncoder().encode(text));
}
