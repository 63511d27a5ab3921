/**
 * Runtime errors. The format's errors (ManifestError, IntegrityError,
 * BudgetTooSmallError …) are re-exported from the package entry, so an app
 * catches every peelrec failure as a `PeelrecError`.
 */
import { PeelrecError } from '@peelrec/format';

/** IndexedDB failed in a way the runtime could not recover from by eviction or memory mode. */
export class StorageError extends PeelrecError {
  override name = 'StorageError'; // a literal: minifiers rename classes (see PeelrecError)
}

/** No scoring backend could be initialised (each attempt and its reason is listed). */
export class BackendUnavailableError extends PeelrecError {
  override name = 'BackendUnavailableError';
  constructor(readonly attempts: readonly { backend: string; reason: string }[]) {
    super(`No scoring backend is available: ${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ') || 'none tried'}`);
  }
}

/** The caller's AbortSignal fired. `name` is 'AbortError', like the DOM's, so existing checks keep working. */
export class AbortError extends PeelrecError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** A network failure that survived every retry (HTTP status or transport error). */
export class DownloadError extends PeelrecError {
  override name = 'DownloadError';
  constructor(
    readonly url: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Download of ${url} failed: ${message}`, options);
  }
}

/** A user the artifact does not know, or a malformed user input. */
export class UserError extends PeelrecError {
  override name = 'UserError';
}

/** The recommender was used after `dispose()`. */
export class DisposedError extends PeelrecError {
  override name = 'DisposedError';
  constructor() {
    super('This recommender has been disposed');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}
