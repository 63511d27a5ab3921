/**
 * The manifest checks that need the format's schemas, imported on demand (manifest-trust.ts schemaChecks): the
 * full check of a manifest text, a block table's, and an early ref's.
 */
import { computeContentHash, type FileRef, FileRefSchema, ManifestError, parseAnyManifest, type AnyManifestFile } from '@peelrec/format';

export { parseBlockTable } from '@peelrec/format';

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

/** A file ref of a manifest whose full check has not passed yet, checked on its own before it is fetched. @throws ManifestError */
export function checkEarlyRef(ref: FileRef): void {
  if (!FileRefSchema.safeParse(ref).success) throw new ManifestError(`Manifest file ref is invalid: ${JSON.stringify(ref)}`);
}
