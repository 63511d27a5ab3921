import canonicalize from 'canonicalize';
import { ManifestError } from './errors.js';
import type { KindManifest } from './kinds.js';
import { manifestFileOf, type Manifest, type ManifestFile } from './manifest-files.js';

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
 * The model's content version (README, "Content hash"): SHA-256 (hex) of the
 * RFC 8785 canonical JSON of `manifest.json` as `JSON.parse` reads it (every
 * member, unknown ones included, so that they cannot be altered undetected),
 * with `model.contentHash` set to "" and the top-level `provenance` removed,
 * so two trainings with the same seed and data hash the same even though
 * their timestamps differ. The manifest pins every file and table by hash,
 * and each table every block, so this pins every byte.
 *
 * Readers pass the file's text: a parsed {@link ManifestFile} has lost the
 * members the schema does not know. A writer may pass the value it is about
 * to serialise; the `blocks` of a {@link Manifest} are dropped, as they are not
 * part of `manifest.json` (the tables' hashes pin them). The v3 kinds hash by
 * the same rule.
 *
 * @throws ManifestError when the text is not a JSON object.
 */
export async function computeContentHash(manifest: string | ManifestFile | Manifest | KindManifest): Promise<string> {
  const json = typeof manifest === 'string' ? jsonObject(manifest) : 'blocks' in manifest ? manifestFileOf(manifest) : manifest;
  const { provenance: _dropped, ...rest } = json as Record<string, unknown> & { model?: object };
  const text = canonicalize({ ...rest, model: { ...rest.model, contentHash: '' } });
  if (text === undefined) throw new Error('manifest is not serialisable');
  return sha256Hex(new TextEncoder().encode(text));
}

function jsonObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError(`Manifest is not valid JSON (${(cause as Error).message})`, [], { cause });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ManifestError('Manifest must be a JSON object');
  return json as Record<string, unknown>;
}
