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

/**
 * A public option (or request field) with a wrong type or value: names the option, shows the value and says what
 * is allowed. Thrown before anything is fetched or changed, so a bad call leaves the recommender as it was.
 */
export class OptionError extends PeelrecError {
  override name = 'OptionError';
  constructor(
    /** Dotted path of the option, e.g. `k`, `user.history`, `budgetInputs.storage.quota`. */
    readonly option: string,
    readonly value: unknown,
    /** What the option accepts, in words. */
    readonly allowed: string,
  ) {
    super(`Invalid option ${option}: got ${describeValue(value)}; expected ${allowed}`);
  }
}

/** A browser API (IndexedDB, storage.estimate, WebGPU) or a server that did not answer within its bound. */
export class TimeoutError extends PeelrecError {
  override name = 'TimeoutError';
  constructor(
    /** What was waited for. */
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

/** A value as a message shows it: its JSON (cut short) and its type, so `"5"` and `5` read differently. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${String(v)} (${typeof v})`;
  if (typeof v === 'string') return `${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)} (string)`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}
