/**
 * Fetches artifact files: a concurrency limit, retries with exponential
 * backoff on transient failures, streamed progress with totals, abort, and a
 * SHA-256 check before the bytes are handed to anyone. Bytes that fail the
 * check are dropped and fetched once more bypassing the HTTP cache; if they
 * fail again the load fails with IntegrityError. Unverified bytes never leave
 * this module.
 *
 * A ref with an `offset` is a byte range of a larger file (format v2 packs the
 * blocks of a user group into one file). Adjacent ranges of one file are
 * fetched together with one HTTP Range request (split at `maxRangeBytes` so
 * that a few requests run side by side), and each ref is hashed as soon as its
 * last byte arrived, while the rest streams in: on a slow device, request
 * count and hashing after the download, not bandwidth, dominated start-up
 * (79 block files: 440–950 ms on localhost; the same 5 MB as one request: 100–190 ms).
 * A server that ignores Range (200, whole file) still works: the first such
 * answer serves every range of that file from the one body.
 */
import { IntegrityError, refName, sha256Hex, type FileRef } from '@peelrec/format';
import { StallGuard, STALL_MS } from './bounded.js';
import { AbortError, DownloadError, throwIfAborted } from './errors.js';
import { settled } from './settle.js';
import type { LoadProgress, RecommenderEvents } from './types.js';

/**
 * Running totals over one load; files served from the cache are reported too,
 * so totals always add up. A load whose files become known step by step (a
 * creation: the user shard, the block table, then the blocks) `add`s them.
 */
export class ProgressTracker {
  private loadedBytes = 0;
  private filesDone = 0;

  constructor(
    private totalBytes: number,
    private files: number,
    private readonly sink: ((p: LoadProgress) => void) | undefined,
  ) {}

  add(bytes: number, files: number): void {
    this.totalBytes += bytes;
    this.files += files;
  }

  report(status: LoadProgress['status'], file: string, loaded: number, total: number, delta = 0): void {
    this.loadedBytes += delta;
    if (status === 'done' || status === 'cached') this.filesDone++;
    this.sink?.({
      status,
      file,
      loaded,
      total,
      aggregate: { loaded: this.loadedBytes, total: this.totalBytes, files: this.files, filesDone: this.filesDone },
    });
  }
}

export interface DownloadOptions {
  /** The manifest's URL: file URLs resolve against it. */
  readonly baseUrl: URL;
  readonly fetch: typeof fetch;
  readonly signal?: AbortSignal;
  readonly concurrency: number;
  readonly retries: number;
  /** First backoff delay; doubles per attempt (default 200 ms). */
  readonly retryDelayMs?: number;
  /** Longest byte range asked for in one request (default {@link MAX_RANGE_BYTES}); adjacent ranges are merged up to it. */
  readonly maxRangeBytes?: number;
  readonly progress?: ProgressTracker;
  readonly onIntegrity?: (e: RecommenderEvents['integrity']) => void;
  /** A request without a response or new body bytes for this long is cut and retried (default {@link STALL_MS}). */
  readonly stallMs?: number;
}

/** An error of the consumer of verified bytes (a parse, a validation): it ends the download as it is, never retried as a network failure. */
class ConsumerError {
  constructor(readonly error: unknown) {}
}

/** HTTP statuses worth retrying: timeouts, rate limits, server errors. */
export const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);
/** First retry delay; doubles per attempt. */
export const RETRY_BASE_MS = 200;
/** Parallel requests by default: the HTTP/1.1 connection limit per host of every major browser. */
export const DEFAULT_CONCURRENCY = 6;
/**
 * Merged ranges are cut at this size, so a 5 MB selection is a few requests
 * in parallel rather than one long stream (measured on localhost, 2 cores:
 * see bench/results/startup.json).
 */
export const MAX_RANGE_BYTES = 1 << 20;

/** One request: a whole file (`ranged` false, one ref) or adjacent byte ranges of one file. */
interface Task {
  readonly url: string;
  readonly ranged: boolean;
  readonly refs: readonly FileRef[];
}

/** What the requests of one download share: which refs arrived verified, and which file is being read whole by whom. */
interface Shared {
  /** Refs whose bytes verified (first verifier wins; that request hands them on). */
  readonly verified: Set<FileRef>;
  /** Every ref of each file in this download. */
  readonly refsOf: Map<string, FileRef[]>;
  /** A file whose server answered a Range request with the whole file (200): the request reading it for everyone. */
  readonly wholeReaders: Map<string, Promise<void>>;
}

/** Requests for `refs`, in the order of their first ref: whole files alone, ranges of one file merged while adjacent and under `maxBytes`. */
export function planRequests(refs: readonly FileRef[], maxBytes: number): Task[] {
  const out: { task: Task; first: number }[] = [];
  const ranged = new Map<string, { ref: FileRef; index: number }[]>();
  refs.forEach((ref, index) => {
    if (ref.offset === undefined) out.push({ task: { url: ref.url, ranged: false, refs: [ref] }, first: index });
    else if (ranged.has(ref.url)) ranged.get(ref.url)!.push({ ref, index });
    else ranged.set(ref.url, [{ ref, index }]);
  });
  for (const [url, list] of ranged) {
    list.sort((a, b) => a.ref.offset! - b.ref.offset!);
    let run: { ref: FileRef; index: number }[] = [];
    const flush = () => {
      if (run.length) out.push({ task: { url, ranged: true, refs: run.map((r) => r.ref) }, first: Math.min(...run.map((r) => r.index)) });
      run = [];
    };
    for (const item of list) {
      const last = run.at(-1)?.ref;
      const adjacent = last !== undefined && last.offset! + last.byteLength === item.ref.offset;
      const size = run.length ? item.ref.offset! + item.ref.byteLength - run[0]!.ref.offset! : 0;
      if (!adjacent || size > maxBytes) flush();
      run.push(item);
    }
    flush();
  }
  return out.sort((a, b) => a.first - b.first).map((o) => o.task);
}

/**
 * Downloads and verifies `refs`, calling `onFile` as each one is verified
 * (ranges of one request in the order they verified). Resolves when all are
 * done; on failure, the refs verified so far have been handed to `onFile`.
 */
export async function downloadFiles(refs: readonly FileRef[], options: DownloadOptions, onFile: (ref: FileRef, bytes: Uint8Array) => void | Promise<void>): Promise<void> {
  const tasks = planRequests(refs, options.maxRangeBytes ?? MAX_RANGE_BYTES);
  const shared: Shared = { verified: new Set(), refsOf: new Map(), wholeReaders: new Map() };
  for (const ref of refs) {
    const list = shared.refsOf.get(ref.url);
    if (list) list.push(ref);
    else shared.refsOf.set(ref.url, [ref]);
  }
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < tasks.length && failed === undefined) {
      const task = tasks[next++]!;
      try {
        await runTask(task, shared, options, onFile);
      } catch (e) {
        failed ??= e instanceof ConsumerError ? e.error : e;
      }
    }
  };
  // All requests go out at once (up to `concurrency`), assuming the server honours Range, as static hosts and
  // CDNs do: waiting for the first answer before sending the others would cost a round trip on every load.
  const n = Math.max(1, Math.min(options.concurrency, tasks.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (failed !== undefined) throw failed;
}

/** What the requests of one task report back: bytes received per ref, refs verified (to hand on), refs that failed their check (this attempt). */
interface Ledger {
  readonly received: Map<FileRef, number>;
  readonly verified: { ref: FileRef; bytes: Uint8Array }[];
  corrupt: { ref: FileRef; actual: string }[];
}

/** The refs of one task, with retries: transient failures back off and refetch what is missing; a ref that fails its check is refetched once bypassing the cache. */
async function runTask(task: Task, shared: Shared, options: DownloadOptions, onFile: (ref: FileRef, bytes: Uint8Array) => void | Promise<void>): Promise<void> {
  const base = options.retryDelayMs ?? RETRY_BASE_MS;
  const ledger: Ledger = { received: new Map(), verified: [], corrupt: [] };
  const { received, verified } = ledger;
  const refetched = new Set<FileRef>();
  const hand = async () => {
    while (verified.length) {
      const v = verified.shift()!;
      try {
        await onFile(v.ref, v.bytes);
      } catch (e) {
        throw new ConsumerError(e);
      }
    }
  };
  let pending: FileRef[] = [...task.refs];
  for (let attempt = 0; ; ) {
    // A request reading this file whole (its server ignored Range) brings these refs too: wait for it.
    const reader = task.ranged ? shared.wholeReaders.get(task.url) : undefined;
    if (reader) await reader;
    pending = pending.filter((r) => !shared.verified.has(r));
    if (!pending.length) break;
    throwIfAborted(options.signal);
    const corrupt: Ledger['corrupt'] = (ledger.corrupt = []);
    try {
      for (const run of task.ranged ? adjacentRuns(pending) : pending.map((r) => [r])) {
        const bypassCache = run.some((r) => refetched.has(r));
        await fetchRun(task, run, shared, bypassCache, options, ledger);
        await hand();
      }
    } catch (e) {
      if (e instanceof ConsumerError) throw e;
      await hand(); // what verified before the failure is kept
      if (e instanceof IntegrityError || e instanceof AbortError) throw e;
      // Only the caller's signal makes an AbortError: a transport failure named so (Firefox, on a dropped connection) is a network failure.
      if (options.signal?.aborted) throw new AbortError(undefined, { cause: options.signal.reason });
      const status = e instanceof DownloadError ? e.status : undefined;
      const transient = status === undefined || TRANSIENT_STATUS.has(status);
      const missing = pending.filter((r) => !shared.verified.has(r));
      if (!transient || attempt >= options.retries) {
        for (const r of missing) options.progress?.report('error', refName(r), received.get(r) ?? 0, r.byteLength);
        throw e instanceof DownloadError ? e : new DownloadError(refName(missing[0] ?? task.refs[0]!), undefined, String((e as Error)?.message ?? e), { cause: e });
      }
      for (const r of missing) retry(r, received, options);
      await sleep(base * 2 ** attempt, options.signal);
      attempt++;
    }
    for (const { ref, actual } of corrupt) {
      const willRetry = !refetched.has(ref);
      options.onIntegrity?.({ file: refName(ref), expected: ref.sha256, actual, attempt: refetched.has(ref) ? 1 : 0, willRetry });
      retry(ref, received, options);
      if (!willRetry) {
        throw /^\d+ bytes$/.test(actual) ? new IntegrityError(refName(ref), String(ref.byteLength), actual.split(' ')[0]!, 'byteLength') : new IntegrityError(refName(ref), ref.sha256, actual);
      }
      refetched.add(ref);
    }
  }
}

function retry(ref: FileRef, received: Map<FileRef, number>, options: DownloadOptions): void {
  const got = received.get(ref) ?? 0;
  received.set(ref, 0);
  options.progress?.report('retry', refName(ref), 0, ref.byteLength, -got);
}

/** Splits refs (of one file) into runs of adjacent byte ranges. */
function adjacentRuns(refs: readonly FileRef[]): FileRef[][] {
  const sorted = [...refs].sort((a, b) => a.offset! - b.offset!);
  const out: FileRef[][] = [];
  for (const r of sorted) {
    const run = out.at(-1);
    const last = run?.at(-1);
    if (run && last!.offset! + last!.byteLength === r.offset) run.push(r);
    else out.push([r]);
  }
  return out;
}

/**
 * One request: a whole file, or the byte range spanning `run`. Streams the
 * body into one buffer per ref; each ref is hashed the moment it is complete,
 * concurrently with the rest of the stream. Verified refs go to the ledger's
 * `verified`, failed ones to its `corrupt`. When the server ignores Range (200, the whole
 * file), the first such answer serves every range of that file not yet
 * delivered, and the file's other requests drop their bodies and wait for it.
 */
async function fetchRun(task: Task, run: readonly FileRef[], shared: Shared, bypassCache: boolean, options: DownloadOptions, ledger: Ledger): Promise<void> {
  const url = new URL(task.url, options.baseUrl);
  const start = task.ranged ? run[0]!.offset! : 0;
  const last = run.at(-1)!;
  const end = task.ranged ? last.offset! + last.byteLength : last.byteLength;
  for (const r of run) options.progress?.report('start', refName(r), 0, r.byteLength);
  const headers: Record<string, string> = task.ranged ? { Range: `bytes=${start}-${end - 1}` } : {};
  return stallGuarded(refName(run[0]!), 'no response or no new bytes', options, async (guard) => {
    const res = await guard.race(options.fetch(url, { signal: guard.signal, cache: bypassCache ? 'reload' : 'default', headers }));
    guard.touch();
    if (!res.ok) throw new DownloadError(refName(run[0]!), res.status, `HTTP ${res.status} ${res.statusText}`.trim());
    const partial = task.ranged && res.status === 206;
    const whole = task.ranged && !partial;
    let finishWhole: (() => void) | undefined;
    if (whole) {
      const reader = shared.wholeReaders.get(task.url);
      if (reader) {
        guard.done(); // waiting on another request, which has its own guard
        if (res.body) await settled(res.body.cancel()); // dropping a body we do not need
        await reader; // what it could not deliver is fetched again by the caller
        return;
      }
      shared.wholeReaders.set(task.url, new Promise((r) => (finishWhole = r)));
    }
    try {
      await readBody(task, run, res, whole ? shared.refsOf.get(task.url)!.filter((r) => !shared.verified.has(r)) : run, start, end, partial, shared, options, ledger, guard);
    } finally {
      if (finishWhole) {
        shared.wholeReaders.delete(task.url);
        finishWhole();
      }
    }
  });
}

/** Streams `res` into one buffer per target ref, hashing each as soon as it is complete. */
async function readBody(
  task: Task,
  run: readonly FileRef[],
  res: Response,
  targetRefs: readonly FileRef[],
  start: number,
  end: number,
  partial: boolean,
  shared: Shared,
  options: DownloadOptions,
  ledger: Ledger,
  guard: StallGuard,
): Promise<void> {
  const { received, verified, corrupt } = ledger;
  const whole = task.ranged && !partial;
  // Where the body starts in the file. A Content-Range the page may read must agree with what was asked.
  const contentRange = partial ? /^bytes (\d+)-/.exec(res.headers.get('Content-Range') ?? '') : null;
  const bodyStart = partial ? (contentRange ? Number(contentRange[1]) : start) : 0;
  const targets = whole ? [...targetRefs].sort((a, b) => a.offset! - b.offset!) : run;
  const readEnd = whole ? Math.max(...targets.map((r) => r.offset! + r.byteLength)) : end;
  const buffers = targets.map((r) => new Uint8Array(r.byteLength));
  const filled = targets.map(() => 0);
  const checks: Promise<void>[] = [];
  const check = (i: number, bytes: Uint8Array, length: number) => {
    const ref = targets[i]!;
    checks.push(
      (length === ref.byteLength ? sha256Hex(bytes) : Promise.resolve(`${length} bytes`)).then((actual) => {
        if (actual === ref.sha256) {
          if (shared.verified.has(ref)) return; // another request verified it first
          shared.verified.add(ref);
          options.progress?.report('done', refName(ref), ref.byteLength, ref.byteLength);
          verified.push({ ref, bytes });
        } else {
          corrupt.push({ ref, actual });
        }
      }),
    );
  };
  let overflow = false;
  let surplus = false;
  let seen = 0;
  if (bodyStart !== start && partial) {
    // A range that is not the one asked for: nothing in it can be trusted to be where we expect.
    await res.body?.cancel();
    targets.forEach((_, i) => check(i, buffers[i]!, 0));
  } else {
    const offsetOf = (r: FileRef) => (task.ranged ? r.offset! : 0);
    let pos = bodyStart; // file offset of the next body byte
    let k = 0; // first target not yet complete
    const take = (chunk: Uint8Array) => {
      let c = 0;
      // One progress event per chunk (for the ref it ends in), carrying every byte of the chunk: a chunk spans a few
      // 32 KB blocks, and an event per block and chunk cost more main-thread time than the copying.
      let moved = 0;
      let lastRef: FileRef | undefined;
      while (c < chunk.byteLength && k < targets.length) {
        const r = targets[k]!;
        const at = offsetOf(r);
        if (pos < at) {
          const skip = Math.min(at - pos, chunk.byteLength - c);
          c += skip;
          pos += skip;
          continue;
        }
        const n = Math.min(r.byteLength - filled[k]!, chunk.byteLength - c);
        buffers[k]!.set(chunk.subarray(c, c + n), filled[k]!);
        filled[k]! += n;
        c += n;
        pos += n;
        received.set(r, (received.get(r) ?? 0) + n);
        moved += n;
        lastRef = r;
        if (filled[k] === r.byteLength) check(k++, buffers[k - 1]!, r.byteLength); // its 'done' comes after the hash, so after this chunk's event
      }
      if (lastRef) options.progress?.report('progress', refName(lastRef), received.get(lastRef) ?? 0, lastRef.byteLength, moved);
      if (!task.ranged && c < chunk.byteLength) {
        overflow = true; // a whole file longer than promised
        pos += chunk.byteLength - c;
      } else if (c < chunk.byteLength) {
        surplus = true; // bytes past the last range wanted: the rest of a whole file, or a server sending too much
      }
    };
    try {
      if (!res.body) {
        take(new Uint8Array(await guard.race(res.arrayBuffer())));
      } else {
        const reader = res.body.getReader();
        try {
          // Read to the end of the body: cancelling a response whose last byte has arrived shows as an aborted
          // request. Only a whole file sent for a range, or a body longer than promised, is cut short.
          for (;;) {
            if (overflow || surplus || (whole && pos >= readEnd)) {
              await settled(reader.cancel()); // cut short on purpose
              break;
            }
            const { done, value } = await guard.race(reader.read());
            if (done) break;
            guard.touch();
            take(value);
          }
        } finally {
          try {
            reader.releaseLock();
          } catch {
            // Older streams throw while a read is pending (a stalled body): the request is cut either way.
          }
        }
      }
    } catch (e) {
      await Promise.all(checks); // the refs completed before the failure are verified and kept
      throw e;
    }
    // Short body: the refs it did not complete fail their length check (and are refetched once).
    for (let i = k; i < targets.length; i++) check(i, buffers[i]!, filled[i]!);
    seen = pos - bodyStart;
  }
  await Promise.all(checks);
  if (overflow) {
    // A whole file longer than promised is not the file the manifest pins, whatever its first bytes hash to.
    const ref = targets[0]!;
    const i = verified.findIndex((v) => v.ref === ref);
    if (i >= 0) {
      verified.splice(i, 1);
      shared.verified.delete(ref);
    }
    if (!corrupt.some((c) => c.ref === ref)) corrupt.push({ ref, actual: `${seen} bytes` });
  }
}

/** setTimeout that an AbortSignal interrupts (rejecting with AbortError). */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(undefined, { cause: signal.reason }));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortError(undefined, { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The manifest's text from the network (bypassing a stale HTTP cache), transient failures retried with backoff. */
export async function fetchManifestText(
  url: URL,
  fetchFn: typeof fetch,
  signal: AbortSignal | undefined,
  retries: number,
  stallMs = STALL_MS,
  /** Asked after each failure (`willRetry` says whether another attempt follows): a text it returns is used instead. */
  orElse?: (error: DownloadError, willRetry: boolean) => Promise<string | undefined>,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchTextOnce(url, fetchFn, signal, stallMs);
    } catch (e) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const error = e instanceof DownloadError ? e : new DownloadError(url.href, undefined, String((e as Error)?.message ?? e), { cause: e });
      const willRetry = (error.status === undefined || TRANSIENT_STATUS.has(error.status)) && attempt < retries;
      const instead = await orElse?.(error, willRetry);
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (instead !== undefined) return instead;
      if (!willRetry) throw error;
      await sleep(RETRY_BASE_MS * 2 ** attempt, signal);
    }
  }
}

/** One request for a small text (the manifest), cut when it stalls; throws DownloadError for an HTTP error or a stall. */
export function fetchTextOnce(url: URL, fetchFn: typeof fetch, signal: AbortSignal | undefined, stallMs = STALL_MS): Promise<string> {
  return stallGuarded(url.href, 'no response', { signal, stallMs }, async (guard) => {
    const res = await guard.race(fetchFn(url, { signal: guard.signal, cache: 'no-cache' }));
    guard.touch();
    if (!res.ok) throw new DownloadError(url.href, res.status, `HTTP ${res.status} ${res.statusText}`.trim());
    return guard.race(res.text());
  });
}

/** Runs one request under a {@link StallGuard}: a stall (not the caller's abort) becomes a DownloadError naming `file`, which callers retry like a cut. */
async function stallGuarded<T>(file: string, what: string, options: { signal?: AbortSignal; stallMs?: number }, request: (guard: StallGuard) => Promise<T>): Promise<T> {
  const ms = options.stallMs ?? STALL_MS;
  const guard = new StallGuard(ms, `the request for ${file}`, options.signal);
  try {
    return await request(guard);
  } catch (e) {
    if (guard.stalled && !options.signal?.aborted) throw new DownloadError(file, undefined, `${what} for ${ms} ms (stalled)`, { cause: guard.stalled });
    throw e;
  } finally {
    guard.done();
  }
}
