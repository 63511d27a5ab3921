/**
 * Fetches artifact files: a concurrency limit, retries with exponential
 * backoff on transient failures (retry.ts), streamed progress with totals,
 * abort, and a SHA-256 check before the bytes are handed to anyone
 * (integrity.ts). Bytes that fail the check are dropped and fetched once more
 * bypassing the HTTP cache; if they fail again the load fails with
 * IntegrityError. Unverified bytes never leave this module.
 *
 * A ref with an `offset` is a byte range of a larger file (format v2 packs the
 * blocks of a user group into one file). Adjacent ranges of one file are
 * fetched together with one HTTP Range request (split at `maxRangeBytes` so
 * that a few requests run side by side), and each ref is hashed as soon as its
 * last byte arrived, while the rest streams in (range-fetch.ts): on a slow
 * device, request count and hashing after the download, not bandwidth,
 * dominated start-up (79 block files: 440–950 ms on localhost; the same 5 MB
 * as one request: 100–190 ms).
 */
import { IntegrityError, refName, type FileRef } from '@peelrec/format';
import { AbortError, DownloadError, throwIfAborted } from './errors.js';
import { integrityError } from './integrity.js';
import { adjacentRuns, fetchRun, type Ledger, type RequestOptions, type Shared, type Task } from './range-fetch.js';
import { isTransient, RETRY_BASE_MS, sleep } from './retry.js';
import type { RecommenderEvents } from './types.js';

export interface DownloadOptions extends RequestOptions {
  readonly concurrency: number;
  readonly retries: number;
  /** First backoff delay; doubles per attempt (default 200 ms). */
  readonly retryDelayMs?: number;
  /** Longest byte range asked for in one request (default {@link MAX_RANGE_BYTES}); adjacent ranges are merged up to it. */
  readonly maxRangeBytes?: number;
  readonly onIntegrity?: (e: RecommenderEvents['integrity']) => void;
}

/** An error of the consumer of verified bytes (a parse, a validation): it ends the download as it is, never retried as a network failure. */
class ConsumerError {
  constructor(readonly error: unknown) {}
}

/** Parallel requests by default: the HTTP/1.1 connection limit per host of every major browser. */
export const DEFAULT_CONCURRENCY = 6;
/**
 * Merged ranges are cut at this size, so a 5 MB selection is a few requests
 * in parallel rather than one long stream (measured on localhost, 2 cores:
 * see bench/results/startup.json).
 */
export const MAX_RANGE_BYTES = 1 << 20;

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
      const missing = pending.filter((r) => !shared.verified.has(r));
      if (!isTransient(status) || attempt >= options.retries) {
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
      if (!willRetry) throw integrityError(ref, actual);
      refetched.add(ref);
    }
  }
}

function retry(ref: FileRef, received: Map<FileRef, number>, options: DownloadOptions): void {
  const got = received.get(ref) ?? 0;
  received.set(ref, 0);
  options.progress?.report('retry', refName(ref), 0, ref.byteLength, -got);
}
