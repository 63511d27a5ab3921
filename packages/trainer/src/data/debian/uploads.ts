/**
 * A real timestamped interaction stream from a Debian mirror (issue 24): who signed an upload of which source
 * package, and when, read off the changelogs of one binary package per source. A user is a signer (an email address,
 * stored only as the first 16 hex digits of its SHA-256), an item a source package, and an interaction the first
 * upload a signer made of a package (later uploads of the same pair are dropped: a stream of new pairs). The
 * repository ships this generator, not the data; `stream --interactions <out>/interactions.csv` reads what it writes.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DerivationError } from '../derivation-error.js';
import { parseChangelog } from './changelog.js';
import { changelogOfDeb, decompressed } from './deb.js';
import { type BinaryPackage, smallestPerSource } from './packages-index.js';

export interface DebianUploadsOptions {
  /** The archive root, e.g. http://deb.debian.org/debian. */
  readonly mirror: string;
  readonly suite: string;
  readonly component: string;
  readonly arch: string;
  /** Sources whose smallest binary is larger are left out (a .deb carries its whole payload to give its changelog). */
  readonly maxDebBytes: number;
  /** Downloads in flight: the mirror's latency, not its bandwidth, bounds the rate. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Tries after the first, per file. */
  readonly retries: number;
}

export const DEBIAN_UPLOADS_DEFAULTS: DebianUploadsOptions = {
  mirror: 'http://deb.debian.org/debian',
  suite: 'bookworm',
  component: 'main',
  arch: 'amd64',
  maxDebBytes: 100_000,
  concurrency: 24,
  timeoutMs: 60_000,
  retries: 2,
};

/** More failed downloads than this share of the sources: the mirror is unfit, and nothing is written. */
const MAX_FAILED_SHARE = 0.05;

export interface DebianUploadsStamp {
  readonly generator: 'peelrec debian-uploads';
  readonly version: 1;
  readonly recipe: DebianUploadsOptions;
  readonly about: string;
  readonly counts: {
    readonly sourcesInIndex: number;
    readonly sourcesRead: number;
    readonly withoutChangelog: number;
    readonly failedDownloads: number;
    readonly entries: number;
    readonly unreadableTrailers: number;
    readonly interactions: number;
    readonly users: number;
    readonly items: number;
  };
  readonly firstTime: string;
  readonly lastTime: string;
  readonly generatedAt: string;
  readonly seconds: number;
}

type Fetch = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

async function download(fetcher: Fetch, url: string, o: DebianUploadsOptions): Promise<Uint8Array> {
  let last: unknown;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    try {
      const res = await fetcher(url, { signal: AbortSignal.timeout(o.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      last = e;
    }
  }
  throw new DerivationError(url, `download failed after ${o.retries + 1} tries: ${(last as Error).message}`);
}

async function text(stream: ReturnType<typeof decompressed>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isOwnStamp(text: string): boolean {
  try {
    return (JSON.parse(text) as { generator?: unknown }).generator === 'peelrec debian-uploads';
  } catch {
    return false; // not JSON: not this generator's
  }
}

const userId = (email: string) => createHash('sha256').update(email).digest('hex').slice(0, 16);

/** Runs `work` over `items` with at most `limit` in flight, in order of start. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

/**
 * Writes `<outDir>/interactions.csv` (user,item,1,unix seconds; sorted by time) and `<outDir>/stamp.json`. A folder
 * holding an interactions.csv this generator did not write is refused, never overwritten.
 * @throws DerivationError
 */
export async function deriveDebianUploads(options: DebianUploadsOptions, outDir: string, io: { fetch?: Fetch; log?: (line: string) => void } = {}): Promise<DebianUploadsStamp> {
  const o = options;
  const fetcher = io.fetch ?? ((url, init) => fetch(url, init));
  const log = io.log ?? (() => {});
  const started = performance.now();
  const csv = join(outDir, 'interactions.csv');
  const stampPath = join(outDir, 'stamp.json');
  // Only this generator's own files are replaced: another tool's stamp.json, or an interactions.csv without this
  // generator's stamp beside it, makes it stop before it downloads anything.
  const ours = await readFile(stampPath, 'utf8').then(isOwnStamp, (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : false));
  if (ours === false || (ours === undefined && existsSync(csv))) {
    throw new DerivationError(outDir, 'holds an interactions.csv or stamp.json that this generator did not write: choose another --out');
  }
  const indexUrl = `${o.mirror}/dists/${o.suite}/${o.component}/binary-${o.arch}/Packages.xz`;
  log(`index: ${indexUrl}`);
  const all = smallestPerSource(await text(decompressed(await download(fetcher, indexUrl, o))));
  if (all.length === 0) throw new DerivationError(indexUrl, 'the index lists no package');
  const picks = all.filter((p) => p.size <= o.maxDebBytes);
  log(`${all.length} sources; ${picks.length} with a binary of at most ${o.maxDebBytes} B, ${(picks.reduce((n, p) => n + p.size, 0) / 1e6).toFixed(0)} MB to fetch`);

  const first = new Map<string, { user: string; item: string; time: number }>(); // by "user\titem": the earliest upload
  let [withoutChangelog, failed, entries, unreadable, done] = [0, 0, 0, 0, 0];
  await pool(picks, o.concurrency, async (p: BinaryPackage) => {
    let bytes: Uint8Array;
    try {
      bytes = await download(fetcher, `${o.mirror}/${p.filename}`, o);
      const hash = createHash('sha256').update(bytes).digest('hex');
      if (hash !== p.sha256) throw new DerivationError(p.filename, `SHA-256 ${hash} is not the index's ${p.sha256}`);
    } catch (e) {
      failed++;
      log(`skipped ${p.source}: ${(e as Error).message}`);
      return;
    }
    const c = await changelogOfDeb(bytes, p.filename);
    if ('missing' in c) withoutChangelog++;
    else {
      const parsed = parseChangelog(c.text);
      unreadable += parsed.skipped;
      entries += parsed.entries.length;
      for (const e of parsed.entries) {
        const user = userId(e.email);
        const key = `${user}\t${p.source}`;
        const had = first.get(key);
        if (had === undefined || e.time < had.time) first.set(key, { user, item: p.source, time: e.time });
      }
    }
    if (++done % 1000 === 0) log(`${done} / ${picks.length} read`);
  });
  if (failed > MAX_FAILED_SHARE * picks.length) throw new DerivationError(o.mirror, `${failed} of ${picks.length} downloads failed (more than ${MAX_FAILED_SHARE * 100} %): nothing written`);
  if (first.size === 0) throw new DerivationError(o.mirror, 'no changelog entry was read: nothing written');

  // By time, then by code unit order (not locale): the same mirror state writes the same file anywhere.
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const rows = [...first.values()].sort((a, b) => a.time - b.time || order(a.user, b.user) || order(a.item, b.item));
  await mkdir(outDir, { recursive: true });
  // No stamp while the data changes: an interrupted write is never taken for this generator's output.
  await rm(stampPath, { force: true });
  await writeFile(csv, `${rows.map((r) => `${r.user},${r.item},1,${r.time}`).join('\n')}\n`);
  const iso = (s: number) => new Date(s * 1000).toISOString();
  const stamp: DebianUploadsStamp = {
    generator: 'peelrec debian-uploads',
    version: 1,
    recipe: o,
    about:
      'users: changelog signers (SHA-256 of the email, first 16 hex digits); items: source packages; one row per first upload of a pair; read from the smallest binary of each source, whose changelog.Debian.gz is the source’s',
    counts: {
      sourcesInIndex: all.length,
      sourcesRead: picks.length - failed,
      withoutChangelog,
      failedDownloads: failed,
      entries,
      unreadableTrailers: unreadable,
      interactions: rows.length,
      users: new Set(rows.map((r) => r.user)).size,
      items: new Set(rows.map((r) => r.item)).size,
    },
    firstTime: iso(rows[0]!.time),
    lastTime: iso(rows[rows.length - 1]!.time),
    generatedAt: new Date().toISOString(),
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  await writeFile(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
  return stamp;
}
