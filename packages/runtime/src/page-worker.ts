/**
 * The page's one scoring worker. Its recommenders share it, as in-thread they share one tfjs (a page-wide
 * singleton): the backend's code and WASM binaries load once per page, and a recommender created after the network
 * went away still finds them (a fresh worker would fetch its chunks again). It lives as long as the page.
 */
import type { PageMessage, WorkerMessage } from './worker-protocol.js';

/** A message of one recommender (all but `started`). */
export type RoutedMessage = Exclude<WorkerMessage, { type: 'started' }>;
type Route = { receive(m: RoutedMessage): void; fail(e: Error): void };

export class PageWorker {
  private readonly routes = new Map<number, Route>();
  private nextRid = 0;
  private onStart: ((ok: boolean) => void) | undefined;
  /** Resolves true once the worker's script ran, false if it failed first (then nothing runs in it). */
  readonly started = new Promise<boolean>((resolve) => {
    this.onStart = resolve;
  });

  constructor(
    private readonly worker: Worker,
    private readonly onDead: () => void,
  ) {
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) => this.receive(ev.data);
    worker.onerror = (ev) => this.die(new Error(`the scoring worker failed: ${ev.message}`));
  }

  /** A new recommender's channel: its messages are routed to `route`. */
  attach(route: Route): number {
    const rid = this.nextRid++;
    this.routes.set(rid, route);
    return rid;
  }

  detach(rid: number): void {
    this.routes.delete(rid);
  }

  send(m: PageMessage): void {
    this.worker.postMessage(m);
  }

  private receive(m: WorkerMessage): void {
    if (m.type === 'started') {
      this.onStart?.(true);
      this.onStart = undefined;
      return;
    }
    this.routes.get(m.rid)?.receive(m);
  }

  /** Before it started: the caller loads in-thread. After: every pending call fails, and the next load starts a new worker. */
  private die(e: Error): void {
    this.onDead();
    this.worker.terminate();
    if (this.onStart) {
      this.onStart(false);
      this.onStart = undefined;
    }
    for (const r of this.routes.values()) r.fail(e);
    this.routes.clear();
  }
}

let shared: PageWorker | undefined;

/** The page's scoring worker, started on first use. @throws what `new Worker` throws (a CSP, no module workers) */
export function pageWorker(): PageWorker {
  if (shared) return shared;
  const worker = new Worker(new URL('./scoring-worker.js', import.meta.url), { type: 'module', name: 'peelrec-scoring' });
  const created: PageWorker = new PageWorker(worker, () => {
    if (shared === created) shared = undefined;
  });
  shared = created;
  return created;
}
