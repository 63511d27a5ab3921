/**
 * Shared e2e plumbing: the deviceMemory override, the harness page, and a
 * network log that counts the bytes each request really carried.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page, Request } from '@playwright/test';
import { parseBlockTable, parseManifest, withBlockTables, type FileRef, type Manifest } from '@peelrec/format';
import { FIXTURES, type FixtureName } from '../scripts/fixtures.js';
import type { Peel } from '../harness/main.js';

declare global {
  interface Window {
    peel: Peel;
  }
}

/** The values navigator.deviceMemory takes across Chrome versions, and `undefined` (Firefox, Safari). */
export const DEVICE_MEMORY_VALUES: readonly (number | undefined)[] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, undefined];

/**
 * Overrides navigator.deviceMemory in every page of `target` before any
 * script runs. `undefined` deletes the property, as in Firefox and Safari.
 * Does NOT reach Web Workers (WorkerNavigator is another prototype, and init
 * scripts run only in pages).
 */
export async function setDeviceMemory(target: Page | BrowserContext, value: number | undefined): Promise<void> {
  await target.addInitScript(
    (v: { absent: boolean; gib: number }) => {
      if (v.absent) {
        delete (Navigator.prototype as { deviceMemory?: number }).deviceMemory;
      } else {
        Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => v.gib, configurable: true });
      }
    },
    { absent: value === undefined, gib: value ?? 0 },
  );
}

/** Opens the harness page and waits for `window.peel`. */
export async function openHarness(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await page.waitForFunction(() => typeof window.peel === 'object', undefined, { timeout: 30_000 });
}

export const manifestUrlOf = (name: string) => `/models/${name}/manifest.json`;

export interface LoggedRequest {
  readonly url: string;
  readonly path: string;
  readonly method: string;
  readonly status: number | undefined;
  /** Body bytes received (0 when the request failed). */
  readonly bytes: number;
  readonly postData: string | null;
  readonly headers: Record<string, string>;
  readonly failed?: string;
}

/** Records every request of a context, with the body bytes that arrived. */
export class NetworkLog {
  readonly entries: LoggedRequest[] = [];
  /** Every request issued (URL paths), whether or not it finished: counts attempts. */
  readonly issued: string[] = [];
  private pending: Promise<void>[] = [];

  constructor(context: BrowserContext) {
    context.on('request', (req) => {
      const u = new URL(req.url());
      this.issued.push(u.pathname + u.search);
    });
    context.on('requestfinished', (req) => this.pending.push(this.record(req)));
    context.on('requestfailed', (req) => this.pending.push(this.record(req, req.failure()?.errorText ?? 'failed')));
  }

  private async record(req: Request, failed?: string): Promise<void> {
    const res = failed ? null : await req.response().catch(() => null);
    let bytes = 0;
    if (res) bytes = (await res.body().catch(() => Buffer.alloc(0))).byteLength;
    const url = new URL(req.url());
    this.entries.push({
      url: req.url(),
      path: url.pathname + url.search,
      method: req.method(),
      status: res?.status(),
      bytes,
      postData: req.postData(),
      headers: await req.allHeaders().catch(() => ({})),
      failed,
    });
  }

  /** Waits for the bodies of everything seen so far. */
  async settled(): Promise<LoggedRequest[]> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch);
    }
    return this.entries;
  }

  clear(): void {
    this.entries.length = 0;
    this.issued.length = 0;
  }

  /** Successful requests under /models/<name>/ (whole files, and byte ranges of packed block files). */
  async modelFiles(name: string): Promise<LoggedRequest[]> {
    const prefix = `/models/${name}/`;
    return (await this.settled()).filter((e) => e.path.startsWith(prefix) && !e.failed && (e.status === 200 || e.status === 206));
  }
}

/** One response the server sent: the path, the byte range asked for (first, last; inclusive) when it was a Range request, and the body bytes. */
export interface ServedRequest {
  readonly path: string;
  readonly range?: readonly [number, number];
  readonly status: number;
  readonly bytes: number;
}

/**
 * Counts the body bytes the server sent for each request under `prefix`, by
 * routing them through Playwright (route.fetch + fulfill). Exact even where
 * Chromium reports a finished fetch as ERR_ABORTED to the request events,
 * which it did for some block downloads on the first run. Range requests
 * (packed blocks) are forwarded as such and logged with their range.
 */
export async function countServed(context: BrowserContext, prefix: string): Promise<ServedRequest[]> {
  const served: ServedRequest[] = [];
  await context.route(
    (url) => url.pathname.startsWith(prefix),
    async (route) => {
      const res = await route.fetch();
      const body = await res.body();
      const path = new URL(route.request().url()).pathname;
      const range = /^bytes=(\d+)-(\d+)$/.exec((await route.request().headerValue('range')) ?? '');
      served.push({ path, ...(range && { range: [Number(range[1]), Number(range[2])] as const }), status: res.status(), bytes: body.byteLength });
      await route.fulfill({ response: res, body });
    },
  );
  return served;
}

/** Byte ranges as `path first-last`, adjacent ones merged: two ways of fetching the same bytes compare equal. */
export function mergedRanges(ranges: readonly { url: string; first: number; last: number }[]): string[] {
  const out: { url: string; first: number; last: number }[] = [];
  for (const r of [...ranges].sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : a.first - b.first))) {
    const prev = out.at(-1);
    if (prev && prev.url === r.url && prev.last + 1 === r.first) prev.last = r.last;
    else out.push({ ...r });
  }
  return out.map((r) => `${r.url} ${r.first}-${r.last}`);
}

/** The byte ranges of block refs (artifact-relative URLs), merged. */
export const rangesOfRefs = (refs: readonly FileRef[]) => mergedRanges(refs.map((r) => ({ url: r.url, first: r.offset ?? 0, last: (r.offset ?? 0) + r.byteLength - 1 })));

/** The byte ranges the server sent under `/models/<name>/` for block files, merged (whole-file answers count as the whole file). */
export function servedBlockRanges(fx: FixtureOnDisk, served: readonly ServedRequest[]): string[] {
  return mergedRanges(
    served
      .filter((s) => fx.blockFiles.has(relativeTo(fx.name, s.path)))
      .map((s) => ({ url: relativeTo(fx.name, s.path), first: s.range?.[0] ?? 0, last: s.range ? s.range[0] + s.bytes - 1 : s.bytes - 1 })),
  );
}

export const relativeTo = (name: string, path: string) => path.slice(`/models/${name}/`.length).split('?')[0]!;

export interface FixtureOnDisk {
  readonly name: FixtureName;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly userIds: readonly string[];
  readonly itemIds: readonly string[];
  /** Every non-block file the manifest lists (ids, metadata, user ids, shards, block tables), artifact-relative. */
  readonly nonBlockFiles: ReadonlySet<string>;
  /** Every block file (any dtype; the trainer packs each user group's blocks of one dtype into one file), artifact-relative. */
  readonly blockFiles: ReadonlySet<string>;
}

/** Reads a fixture from disk on the test side (to know ids and file sizes without asking the browser). */
export function fixture(name: FixtureName): FixtureOnDisk {
  const dir = FIXTURES[name].dir;
  const read = (p: string) => readFileSync(join(dir, p), 'utf8');
  const file = parseManifest(read('manifest.json'));
  const manifest = withBlockTables(
    file,
    file.blockTables.map((t, c) => parseBlockTable(read(t.url), file, c)),
  );
  const userIds = manifest.users.ids ? (JSON.parse(read(manifest.users.ids.url)) as string[]) : Array.from({ length: manifest.users.count }, (_, i) => String(i));
  const itemIds = JSON.parse(read(manifest.items.ids.url)) as string[];
  const nonBlock = [manifest.items.ids, manifest.items.metadata, manifest.users.ids, ...manifest.users.shards.map((s) => s.file), ...manifest.blockTables];
  return {
    name,
    dir,
    manifest,
    userIds,
    itemIds,
    nonBlockFiles: new Set(nonBlock.filter((f) => f !== undefined).map((f) => f!.url)),
    blockFiles: new Set(manifest.blocks.flatMap((b) => b.files.map((f) => f.url))),
  };
}

export interface Ranked {
  readonly position: number;
  readonly score: number;
}

/**
 * Same top-k up to float tolerance: rank by rank the positions match, or
 * differ only where the two scores are a tie within `tol` (f32 sums in a
 * different order than the float64 reference). Returns the mismatches.
 */
export function topKMismatches(got: readonly Ranked[], ref: readonly Ranked[], tol = 1e-4): string[] {
  const out: string[] = [];
  if (got.length !== ref.length) out.push(`length ${got.length} vs reference ${ref.length}`);
  const refScore = new Map(ref.map((r) => [r.position, r.score]));
  for (let i = 0; i < Math.min(got.length, ref.length); i++) {
    const g = got[i]!;
    const r = ref[i]!;
    const scale = Math.max(1, Math.abs(r.score));
    if (Math.abs(g.score - r.score) > tol * scale) out.push(`rank ${i}: score ${g.score} vs reference ${r.score}`);
    if (g.position !== r.position) {
      const tie = Math.abs(g.score - r.score) <= tol * scale && (refScore.get(g.position) === undefined || Math.abs(refScore.get(g.position)! - g.score) <= tol * scale);
      if (!tie) out.push(`rank ${i}: position ${g.position} vs reference ${r.position}`);
    }
  }
  return out;
}

/** Privacy rules (see privacy.spec.ts): violations as readable strings. */
export function privacyViolations(
  entries: readonly LoggedRequest[],
  opts: { model: string; modelFiles: ReadonlySet<string>; secrets: readonly string[]; shell: RegExp; allowedQuery?: RegExp },
): string[] {
  const out: string[] = [];
  const prefix = `/models/${opts.model}/`;
  for (const e of entries) {
    if (e.method !== 'GET') out.push(`${e.method} ${e.path}`);
    if (e.postData) out.push(`body on ${e.path}`);
    if (e.url.startsWith('data:') || e.url.startsWith('blob:')) continue;
    const url = new URL(e.url);
    if (url.search && !opts.allowedQuery?.test(url.search)) out.push(`query string on ${e.path}`);
    if (url.pathname.startsWith(prefix)) {
      if (!opts.modelFiles.has(relativeTo(opts.model, url.pathname))) out.push(`model path not in the manifest: ${e.path}`);
    } else if (!opts.shell.test(url.pathname)) {
      out.push(`unexpected request ${e.url}`);
    }
    const tokens = new Set([url.pathname, ...Object.values(e.headers)].flatMap((v) => v.split(/[^A-Za-z0-9_-]+/)));
    for (const s of opts.secrets) if (tokens.has(s)) out.push(`history id ${s} in ${e.path}`);
  }
  return out;
}

/**
 * Serves /models/<prefix>/ from whichever fixture is current, as a CDN would after a deploy; `hold` keeps the manifest's answer back, `manifestStatus` fails it.
 * `sent` lists each file answered with its size on disk: what the server sent, at most (a range asked for is no larger).
 */
export async function deployable<F extends Pick<FixtureOnDisk, 'dir'>>(context: BrowserContext, prefix: string, first: F) {
  const state = {
    current: first,
    hold: undefined as Promise<void> | undefined,
    manifestRequests: 0,
    manifestStatus: undefined as number | undefined,
    sent: [] as { file: string; bytes: number }[],
  };
  // Matched on the path alone: a page URL may name the manifest in its query (the demo's ?model=).
  await context.route(
    (url) => url.pathname.startsWith(`/models/${prefix}/`),
    async (route) => {
      const rel = new URL(route.request().url()).pathname.slice(`/models/${prefix}/`.length);
      if (rel === 'manifest.json') {
        state.manifestRequests++;
        await state.hold;
        // A failing origin for the manifest (e.g. 404 after a botched deploy); the other files are still served.
        if (state.manifestStatus) return route.fulfill({ status: state.manifestStatus, body: 'not here', headers: { 'Cache-Control': 'no-store' } }).catch(() => {});
      }
      const path = join(state.current.dir, rel);
      state.sent.push({ file: rel, bytes: existsSync(path) ? statSync(path).size : 0 });
      return route.fulfill({ path, headers: { 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin' } }).catch(() => {});
    },
  );
  return state;
}
