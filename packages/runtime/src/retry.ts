/**
 * When a request is tried again: which failures are transient, the exponential backoff between attempts (a sleep
 * the caller's abort interrupts), and the stall cut that turns a request without progress into a failure retried
 * like a dropped connection.
 */
import { StallGuard, STALL_MS } from './bounded.js';
import { AbortError, DownloadError } from './errors.js';

/** HTTP statuses worth retrying: timeouts, rate limits, server errors. */
export const TRANSIENT_STATUS: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);
/** First retry delay; doubles per attempt. */
export const RETRY_BASE_MS = 200;

/** Whether a failure with this HTTP status (undefined: no response, a cut or a stall) is worth another attempt. */
export function isTransient(status: number | undefined): boolean {
  return status === undefined || TRANSIENT_STATUS.has(status);
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

/** Runs one request under a {@link StallGuard}: a stall (not the caller's abort) becomes a DownloadError naming `file`, which callers retry like a cut. */
export async function stallGuarded<T>(file: string, what: string, options: { signal?: AbortSignal; stallMs?: number }, request: (guard: StallGuard) => Promise<T>): Promise<T> {
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
