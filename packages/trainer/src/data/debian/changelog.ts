/**
 * The entries of a Debian changelog (debian/changelog, Debian Policy §4.4): each opens with
 * `package (version) distributions; urgency=…` and closes with ` -- Name <email>  date`, the person who signed
 * that upload and when (RFC 2822 date).
 */

export interface ChangelogEntry {
  /** The package the entry names (a source may have been renamed since). */
  readonly package: string;
  readonly version: string;
  /** The signer's email address, lower-cased. */
  readonly email: string;
  /** Unix seconds. */
  readonly time: number;
}

export interface ParsedChangelog {
  readonly entries: ChangelogEntry[];
  /** Trailer lines whose email or date could not be read, or that closed no entry. */
  readonly skipped: number;
}

const OPENING = /^([a-z0-9][a-z0-9+.-]*) \(([^()\s]+)\)/i;
// Policy asks for exactly two spaces before the date; old entries have one, or a tab.
const TRAILER = /^ -- (.*?)\s*<([^<>\s]+@[^<>\s]+)>\s+(\S.*?)\s*$/;

/** Dates before Debian's first release, or in the future, are typos: such an entry is skipped. */
const EARLIEST = Date.UTC(1993, 0, 1) / 1000;

export function parseChangelog(text: string, now = Date.now() / 1000): ParsedChangelog {
  const entries: ChangelogEntry[] = [];
  let skipped = 0;
  let open: { package: string; version: string } | undefined;
  for (const line of text.split('\n')) {
    const o = OPENING.exec(line);
    if (o) {
      open = { package: o[1]!, version: o[2]! };
      continue;
    }
    if (!line.startsWith(' -- ')) continue;
    const t = TRAILER.exec(line);
    const ms = t ? Date.parse(t[3]!) : Number.NaN;
    if (!open || !t || !Number.isFinite(ms) || ms / 1000 < EARLIEST || ms / 1000 > now) {
      skipped++;
      open = undefined;
      continue;
    }
    entries.push({ ...open, email: t[2]!.toLowerCase(), time: Math.floor(ms / 1000) });
    open = undefined;
  }
  return { entries, skipped };
}
