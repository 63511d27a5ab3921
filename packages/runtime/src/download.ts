/**
 * Fetches artifact files: a concurrency limit, retries with exponential
 * backoff on transient failures, streamed progress with totals, abort, and a
 * SHA-256 check before the bytes are handed to anyone. Bytes that fail the
 * check are dropped and fetched once more bypassing the HTTP cache; if they
 * fail again the load fails with IntegrityError. Unverified bytes never leave
 * this module.
 */
import { IntegrityError, sha256Hex, type FileRef } from '@peelrec/format';
import { AbortError, DownloadError, throwIfAborted } from './errors.js';
import type { LoadProgress, RecommenderEvents } from './types.js';

/** Running totals over one load; files served from the cache are reported too, so totals always add up. */
export class ProgressTracker {
  private loadedBytes = 0;
  private filesDone = 0;

  constructor(
    private readonly totalBytes: number,
    private readonly files: number,
    private readonly sink: ((p: LoadProgress) => void) | undefined,
  ) {}

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
  readonly progress?: ProgressTracker;
  readonly onIntegrity?: (e: RecommenderEvents['integrity']) => void;
}

/** HTTP statuses worth retrying: timeouts, rate limits, server errors. */
export const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);
/** First retry delay; doubles per attempt. */
export const RETRY_BASE_MS = 200;

/** Downloads and verifies `refs`, calling `onFile` as each one is verified. Resolves when all are done. */
export async function downloadFiles(
  refs: readonly FileRef[],
  options: DownloadOptions,
  onFile: (ref: FileRef, bytes: Uint8Array) => void | Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < refs.length && failed === undefined) {
      const ref = refs[next++]!;
      try {
        await onFile(ref, await downloadVerified(ref, options));
      } catch (e) {
        failed ??= e;
      }
    }
  };
  const n = Math.max(1, Math.min(options.concurrency, refs.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (failed !== undefined) throw failed;
}

/** One file, verified, with retries. */
export async function downloadVerified(ref: FileRef, options: DownloadOptions): Promise<Uint8Array> {
  const url = new URL(ref.url, options.baseUrl);
  const base = options.retryDelayMs ?? RETRY_BASE_MS;
  let integrityRefetched = false;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(options.signal);
    options.progress?.report('start', ref.url, 0, ref.byteLength);
    let received = 0;
    try {
      const bytes = await fetchBytes(url, ref, options, integrityRefetched, (n) => {
        received += n;
        options.progress?.report('progress', ref.url, received, ref.byteLength, n);
      });
      const actual = bytes.byteLength === ref.byteLength ? await sha256Hex(bytes) : `${bytes.byteLength} bytes`;
      if (actual !== ref.sha256) {
        const willRetry = !integrityRefetched;
        options.onIntegrity?.({ file: ref.url, expected: ref.sha256, actual, attempt, willRetry });
        options.progress?.report('retry', ref.url, 0, ref.byteLength, -received);
        if (!willRetry) {
          throw bytes.byteLength === ref.byteLength
            ? new IntegrityError(ref.url, ref.sha256, actual)
            : new IntegrityError(ref.url, String(ref.byteLength), String(bytes.byteLength), 'byteLength');
        }
        integrityRefetched = true;
        continue;
      }
      options.progress?.report('done', ref.url, ref.byteLength, ref.byteLength);
      return bytes;
    } catch (e) {
      if (e instanceof IntegrityError || e instanceof AbortError) throw e;
      if (options.signal?.aborted || (e as Error)?.name === 'AbortError') throw new AbortError(undefined, { cause: options.signal?.reason ?? e });
      const status = e instanceof DownloadError ? e.status : undefined;
      const transient = status === undefined || TRANSIENT_STATUS.has(status);
      if (!transient || attempt >= options.retries) {
        options.progress?.report('error', ref.url, received, ref.byteLength);
        throw e instanceof DownloadError ? e : new DownloadError(ref.url, undefined, String((e as Error)?.message ?? e), { cause: e });
      }
      options.progress?.report('retry', ref.url, 0, ref.byteLength, -received);
      await sleep(base * 2 ** attempt, options.signal);
    }
  }
}

/** Reads the body into a buffer of the promised size; stops early on oversize bodies so a bad server cannot exhaust memory. */
async function fetchBytes(url: URL, ref: FileRef, options: DownloadOptions, bypassCache: boolean, onChunk: (n: number) => void): Promise<Uint8Array> {
  const res = await options.fetch(url, { signal: options.signal, cache: bypassCache ? 'reload' : 'default' });
  if (!res.ok) throw new DownloadError(ref.url, res.status, `HTTP ${res.status} ${res.statusText}`.trim());
  if (!res.body) {
    const whole = new Uint8Array(await res.arrayBuffer());
    onChunk(whole.byteLength);
    return whole;
  }
  const out = new Uint8Array(ref.byteLength);
  let at = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.byteLength > out.byteLength) {
        await reader.cancel();
        return new Uint8Array(at + value.byteLength); // wrong length: rejected by the caller's check
      }
      out.set(value, at);
      at += value.byteLength;
      onChunk(value.byteLength);
    }
  } finally {
    reader.releaseLock();
  }
  return at === out.byteLength ? out : out.subarray(0, at);
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
