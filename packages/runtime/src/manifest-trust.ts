/**
 * How much of a manifest text to trust, and when: the full check (schema, invariants, content hash), a copy trusted
 * because it is byte-identical to what passed that check when it was stored, and the plain parse that lets the
 * first downloads start while the full check runs (each ref they fetch is checked on its own).
 */
import { type AnyManifestFile, computeContentHash, type FileRef, FileRefSchema, ManifestError, parseAnyManifest, SUPPORTED_VERSIONS } from '@peelrec/format';

/** The schema, the invariants and the content hash of a manifest text, of any kind this build reads. @throws ManifestError */
export async function checkManifest(text: string): Promise<AnyManifestFile> {
  const manifest = parseAnyManifest(text);
  // The text, not `manifest`: the hash covers members the schema does not know, which parsing drops (format README).
  const hash = await computeContentHash(text);
  if (hash !== manifest.model.contentHash) {
    throw new ManifestError(`model.contentHash is ${manifest.model.contentHash}, but the manifest hashes to ${hash} (edited or corrupted manifest)`);
  }
  return manifest;
}

/** A manifest text that was validated when cached, parsed without the schema walk; undefined if anything looks off. */
export function trustedManifest(text: string, contentHash: string): AnyManifestFile | undefined {
  try {
    const m = JSON.parse(text) as AnyManifestFile;
    return m?.format === 'peelrec' && SUPPORTED_VERSIONS.includes(m.formatVersion) && m.model?.contentHash === contentHash ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A plain parse of a manifest for the downloads that start before its full check: undefined unless it at least
 * names its version, its model, where its item ids and user shards are, and its tables (PEEL's block tables, a table
 * kind's variants); the full check reports the rest.
 */
export function earlyManifest(text: string): AnyManifestFile | undefined {
  try {
    const m = JSON.parse(text) as AnyManifestFile;
    const ok =
      m?.format === 'peelrec' &&
      SUPPORTED_VERSIONS.includes(m.formatVersion) &&
      typeof m.model?.contentHash === 'string' &&
      typeof m.items?.ids === 'object' &&
      Array.isArray(m.users?.shards) &&
      (m.kind === 'peel-blocks' ? Array.isArray(m.blockTables) : Array.isArray(m.variants)) &&
      typeof m.dims?.fullDim === 'number';
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}

/** A file ref of a manifest whose full check has not passed yet, checked on its own before it is fetched. @throws ManifestError */
export function checkEarlyRef(ref: FileRef): void {
  if (!FileRefSchema.safeParse(ref).success) throw new ManifestError(`Manifest file ref is invalid: ${JSON.stringify(ref)}`);
}
