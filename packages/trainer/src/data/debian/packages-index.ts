/**
 * A Debian `Packages` index (dists/<suite>/<component>/binary-<arch>/Packages): one stanza per binary package, blank
 * lines between. For each source package, the smallest of its binaries: every binary of a source carries the same
 * changelog, so the smallest is the cheapest way to read it.
 */

export interface BinaryPackage {
  readonly source: string;
  readonly package: string;
  /** Path under the mirror's root. */
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
}

function fields(stanza: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stanza.split('\n')) {
    if (line === '' || line.startsWith(' ') || line.startsWith('\t')) continue; // continuation lines: descriptions, file lists
    const colon = line.indexOf(':');
    if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

/** Sorted by source name; a stanza without Filename, Size or SHA256 is left out. */
export function smallestPerSource(index: string): BinaryPackage[] {
  const best = new Map<string, BinaryPackage>();
  for (const stanza of index.split(/\n\s*\n/)) {
    const f = fields(stanza);
    const pkg = f.get('Package');
    const filename = f.get('Filename');
    const size = Number(f.get('Size'));
    const sha256 = f.get('SHA256');
    if (!pkg || !filename || !sha256 || !Number.isSafeInteger(size)) continue;
    // "Source: name (version)" when the source's version differs from the binary's.
    const source = (f.get('Source') ?? pkg).split(' ')[0]!;
    const old = best.get(source);
    if (!old || size < old.size || (size === old.size && pkg < old.package)) best.set(source, { source, package: pkg, filename, size, sha256 });
  }
  return [...best.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}
