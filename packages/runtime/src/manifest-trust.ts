/**
 * How much of a manifest text to trust, and when: the full check (schema, invariants, content hash), a copy trusted
 * because it is byte-identical to what passed that check when it was stored, and the plain parse that lets the
 * first downloads start while the full check runs (each ref they fetch is checked on its own). The full check and
 * the ref check are in schema-checks.ts.
 */
import type { AnyManifestFile } from '@peelrec/format';
import { DownloadError } from './errors.js';
import { SUPPORTED_VERSIONS } from '@peelrec/format';

/**
 * The checks that need the format's schemas (zod, ~100 KB of code): a chunk of its own, imported when a manifest,
 * a block table or an early ref is checked. A warm start of a stored version checks none of them, and does not load
 * it; a load that will, starts the import before its first request (recommender.ts).
 */
export function schemaChecks(): Promise<typeof import('./schema-checks.js')> {
  return (checks ??= import('./schema-checks.js').catch((e: unknown) => {
    checks = undefined; // a later load may find the chunk again (back online)
    throw new DownloadError("@peelrec/runtime's schema checks", undefined, (e as Error)?.message ?? String(e), { cause: e });
  }));
}
let checks: Promise<typeof import('./schema-checks.js')> | undefined;

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
