/** The manifest's text from the network: one small request, bypassing a stale HTTP cache, retried like a file's. */
import { STALL_MS } from './bounded.js';
import { AbortError, DownloadError } from './errors.js';
import { isTransient, RETRY_BASE_MS, sleep, stallGuarded } from './retry.js';

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
      const willRetry = isTransient(error.status) && attempt < retries;
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
