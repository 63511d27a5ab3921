/**
 * Bounded waits. A browser API or a server that never answers must not hang a load: every such await goes
 * through {@link within} (past the bound the caller degrades: memory mode, no storage input, another backend),
 * and every request through a {@link StallGuard} (no response or no new body bytes for too long: the request is
 * cut and retried like a network error).
 */
import { TimeoutError } from './errors.js';
import { awaitedLater } from './settle.js';

/** Default bound on a request without progress (a response, or new body bytes). */
export const STALL_MS = 20_000;
/** Default bound on IndexedDB, `storage.estimate()` and the WebGPU adapter request. */
export const BROWSER_API_MS = 10_000;

/** `promise`, or a TimeoutError naming `what` once `ms` have passed (the promise itself cannot be cancelled). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Cuts one request that goes `ms` without progress. Its `signal` aborts the fetch; {@link race} stops waiting even
 * when an injected fetch ignores signals. `touch()` on every response and body chunk.
 */
export class StallGuard {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly fired: Promise<never>;
  private fire: (e: TimeoutError) => void = () => {};
  /** Set once the request was cut for stalling. */
  stalled: TimeoutError | undefined;

  private readonly onOuter = () => this.controller.abort(this.outer?.reason);

  constructor(
    private readonly ms: number,
    private readonly what: string,
    private readonly outer: AbortSignal | undefined,
  ) {
    // One controller for both causes: the caller's abort and the stall (AbortSignal.any is missing from older Safari).
    this.signal = this.controller.signal;
    if (outer?.aborted) this.controller.abort(outer.reason);
    else outer?.addEventListener('abort', this.onOuter, { once: true });
    this.fired = new Promise<never>((_, reject) => (this.fire = reject));
    awaitedLater(this.fired); // raced below; unobserved when the request finishes first
    this.touch();
  }

  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = new TimeoutError(this.what, this.ms);
      this.controller.abort(this.stalled);
      this.fire(this.stalled);
    }, this.ms);
  }

  /** `p`, unless the guard fires first; progress is the caller's to report with touch(). */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.fired]);
  }

  done(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuter);
  }
}
